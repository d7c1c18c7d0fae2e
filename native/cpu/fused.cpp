// fused.cpp — CPU launchers of the fused diffusion kernels: the noise-level-weighted MSE losses
// (weighted_mse, sigmoid_elbo; math in native/kernels/fused_losses.h) and the CLD affine + noise step
// (cld_affine; math and noise layout in native/kernels/cld.h). One pass over memory each, OpenMP over
// fixed-size chunks (the chunking, never the thread count, fixes the summation order), and SIMD loops
// compiled twice: for the baseline ISA and, with a target attribute, for AVX2+FMA, picked at run time
// (like gemm.cpp; TD_FUSED_PORTABLE=1 forces the portable loops). No -mavx2 flag needed.
#include "fused.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "../kernels/cld.h"
#include "../kernels/fused_losses.h"
#include "cpu.h"

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#endif

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#define TD_FUSED_X86 1
#define TD_AVX2_FN __attribute__((target("avx2,fma")))
#else
#define TD_FUSED_X86 0
#define TD_AVX2_FN
#endif

namespace td::cpu {
namespace {

bool use_avx2() { return fused_avx2_enabled(); }

// ---- weighted MSE ---------------------------------------------------------------------------------
// One chunk of n elements of one sample: returns Σ m d² (double), writes g = gs m d when GRAD.
template <typename T, bool MASK, bool GRAD>
TD_FORCEINLINE double wmse_chunk_body(const T* __restrict p, const T* __restrict t, const T* __restrict m,
                                      T* __restrict g, int64_t n, T gs) {
  double acc = 0;
#pragma omp simd reduction(+ : acc)
  for (int64_t i = 0; i < n; i++) {
    T gi;
    acc += kern::wmse_element<T>(p[i], t[i], MASK ? m[i] : T(1), gs, gi);
    if (GRAD) g[i] = gi;
  }
  return acc;
}
template <typename T, bool MASK, bool GRAD>
double wmse_chunk_portable(const T* p, const T* t, const T* m, T* g, int64_t n, T gs) {
  return wmse_chunk_body<T, MASK, GRAD>(p, t, m, g, n, gs);
}
#if TD_FUSED_X86
template <typename T, bool MASK, bool GRAD>
TD_AVX2_FN double wmse_chunk_avx2(const T* p, const T* t, const T* m, T* g, int64_t n, T gs) {
  return wmse_chunk_body<T, MASK, GRAD>(p, t, m, g, n, gs);
}
#endif

#if TD_FUSED_X86
// float: explicit AVX2 loop. d and m·d in float, m·d·d accumulated in double lanes (the product of two
// floats is exact in double, so FMA or not gives the same bits), 4 independent accumulators; the
// gradient goes out with non-temporal stores (no read-for-ownership of the fresh gradient buffer)
// after a scalar head that aligns it to 32 bytes.
template <bool MASK, bool GRAD>
TD_AVX2_FN double wmse_f32_avx2(const float* __restrict p, const float* __restrict t, const float* __restrict m,
                                float* __restrict g, int64_t n, float gs) {
  double acc = 0;
  int64_t i = 0;
  if (GRAD && (reinterpret_cast<uintptr_t>(g) & 3) == 0) {
    const int64_t head = std::min<int64_t>(n, ((32 - (reinterpret_cast<uintptr_t>(g) & 31)) & 31) / 4);
    for (; i < head; i++) {
      float gi;
      acc += kern::wmse_element<float>(p[i], t[i], MASK ? m[i] : 1.0f, gs, gi);
      g[i] = gi;
    }
  }
  const bool nt = GRAD && (reinterpret_cast<uintptr_t>(g + i) & 31) == 0;
  const __m256 vg = _mm256_set1_ps(gs);
  __m256d a0 = _mm256_setzero_pd(), a1 = a0, a2 = a0, a3 = a0;
#define TD_WMSE_STEP(j, x0, x1)                                                                         \
  do {                                                                                                  \
    const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(p + (j)), _mm256_loadu_ps(t + (j)));                 \
    const __m256 md = MASK ? _mm256_mul_ps(_mm256_loadu_ps(m + (j)), d) : d;                            \
    if (GRAD) {                                                                                         \
      const __m256 gv = _mm256_mul_ps(vg, md);                                                          \
      if (nt) _mm256_stream_ps(g + (j), gv);                                                            \
      else _mm256_storeu_ps(g + (j), gv);                                                               \
    }                                                                                                   \
    x0 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(md)), _mm256_cvtps_pd(_mm256_castps256_ps128(d)), x0); \
    x1 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(md, 1)), _mm256_cvtps_pd(_mm256_extractf128_ps(d, 1)), x1); \
  } while (0)
  for (; i + 16 <= n; i += 16) {
    TD_WMSE_STEP(i, a0, a1);
    TD_WMSE_STEP(i + 8, a2, a3);
  }
  for (; i + 8 <= n; i += 8) TD_WMSE_STEP(i, a0, a1);
