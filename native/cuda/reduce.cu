// reduce.cu — CUDA reductions over the last `nred` dims (sum, mean, prod, max, min, argmax, argmin)
// and row softmax / log-softmax (contracts in native/cpu/cpu.h, same accumulator types and NaN rules as
// native/cpu/reduce.cpp: float sums and products in double, int32 sums in int64, products wrapping,
// max/min propagating NaN, arg ops taking the first occurrence with the first NaN winning).
//
// Layout: out has M elements, each reducing R elements of x (walked by a div/mod over the reduced dims).
// Pass 1 gives each output S >= 1 slices of the reduced range, one thread block per (output, slice):
// threads accumulate strided elements, then warp shuffles and one shared-memory step combine the block.
// With S == 1 pass 1 writes the output; otherwise it writes S partial accumulators per output and pass 2
// (one thread per output) folds them in slice order. S is chosen from the shapes only (≥ 8192 elements
// per slice, ≤ ~4 blocks per SM in all), so results are deterministic run to run. Outputs with tiny
// reduced ranges (R ≤ 16), and many outputs adjacent in memory over a strided reduced range (column
// sums), use one thread per output instead.
#include <cfloat>
#include <climits>

#include "../cpu/cpu.h"
#include "strided.cuh"

namespace td::cuda {
namespace {
using namespace td::cpu::redop;

// ---- policies ---------------------------------------------------------------------------------------
template <typename T> struct ArgAcc { T v; int64_t i; };

template <typename T, int OP> struct Pol;
template <typename T> struct SumBase {
  using Acc = std::conditional_t<std::is_same_v<T, int32_t>, long long, double>;
  __device__ static Acc init() { return Acc(0); }
  __device__ static void add(Acc& a, T v, int64_t) { a += static_cast<Acc>(v); }
  __device__ static void merge(Acc& a, const Acc& b) { a += b; }
};
template <typename T> struct Pol<T, SUM> : SumBase<T> {
  using Acc = typename SumBase<T>::Acc;
  __device__ static T finish(const Acc& a, int64_t) { return static_cast<T>(a); }
};
template <typename T> struct Pol<T, MEAN> : SumBase<T> {
  using Acc = typename SumBase<T>::Acc;
  __device__ static T finish(const Acc& a, int64_t n) {
    return store_as<T>(static_cast<double>(a) / static_cast<double>(n));
  }
};
template <typename T> struct Pol<T, PROD> {
  using Acc = std::conditional_t<std::is_same_v<T, int32_t>, unsigned, double>;
  __device__ static Acc init() { return Acc(1); }
  __device__ static void add(Acc& a, T v, int64_t) { a *= static_cast<Acc>(v); }
  __device__ static void merge(Acc& a, const Acc& b) { a *= b; }
  __device__ static T finish(const Acc& a, int64_t) { return static_cast<T>(a); }
};
template <typename T> __device__ T lowest() { return std::is_same_v<T, int32_t> ? T(INT_MIN) : T(-INFINITY); }
template <typename T> __device__ T highest() { return std::is_same_v<T, int32_t> ? T(INT_MAX) : T(INFINITY); }
template <typename T, bool MAX> struct Ext {
  using Acc = T;
  __device__ static Acc init() { return MAX ? lowest<T>() : highest<T>(); }
  __device__ static void add(Acc& a, T v, int64_t) { merge(a, v); }
  __device__ static void merge(Acc& a, const Acc& b) {
    if (a != a) return;
    if (b != b || (MAX ? b > a : b < a)) a = b;
  }
  __device__ static T finish(const Acc& a, int64_t) { return a; }
};
template <typename T> struct Pol<T, MAX> : Ext<T, true> {};
template <typename T> struct Pol<T, MIN> : Ext<T, false> {};
template <typename T, bool MAX> struct Arg {
  using Acc = ArgAcc<T>;
  __device__ static Acc init() { return Acc{MAX ? lowest<T>() : highest<T>(), LLONG_MAX}; }
  __device__ static void add(Acc& a, T v, int64_t i) { merge(a, Acc{v, i}); }
  // b beats a: a is not NaN and (b is NaN or strictly better), or equal (both NaN too) at a lower index.
  __device__ static void merge(Acc& a, const Acc& b) {
    const bool an = a.v != a.v, bn = b.v != b.v;
    bool better;
    if (an || bn) better = an && bn ? b.i < a.i : bn;
    else better = (MAX ? b.v > a.v : b.v < a.v) || (b.v == a.v && b.i < a.i);
    if (better) a = b;
  }
  __device__ static int32_t finish(const Acc& a, int64_t) { return static_cast<int32_t>(a.i); }
};
template <typename T> struct Pol<T, ARGMAX> : Arg<T, true> {};
template <typename T> struct Pol<T, ARGMIN> : Arg<T, false> {};

template <typename A> __device__ A shfl_down(A a, int d) { return __shfl_down_sync(0xffffffffu, a, d); }
template <typename T> __device__ ArgAcc<T> shfl_down(ArgAcc<T> a, int d) {
  return ArgAcc<T>{__shfl_down_sync(0xffffffffu, a.v, d), __shfl_down_sync(0xffffffffu, a.i, d)};
}

// The reduced dims of x (after the M leading ones), for the div/mod walk.
struct RedGeom {
  int nlead, nred;
  int64_t lead_shape[kMaxDims], lead_st[kMaxDims];
  int64_t red_shape[kMaxDims], red_st[kMaxDims];
  int64_t base, M, R;
  __device__ int64_t lead_off(int64_t m) const {
    int64_t off = base;
    for (int d = nlead - 1; d >= 0; d--) { off += (m % lead_shape[d]) * lead_st[d]; m /= lead_shape[d]; }
    return off;
  }
  __device__ int64_t red_off(int64_t r) const {
    int64_t off = 0;
    for (int d = nred - 1; d >= 0; d--) { off += (r % red_shape[d]) * red_st[d]; r /= red_shape[d]; }
    return off;
  }
};

template <typename P>
__device__ typename P::Acc block_reduce(typename P::Acc a) {
  using Acc = typename P::Acc;
  __shared__ Acc warp_acc[32];
  for (int d = 16; d > 0; d >>= 1) P::merge(a, shfl_down(a, d));
  const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
  if (lane == 0) warp_acc[wid] = a;
  __syncthreads();
  const int nw = (blockDim.x + 31) >> 5;
  if (wid == 0) {
    a = lane < nw ? warp_acc[lane] : P::init();
    for (int d = 16; d > 0; d >>= 1) P::merge(a, shfl_down(a, d));
  }
  return a;  // valid in thread 0
}

// grid.x covers M * S blocks (grid-stride). OUT is T (S == 1) or Acc (partials).
template <typename T, typename P, bool PARTIAL>
__global__ void reduce_pass1(RedGeom g, const T* __restrict__ x, void* __restrict__ out, int64_t S, int64_t slice) {
  using Acc = typename P::Acc;
  for (int64_t blk = blockIdx.x; blk < g.M * S; blk += gridDim.x) {
    const int64_t m = blk / S, s = blk % S;
    const int64_t lo = s * slice, hi = min(g.R, lo + slice);
    const int64_t base = g.lead_off(m);
    Acc a = P::init();
    for (int64_t r = lo + threadIdx.x; r < hi; r += blockDim.x) P::add(a, x[base + g.red_off(r)], r);
    a = block_reduce<P>(a);
    if (threadIdx.x == 0) {
      if (PARTIAL) static_cast<Acc*>(out)[blk] = a;
      else static_cast<decltype(P::finish(a, 1))*>(out)[m] = P::finish(a, g.R);
    }
    __syncthreads();  // warp_acc is reused by the next iteration
  }
}

template <typename T, typename P>
__global__ void reduce_pass2(const typename P::Acc* __restrict__ part, int64_t M, int64_t S, int64_t R,
                             decltype(P::finish(typename P::Acc{}, 1))* __restrict__ out) {
  for (int64_t m = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; m < M; m += (int64_t)gridDim.x * blockDim.x) {
    typename P::Acc a = part[m * S];
    for (int64_t s = 1; s < S; s++) P::merge(a, part[m * S + s]);
    out[m] = P::finish(a, R);
  }
}

// One thread per output for tiny reduced ranges.
template <typename T, typename P>
__global__ void reduce_small(RedGeom g, const T* __restrict__ x, decltype(P::finish(typename P::Acc{}, 1))* __restrict__ out) {
  for (int64_t m = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; m < g.M; m += (int64_t)gridDim.x * blockDim.x) {
    const int64_t base = g.lead_off(m);
    typename P::Acc a = P::init();
    for (int64_t r = 0; r < g.R; r++) P::add(a, x[base + g.red_off(r)], r);
    out[m] = P::finish(a, g.R);
  }
}

int num_sms() {
  static int n = 0;
  if (!n) {
    int dev = 0;
    check(cudaGetDevice(&dev), "cudaGetDevice");
    check(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, dev), "cudaDeviceGetAttribute");
    if (n < 1) n = 1;
  }
  return n;
}

template <typename T, int OP>
void reduce_t(const View& out, const View& x, int nred) {
  using P = Pol<T, OP>;
  using Acc = typename P::Acc;
  RedGeom g{};
  g.base = x.offset;
  g.nlead = 0;
  g.nred = 0;
  g.M = 1;
  g.R = 1;
  const int lead = x.ndim - nred;
  for (int d = 0; d < x.ndim; d++) {
    if (d < lead) {
      g.lead_shape[g.nlead] = x.shape[d];
      g.lead_st[g.nlead++] = x.strides[d];
      g.M *= x.shape[d];
    } else {
      g.red_shape[g.nred] = x.shape[d];
      g.red_st[g.nred++] = x.strides[d];
      g.R *= x.shape[d];
    }
  }
  if (g.M == 0) return;
  auto* o = out.ptr<decltype(P::finish(Acc{}, 1))>();
  const T* xp = static_cast<const T*>(x.data);
  // One thread per output when the reduced ranges are tiny, or when the outputs are many and adjacent
  // in memory while the reduced elements are not (a column sum such as a bias gradient: consecutive
  // threads then read consecutive addresses, where a block per output would read a strided column).
  const bool columns = g.nlead > 0 && g.lead_st[g.nlead - 1] == 1 && (g.nred == 0 || g.red_st[g.nred - 1] != 1) &&
                       g.M >= 4096;
  if (g.R <= 16 || columns) {
    reduce_small<T, P><<<grid_for(g.M), kThreads, 0, stream()>>>(g, xp, o);
    return check_launch("reduce kernel");
  }
  const int64_t target = 4LL * num_sms();
  int64_t S = 1;
  if (g.M < target) {
    S = (target + g.M - 1) / g.M;
    const int64_t max_s = (g.R + 8191) / 8192;
    if (S > max_s) S = max_s;
    if (S < 1) S = 1;
  }
  const int64_t slice = (g.R + S - 1) / S;
  S = (g.R + slice - 1) / slice;
  const int64_t blocks = g.M * S;
  const unsigned grid = static_cast<unsigned>(blocks < 65535LL * 32 ? blocks : 65535LL * 32);
  if (S == 1) {
    reduce_pass1<T, P, false><<<grid, kThreads, 0, stream()>>>(g, xp, o, 1, slice);
    return check_launch("reduce kernel");
  }
  Temp part(sizeof(Acc) * static_cast<size_t>(blocks));
  reduce_pass1<T, P, true><<<grid, kThreads, 0, stream()>>>(g, xp, part.as<void>(), S, slice);
  check_launch("reduce kernel (pass 1)");
  reduce_pass2<T, P><<<grid_for(g.M), kThreads, 0, stream()>>>(part.as<Acc>(), g.M, S, g.R, o);
  check_launch("reduce kernel (pass 2)");
}

template <typename T>
void reduce_op(int op, const View& out, const View& x, int nred) {
  switch (op) {
    case SUM: return reduce_t<T, SUM>(out, x, nred);
    case MEAN: return reduce_t<T, MEAN>(out, x, nred);
    case PROD: return reduce_t<T, PROD>(out, x, nred);
    case MAX: return reduce_t<T, MAX>(out, x, nred);
    case MIN: return reduce_t<T, MIN>(out, x, nred);
    case ARGMAX: return reduce_t<T, ARGMAX>(out, x, nred);
    case ARGMIN: return reduce_t<T, ARGMIN>(out, x, nred);
    default: throw std::invalid_argument("reduce: unknown op " + std::to_string(op));
  }
}

struct SumP {
  using Acc = double;
  __device__ static Acc init() { return 0.0; }
  __device__ static void merge(Acc& a, const Acc& b) { a += b; }
};

// ---- softmax: one block per row --------------------------------------------------------------------
template <typename T>
__global__ void softmax_kernel(T* __restrict__ o, const T* __restrict__ x, int64_t rows, int64_t n, bool log) {
  using MaxP = Ext<T, true>;
  __shared__ T s_max;
  __shared__ double s_sum;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + r * n;
    T* orow = o + r * n;
    T mx = MaxP::init();
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) MaxP::merge(mx, xr[i]);
    mx = block_reduce<MaxP>(mx);
    if (threadIdx.x == 0) s_max = mx;
    __syncthreads();
    mx = s_max;
    double sum = 0;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
      const T e = kern::td_exp(static_cast<T>(xr[i] - mx));
      if (!log) orow[i] = e;
      sum += static_cast<double>(e);
    }
    sum = block_reduce<SumP>(sum);
    if (threadIdx.x == 0) s_sum = sum;
    __syncthreads();
    sum = s_sum;
    if (log) {
      const T lse = static_cast<T>(::log(sum));
      for (int64_t i = threadIdx.x; i < n; i += blockDim.x) orow[i] = (xr[i] - mx) - lse;
    } else {
      const T inv = static_cast<T>(1.0 / sum);
      for (int64_t i = threadIdx.x; i < n; i += blockDim.x) orow[i] *= inv;
    }
    __syncthreads();
  }
}
}  // namespace

