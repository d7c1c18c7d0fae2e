// optim.cpp — Node-API entry point of the fused optimizer kernels (native/cpu/optim.h):
//   adamStep(p, g, m, v, vmax|null) -> undefined, updating p, m, v (and vmax) in place
//     scratch: views p, g, m, v, [vmax]; then lr, beta1, beta2, eps, weightDecay, decoupled (0 Adam,
//     1 AdamW), bc1 = 1 − β1^t, bc2 = 1 − β2^t (computed by the caller in float64)
//   optimKernel() -> "avx2" | "portable"
// JS (lib/optim/adamKernel.ts) validates first; these checks (live storages, view bounds, float
// dtypes, one dtype, equal element counts, contiguity, no aliasing of written buffers, finite scalars
// in range) keep a bad call from corrupting memory, and every C++ exception becomes a JS exception.
#include <cmath>
#include <string>

#include "../cpu/optim.h"
#include "glue.h"

namespace td::addon {
namespace {

Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  const char* op = "adamStep";
  return guard(info, op, [&]() -> Napi::Value {
    Storage* sp = storage_arg(info, 0, op);
    Storage* sg = storage_arg(info, 1, op);
    Storage* sm = storage_arg(info, 2, op);
    Storage* sv = storage_arg(info, 3, op);
    Storage* sx = opt_storage(info, 4, op);
    // every written buffer (p, m, v, vmax) must be its own storage, and g must not be one of them
    Storage* written[4] = {sp, sm, sv, sx};
    for (int i = 0; i < 4; i++) {
      if (!written[i]) continue;
      if (written[i] == sg) throw std::invalid_argument("adamStep: grad shares storage with a tensor the step writes");
      for (int j = i + 1; j < 4; j++)
        if (written[i] == written[j])
          throw std::invalid_argument("adamStep: param, exp_avg, exp_avg_sq and max_exp_avg_sq must not share storage");
    }
    Reader r;
    const View p = r.view(sp, op), g = r.view(sg, op), m = r.view(sm, op), v = r.view(sv, op);
    View x;
    if (sx) x = r.view(sx, op);
    kern::AdamScalars s;
    s.lr = r.num();
    s.beta1 = r.num();
    s.beta2 = r.num();
    s.eps = r.num();
    s.weight_decay = r.num();
    const double decoupled = r.num();
    s.bc1 = r.num();
    s.bc2 = r.num();
    s.decoupled = decoupled != 0;

    if (p.dtype != F32 && p.dtype != F64)
      throw std::invalid_argument(std::string("adamStep: param must be float32 or float64, got ") + dtype_name(p.dtype));
    const View* views[5] = {&p, &g, &m, &v, sx ? &x : nullptr};
    const char* names[5] = {"param", "grad", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
    for (int i = 0; i < 5; i++) {
      if (!views[i]) continue;
      const View& w = *views[i];
      if (w.dtype != p.dtype)
        throw std::invalid_argument(std::string("adamStep: ") + names[i] + " is " + dtype_name(w.dtype) + ", param is " +
                                    dtype_name(p.dtype));
      if (w.numel() != p.numel())
        throw std::out_of_range(std::string("adamStep: ") + names[i] + " " + shape_of(w) + " has " +
                                std::to_string(w.numel()) + " elements, param " + shape_of(p) + " has " +
                                std::to_string(p.numel()));
      if (!w.contiguous()) throw std::invalid_argument(std::string("adamStep: ") + names[i] + " must be contiguous");
    }
    auto finite_in = [](double a, double lo, double hi) { return std::isfinite(a) && a >= lo && a <= hi; };
    if (!finite_in(s.lr, 0, 1e300)) throw std::out_of_range("adamStep: lr must be finite and >= 0");
    if (!finite_in(s.beta1, 0, 1) || s.beta1 >= 1 || !finite_in(s.beta2, 0, 1) || s.beta2 >= 1)
      throw std::out_of_range("adamStep: betas must be in [0, 1)");
    if (!finite_in(s.eps, 0, 1e300)) throw std::out_of_range("adamStep: eps must be finite and >= 0");
    if (!finite_in(s.weight_decay, 0, 1e300)) throw std::out_of_range("adamStep: weightDecay must be finite and >= 0");
    if (decoupled != 0 && decoupled != 1) throw std::out_of_range("adamStep: decoupled must be 0 or 1");
    if (!finite_in(s.bc1, 0, 1) || s.bc1 == 0 || !finite_in(s.bc2, 0, 1) || s.bc2 == 0)
      throw std::out_of_range("adamStep: bias corrections must be in (0, 1]");
    if (on_cuda(op, {sp, sg, sm, sv, sx})) cuda::adam_step(p, g, m, v, sx ? &x : nullptr, s);
    else cpu::adam_step(p, g, m, v, sx ? &x : nullptr, s);
    return info.Env().Undefined();
  });
}

Napi::Value OptimKernel(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), cpu::optim_kernel_name());
}

}  // namespace

void init_optim(Napi::Env env, Napi::Object exports) {
  exports.Set("adamStep", Napi::Function::New(env, AdamStep, "adamStep"));
  exports.Set("optimKernel", Napi::Function::New(env, OptimKernel, "optimKernel"));
}

}  // namespace td::addon
