// elementwise.cpp — CPU kernels for unary, binary, where, cast, fill and arange (contract in cpu.h).
// The per-element math comes from native/kernels/elementwise.h (shared with CUDA); this file only supplies
// the loops: a flat loop the compiler vectorises when every operand is contiguous along the (coalesced)
// innermost dim — which also covers the row-broadcast case such as a bias add [B,D] + [D] — a
// scalar-broadcast loop, and a general strided loop, driven by the N-d iteration in strided_loop.h.
//
// Integer (I32) tensors: IDENTITY NEG ABS RELU SIGN SQUARE ADD SUB MUL MAXIMUM MINIMUM RELU_BWD and the
// comparisons are computed natively in int32 (arithmetic wraps modulo 2^32); every other op is computed in
// double and stored with kern::saturate_i32 (truncation toward zero, NaN -> 0, saturating), e.g. integer
// DIV truncates and 1/0 gives INT32_MAX. Scalar parameters are converted to the compute type first.
#include <stdexcept>
#include <string>
#include <type_traits>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "../kernels/elementwise.h"
#include "cpu.h"
#include "strided_loop.h"

namespace td::cpu {
namespace {

using detail::Operand;
using detail::operand;

// Relative per-element cost given to worth_parallel().
constexpr int64_t kCheap = 1;
constexpr int64_t kMath = 8;

// Compute type of the floating-point ("math") ops: float and double compute in themselves, int32 in double.
template <typename T>
using MathT = std::conditional_t<std::is_same_v<T, int32_t>, double, T>;

// Converts a computed value to the stored element type: bool -> 1/0, floating -> int32 saturating.
template <typename TO, typename C>
TD_FORCEINLINE TO store_as(C v) {
  if constexpr (std::is_same_v<C, bool>) {
    return v ? TO(1) : TO(0);
  } else if constexpr (std::is_same_v<TO, int32_t> && !std::is_same_v<C, int32_t>) {
    return kern::saturate_i32(static_cast<double>(v));
  } else {
    return static_cast<TO>(v);
  }
}

// Calls fn(T{}) with T the C++ type of dtype dt.
template <typename Fn>
void dispatch_dtype(int dt, const char* what, Fn&& fn) {
  switch (dt) {
    case F32: return fn(float{});
    case F64: return fn(double{});
    case I32: return fn(int32_t{});
    default: throw std::invalid_argument(std::string(what) + ": unsupported dtype " + std::to_string(dt));
  }
}

void check_dtype(const View& v, int dt, const char* what) {
  if (v.dtype != dt)
    throw std::invalid_argument(std::string(what) + ": expected dtype " + std::to_string(dt) + ", got " +
                                std::to_string(v.dtype));
}

// ---- loops -------------------------------------------------------------------------------------------
// out[i] = v — for fill.
template <typename TO>
void map0(const View& out, TO v) {
  const Operand ops[1] = {operand(out)};
  const auto plan = detail::make_plan(out.ndim, out.shape, ops);
  detail::for_each(plan, worth_parallel(plan.numel), [v](int64_t n, char* const* p, const int64_t* s) {
    TO* o = reinterpret_cast<TO*>(p[0]);
    if (s[0] == 1) {
      for (int64_t i = 0; i < n; i++) o[i] = v;
    } else {
      for (int64_t i = 0; i < n; i++) o[i * s[0]] = v;
    }
  });
}

// The contiguous runs below are compiled twice, for x86-64-v3 (AVX2 + FMA) and the baseline, and the
// dynamic loader picks one for the CPU (GCC target_clones + ifunc, ELF x86-64 only). The per-element
// math of elementwise.h is inlined into each copy: the polynomial exp/log/tanh/erf vectorise 8-wide
// with FMA there (silu 1.6 -> 0.45 ns per element on one core of the dev machine), where SSE2 leaves
// them scalar. FMA contraction may change last bits between the two copies, never within one.
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && defined(__ELF__) && !defined(TD_NO_CLONES)
#define TD_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define TD_CLONES
#endif

// Contiguous run of out[i] = f(a[i]); the compiler vectorises it for the ops of elementwise.h.
template <typename TO, typename TA, typename F>
TD_CLONES void contiguous1(int64_t n, TO* o, const TA* x, const F& f) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) o[i] = f(x[i]);
}
// Contiguous runs of out[i] = f(a[i], b[i]), with a or b possibly a scalar along the run.
template <typename TO, typename TA, typename TB, typename F>
TD_CLONES void contiguous2(int64_t n, TO* o, const TA* x, const TB* y, const F& f) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) o[i] = f(x[i], y[i]);
}
template <typename TO, typename TA, typename TB, typename F>
TD_CLONES void contiguous2_bscalar(int64_t n, TO* o, const TA* x, TB yv, const F& f) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) o[i] = f(x[i], yv);
}
template <typename TO, typename TA, typename TB, typename F>
TD_CLONES void contiguous2_ascalar(int64_t n, TO* o, TA xv, const TB* y, const F& f) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) o[i] = f(xv, y[i]);
}
template <typename TO, typename TA, typename TB, typename TC, typename F>
TD_CLONES void contiguous3(int64_t n, TO* o, const TA* x, const TB* y, const TC* z, const F& f) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) o[i] = f(x[i], y[i], z[i]);
}

