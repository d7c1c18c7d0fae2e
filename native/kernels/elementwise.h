// elementwise.h — the per-element math of every unary and binary op in native/cpu/cpu.h.
// This is the ONE definition of each op's math: the CPU loops (native/cpu/elementwise.cpp) and the CUDA
// kernels both call these functions, so the backends agree on edge cases (NaN, infinities, int wrap).
//
// Conventions
//  * Ops are templates over the compute type T (float or double). Integer tensors (I32): IDENTITY NEG ABS
//    RELU SIGN SQUARE ADD SUB MUL MAXIMUM MINIMUM RELU_BWD and the comparisons are computed on int32_t
//    (the int32_t overloads at the end wrap modulo 2^32, like Int32Array); every other op is computed in
//    double and stored back with saturate_i32() (so integer DIV truncates toward zero).
//  * Scalar parameters (p0, p1 of the unary ops) are converted to T by the caller before the call, like
//    PyTorch's "wrapped number" rule (x_f32 > 0.1 compares against 0.1f).
//  * Comparisons return bool; the caller stores 1.0f / 0.0f.
//  * float exp, log, log1p, tanh and erf use the branch-free polynomials below (~1-2 ulp) so that the CPU
//    loops auto-vectorise (and the GPU computes the same thing); the rest calls the C math library
//    (sqrtf, sinf, powf, ...), which nvcc maps to its device versions. No std:: containers here.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include "common.h"

namespace td::kern {

// ---- bit casts ---------------------------------------------------------------------------------
TD_FORCEINLINE uint32_t float_bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
#endif
}
TD_FORCEINLINE float float_from_bits(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
#endif
}

// c ? a : b as a bit-mask blend. Used inside the float polynomials: with plain ?: GCC turns some selects
// into branches (it specialises the constant-input paths) and the loops stop vectorising.
TD_FORCEINLINE float select_bits(bool c, float a, float b) {
  const uint32_t m = 0u - static_cast<uint32_t>(c);
  return float_from_bits((float_bits(a) & m) | (float_bits(b) & ~m));
}

// ---- conversions ---------------------------------------------------------------------------------
// double -> int32: truncate toward zero, NaN -> 0, out-of-range values saturate. Used by cast() and by
// every I32 op computed in double.
TD_FORCEINLINE int32_t saturate_i32(double v) {
  return v != v ? 0
       : v >= 2147483647.0 ? 2147483647
       : v <= -2147483648.0 ? (-2147483647 - 1)
       : static_cast<int32_t>(v);
}

// ---- math primitives (overloaded on float / double) ----------------------------------------------
// exp(x) for float: n = round(x/ln2), r = x - n*ln2 (two-part ln2), exp(r) by a degree-6 polynomial
// (Cephes expf), times 2^n applied as two factors 2^(n/2) * 2^(n-n/2) so that overflow gives inf and
// results below FLT_MIN come out as correctly scaled denormals. Max error ~1 ulp. Written without
// branches or float->int conversions (NaN flows through the arithmetic) so that loops vectorise.
TD_FORCEINLINE float td_exp(float x) {
  float xc = select_bits(x < -104.0f, -104.0f, x);  // exp(-104) rounds to 0; NaN passes through
  xc = select_bits(xc > 89.0f, 89.0f, xc);          // exp(89) overflows to inf
  // n = round(xc * log2(e)) with the 1.5*2^23 trick: the low mantissa bits of t + 1.5*2^23 hold n.
  const float t = xc * 1.44269504088896341f + 12582912.0f;
  const float n = t - 12582912.0f;
  const int32_t ni = static_cast<int32_t>(float_bits(t) - 0x4B400000u);  // in [-150, 128]
  const float r = (xc - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const int32_t n1 = ni >> 1, n2 = ni - n1;  // each in [-75, 64]: 2^n1, 2^n2 are normal floats
  const float s1 = float_from_bits(static_cast<uint32_t>(n1 + 127) << 23);
  const float s2 = float_from_bits(static_cast<uint32_t>(n2 + 127) << 23);
  return (p * s1) * s2;
}
TD_FORCEINLINE double td_exp(double x) { return exp(x); }

// tanh(x) for float: odd polynomial for |x| < 0.625 (Cephes tanhf), else 1 - 2/(exp(2|x|)+1) with the
// sign of x. Both branches are evaluated and selected so the loop vectorises. Max error ~2 ulp.
TD_FORCEINLINE float td_tanh(float x) {
  const float a = fabsf(x);
  const float z = x * x;
  const float small =
      ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z + 1.33314422036e-1f) * z -
       3.33332819422e-1f) * z * x + x;
  const float big = 1.0f - 2.0f / (td_exp(2.0f * a) + 1.0f);  // 1 for large |x|, NaN for NaN
  const float big_signed = float_from_bits(float_bits(big) | (float_bits(x) & 0x80000000u));
  return select_bits(a < 0.625f, small, big_signed);
}
TD_FORCEINLINE double td_tanh(double x) { return tanh(x); }

