// gemm_kernels.h — private to gemm.cpp: the register-blocked GEMM micro-kernels.
//
// A micro-kernel computes one MR x NR tile  C = Apanel @ Bpanel (+ C if beta)  where
//   Apanel is packed k-major: a[k*MR + r]  (MR rows of A side by side for each k),
//   Bpanel is packed k-major: b[k*NR + c]  (NR columns of B side by side for each k),
// both zero-padded to full MR / NR; B panels are 32-byte aligned (aligned loads), A panels need not
// be (broadcast loads). C has row stride rsc and column stride 1.
// When beta is false C is written without being read (so garbage/NaN in C never leaks through).
//
// Two families:
//   * AVX2 + FMA (x86 only): compiled per function with __attribute__((target("avx2,fma"))) so the
//     rest of the binary stays baseline x86-64; chosen at run time by gemm.cpp.
//     float32 6x16 and float64 6x8: 12 ymm accumulators, 2 B loads + 6 broadcasts per k.
//   * portable: plain C++ over small fixed-size arrays that the compiler keeps in registers and
//     auto-vectorises for whatever baseline ISA the file is compiled for (SSE2 on x86-64, NEON...).
//
// Matrix-vector kernels (used when M == 1 or N == 1; both stream the matrix once):
//   dot:  y[i*incy] (+)= sum_k A[i*lda + k] * x[k]          (matrix rows contiguous, x contiguous)
//   axpy: y[j*incy] (+)= sum_k x[k*incx] * B[k*ldb + j]     (matrix rows contiguous, x any stride)
#pragma once
#include <algorithm>
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

// ---- portable matrix-vector kernels ----------------------------------------------------------------------
template <typename T>
static void dot_portable(int64_t m, int64_t k, const T* __restrict A, int64_t lda, const T* __restrict x,
                         T* __restrict y, int64_t incy, bool beta) {
  constexpr int L = 8;  // independent partial sums, so the loop vectorises without reassociation
  for (int64_t i = 0; i < m; i++) {
    const T* a = A + i * lda;
    T part[L] = {};
    int64_t kk = 0;
    for (; kk + L <= k; kk += L)
      for (int l = 0; l < L; l++) part[l] += a[kk + l] * x[kk + l];
    T sum = T(0);
    for (int l = 0; l < L; l++) sum += part[l];
    for (; kk < k; kk++) sum += a[kk] * x[kk];
    y[i * incy] = beta ? y[i * incy] + sum : sum;
  }
}

