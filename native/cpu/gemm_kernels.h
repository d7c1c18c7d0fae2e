// gemm_kernels.h — private to gemm.cpp: the register-blocked GEMM micro-kernels.
//
// A micro-kernel computes one MR x NR tile  C = Apanel @ Bpanel (+ C if beta)  where
//   Apanel is packed k-major: a[k*MR + r]  (MR rows of A side by side for each k),
//   Bpanel is packed k-major: b[k*NR + c]  (NR columns of B side by side for each k),
// both zero-padded to full MR / NR and 64-byte aligned. C has row stride rsc and column stride 1.
// When beta is false C is written without being read (so garbage/NaN in C never leaks through).
//
// Two families:
//   * AVX2 + FMA (x86 only): compiled per function with __attribute__((target("avx2,fma"))) so the
//     rest of the binary stays baseline x86-64; chosen at run time by gemm.cpp.
//     float32 6x16 and float64 6x8: 12 ymm accumulators, 2 B loads + 6 broadcasts per k.
//   * portable: plain C++ over small fixed-size arrays that the compiler keeps in registers and
//     auto-vectorises for whatever baseline ISA the file is compiled for (SSE2 on x86-64, NEON...).
#pragma once
#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#define TD_GEMM_X86 1
#include <immintrin.h>
#else
#define TD_GEMM_X86 0
#endif

namespace td::cpu::gemm_detail {

// ---- portable micro-kernel ------------------------------------------------------------------------
template <typename T, int MR, int NR>
static void ukr_portable(int64_t kc, const T* __restrict a, const T* __restrict b, T* __restrict c,
                         int64_t rsc, bool beta) {
  T acc[MR][NR] = {};
  for (int64_t k = 0; k < kc; k++) {
    for (int r = 0; r < MR; r++) {
      const T ar = a[r];
      for (int j = 0; j < NR; j++) acc[r][j] += ar * b[j];
    }
    a += MR;
    b += NR;
  }
  for (int r = 0; r < MR; r++) {
    T* cr = c + r * rsc;
    if (beta)
      for (int j = 0; j < NR; j++) cr[j] += acc[r][j];
    else
      for (int j = 0; j < NR; j++) cr[j] = acc[r][j];
  }
}

#if TD_GEMM_X86
#define TD_AVX2 __attribute__((target("avx2,fma")))
#define TD_AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) inline

// Store (or add into) two adjacent 8-wide float vectors at c[0..15].
TD_AVX2_INLINE void store2_ps(float* c, __m256 lo, __m256 hi, bool beta) {
  if (beta) {
    lo = _mm256_add_ps(lo, _mm256_loadu_ps(c));
    hi = _mm256_add_ps(hi, _mm256_loadu_ps(c + 8));
  }
  _mm256_storeu_ps(c, lo);
  _mm256_storeu_ps(c + 8, hi);
}

TD_AVX2_INLINE void store2_pd(double* c, __m256d lo, __m256d hi, bool beta) {
  if (beta) {
    lo = _mm256_add_pd(lo, _mm256_loadu_pd(c));
    hi = _mm256_add_pd(hi, _mm256_loadu_pd(c + 4));
  }
  _mm256_storeu_pd(c, lo);
  _mm256_storeu_pd(c + 4, hi);
}

// One k step of the 6-row kernels: row r gets  acc[r] += a[r] * (b0, b1).
// BCAST / FMA are the broadcast and fused-multiply-add intrinsics of the element type.
#define TD_ROW_FMA(BCAST, FMA, r)          \
  {                                        \
    const auto ar = BCAST(a + (r));        \
    c##r##0 = FMA(ar, b0, c##r##0);        \
    c##r##1 = FMA(ar, b1, c##r##1);        \
  }
#define TD_SIX_ROWS(BCAST, FMA)                                                               \
  TD_ROW_FMA(BCAST, FMA, 0) TD_ROW_FMA(BCAST, FMA, 1) TD_ROW_FMA(BCAST, FMA, 2)              \
  TD_ROW_FMA(BCAST, FMA, 3) TD_ROW_FMA(BCAST, FMA, 4) TD_ROW_FMA(BCAST, FMA, 5)

// float32, 6 x 16.
TD_AVX2 static void ukr_f32_avx2_6x16(int64_t kc, const float* __restrict a, const float* __restrict b,
                                      float* __restrict c, int64_t rsc, bool beta) {
  for (int r = 0; r < 6; r++) _mm_prefetch(reinterpret_cast<const char*>(c + r * rsc), _MM_HINT_T0);
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; k++) {
    const __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
    TD_SIX_ROWS(_mm256_broadcast_ss, _mm256_fmadd_ps)
    a += 6;
    b += 16;
  }
  store2_ps(c + 0 * rsc, c00, c01, beta);
  store2_ps(c + 1 * rsc, c10, c11, beta);
  store2_ps(c + 2 * rsc, c20, c21, beta);
  store2_ps(c + 3 * rsc, c30, c31, beta);
  store2_ps(c + 4 * rsc, c40, c41, beta);
  store2_ps(c + 5 * rsc, c50, c51, beta);
}

// float64, 6 x 8.
TD_AVX2 static void ukr_f64_avx2_6x8(int64_t kc, const double* __restrict a, const double* __restrict b,
                                     double* __restrict c, int64_t rsc, bool beta) {
  for (int r = 0; r < 6; r++) _mm_prefetch(reinterpret_cast<const char*>(c + r * rsc), _MM_HINT_T0);
  __m256d c00 = _mm256_setzero_pd(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  __m256d c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; k++) {
    const __m256d b0 = _mm256_load_pd(b), b1 = _mm256_load_pd(b + 4);
    TD_SIX_ROWS(_mm256_broadcast_sd, _mm256_fmadd_pd)
    a += 6;
    b += 8;
  }
  store2_pd(c + 0 * rsc, c00, c01, beta);
  store2_pd(c + 1 * rsc, c10, c11, beta);
  store2_pd(c + 2 * rsc, c20, c21, beta);
  store2_pd(c + 3 * rsc, c30, c31, beta);
  store2_pd(c + 4 * rsc, c40, c41, beta);
  store2_pd(c + 5 * rsc, c50, c51, beta);
}

#undef TD_SIX_ROWS
#undef TD_ROW_FMA
#undef TD_AVX2_INLINE
#undef TD_AVX2

// True when this CPU can run the AVX2 + FMA kernels.
inline bool cpu_has_avx2_fma() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#else
inline bool cpu_has_avx2_fma() { return false; }
#endif

}  // namespace td::cpu::gemm_detail