#undef TD_WMSE_STEP
  for (; i < n; i++) {
    float gi;
    acc += kern::wmse_element<float>(p[i], t[i], MASK ? m[i] : 1.0f, gs, gi);
    if (GRAD) g[i] = gi;
  }
  if (nt) _mm_sfence();
  const __m256d s4 = _mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3));
  alignas(32) double l[4];
  _mm256_store_pd(l, s4);
  return ((l[0] + l[1]) + (l[2] + l[3])) + acc;
}
#endif

template <typename T>
using WmseChunkFn = double (*)(const T*, const T*, const T*, T*, int64_t, T);

template <typename T, bool MASK, bool GRAD>
WmseChunkFn<T> pick_wmse() {
#if TD_FUSED_X86
  if (use_avx2()) {
    if constexpr (std::is_same_v<T, float>) return &wmse_f32_avx2<MASK, GRAD>;
    return &wmse_chunk_avx2<T, MASK, GRAD>;
  }
#endif
  return &wmse_chunk_portable<T, MASK, GRAD>;
}

template <typename T>
double wmse_run(const View& pred, const View& target, const View* mask, const double* omega, bool mean,
                const View* grad, const View& per_sample) {
  const int64_t B = pred.shape[0], N = pred.numel();
  const int64_t n = B > 0 ? N / B : 0;
  const int64_t C = kern::kFusedChunk;
  const int64_t cps = (n + C - 1) / C;  // chunks per sample
  const int64_t tasks = B * cps;
  std::vector<double> part(static_cast<size_t>(tasks), 0.0);
  std::vector<T> gs(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; b++) gs[b] = static_cast<T>(kern::wmse_grad_scale(omega[b], B, mean));
  const WmseChunkFn<T> fn = mask ? (grad ? pick_wmse<T, true, true>() : pick_wmse<T, true, false>())
                                 : (grad ? pick_wmse<T, false, true>() : pick_wmse<T, false, false>());
  const T* p = pred.ptr<T>();
  const T* t = target.ptr<T>();
  const T* m = mask ? mask->ptr<T>() : nullptr;
  T* g = grad ? grad->ptr<T>() : nullptr;
  double* pp = part.data();
  const T* gsp = gs.data();
  parallel_for(tasks, worth_parallel(N, 2) && tasks > 1, [&](int64_t k) {
    const int64_t b = k / cps, c = k % cps;
    const int64_t i0 = b * n + c * C;
    const int64_t len = std::min(C, n - c * C);
    pp[k] = fn(p + i0, t + i0, m ? m + i0 : nullptr, g ? g + i0 : nullptr, len, gsp[b]);
  });
  T* ps = per_sample.ptr<T>();
  double loss = 0;
  for (int64_t b = 0; b < B; b++) {
    double s = 0;
    for (int64_t c = 0; c < cps; c++) s += pp[b * cps + c];
    const double wl = omega[b] * s;
    ps[b] = static_cast<T>(wl);
    loss += wl;
  }
  return mean ? loss / static_cast<double>(B) : loss;
}

double wmse_dispatch(const View& pred, const View& target, const View* mask, const double* omega, bool mean,
                     const View* grad, const View& per_sample) {
  if (pred.ndim < 1 || pred.shape[0] < 1) throw std::invalid_argument("fused loss: pred needs a batch dim B >= 1");
  switch (pred.dtype) {
    case F32: return wmse_run<float>(pred, target, mask, omega, mean, grad, per_sample);
    case F64: return wmse_run<double>(pred, target, mask, omega, mean, grad, per_sample);
    default: throw std::invalid_argument("fused loss: float32 or float64 tensors expected");
  }
}

double read_scalar(const View& v, int64_t i) {
  return v.dtype == F64 ? v.ptr<double>()[i] : v.dtype == F32 ? v.ptr<float>()[i] : v.ptr<int32_t>()[i];
}

// ---- CLD affine -----------------------------------------------------------------------------------
// One chunk of n elements starting at flat index i0 (pointers already advanced to i0).
template <typename T, bool HAS_S, bool NOISE, bool RET>
TD_FORCEINLINE void cld_chunk_body(const T* __restrict c, const T* __restrict x, const T* __restrict v,
                                   const T* __restrict s, T* __restrict ox, T* __restrict ov, T* __restrict ex,
                                   T* __restrict ev, int64_t i0, int64_t n, uint64_t seed, uint64_t off) {
  T cc[kern::CLD_NCOEF];
  for (int j = 0; j < kern::CLD_NCOEF; j++) cc[j] = c[j];
#pragma omp simd
  for (int64_t i = 0; i < n; i++) {
    T zx = T(0), zv = T(0);
    if (NOISE) kern::cld_noise(seed, off, static_cast<uint64_t>(i0 + i), zx, zv);
    T a, b;
    kern::cld_affine_element<T>(cc, x[i], v[i], HAS_S ? s[i] : T(0), zx, zv, a, b);
    ox[i] = a;
    ov[i] = b;
    if (RET) {
      ex[i] = zx;
      ev[i] = zv;
    }
  }
}

