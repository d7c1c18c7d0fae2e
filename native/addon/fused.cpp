// fused.cpp — Node-API entry points of the fused diffusion kernels (native/cpu/fused.h):
//   weightedMse(pred, target, weight, mask|null, grad|null, perSample) -> loss (number)
//     scratch: views pred, target, weight, [mask], [grad], perSample; then reduction (0 mean, 1 sum)
//   sigmoidElbo(pred, target, logsnr, dlogsnr, mask|null, grad|null, perSample) -> loss (number)
//     scratch: views pred, target, logsnr, dlogsnr, [mask], [grad], perSample; then bias, param
//     (0 eps, 1 x, 2 v), weighting (0 sigmoid, 1 elbo), reduction
//   cldAffine(outX, outV, epsX|null, epsV|null, x, v, s|null, coef)
//     scratch: views outX, outV, [epsX, epsV], x, v, [s], coef; then seed lo, seed hi, offset lo,
//     offset hi, noise (0/1)
// JS (lib/diffusion/fused.ts, cldKernel.ts) validates first; these checks (storages, bounds, dtypes,
// shapes, contiguity, aliasing) keep a bad call from corrupting memory, and every C++ exception
// becomes a JS exception through guard(). Storages on the GPU go to the CUDA launchers
// (native/cuda/fused_ops.cu), which share the per-element math of native/kernels/ with the CPU.
#include <string>
#include <vector>

#include "../cpu/cpu.h"
#include "../cpu/fused.h"
#include "glue.h"

