// strided.cuh — N-operand strided iteration on the GPU. A Plan merges dims that are contiguous for
// every operand (so a dense tensor becomes one dim, a row broadcast two), drops size-1 dims, and is
// passed by value to the kernel, where element i's per-operand offsets come from one div/mod walk
// over the remaining dims (none at all when every operand is dense: the `flat` fast path).
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

#include "../cpu/view.h"
#include "../kernels/elementwise.h"
#include "runtime.h"

namespace td::cuda {

template <int N>
struct Plan {
  int ndim = 0;
  bool flat = true;  // every operand dense in the same order: offset = base + i
  int64_t numel = 1;
  int64_t shape[kMaxDims];
  int64_t st[N][kMaxDims];
  int64_t base[N];

  __device__ __forceinline__ void offsets(int64_t i, int64_t* off) const {
    if (flat) {
#pragma unroll
      for (int k = 0; k < N; k++) off[k] = base[k] + i;
      return;
    }
#pragma unroll
    for (int k = 0; k < N; k++) off[k] = base[k];
    for (int d = ndim - 1; d >= 0; d--) {
      const int64_t c = i % shape[d];
      i /= shape[d];
#pragma unroll
      for (int k = 0; k < N; k++) off[k] += c * st[k][d];
    }
  }
};

// Builds the plan over `shape` (the output's) for views whose strides are given in `v[k]->strides`.
template <int N>
Plan<N> make_plan(const View* const* v) {
  Plan<N> p;
  const int nd = v[0]->ndim;
  int m = 0;
  for (int d = 0; d < nd; d++) {
    const int64_t s = v[0]->shape[d];
    if (s == 1) continue;
    if (s == 0) { p.numel = 0; p.ndim = 0; return p; }
    bool merge = m > 0;
    for (int k = 0; k < N && merge; k++) merge = p.st[k][m - 1] == v[k]->strides[d] * s;
    if (merge) {
      p.shape[m - 1] *= s;
      for (int k = 0; k < N; k++) p.st[k][m - 1] = v[k]->strides[d];
    } else {
      p.shape[m] = s;
      for (int k = 0; k < N; k++) p.st[k][m] = v[k]->strides[d];
      m++;
    }
  }
  p.ndim = m;
  p.numel = 1;
  for (int d = 0; d < m; d++) p.numel *= p.shape[d];
  for (int k = 0; k < N; k++) p.base[k] = v[k]->offset;
  p.flat = m <= 1;
  for (int k = 0; k < N && p.flat; k++) p.flat = m == 0 || p.st[k][0] == 1;
  if (m == 0) {  // one element (or a 0-d tensor)
    p.flat = true;
  }
  return p;
}

template <int N, typename F>
__global__ void map_kernel(Plan<N> p, F f) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < p.numel; i += (int64_t)gridDim.x * blockDim.x) {
    int64_t off[N];
    p.offsets(i, off);
    f(off);
  }
}

// Runs f(off) for every element, off[k] the element offset of operand k.
template <int N, typename F>
void launch_map(const View* const* v, F f, const char* what) {
  const Plan<N> p = make_plan<N>(v);
  if (p.numel == 0) return;
  map_kernel<N><<<grid_for(p.numel), kThreads, 0, stream()>>>(p, f);
  check_launch(what);
}

// Compute type of the floating-point ops: float and double compute in themselves, int32 in double.
template <typename T>
using MathT = std::conditional_t<std::is_same_v<T, int32_t>, double, T>;

// A computed value stored as TO: bool -> 1/0, floating -> int32 saturating (same as the CPU).
template <typename TO, typename C>
__device__ __forceinline__ TO store_as(C v) {
  if constexpr (std::is_same_v<C, bool>) {
    return v ? TO(1) : TO(0);
  } else if constexpr (std::is_same_v<TO, int32_t> && !std::is_same_v<C, int32_t>) {
    return kern::saturate_i32(static_cast<double>(v));
  } else {
    return static_cast<TO>(v);
  }
}
template <typename TO, typename C>
inline TO host_store_as(C v) {
  if constexpr (std::is_same_v<TO, int32_t> && !std::is_same_v<C, int32_t>) return kern::saturate_i32(static_cast<double>(v));
  else return static_cast<TO>(v);
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

}  // namespace td::cuda