// float with in-kernel noise (portable): tiles of kTile elements in three SIMD passes, (1) Philox, one
// block per element pair (cld.h), + polar form (l = r², cos θ, sin θ) of both elements into L1 tiles
// indexed from the tile's first pair (an odd first element sits at index 1), (2) r = sqrt(l) with
// packed IEEE square roots (bit-identical to sqrtf), (3) the affine map. Same numbers as
// cld_chunk_body with cld_noise.
constexpr int64_t kTile = 512;
void sqrt_tile(float* l, int64_t n) {
#if TD_FUSED_X86
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(l + i, _mm_sqrt_ps(_mm_loadu_ps(l + i)));
  for (; i < n; i++) _mm_store_ss(l + i, _mm_sqrt_ss(_mm_load_ss(l + i)));
#else
  for (int64_t i = 0; i < n; i++) l[i] = sqrtf(l[i]);
#endif
}
template <bool HAS_S, bool RET>
TD_FORCEINLINE void cld_chunk_f32_noise(const float* __restrict c, const float* __restrict x,
                                        const float* __restrict v, const float* __restrict s,
                                        float* __restrict ox, float* __restrict ov, float* __restrict ex,
                                        float* __restrict ev, int64_t i0, int64_t n, uint64_t seed, uint64_t off) {
  alignas(64) float tl[kTile + 2], tc[kTile + 2], ts[kTile + 2];
  const float cc[kern::CLD_NCOEF] = {c[kern::CLD_M00], c[kern::CLD_M01], c[kern::CLD_M02],
                                     c[kern::CLD_M10], c[kern::CLD_M11], c[kern::CLD_M12],
                                     c[kern::CLD_L11], c[kern::CLD_L21], c[kern::CLD_L22]};
  for (int64_t t0 = 0; t0 < n; t0 += kTile) {
    const int64_t len = std::min(kTile, n - t0);
    const uint64_t base = static_cast<uint64_t>(i0 + t0);
    const int64_t shift = static_cast<int64_t>(base & 1u);  // index of element `base` in the tiles
    const int64_t pairs = (shift + len + 1) / 2;
    const uint64_t p0 = base >> 1;
#pragma omp simd
    for (int64_t k = 0; k < pairs; k++) {
      const kern::Philox4 w = kern::philox_block_unrolled(seed, off, p0 + static_cast<uint64_t>(k));
      kern::cld_polar_f32(w.v[0], w.v[1], tl[2 * k], tc[2 * k], ts[2 * k]);
      kern::cld_polar_f32(w.v[2], w.v[3], tl[2 * k + 1], tc[2 * k + 1], ts[2 * k + 1]);
    }
    sqrt_tile(tl + shift, len);
#pragma omp simd
    for (int64_t i = 0; i < len; i++) {
      const int64_t j = t0 + i, q = shift + i;
      const float zx = tl[q] * tc[q], zv = tl[q] * ts[q];
      float a, b;
      kern::cld_affine_element<float>(cc, x[j], v[j], HAS_S ? s[j] : 0.0f, zx, zv, a, b);
      ox[j] = a;
      ov[j] = b;
      if (RET) {
        ex[j] = zx;
        ev[j] = zv;
      }
    }
  }
}

#if TD_FUSED_X86
// ---- CLD noise, AVX2 ------------------------------------------------------------------------------
// float with in-kernel noise on AVX2+FMA, 16 elements (8 Philox blocks, all four words used: even
// elements take (w0, w1), odd ones (w2, w3), cld.h) per group, software-pipelined: the Philox rounds of
// the next group (split form, two chains; bound by the 32x32->64 multiplier port) are interleaved with
// the Box–Muller of this group (td_log polynomial, quarter-turn reduction + Cephes sincos polynomials,
// packed IEEE sqrt: the operations of cld_polar_f32, with the polynomials contracted into FMAs, the
// last-bit freedom cld.h allows, as on CUDA) and its affine map (order of cld_affine_element). Every
// element of this path goes through the same vector code (a partial group at the head or tail runs on
// a zero-padded stack copy), so the noise depends only on the flat index, never on chunking or thread
// count. Outputs use non-temporal stores when 32-byte aligned. 5.4 -> 2.8 ns/element on one core of
// the dev machine (bench/fused.ts: 16M elements, 2 threads, 48.5 -> see README).

TD_AVX2_FN TD_FORCEINLINE void store8_avx2(bool nt, float* p, __m256 a) {
  if (nt) _mm256_stream_ps(p, a);
  else _mm256_storeu_ps(p, a);
}

// Loop invariants: round keys and upper counter words (each in the low half of 64-bit lanes) and the
// nine coefficients.
struct CldAvx2Consts {
  __m256i K0[10], K1[10], C2, C3;
  __m256 m00, m01, m02, m10, m11, m12, l11, l21, l22;
};

