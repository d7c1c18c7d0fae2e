// kernels.cpp — Node-API entry points of the compute kernels. Each one unpacks storage handles and
// view metadata (from the scratch buffer, see glue.h), re-checks what the kernel relies on (dtypes,
// shapes, bounds), and calls the CPU backend or, when the storages live on the GPU, the CUDA backend
// (native/cuda/backend.h; on_cuda() in glue.h refuses a call that mixes devices). JS validates first
// and names the op for users; these checks are the last line that keeps a bad call from corrupting
// memory.
#include <string>

#include "../cpu/cpu.h"
#include "glue.h"

namespace td::addon {
namespace {
using td::cpu::UnaryOp;

const char* kUnaryNames[] = {
#define TD_NAME(n) #n,
    TD_UNARY_OPS(TD_NAME)};
const char* kBinaryNames[] = {TD_BINARY_OPS(TD_NAME)};
const char* kReduceNames[] = {TD_REDUCE_OPS(TD_NAME)
#undef TD_NAME
};

std::string shape_str(const View& v) {
  std::string s = "[";
  for (int d = 0; d < v.ndim; d++) s += (d ? ", " : "") + std::to_string(v.shape[d]);
  return s + "]";
}
void same_shape(const View& a, const View& b, const char* op) {
  bool ok = a.ndim == b.ndim;
  for (int d = 0; ok && d < a.ndim; d++) ok = a.shape[d] == b.shape[d];
  if (!ok) throw std::invalid_argument(std::string(op) + ": shapes " + shape_str(a) + " and " + shape_str(b) + " differ");
}
void same_dtype(const View& a, const View& b, const char* op) {
  if (a.dtype != b.dtype) throw std::invalid_argument(std::string(op) + ": dtypes differ");
}
void need_dtype(const View& a, int dt, const char* op) {
  if (a.dtype != dt) throw std::invalid_argument(std::string(op) + ": unexpected dtype");
}
int op_code(const Napi::CallbackInfo& info, int count, const char* op) {
  if (info.Length() < 1 || !info[0].IsNumber()) throw std::invalid_argument(std::string(op) + ": op code must be a number");
  int c = info[0].As<Napi::Number>().Int32Value();
  if (c < 0 || c >= count) throw std::out_of_range(std::string(op) + ": unknown op code " + std::to_string(c));
  return c;
}
bool writes_f32(int unary_op) {
  return (unary_op >= cpu::GT_S && unary_op <= cpu::NE_S) || unary_op == cpu::CLAMP_MASK;
}

// unary(op, out, x) ; scratch: out view, x view, p0, p1
Napi::Value Unary(const Napi::CallbackInfo& info) {
  return guard(info, "unary", [&]() -> Napi::Value {
    int op = op_code(info, cpu::UNARY_COUNT, "unary");
    Storage* so = storage_arg(info, 1, "unary");
    Storage* sx = storage_arg(info, 2, "unary");
    Reader r;
    View out = r.view(so, "unary"), x = r.view(sx, "unary");
    double p0 = r.num(), p1 = r.num();
    same_shape(out, x, kUnaryNames[op]);
    if (writes_f32(op)) need_dtype(out, F32, kUnaryNames[op]);
    else same_dtype(out, x, kUnaryNames[op]);
    if (on_cuda(kUnaryNames[op], {so, sx})) cuda::unary(op, out, x, p0, p1);
    else cpu::unary(op, out, x, p0, p1);
    return info.Env().Undefined();
  });
}

// binary(op, out, a, b) ; scratch: out, a, b views (a and b broadcast to out's shape)
Napi::Value Binary(const Napi::CallbackInfo& info) {
  return guard(info, "binary", [&]() -> Napi::Value {
    int op = op_code(info, cpu::binop::BINARY_COUNT, "binary");
    Storage* so = storage_arg(info, 1, "binary");
    Storage* sa = storage_arg(info, 2, "binary");
    Storage* sb = storage_arg(info, 3, "binary");
    Reader r;
    View out = r.view(so, "binary"), a = r.view(sa, "binary"), b = r.view(sb, "binary");
    const char* name = kBinaryNames[op];
    same_shape(out, a, name);
    same_shape(out, b, name);
    same_dtype(a, b, name);
    if (op >= cpu::binop::GT && op <= cpu::binop::NE) need_dtype(out, F32, name);
    else same_dtype(out, a, name);
    if (on_cuda(name, {so, sa, sb})) cuda::binary(op, out, a, b);
    else cpu::binary(op, out, a, b);
    return info.Env().Undefined();
  });
}

// where(out, cond, a, b)
Napi::Value Where(const Napi::CallbackInfo& info) {
  return guard(info, "where", [&]() -> Napi::Value {
    Storage* so = storage_arg(info, 0, "where");
    Storage* sc = storage_arg(info, 1, "where");
    Storage* sa = storage_arg(info, 2, "where");
    Storage* sb = storage_arg(info, 3, "where");
    Reader r;
    View out = r.view(so, "where"), c = r.view(sc, "where"), a = r.view(sa, "where"), b = r.view(sb, "where");
    same_shape(out, c, "where");
    same_shape(out, a, "where");
    same_shape(out, b, "where");
    same_dtype(out, a, "where");
    same_dtype(out, b, "where");
    if (on_cuda("where", {so, sc, sa, sb})) cuda::where(out, c, a, b);
    else cpu::where(out, c, a, b);
    return info.Env().Undefined();
  });
}

// cast(out, x): strided copy with dtype conversion
Napi::Value Cast(const Napi::CallbackInfo& info) {
  return guard(info, "cast", [&]() -> Napi::Value {
    Storage* so = storage_arg(info, 0, "copy");
    Storage* sx = storage_arg(info, 1, "copy");
    Reader r;
    View out = r.view(so, "copy"), x = r.view(sx, "copy");
    same_shape(out, x, "copy");
    if (on_cuda("copy", {so, sx})) cuda::cast(out, x);
    else cpu::cast(out, x);
    return info.Env().Undefined();
  });
}

// fill(out) ; scratch: out view, value
Napi::Value Fill(const Napi::CallbackInfo& info) {
  return guard(info, "fill", [&]() -> Napi::Value {
    Storage* so = storage_arg(info, 0, "fill");
    Reader r;
    View out = r.view(so, "fill");
    const double value = r.num();
    if (so->device == kCuda) cuda::fill(out, value);
    else cpu::fill(out, value);
    return info.Env().Undefined();
  });
}

// arange(out) ; scratch: out view (contiguous), start, step
Napi::Value Arange(const Napi::CallbackInfo& info) {
  return guard(info, "arange", [&]() -> Napi::Value {
    Storage* so = storage_arg(info, 0, "arange");
    Reader r;
    View out = r.view(so, "arange");
    double start = r.num(), step = r.num();
    if (!out.contiguous()) throw std::invalid_argument("arange: output must be contiguous");
    if (so->device == kCuda) cuda::arange(out, start, step);
    else cpu::arange(out, start, step);
    return info.Env().Undefined();
  });
}

// reduce(op, out, x) ; scratch: out view (contiguous), x view, nred
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  return guard(info, "reduce", [&]() -> Napi::Value {
    int op = op_code(info, cpu::redop::REDUCE_COUNT, "reduce");
    Storage* so = storage_arg(info, 1, "reduce");
    Storage* sx = storage_arg(info, 2, "reduce");
    Reader r;
    View out = r.view(so, "reduce"), x = r.view(sx, "reduce");
    int64_t nred = r.integer("nred");
    const char* name = kReduceNames[op];
    if (nred < 0 || nred > x.ndim || out.ndim != x.ndim - nred)
      throw std::invalid_argument(std::string(name) + ": bad reduction rank");
    for (int d = 0; d < out.ndim; d++)
      if (out.shape[d] != x.shape[d]) throw std::invalid_argument(std::string(name) + ": output shape mismatch");
    if (!out.contiguous()) throw std::invalid_argument(std::string(name) + ": output must be contiguous");
    if (op == cpu::redop::ARGMAX || op == cpu::redop::ARGMIN) need_dtype(out, I32, name);
    else same_dtype(out, x, name);
    if (on_cuda(name, {so, sx})) cuda::reduce(op, out, x, (int)nred);
    else cpu::reduce(op, out, x, (int)nred);
    return info.Env().Undefined();
  });
}

// softmax(out, x, log)
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  return guard(info, "softmax", [&]() -> Napi::Value {
    Storage* so = storage_arg(info, 0, "softmax");
    Storage* sx = storage_arg(info, 1, "softmax");
    bool log = info.Length() > 2 && info[2].ToBoolean().Value();
    Reader r;
    View out = r.view(so, "softmax"), x = r.view(sx, "softmax");
    same_shape(out, x, "softmax");
    same_dtype(out, x, "softmax");
    if (!out.contiguous() || !x.contiguous() || x.ndim < 1)
      throw std::invalid_argument("softmax: contiguous tensors with at least one dim expected");
    if (on_cuda("softmax", {so, sx})) cuda::softmax(out, x, log);
    else cpu::softmax(out, x, log);
    return info.Env().Undefined();
  });
}

