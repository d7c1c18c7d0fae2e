// conv.cpp — OpenMP im2col / col2im kernels (contract in conv.h). Both run one (n, c) plane per
// iteration, so threads never write the same memory; the valid range of output columns for each
// kernel tap is computed once, so the inner loops carry no bounds tests (and vectorise when the
// stride is 1).
#include "conv.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "cpu.h"

namespace td::cpu {
namespace {

inline int64_t floor_div(int64_t a, int64_t b) {  // b > 0
  return a >= 0 ? a / b : -((-a + b - 1) / b);
}

// Output columns [lo, hi) whose input column ow*sw + base lies in [0, W).
inline void valid_cols(int64_t base, int64_t sw, int64_t W, int64_t OW, int64_t& lo, int64_t& hi) {
  lo = std::min<int64_t>(OW, std::max<int64_t>(0, floor_div(-base + sw - 1, sw)));
  hi = std::min<int64_t>(OW, floor_div(W - 1 - base, sw) + 1);
  if (hi < lo) hi = lo;
}

template <typename T>
void im2col_t(const View& cols, const View& x, const ConvGeom& g) {
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t xs0 = x.strides[0], xs1 = x.strides[1], xs2 = x.strides[2], xs3 = x.strides[3];
  const int64_t KK = g.kh * g.kw, L = g.oh * g.ow, OW = g.ow;
  const T* xb = x.ptr<T>();
  T* cb = cols.ptr<T>();
  const int64_t planes = N * C;
  parallel_for(planes, worth_parallel(planes * KK * L), [&](int64_t p) {
    const int64_t n = p / C, c = p % C;
    const T* xp = xb + n * xs0 + c * xs1;
    T* cp = cb + p * KK * L;
    for (int64_t ki = 0; ki < g.kh; ki++)
      for (int64_t kj = 0; kj < g.kw; kj++) {
        T* row = cp + (ki * g.kw + kj) * L;
        const int64_t base = kj * g.dw - g.pw;
        int64_t lo, hi;
        valid_cols(base, g.sw, W, OW, lo, hi);
        for (int64_t oh = 0; oh < g.oh; oh++) {
          T* dst = row + oh * OW;
          const int64_t ih = oh * g.sh - g.ph + ki * g.dh;
          if (ih < 0 || ih >= H || lo >= hi) {
            std::fill(dst, dst + OW, T(0));
            continue;
          }
          const T* src = xp + ih * xs2;
          std::fill(dst, dst + lo, T(0));
          if (g.sw == 1 && xs3 == 1) {
            const T* s = src + base;
            for (int64_t ow = lo; ow < hi; ow++) dst[ow] = s[ow];
          } else {
            for (int64_t ow = lo; ow < hi; ow++) dst[ow] = src[(ow * g.sw + base) * xs3];
          }
          std::fill(dst + hi, dst + OW, T(0));
        }
      }
  });
}

template <typename T>
void col2im_t(const View& dx, const View& cols, const ConvGeom& g) {
  const int64_t N = dx.shape[0], C = dx.shape[1], H = dx.shape[2], W = dx.shape[3];
  const int64_t KK = g.kh * g.kw, L = g.oh * g.ow, OW = g.ow;
  const T* cb = cols.ptr<T>();
  T* db = dx.ptr<T>();
  const int64_t planes = N * C;
  parallel_for(planes, worth_parallel(planes * KK * L), [&](int64_t p) {
    T* dp = db + p * H * W;
    std::fill(dp, dp + H * W, T(0));
    const T* cp = cb + p * KK * L;
    for (int64_t ki = 0; ki < g.kh; ki++)
      for (int64_t kj = 0; kj < g.kw; kj++) {
        const T* row = cp + (ki * g.kw + kj) * L;
        const int64_t base = kj * g.dw - g.pw;
        int64_t lo, hi;
        valid_cols(base, g.sw, W, OW, lo, hi);
        if (lo >= hi) continue;
        for (int64_t oh = 0; oh < g.oh; oh++) {
          const int64_t ih = oh * g.sh - g.ph + ki * g.dh;
          if (ih < 0 || ih >= H) continue;
          const T* src = row + oh * OW;
          T* dst = dp + ih * W;
          if (g.sw == 1) {
            T* d = dst + base;
            for (int64_t ow = lo; ow < hi; ow++) d[ow] += src[ow];
          } else {
            for (int64_t ow = lo; ow < hi; ow++) dst[ow * g.sw + base] += src[ow];
          }
        }
      }
  });
}

}  // namespace

void im2col(const View& cols, const View& x, const ConvGeom& g) {
  if (x.dtype == F32) return im2col_t<float>(cols, x, g);
  if (x.dtype == F64) return im2col_t<double>(cols, x, g);
  throw std::invalid_argument("im2col: float32 or float64 expected");
}

void col2im(const View& dx, const View& cols, const ConvGeom& g) {
  if (dx.dtype == F32) return col2im_t<float>(dx, cols, g);
  if (dx.dtype == F64) return col2im_t<double>(dx, cols, g);
  throw std::invalid_argument("col2im: float32 or float64 expected");
}

}  // namespace td::cpu
