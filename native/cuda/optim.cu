// optim.cu — CUDA launcher of the fused Adam / AdamW step over device pointers, sharing the math of
// native/kernels/adam.h with the CPU launcher (native/cpu/optim.cpp). The entry points below are called
// by native/cuda/fused_ops.cu (declared in launchers.h) when the addon dispatches to CUDA.
//
// A grid-stride loop over the flat elements: element i reads p, g, m, v (and v̂) once and writes p, m,
// v (and v̂) once, with the coefficients computed on the host in double (kern::adam_coef) and passed
// by value in the kernel's parameters.
#include <cuda_runtime.h>

#include <cstdint>

#include "../kernels/adam.h"

namespace td::cuda {
namespace {

constexpr int kThreads = 256;

template <typename T, bool L2, bool DECAY, bool AMS>
__global__ void adam_kernel(kern::AdamCoef<T> c, T* __restrict__ p, const T* __restrict__ g, T* __restrict__ m,
                            T* __restrict__ v, T* __restrict__ vmax, int64_t n) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    T pi = p[i], mi = m[i], vi = v[i];
    T xi = AMS ? vmax[i] : T(0);
    kern::adam_update<T, L2, DECAY, AMS>(c, pi, g[i], mi, vi, xi);
    p[i] = pi;
    m[i] = mi;
    v[i] = vi;
    if (AMS) vmax[i] = xi;
  }
}

template <typename T, bool L2, bool DECAY>
void adam_dispatch_ams(unsigned grid, cudaStream_t st, const kern::AdamCoef<T>& c, T* p, const T* g, T* m, T* v,
                       T* vmax, int64_t n) {
  if (vmax) adam_kernel<T, L2, DECAY, true><<<grid, kThreads, 0, st>>>(c, p, g, m, v, vmax, n);
  else adam_kernel<T, L2, DECAY, false><<<grid, kThreads, 0, st>>>(c, p, g, m, v, vmax, n);
}

template <typename T>
cudaError_t adam_launch(T* p, const T* g, T* m, T* v, T* vmax, int64_t n, const kern::AdamScalars& s,
                        cudaStream_t st) {
  if (n == 0) return cudaSuccess;
  const kern::AdamCoef<T> c = kern::adam_coef<T>(s);
  const bool l2 = !s.decoupled && s.weight_decay != 0;
  const bool decay = s.decoupled && s.weight_decay != 0;
  int64_t blocks = (n + kThreads - 1) / kThreads;
  if (blocks > 65535LL * 32) blocks = 65535LL * 32;  // grid-stride covers the rest
  const unsigned grid = static_cast<unsigned>(blocks);
  if (l2) adam_dispatch_ams<T, true, false>(grid, st, c, p, g, m, v, vmax, n);
  else if (decay) adam_dispatch_ams<T, false, true>(grid, st, c, p, g, m, v, vmax, n);
  else adam_dispatch_ams<T, false, false>(grid, st, c, p, g, m, v, vmax, n);
  return cudaGetLastError();
}

}  // namespace

// ---- entry points (device pointers; n contiguous elements each; asynchronous on `stream`) ----------
// vmax: the amsgrad running max, or nullptr. s.bc1 / s.bc2: 1 − β^t computed by the caller in float64.
cudaError_t fused_adam_f32(float* p, const float* g, float* m, float* v, float* vmax, int64_t n,
                           const kern::AdamScalars& s, cudaStream_t stream) {
  return adam_launch<float>(p, g, m, v, vmax, n, s, stream);
}
cudaError_t fused_adam_f64(double* p, const double* g, double* m, double* v, double* vmax, int64_t n,
                           const kern::AdamScalars& s, cudaStream_t stream) {
  return adam_launch<double>(p, g, m, v, vmax, n, s, stream);
}

}  // namespace td::cuda
