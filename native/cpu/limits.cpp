// limits.cpp — measures this machine's roofline for the benchmarks (bench/limits.ts): STREAM-style
// copy and triad bandwidth (float32, OpenMP over the backend's threads, ordinary stores, as STREAM
// counts them: copy 8 B/element, triad 12 B/element) and the peak FMA rate (10 independent 8-wide
// accumulators per thread, AVX2+FMA when the CPU has it, else a portable loop). Benchmarks report
// their rates as a fraction of these figures, measured in the same run, not of numbers from elsewhere.
#include "cpu.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define TD_LIMITS_X86 1
#else
#define TD_LIMITS_X86 0
#endif

namespace td::cpu {
namespace {
double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

#if TD_LIMITS_X86
// 10 chains x 8 lanes x 2 flops per FMA, `iters` rounds; returns a value so nothing is optimised away.
__attribute__((target("avx2,fma"))) float fma_loop_avx2(int64_t iters) {
  __m256 a[10];
  for (int j = 0; j < 10; j++) a[j] = _mm256_set1_ps(1.0f + 1e-7f * j);
  const __m256 m = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
  for (int64_t i = 0; i < iters; i++)
    for (int j = 0; j < 10; j++) a[j] = _mm256_fmadd_ps(a[j], m, c);
  __m256 s = a[0];
  for (int j = 1; j < 10; j++) s = _mm256_add_ps(s, a[j]);
  alignas(32) float o[8];
  _mm256_store_ps(o, s);
  return o[0];
}
#endif
// STREAM copy (c = a) and triad (a = b + 3c), compiled for the baseline ISA and for AVX2.
#define TD_STREAM_LOOPS(SUFFIX, ATTR)                                                  \
  ATTR void copy_##SUFFIX(const float* a, float* c, int64_t n) {                      \
    _Pragma("omp parallel for schedule(static)") for (int64_t i = 0; i < n; i++) c[i] = a[i]; \
  }                                                                                    \
  ATTR void triad_##SUFFIX(const float* b, const float* c, float* a, int64_t n) {     \
    _Pragma("omp parallel for schedule(static)") for (int64_t i = 0; i < n; i++) a[i] = b[i] + 3.0f * c[i]; \
  }
TD_STREAM_LOOPS(portable, )
#if TD_LIMITS_X86
TD_STREAM_LOOPS(avx2, __attribute__((target("avx2,fma"))))
#endif
#undef TD_STREAM_LOOPS

float fma_loop_portable(int64_t iters) {
  float a[10][8];
  for (int j = 0; j < 10; j++)
    for (int l = 0; l < 8; l++) a[j][l] = 1.0f + 1e-7f * j;
  for (int64_t i = 0; i < iters; i++)
    for (int j = 0; j < 10; j++)
      for (int l = 0; l < 8; l++) a[j][l] = a[j][l] * 0.9999999f + 1e-7f;
  return a[0][0] + a[9][7];
}
}  // namespace

Limits measure_limits(int64_t elements, int reps) {
  Limits L{};
  const int64_t n = std::max<int64_t>(elements, 1 << 20);
  std::vector<float> a(n), b(n), c(n);
  float* pa = a.data();
  float* pb = b.data();
  float* pc = c.data();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) {
    pa[i] = 1.0f;
    pb[i] = 2.0f;
    pc[i] = 0.0f;
  }
  double best_copy = 1e30, best_triad = 1e30;
  const bool avx2 = cpu_has_avx2_fma();
  for (int r = 0; r < reps; r++) {
    double t = now_s();
#if TD_LIMITS_X86
    if (avx2) copy_avx2(pa, pc, n);
    else
#endif
      copy_portable(pa, pc, n);
    best_copy = std::min(best_copy, now_s() - t);
    t = now_s();
#if TD_LIMITS_X86
    if (avx2) triad_avx2(pb, pc, pa, n);
    else
#endif
      triad_portable(pb, pc, pa, n);
    best_triad = std::min(best_triad, now_s() - t);
  }
  L.copy_gbs = 8.0 * double(n) / best_copy / 1e9;
  L.triad_gbs = 12.0 * double(n) / best_triad / 1e9;
  L.checksum = double(pa[n / 2]);

  const int64_t iters = 2000000;
  double best_fma = 1e30;
  float sink = 0;
  for (int r = 0; r < 3; r++) {
    const double t = now_s();
#pragma omp parallel reduction(+ : sink)
    {
#if TD_LIMITS_X86
      sink += avx2 ? fma_loop_avx2(iters) : fma_loop_portable(iters);
#else
      sink += fma_loop_portable(iters);
#endif
    }
    best_fma = std::min(best_fma, now_s() - t);
  }
  L.fma_gflops = double(num_threads()) * double(iters) * 10 * 8 * 2 / best_fma / 1e9;
  L.fma_isa = avx2 ? "avx2-fma" : "portable";
  L.checksum += double(sink);
  return L;
}
}  // namespace td::cpu