// gather(out, x, idx) ; scratch: out, x, idx views, dim
Napi::Value Gather(const Napi::CallbackInfo& info) {
  return guard(info, "gather", [&]() -> Napi::Value {
    Storage* so = storage_arg(info, 0, "gather");
    Storage* sx = storage_arg(info, 1, "gather");
    Storage* si = storage_arg(info, 2, "gather");
    Reader r;
    View out = r.view(so, "gather"), x = r.view(sx, "gather"), idx = r.view(si, "gather");
    int64_t dim = r.integer("dim");
    same_shape(out, idx, "gather");
    same_dtype(out, x, "gather");
    need_dtype(idx, I32, "gather");
    if (x.ndim != out.ndim || dim < 0 || dim >= x.ndim) throw std::invalid_argument("gather: bad dim or rank");
    for (int d = 0; d < x.ndim; d++)
      if (d != dim && out.shape[d] > x.shape[d]) throw std::invalid_argument("gather: index shape exceeds input");
    if (on_cuda("gather", {so, sx, si})) cuda::gather(out, x, idx, (int)dim);
    else cpu::gather(out, x, idx, (int)dim);
    return info.Env().Undefined();
  });
}

// scatterAdd(out, idx, src) ; scratch: out, idx, src views, dim
Napi::Value ScatterAdd(const Napi::CallbackInfo& info) {
  return guard(info, "scatterAdd", [&]() -> Napi::Value {
    Storage* so = storage_arg(info, 0, "scatterAdd");
    Storage* si = storage_arg(info, 1, "scatterAdd");
    Storage* ss = storage_arg(info, 2, "scatterAdd");
    Reader r;
    View out = r.view(so, "scatterAdd"), idx = r.view(si, "scatterAdd"), src = r.view(ss, "scatterAdd");
    int64_t dim = r.integer("dim");
    same_shape(idx, src, "scatterAdd");
    same_dtype(out, src, "scatterAdd");
    need_dtype(idx, I32, "scatterAdd");
    if (!out.contiguous()) throw std::invalid_argument("scatterAdd: output must be contiguous");
    if (src.ndim != out.ndim || dim < 0 || dim >= out.ndim) throw std::invalid_argument("scatterAdd: bad dim or rank");
    for (int d = 0; d < out.ndim; d++)
      if (d != dim && src.shape[d] > out.shape[d]) throw std::invalid_argument("scatterAdd: index shape exceeds output");
    if (on_cuda("scatterAdd", {so, si, ss})) cuda::scatter_add(out, idx, src, (int)dim);
    else cpu::scatter_add(out, idx, src, (int)dim);
    return info.Env().Undefined();
  });
}

