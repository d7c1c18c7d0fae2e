// strided_loop.h — the N-d strided iteration engine behind the CPU elementwise and indexing kernels
// (internal to native/cpu). A Plan describes N operands that share one shape; for_each() walks it in
// row-major order and hands the innermost dim to a callback in runs, optionally split across threads.
#pragma once
#include <omp.h>
#include <algorithm>
#include <cstdint>
#include "cpu.h"

namespace td::cpu::detail {

// One operand of a loop: address of element [0,...,0], element strides (one per dim), element size.
struct Operand {
  char* base;
  const int64_t* strides;
  int esize;
};
inline Operand operand(const View& v) {
  return Operand{static_cast<char*>(v.data) + v.offset * dtype_size(v.dtype), v.strides,
                 static_cast<int>(dtype_size(v.dtype))};
}

// An iteration plan. Dims of size 1 are dropped, and a dim is merged into the next-outer one when it is
// contiguous with it in every operand, so that the innermost dim is as long as possible. A 0-d or
// all-ones shape becomes shape [1].
template <int N>
struct Plan {
  int ndim = 1;
  int64_t numel = 0;
  int64_t shape[kMaxDims] = {1};
  int64_t stride[kMaxDims][N] = {};  // element strides, [dim][operand]
  char* base[N] = {};
  int esize[N] = {};
};

template <int N>
Plan<N> make_plan(int ndim, const int64_t* shape, const Operand (&ops)[N]) {
  Plan<N> p;
  p.numel = 1;
  for (int d = 0; d < ndim; d++) p.numel *= shape[d];
  for (int k = 0; k < N; k++) {
    p.base[k] = ops[k].base;
    p.esize[k] = ops[k].esize;
  }
  int nd = 0;
  for (int d = 0; d < ndim; d++) {
    if (shape[d] == 1) continue;
    bool merge = nd > 0;
    for (int k = 0; k < N && merge; k++)
      merge = p.stride[nd - 1][k] == ops[k].strides[d] * shape[d];
    if (merge) {
      p.shape[nd - 1] *= shape[d];
      for (int k = 0; k < N; k++) p.stride[nd - 1][k] = ops[k].strides[d];
    } else {
      p.shape[nd] = shape[d];
      for (int k = 0; k < N; k++) p.stride[nd][k] = ops[k].strides[d];
      nd++;
    }
  }
  if (nd == 0) {  // a single element: present it as one contiguous run of length 1
    nd = 1;
    p.shape[0] = 1;
    for (int k = 0; k < N; k++) p.stride[0][k] = 1;
  }
  p.ndim = nd;
  return p;
}

// Visits flat indices [begin, end) of the plan: calls inner(n, ptrs, strides) for each run of n
// consecutive elements along the innermost dim, where ptrs[k] addresses the run's first element of
// operand k and strides[k] is its innermost element stride.
template <int N, typename F>
void run_range(const Plan<N>& p, int64_t begin, int64_t end, F& inner) {
  const int last = p.ndim - 1;
  int64_t idx[kMaxDims];
  char* ptr[N];
  for (int k = 0; k < N; k++) ptr[k] = p.base[k];
  int64_t rem = begin;
  for (int d = last; d >= 0; d--) {  // decompose `begin` into a multi-index
    idx[d] = rem % p.shape[d];
    rem /= p.shape[d];
    for (int k = 0; k < N; k++) ptr[k] += idx[d] * p.stride[d][k] * p.esize[k];
  }
  int64_t step[kMaxDims][N];  // byte strides
  for (int d = 0; d <= last; d++)
    for (int k = 0; k < N; k++) step[d][k] = p.stride[d][k] * p.esize[k];
  const int64_t inner_len = p.shape[last];
  while (begin < end) {
    const int64_t n = std::min(inner_len - idx[last], end - begin);
    inner(n, static_cast<char* const*>(ptr), p.stride[last]);
    begin += n;
    if (begin >= end) break;
    // The run ended at the end of an innermost row (ptr still addresses its first element): go back
    // to the row start and carry into the outer dims.
    for (int k = 0; k < N; k++) ptr[k] -= idx[last] * step[last][k];
    idx[last] = 0;
    for (int d = last - 1; d >= 0; d--) {
      for (int k = 0; k < N; k++) ptr[k] += step[d][k];
      if (++idx[d] < p.shape[d]) break;
      for (int k = 0; k < N; k++) ptr[k] -= p.shape[d] * step[d][k];
      idx[d] = 0;
    }
  }
}

// Start of thread t's share of n elements among nt threads, rounded down to a multiple of 16 elements
// so that threads do not share cache lines of contiguous operands.
inline int64_t share_begin(int64_t n, int t, int nt) {
  if (t >= nt) return n;
  const int64_t b = n / nt * t + std::min<int64_t>(t, n % nt);
  return b & ~int64_t(15);
}

// Runs `inner` over the whole plan, split across the OpenMP threads when `parallel`.
template <int N, typename F>
void for_each(const Plan<N>& p, bool parallel, F inner) {
  if (p.numel == 0) return;
  if (!parallel || omp_get_max_threads() == 1) {
    run_range(p, 0, p.numel, inner);
    return;
  }
#pragma omp parallel
  {
    const int nt = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t b = share_begin(p.numel, t, nt), e = share_begin(p.numel, t + 1, nt);
    if (b < e) run_range(p, b, e, inner);
  }
}

}  // namespace td::cpu::detail
