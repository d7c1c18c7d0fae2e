// reduce.cpp — CPU reductions (SUM MEAN PROD MAX MIN ARGMAX ARGMIN over the last nred dims of a strided
// view) and softmax / log-softmax over the last dim (contract in cpu.h).
//
// Each reduction op is a small policy (accumulator type, add, merge, finish). Layouts, after coalescing
// the outer and the reduced dims separately:
//  * "rows"    : general case, one accumulator per output, walking the reduced dims; the innermost run is
//                accumulated into 8 interleaved lane accumulators (vectorised when it is contiguous).
//  * "columns" : the innermost outer dim is contiguous in memory and the reduced dims are not, e.g. a sum
//                over dim 0 of a contiguous [B, D] arriving as shape [D, B] strides [1, D]. Whole rows
//                are accumulated: acc[j] += x[r, j], vectorised over j, in tiles of kTile outputs.
// Parallelism is over outputs; when there are few outputs, the reduced range is also split into groups
// whose partial accumulators are combined in order afterwards. The split depends only on the shapes, never
// on the thread count, so results are identical for any number of threads.
//
// Accuracy: float32 (and int32) sums accumulate in double (int64); reduced ranges are summed in blocks of
// kBlock elements, each over 8 lanes, then the blocks are added in order (error ~ (kBlock/8 + R/kBlock) eps).
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "../kernels/elementwise.h"
#include "cpu.h"

namespace td::cpu {
namespace {

constexpr int kLanes = 8;           // interleaved accumulators of a contiguous run
constexpr int64_t kBlock = 16384;   // reduced elements per accumulation block (accuracy, fixed)
constexpr int64_t kTile = 512;      // outputs per work item in the column layout
constexpr int64_t kMinItems = 64;   // split the reduced range until there are about this many work items

// ---- reduction policies --------------------------------------------------------------------------
// add(acc, v, i): fold element v whose flat index in the reduced block is i.
// merge(a, b): fold accumulator b into a (for the index-tracking ops, ties go to the lower index).
// finish(acc, count): the output value.

template <typename T>
using SumAcc = std::conditional_t<std::is_same_v<T, int32_t>, int64_t, double>;

template <typename T>
struct SumP {
  using In = T;
  using Out = T;
  using Acc = SumAcc<T>;
  static TD_FORCEINLINE Acc init() { return Acc(0); }
  static TD_FORCEINLINE void add(Acc& a, T v, int64_t) { a += static_cast<Acc>(v); }
  static TD_FORCEINLINE void merge(Acc& a, const Acc& b) { a += b; }
  static Out finish(const Acc& a, int64_t) {
    if constexpr (std::is_same_v<T, int32_t>)
      return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(a)));  // wraps like ADD
    else
      return static_cast<T>(a);
  }
};

template <typename T>
struct MeanP : SumP<T> {
  using Acc = typename SumP<T>::Acc;
  static T finish(const Acc& a, int64_t count) {
    const double m = static_cast<double>(a) / static_cast<double>(count);  // 0/0 = NaN for empty
    if constexpr (std::is_same_v<T, int32_t>)
      return kern::saturate_i32(m);
    else
      return static_cast<T>(m);
  }
};

template <typename T>
struct ProdP {
  using In = T;
  using Out = T;
  // int32 products wrap modulo 2^32 (like MUL); float products accumulate in double.
  using Acc = std::conditional_t<std::is_same_v<T, int32_t>, uint32_t, double>;
  static TD_FORCEINLINE Acc init() { return Acc(1); }
  static TD_FORCEINLINE void add(Acc& a, T v, int64_t) { a *= static_cast<Acc>(v); }
  static TD_FORCEINLINE void merge(Acc& a, const Acc& b) { a *= b; }
  static Out finish(const Acc& a, int64_t) { return static_cast<T>(a); }
};

// MAX (IsMax) / MIN with NaN propagation.
template <typename T, bool IsMax>
struct ExtremumP {
  using In = T;
  using Out = T;
  using Acc = T;
  static TD_FORCEINLINE Acc init() {
    if constexpr (std::is_floating_point_v<T>)
      return IsMax ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
    else
      return IsMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
  }
  static TD_FORCEINLINE void add(Acc& a, T v, int64_t) {
    a = (v != v || (IsMax ? v > a : v < a)) ? v : a;
  }
  static TD_FORCEINLINE void merge(Acc& a, const Acc& b) { add(a, b, 0); }
  static Out finish(const Acc& a, int64_t) { return a; }
};

