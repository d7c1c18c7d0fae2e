// optim_avx2.cpp — the AVX2 chunk loops of the fused Adam kernel. The whole translation unit is compiled
// for AVX2+FMA (target pragma before every include, so kern::adam_update is instantiated for AVX2 too),
// and optim.cpp calls it only after a CPUID check. The math is adam.h's adam_update, instantiated with
// 8-float / 4-double vector wrappers (anonymous namespace: internal linkage, nothing here can replace a
// baseline-ISA copy at link time); the tail of a chunk uses masked loads and stores, so no scalar
// instantiation is compiled here either.
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#pragma GCC diagnostic ignored "-Wpsabi"
#include <immintrin.h>

#include "optim_simd.h"

namespace td::cpu::optim_simd {
namespace {

struct F8 {
  __m256 x;
};
inline F8 operator+(F8 a, F8 b) { return {_mm256_add_ps(a.x, b.x)}; }
inline F8 operator-(F8 a, F8 b) { return {_mm256_sub_ps(a.x, b.x)}; }
inline F8 operator*(F8 a, F8 b) { return {_mm256_mul_ps(a.x, b.x)}; }
inline F8 operator/(F8 a, F8 b) { return {_mm256_div_ps(a.x, b.x)}; }
inline F8 adam_sqrt(F8 a) { return {_mm256_sqrt_ps(a.x)}; }
inline F8 adam_max(F8 a, F8 b) { return {_mm256_max_ps(a.x, b.x)}; }  // b when either is NaN

struct D4 {
  __m256d x;
};
inline D4 operator+(D4 a, D4 b) { return {_mm256_add_pd(a.x, b.x)}; }
inline D4 operator-(D4 a, D4 b) { return {_mm256_sub_pd(a.x, b.x)}; }
inline D4 operator*(D4 a, D4 b) { return {_mm256_mul_pd(a.x, b.x)}; }
inline D4 operator/(D4 a, D4 b) { return {_mm256_div_pd(a.x, b.x)}; }
inline D4 adam_sqrt(D4 a) { return {_mm256_sqrt_pd(a.x)}; }
inline D4 adam_max(D4 a, D4 b) { return {_mm256_max_pd(a.x, b.x)}; }

// Per-type load/store/broadcast (full and masked).
struct OpsF {
  using V = F8;
  using T = float;
  static constexpr int W = 8;
  static V set1(T a) { return {_mm256_set1_ps(a)}; }
  static V load(const T* p) { return {_mm256_loadu_ps(p)}; }
  static void store(T* p, V a) { _mm256_storeu_ps(p, a.x); }
  static __m256i mask(int64_t k) {  // lanes < k
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(k)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static V mload(const T* p, __m256i m) { return {_mm256_maskload_ps(p, m)}; }
  static void mstore(T* p, __m256i m, V a) { _mm256_maskstore_ps(p, m, a.x); }
};
struct OpsD {
  using V = D4;
  using T = double;
  static constexpr int W = 4;
  static V set1(T a) { return {_mm256_set1_pd(a)}; }
  static V load(const T* p) { return {_mm256_loadu_pd(p)}; }
  static void store(T* p, V a) { _mm256_storeu_pd(p, a.x); }
  static __m256i mask(int64_t k) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x(k), _mm256_setr_epi64x(0, 1, 2, 3));
  }
  static V mload(const T* p, __m256i m) { return {_mm256_maskload_pd(p, m)}; }
  static void mstore(T* p, __m256i m, V a) { _mm256_maskstore_pd(p, m, a.x); }
};

template <typename O, bool L2, bool DECAY, bool AMS>
void adam_chunk(typename O::T* p, const typename O::T* g, typename O::T* m, typename O::T* v, typename O::T* vmax,
                int64_t n, const kern::AdamCoef<typename O::T>& c) {
  using V = typename O::V;
  const kern::AdamCoef<V> cv{O::set1(c.beta1), O::set1(c.omb1), O::set1(c.beta2), O::set1(c.omb2), O::set1(c.eps),
                             O::set1(c.l2),    O::set1(c.decay), O::set1(c.step_size), O::set1(c.sqrt_bc2)};
  int64_t i = 0;
  for (; i + O::W <= n; i += O::W) {
    V P = O::load(p + i), M = O::load(m + i), Vv = O::load(v + i), X = AMS ? O::load(vmax + i) : V{};
    kern::adam_update<V, L2, DECAY, AMS>(cv, P, O::load(g + i), M, Vv, X);
    O::store(p + i, P);
    O::store(m + i, M);
    O::store(v + i, Vv);
    if (AMS) O::store(vmax + i, X);
  }
  if (i < n) {
    const __m256i k = O::mask(n - i);
    V P = O::mload(p + i, k), M = O::mload(m + i, k), Vv = O::mload(v + i, k), X = AMS ? O::mload(vmax + i, k) : V{};
    kern::adam_update<V, L2, DECAY, AMS>(cv, P, O::mload(g + i, k), M, Vv, X);
    O::mstore(p + i, k, P);
    O::mstore(m + i, k, M);
    O::mstore(v + i, k, Vv);
    if (AMS) O::mstore(vmax + i, k, X);
  }
}

template <typename O>
AdamChunkFn<typename O::T> pick(bool l2, bool decay, bool ams) {
  const int k = (l2 ? 4 : 0) | (decay ? 2 : 0) | (ams ? 1 : 0);
  switch (k) {
    case 0: return &adam_chunk<O, false, false, false>;
    case 1: return &adam_chunk<O, false, false, true>;
    case 2: return &adam_chunk<O, false, true, false>;
    case 3: return &adam_chunk<O, false, true, true>;
    case 4: return &adam_chunk<O, true, false, false>;
    case 5: return &adam_chunk<O, true, false, true>;
    case 6: return &adam_chunk<O, true, true, false>;
    default: return &adam_chunk<O, true, true, true>;
  }
}

}  // namespace

AdamChunkFn<float> adam_avx2_f32(bool l2, bool decay, bool ams) { return pick<OpsF>(l2, decay, ams); }
AdamChunkFn<double> adam_avx2_f64(bool l2, bool decay, bool ams) { return pick<OpsD>(l2, decay, ams); }

}  // namespace td::cpu::optim_simd
#pragma GCC pop_options

#else
#include "optim_simd.h"
namespace td::cpu::optim_simd {
AdamChunkFn<float> adam_avx2_f32(bool, bool, bool) { return nullptr; }
AdamChunkFn<double> adam_avx2_f64(bool, bool, bool) { return nullptr; }
}  // namespace td::cpu::optim_simd
#endif