// log(x) for float (Cephes logf): x = m 2^e with m in [sqrt(1/2), sqrt(2)), log(m) by a degree-9 polynomial
// in m-1, plus e*ln2 in two parts. Denormals are pre-scaled by 2^23; 0 -> -inf, inf -> inf, x < 0 or NaN
// -> NaN. Branch-free; max error ~1 ulp.
TD_FORCEINLINE float td_log(float x) {
  const bool den = x < 1.17549435e-38f;  // also true for 0 and negatives, which are fixed up below
  const float xs = select_bits(den, x * 8388608.0f, x);
  const uint32_t b = float_bits(xs);
  int32_t e = static_cast<int32_t>((b >> 23) & 0xffu) - 126 - 23 * static_cast<int32_t>(den);
  float m = float_from_bits((b & 0x007fffffu) | 0x3f000000u);  // in [0.5, 1)
  const bool lo = m < 0.707106781186547524f;
  e -= static_cast<int32_t>(lo);
  m = select_bits(lo, m + m, m) - 1.0f;
  const float z = m * m;
  float y = 7.0376836292e-2f;
  y = y * m - 1.1514610310e-1f;
  y = y * m + 1.1676998740e-1f;
  y = y * m - 1.2420140846e-1f;
  y = y * m + 1.4249322787e-1f;
  y = y * m - 1.6668057665e-1f;
  y = y * m + 2.0000714765e-1f;
  y = y * m - 2.4999993993e-1f;
  y = y * m + 3.3333331174e-1f;
  y = y * m * z;
  const float fe = static_cast<float>(e);
  y += -2.12194440e-4f * fe;
  y += -0.5f * z;
  float r = (m + y) + 0.693359375f * fe;
  r = select_bits(x == 0.0f, -HUGE_VALF, r);
  r = select_bits(x == HUGE_VALF, HUGE_VALF, r);
  return select_bits((x < 0.0f) | (x != x), NAN, r);
}
TD_FORCEINLINE double td_log(double x) { return log(x); }
// log1p(x) for float: log(u) * x / (u - 1) with u = 1 + x (Goldberg), which cancels the rounding of u.
TD_FORCEINLINE float td_log1p(float x) {
  const float u = 1.0f + x;
  const float r = td_log(u) * (x / (u - 1.0f));
  return select_bits(u == 1.0f, x, select_bits(u == HUGE_VALF, u, r));
}
TD_FORCEINLINE double td_log1p(double x) { return log1p(x); }
TD_FORCEINLINE float td_expm1(float x) { return expm1f(x); }
TD_FORCEINLINE double td_expm1(double x) { return expm1(x); }
TD_FORCEINLINE float td_sqrt(float x) { return sqrtf(x); }
TD_FORCEINLINE double td_sqrt(double x) { return sqrt(x); }
TD_FORCEINLINE float td_sin(float x) { return sinf(x); }
TD_FORCEINLINE double td_sin(double x) { return sin(x); }
TD_FORCEINLINE float td_cos(float x) { return cosf(x); }
TD_FORCEINLINE double td_cos(double x) { return cos(x); }

// erf for float. |x| < 1: x * P(x^2) (degree 5 in x^2). |x| >= 1: 1 - erfc(|x|) with the sign of x, where
// erfc(a) = exp(-a^2) * Q(1 / (1 + a/2)) (degree 8). P and Q are relative-error minimax fits made for this
// file; max error ~2 ulp for erf, and erfc keeps ~1e-6 relative accuracy down to underflow (used by the
// normal CDF below so GELU is accurate in its negative tail).
TD_FORCEINLINE float erf_small(float x) {  // |x| < 1
  const float z = x * x;
  float p = -5.660199677e-04f;
  p = p * z + 4.924801644e-03f;
  p = p * z - 2.671771869e-02f;
  p = p * z + 1.128041223e-01f;
  p = p * z - 3.761235476e-01f;
  p = p * z + 1.128379107e+00f;
  return x * p;
}
TD_FORCEINLINE float erfc_big(float a) {  // a >= 1
  const float t = 1.0f / (1.0f + 0.5f * a);
  float q = 8.089078963e-02f;
  q = q * t - 1.850393265e-01f;
  q = q * t + 2.505839430e-02f;
  q = q * t + 1.053441390e-01f;
  q = q * t + 1.580406576e-01f;
  q = q * t + 2.529675663e-01f;
  q = q * t + 2.809907496e-01f;
  q = q * t + 2.821994126e-01f;
  q = q * t - 4.103527317e-06f;
  return td_exp(-a * a) * q;
}
TD_FORCEINLINE float td_erf(float x) {
  const float a = fabsf(x);
  const float big = 1.0f - erfc_big(a);
  const float big_signed = float_from_bits(float_bits(big) | (float_bits(x) & 0x80000000u));
  return select_bits(a < 1.0f, erf_small(x), big_signed);
}
TD_FORCEINLINE double td_erf(double x) { return erf(x); }