// ARGMAX (IsMax) / ARGMIN: first occurrence, the first NaN wins. The accumulator starts at -inf (+inf)
// with index -1 and takes v when it is strictly better, so an all -inf (+inf) range keeps index -1,
// which finish() maps to 0, the first occurrence.
template <typename T, bool IsMax>
struct ArgP {
  using In = T;
  using Out = int32_t;
  struct Acc {
    T v;
    int64_t i;
  };
  // v beats cur: cur is not NaN, and v is NaN or strictly better.
  static TD_FORCEINLINE bool better(T v, T cur) {
    return (cur == cur) & !(IsMax ? v <= cur : v >= cur);
  }
  static TD_FORCEINLINE Acc init() { return Acc{ExtremumP<T, IsMax>::init(), -1}; }
  static TD_FORCEINLINE void add(Acc& a, T v, int64_t i) {
    if (better(v, a.v)) a = Acc{v, i};
  }
  static TD_FORCEINLINE void merge(Acc& a, const Acc& b) {
    if (b.i < 0) return;
    const bool tie = b.v == a.v || (b.v != b.v && a.v != a.v);
    if (a.i < 0 || better(b.v, a.v) || (tie && b.i < a.i)) a = b;
  }
  static Out finish(const Acc& a, int64_t) { return static_cast<int32_t>(a.i < 0 ? 0 : a.i); }
};

// ---- geometry ------------------------------------------------------------------------------------
// A group of dims with size-1 dims dropped and row-major-contiguous neighbours merged. Merging keeps the
// row-major flat order, so flat indices (output index, ARG index) are unchanged.
struct Dims {
  int nd = 0;
  int64_t shape[kMaxDims];
  int64_t stride[kMaxDims];
  int64_t numel = 1;
  int64_t inner_stride() const { return nd ? stride[nd - 1] : 1; }
  int64_t inner_size() const { return nd ? shape[nd - 1] : 1; }
  // Element offset of flat index f.
  int64_t offset_of(int64_t f) const {
    int64_t off = 0;
    for (int d = nd - 1; d >= 0; d--) {
      off += (f % shape[d]) * stride[d];
      f /= shape[d];
    }
    return off;
  }
};

Dims coalesce(const int64_t* shape, const int64_t* stride, int n) {
  Dims g;
  for (int d = 0; d < n; d++) {
    g.numel *= shape[d];
    if (shape[d] == 1) continue;
    if (g.nd > 0 && g.stride[g.nd - 1] == stride[d] * shape[d]) {
      g.shape[g.nd - 1] *= shape[d];
      g.stride[g.nd - 1] = stride[d];
    } else {
      g.shape[g.nd] = shape[d];
      g.stride[g.nd] = stride[d];
      g.nd++;
    }
  }
  return g;
}

// Calls fn(offset, first_flat_index, n) for each run of the innermost dim covering flat indices [f0, f1).
template <typename F>
void for_runs(const Dims& g, int64_t f0, int64_t f1, F&& fn) {
  if (f0 >= f1) return;  // empty range (also guards the divisions below when a dim is 0)
  if (g.nd == 0) {  // a single element
    if (f0 < f1) fn(int64_t(0), int64_t(0), int64_t(1));
    return;
  }
  const int last = g.nd - 1;
  int64_t idx[kMaxDims];
  int64_t off = 0, rem = f0;
  for (int d = last; d >= 0; d--) {
    idx[d] = rem % g.shape[d];
    rem /= g.shape[d];
    off += idx[d] * g.stride[d];
  }
  while (f0 < f1) {
    const int64_t n = std::min(g.shape[last] - idx[last], f1 - f0);
    fn(off, f0, n);
    f0 += n;
    if (f0 >= f1) break;
    off -= idx[last] * g.stride[last];
    idx[last] = 0;
    for (int d = last - 1; d >= 0; d--) {
      off += g.stride[d];
      if (++idx[d] < g.shape[d]) break;
      off -= g.shape[d] * g.stride[d];
      idx[d] = 0;
    }
  }
}

// Number of groups the reduced range [0, R) of each of `items` work items is split into, and the group
// length (a multiple of `unit`). Depends only on the shapes. Splitting only serves parallelism, so a
// reduction too small to run in parallel (`total` elements) stays in one group per item.
void split_groups(int64_t items, int64_t R, int64_t unit, int64_t total, int64_t& groups, int64_t& glen) {
  const int64_t units = (R + unit - 1) / unit;
  groups = 1;
  if (items < kMinItems && worth_parallel(total)) groups = std::max<int64_t>(1, std::min(units, (kMinItems + items - 1) / items));
  glen = (units + groups - 1) / groups * unit;
  groups = glen ? (R + glen - 1) / glen : 1;
}

