// strided_loop.h — the N-d strided iteration engine behind the CPU elementwise and indexing kernels
// (internal to native/cpu). A Plan describes N operands that share one shape; for_each() walks it in
// row-major order (or in 2-d tiles when an operand is transposed) and hands runs along the innermost dim
// to a callback, optionally split across threads.
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

// ---- tiled walk for transposed operands ------------------------------------------------------------
// A plain row-major walk is slow when an operand moves through memory with a large stride along the
// innermost dim but with unit stride along another dim `td` (a transposed or permuted view, e.g. making
// x.T contiguous): every element touches a new cache line. Such plans are walked in tiles of
// kTileRows (along td) x kTileCols (along the innermost dim), so each cache line of either side is used
// fully while it is in L1/L2. Work items are blocks of kTileRows rows of a kSuperCols-wide column band,
// ordered rows-fastest, so consecutive items reuse the same pages of the transposed operand.
constexpr int64_t kTileRows = 16;
constexpr int64_t kTileCols = 16;
constexpr int64_t kSuperCols = 256;

// The dim to tile together with the innermost one, or -1 when the plain walk is fine.
template <int N>
int transposed_dim(const Plan<N>& p) {
  if (p.ndim < 2 || p.numel < 4096) return -1;
  const int last = p.ndim - 1;
  for (int k = 0; k < N; k++) {
    if (p.stride[last][k] < 8) continue;  // contiguous, broadcast, or still dense enough
    for (int d = last - 1; d >= 0; d--)
      if (p.stride[d][k] == 1) return d;
  }
  return -1;
}

// Number of work items of the tiled walk.
template <int N>
int64_t tile_items(const Plan<N>& p, int td) {
  const int64_t rows = p.shape[td], cols = p.shape[p.ndim - 1];
  const int64_t other = p.numel / (rows * cols);
  return other * ((cols + kSuperCols - 1) / kSuperCols) * ((rows + kTileRows - 1) / kTileRows);
}

// Work items [item0, item1): item = (position in the other dims, column band, block of rows).
template <int N, typename F>
void run_tiles(const Plan<N>& p, int td, int64_t item0, int64_t item1, F& inner) {
  const int last = p.ndim - 1;
  const int64_t rows = p.shape[td], cols = p.shape[last];
  const int64_t nrow = (rows + kTileRows - 1) / kTileRows, nband = (cols + kSuperCols - 1) / kSuperCols;
  for (int64_t it = item0; it < item1; it++) {
    const int64_t r0 = it % nrow * kTileRows, r1 = std::min(rows, r0 + kTileRows);
    const int64_t b0 = it / nrow % nband * kSuperCols, b1 = std::min(cols, b0 + kSuperCols);
    int64_t o = it / nrow / nband;
    char* base[N];
    for (int k = 0; k < N; k++) base[k] = p.base[k];
    for (int d = last - 1; d >= 0; d--) {  // decompose o over the other dims
      if (d == td) continue;
      const int64_t i = o % p.shape[d];
      o /= p.shape[d];
      for (int k = 0; k < N; k++) base[k] += i * p.stride[d][k] * p.esize[k];
    }
    for (int64_t c0 = b0; c0 < b1; c0 += kTileCols) {
      const int64_t n = std::min(kTileCols, b1 - c0);
      for (int64_t r = r0; r < r1; r++) {
        char* ptr[N];
        for (int k = 0; k < N; k++) ptr[k] = base[k] + (r * p.stride[td][k] + c0 * p.stride[last][k]) * p.esize[k];
        inner(n, static_cast<char* const*>(ptr), p.stride[last]);
      }
    }
  }
}

// Runs `inner` over the whole plan (row-major, or tiled for transposed operands), split across the
// OpenMP threads when `parallel`. Every element is visited exactly once whatever the thread count.
template <int N, typename F>
void for_each(const Plan<N>& p, bool parallel, F inner) {
  if (p.numel == 0) return;
  parallel = parallel && omp_get_max_threads() > 1;
  const int td = transposed_dim(p);
  if (td >= 0) {
    const int64_t items = tile_items(p, td);
    if (!parallel) {
      run_tiles(p, td, 0, items, inner);
      return;
    }
#pragma omp parallel
    {
      const int nt = omp_get_num_threads(), t = omp_get_thread_num();
      const int64_t b = items / nt * t + std::min<int64_t>(t, items % nt);
      const int64_t e = items / nt * (t + 1) + std::min<int64_t>(t + 1, items % nt);
      if (b < e) run_tiles(p, td, b, e, inner);
    }
    return;
  }
  if (!parallel) {
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