// Philox 4x32-10 on the 8 blocks base .. base+7, one round at a time (so that the rounds of the next
// group can be interleaved with the Box–Muller of this one; see cld_f32_noise_avx2). Split form: each
// 32-bit word lives in the low half of a 64-bit lane (upper halves are don't-care: _mm256_mul_epu32
// reads only the low halves, and they never reach the output), so a round is mul, shift, xor, xor
// with no repacking; chain e holds blocks base+0,2,4,6, chain o base+1,3,5,7. The counter's upper
// word is taken per lane, so a group may cross a 2^32 block boundary.
struct Philox8State {
  __m256i e0, e1, e2, e3, o0, o1, o2, o3;
};
TD_AVX2_FN TD_FORCEINLINE void philox8_init(const CldAvx2Consts& k, uint64_t base, Philox8State& p) {
  const int64_t b = static_cast<int64_t>(base);
  p.e0 = _mm256_setr_epi64x(b, b + 2, b + 4, b + 6);
  p.o0 = _mm256_setr_epi64x(b + 1, b + 3, b + 5, b + 7);
  p.e1 = _mm256_srli_epi64(p.e0, 32);
  p.o1 = _mm256_srli_epi64(p.o0, 32);
  p.e2 = p.o2 = k.C2;
  p.e3 = p.o3 = k.C3;
}
TD_AVX2_FN TD_FORCEINLINE void philox8_round(const CldAvx2Consts& k, int r, Philox8State& p) {
  const __m256i M0 = _mm256_set1_epi64x(kern::kPhiloxM0), M1 = _mm256_set1_epi64x(kern::kPhiloxM1);
  const __m256i pe0 = _mm256_mul_epu32(p.e0, M0), pe1 = _mm256_mul_epu32(p.e2, M1);
  const __m256i po0 = _mm256_mul_epu32(p.o0, M0), po1 = _mm256_mul_epu32(p.o2, M1);
  p.e0 = _mm256_xor_si256(_mm256_srli_epi64(pe1, 32), _mm256_xor_si256(p.e1, k.K0[r]));
  p.e2 = _mm256_xor_si256(_mm256_srli_epi64(pe0, 32), _mm256_xor_si256(p.e3, k.K1[r]));
  p.o0 = _mm256_xor_si256(_mm256_srli_epi64(po1, 32), _mm256_xor_si256(p.o1, k.K0[r]));
  p.o2 = _mm256_xor_si256(_mm256_srli_epi64(po0, 32), _mm256_xor_si256(p.o3, k.K1[r]));
  p.e1 = pe1;
  p.e3 = pe0;
  p.o1 = po1;
  p.o3 = po0;
}
// Back to 8 x 32-bit lanes in block order (lane j = block base + j): even blocks in the low halves,
// odd ones shifted up.
TD_AVX2_FN TD_FORCEINLINE void philox8_pack(const Philox8State& p, __m256i w[4]) {
  w[0] = _mm256_blend_epi32(p.e0, _mm256_slli_epi64(p.o0, 32), 0xAA);
  w[1] = _mm256_blend_epi32(p.e1, _mm256_slli_epi64(p.o1, 32), 0xAA);
  w[2] = _mm256_blend_epi32(p.e2, _mm256_slli_epi64(p.o2, 32), 0xAA);
  w[3] = _mm256_blend_epi32(p.e3, _mm256_slli_epi64(p.o3, 32), 0xAA);
}
TD_AVX2_FN TD_FORCEINLINE void philox8_full(const CldAvx2Consts& k, uint64_t base, __m256i w[4]) {
  Philox8State p;
  philox8_init(k, base, p);
  for (int r = 0; r < 10; r++) philox8_round(k, r, p);
  philox8_pack(p, w);
}

TD_AVX2_FN TD_FORCEINLINE __m256 flip_sign_avx2(__m256 x, __m256i bit2, int shift) {
  // bit2: a lane mask with bit 1 set where the sign flips; shifted up to bit 31
  return _mm256_castsi256_ps(_mm256_xor_si256(_mm256_castps_si256(x), _mm256_slli_epi32(bit2, shift)));
}