// ---- the "rows" layout ------------------------------------------------------------------------------
// lanes[j] += x[i + j] for i = 0, 8, ... < n8 (a multiple of kLanes): the contiguous float32 sum/mean run,
// compiled for x86-64-v3 and the baseline (the dynamic loader picks one). Per lane the additions are the
// generic loop's, in the same order, so both copies give the same bits; AVX2 converts and adds 4 doubles
// per instruction where SSE2 does 2 (sum of 16M floats ~1.6x faster on the dev machine). Only this loop is
// cloned: cloning the templated reductions wholesale stopped the policies inlining (amax 4x slower).
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && defined(__ELF__) && !defined(TD_NO_CLONES)
__attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
void sum_lanes_f32(double* lanes, const float* x, int64_t n8) {
  double l[kLanes];
  for (int j = 0; j < kLanes; j++) l[j] = lanes[j];
  for (int64_t i = 0; i < n8; i += kLanes)
    for (int j = 0; j < kLanes; j++) l[j] += static_cast<double>(x[i + j]);
  for (int j = 0; j < kLanes; j++) lanes[j] = l[j];
}

template <class P>
constexpr bool kPlainF32Sum = std::is_base_of_v<SumP<float>, P>;  // SumP<float> and MeanP<float>

// Folds a run of n elements (stride s) into the lanes; lane j sees increasing flat indices.
template <class P>
TD_FORCEINLINE void accumulate_run(typename P::Acc* lanes, const typename P::In* x, int64_t s, int64_t n,
                                   int64_t i0) {
  int64_t i = 0;
  if constexpr (kPlainF32Sum<P>) {
    if (s == 1) {
      i = n / kLanes * kLanes;
      sum_lanes_f32(lanes, x, i);
      for (int j = 0; i < n; i++, j++) P::add(lanes[j], x[i], i0 + i);
      return;
    }
  }
  if (s == 1) {
    for (; i + kLanes <= n; i += kLanes)
      for (int j = 0; j < kLanes; j++) P::add(lanes[j], x[i + j], i0 + i + j);
  } else {
    for (; i + kLanes <= n; i += kLanes)
      for (int j = 0; j < kLanes; j++) P::add(lanes[j], x[(i + j) * s], i0 + i + j);
  }
  for (int j = 0; i < n; i++, j++) P::add(lanes[j], x[i * s], i0 + i);
}

// Accumulator of the reduced flat range [r0, r1) of the block starting at x (r0 a multiple of kBlock).
// Short ranges are folded sequentially; longer ones in kBlock blocks of kLanes interleaved lanes.
template <class P>
typename P::Acc reduce_range(const typename P::In* x, const Dims& rd, int64_t r0, int64_t r1) {
  using Acc = typename P::Acc;
  Acc total = P::init();
  const int64_t s = rd.inner_stride();
  if (r1 - r0 < 4 * kLanes) {
    if (rd.nd <= 1) {
      for (int64_t i = r0; i < r1; i++) P::add(total, x[i * s], i);
    } else {
      for_runs(rd, r0, r1, [&](int64_t off, int64_t i0, int64_t n) {
        for (int64_t i = 0; i < n; i++) P::add(total, x[off + i * s], i0 + i);
      });
    }
    return total;
  }
  for (int64_t b0 = r0; b0 < r1; b0 += kBlock) {
    Acc lanes[kLanes];
    for (int j = 0; j < kLanes; j++) lanes[j] = P::init();
    for_runs(rd, b0, std::min(b0 + kBlock, r1),
             [&](int64_t off, int64_t i0, int64_t n) { accumulate_run<P>(lanes, x + off, s, n, i0); });
    for (int j = 1; j < kLanes; j++) P::merge(lanes[0], lanes[j]);
    P::merge(total, lanes[0]);
  }
  return total;
}

