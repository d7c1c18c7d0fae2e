// adam.h — the one definition of the math of the fused Adam / AdamW update (PyTorch's documented
// algorithm), shared by the CPU launcher (native/cpu/optim.cpp, which also instantiates it with SIMD
// vector types) and the CUDA launcher (native/cuda/optim.cu).
//
// Per element, with t the step count (already incremented) and g the gradient:
//   Adam  (L2):        g ← g + λ p
//   AdamW (decoupled): p ← p (1 − lr λ)
//   m ← β1 m + (1 − β1) g
//   v ← β2 v + (1 − β2) g²
//   v̂ ← max(v̂, v) (amsgrad; v̂ is the running max, used below in place of v)
//   p ← p − (lr / bc1) · m / (√v / √bc2 + ε)        bc1 = 1 − β1^t, bc2 = 1 − β2^t
// bc1 and bc2 come from the host (computed in float64); every coefficient below is computed once in
// double on the host (adam_coef) and rounded to the element type T. One pass: read p, g, m, v (and
// v̂), write p, m, v (and v̂).
//
// The element function is a template over the value type V: float / double on every backend, or a
// SIMD vector wrapper on the CPU that provides + − * /, adam_sqrt and adam_max overloads.
#pragma once
#include <cmath>
#include <cstdint>
#include "common.h"

namespace td::kern {

// The scalar inputs of one Adam step (host side, double).
struct AdamScalars {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
  bool decoupled = false;  // AdamW
  double bc1 = 1;          // 1 − β1^t
  double bc2 = 1;          // 1 − β2^t
};

// Per-step coefficients in the value type V (scalars, or broadcast vectors).
template <typename V>
struct AdamCoef {
  V beta1, omb1;     // β1, 1 − β1
  V beta2, omb2;     // β2, 1 − β2
  V eps;             // ε
  V l2;              // λ (Adam's L2 term; 0 for AdamW)
  V decay;           // 1 − lr λ (AdamW; 1 for Adam)
  V step_size;       // lr / bc1
  V sqrt_bc2;        // √bc2
};

// The coefficients of one step, computed in double and rounded to T.
template <typename T>
TD_HD AdamCoef<T> adam_coef(const AdamScalars& s) {
  AdamCoef<T> c;
  c.beta1 = static_cast<T>(s.beta1);
  c.omb1 = static_cast<T>(1.0 - s.beta1);
  c.beta2 = static_cast<T>(s.beta2);
  c.omb2 = static_cast<T>(1.0 - s.beta2);
  c.eps = static_cast<T>(s.eps);
  c.l2 = static_cast<T>(s.decoupled ? 0.0 : s.weight_decay);
  c.decay = static_cast<T>(s.decoupled ? 1.0 - s.lr * s.weight_decay : 1.0);
  c.step_size = static_cast<T>(s.lr / s.bc1);
  c.sqrt_bc2 = static_cast<T>(sqrt(s.bc2));
  return c;
}

TD_HD float adam_sqrt(float x) { return sqrtf(x); }
TD_HD double adam_sqrt(double x) { return sqrt(x); }
// max that returns b when either is NaN (like x86 maxps(a, b)), so a NaN v propagates into v̂.
TD_HD float adam_max(float a, float b) { return a > b ? a : b; }
TD_HD double adam_max(double a, double b) { return a > b ? a : b; }

// One element (or one vector of elements). L2: add λ p to g (Adam with weight decay). DECAY: scale
// p by (1 − lr λ) first (AdamW with weight decay). AMS: keep the running max v̂ in vmax.
template <typename V, bool L2, bool DECAY, bool AMS>
TD_FORCEINLINE void adam_update(const AdamCoef<V>& c, V& p, V g, V& m, V& v, V& vmax) {
  if (L2) g = g + c.l2 * p;
  if (DECAY) p = p * c.decay;
  m = c.beta1 * m + c.omb1 * g;
  v = c.beta2 * v + c.omb2 * (g * g);
  V vv = v;
  if (AMS) {
    vmax = adam_max(vmax, v);
    vv = vmax;
  }
  const V denom = adam_sqrt(vv) / c.sqrt_bc2 + c.eps;
  p = p - c.step_size * (m / denom);
}

}  // namespace td::kern
