// elementwise.cu — CUDA unary, binary, where, cast, fill and arange (contracts in native/cpu/cpu.h).
// The per-element math is native/kernels/elementwise.h, the same functions the CPU loops call; the op
// tables below mirror native/cpu/elementwise.cpp case for case (int32 ops computed natively or in
// double, comparisons stored as float 1/0), over the strided iteration of strided.cuh.
#include "../cpu/cpu.h"
#include "strided.cuh"

namespace td::cuda {
namespace {
using namespace td::cpu;

template <typename TO, typename TA, typename F>
void map1(const View& out, const View& a, F f) {
  const View* v[2] = {&out, &a};
  TO* o = static_cast<TO*>(out.data);
  const TA* x = static_cast<const TA*>(a.data);
  launch_map<2>(v, [=] __device__(const int64_t* off) { o[off[0]] = f(x[off[1]]); }, "unary kernel");
}
template <typename TO, typename TA, typename TB, typename F>
void map2(const View& out, const View& a, const View& b, F f) {
  const View* v[3] = {&out, &a, &b};
  TO* o = static_cast<TO*>(out.data);
  const TA* x = static_cast<const TA*>(a.data);
  const TB* y = static_cast<const TB*>(b.data);
  launch_map<3>(v, [=] __device__(const int64_t* off) { o[off[0]] = f(x[off[1]], y[off[2]]); }, "binary kernel");
}

template <typename T>
void unary_t(int op, const View& out, const View& x, double p0, double p1) {
  using M = MathT<T>;
  const M q0 = static_cast<M>(p0), q1 = static_cast<M>(p1);
#define TD_NATIVE(NAME, FN) \
  case NAME: return map1<T, T>(out, x, [] __device__(T v) { return kern::FN(v); });
#define TD_MATH(NAME, EXPR) \
  case NAME: return map1<T, T>(out, x, [=] __device__(T t) { const M v = static_cast<M>(t); return store_as<T>(EXPR); });
#define TD_PRED(NAME, EXPR) \
  case NAME: return map1<float, T>(out, x, [=] __device__(T t) { const M v = static_cast<M>(t); return (EXPR) ? 1.0f : 0.0f; });
  switch (op) {
    TD_NATIVE(IDENTITY, op_identity)
    TD_NATIVE(NEG, op_neg)
    TD_NATIVE(ABS, op_abs)
    TD_NATIVE(RELU, op_relu)
    TD_NATIVE(SIGN, op_sign)
    TD_NATIVE(SQUARE, op_square)
    TD_MATH(EXP, kern::op_exp(v))
    TD_MATH(LOG, kern::op_log(v))
    TD_MATH(LOG1P, kern::op_log1p(v))
    TD_MATH(SQRT, kern::op_sqrt(v))
    TD_MATH(RSQRT, kern::op_rsqrt(v))
    TD_MATH(SIN, kern::op_sin(v))
    TD_MATH(COS, kern::op_cos(v))
    TD_MATH(TANH, kern::op_tanh(v))
    TD_MATH(SIGMOID, kern::op_sigmoid(v))
    TD_MATH(GELU, kern::op_gelu(v))
    TD_MATH(GELU_TANH, kern::op_gelu_tanh(v))
    TD_MATH(SILU, kern::op_silu(v))
    TD_MATH(SOFTPLUS, kern::op_softplus(v))
    TD_MATH(ERF, kern::op_erf(v))
    TD_MATH(RECIPROCAL, kern::op_reciprocal(v))
    TD_MATH(EXPM1, kern::op_expm1(v))
    TD_MATH(CLAMP, kern::op_clamp(v, q0, q1))
    TD_MATH(POW_S, kern::op_pow(v, q0))
    TD_MATH(ADD_S, kern::op_add(v, q0))
    TD_MATH(MUL_S, kern::op_mul(v, q0))
    TD_MATH(RSUB_S, kern::op_rsub(v, q0))
    TD_MATH(RDIV_S, kern::op_rdiv(v, q0))
    TD_MATH(RPOW_S, kern::op_rpow(v, q0))
    TD_PRED(GT_S, kern::op_gt(v, q0))
    TD_PRED(GE_S, kern::op_ge(v, q0))
    TD_PRED(LT_S, kern::op_lt(v, q0))
    TD_PRED(LE_S, kern::op_le(v, q0))
    TD_PRED(EQ_S, kern::op_eq(v, q0))
    TD_PRED(NE_S, kern::op_ne(v, q0))
    TD_PRED(CLAMP_MASK, kern::op_clamp_mask(v, q0, q1))
    default: throw std::invalid_argument("unary: unknown op " + std::to_string(op));
  }
#undef TD_NATIVE
#undef TD_MATH
#undef TD_PRED
}

template <typename T>
void binary_t(int op, const View& out, const View& a, const View& b) {
  using namespace binop;
  using M = MathT<T>;
#define TD_NATIVE(NAME, FN) \
  case NAME: return map2<T, T, T>(out, a, b, [] __device__(T x, T y) { return kern::FN(x, y); });
#define TD_MATH(NAME, FN) \
  case NAME: return map2<T, T, T>(out, a, b, [] __device__(T x, T y) { return store_as<T>(kern::FN(static_cast<M>(x), static_cast<M>(y))); });
#define TD_PRED(NAME, FN) \
  case NAME: return map2<float, T, T>(out, a, b, [] __device__(T x, T y) { return kern::FN(x, y) ? 1.0f : 0.0f; });
  switch (op) {
    TD_NATIVE(ADD, op_add)
    TD_NATIVE(SUB, op_sub)
    TD_NATIVE(MUL, op_mul)
    TD_NATIVE(MAXIMUM, op_maximum)
    TD_NATIVE(MINIMUM, op_minimum)
    TD_NATIVE(RELU_BWD, op_relu_bwd)
    TD_MATH(DIV, op_div)
    TD_MATH(POW, op_pow)
    TD_MATH(SIGMOID_BWD_Y, op_sigmoid_bwd_y)
    TD_MATH(TANH_BWD_Y, op_tanh_bwd_y)
    TD_MATH(GELU_BWD, op_gelu_bwd)
    TD_MATH(GELU_TANH_BWD, op_gelu_tanh_bwd)
    TD_MATH(SILU_BWD, op_silu_bwd)
    TD_MATH(SOFTPLUS_BWD, op_softplus_bwd)
    TD_PRED(GT, op_gt)
    TD_PRED(GE, op_ge)
    TD_PRED(LT, op_lt)
    TD_PRED(LE, op_le)
    TD_PRED(EQ, op_eq)
    TD_PRED(NE, op_ne)
    default: throw std::invalid_argument("binary: unknown op " + std::to_string(op));
  }
#undef TD_NATIVE
#undef TD_MATH
#undef TD_PRED
}

template <typename T>
__global__ void arange_kernel(T* o, int64_t n, double start, double step) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x)
    o[i] = store_as<T>(start + static_cast<double>(i) * step);
}