template <class P>
void reduce_rows(const View& out, const View& x, const Dims& od, const Dims& rd) {
  using T = typename P::In;
  using Acc = typename P::Acc;
  const T* xp = x.ptr<T>();
  typename P::Out* op = out.ptr<typename P::Out>();
  const int64_t M = od.numel, R = rd.numel;
  const bool par = worth_parallel(M * R);
  int64_t G, glen;
  split_groups(M, R, kBlock, M * R, G, glen);
  if (G == 1) {
    // Chunks of consecutive outputs; for_runs walks their offsets without per-output divisions.
    const int64_t chunk = std::max<int64_t>(1, 16384 / std::max<int64_t>(R, 1));
    const int64_t nchunks = (M + chunk - 1) / chunk;
    const int64_t os = od.inner_stride();
    parallel_for(nchunks, par, [&](int64_t c) {
      for_runs(od, c * chunk, std::min(M, (c + 1) * chunk), [&](int64_t off, int64_t m0, int64_t n) {
        for (int64_t k = 0; k < n; k++) op[m0 + k] = P::finish(reduce_range<P>(xp + off + k * os, rd, 0, R), R);
      });
    });
    return;
  }
  // Few outputs: also split each reduced range into G groups, then combine the groups in order.
  std::vector<Acc> part(static_cast<size_t>(M * G));
  parallel_for(M * G, par, [&](int64_t it) {
    const int64_t m = it / G, g = it % G;
    part[static_cast<size_t>(it)] = reduce_range<P>(xp + od.offset_of(m), rd, g * glen, std::min(R, (g + 1) * glen));
  });
  for (int64_t m = 0; m < M; m++) {
    Acc a = part[static_cast<size_t>(m * G)];
    for (int64_t g = 1; g < G; g++) P::merge(a, part[static_cast<size_t>(m * G + g)]);
    op[m] = P::finish(a, R);
  }
}

// ---- the "columns" layout ------------------------------------------------------------------------
// od's innermost dim (size V) has stride 1. Work item = (group g, outer row o, tile t of kTile outputs).
template <class P>
void reduce_columns(const View& out, const View& x, const Dims& od, const Dims& rd) {
  using T = typename P::In;
  using Acc = typename P::Acc;
  const T* xp = x.ptr<T>();
  typename P::Out* op = out.ptr<typename P::Out>();
  const int64_t M = od.numel, R = rd.numel;
  const int64_t V = od.inner_size(), O = M / V;
  Dims orest = od;  // the outer dims without the innermost one
  orest.nd--;
  orest.numel = O;
  const int64_t ntiles = (V + kTile - 1) / kTile;
  int64_t G, glen;
  split_groups(O * ntiles, R, 1, M * R, G, glen);
  std::vector<Acc> part(G > 1 ? static_cast<size_t>(M * G) : 0);
  const int64_t items = O * ntiles * G;
  const int64_t rs = rd.inner_stride();
  parallel_for(items, worth_parallel(M * R), [&](int64_t it) {
    const int64_t g = it / (O * ntiles), o = it % (O * ntiles) / ntiles, t = it % ntiles;
    const int64_t j0 = t * kTile, w = std::min(kTile, V - j0);
    Acc acc[kTile];
    for (int64_t j = 0; j < w; j++) acc[j] = P::init();
    const T* base = xp + orest.offset_of(o) + j0;
    for_runs(rd, g * glen, std::min(R, (g + 1) * glen), [&](int64_t off, int64_t r0, int64_t n) {
      int64_t k = 0;
      for (; k + 4 <= n; k += 4) {  // four rows per pass: one load/store of acc[j] per four elements
        const T* row = base + off + k * rs;
        const int64_t r = r0 + k;
        for (int64_t j = 0; j < w; j++) {
          Acc a = acc[j];
          P::add(a, row[j], r);
          P::add(a, row[j + rs], r + 1);
          P::add(a, row[j + 2 * rs], r + 2);
          P::add(a, row[j + 3 * rs], r + 3);
          acc[j] = a;
        }
      }
      for (; k < n; k++) {
        const T* row = base + off + k * rs;
        for (int64_t j = 0; j < w; j++) P::add(acc[j], row[j], r0 + k);
      }
    });
    const int64_t m0 = o * V + j0;
    if (G == 1) {
      for (int64_t j = 0; j < w; j++) op[m0 + j] = P::finish(acc[j], R);
    } else {
      for (int64_t j = 0; j < w; j++) part[static_cast<size_t>(g * M + m0 + j)] = acc[j];
    }
  });
  if (G == 1) return;
  parallel_for(M, worth_parallel(M * G), [&](int64_t m) {
    Acc a = part[static_cast<size_t>(m)];
    for (int64_t g = 1; g < G; g++) P::merge(a, part[static_cast<size_t>(g * M + m)]);
    op[m] = P::finish(a, R);
  });
}

