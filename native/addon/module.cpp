// module.cpp — the addon's entry point: registers storage and kernel functions, plus backend info
// and thread control.
#include <cstdlib>

#include "../cpu/cpu.h"
#include "../cuda/backend.h"
#include "../cuda/cuda.h"
#include "glue.h"

namespace td::addon {
void init_optim(Napi::Env env, Napi::Object exports);  // optim.cpp
namespace {
Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  auto cpu = Napi::Object::New(env);
  cpu.Set("threads", Napi::Number::New(env, td::cpu::num_threads()));
  cpu.Set("gemmKernel", Napi::String::New(env, td::cpu::gemm_kernel_name()));
#ifdef _OPENMP
  cpu.Set("openmp", Napi::Boolean::New(env, true));
#else
  cpu.Set("openmp", Napi::Boolean::New(env, false));
#endif
  o.Set("cpu", cpu);
  td::cuda::Info ci = td::cuda::probe();
  auto cuda = Napi::Object::New(env);
  cuda.Set("compiled", Napi::Boolean::New(env, ci.compiled));
  cuda.Set("available", Napi::Boolean::New(env, ci.available));
  cuda.Set("deviceCount", Napi::Number::New(env, ci.device_count));
  cuda.Set("reason", Napi::String::New(env, ci.reason));
  if (!ci.device_name.empty()) cuda.Set("deviceName", Napi::String::New(env, ci.device_name));
  if (ci.runtime_version) cuda.Set("runtimeVersion", Napi::Number::New(env, ci.runtime_version));
  if (ci.compute_capability) cuda.Set("computeCapability", Napi::Number::New(env, ci.compute_capability / 10.0));
  if (ci.total_memory > 0) cuda.Set("totalMemory", Napi::Number::New(env, ci.total_memory));
  if (ci.multiprocessors) cuda.Set("multiprocessors", Napi::Number::New(env, ci.multiprocessors));
  if (ci.compiled) cuda.Set("gemmKernel", Napi::String::New(env, td::cuda::gemm_kernel_name()));
  o.Set("cuda", cuda);
  return o;
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber())
    throw Napi::TypeError::New(info.Env(), "setNumThreads: expected a number");
  td::cpu::set_num_threads(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}
// measureLimits(elements = 2^25, reps = 10) -> {copyGBs, triadGBs, fmaGflops, fmaIsa, threads}
Napi::Value MeasureLimits(const Napi::CallbackInfo& info) {
  return guard(info, "measureLimits", [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    int64_t n = int64_t(1) << 25;
    int reps = 10;
    if (info.Length() > 0 && info[0].IsNumber()) n = info[0].As<Napi::Number>().Int64Value();
    if (info.Length() > 1 && info[1].IsNumber()) reps = info[1].As<Napi::Number>().Int32Value();
    if (n < 1 || n > (int64_t(1) << 30) || reps < 1 || reps > 1000)
      throw Napi::RangeError::New(env, "measureLimits: elements must be in [1, 2^30] and reps in [1, 1000]");
    const td::cpu::Limits L = td::cpu::measure_limits(n, reps);
    auto o = Napi::Object::New(env);
    o.Set("copyGBs", Napi::Number::New(env, L.copy_gbs));
    o.Set("triadGBs", Napi::Number::New(env, L.triad_gbs));
    o.Set("fmaGflops", Napi::Number::New(env, L.fma_gflops));
    o.Set("fmaIsa", Napi::String::New(env, L.fma_isa));
    o.Set("threads", Napi::Number::New(env, td::cpu::num_threads()));
    return o;
  });
}

Napi::Value NumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), td::cpu::num_threads());
}

}  // namespace

void init_conv(Napi::Env, Napi::Object);  // conv.cpp: im2col / col2im

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  if (const char* t = std::getenv("TENSORDIFF_NUM_THREADS")) {
    int n = std::atoi(t);
    if (n > 0) td::cpu::set_num_threads(n);
  }
  init_storage(env, exports);
  init_kernels(env, exports);
  init_fused(env, exports);
  init_optim(env, exports);
  init_conv(env, exports);
  exports.Set("info", Napi::Function::New(env, Info, "info"));
  exports.Set("setNumThreads", Napi::Function::New(env, SetNumThreads, "setNumThreads"));
  exports.Set("numThreads", Napi::Function::New(env, NumThreads, "numThreads"));
  exports.Set("measureLimits", Napi::Function::New(env, MeasureLimits, "measureLimits"));
  exports.Set("abiVersion", Napi::Number::New(env, 1));
  return exports;
}
}  // namespace td::addon

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return td::addon::Init(env, exports); }
NODE_API_MODULE(tensordiff, InitModule)