void reduce(int op, const View& out, const View& x, int nred) {
  if (nred < 0 || nred > x.ndim) throw std::invalid_argument("reduce: bad number of reduced dims");
  const int out_dt = (op == ARGMAX || op == ARGMIN) ? I32 : x.dtype;
  if (out.dtype != out_dt) throw std::invalid_argument("reduce: wrong output dtype");
  int64_t R = 1;
  for (int d = x.ndim - nred; d < x.ndim; d++) R *= x.shape[d];
  if (R == 0 && (op == MAX || op == MIN || op == ARGMAX || op == ARGMIN) && out.numel() > 0)
    throw std::invalid_argument("reduce: max/min/argmax/argmin of an empty tensor");
  dispatch_dtype(x.dtype, "reduce", [&](auto tag) { reduce_op<decltype(tag)>(op, out, x, nred); });
}

void softmax(const View& out, const View& x, bool log) {
  if (out.dtype != x.dtype) throw std::invalid_argument("softmax: out and x dtypes differ");
  if (!out.contiguous() || !x.contiguous()) throw std::invalid_argument("softmax: out and x must be contiguous");
  const int64_t n = x.ndim ? x.shape[x.ndim - 1] : 1;
  const int64_t total = x.numel();
  if (total == 0) return;
  const int64_t rows = total / n;
  const unsigned grid = static_cast<unsigned>(rows < 65535LL * 32 ? rows : 65535LL * 32);
  switch (x.dtype) {
    case F32: softmax_kernel<float><<<grid, kThreads, 0, stream()>>>(out.ptr<float>(), x.ptr<float>(), rows, n, log); break;
    case F64: softmax_kernel<double><<<grid, kThreads, 0, stream()>>>(out.ptr<double>(), x.ptr<double>(), rows, n, log); break;
    default: throw std::invalid_argument("softmax: needs a float dtype");
  }
  check_launch("softmax kernel");
}

}  // namespace td::cuda