// Standard normal CDF Phi(x) = (1 + erf(x/sqrt2)) / 2, via erfc in the tails (no cancellation for x < 0).
TD_FORCEINLINE float td_normal_cdf(float x) {
  const float z = x * 0.70710678118654752f;
  const float a = fabsf(z);
  const float c = 0.5f * erfc_big(a);  // Phi(-|x|)
  const float tail = select_bits(x < 0.0f, c, 1.0f - c);
  return select_bits(a < 1.0f, 0.5f + 0.5f * erf_small(z), tail);
}
TD_FORCEINLINE double td_normal_cdf(double x) { return 0.5 * erfc(-x * 0.70710678118654752440); }
TD_FORCEINLINE float td_pow(float x, float y) { return powf(x, y); }
TD_FORCEINLINE double td_pow(double x, double y) { return pow(x, y); }
TD_FORCEINLINE float td_fabs(float x) { return fabsf(x); }
TD_FORCEINLINE double td_fabs(double x) { return fabs(x); }

// ---- constants -------------------------------------------------------------------------------------
constexpr double kSqrt1_2 = 0.70710678118654752440;     // 1/sqrt(2)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;  // 1/sqrt(2*pi)
constexpr double kSqrt2_Pi = 0.79788456080286535588;    // sqrt(2/pi)
constexpr double kGeluC = 0.044715;                     // cubic coefficient of the tanh GELU

// ---- unary ops (UnaryOp in cpu.h) -----------------------------------------------------------------
template <typename T> TD_HD T op_identity(T x) { return x; }
template <typename T> TD_HD T op_neg(T x) { return -x; }
template <typename T> TD_HD T op_exp(T x) { return td_exp(x); }
template <typename T> TD_HD T op_log(T x) { return td_log(x); }
template <typename T> TD_HD T op_log1p(T x) { return td_log1p(x); }
template <typename T> TD_HD T op_sqrt(T x) { return td_sqrt(x); }
template <typename T> TD_HD T op_rsqrt(T x) { return T(1) / td_sqrt(x); }
template <typename T> TD_HD T op_abs(T x) { return td_fabs(x); }
template <typename T> TD_HD T op_sin(T x) { return td_sin(x); }
template <typename T> TD_HD T op_cos(T x) { return td_cos(x); }
template <typename T> TD_HD T op_tanh(T x) { return td_tanh(x); }
template <typename T> TD_HD T op_sigmoid(T x) { return T(1) / (T(1) + td_exp(-x)); }
template <typename T> TD_HD T op_relu(T x) { return x < T(0) ? T(0) : x; }  // NaN stays NaN
// GELU (erf form): x * Phi(x) = 0.5 x (1 + erf(x / sqrt2)).
template <typename T> TD_HD T op_gelu(T x) { return x * td_normal_cdf(x); }
// GELU (tanh approximation): 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3), evaluated as the
// identical x * sigmoid(2u), which avoids the cancellation in 1 + tanh(u) for negative x.
template <typename T> TD_HD T gelu_tanh_2u(T x) { return T(2 * kSqrt2_Pi) * (x + T(kGeluC) * x * x * x); }
template <typename T> TD_HD T op_gelu_tanh(T x) { return x / (T(1) + td_exp(-gelu_tanh_2u(x))); }
template <typename T> TD_HD T op_silu(T x) { return x / (T(1) + td_exp(-x)); }
// softplus = log(1 + e^x), computed stably as max(x, 0) + log1p(e^-|x|).
template <typename T> TD_HD T op_softplus(T x) {
  return (x > T(0) ? x : T(0)) + td_log1p(td_exp(-td_fabs(x)));
}
template <typename T> TD_HD T op_erf(T x) { return td_erf(x); }
// sign: 1, -1, or x itself for +-0 and NaN.
template <typename T> TD_HD T op_sign(T x) { return x > T(0) ? T(1) : (x < T(0) ? T(-1) : x); }
template <typename T> TD_HD T op_square(T x) { return x * x; }
template <typename T> TD_HD T op_reciprocal(T x) { return T(1) / x; }
template <typename T> TD_HD T op_expm1(T x) { return td_expm1(x); }
// clamp to [lo, hi]; a NaN bound means "no bound"; a NaN x stays NaN.
template <typename T> TD_HD T op_clamp(T x, T lo, T hi) {
  x = x < lo ? lo : x;
  return x > hi ? hi : x;
}
template <typename T> TD_HD T op_pow(T x, T y) { return td_pow(x, y); }
template <typename T> TD_HD T op_rsub(T x, T p) { return p - x; }
template <typename T> TD_HD T op_rdiv(T x, T p) { return p / x; }
template <typename T> TD_HD T op_rpow(T x, T p) { return td_pow(p, x); }
// 1 where lo <= x <= hi (NaN bound = unbounded): the gradient mask of clamp.
template <typename T> TD_HD bool op_clamp_mask(T x, T lo, T hi) {
  return (lo != lo || lo <= x) && (hi != hi || x <= hi);
}