namespace td::addon {
namespace {

void check_same(const View& a, const View& b, const char* op, const char* an, const char* bn) {
  bool ok = a.ndim == b.ndim;
  for (int d = 0; ok && d < a.ndim; d++) ok = a.shape[d] == b.shape[d];
  if (!ok)
    throw std::invalid_argument(std::string(op) + ": " + an + " " + shape_of(a) + " and " + bn + " " + shape_of(b) +
                                " must have the same shape");
  if (a.dtype != b.dtype) throw std::invalid_argument(std::string(op) + ": " + an + " and " + bn + " dtypes differ");
}
void check_contig(const View& a, const char* op, const char* name) {
  if (!a.contiguous()) throw std::invalid_argument(std::string(op) + ": " + name + " must be contiguous");
}
void check_float(const View& a, const char* op, const char* name) {
  if (a.dtype != F32 && a.dtype != F64)
    throw std::invalid_argument(std::string(op) + ": " + name + " must be float32 or float64");
}
void check_batch_vec(const View& w, int64_t B, const char* op, const char* name) {
  if (w.ndim != 1 || w.shape[0] != B)
    throw std::invalid_argument(std::string(op) + ": " + name + " must have shape [" + std::to_string(B) + "], got " +
                                shape_of(w));
  check_contig(w, op, name);
  check_float(w, op, name);
}

// Shared checks of the loss calls: pred/target/mask/grad [B, ...] equal, contiguous; perSample [B].
void check_loss_views(const View& pred, const View& target, const View* mask, const View* grad, const View& ps,
                      const char* op) {
  if (pred.ndim < 1 || pred.shape[0] < 1) throw std::invalid_argument(std::string(op) + ": pred needs a batch dim B >= 1");
  check_float(pred, op, "pred");
  check_same(pred, target, op, "pred", "target");
  check_contig(pred, op, "pred");
  check_contig(target, op, "target");
  if (mask) {
    check_same(pred, *mask, op, "pred", "mask");
    check_contig(*mask, op, "mask");
  }
  if (grad) {
    check_same(pred, *grad, op, "pred", "grad");
    check_contig(*grad, op, "grad");
  }
  check_batch_vec(ps, pred.shape[0], op, "perSample");
  if (ps.dtype != pred.dtype) throw std::invalid_argument(std::string(op) + ": perSample dtype must match pred");
}

Napi::Value WeightedMse(const Napi::CallbackInfo& info) {
  const char* op = "weightedMse";
  return guard(info, op, [&]() -> Napi::Value {
    Storage* sp = storage_arg(info, 0, op);
    Storage* st = storage_arg(info, 1, op);
    Storage* sw = storage_arg(info, 2, op);
    Storage* sm = opt_storage(info, 3, op);
    Storage* sg = opt_storage(info, 4, op);
    Storage* ss = storage_arg(info, 5, op);
    if (sg && (sg == sp || sg == st || sg == sm)) throw std::invalid_argument("weightedMse: grad must not alias an input");
    if (ss == sp || ss == st || ss == sm || ss == sg || ss == sw)
      throw std::invalid_argument("weightedMse: perSample must not alias another argument");
    Reader r;
    View pred = r.view(sp, op), target = r.view(st, op), w = r.view(sw, op);
    View mask, grad;
    if (sm) mask = r.view(sm, op);
    if (sg) grad = r.view(sg, op);
    View ps = r.view(ss, op);
    const int64_t red = r.integer("reduction");
    if (red != 0 && red != 1) throw std::out_of_range("weightedMse: unknown reduction code");
    check_loss_views(pred, target, sm ? &mask : nullptr, sg ? &grad : nullptr, ps, op);
    check_batch_vec(w, pred.shape[0], op, "weight");
    const int64_t B = pred.shape[0];
    if (on_cuda(op, {sp, st, sw, sm, sg, ss}))
      return Napi::Number::New(info.Env(), cuda::weighted_mse(pred, target, sm ? &mask : nullptr, w, red == 0,
                                                              sg ? &grad : nullptr, ps));
    std::vector<double> omega(static_cast<size_t>(B));
    for (int64_t b = 0; b < B; b++) omega[b] = w.dtype == F64 ? w.ptr<double>()[b] : w.ptr<float>()[b];
    const double loss = cpu::weighted_mse(pred, target, sm ? &mask : nullptr, omega.data(), red == 0,
                                          sg ? &grad : nullptr, ps);
    return Napi::Number::New(info.Env(), loss);
  });
}

Napi::Value SigmoidElbo(const Napi::CallbackInfo& info) {
  const char* op = "sigmoidElbo";
  return guard(info, op, [&]() -> Napi::Value {
    Storage* sp = storage_arg(info, 0, op);
    Storage* st = storage_arg(info, 1, op);
    Storage* sl = storage_arg(info, 2, op);
    Storage* sd = storage_arg(info, 3, op);
    Storage* sm = opt_storage(info, 4, op);
    Storage* sg = opt_storage(info, 5, op);
    Storage* ss = storage_arg(info, 6, op);
    if (sg && (sg == sp || sg == st || sg == sm)) throw std::invalid_argument("sigmoidElbo: grad must not alias an input");
    if (ss == sp || ss == st || ss == sm || ss == sg || ss == sl || ss == sd)
      throw std::invalid_argument("sigmoidElbo: perSample must not alias another argument");
    Reader r;
    View pred = r.view(sp, op), target = r.view(st, op), lam = r.view(sl, op), dlam = r.view(sd, op);
    View mask, grad;
    if (sm) mask = r.view(sm, op);
    if (sg) grad = r.view(sg, op);
    View ps = r.view(ss, op);
    const double bias = r.num();
    const int64_t param = r.integer("parameterization"), weighting = r.integer("weighting"),
                  red = r.integer("reduction");
    if (param < 0 || param > 2) throw std::out_of_range("sigmoidElbo: unknown parameterization code");
    if (weighting < 0 || weighting > 1) throw std::out_of_range("sigmoidElbo: unknown weighting code");
    if (red != 0 && red != 1) throw std::out_of_range("sigmoidElbo: unknown reduction code");
    check_loss_views(pred, target, sm ? &mask : nullptr, sg ? &grad : nullptr, ps, op);
    check_batch_vec(lam, pred.shape[0], op, "logsnr");
    check_batch_vec(dlam, pred.shape[0], op, "dlogsnrDt");
    if (on_cuda(op, {sp, st, sl, sd, sm, sg, ss}))
      return Napi::Number::New(info.Env(), cuda::sigmoid_elbo(pred, target, sm ? &mask : nullptr, lam, dlam, bias, (int)param,
                                                              (int)weighting, red == 0, sg ? &grad : nullptr, ps));
    const double loss = cpu::sigmoid_elbo(pred, target, sm ? &mask : nullptr, lam, dlam, bias, (int)param,
                                          (int)weighting, red == 0, sg ? &grad : nullptr, ps);
    return Napi::Number::New(info.Env(), loss);
  });
}

Napi::Value CldAffine(const Napi::CallbackInfo& info) {
  const char* op = "cldAffine";
  return guard(info, op, [&]() -> Napi::Value {
    Storage* sox = storage_arg(info, 0, op);
    Storage* sov = storage_arg(info, 1, op);
    Storage* sex = opt_storage(info, 2, op);
    Storage* sev = opt_storage(info, 3, op);
    Storage* sx = storage_arg(info, 4, op);
    Storage* sv = storage_arg(info, 5, op);
    Storage* ss = opt_storage(info, 6, op);
    Storage* sc = storage_arg(info, 7, op);
    if ((sex == nullptr) != (sev == nullptr)) throw std::invalid_argument("cldAffine: epsX and epsV go together");
    Storage* outs[4] = {sox, sov, sex, sev};
    Storage* ins[4] = {sx, sv, ss, sc};
    for (int i = 0; i < 4; i++) {
      if (!outs[i]) continue;
      for (int j = 0; j < 4; j++)
        if (outs[i] == ins[j]) throw std::invalid_argument("cldAffine: an output aliases an input");
      for (int j = i + 1; j < 4; j++)
        if (outs[i] == outs[j]) throw std::invalid_argument("cldAffine: outputs alias each other");
    }
    Reader r;
    View ox = r.view(sox, op), ov = r.view(sov, op);
    View ex, ev, s;
    if (sex) {
      ex = r.view(sex, op);
      ev = r.view(sev, op);
    }
    View x = r.view(sx, op), v = r.view(sv, op);
    if (ss) s = r.view(ss, op);
    View coef = r.view(sc, op);
    const uint64_t seed = (uint64_t)r.integer("seed") | ((uint64_t)r.integer("seed") << 32);
    const uint64_t off = (uint64_t)r.integer("offset") | ((uint64_t)r.integer("offset") << 32);
    const bool noise = r.num() != 0;
    if (x.ndim < 1) throw std::invalid_argument("cldAffine: x needs a batch dim");
    check_float(x, op, "x");
    check_same(x, v, op, "x", "v");
    check_same(x, ox, op, "x", "out x");
    check_same(x, ov, op, "x", "out v");
    check_contig(x, op, "x");
    check_contig(v, op, "v");
    check_contig(ox, op, "out x");
    check_contig(ov, op, "out v");
    if (ss) {
      check_same(x, s, op, "x", "s");
      check_contig(s, op, "s");
    }
    if (sex) {
      check_same(x, ex, op, "x", "epsX");
      check_same(x, ev, op, "x", "epsV");
      check_contig(ex, op, "epsX");
      check_contig(ev, op, "epsV");
    }
    if (coef.dtype != F64) throw std::invalid_argument("cldAffine: coef must be float64");
    check_contig(coef, op, "coef");
    const bool shared = coef.ndim == 1 && coef.shape[0] == 9;
    const bool per = coef.ndim == 2 && coef.shape[0] == x.shape[0] && coef.shape[1] == 9;
    if (!shared && !per)
      throw std::invalid_argument("cldAffine: coef must have shape [9] or [" + std::to_string(x.shape[0]) + ", 9], got " +
                                  shape_of(coef));
    if (on_cuda(op, {sox, sov, sex, sev, sx, sv, ss, sc}))
      cuda::cld_affine(ox, ov, sex ? &ex : nullptr, sex ? &ev : nullptr, x, v, ss ? &s : nullptr, coef, seed, off, noise);
    else
      cpu::cld_affine(ox, ov, sex ? &ex : nullptr, sex ? &ev : nullptr, x, v, ss ? &s : nullptr, coef, seed, off, noise);
    return info.Env().Undefined();
  });
}

Napi::Value FusedKernel(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), cpu::fused_kernel_name());
}

}  // namespace

void init_fused(Napi::Env env, Napi::Object exports) {
  exports.Set("weightedMse", Napi::Function::New(env, WeightedMse, "weightedMse"));
  exports.Set("sigmoidElbo", Napi::Function::New(env, SigmoidElbo, "sigmoidElbo"));
  exports.Set("cldAffine", Napi::Function::New(env, CldAffine, "cldAffine"));
  exports.Set("fusedKernel", Napi::Function::New(env, FusedKernel, "fusedKernel"));
}

}  // namespace td::addon
