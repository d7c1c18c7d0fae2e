// launchers.h — the pointer-level launchers of the fused kernels (defined in fused.cu and optim.cu over
// the shared math of native/kernels/), called by fused_ops.cu with the device pointers of validated views.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "../kernels/adam.h"

namespace td::cuda {
cudaError_t fused_weighted_mse_f32(const float* p, const float* t, const float* m, float* g, const double* omega,
                                   int64_t B, int64_t n, bool mean, float* per_sample, double* loss, double* scratch,
                                   cudaStream_t stream);
cudaError_t fused_weighted_mse_f64(const double* p, const double* t, const double* m, double* g, const double* omega,
                                   int64_t B, int64_t n, bool mean, double* per_sample, double* loss, double* scratch,
                                   cudaStream_t stream);
cudaError_t fused_elbo_omega_f64(const double* lam, const double* dlam, int64_t B, double bias, int param, int weighting,
                                 double* omega, cudaStream_t stream);
cudaError_t fused_cld_affine_f32(const float* x, const float* v, const float* s, const double* coef, bool per_sample,
                                 int64_t B, int64_t N, float* ox, float* ov, float* ex, float* ev, uint64_t seed,
                                 uint64_t offset, bool noise, cudaStream_t stream);
cudaError_t fused_cld_affine_f64(const double* x, const double* v, const double* s, const double* coef, bool per_sample,
                                 int64_t B, int64_t N, double* ox, double* ov, double* ex, double* ev, uint64_t seed,
                                 uint64_t offset, bool noise, cudaStream_t stream);
cudaError_t fused_adam_f32(float* p, const float* g, float* m, float* v, float* vmax, int64_t n,
                           const kern::AdamScalars& s, cudaStream_t stream);
cudaError_t fused_adam_f64(double* p, const double* g, double* m, double* v, double* vmax, int64_t n,
                           const kern::AdamScalars& s, cudaStream_t stream);
}  // namespace td::cuda
