// cld.h — the one definition of the math of the fused CLD kernel `cldAffine` (spec:
// /work/shared/specs/cld.md, "The fused kernel"): everything between two network evaluations of
// CLD (perturbation, SSCS's S + A(h) + A(h′), Euler–Maruyama, the final denoising step) is
//
//   out_x = m00 x + m01 v + m02 s + l11 ξx
//   out_v = m10 x + m11 v + m12 s + l21 ξx + l22 ξv
//
// x, v, s, out_x, out_v, ξx, ξv: [B, ...] contiguous, one dtype T (float or double). The nine
// coefficients (m00, m01, m02, m10, m11, m12, l11, l21, l22) are float64 on the host, shared by all
// samples or given per sample, and cast to T before the loop; the arithmetic runs in T, in the
// order written above (left to right; CUDA may contract into FMAs: a last-bit difference).
//
// ===== Noise layout (the cross-backend contract) =================================================
// Element i (flat index over the whole [B, ...] tensor) draws counter block i of Philox 4x32-10 with
// key = seed and the 64-bit `offset` as the upper counter words, exactly as native random()
// (native/kernels/philox.h: philox_block(seed, offset, i)), giving words w0..w3. Then:
//   F64: (ξx, ξv) = box_muller_f64(w) of philox.h: u1 = u53open(w0, w1) ∈ (0, 1], u2 = u53(w2, w3),
//        r = sqrt(−2 log u1), θ = 2π u2, ξx = r cos θ, ξv = r sin θ (C library log/sqrt/sin/cos).
//   F32: one block serves two elements: element i draws block i >> 1 (not i) and takes its words
//        (w0, w1) when i is even, (w2, w3) when i is odd (as randn's float lanes pair the words);
//        below, (w0, w1) names that pair. A branch-free Box–Muller that vectorises:
//        u1 = ((w0 >> 8) + 1) · 2^-24 ∈ (0, 1],  r = sqrtf(max(0, −2 · td_log(u1)))  (td_log: the
//          float polynomial log of native/kernels/elementwise.h);
//        q = w1 >> 8 (24 bits, θ = 2π q / 2^24), k = (q + 2^21) >> 22 ∈ {0..4} (nearest quarter
//          turn), f = q − k·2^22 ∈ [−2^21, 2^21) (exact integers), φ = float(f) · (π/2 / 2^22)
//          ∈ [−π/4, π/4]; sφ, cφ by the Cephes sinf / cosf polynomials below; then by k mod 4:
//          (cos θ, sin θ) = (cφ, sφ), (−sφ, cφ), (−cφ, −sφ), (sφ, −cφ);
//        ξx = r · cos θ, ξv = r · sin θ.
// So one seed gives the same noise on every backend (up to libm / FMA last bits: the CPU's AVX2 path
// contracts the polynomials into FMAs, as CUDA does; the portable CPU path does not).
// ================================================================================================
#pragma once
#include <cmath>
#include <cstdint>
#include "common.h"
#include "elementwise.h"
#include "philox.h"