// cld_normal_pair_f32 on 8 lanes of words (wa, wb), in two parts: the radius r from wa ...
TD_AVX2_FN TD_FORCEINLINE __m256 bm_radius_avx2(__m256i wa) {
  // l = max(0, -2 td_log(u1)), u1 = ((wa >> 8) + 1) 2^-24 in [2^-24, 1] (normal, finite, > 0)
  const __m256 u1 = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(_mm256_srli_epi32(wa, 8), _mm256_set1_epi32(1))),
                                  _mm256_set1_ps(5.9604644775390625e-8f));
  const __m256i b = _mm256_castps_si256(u1);
  __m256i e = _mm256_sub_epi32(_mm256_srli_epi32(b, 23), _mm256_set1_epi32(126));  // sign bit is 0
  __m256 mm = _mm256_castsi256_ps(
      _mm256_or_si256(_mm256_and_si256(b, _mm256_set1_epi32(0x007fffff)), _mm256_set1_epi32(0x3f000000)));
  const __m256 lo = _mm256_cmp_ps(mm, _mm256_set1_ps(0.707106781186547524f), _CMP_LT_OQ);
  e = _mm256_add_epi32(e, _mm256_castps_si256(lo));  // lo lanes are -1
  mm = _mm256_sub_ps(_mm256_blendv_ps(mm, _mm256_add_ps(mm, mm), lo), _mm256_set1_ps(1.0f));
  const __m256 z = _mm256_mul_ps(mm, mm);
  __m256 y = _mm256_set1_ps(7.0376836292e-2f);
  y = _mm256_fmadd_ps(y, mm, _mm256_set1_ps(-1.1514610310e-1f));
  y = _mm256_fmadd_ps(y, mm, _mm256_set1_ps(1.1676998740e-1f));
  y = _mm256_fmadd_ps(y, mm, _mm256_set1_ps(-1.2420140846e-1f));
  y = _mm256_fmadd_ps(y, mm, _mm256_set1_ps(1.4249322787e-1f));
  y = _mm256_fmadd_ps(y, mm, _mm256_set1_ps(-1.6668057665e-1f));
  y = _mm256_fmadd_ps(y, mm, _mm256_set1_ps(2.0000714765e-1f));
  y = _mm256_fmadd_ps(y, mm, _mm256_set1_ps(-2.4999993993e-1f));
  y = _mm256_fmadd_ps(y, mm, _mm256_set1_ps(3.3333331174e-1f));
  y = _mm256_mul_ps(_mm256_mul_ps(y, mm), z);
  const __m256 fe = _mm256_cvtepi32_ps(e);
  y = _mm256_fmadd_ps(_mm256_set1_ps(-2.12194440e-4f), fe, y);
  y = _mm256_fmadd_ps(_mm256_set1_ps(-0.5f), z, y);
  const __m256 lg = _mm256_fmadd_ps(_mm256_set1_ps(0.693359375f), fe, _mm256_add_ps(mm, y));
  const __m256 l = _mm256_max_ps(_mm256_mul_ps(_mm256_set1_ps(-2.0f), lg), _mm256_setzero_ps());
  return _mm256_sqrt_ps(l);
}
// ... and (cos θ, sin θ) from wb: quarter-turn reduction and the Cephes polynomials.
TD_AVX2_FN TD_FORCEINLINE void bm_angle_avx2(__m256i wb, __m256& ct, __m256& st) {
  const __m256i q = _mm256_srli_epi32(wb, 8);
  const __m256i k = _mm256_srli_epi32(_mm256_add_epi32(q, _mm256_set1_epi32(1 << 21)), 22);
  const __m256i f = _mm256_sub_epi32(q, _mm256_slli_epi32(k, 22));
  const __m256 phi = _mm256_mul_ps(_mm256_cvtepi32_ps(f), _mm256_set1_ps(3.7450702829239286e-7f));
  const __m256 zz = _mm256_mul_ps(phi, phi);
  __m256 sp = _mm256_fmadd_ps(_mm256_set1_ps(-1.9515295891e-4f), zz, _mm256_set1_ps(8.3321608736e-3f));
  sp = _mm256_fmsub_ps(sp, zz, _mm256_set1_ps(1.6666654611e-1f));
  sp = _mm256_fmadd_ps(_mm256_mul_ps(sp, zz), phi, phi);
  __m256 cp = _mm256_fmsub_ps(_mm256_set1_ps(2.443315711809948e-5f), zz, _mm256_set1_ps(1.388731625493765e-3f));
  cp = _mm256_fmadd_ps(cp, zz, _mm256_set1_ps(4.166664568298827e-2f));
  cp = _mm256_mul_ps(_mm256_mul_ps(cp, zz), zz);
  cp = _mm256_add_ps(_mm256_fnmadd_ps(_mm256_set1_ps(0.5f), zz, cp), _mm256_set1_ps(1.0f));
  const __m256 swap = _mm256_castsi256_ps(_mm256_sub_epi32(_mm256_setzero_si256(), _mm256_and_si256(k, _mm256_set1_epi32(1))));
  const __m256 c0f = _mm256_blendv_ps(cp, sp, swap), s0f = _mm256_blendv_ps(sp, cp, swap);
  const __m256i two = _mm256_set1_epi32(2);
  ct = flip_sign_avx2(c0f, _mm256_and_si256(_mm256_add_epi32(k, _mm256_set1_epi32(1)), two), 30);
  st = flip_sign_avx2(s0f, _mm256_and_si256(k, two), 30);
}

