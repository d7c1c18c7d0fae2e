// fused_losses.h — the one definition of the math of the fused noise-level-weighted MSE losses
// (spec: /work/shared/specs/diffusion-basics.md, "The weighted diffusion loss"). Shared by the CPU
// launchers (native/cpu/fused.cpp) and the CUDA launchers (native/cuda/fused.cu).
//
//   loss = c_B Σ_b ω_b Σ_i m_bi (pred_bi − target_bi)²        c_B = 1/B ('mean') or 1 ('sum')
//   ∂loss/∂pred_bi = 2 c_B ω_b m_bi (pred_bi − target_bi)     (∂loss/∂target = −∂loss/∂pred)
//
// pred, target, mask, grad: [B, ...] contiguous, one dtype T (float or double); ω: [B].
// Per element: d = pred − target in T; the gradient is T(2 c_B ω_b) · m · d in T; the squared error
// m·d·d is accumulated in double. A sample's sum is the in-order sum of fixed-size chunk partials
// (kFusedChunk elements each), so the result does not depend on the number of threads or blocks.
//
// The sigmoid-weighted ELBO family computes ω_b in-kernel from (λ_b, dλ/dt_b, bias):
//   ω_b = ½ · w(λ_b) · (−dλ/dt_b) · c(λ_b)
//   w = sigmoid(bias − λ) ('sigmoid' weighting) or 1 ('elbo', the continuous-time ELBO)
//   c = 1 (eps-prediction), e^λ (x-prediction), sigmoid(λ) = α² (v-prediction),
// because ‖ε − ε̂‖² = e^λ ‖x − x̂‖² = α² ‖v − v̂‖². All of it in double.
#pragma once
#include <cmath>
#include <cstdint>
#include "common.h"

namespace td::kern {

// Elements per partial sum (the unit of deterministic reduction on every backend).
constexpr int64_t kFusedChunk = 16384;

// Parameterisations (what pred and target are) and weightings, as passed across the addon boundary.
enum ElboParam : int { ELBO_EPS = 0, ELBO_X = 1, ELBO_V = 2 };
enum ElboWeighting : int { ELBO_W_SIGMOID = 0, ELBO_W_ELBO = 1 };

// Overflow-free logistic sigmoid in double.
TD_HD double sigmoid_stable(double z) {
  if (z >= 0) {
    const double e = exp(-z);
    return 1.0 / (1.0 + e);
  }
  const double e = exp(z);
  return e / (1.0 + e);
}

// ω_b of the sigmoid-weighted / ELBO loss (formula above).
TD_HD double elbo_weight(double lambda, double dlambda_dt, double bias, int param, int weighting) {
  const double w = weighting == ELBO_W_SIGMOID ? sigmoid_stable(bias - lambda) : 1.0;
  const double c = param == ELBO_X ? exp(lambda) : param == ELBO_V ? sigmoid_stable(lambda) : 1.0;
  return 0.5 * w * (-dlambda_dt) * c;
}

// The gradient scale of sample b: 2 c_B ω_b (c_B = 1/B for 'mean', 1 for 'sum').
TD_HD double wmse_grad_scale(double omega, int64_t batch, bool mean) {
  return mean ? 2.0 * omega / static_cast<double>(batch) : 2.0 * omega;
}

// One element: returns m·d² in double and sets grad = gs · m · d (the caller stores it or not).
template <typename T>
TD_FORCEINLINE double wmse_element(T p, T t, T m, T gs, T& grad) {
  const T d = p - t;
  const T md = m * d;
  grad = gs * md;
  return static_cast<double>(md) * static_cast<double>(d);
}

}  // namespace td::kern