// ---- binary ops (BinaryOp in cpu.h) ---------------------------------------------------------------
template <typename T> TD_HD T op_add(T a, T b) { return a + b; }
template <typename T> TD_HD T op_sub(T a, T b) { return a - b; }
template <typename T> TD_HD T op_mul(T a, T b) { return a * b; }
template <typename T> TD_HD T op_div(T a, T b) { return a / b; }
// maximum / minimum propagate NaN from either side.
template <typename T> TD_HD T op_maximum(T a, T b) { return (a != a || a > b) ? a : b; }
template <typename T> TD_HD T op_minimum(T a, T b) { return (a != a || a < b) ? a : b; }
template <typename T> TD_HD bool op_gt(T a, T b) { return a > b; }
template <typename T> TD_HD bool op_ge(T a, T b) { return a >= b; }
template <typename T> TD_HD bool op_lt(T a, T b) { return a < b; }
template <typename T> TD_HD bool op_le(T a, T b) { return a <= b; }
template <typename T> TD_HD bool op_eq(T a, T b) { return a == b; }
template <typename T> TD_HD bool op_ne(T a, T b) { return a != b; }

// Backward ops: x = forward input (or y = forward output), g = incoming gradient.
template <typename T> TD_HD T op_relu_bwd(T x, T g) { return x > T(0) ? g : T(0); }
template <typename T> TD_HD T op_sigmoid_bwd_y(T y, T g) { return g * y * (T(1) - y); }
template <typename T> TD_HD T op_tanh_bwd_y(T y, T g) { return g * (T(1) - y * y); }
// d/dx [x Phi(x)] = Phi(x) + x phi(x).
template <typename T> TD_HD T op_gelu_bwd(T x, T g) {
  const T cdf = td_normal_cdf(x);
  const T pdf = td_exp(T(-0.5) * x * x) * T(kInvSqrt2Pi);
  return g * (cdf + x * pdf);
}
// d/dx [x s], s = sigmoid(2u): s + 2 x s (1 - s) u' = s (1 + 2 x (1 - s) u'), u' = sqrt(2/pi) (1 + 3c x^2)
// (the same as 0.5 (1 + t) + 0.5 x (1 - t^2) u' with t = tanh(u), without its cancellation).
template <typename T> TD_HD T op_gelu_tanh_bwd(T x, T g) {
  const T s = T(1) / (T(1) + td_exp(-gelu_tanh_2u(x)));
  const T du = T(kSqrt2_Pi) * (T(1) + T(3 * kGeluC) * x * x);
  return g * s * (T(1) + T(2) * x * (T(1) - s) * du);
}
template <typename T> TD_HD T op_silu_bwd(T x, T g) {
  const T s = op_sigmoid(x);
  return g * s * (T(1) + x * (T(1) - s));
}
template <typename T> TD_HD T op_softplus_bwd(T x, T g) { return g * op_sigmoid(x); }

// ---- int32 overloads: wrap modulo 2^32 (computed on uint32_t to avoid signed-overflow UB) ----------
TD_HD int32_t wrap_i32(uint32_t u) { return static_cast<int32_t>(u); }
TD_HD int32_t op_neg(int32_t x) { return wrap_i32(0u - static_cast<uint32_t>(x)); }
TD_HD int32_t op_abs(int32_t x) { return x < 0 ? op_neg(x) : x; }  // abs(INT_MIN) == INT_MIN
TD_HD int32_t op_sign(int32_t x) { return x > 0 ? 1 : (x < 0 ? -1 : 0); }
TD_HD int32_t op_square(int32_t x) {
  return wrap_i32(static_cast<uint32_t>(x) * static_cast<uint32_t>(x));
}
TD_HD int32_t op_add(int32_t a, int32_t b) {
  return wrap_i32(static_cast<uint32_t>(a) + static_cast<uint32_t>(b));
}
TD_HD int32_t op_sub(int32_t a, int32_t b) {
  return wrap_i32(static_cast<uint32_t>(a) - static_cast<uint32_t>(b));
}
TD_HD int32_t op_mul(int32_t a, int32_t b) {
  return wrap_i32(static_cast<uint32_t>(a) * static_cast<uint32_t>(b));
}

}  // namespace td::kern