// Device lambdas may not sit inside the generic lambdas of dispatch_dtype, hence these named templates.
template <typename TC, typename T>
void where_t(const View& out, const View& cond, const View& a, const View& b) {
  const View* v[4] = {&out, &cond, &a, &b};
  T* o = static_cast<T*>(out.data);
  const TC* c = static_cast<const TC*>(cond.data);
  const T* x = static_cast<const T*>(a.data);
  const T* y = static_cast<const T*>(b.data);
  launch_map<4>(v, [=] __device__(const int64_t* off) { o[off[0]] = c[off[1]] != TC(0) ? x[off[2]] : y[off[3]]; },
                "where kernel");
}
template <typename TO, typename TI>
void cast_t(const View& out, const View& x) {
  map1<TO, TI>(out, x, [] __device__(TI v) { return store_as<TO>(v); });
}
template <typename T>
void fill_t(const View& out, double value) {
  const T v0 = host_store_as<T>(value);
  const View* v[1] = {&out};
  T* o = static_cast<T*>(out.data);
  launch_map<1>(v, [=] __device__(const int64_t* off) { o[off[0]] = v0; }, "fill kernel");
}
}  // namespace

void unary(int op, const View& out, const View& x, double p0, double p1) {
  const bool to_f32 = op >= GT_S && op <= CLAMP_MASK;
  if (out.dtype != (to_f32 ? F32 : x.dtype)) throw std::invalid_argument("unary: wrong output dtype");
  dispatch_dtype(x.dtype, "unary", [&](auto tag) { unary_t<decltype(tag)>(op, out, x, p0, p1); });
}

void binary(int op, const View& out, const View& a, const View& b) {
  if (a.dtype != b.dtype) throw std::invalid_argument("binary: dtypes differ");
  dispatch_dtype(a.dtype, "binary", [&](auto tag) { binary_t<decltype(tag)>(op, out, a, b); });
}

void where(const View& out, const View& cond, const View& a, const View& b) {
  if (a.dtype != out.dtype || b.dtype != out.dtype) throw std::invalid_argument("where: dtypes differ");
  dispatch_dtype(cond.dtype, "where", [&](auto ctag) {
    dispatch_dtype(out.dtype, "where", [&](auto tag) { where_t<decltype(ctag), decltype(tag)>(out, cond, a, b); });
  });
}

void cast(const View& out, const View& x) {
  dispatch_dtype(x.dtype, "cast", [&](auto itag) {
    dispatch_dtype(out.dtype, "cast", [&](auto otag) { cast_t<decltype(otag), decltype(itag)>(out, x); });
  });
}

void fill(const View& out, double value) {
  dispatch_dtype(out.dtype, "fill", [&](auto tag) { fill_t<decltype(tag)>(out, value); });
}

void arange(const View& out, double start, double step) {
  if (!out.contiguous()) throw std::invalid_argument("arange: out must be contiguous");
  const int64_t n = out.numel();
  if (n == 0) return;
  dispatch_dtype(out.dtype, "arange", [&](auto tag) {
    using T = decltype(tag);
    arange_kernel<T><<<grid_for(n), kThreads, 0, stream()>>>(out.ptr<T>(), n, start, step);
    check_launch("arange kernel");
  });
}

}  // namespace td::cuda
