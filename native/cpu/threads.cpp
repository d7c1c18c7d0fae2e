// threads.cpp — the CPU backend's thread count (OpenMP), set by setNumThreads or TENSORDIFF_NUM_THREADS,
// and the CPU feature checks the kernels dispatch on.
#include "cpu.h"

#include <cstdlib>
#include <cstring>

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

bool cpu_has_avx2_fma() {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
  static const bool ok = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return ok;
#else
  return false;
#endif
}

bool fused_avx2_enabled() {
  static const bool ok = [] {
    const char* e = std::getenv("TD_FUSED_PORTABLE");
    if (e && std::strcmp(e, "0") != 0) return false;
    return cpu_has_avx2_fma();
  }();
  return ok;
}
}  // namespace td::cpu
