// elementwise.h — the per-element math of every unary and binary op in native/cpu/cpu.h.
// This is the ONE definition of each op's math: the CPU loops (native/cpu/elementwise.cpp) and the CUDA
// kernels both call these functions, so the backends agree on edge cases (NaN, infinities, int wrap).
//
// Conventions
//  * Ops are templates over the compute type T (float or double). Integer tensors (I32) are computed
//    natively only by the ops that have an int32_t overload below (they wrap modulo 2^32, like Int32Array);
//    every other op is computed in double and stored back with saturate_i32().
//  * Scalar parameters (p0, p1 of the unary ops) are converted to T by the caller before the call, like
//    PyTorch's "wrapped number" rule (x_f32 > 0.1 compares against 0.1f).
//  * Comparisons return bool; the caller stores 1.0f / 0.0f.
//  * float exp/tanh use the branch-free polynomials below (Cephes-derived, ~1-2 ulp) so that CPU loops
//    auto-vectorise; everything else calls the C math library (expf, logf, erff, ...), which nvcc maps to
//    its device versions. No std:: containers or host-only calls here.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include "common.h"

namespace td::kern {

// ---- bit casts ---------------------------------------------------------------------------------
TD_FORCEINLINE float float_from_bits(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
#endif
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
// results below FLT_MIN come out as correctly scaled denormals. Max error ~1 ulp. Branch-free.
TD_FORCEINLINE float td_exp(float x) {
  float xc = x > -104.0f ? x : -104.0f;  // also maps NaN to -104 (fixed up at the end)
  xc = xc < 89.0f ? xc : 89.0f;          // exp(89) already overflows to inf below
  // round(xc * log2(e)) with the 1.5*2^23 trick (round to nearest even, exact for |t| < 2^22)
  const float t = xc * 1.44269504088896341f;
  const float n = (t + 12582912.0f) - 12582912.0f;
  const float r = (xc - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const int32_t ni = static_cast<int32_t>(n);  // in [-150, 128]
  const int32_t n1 = ni >> 1, n2 = ni - n1;    // each in [-75, 64]: 2^n1, 2^n2 are normal floats
  const float s1 = float_from_bits(static_cast<uint32_t>(n1 + 127) << 23);
  const float s2 = float_from_bits(static_cast<uint32_t>(n2 + 127) << 23);
  const float res = (p * s1) * s2;
  return x != x ? x : res;
}
TD_FORCEINLINE double td_exp(double x) { return exp(x); }

// tanh(x) for float: odd polynomial for |x| < 0.625 (Cephes tanhf), else 1 - 2/(exp(2|x|)+1) with the
// sign of x. Both branches are evaluated and selected so the loop vectorises. Max error ~2 ulp.
TD_FORCEINLINE float td_tanh(float x) {
  const float a = x < 0.0f ? -x : x;
  const float z = x * x;
  const float small =
      ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z + 1.33314422036e-1f) * z -
       3.33332819422e-1f) * z * x + x;
  const float big = 1.0f - 2.0f / (td_exp(2.0f * a) + 1.0f);  // 1 for large |x|, NaN for NaN
  return a < 0.625f ? small : (x < 0.0f ? -big : big);
}
TD_FORCEINLINE double td_tanh(double x) { return tanh(x); }

TD_FORCEINLINE float td_log(float x) { return logf(x); }
TD_FORCEINLINE double td_log(double x) { return log(x); }
TD_FORCEINLINE float td_log1p(float x) { return log1pf(x); }
TD_FORCEINLINE double td_log1p(double x) { return log1p(x); }
TD_FORCEINLINE float td_expm1(float x) { return expm1f(x); }
TD_FORCEINLINE double td_expm1(double x) { return expm1(x); }
TD_FORCEINLINE float td_sqrt(float x) { return sqrtf(x); }
TD_FORCEINLINE double td_sqrt(double x) { return sqrt(x); }
TD_FORCEINLINE float td_sin(float x) { return sinf(x); }
TD_FORCEINLINE double td_sin(double x) { return sin(x); }
TD_FORCEINLINE float td_cos(float x) { return cosf(x); }
TD_FORCEINLINE double td_cos(double x) { return cos(x); }
TD_FORCEINLINE float td_erf(float x) { return erff(x); }
TD_FORCEINLINE double td_erf(double x) { return erf(x); }
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
// GELU (erf form): x * Phi(x).
template <typename T> TD_HD T op_gelu(T x) { return T(0.5) * x * (T(1) + td_erf(x * T(kSqrt1_2))); }
// GELU (tanh approximation): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
template <typename T> TD_HD T op_gelu_tanh(T x) {
  return T(0.5) * x * (T(1) + td_tanh(T(kSqrt2_Pi) * (x + T(kGeluC) * x * x * x)));
}
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
  const T cdf = T(0.5) * (T(1) + td_erf(x * T(kSqrt1_2)));
  const T pdf = td_exp(T(-0.5) * x * x) * T(kInvSqrt2Pi);
  return g * (cdf + x * pdf);
}
// d/dx [0.5 x (1 + tanh(u))], u = k (x + c x^3): 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3 c x^2).
template <typename T> TD_HD T op_gelu_tanh_bwd(T x, T g) {
  const T x2 = x * x;
  const T t = td_tanh(T(kSqrt2_Pi) * (x + T(kGeluC) * x2 * x));
  const T du = T(kSqrt2_Pi) * (T(1) + T(3 * kGeluC) * x2);
  return g * (T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * du);
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
