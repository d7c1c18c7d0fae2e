// conv.cu — CUDA im2col / col2im for 2-D convolution and pooling (contracts in native/cpu/conv.h;
// geometry passed flat as kh kw sh sw ph pw dh dw oh ow). im2col: one thread per column element.
// col2im: one thread per input element summing the window taps that read it (a gather, so no atomics
// and the same order of additions for every run).
#include "strided.cuh"

namespace td::cuda {
namespace {
struct Geom {
  int64_t kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
};
Geom geom_of(const int64_t g[10]) { return Geom{g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], g[9]}; }

template <typename T>
__global__ void im2col_kernel(T* __restrict__ cols, const T* __restrict__ x, Geom g, int64_t C, int64_t H, int64_t W,
                              int64_t xs0, int64_t xs1, int64_t xs2, int64_t xs3, int64_t total) {
  const int64_t L = g.oh * g.ow, KK = g.kh * g.kw;
  for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < total; e += (int64_t)gridDim.x * blockDim.x) {
    const int64_t p = e / (KK * L), rem = e % (KK * L);
    const int64_t k = rem / L, l = rem % L;
    const int64_t n = p / C, c = p % C;
    const int64_t ki = k / g.kw, kj = k % g.kw, oh = l / g.ow, ow = l % g.ow;
    const int64_t ih = oh * g.sh - g.ph + ki * g.dh, iw = ow * g.sw - g.pw + kj * g.dw;
    cols[e] = (ih >= 0 && ih < H && iw >= 0 && iw < W) ? x[n * xs0 + c * xs1 + ih * xs2 + iw * xs3] : T(0);
  }
}

template <typename T>
__global__ void col2im_kernel(T* __restrict__ dx, const T* __restrict__ cols, Geom g, int64_t C, int64_t H, int64_t W,
                              int64_t total) {
  const int64_t L = g.oh * g.ow, KK = g.kh * g.kw;
  for (int64_t e = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; e < total; e += (int64_t)gridDim.x * blockDim.x) {
    const int64_t iw = e % W, ih = (e / W) % H, p = e / (W * H);
    const T* cp = cols + p * KK * L;
    T acc = T(0);
    for (int64_t ki = 0; ki < g.kh; ki++) {
      const int64_t th = ih + g.ph - ki * g.dh;
      if (th < 0 || th % g.sh) continue;
      const int64_t oh = th / g.sh;
      if (oh >= g.oh) continue;
      for (int64_t kj = 0; kj < g.kw; kj++) {
        const int64_t tw = iw + g.pw - kj * g.dw;
        if (tw < 0 || tw % g.sw) continue;
        const int64_t ow = tw / g.sw;
        if (ow >= g.ow) continue;
        acc += cp[(ki * g.kw + kj) * L + oh * g.ow + ow];
      }
    }
    dx[e] = acc;
  }
}
}  // namespace

void im2col(const View& cols, const View& x, const int64_t geom[10]) {
  const Geom g = geom_of(geom);
  const int64_t total = cols.numel();
  if (total == 0) return;
  if (!cols.contiguous()) throw std::invalid_argument("im2col: cols must be contiguous");
  const int64_t C = x.shape[1], H = x.shape[2], W = x.shape[3];
  switch (x.dtype) {
    case F32:
      im2col_kernel<float><<<grid_for(total), kThreads, 0, stream()>>>(cols.ptr<float>(), x.ptr<float>(), g, C, H, W,
                                                                      x.strides[0], x.strides[1], x.strides[2], x.strides[3], total);
      break;
    case F64:
      im2col_kernel<double><<<grid_for(total), kThreads, 0, stream()>>>(cols.ptr<double>(), x.ptr<double>(), g, C, H, W,
                                                                       x.strides[0], x.strides[1], x.strides[2], x.strides[3], total);
      break;
    default: throw std::invalid_argument("im2col: float32 or float64 expected");
  }
  check_launch("im2col kernel");
}

void col2im(const View& dx, const View& cols, const int64_t geom[10]) {
  const Geom g = geom_of(geom);
  const int64_t total = dx.numel();
  if (total == 0) return;
  if (!dx.contiguous() || !cols.contiguous()) throw std::invalid_argument("col2im: dx and cols must be contiguous");
  const int64_t C = dx.shape[1], H = dx.shape[2], W = dx.shape[3];
  switch (dx.dtype) {
    case F32:
      col2im_kernel<float><<<grid_for(total), kThreads, 0, stream()>>>(dx.ptr<float>(), cols.ptr<float>(), g, C, H, W, total);
      break;
    case F64:
      col2im_kernel<double><<<grid_for(total), kThreads, 0, stream()>>>(dx.ptr<double>(), cols.ptr<double>(), g, C, H, W, total);
      break;
    default: throw std::invalid_argument("col2im: float32 or float64 expected");
  }
  check_launch("col2im kernel");
}

}  // namespace td::cuda
