// philox.h — the Philox 4x32-10 counter-based generator (Salmon et al., "Parallel random numbers: as easy
// as 1, 2, 3", SC 2011) and the conversions from its output words to uniform / normal / integer samples.
// Shared by the CPU backend (native/cpu/random.cpp) and the CUDA backend, which must produce the same
// numbers bit for bit (only libm differences in log/sin/cos, i.e. in normal samples, are tolerated).
//
// ===== Stream layout (the cross-backend contract) ================================================
// key     = { seed & 0xffffffff, seed >> 32 }
// counter = { block & 0xffffffff, block >> 32, offset & 0xffffffff, offset >> 32 }
// Philox 4x32-10 maps (counter, key) to four 32-bit words w[0..3]. Element i of a contiguous output uses
// block = i / per_block and lane = i % per_block (per_block = 4 for F32 and I32, 2 for F64), where:
//
//  uniform [a, b) (float dtypes)
//    u32(w)     = (w >> 8) * 2^-24                  in [0, 1)
//    u53(lo,hi) = ((hi << 32 | lo) >> 11) * 2^-53   in [0, 1)
//    F32: lane k: u = u32(w[k])       F64: lane k: u = u53(w[2k], w[2k+1])
//    value = a + (b - a) * u, evaluated in double without FMA contraction, then rounded to the dtype.
//
//  normal (mean a, std b), Box-Muller
//    F32: lanes (0,1) come from (w[0], w[1]) and lanes (2,3) from (w[2], w[3]):
//         u1 = ((w[2j] >> 8) + 1) * 2^-24 in (0, 1]      u2 = u32(w[2j+1]) in [0, 1)
//         r = sqrtf(-2 logf(u1)), th = 2pi * u2 (float), lane 2j = r cosf(th), lane 2j+1 = r sinf(th)
//         value = float(a) + float(b) * z in float (no FMA contraction).
//    F64: u1 = (((w[1]<<32 | w[0]) >> 11) + 1) * 2^-53 in (0, 1], u2 = u53(w[2], w[3]) in [0, 1)
//         r = sqrt(-2 log(u1)), th = 2pi * u2, lane 0 = r cos(th), lane 1 = r sin(th)
//         value = a + b * z in double (no FMA contraction).
//
//  integers uniform in [a, b), any dtype: lo = ceil(a), n = ceil(b) - ceil(a) (the integers in [a, b);
//    the caller checks n >= 1 and that the range fits the dtype)
//    F32 / I32 (n <= 2^32): lane k: value = lo + ((uint64(w[k]) * n) >> 32)
//    F64 (n < 2^63):        lane k: value = lo + high64(x * n), x = w[2k+1]<<32 | w[2k] (128-bit product)
//    (exact integer arithmetic; F32 values are exact while |value| <= 2^24)
//
// Backends should build these samples from the helpers below (philox_block, uniform_*, box_muller_*,
// uniform_scale, mul_add_rn, uniform_int*) rather than re-deriving them: the helpers already pin the
// rounding (explicit _rn intrinsics under nvcc, which otherwise contracts a*b+c into an FMA).
// ================================================================================================
#pragma once
#include <cmath>
#include <cstdint>
#include "common.h"