template <typename T>
static void axpy_portable(int64_t n, int64_t k, const T* __restrict x, int64_t incx, const T* __restrict B,
                          int64_t ldb, T* __restrict y, int64_t incy, bool beta) {
  constexpr int64_t J = 256;  // a column chunk whose partial sums stay in L1
  T acc[J];
  for (int64_t j0 = 0; j0 < n; j0 += J) {
    const int64_t nj = std::min(J, n - j0);
    for (int64_t j = 0; j < nj; j++) acc[j] = T(0);
    for (int64_t kk = 0; kk < k; kk++) {
      const T xv = x[kk * incx];
      const T* b = B + kk * ldb + j0;
      for (int64_t j = 0; j < nj; j++) acc[j] += xv * b[j];
    }
    for (int64_t j = 0; j < nj; j++) {
      T& d = y[(j0 + j) * incy];
      d = beta ? d + acc[j] : acc[j];
    }
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

// ---- AVX2 matrix-vector kernels -----------------------------------------------------------------------------
// Element-type traits so one template body serves float (8 lanes) and double (4 lanes).
struct AvxF32 {
  using T = float;
  using V = __m256;
  static constexpr int W = 8;
  TD_AVX2_INLINE static V zero() { return _mm256_setzero_ps(); }
  TD_AVX2_INLINE static V load(const T* p) { return _mm256_loadu_ps(p); }
  TD_AVX2_INLINE static void store(T* p, V v) { _mm256_storeu_ps(p, v); }
  TD_AVX2_INLINE static V set1(T v) { return _mm256_set1_ps(v); }
  TD_AVX2_INLINE static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  TD_AVX2_INLINE static V add(V a, V b) { return _mm256_add_ps(a, b); }
  TD_AVX2_INLINE static T hsum(V v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
};

struct AvxF64 {
  using T = double;
  using V = __m256d;
  static constexpr int W = 4;
  TD_AVX2_INLINE static V zero() { return _mm256_setzero_pd(); }
  TD_AVX2_INLINE static V load(const T* p) { return _mm256_loadu_pd(p); }
  TD_AVX2_INLINE static void store(T* p, V v) { _mm256_storeu_pd(p, v); }
  TD_AVX2_INLINE static V set1(T v) { return _mm256_set1_pd(v); }
  TD_AVX2_INLINE static V fma(V a, V b, V c) { return _mm256_fmadd_pd(a, b, c); }
  TD_AVX2_INLINE static V add(V a, V b) { return _mm256_add_pd(a, b); }
  TD_AVX2_INLINE static T hsum(V v) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
  }
};

// Dot products, four rows at a time (two vector accumulators per row hide the FMA latency).
template <class S>
TD_AVX2 static void dot_avx2(int64_t m, int64_t k, const typename S::T* __restrict A, int64_t lda,
                             const typename S::T* __restrict x, typename S::T* __restrict y, int64_t incy,
                             bool beta) {
  using T = typename S::T;
  using V = typename S::V;
  constexpr int W = S::W, R = 4;
  int64_t i = 0;
  for (; i < m; i += R) {
    const int rows = int(std::min<int64_t>(R, m - i));
    const T* a[R];
    for (int r = 0; r < R; r++) a[r] = A + (i + std::min(r, rows - 1)) * lda;  // repeat the last row
    V acc0[R], acc1[R];
    for (int r = 0; r < R; r++) acc0[r] = acc1[r] = S::zero();
    int64_t kk = 0;
    for (; kk + 2 * W <= k; kk += 2 * W) {
      const V x0 = S::load(x + kk), x1 = S::load(x + kk + W);
      for (int r = 0; r < R; r++) {
        acc0[r] = S::fma(S::load(a[r] + kk), x0, acc0[r]);
        acc1[r] = S::fma(S::load(a[r] + kk + W), x1, acc1[r]);
      }
    }
    for (int r = 0; r < rows; r++) {
      T sum = S::hsum(S::add(acc0[r], acc1[r]));
      for (int64_t t = kk; t < k; t++) sum += a[r][t] * x[t];
      T& d = y[(i + r) * incy];
      d = beta ? d + sum : sum;
    }
  }
}

// Row combinations: stream four rows of B at a time through a chunk of partial sums kept in L1.
template <class S>
TD_AVX2 static void axpy_avx2(int64_t n, int64_t k, const typename S::T* __restrict x, int64_t incx,
                              const typename S::T* __restrict B, int64_t ldb, typename S::T* __restrict y,
                              int64_t incy, bool beta) {
  using T = typename S::T;
  using V = typename S::V;
  constexpr int W = S::W;
  constexpr int64_t J = 8192 / sizeof(T);  // 8 KiB of partial sums
  alignas(32) T acc[J];
  for (int64_t j0 = 0; j0 < n; j0 += J) {
    const int64_t nj = std::min(J, n - j0), nv = nj / W * W;  // vector part, then a scalar tail
    const T* b = B + j0;
    for (int64_t j = 0; j < nj; j++) acc[j] = T(0);
    int64_t kk = 0;
    for (; kk + 4 <= k; kk += 4, b += 4 * ldb) {
      const T x0 = x[kk * incx], x1 = x[(kk + 1) * incx], x2 = x[(kk + 2) * incx], x3 = x[(kk + 3) * incx];
      const V v0 = S::set1(x0), v1 = S::set1(x1), v2 = S::set1(x2), v3 = S::set1(x3);
      const T *b0 = b, *b1 = b + ldb, *b2 = b + 2 * ldb, *b3 = b + 3 * ldb;
      for (int64_t j = 0; j < nv; j += W) {
        V a = S::fma(v0, S::load(b0 + j), S::load(acc + j));
        a = S::fma(v1, S::load(b1 + j), a);
        a = S::fma(v2, S::load(b2 + j), a);
        S::store(acc + j, S::fma(v3, S::load(b3 + j), a));
      }
      for (int64_t j = nv; j < nj; j++) acc[j] += x0 * b0[j] + x1 * b1[j] + x2 * b2[j] + x3 * b3[j];
    }
    for (; kk < k; kk++, b += ldb) {
      const T x0 = x[kk * incx];
      const V v0 = S::set1(x0);
      for (int64_t j = 0; j < nv; j += W) S::store(acc + j, S::fma(v0, S::load(b + j), S::load(acc + j)));
      for (int64_t j = nv; j < nj; j++) acc[j] += x0 * b[j];
    }
    for (int64_t j = 0; j < nj; j++) {
      T& d = y[(j0 + j) * incy];
      d = beta ? d + acc[j] : acc[j];
    }
  }
}

#undef TD_AVX2_INLINE
#undef TD_AVX2

#endif  // (whether this CPU can run them: cpu_has_avx2_fma() in cpu.h)

}  // namespace td::cpu::gemm_detail