// SQRT / RSQRT of float dtypes. GCC keeps sqrtf/sqrt scalar under the default -fmath-errno, so their
// contiguous runs use SSE2 sqrtps/sqrtpd explicitly. Both are correctly rounded, exactly like the scalar
// kern::op_sqrt / op_rsqrt used for the tails, so results do not depend on the path.
template <typename T, bool Recip>
struct SqrtFn {
  TD_FORCEINLINE T operator()(T v) const { return Recip ? kern::op_rsqrt(v) : kern::op_sqrt(v); }
};
#if defined(__SSE2__)
template <bool Recip>
void contiguous1(int64_t n, float* o, const float* x, const SqrtFn<float, Recip>& f) {
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    __m128 v = _mm_sqrt_ps(_mm_loadu_ps(x + i));
    if (Recip) v = _mm_div_ps(_mm_set1_ps(1.0f), v);
    _mm_storeu_ps(o + i, v);
  }
  for (; i < n; i++) o[i] = f(x[i]);
}
template <bool Recip>
void contiguous1(int64_t n, double* o, const double* x, const SqrtFn<double, Recip>& f) {
  int64_t i = 0;
  for (; i + 2 <= n; i += 2) {
    __m128d v = _mm_sqrt_pd(_mm_loadu_pd(x + i));
    if (Recip) v = _mm_div_pd(_mm_set1_pd(1.0), v);
    _mm_storeu_pd(o + i, v);
  }
  for (; i < n; i++) o[i] = f(x[i]);
}
#endif

// out[i] = f(a[i]).
template <typename TO, typename TA, typename F>
void map1(const View& out, const View& a, int64_t cost, F f) {
  const Operand ops[2] = {operand(out), operand(a)};
  const auto plan = detail::make_plan(out.ndim, out.shape, ops);
  detail::for_each(plan, worth_parallel(plan.numel, cost), [&f](int64_t n, char* const* p, const int64_t* s) {
    TO* o = reinterpret_cast<TO*>(p[0]);
    const TA* x = reinterpret_cast<const TA*>(p[1]);
    if (s[0] == 1 && s[1] == 1) {
      contiguous1(n, o, x, f);
    } else if (s[1] == 0) {  // broadcast scalar input
      const TO v = f(x[0]);
      for (int64_t i = 0; i < n; i++) o[i * s[0]] = v;
    } else {
      for (int64_t i = 0; i < n; i++) o[i * s[0]] = f(x[i * s[1]]);
    }
  });
}

// out[i] = f(a[i], b[i]).
template <typename TO, typename TA, typename TB, typename F>
void map2(const View& out, const View& a, const View& b, int64_t cost, F f) {
  const Operand ops[3] = {operand(out), operand(a), operand(b)};
  const auto plan = detail::make_plan(out.ndim, out.shape, ops);
  detail::for_each(plan, worth_parallel(plan.numel, cost), [&f](int64_t n, char* const* p, const int64_t* s) {
    TO* o = reinterpret_cast<TO*>(p[0]);
    const TA* x = reinterpret_cast<const TA*>(p[1]);
    const TB* y = reinterpret_cast<const TB*>(p[2]);
    if (s[0] == 1 && s[1] == 1 && s[2] == 1) {  // contiguous (also each row of a row broadcast)
      contiguous2(n, o, x, y, f);
    } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {  // b is a scalar along this run
      contiguous2_bscalar(n, o, x, y[0], f);
    } else if (s[0] == 1 && s[1] == 0 && s[2] == 1) {  // a is a scalar along this run
      contiguous2_ascalar(n, o, x[0], y, f);
    } else {
      for (int64_t i = 0; i < n; i++) o[i * s[0]] = f(x[i * s[1]], y[i * s[2]]);
    }
  });
}

