// index.cpp — CPU gather and scatter_add along one dim with I32 index tensors (contract in cpu.h).
// Indices are validated in a serial pre-pass (std::out_of_range naming the first bad one) before any
// element is written, so the parallel loops never throw. Both kernels run on the strided iteration of
// strided_loop.h: gather walks out/idx/x together with x's stride along `dim` zeroed (the index supplies
// that coordinate); scatter_add walks every position except `dim`, which is looped over serially per
// position, so threads never write the same output element and the result does not depend on them.
#include <stdexcept>
#include <string>

#include "../kernels/elementwise.h"
#include "cpu.h"
#include "strided_loop.h"

namespace td::cpu {
namespace {

using detail::Operand;
using detail::operand;

// A 0-d view as the equivalent 1-d view of one element.
View as_1d(View v) {
  if (v.ndim == 0) {
    v.ndim = 1;
    v.shape[0] = 1;
    v.strides[0] = 0;
  }
  return v;
}

// Serially checks that every element of idx lies in [0, size); throws std::out_of_range otherwise.
void check_indices(const char* what, const View& idx, int dim, int64_t size) {
  const Operand ops[1] = {operand(idx)};
  const auto plan = detail::make_plan(idx.ndim, idx.shape, ops);
  bool bad = false;
  int32_t bad_value = 0;
  detail::for_each(plan, false, [&](int64_t n, char* const* p, const int64_t* s) {
    const int32_t* ix = reinterpret_cast<const int32_t*>(p[0]);
    if (bad) return;
    for (int64_t i = 0; i < n; i++) {
      const int32_t v = ix[i * s[0]];
      if (v < 0 || v >= size) {
        bad = true;
        bad_value = v;
        return;
      }
    }
  });
  if (bad)
    throw std::out_of_range(std::string(what) + ": index " + std::to_string(bad_value) +
                            " is out of range for dim " + std::to_string(dim) + " of size " +
                            std::to_string(size));
}

void check_common(const char* what, const View& idx, int dim, int ndim) {
  if (idx.dtype != I32) throw std::invalid_argument(std::string(what) + ": index tensor must be I32");
  if (dim < 0 || dim >= ndim) throw std::invalid_argument(std::string(what) + ": dim out of range");
}

template <typename T>
void gather_t(const View& out, const View& x, const View& idx, int dim) {
  // x addressed with out's coordinates, except along dim where the index supplies the coordinate.
  int64_t xs[kMaxDims];
  for (int d = 0; d < out.ndim; d++) xs[d] = d == dim ? 0 : x.strides[d];
  const int64_t xdim = x.strides[dim];
  const Operand ops[3] = {operand(out), operand(idx),
                          Operand{reinterpret_cast<char*>(x.ptr<T>()), xs, static_cast<int>(sizeof(T))}};
  const auto plan = detail::make_plan(out.ndim, out.shape, ops);
  detail::for_each(plan, worth_parallel(plan.numel), [xdim](int64_t n, char* const* p, const int64_t* s) {
    T* o = reinterpret_cast<T*>(p[0]);
    const int32_t* ix = reinterpret_cast<const int32_t*>(p[1]);
    const T* xp = reinterpret_cast<const T*>(p[2]);
    if (s[1] == 0) {  // one index for the whole run (an expanded index, e.g. an embedding lookup): copy
      const T* src = xp + ix[0] * xdim;
      if (s[0] == 1 && s[2] == 1) {
        for (int64_t i = 0; i < n; i++) o[i] = src[i];
      } else {
        for (int64_t i = 0; i < n; i++) o[i * s[0]] = src[i * s[2]];
      }
    } else {
      for (int64_t i = 0; i < n; i++) o[i * s[0]] = xp[i * s[2] + ix[i * s[1]] * xdim];
    }
  });
}

template <typename T>
void scatter_add_t(const View& out, const View& idx, const View& src, int dim) {
  // Loop over src's positions with dim removed; dim itself is walked inside the callback.
  const int nd = src.ndim - 1;
  int64_t shape[kMaxDims], ss[kMaxDims], is[kMaxDims], os[kMaxDims];
  for (int d = 0, e = 0; d < src.ndim; d++) {
    if (d == dim) continue;
    shape[e] = src.shape[d];
    ss[e] = src.strides[d];
    is[e] = idx.strides[d];
    os[e] = out.strides[d];
    e++;
  }
  const int64_t K = src.shape[dim], sk = src.strides[dim], ik = idx.strides[dim], ok = out.strides[dim];
  const Operand ops[3] = {Operand{reinterpret_cast<char*>(src.ptr<T>()), ss, static_cast<int>(sizeof(T))},
                          Operand{reinterpret_cast<char*>(idx.ptr<int32_t>()), is, 4},
                          Operand{reinterpret_cast<char*>(out.ptr<T>()), os, static_cast<int>(sizeof(T))}};
  const auto plan = detail::make_plan(nd, shape, ops);
  if (plan.numel == 0 || K == 0) return;
  const bool dim_inner = sk == 1;  // dim is contiguous in src: walk it innermost
  detail::for_each(plan, worth_parallel(plan.numel * K), [=](int64_t n, char* const* p, const int64_t* s) {
    const T* sp = reinterpret_cast<const T*>(p[0]);
    const int32_t* ix = reinterpret_cast<const int32_t*>(p[1]);
    T* o = reinterpret_cast<T*>(p[2]);
    if (dim_inner) {
      for (int64_t i = 0; i < n; i++)
        for (int64_t k = 0; k < K; k++) {
          T& dst = o[i * s[2] + ix[i * s[1] + k * ik] * ok];
          dst = kern::op_add(dst, sp[i * s[0] + k * sk]);
        }
    } else {
      for (int64_t k = 0; k < K; k++)
        for (int64_t i = 0; i < n; i++) {
          T& dst = o[i * s[2] + ix[i * s[1] + k * ik] * ok];
          dst = kern::op_add(dst, sp[i * s[0] + k * sk]);
        }
    }
  });
}

}  // namespace

void gather(const View& out_in, const View& x_in, const View& idx_in, int dim) {
  const View out = as_1d(out_in), x = as_1d(x_in), idx = as_1d(idx_in);
  check_common("gather", idx, dim, out.ndim);
  if (x.dtype != out.dtype) throw std::invalid_argument("gather: out and x dtypes differ");
  if (out.numel() == 0) return;
  check_indices("gather", idx, dim, x.shape[dim]);
  switch (out.dtype) {
    case F32: return gather_t<float>(out, x, idx, dim);
    case F64: return gather_t<double>(out, x, idx, dim);
    case I32: return gather_t<int32_t>(out, x, idx, dim);
    default: throw std::invalid_argument("gather: unsupported dtype");
  }
}

void scatter_add(const View& out_in, const View& idx_in, const View& src_in, int dim) {
  const View out = as_1d(out_in), idx = as_1d(idx_in), src = as_1d(src_in);
  check_common("scatter_add", idx, dim, src.ndim);
  if (src.dtype != out.dtype) throw std::invalid_argument("scatter_add: out and src dtypes differ");
  if (src.numel() == 0) return;
  check_indices("scatter_add", idx, dim, out.shape[dim]);
  switch (out.dtype) {
    case F32: return scatter_add_t<float>(out, idx, src, dim);
    case F64: return scatter_add_t<double>(out, idx, src, dim);
    case I32: return scatter_add_t<int32_t>(out, idx, src, dim);
    default: throw std::invalid_argument("scatter_add: unsupported dtype");
  }
}

}  // namespace td::cpu
