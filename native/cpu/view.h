// view.h — the strided tensor view that every native kernel receives.
// A View names a buffer, an element offset into it, a shape and element strides (all >= 0).
// Views are built by the addon from the JS tensor's metadata; kernels never allocate them.
#pragma once
#include <cstdint>
#include <stdexcept>

namespace td {

enum DType : int { F32 = 0, F64 = 1, I32 = 2 };

constexpr int kMaxDims = 8;

inline int64_t dtype_size(int dt) { return dt == F64 ? 8 : 4; }

struct View {
  void* data = nullptr;   // base pointer of the storage (not offset)
  int64_t offset = 0;     // element offset of element [0,...,0]
  int dtype = F32;
  int ndim = 0;
  int64_t shape[kMaxDims] = {0};
  int64_t strides[kMaxDims] = {0};  // in elements; 0 means broadcast along that dim

  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    return n;
  }
  // True when elements are laid out densely in row-major order (strides of size-1 dims ignored).
  bool contiguous() const {
    int64_t expect = 1;
    for (int i = ndim - 1; i >= 0; i--) {
      if (shape[i] != 1 && strides[i] != expect) return false;
      expect *= shape[i];
    }
    return true;
  }
  template <typename T> T* ptr() const { return static_cast<T*>(data) + offset; }
};

}  // namespace td