namespace td::kern {

struct Philox4 {
  uint32_t v[4];
};

constexpr uint32_t kPhiloxM0 = 0xD2511F53u, kPhiloxM1 = 0xCD9E8D57u;  // round multipliers
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u, kPhiloxW1 = 0xBB67AE85u;  // Weyl key increments

// One Philox round: two 32x32->64 multiplies, xor with the key, word permutation.
TD_FORCEINLINE void philox_round(uint32_t c[4], uint32_t k0, uint32_t k1) {
  const uint64_t p0 = static_cast<uint64_t>(kPhiloxM0) * c[0];
  const uint64_t p1 = static_cast<uint64_t>(kPhiloxM1) * c[2];
  const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
  const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
  const uint32_t n0 = hi1 ^ c[1] ^ k0, n2 = hi0 ^ c[3] ^ k1;
  c[0] = n0;
  c[1] = lo1;
  c[2] = n2;
  c[3] = lo0;
}

// Philox 4x32 with 10 rounds on an explicit counter and key (the Random123 reference function).
TD_HD Philox4 philox4x32_10(const uint32_t ctr[4], const uint32_t key[2]) {
  uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
  uint32_t k0 = key[0], k1 = key[1];
  for (int r = 0; r < 10; r++) {
    if (r > 0) {
      k0 += kPhiloxW0;
      k1 += kPhiloxW1;
    }
    philox_round(c, k0, k1);
  }
  return Philox4{{c[0], c[1], c[2], c[3]}};
}

// The block of 4 words for (seed, offset, block) under the layout documented above.
TD_HD Philox4 philox_block(uint64_t seed, uint64_t offset, uint64_t block) {
  const uint32_t ctr[4] = {static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32),
                           static_cast<uint32_t>(offset), static_cast<uint32_t>(offset >> 32)};
  const uint32_t key[2] = {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
  return philox4x32_10(ctr, key);
}

// ---- word -> uniform ------------------------------------------------------------------------------
// float in [0, 1): the top 24 bits of w.
TD_HD float uniform_f32(uint32_t w) { return static_cast<float>(w >> 8) * 5.9604644775390625e-8f; }
// float in (0, 1]: never 0 (the log argument of Box-Muller).
TD_HD float uniform_f32_open0(uint32_t w) {
  return static_cast<float>((w >> 8) + 1u) * 5.9604644775390625e-8f;
}
// double in [0, 1) from 53 bits of (hi:lo).
TD_HD double uniform_f64(uint32_t lo, uint32_t hi) {
  const uint64_t x = (static_cast<uint64_t>(hi) << 32) | lo;
  return static_cast<double>(x >> 11) * 1.1102230246251565404e-16;
}
// double in (0, 1].
TD_HD double uniform_f64_open0(uint32_t lo, uint32_t hi) {
  const uint64_t x = (static_cast<uint64_t>(hi) << 32) | lo;
  return static_cast<double>((x >> 11) + 1u) * 1.1102230246251565404e-16;
}

// ---- arithmetic without FMA contraction (nvcc contracts a*b+c by default; g++ does not for x86-64) --
TD_FORCEINLINE double mul_add_rn(double a, double b, double c) {  // c + a*b, two roundings
#if defined(__CUDA_ARCH__)
  return __dadd_rn(c, __dmul_rn(a, b));
#else
  return c + a * b;
#endif
}
TD_FORCEINLINE float mul_add_rn(float a, float b, float c) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(c, __fmul_rn(a, b));
#else
  return c + a * b;
#endif
}

// ---- samples ----------------------------------------------------------------------------------------
// Uniform [a, b) for an already drawn u in [0, 1): a + (b - a) * u in double.
TD_HD double uniform_scale(double u, double a, double b) { return mul_add_rn(b - a, u, a); }

// Box-Muller in float: (u1, u2) -> (r cos th, r sin th).
TD_HD void box_muller_f32(uint32_t w1, uint32_t w2, float& z0, float& z1) {
  const float u1 = uniform_f32_open0(w1), u2 = uniform_f32(w2);
  const float r = sqrtf(-2.0f * logf(u1));
  const float th = 6.28318530717958647692f * u2;
  z0 = r * cosf(th);
  z1 = r * sinf(th);
}
// Box-Muller in double from the four words of one block.
TD_HD void box_muller_f64(const Philox4& w, double& z0, double& z1) {
  const double u1 = uniform_f64_open0(w.v[0], w.v[1]), u2 = uniform_f64(w.v[2], w.v[3]);
  const double r = sqrt(-2.0 * log(u1));
  const double th = 6.28318530717958647692 * u2;
  z0 = r * cos(th);
  z1 = r * sin(th);
}

// Integer in [lo, lo + n) from one word (n <= 2^32), multiply-shift.
TD_HD int64_t uniform_int32w(uint32_t w, int64_t lo, uint64_t n) {
  return lo + static_cast<int64_t>((static_cast<uint64_t>(w) * n) >> 32);
}
// Integer in [lo, lo + n) from two words (n < 2^63): the high 64 bits of the 128-bit product x*n.
TD_HD int64_t uniform_int64w(uint32_t wlo, uint32_t whi, int64_t lo, uint64_t n) {
  const uint64_t x = (static_cast<uint64_t>(whi) << 32) | wlo;
#if defined(__CUDA_ARCH__)
  const uint64_t h = __umul64hi(x, n);
#else
  __extension__ typedef unsigned __int128 u128;
  const uint64_t h = static_cast<uint64_t>((static_cast<u128>(x) * n) >> 64);
#endif
  return lo + static_cast<int64_t>(h);
}

}  // namespace td::kern