// random(out) ; scratch: out view (contiguous), dist, seedLo, seedHi, offLo, offHi, a, b
Napi::Value Random(const Napi::CallbackInfo& info) {
  return guard(info, "random", [&]() -> Napi::Value {
    Storage* so = storage_arg(info, 0, "random");
    Reader r;
    View out = r.view(so, "random");
    int64_t dist = r.integer("dist");
    uint64_t seed = (uint64_t)r.integer("seed") | ((uint64_t)r.integer("seed") << 32);
    uint64_t off = (uint64_t)r.integer("offset") | ((uint64_t)r.integer("offset") << 32);
    double a = r.num(), b = r.num();
    if (dist < 0 || dist > 2) throw std::invalid_argument("random: unknown distribution");
    if (!out.contiguous()) throw std::invalid_argument("random: output must be contiguous");
    if (so->device == kCuda) cuda::random(out, (int)dist, seed, off, a, b);
    else cpu::random(out, (int)dist, seed, off, a, b);
    return info.Env().Undefined();
  });
}

// matmul(out, a, b) ; scratch: out [P,M,N], a [P,M,K], b [P,K,N] views, accumulate
Napi::Value Matmul(const Napi::CallbackInfo& info) {
  return guard(info, "matmul", [&]() -> Napi::Value {
    Storage* so = storage_arg(info, 0, "matmul");
    Storage* sa = storage_arg(info, 1, "matmul");
    Storage* sb = storage_arg(info, 2, "matmul");
    if (so == sa || so == sb) throw std::invalid_argument("matmul: output must not alias an input");
    Reader r;
    View c = r.view(so, "matmul"), a = r.view(sa, "matmul"), b = r.view(sb, "matmul");
    bool acc = r.num() != 0;
    if (c.ndim != 3 || a.ndim != 3 || b.ndim != 3) throw std::invalid_argument("matmul: 3-d views expected");
    int64_t P = c.shape[0], M = c.shape[1], N = c.shape[2], K = a.shape[2];
    if (a.shape[0] != P || b.shape[0] != P || a.shape[1] != M || b.shape[1] != K || b.shape[2] != N)
      throw std::invalid_argument("matmul: shapes " + shape_str(a) + " @ " + shape_str(b) + " -> " + shape_str(c) + " do not agree");
    same_dtype(a, b, "matmul");
    same_dtype(a, c, "matmul");
    if (on_cuda("matmul", {so, sa, sb})) {
      if (a.dtype != F32 && a.dtype != F64) throw std::invalid_argument("matmul: float32 or float64 expected");
      auto at = [](const View& v) { return static_cast<char*>(v.data) + v.offset * dtype_size(v.dtype); };
      cuda::gemm(a.dtype, P, M, N, K, at(a), a.strides[0], a.strides[1], a.strides[2], at(b), b.strides[0],
                 b.strides[1], b.strides[2], at(c), c.strides[0], c.strides[1], c.strides[2], acc);
    } else if (a.dtype == F32)
      cpu::gemm_f32(P, M, N, K, a.ptr<float>(), a.strides[0], a.strides[1], a.strides[2], b.ptr<float>(),
                    b.strides[0], b.strides[1], b.strides[2], c.ptr<float>(), c.strides[0], c.strides[1],
                    c.strides[2], acc);
    else if (a.dtype == F64)
      cpu::gemm_f64(P, M, N, K, a.ptr<double>(), a.strides[0], a.strides[1], a.strides[2], b.ptr<double>(),
                    b.strides[0], b.strides[1], b.strides[2], c.ptr<double>(), c.strides[0], c.strides[1],
                    c.strides[2], acc);
    else
      throw std::invalid_argument("matmul: float32 or float64 expected");
    return info.Env().Undefined();
  });
}

