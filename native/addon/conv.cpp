// conv.cpp — Node-API entry points of the sliding-window kernels (native/cpu/conv.h):
//   im2col(cols, x)   scratch: views cols, x; then kh, kw, sh, sw, ph, pw, dh, dw, oh, ow
//   col2im(dx, cols)  scratch: views dx, cols; then the same ten integers
// JS (lib/ops/conv.ts, lib/ops/pool.ts) validates first; these checks (storages, bounds, dtypes,
// shapes, contiguity, aliasing, geometry) keep a bad call from corrupting memory, and every C++
// exception becomes a JS exception through guard().
#include <array>
#include <string>

#include "../cpu/conv.h"
#include "glue.h"

namespace td::addon {
namespace {


int64_t mul_checked(int64_t a, int64_t b, const char* op) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) throw std::out_of_range(std::string(op) + ": sizes overflow");
  return r;
}

// Reads and checks the ten geometry integers.
cpu::ConvGeom read_geom(Reader& r, const char* op) {
  cpu::ConvGeom g;
  int64_t* f[10] = {&g.kh, &g.kw, &g.sh, &g.sw, &g.ph, &g.pw, &g.dh, &g.dw, &g.oh, &g.ow};
  const char* names[10] = {"kernel height", "kernel width", "stride", "stride", "padding", "padding",
                           "dilation", "dilation", "output height", "output width"};
  for (int i = 0; i < 10; i++) {
    *f[i] = r.integer(names[i]);
    const int64_t lo = (i == 4 || i == 5 || i >= 8) ? 0 : 1;
    if (*f[i] < lo || *f[i] > 2147483647)
      throw std::out_of_range(std::string(op) + ": " + names[i] + " " + std::to_string(*f[i]) + " is out of range");
  }
  return g;
}

// Checks image [N, C, H, W] and cols [N, C*kh*kw, oh*ow] (contiguous) agree; same float dtype.
void check_pair(const View& img, const View& cols, const cpu::ConvGeom& g, const char* op, const char* img_name) {
  if (img.ndim != 4) throw std::invalid_argument(std::string(op) + ": " + img_name + " must be 4-d [N, C, H, W], got " + shape_of(img));
  if (img.dtype != F32 && img.dtype != F64)
    throw std::invalid_argument(std::string(op) + ": " + img_name + " must be float32 or float64");
  if (cols.dtype != img.dtype) throw std::invalid_argument(std::string(op) + ": columns and " + img_name + " dtypes differ");
  const int64_t rows = mul_checked(mul_checked(img.shape[1], g.kh, op), g.kw, op);
  const int64_t L = mul_checked(g.oh, g.ow, op);
  if (cols.ndim != 3 || cols.shape[0] != img.shape[0] || cols.shape[1] != rows || cols.shape[2] != L)
    throw std::invalid_argument(std::string(op) + ": columns " + shape_of(cols) + " must be [" + std::to_string(img.shape[0]) +
                                ", " + std::to_string(rows) + ", " + std::to_string(L) + "] for " + img_name + " " + shape_of(img));
  if (!cols.contiguous()) throw std::invalid_argument(std::string(op) + ": columns must be contiguous");
}

// The geometry as the flat array native/cuda/backend.h takes.
std::array<int64_t, 10> flat_geom(const cpu::ConvGeom& g) {
  return {g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow};
}

Napi::Value Im2col(const Napi::CallbackInfo& info) {
  const char* op = "im2col";
  return guard(info, op, [&]() -> Napi::Value {
    Storage* sc = storage_arg(info, 0, op);
    Storage* sx = storage_arg(info, 1, op);
    if (sc == sx) throw std::invalid_argument("im2col: columns must not alias the input");
    Reader r;
    View cols = r.view(sc, op), x = r.view(sx, op);
    const cpu::ConvGeom g = read_geom(r, op);
    check_pair(x, cols, g, op, "input");
    if (cols.numel() > 0) {
      if (on_cuda(op, {sc, sx})) cuda::im2col(cols, x, flat_geom(g).data());
      else cpu::im2col(cols, x, g);
    }
    return info.Env().Undefined();
  });
}

Napi::Value Col2im(const Napi::CallbackInfo& info) {
  const char* op = "col2im";
  return guard(info, op, [&]() -> Napi::Value {
    Storage* sd = storage_arg(info, 0, op);
    Storage* sc = storage_arg(info, 1, op);
    if (sc == sd) throw std::invalid_argument("col2im: output must not alias the columns");
    Reader r;
    View dx = r.view(sd, op), cols = r.view(sc, op);
    const cpu::ConvGeom g = read_geom(r, op);
    check_pair(dx, cols, g, op, "output");
    if (!dx.contiguous()) throw std::invalid_argument("col2im: output must be contiguous");
    if (dx.numel() > 0) {
      if (on_cuda(op, {sd, sc})) cuda::col2im(dx, cols, flat_geom(g).data());
      else cpu::col2im(dx, cols, g);
    }
    return info.Env().Undefined();
  });
}

}  // namespace

void init_conv(Napi::Env env, Napi::Object exports) {
  exports.Set("im2col", Napi::Function::New(env, Im2col, "im2col"));
  exports.Set("col2im", Napi::Function::New(env, Col2im, "col2im"));
}

}  // namespace td::addon
