// fused.h — CPU entry points of the fused diffusion kernels (math in native/kernels/fused_losses.h
// and native/kernels/cld.h). Views arrive validated by the addon (native/addon/fused.cpp): contiguous,
// equal shapes [B, ...], one float dtype, inside their storages. May throw std::invalid_argument.
#pragma once
#include <cstdint>
#include "view.h"

namespace td::cpu {

// Noise-level-weighted MSE over pred, target (and mask when non-null) of shape [B, ...]:
//   per_sample[b] = ω_b Σ_i m_bi (pred_bi − target_bi)²       (per_sample: [B], pred's dtype)
//   returns loss = c_B Σ_b per_sample[b] (summed in double, in b order), c_B = 1/B if mean else 1,
//   and when grad is non-null writes grad = 2 c_B ω_b m (pred − target) ([B, ...], pred's dtype)
// in the same pass. omega: B doubles. Deterministic for any thread count.
double weighted_mse(const View& pred, const View& target, const View* mask, const double* omega, bool mean,
                    const View* grad, const View& per_sample);

// The same pass with ω_b = kern::elbo_weight(λ_b, dλ/dt_b, bias, param, weighting) computed from
// logsnr and dlogsnr ([B], any float dtype).
double sigmoid_elbo(const View& pred, const View& target, const View* mask, const View& logsnr,
                    const View& dlogsnr, double bias, int param, int weighting, bool mean, const View* grad,
                    const View& per_sample);

// The CLD affine + Cholesky-noise kernel (kern/cld.h): out_x, out_v (and eps_x, eps_v when non-null,
// the noise drawn) from x, v, s (s may be null: no s terms); coef: F64, [9] (shared) or [B, 9].
// noise false: ξ = 0 (eps_x / eps_v, when given, are filled with zeros).
void cld_affine(const View& out_x, const View& out_v, const View* eps_x, const View* eps_v, const View& x,
                const View& v, const View* s, const View& coef, uint64_t seed, uint64_t offset, bool noise);

// Which instruction set the fused kernels picked at run time ("avx2-fma" or "portable").
const char* fused_kernel_name();

}  // namespace td::cpu
