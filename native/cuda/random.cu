// random.cu — CUDA random(): uniform, normal and integer samples from Philox 4x32-10, one thread per
// counter block, with the stream layout and the sample helpers of native/kernels/philox.h, so a seed
// and offset give the CPU's numbers (bit for bit for uniform and integer samples; normal samples differ
// only where the device's logf/sinf/cosf differ from the host libm's in the last bits).
#include <cmath>

#include "../kernels/philox.h"
#include "runtime.h"

namespace td::cuda {
namespace {

// dist 0 uniform [a, b), 1 normal(a, b), 2 integers [lo, lo + cnt).
template <typename T, int PB>
__global__ void random_kernel(T* o, int64_t n, int dist, uint64_t seed, uint64_t offset, double a, double b,
                              int64_t lo, uint64_t cnt) {
  const int64_t nblocks = (n + PB - 1) / PB;
  for (int64_t blk = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; blk < nblocks;
       blk += (int64_t)gridDim.x * blockDim.x) {
    const kern::Philox4 w = kern::philox_block(seed, offset, static_cast<uint64_t>(blk));
    T vals[PB];
    if constexpr (PB == 4) {  // float32 / int32: one word per element
      if (dist == 0) {
#pragma unroll
        for (int k = 0; k < 4; k++)
          vals[k] = static_cast<T>(kern::uniform_scale(static_cast<double>(kern::uniform_f32(w.v[k])), a, b));
      } else if (dist == 1) {
        float z[4];
        kern::box_muller_f32(w.v[0], w.v[1], z[0], z[1]);
        kern::box_muller_f32(w.v[2], w.v[3], z[2], z[3]);
        const float mean = static_cast<float>(a), sd = static_cast<float>(b);
#pragma unroll
        for (int k = 0; k < 4; k++) vals[k] = static_cast<T>(kern::mul_add_rn(sd, z[k], mean));
      } else {
#pragma unroll
        for (int k = 0; k < 4; k++) vals[k] = static_cast<T>(kern::uniform_int32w(w.v[k], lo, cnt));
      }
    } else {  // float64: two words per element
      if (dist == 0) {
#pragma unroll
        for (int k = 0; k < 2; k++) vals[k] = kern::uniform_scale(kern::uniform_f64(w.v[2 * k], w.v[2 * k + 1]), a, b);
      } else if (dist == 1) {
        double z[2];
        kern::box_muller_f64(w, z[0], z[1]);
#pragma unroll
        for (int k = 0; k < 2; k++) vals[k] = kern::mul_add_rn(b, z[k], a);
      } else {
#pragma unroll
        for (int k = 0; k < 2; k++)
          vals[k] = static_cast<double>(kern::uniform_int64w(w.v[2 * k], w.v[2 * k + 1], lo, cnt));
      }
    }
    const int64_t i0 = blk * PB;
#pragma unroll
    for (int k = 0; k < PB; k++)
      if (i0 + k < n) o[i0 + k] = vals[k];
  }
}

// The integer range [lo, lo + count) of the integers in [a, b) (same checks as native/cpu/random.cpp).
void int_range(double a, double b, double max_count, int64_t& lo, uint64_t& count) {
  const double l = std::ceil(a), h = std::ceil(b);
  if (!(l >= -9.0e18 && h <= 9.0e18)) throw std::invalid_argument("random: integer bounds out of range");
  if (!(h > l)) throw std::invalid_argument("random: empty integer range [a, b)");
  if (h - l > max_count) throw std::invalid_argument("random: integer range too large for this dtype");
  lo = static_cast<int64_t>(l);
  count = static_cast<uint64_t>(static_cast<int64_t>(h) - lo);
}

template <typename T, int PB>
void launch(T* o, int64_t n, int dist, uint64_t seed, uint64_t offset, double a, double b, int64_t lo, uint64_t cnt) {
  if (n == 0) return;
  random_kernel<T, PB><<<grid_for((n + PB - 1) / PB), kThreads, 0, stream()>>>(o, n, dist, seed, offset, a, b, lo, cnt);
  check_launch("random kernel");
}
}  // namespace

void random(const View& out, int dist, uint64_t seed, uint64_t offset, double a, double b) {
  if (dist < 0 || dist > 2) throw std::invalid_argument("random: unknown distribution " + std::to_string(dist));
  if (!out.contiguous()) throw std::invalid_argument("random: out must be contiguous");
  const int64_t n = out.numel();
  int64_t lo = 0;
  uint64_t cnt = 0;
  switch (out.dtype) {
    case F32:
      if (dist == 2) int_range(a, b, 4294967296.0, lo, cnt);
      return launch<float, 4>(out.ptr<float>(), n, dist, seed, offset, a, b, lo, cnt);
    case F64:
      if (dist == 2) int_range(a, b, 9.2e18, lo, cnt);
      return launch<double, 2>(out.ptr<double>(), n, dist, seed, offset, a, b, lo, cnt);
    case I32:
      if (dist != 2) throw std::invalid_argument("random: I32 tensors only support integer sampling (dist 2)");
      if (a < -2147483648.0 || b > 2147483648.0) throw std::invalid_argument("random: integer bounds outside int32");
      int_range(a, b, 4294967296.0, lo, cnt);
      return launch<int32_t, 4>(out.ptr<int32_t>(), n, dist, seed, offset, a, b, lo, cnt);
    default: throw std::invalid_argument("random: unsupported dtype");
  }
}

}  // namespace td::cuda