// The affine map of 8 elements (order of cld_affine_element).
template <bool HAS_S, bool RET>
TD_AVX2_FN TD_FORCEINLINE void affine8_avx2(const CldAvx2Consts& k, const float* x, const float* v, const float* s,
                                            float* ox, float* ov, float* ex, float* ev, __m256 zx, __m256 zv, bool nt) {
  const __m256 xv = _mm256_loadu_ps(x), vv = _mm256_loadu_ps(v);
  const __m256 sv = HAS_S ? _mm256_loadu_ps(s) : _mm256_setzero_ps();
  __m256 a = _mm256_add_ps(_mm256_mul_ps(k.m00, xv), _mm256_mul_ps(k.m01, vv));
  a = _mm256_add_ps(a, _mm256_mul_ps(k.m02, sv));
  a = _mm256_add_ps(a, _mm256_mul_ps(k.l11, zx));
  __m256 bb = _mm256_add_ps(_mm256_mul_ps(k.m10, xv), _mm256_mul_ps(k.m11, vv));
  bb = _mm256_add_ps(bb, _mm256_mul_ps(k.m12, sv));
  bb = _mm256_add_ps(bb, _mm256_mul_ps(k.l21, zx));
  bb = _mm256_add_ps(bb, _mm256_mul_ps(k.l22, zv));
  store8_avx2(nt, ox, a);
  store8_avx2(nt, ov, bb);
  if (RET) {
    store8_avx2(nt, ex, zx);
    store8_avx2(nt, ev, zv);
  }
}

// One group of 16 elements (x .. x+15) from the words w of its 8 blocks, while the rounds of Philox for
// the next group (blocks nb .. nb+7) run interleaved, and its words replace w. The multiplier port
// bounds Philox; Box–Muller and the affine map use the other ports: in one instruction stream, the
// out-of-order core overlaps the two (a whole group is too long for it to reach ahead by itself).
template <bool HAS_S, bool RET>
TD_AVX2_FN TD_FORCEINLINE void cld_group16_avx2(const CldAvx2Consts& k, __m256i w[4], uint64_t nb,
                                                const float* __restrict x, const float* __restrict v,
                                                const float* __restrict s, float* __restrict ox,
                                                float* __restrict ov, float* __restrict ex, float* __restrict ev,
                                                bool nt) {
  Philox8State p;
  philox8_init(k, nb, p);
  philox8_round(k, 0, p);
  const __m256 re = bm_radius_avx2(w[0]);  // lane j: element 2j (even) from words (w0, w1) ...
  philox8_round(k, 1, p);
  __m256 cte, ste;
  bm_angle_avx2(w[1], cte, ste);
  philox8_round(k, 2, p);
  const __m256 ro = bm_radius_avx2(w[2]);  // ... element 2j + 1 (odd) from words (w2, w3)
  philox8_round(k, 3, p);
  __m256 cto, sto;
  bm_angle_avx2(w[3], cto, sto);
  philox8_round(k, 4, p);
  const __m256 zxe = _mm256_mul_ps(re, cte), zve = _mm256_mul_ps(re, ste);
  const __m256 zxo = _mm256_mul_ps(ro, cto), zvo = _mm256_mul_ps(ro, sto);
  const __m256 xl = _mm256_unpacklo_ps(zxe, zxo), xh = _mm256_unpackhi_ps(zxe, zxo);
  const __m256 vl = _mm256_unpacklo_ps(zve, zvo), vh = _mm256_unpackhi_ps(zve, zvo);
  philox8_round(k, 5, p);
  affine8_avx2<HAS_S, RET>(k, x, v, HAS_S ? s : nullptr, ox, ov, ex, ev, _mm256_permute2f128_ps(xl, xh, 0x20),
                           _mm256_permute2f128_ps(vl, vh, 0x20), nt);
  philox8_round(k, 6, p);
  affine8_avx2<HAS_S, RET>(k, x + 8, v + 8, HAS_S ? s + 8 : nullptr, ox + 8, ov + 8, RET ? ex + 8 : nullptr,
                           RET ? ev + 8 : nullptr, _mm256_permute2f128_ps(xl, xh, 0x31),
                           _mm256_permute2f128_ps(vl, vh, 0x31), nt);
  philox8_round(k, 7, p);
  philox8_round(k, 8, p);
  philox8_round(k, 9, p);
  philox8_pack(p, w);
}

// A partial group: cnt elements starting at lane `lane0` of the group whose lane 0 is flat index 2·blk,
// run on zero-padded stack copies.
template <bool HAS_S, bool RET>
TD_AVX2_FN void cld_partial16_avx2(const CldAvx2Consts& k, uint64_t blk, int lane0, int cnt, const float* x,
                                   const float* v, const float* s, float* ox, float* ov, float* ex, float* ev) {
  alignas(32) float bx[16] = {}, bv[16] = {}, bs[16] = {}, rx[16], rv[16], rex[16], rev[16];
  for (int j = 0; j < cnt; j++) {
    bx[lane0 + j] = x[j];
    bv[lane0 + j] = v[j];
    if (HAS_S) bs[lane0 + j] = s[j];
  }
  __m256i w[4];
  philox8_full(k, blk, w);
  cld_group16_avx2<HAS_S, RET>(k, w, blk, bx, bv, bs, rx, rv, rex, rev, false);
  for (int j = 0; j < cnt; j++) {
    ox[j] = rx[lane0 + j];
    ov[j] = rv[lane0 + j];
    if (RET) {
      ex[j] = rex[lane0 + j];
      ev[j] = rev[lane0 + j];
    }
  }
}