template <class P>
void reduce_with(const View& out, const View& x, int nred) {
  const int nout = x.ndim - nred;
  const Dims od = coalesce(x.shape, x.strides, nout);
  const Dims rd = coalesce(x.shape + nout, x.strides + nout, nred);
  if (od.numel == 0) return;
  const bool columns = rd.inner_stride() != 1 && od.nd > 0 && od.inner_stride() == 1 && od.inner_size() >= 8;
  if (columns)
    reduce_columns<P>(out, x, od, rd);
  else
    reduce_rows<P>(out, x, od, rd);
}

template <typename T>
void reduce_t(int op, const View& out, const View& x, int nred) {
  using namespace redop;
  switch (op) {
    case SUM: return reduce_with<SumP<T>>(out, x, nred);
    case MEAN: return reduce_with<MeanP<T>>(out, x, nred);
    case PROD: return reduce_with<ProdP<T>>(out, x, nred);
    case MAX: return reduce_with<ExtremumP<T, true>>(out, x, nred);
    case MIN: return reduce_with<ExtremumP<T, false>>(out, x, nred);
    case ARGMAX: return reduce_with<ArgP<T, true>>(out, x, nred);
    case ARGMIN: return reduce_with<ArgP<T, false>>(out, x, nred);
    default: throw std::invalid_argument("reduce: unknown op " + std::to_string(op));
  }
}

// ---- softmax --------------------------------------------------------------------------------------
// One row: max (NaN-propagating), exp(x - max) summed in double, then normalise (or subtract the log-sum).
template <typename T>
void softmax_row(T* o, const T* x, int64_t n, bool log) {
  using MaxP = ExtremumP<T, true>;
  T lanes[kLanes];
  for (int j = 0; j < kLanes; j++) lanes[j] = MaxP::init();
  accumulate_run<MaxP>(lanes, x, 1, n, 0);
  for (int j = 1; j < kLanes; j++) MaxP::merge(lanes[0], lanes[j]);
  const T mx = lanes[0];
  double sum = 0;
  if (log) {
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < n; i++) sum += static_cast<double>(kern::td_exp(x[i] - mx));
    const T lse = static_cast<T>(std::log(sum));
#pragma omp simd
    for (int64_t i = 0; i < n; i++) o[i] = (x[i] - mx) - lse;
  } else {
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < n; i++) {
      const T e = kern::td_exp(x[i] - mx);
      o[i] = e;
      sum += static_cast<double>(e);
    }
    const T inv = static_cast<T>(1.0 / sum);
#pragma omp simd
    for (int64_t i = 0; i < n; i++) o[i] *= inv;
  }
}

template <typename T>
void softmax_t(const View& out, const View& x, bool log) {
  const int64_t n = x.ndim ? x.shape[x.ndim - 1] : 1;
  const int64_t total = x.numel();
  if (total == 0) return;
  const int64_t rows = total / n;
  T* op = out.ptr<T>();
  const T* xp = x.ptr<T>();
  parallel_for(rows, worth_parallel(total, 8), [&](int64_t r) { softmax_row(op + r * n, xp + r * n, n, log); });
}

}  // namespace

// ---- entry points ------------------------------------------------------------------------------------
void reduce(int op, const View& out, const View& x, int nred) {
  if (nred < 0 || nred > x.ndim) throw std::invalid_argument("reduce: bad number of reduced dims");
  const int out_dt = (op == redop::ARGMAX || op == redop::ARGMIN) ? I32 : x.dtype;
  if (out.dtype != out_dt) throw std::invalid_argument("reduce: wrong output dtype");
  int64_t R = 1;
  for (int d = x.ndim - nred; d < x.ndim; d++) R *= x.shape[d];
  if (R == 0 && op != redop::SUM && op != redop::MEAN && op != redop::PROD)
    throw std::invalid_argument("reduce: max/min/argmax/argmin of an empty tensor");
  switch (x.dtype) {
    case F32: return reduce_t<float>(op, out, x, nred);
    case F64: return reduce_t<double>(op, out, x, nred);
    case I32: return reduce_t<int32_t>(op, out, x, nred);
    default: throw std::invalid_argument("reduce: unsupported dtype");
  }
}

void softmax(const View& out, const View& x, bool log) {
  if (out.dtype != x.dtype) throw std::invalid_argument("softmax: out and x dtypes differ");
  if (!out.contiguous() || !x.contiguous()) throw std::invalid_argument("softmax: out and x must be contiguous");
  switch (x.dtype) {
    case F32: return softmax_t<float>(out, x, log);
    case F64: return softmax_t<double>(out, x, log);
    default: throw std::invalid_argument("softmax: needs a float dtype");
  }
}

}  // namespace td::cpu
