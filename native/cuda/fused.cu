// fused.cu — CUDA launchers of the fused diffusion kernels over device pointers, sharing the math of
// native/kernels/fused_losses.h (weighted MSE / sigmoid ELBO) and native/kernels/cld.h (CLD affine +
// Philox noise) with the CPU launchers in native/cpu/fused.cpp. The entry points below are called by
// native/cuda/fused_ops.cu (declared in launchers.h) when the addon dispatches to CUDA.
//
// Reductions are deterministic and match the CPU's grouping: one thread block per (sample, chunk of
// kern::kFusedChunk elements) writes one double partial (block tree reduction, fixed order), then a
// second kernel sums each sample's partials in chunk order. The CLD kernel is a grid-stride loop over
// flat elements; element i draws Philox counter block i (same stream as the CPU for a seed).
#include <cuda_runtime.h>

#include <cstdint>

#include <type_traits>

#include "../kernels/cld.h"
#include "../kernels/fused_losses.h"

namespace td::cuda {
namespace {

constexpr int kThreads = 256;

// ---- weighted MSE ---------------------------------------------------------------------------------
// grid.x = B * chunks_per_sample. omega: [B] doubles (device). part: [grid.x] doubles (device).
template <typename T, bool MASK, bool GRAD>
__global__ void wmse_partials(const T* __restrict__ p, const T* __restrict__ t, const T* __restrict__ m,
                              T* __restrict__ g, const double* __restrict__ omega, int64_t B, int64_t n,
                              int64_t cps, bool mean, double* __restrict__ part) {
  __shared__ double sh[kThreads];
  const int64_t k = blockIdx.x;
  const int64_t b = k / cps, c = k % cps;
  const int64_t i0 = b * n + c * kern::kFusedChunk;
  const int64_t len = min(kern::kFusedChunk, n - c * kern::kFusedChunk);
  const T gs = static_cast<T>(kern::wmse_grad_scale(omega[b], B, mean));
  double acc = 0;
  for (int64_t i = threadIdx.x; i < len; i += blockDim.x) {
    T gi;
    acc += kern::wmse_element<T>(p[i0 + i], t[i0 + i], MASK ? m[i0 + i] : T(1), gs, gi);
    if (GRAD) g[i0 + i] = gi;
  }
  sh[threadIdx.x] = acc;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) sh[threadIdx.x] += sh[threadIdx.x + s];
    __syncthreads();
  }
  if (threadIdx.x == 0) part[k] = sh[0];
}

// One thread: per_sample[b] = ω_b Σ_c part[b, c] (in order), loss[0] = c_B Σ_b per_sample[b].
template <typename T>
__global__ void wmse_combine(const double* __restrict__ part, const double* __restrict__ omega, int64_t B,
                             int64_t cps, bool mean, T* __restrict__ per_sample, double* __restrict__ loss) {
  if (blockIdx.x != 0 || threadIdx.x != 0) return;
  double total = 0;
  for (int64_t b = 0; b < B; b++) {
    double s = 0;
    for (int64_t c = 0; c < cps; c++) s += part[b * cps + c];
    const double wl = omega[b] * s;
    per_sample[b] = static_cast<T>(wl);
    total += wl;
  }
  *loss = mean ? total / static_cast<double>(B) : total;
}

// ω_b of the sigmoid ELBO, in-kernel (grid-stride over samples).
template <typename L>
__global__ void elbo_omega(const L* __restrict__ lam, const L* __restrict__ dlam, int64_t B, double bias, int param,
                           int weighting, double* __restrict__ omega) {
  for (int64_t b = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; b < B; b += (int64_t)gridDim.x * blockDim.x)
    omega[b] = kern::elbo_weight(static_cast<double>(lam[b]), static_cast<double>(dlam[b]), bias, param, weighting);
}

template <typename T>
cudaError_t wmse_launch(const T* p, const T* t, const T* m, T* g, const double* omega, int64_t B, int64_t n, bool mean,
                        T* per_sample, double* loss, double* scratch, cudaStream_t st) {
  const int64_t cps = (n + kern::kFusedChunk - 1) / kern::kFusedChunk;
  const int64_t blocks = B * cps;
  if (blocks > 0) {
    if (m) {
      if (g) wmse_partials<T, true, true><<<(unsigned)blocks, kThreads, 0, st>>>(p, t, m, g, omega, B, n, cps, mean, scratch);
      else wmse_partials<T, true, false><<<(unsigned)blocks, kThreads, 0, st>>>(p, t, m, g, omega, B, n, cps, mean, scratch);
    } else {
      if (g) wmse_partials<T, false, true><<<(unsigned)blocks, kThreads, 0, st>>>(p, t, m, g, omega, B, n, cps, mean, scratch);
      else wmse_partials<T, false, false><<<(unsigned)blocks, kThreads, 0, st>>>(p, t, m, g, omega, B, n, cps, mean, scratch);
    }
  }
  wmse_combine<T><<<1, 1, 0, st>>>(scratch, omega, B, cps, mean, per_sample, loss);
  return cudaGetLastError();
}