template <bool HAS_S, bool RET>
TD_AVX2_FN void cld_f32_noise_avx2(const float* __restrict c, const float* __restrict x, const float* __restrict v,
                                   const float* __restrict s, float* __restrict ox, float* __restrict ov,
                                   float* __restrict ex, float* __restrict ev, int64_t i0, int64_t n, uint64_t seed,
                                   uint64_t off) {
  CldAvx2Consts k;
  const uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (uint32_t r = 0; r < 10; r++) {
    k.K0[r] = _mm256_set1_epi64x(static_cast<uint32_t>(k0 + r * kern::kPhiloxW0));
    k.K1[r] = _mm256_set1_epi64x(static_cast<uint32_t>(k1 + r * kern::kPhiloxW1));
  }
  k.C2 = _mm256_set1_epi64x(static_cast<uint32_t>(off));
  k.C3 = _mm256_set1_epi64x(static_cast<uint32_t>(off >> 32));
  k.m00 = _mm256_set1_ps(c[kern::CLD_M00]);
  k.m01 = _mm256_set1_ps(c[kern::CLD_M01]);
  k.m02 = _mm256_set1_ps(c[kern::CLD_M02]);
  k.m10 = _mm256_set1_ps(c[kern::CLD_M10]);
  k.m11 = _mm256_set1_ps(c[kern::CLD_M11]);
  k.m12 = _mm256_set1_ps(c[kern::CLD_M12]);
  k.l11 = _mm256_set1_ps(c[kern::CLD_L11]);
  k.l21 = _mm256_set1_ps(c[kern::CLD_L21]);
  k.l22 = _mm256_set1_ps(c[kern::CLD_L22]);
  int64_t i = 0;
  if (n > 0 && (i0 & 1) != 0) {  // odd start: lanes 1.. of the group that starts one element earlier
    const int cnt = static_cast<int>(std::min<int64_t>(n, 15));
    cld_partial16_avx2<HAS_S, RET>(k, static_cast<uint64_t>(i0 - 1) >> 1, 1, cnt, x, v, HAS_S ? s : nullptr, ox, ov,
                                   RET ? ex : nullptr, RET ? ev : nullptr);
    i = cnt;
  }
  const bool nt = ((reinterpret_cast<uintptr_t>(ox + i) | reinterpret_cast<uintptr_t>(ov + i) |
                    (RET ? (reinterpret_cast<uintptr_t>(ex + i) | reinterpret_cast<uintptr_t>(ev + i)) : 0)) & 31) == 0;
  if (i + 16 <= n) {
    __m256i w[4];
    philox8_full(k, static_cast<uint64_t>(i0 + i) >> 1, w);  // the pipeline's first group
    for (; i + 16 <= n; i += 16)
      cld_group16_avx2<HAS_S, RET>(k, w, (static_cast<uint64_t>(i0 + i) >> 1) + 8, x + i, v + i,
                                   HAS_S ? s + i : nullptr, ox + i, ov + i, RET ? ex + i : nullptr,
                                   RET ? ev + i : nullptr, nt);
  }
  if (i < n)
    cld_partial16_avx2<HAS_S, RET>(k, static_cast<uint64_t>(i0 + i) >> 1, 0, static_cast<int>(n - i), x + i, v + i,
                                   HAS_S ? s + i : nullptr, ox + i, ov + i, RET ? ex + i : nullptr,
                                   RET ? ev + i : nullptr);
  if (nt) _mm_sfence();
}
#endif

template <typename T>
using CldChunkFn = void (*)(const T*, const T*, const T*, const T*, T*, T*, T*, T*, int64_t, int64_t, uint64_t,
                            uint64_t);

template <typename T, bool HAS_S, bool NOISE, bool RET>
void cld_chunk_portable(const T* c, const T* x, const T* v, const T* s, T* ox, T* ov, T* ex, T* ev, int64_t i0,
                        int64_t n, uint64_t seed, uint64_t off) {
  if constexpr (NOISE && std::is_same_v<T, float>)
    cld_chunk_f32_noise<HAS_S, RET>(c, x, v, s, ox, ov, ex, ev, i0, n, seed, off);
  else
    cld_chunk_body<T, HAS_S, NOISE, RET>(c, x, v, s, ox, ov, ex, ev, i0, n, seed, off);
}
#if TD_FUSED_X86
template <typename T, bool HAS_S, bool NOISE, bool RET>
TD_AVX2_FN void cld_chunk_avx2(const T* c, const T* x, const T* v, const T* s, T* ox, T* ov, T* ex, T* ev,
                               int64_t i0, int64_t n, uint64_t seed, uint64_t off) {
  if constexpr (NOISE && std::is_same_v<T, float>)
    cld_f32_noise_avx2<HAS_S, RET>(c, x, v, s, ox, ov, ex, ev, i0, n, seed, off);
  else
    cld_chunk_body<T, HAS_S, NOISE, RET>(c, x, v, s, ox, ov, ex, ev, i0, n, seed, off);
}
#endif