namespace td::kern {

// Coefficient indices in the [9] / [B, 9] coefficient tensor.
enum CldCoef : int { CLD_M00 = 0, CLD_M01, CLD_M02, CLD_M10, CLD_M11, CLD_M12, CLD_L11, CLD_L21, CLD_L22, CLD_NCOEF };

// sin and cos of φ ∈ [−π/4, π/4] (Cephes sinf / cosf minimax polynomials, ~1 ulp).
TD_FORCEINLINE void sincos_quarter_f32(float p, float& s, float& c) {
  const float z = p * p;
  s = ((-1.9515295891e-4f * z + 8.3321608736e-3f) * z - 1.6666654611e-1f) * z * p + p;
  c = ((2.443315711809948e-5f * z - 1.388731625493765e-3f) * z + 4.166664568298827e-2f) * z * z - 0.5f * z + 1.0f;
}

// Flip the sign of x when flip is true (bitwise, branch-free).
TD_FORCEINLINE float flip_sign_f32(float x, bool flip) {
  return float_from_bits(float_bits(x) ^ (static_cast<uint32_t>(flip) << 31));
}

// The polar form of the float pair from words (w0, w1) (layout above): l = r², (cos θ, sin θ).
// Split from the square root so that CPU loops can take the root in a separate SIMD pass (a C sqrtf
// inside a loop carries an errno branch that stops GCC from vectorising it).
TD_FORCEINLINE void cld_polar_f32(uint32_t w0, uint32_t w1, float& l, float& ct, float& st) {
  const float u1 = static_cast<float>((w0 >> 8) + 1u) * 5.9604644775390625e-8f;
  const float l0 = -2.0f * td_log(u1);
  l = select_bits(l0 > 0.0f, l0, 0.0f);
  const uint32_t q = w1 >> 8;
  const uint32_t k = (q + (1u << 21)) >> 22;
  const int32_t f = static_cast<int32_t>(q) - static_cast<int32_t>(k << 22);
  const float phi = static_cast<float>(f) * 3.7450702829239286e-7f;  // (π/2) / 2^22
  float sp, cp;
  sincos_quarter_f32(phi, sp, cp);
  const bool swap = (k & 1u) != 0;
  const float c0 = select_bits(swap, sp, cp), s0 = select_bits(swap, cp, sp);
  ct = flip_sign_f32(c0, ((k + 1u) & 2u) != 0);  // k = 1, 2: cos θ < 0 side
  st = flip_sign_f32(s0, (k & 2u) != 0);         // k = 2, 3
}

// The float pair (ξx, ξv) = (r cos θ, r sin θ) from words (w0, w1) (layout above).
TD_FORCEINLINE void cld_normal_pair_f32(uint32_t w0, uint32_t w1, float& zx, float& zv) {
  float l, ct, st;
  cld_polar_f32(w0, w1, l, ct, st);
  const float r = sqrtf(l);
  zx = r * ct;
  zv = r * st;
}

// philox_block(seed, offset, block) of philox.h with the ten rounds written out (no loop, no branch),
// so that a SIMD loop over blocks vectorises. Bit-identical to philox_block.
TD_FORCEINLINE Philox4 philox_block_unrolled(uint64_t seed, uint64_t offset, uint64_t block) {
  uint32_t c[4] = {static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), static_cast<uint32_t>(offset),
                   static_cast<uint32_t>(offset >> 32)};
  const uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
#define TD_PHILOX_R(r) philox_round(c, k0 + (r) * kPhiloxW0, k1 + (r) * kPhiloxW1)
  TD_PHILOX_R(0u); TD_PHILOX_R(1u); TD_PHILOX_R(2u); TD_PHILOX_R(3u); TD_PHILOX_R(4u);
  TD_PHILOX_R(5u); TD_PHILOX_R(6u); TD_PHILOX_R(7u); TD_PHILOX_R(8u); TD_PHILOX_R(9u);
#undef TD_PHILOX_R
  return Philox4{{c[0], c[1], c[2], c[3]}};
}

// The noise pair of flat element i, in float and double (layout above).
TD_FORCEINLINE void cld_noise(uint64_t seed, uint64_t offset, uint64_t i, float& zx, float& zv) {
  const Philox4 w = philox_block_unrolled(seed, offset, i >> 1);
  const bool odd = (i & 1u) != 0;
  cld_normal_pair_f32(odd ? w.v[2] : w.v[0], odd ? w.v[3] : w.v[1], zx, zv);
}
// The float noise of both elements of pair p (flat elements 2p and 2p + 1), from one block.
TD_FORCEINLINE void cld_noise_pair(uint64_t seed, uint64_t offset, uint64_t p, float zx[2], float zv[2]) {
  const Philox4 w = philox_block_unrolled(seed, offset, p);
  cld_normal_pair_f32(w.v[0], w.v[1], zx[0], zv[0]);
  cld_normal_pair_f32(w.v[2], w.v[3], zx[1], zv[1]);
}
TD_FORCEINLINE void cld_noise(uint64_t seed, uint64_t offset, uint64_t i, double& zx, double& zv) {
  const Philox4 w = philox_block(seed, offset, i);
  box_muller_f64(w, zx, zv);
}

// The affine map of one element; c = the nine coefficients already cast to T.
template <typename T>
TD_FORCEINLINE void cld_affine_element(const T* c, T x, T v, T s, T zx, T zv, T& ox, T& ov) {
  ox = c[CLD_M00] * x + c[CLD_M01] * v + c[CLD_M02] * s + c[CLD_L11] * zx;
  ov = c[CLD_M10] * x + c[CLD_M11] * v + c[CLD_M12] * s + c[CLD_L21] * zx + c[CLD_L22] * zv;
}

}  // namespace td::kern