// ---- CLD affine -----------------------------------------------------------------------------------
// coef: device doubles, [9] (per_sample false) or [B, 9]; n = elements per sample.
template <typename T, bool HAS_S, bool NOISE, bool RET>
__global__ void cld_affine_kernel(const double* __restrict__ coef, bool per_sample, const T* __restrict__ x,
                                  const T* __restrict__ v, const T* __restrict__ s, T* __restrict__ ox,
                                  T* __restrict__ ov, T* __restrict__ ex, T* __restrict__ ev, int64_t N, int64_t n,
                                  uint64_t seed, uint64_t off) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < N; i += (int64_t)gridDim.x * blockDim.x) {
    const double* cd = coef + (per_sample ? (i / n) * kern::CLD_NCOEF : 0);
    T c[kern::CLD_NCOEF];
#pragma unroll
    for (int j = 0; j < kern::CLD_NCOEF; j++) c[j] = static_cast<T>(cd[j]);
    T zx = T(0), zv = T(0);
    if (NOISE) kern::cld_noise(seed, off, static_cast<uint64_t>(i), zx, zv);
    T a, b;
    kern::cld_affine_element<T>(c, x[i], v[i], HAS_S ? s[i] : T(0), zx, zv, a, b);
    ox[i] = a;
    ov[i] = b;
    if (RET) {
      ex[i] = zx;
      ev[i] = zv;
    }
  }
}

// float with noise: one thread per element pair (2p, 2p + 1), which share Philox block p (cld.h), so
// each block is computed once.
template <bool HAS_S, bool RET>
__global__ void cld_affine_f32_noise_kernel(const double* __restrict__ coef, bool per_sample,
                                            const float* __restrict__ x, const float* __restrict__ v,
                                            const float* __restrict__ s, float* __restrict__ ox,
                                            float* __restrict__ ov, float* __restrict__ ex, float* __restrict__ ev,
                                            int64_t N, int64_t n, uint64_t seed, uint64_t off) {
  const int64_t P = (N + 1) / 2;
  for (int64_t p = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; p < P; p += (int64_t)gridDim.x * blockDim.x) {
    float zx[2], zv[2];
    kern::cld_noise_pair(seed, off, static_cast<uint64_t>(p), zx, zv);
#pragma unroll
    for (int h = 0; h < 2; h++) {
      const int64_t i = 2 * p + h;
      if (i >= N) break;
      const double* cd = coef + (per_sample ? (i / n) * kern::CLD_NCOEF : 0);
      float c[kern::CLD_NCOEF];
#pragma unroll
      for (int j = 0; j < kern::CLD_NCOEF; j++) c[j] = static_cast<float>(cd[j]);
      float a, b;
      kern::cld_affine_element<float>(c, x[i], v[i], HAS_S ? s[i] : 0.0f, zx[h], zv[h], a, b);
      ox[i] = a;
      ov[i] = b;
      if (RET) {
        ex[i] = zx[h];
        ev[i] = zv[h];
      }
    }
  }
}

template <typename T, bool HAS_S>
void cld_dispatch(unsigned grid, cudaStream_t st, bool noise, bool ret, const double* coef, bool per,
                  const T* x, const T* v, const T* s, T* ox, T* ov, T* ex, T* ev, int64_t N, int64_t n, uint64_t seed,
                  uint64_t off) {
  if (noise) {
    if constexpr (std::is_same_v<T, float>) {  // float noise: one thread per element pair
      const unsigned pg = (grid + 1) / 2;
      if (ret) cld_affine_f32_noise_kernel<HAS_S, true><<<pg, kThreads, 0, st>>>(coef, per, x, v, s, ox, ov, ex, ev, N, n, seed, off);
      else cld_affine_f32_noise_kernel<HAS_S, false><<<pg, kThreads, 0, st>>>(coef, per, x, v, s, ox, ov, ex, ev, N, n, seed, off);
    } else {
      if (ret) cld_affine_kernel<T, HAS_S, true, true><<<grid, kThreads, 0, st>>>(coef, per, x, v, s, ox, ov, ex, ev, N, n, seed, off);
      else cld_affine_kernel<T, HAS_S, true, false><<<grid, kThreads, 0, st>>>(coef, per, x, v, s, ox, ov, ex, ev, N, n, seed, off);
    }
  } else {
    if (ret) cld_affine_kernel<T, HAS_S, false, true><<<grid, kThreads, 0, st>>>(coef, per, x, v, s, ox, ov, ex, ev, N, n, seed, off);
    else cld_affine_kernel<T, HAS_S, false, false><<<grid, kThreads, 0, st>>>(coef, per, x, v, s, ox, ov, ex, ev, N, n, seed, off);
  }
}