// out[i] = f(a[i], b[i], c[i]) — for where.
template <typename TO, typename TA, typename TB, typename TC, typename F>
void map3(const View& out, const View& a, const View& b, const View& c, F f) {
  const Operand ops[4] = {operand(out), operand(a), operand(b), operand(c)};
  const auto plan = detail::make_plan(out.ndim, out.shape, ops);
  detail::for_each(plan, worth_parallel(plan.numel), [&f](int64_t n, char* const* p, const int64_t* s) {
    TO* o = reinterpret_cast<TO*>(p[0]);
    const TA* x = reinterpret_cast<const TA*>(p[1]);
    const TB* y = reinterpret_cast<const TB*>(p[2]);
    const TC* z = reinterpret_cast<const TC*>(p[3]);
    if (s[0] == 1 && s[1] == 1 && s[2] == 1 && s[3] == 1) {
      contiguous3(n, o, x, y, z, f);
    } else {
      for (int64_t i = 0; i < n; i++) o[i * s[0]] = f(x[i * s[1]], y[i * s[2]], z[i * s[3]]);
    }
  });
}

// ---- unary -------------------------------------------------------------------------------------------
template <typename T>
void unary_t(int op, const View& out, const View& x, double p0, double p1) {
  using M = MathT<T>;
  const M q0 = static_cast<M>(p0), q1 = static_cast<M>(p1);
  const bool to_f32 = op >= GT_S && op <= CLAMP_MASK;
  check_dtype(out, to_f32 ? F32 : x.dtype, "unary");
// Computed natively in T (int32 wraps).
#define TD_NATIVE(NAME, FN) \
  case NAME: return map1<T, T>(out, x, kCheap, [](T v) { return kern::FN(v); });
// Computed in M = MathT<T>, stored back as T.
#define TD_MATH(NAME, COST, EXPR) \
  case NAME: return map1<T, T>(out, x, COST, [=](T t) { const M v = static_cast<M>(t); return store_as<T>(EXPR); });
// Predicate computed in M, stored as F32 1/0.
#define TD_PRED(NAME, EXPR) \
  case NAME: return map1<float, T>(out, x, kCheap, [=](T t) { const M v = static_cast<M>(t); return (EXPR) ? 1.0f : 0.0f; });
  switch (op) {
    TD_NATIVE(IDENTITY, op_identity)
    TD_NATIVE(NEG, op_neg)
    TD_NATIVE(ABS, op_abs)
    TD_NATIVE(RELU, op_relu)
    TD_NATIVE(SIGN, op_sign)
    TD_NATIVE(SQUARE, op_square)
    TD_MATH(EXP, kMath, kern::op_exp(v))
    TD_MATH(LOG, kMath, kern::op_log(v))
    TD_MATH(LOG1P, kMath, kern::op_log1p(v))
    case SQRT:
      if constexpr (std::is_floating_point_v<T>)
        return map1<T, T>(out, x, kCheap, SqrtFn<T, false>{});
      else
        return map1<T, T>(out, x, kMath, [](T t) { return store_as<T>(kern::op_sqrt(static_cast<M>(t))); });
    case RSQRT:
      if constexpr (std::is_floating_point_v<T>)
        return map1<T, T>(out, x, kCheap, SqrtFn<T, true>{});
      else
        return map1<T, T>(out, x, kMath, [](T t) { return store_as<T>(kern::op_rsqrt(static_cast<M>(t))); });
    TD_MATH(SIN, kMath, kern::op_sin(v))
    TD_MATH(COS, kMath, kern::op_cos(v))
    TD_MATH(TANH, kMath, kern::op_tanh(v))
    TD_MATH(SIGMOID, kMath, kern::op_sigmoid(v))
    TD_MATH(GELU, kMath, kern::op_gelu(v))
    TD_MATH(GELU_TANH, kMath, kern::op_gelu_tanh(v))
    TD_MATH(SILU, kMath, kern::op_silu(v))
    TD_MATH(SOFTPLUS, kMath, kern::op_softplus(v))
    TD_MATH(ERF, kMath, kern::op_erf(v))
    TD_MATH(RECIPROCAL, kCheap, kern::op_reciprocal(v))
    TD_MATH(EXPM1, kMath, kern::op_expm1(v))
    TD_MATH(CLAMP, kCheap, kern::op_clamp(v, q0, q1))
    TD_MATH(POW_S, kMath, kern::op_pow(v, q0))
    TD_MATH(ADD_S, kCheap, kern::op_add(v, q0))
    TD_MATH(MUL_S, kCheap, kern::op_mul(v, q0))
    TD_MATH(RSUB_S, kCheap, kern::op_rsub(v, q0))
    TD_MATH(RDIV_S, kCheap, kern::op_rdiv(v, q0))
    TD_MATH(RPOW_S, kMath, kern::op_rpow(v, q0))
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

// ---- binary ------------------------------------------------------------------------------------------
template <typename T>
void binary_t(int op, const View& out, const View& a, const View& b) {
  using namespace binop;
  using M = MathT<T>;
  check_dtype(b, a.dtype, "binary");
  check_dtype(out, op >= GT && op <= NE ? F32 : a.dtype, "binary");
#define TD_NATIVE(NAME, FN) \
  case NAME: return map2<T, T, T>(out, a, b, kCheap, [](T x, T y) { return kern::FN(x, y); });
#define TD_MATH(NAME, COST, FN)                                                  \
  case NAME:                                                                     \
    return map2<T, T, T>(out, a, b, COST, [](T x, T y) {                         \
      return store_as<T>(kern::FN(static_cast<M>(x), static_cast<M>(y)));        \
    });
#define TD_PRED(NAME, FN) \
  case NAME: return map2<float, T, T>(out, a, b, kCheap, [](T x, T y) { return kern::FN(x, y) ? 1.0f : 0.0f; });
  switch (op) {
    TD_NATIVE(ADD, op_add)
    TD_NATIVE(SUB, op_sub)
    TD_NATIVE(MUL, op_mul)
    TD_NATIVE(MAXIMUM, op_maximum)
    TD_NATIVE(MINIMUM, op_minimum)
    TD_NATIVE(RELU_BWD, op_relu_bwd)
    TD_MATH(DIV, kCheap, op_div)
    TD_MATH(POW, kMath, op_pow)
    TD_MATH(SIGMOID_BWD_Y, kCheap, op_sigmoid_bwd_y)
    TD_MATH(TANH_BWD_Y, kCheap, op_tanh_bwd_y)
    TD_MATH(GELU_BWD, kMath, op_gelu_bwd)
    TD_MATH(GELU_TANH_BWD, kMath, op_gelu_tanh_bwd)
    TD_MATH(SILU_BWD, kMath, op_silu_bwd)
    TD_MATH(SOFTPLUS_BWD, kMath, op_softplus_bwd)
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

}  // namespace

// ---- entry points ------------------------------------------------------------------------------------
void unary(int op, const View& out, const View& x, double p0, double p1) {
  dispatch_dtype(x.dtype, "unary", [&](auto tag) { unary_t<decltype(tag)>(op, out, x, p0, p1); });
}

void binary(int op, const View& out, const View& a, const View& b) {
  dispatch_dtype(a.dtype, "binary", [&](auto tag) { binary_t<decltype(tag)>(op, out, a, b); });
}

void where(const View& out, const View& cond, const View& a, const View& b) {
  check_dtype(a, out.dtype, "where");
  check_dtype(b, out.dtype, "where");
  dispatch_dtype(cond.dtype, "where", [&](auto ctag) {
    using TC = decltype(ctag);
    dispatch_dtype(out.dtype, "where", [&](auto tag) {
      using T = decltype(tag);
      map3<T, TC, T, T>(out, cond, a, b, [](TC c, T x, T y) { return c != TC(0) ? x : y; });
    });
  });
}

void cast(const View& out, const View& x) {
  dispatch_dtype(x.dtype, "cast", [&](auto itag) {
    using TI = decltype(itag);
    dispatch_dtype(out.dtype, "cast", [&](auto otag) {
      using TO = decltype(otag);
      map1<TO, TI>(out, x, kCheap, [](TI v) { return store_as<TO>(v); });
    });
  });
}

void fill(const View& out, double value) {
  dispatch_dtype(out.dtype, "fill", [&](auto tag) {
    using T = decltype(tag);
    map0<T>(out, store_as<T>(value));
  });
}

void arange(const View& out, double start, double step) {
  if (!out.contiguous()) throw std::invalid_argument("arange: out must be contiguous");
  dispatch_dtype(out.dtype, "arange", [&](auto tag) {
    using T = decltype(tag);
    T* o = out.ptr<T>();
    const int64_t n = out.numel();
#pragma omp parallel for simd schedule(static) if (worth_parallel(n))
    for (int64_t i = 0; i < n; i++) o[i] = store_as<T>(start + static_cast<double>(i) * step);
  });
}

}  // namespace td::cpu
