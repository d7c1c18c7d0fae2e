// fused_ops.cu — the CUDA side of the fused entry points of backend.h: takes the addon's validated
// views, prepares what the pointer-level launchers of fused.cu / optim.cu need (per-sample weights as
// device doubles, the partial-sum scratch, the loss cell) and reads the loss back (a synchronising
// 8-byte read). The math is native/kernels/{fused_losses,cld,adam}.h, shared with the CPU.
#include "../kernels/fused_losses.h"
#include "launchers.h"
#include "runtime.h"

namespace td::cuda {
namespace {
// A [B] float vector as B device doubles in `dst` (a cast kernel; F64 input is copied).
void as_doubles(const View& v, double* dst) {
  View d;
  d.data = dst;
  d.dtype = F64;
  d.ndim = 1;
  d.shape[0] = v.numel();
  d.strides[0] = 1;
  View s = v;
  if (s.ndim == 0) { s.ndim = 1; s.shape[0] = 1; s.strides[0] = 1; }
  cast(d, s);
}

double wmse_run(const View& pred, const View& target, const View* mask, const double* omega, bool mean,
                const View* grad, const View& ps) {
  const int64_t B = pred.shape[0];
  const int64_t n = B > 0 ? pred.numel() / B : 0;
  const int64_t cps = (n + kern::kFusedChunk - 1) / kern::kFusedChunk;
  Temp scratch(sizeof(double) * static_cast<size_t>(B * (cps > 0 ? cps : 1)));
  Temp loss(sizeof(double));
  cudaError_t e;
  if (pred.dtype == F32)
    e = fused_weighted_mse_f32(pred.ptr<float>(), target.ptr<float>(), mask ? mask->ptr<float>() : nullptr,
                               grad ? grad->ptr<float>() : nullptr, omega, B, n, mean, ps.ptr<float>(),
                               loss.as<double>(), scratch.as<double>(), stream());
  else
    e = fused_weighted_mse_f64(pred.ptr<double>(), target.ptr<double>(), mask ? mask->ptr<double>() : nullptr,
                               grad ? grad->ptr<double>() : nullptr, omega, B, n, mean, ps.ptr<double>(),
                               loss.as<double>(), scratch.as<double>(), stream());
  check(e, "weightedMse kernel");
  double h = 0;
  copy_d2h(&h, loss.as<double>(), sizeof h);
  return h;
}
}  // namespace

double weighted_mse(const View& pred, const View& target, const View* mask, const View& weight, bool mean,
                    const View* grad, const View& per_sample) {
  const int64_t B = pred.shape[0];
  Temp omega(sizeof(double) * static_cast<size_t>(B));
  as_doubles(weight, omega.as<double>());
  return wmse_run(pred, target, mask, omega.as<double>(), mean, grad, per_sample);
}

double sigmoid_elbo(const View& pred, const View& target, const View* mask, const View& logsnr, const View& dlogsnr,
                    double bias, int param, int weighting, bool mean, const View* grad, const View& per_sample) {
  if (param < kern::ELBO_EPS || param > kern::ELBO_V) throw std::invalid_argument("sigmoidElbo: unknown parameterization code");
  if (weighting < kern::ELBO_W_SIGMOID || weighting > kern::ELBO_W_ELBO)
    throw std::invalid_argument("sigmoidElbo: unknown weighting code");
  const int64_t B = pred.shape[0];
  Temp lam(sizeof(double) * static_cast<size_t>(B)), dlam(sizeof(double) * static_cast<size_t>(B));
  Temp omega(sizeof(double) * static_cast<size_t>(B));
  as_doubles(logsnr, lam.as<double>());
  as_doubles(dlogsnr, dlam.as<double>());
  check(fused_elbo_omega_f64(lam.as<double>(), dlam.as<double>(), B, bias, param, weighting, omega.as<double>(), stream()),
        "sigmoidElbo weight kernel");
  return wmse_run(pred, target, mask, omega.as<double>(), mean, grad, per_sample);
}

void cld_affine(const View& ox, const View& ov, const View* ex, const View* ev, const View& x, const View& v,
                const View* s, const View& coef, uint64_t seed, uint64_t offset, bool noise) {
  if ((ex == nullptr) != (ev == nullptr)) throw std::invalid_argument("cldAffine: eps_x and eps_v go together");
  const int64_t B = x.shape[0], N = x.numel();
  const bool per = coef.ndim == 2;
  cudaError_t e;
  if (x.dtype == F32)
    e = fused_cld_affine_f32(x.ptr<float>(), v.ptr<float>(), s ? s->ptr<float>() : nullptr, coef.ptr<double>(), per, B, N,
                             ox.ptr<float>(), ov.ptr<float>(), ex ? ex->ptr<float>() : nullptr,
                             ev ? ev->ptr<float>() : nullptr, seed, offset, noise, stream());
  else if (x.dtype == F64)
    e = fused_cld_affine_f64(x.ptr<double>(), v.ptr<double>(), s ? s->ptr<double>() : nullptr, coef.ptr<double>(), per, B,
                             N, ox.ptr<double>(), ov.ptr<double>(), ex ? ex->ptr<double>() : nullptr,
                             ev ? ev->ptr<double>() : nullptr, seed, offset, noise, stream());
  else
    throw std::invalid_argument("cldAffine: float32 or float64 tensors expected");
  check(e, "cldAffine kernel");
}

void adam_step(const View& p, const View& g, const View& m, const View& v, const View* vmax, const kern::AdamScalars& s) {
  const int64_t n = p.numel();
  cudaError_t e;
  if (p.dtype == F32)
    e = fused_adam_f32(p.ptr<float>(), g.ptr<float>(), m.ptr<float>(), v.ptr<float>(), vmax ? vmax->ptr<float>() : nullptr,
                       n, s, stream());
  else if (p.dtype == F64)
    e = fused_adam_f64(p.ptr<double>(), g.ptr<double>(), m.ptr<double>(), v.ptr<double>(),
                       vmax ? vmax->ptr<double>() : nullptr, n, s, stream());
  else
    throw std::invalid_argument("adamStep: float32 or float64 tensors expected");
  check(e, "adamStep kernel");
}

}  // namespace td::cuda