template <typename T>
cudaError_t cld_launch(const T* x, const T* v, const T* s, const double* coef, bool per_sample, int64_t B, int64_t N,
                       T* ox, T* ov, T* ex, T* ev, uint64_t seed, uint64_t off, bool noise, cudaStream_t st) {
  if (N == 0) return cudaSuccess;
  const int64_t n = B > 0 ? N / B : N;
  int64_t blocks = (N + kThreads - 1) / kThreads;
  if (blocks > 65535LL * 32) blocks = 65535LL * 32;  // grid-stride covers the rest
  const unsigned grid = static_cast<unsigned>(blocks);
  const bool ret = ex != nullptr;
  if (s) cld_dispatch<T, true>(grid, st, noise, ret, coef, per_sample, x, v, s, ox, ov, ex, ev, N, n, seed, off);
  else cld_dispatch<T, false>(grid, st, noise, ret, coef, per_sample, x, v, s, ox, ov, ex, ev, N, n, seed, off);
  return cudaGetLastError();
}

}  // namespace

// ---- entry points (device pointers; contiguous [B, ...]; asynchronous on `stream`) ------------------
// scratch: B * ceil(n / kFusedChunk) doubles of device memory; omega: [B] device doubles; loss: one
// device double. For sigmoid ELBO, call fused_elbo_omega_* first to fill omega in-kernel.
cudaError_t fused_weighted_mse_f32(const float* p, const float* t, const float* m, float* g, const double* omega,
                                   int64_t B, int64_t n, bool mean, float* per_sample, double* loss, double* scratch,
                                   cudaStream_t stream) {
  return wmse_launch<float>(p, t, m, g, omega, B, n, mean, per_sample, loss, scratch, stream);
}
cudaError_t fused_weighted_mse_f64(const double* p, const double* t, const double* m, double* g, const double* omega,
                                   int64_t B, int64_t n, bool mean, double* per_sample, double* loss, double* scratch,
                                   cudaStream_t stream) {
  return wmse_launch<double>(p, t, m, g, omega, B, n, mean, per_sample, loss, scratch, stream);
}
cudaError_t fused_elbo_omega_f32(const float* lam, const float* dlam, int64_t B, double bias, int param, int weighting,
                                 double* omega, cudaStream_t stream) {
  elbo_omega<float><<<(unsigned)((B + kThreads - 1) / kThreads + (B == 0)), kThreads, 0, stream>>>(lam, dlam, B, bias, param, weighting, omega);
  return cudaGetLastError();
}
cudaError_t fused_elbo_omega_f64(const double* lam, const double* dlam, int64_t B, double bias, int param, int weighting,
                                 double* omega, cudaStream_t stream) {
  elbo_omega<double><<<(unsigned)((B + kThreads - 1) / kThreads + (B == 0)), kThreads, 0, stream>>>(lam, dlam, B, bias, param, weighting, omega);
  return cudaGetLastError();
}
cudaError_t fused_cld_affine_f32(const float* x, const float* v, const float* s, const double* coef, bool per_sample,
                                 int64_t B, int64_t N, float* ox, float* ov, float* ex, float* ev, uint64_t seed,
                                 uint64_t offset, bool noise, cudaStream_t stream) {
  return cld_launch<float>(x, v, s, coef, per_sample, B, N, ox, ov, ex, ev, seed, offset, noise, stream);
}
cudaError_t fused_cld_affine_f64(const double* x, const double* v, const double* s, const double* coef, bool per_sample,
                                 int64_t B, int64_t N, double* ox, double* ov, double* ex, double* ev, uint64_t seed,
                                 uint64_t offset, bool noise, cudaStream_t stream) {
  return cld_launch<double>(x, v, s, coef, per_sample, B, N, ox, ov, ex, ev, seed, offset, noise, stream);
}

}  // namespace td::cuda