template <typename T, bool HAS_S, bool NOISE, bool RET>
CldChunkFn<T> pick_cld3() {
#if TD_FUSED_X86
  if (use_avx2()) return &cld_chunk_avx2<T, HAS_S, NOISE, RET>;
#endif
  return &cld_chunk_portable<T, HAS_S, NOISE, RET>;
}
template <typename T, bool HAS_S>
CldChunkFn<T> pick_cld2(bool noise, bool ret) {
  if (noise) return ret ? pick_cld3<T, HAS_S, true, true>() : pick_cld3<T, HAS_S, true, false>();
  return ret ? pick_cld3<T, HAS_S, false, true>() : pick_cld3<T, HAS_S, false, false>();
}

template <typename T>
void cld_run(const View& out_x, const View& out_v, const View* eps_x, const View* eps_v, const View& x,
             const View& v, const View* s, const View& coef, uint64_t seed, uint64_t offset, bool noise) {
  const int64_t N = x.numel();
  const bool per_sample = coef.ndim == 2;
  const int64_t B = x.ndim >= 1 ? x.shape[0] : 1;
  const int64_t groups = per_sample ? B : 1;  // coefficient groups (samples, or one for shared)
  const int64_t n = groups > 0 ? N / groups : 0;
  const double* cd = coef.ptr<double>();
  std::vector<T> cc(static_cast<size_t>(groups * kern::CLD_NCOEF));
  for (size_t j = 0; j < cc.size(); j++) cc[j] = static_cast<T>(cd[j]);
  const bool ret = eps_x != nullptr;
  const CldChunkFn<T> fn = s ? pick_cld2<T, true>(noise, ret) : pick_cld2<T, false>(noise, ret);
  constexpr int64_t C = 8192;
  const int64_t cpg = (n + C - 1) / C;
  const int64_t tasks = groups * cpg;
  const T *px = x.ptr<T>(), *pv = v.ptr<T>(), *ps = s ? s->ptr<T>() : nullptr;
  T *pox = out_x.ptr<T>(), *pov = out_v.ptr<T>();
  T *pex = ret ? eps_x->ptr<T>() : nullptr, *pev = ret ? eps_v->ptr<T>() : nullptr;
  const T* pc = cc.data();
  parallel_for(tasks, worth_parallel(N, noise ? 16 : 2) && tasks > 1, [&](int64_t k) {
    const int64_t g = k / cpg, c = k % cpg;
    const int64_t i0 = g * n + c * C;
    const int64_t len = std::min(C, n - c * C);
    fn(pc + g * kern::CLD_NCOEF, px + i0, pv + i0, ps ? ps + i0 : nullptr, pox + i0, pov + i0,
       pex ? pex + i0 : nullptr, pev ? pev + i0 : nullptr, i0, len, seed, offset);
  });
}

}  // namespace

double weighted_mse(const View& pred, const View& target, const View* mask, const double* omega, bool mean,
                    const View* grad, const View& per_sample) {
  return wmse_dispatch(pred, target, mask, omega, mean, grad, per_sample);
}

double sigmoid_elbo(const View& pred, const View& target, const View* mask, const View& logsnr,
                    const View& dlogsnr, double bias, int param, int weighting, bool mean, const View* grad,
                    const View& per_sample) {
  if (param < kern::ELBO_EPS || param > kern::ELBO_V) throw std::invalid_argument("sigmoidElbo: unknown parameterization code");
  if (weighting < kern::ELBO_W_SIGMOID || weighting > kern::ELBO_W_ELBO)
    throw std::invalid_argument("sigmoidElbo: unknown weighting code");
  const int64_t B = pred.ndim >= 1 ? pred.shape[0] : 0;
  std::vector<double> omega(static_cast<size_t>(std::max<int64_t>(B, 0)));
  for (int64_t b = 0; b < B; b++)
    omega[b] = kern::elbo_weight(read_scalar(logsnr, b), read_scalar(dlogsnr, b), bias, param, weighting);
  return wmse_dispatch(pred, target, mask, omega.data(), mean, grad, per_sample);
}

void cld_affine(const View& out_x, const View& out_v, const View* eps_x, const View* eps_v, const View& x,
                const View& v, const View* s, const View& coef, uint64_t seed, uint64_t offset, bool noise) {
  if ((eps_x == nullptr) != (eps_v == nullptr)) throw std::invalid_argument("cldAffine: eps_x and eps_v go together");
  switch (x.dtype) {
    case F32: return cld_run<float>(out_x, out_v, eps_x, eps_v, x, v, s, coef, seed, offset, noise);
    case F64: return cld_run<double>(out_x, out_v, eps_x, eps_v, x, v, s, coef, seed, offset, noise);
    default: throw std::invalid_argument("cldAffine: float32 or float64 tensors expected");
  }
}

const char* fused_kernel_name() { return use_avx2() ? "avx2-fma" : "portable"; }

}  // namespace td::cpu
