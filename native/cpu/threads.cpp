// threads.cpp — the CPU backend's thread count (OpenMP), set by setNumThreads or TENSORDIFF_NUM_THREADS.
#include "cpu.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace td::cpu {
void set_num_threads(int n) {
  if (n < 1) n = 1;
#ifdef _OPENMP
  omp_set_num_threads(n);
#else
  (void)n;
#endif
}
int num_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}
}  // namespace td::cpu