Napi::Value OpTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto list = [&](const char* const* names, size_t n) {
    auto a = Napi::Array::New(env, n);
    for (size_t i = 0; i < n; i++) a.Set((uint32_t)i, Napi::String::New(env, names[i]));
    return a;
  };
  auto o = Napi::Object::New(env);
  o.Set("unary", list(kUnaryNames, cpu::UNARY_COUNT));
  o.Set("binary", list(kBinaryNames, cpu::binop::BINARY_COUNT));
  o.Set("reduce", list(kReduceNames, cpu::redop::REDUCE_COUNT));
  return o;
}
}  // namespace

void init_kernels(Napi::Env env, Napi::Object exports) {
  exports.Set("unary", Napi::Function::New(env, Unary, "unary"));
  exports.Set("binary", Napi::Function::New(env, Binary, "binary"));
  exports.Set("where", Napi::Function::New(env, Where, "where"));
  exports.Set("cast", Napi::Function::New(env, Cast, "cast"));
  exports.Set("fill", Napi::Function::New(env, Fill, "fill"));
  exports.Set("arange", Napi::Function::New(env, Arange, "arange"));
  exports.Set("reduce", Napi::Function::New(env, Reduce, "reduce"));
  exports.Set("softmax", Napi::Function::New(env, Softmax, "softmax"));
  exports.Set("gather", Napi::Function::New(env, Gather, "gather"));
  exports.Set("scatterAdd", Napi::Function::New(env, ScatterAdd, "scatterAdd"));
  exports.Set("random", Napi::Function::New(env, Random, "random"));
  exports.Set("matmul", Napi::Function::New(env, Matmul, "matmul"));
  exports.Set("opTable", Napi::Function::New(env, OpTable, "opTable"));
}
}  // namespace td::addon
