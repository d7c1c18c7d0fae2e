// cuda_stub.cpp — stands in for native/cuda when the addon is built without CUDA (no nvcc, or
// TENSORDIFF_CUDA=OFF, or node-gyp). Compiled only when TD_WITH_CUDA is not defined. No device storage
// can exist then (ensure_ready() and device_alloc() throw first), so the kernel stubs are unreachable;
// they throw the same error all the same.
#ifndef TD_WITH_CUDA
#include "../cuda/backend.h"
#include "../cuda/cuda.h"

namespace td::cuda {
namespace {
[[noreturn]] void no_cuda() {
  throw Error("CUDA is not available: this addon was built without CUDA (nvcc not found at build time, or TENSORDIFF_CUDA=OFF)");
}
}  // namespace

Info probe() {
  Info info;
  info.reason = "built without CUDA (nvcc not found at build time, or TENSORDIFF_CUDA=OFF)";
  return info;
}

void ensure_ready() { no_cuda(); }
void* device_alloc(size_t) { no_cuda(); }
void device_free(void*, size_t) {}
MemInfo mem_info() { return MemInfo{}; }
void empty_cache() {}
void copy_h2d(void*, const void*, size_t) { no_cuda(); }
void copy_d2h(void*, const void*, size_t) { no_cuda(); }
void copy_d2d(void*, const void*, size_t) { no_cuda(); }
void synchronize() {}
void unary(int, const View&, const View&, double, double) { no_cuda(); }
void binary(int, const View&, const View&, const View&) { no_cuda(); }
void where(const View&, const View&, const View&, const View&) { no_cuda(); }
void cast(const View&, const View&) { no_cuda(); }
void fill(const View&, double) { no_cuda(); }
void arange(const View&, double, double) { no_cuda(); }
void reduce(int, const View&, const View&, int) { no_cuda(); }
void softmax(const View&, const View&, bool) { no_cuda(); }
void gather(const View&, const View&, const View&, int) { no_cuda(); }
void scatter_add(const View&, const View&, const View&, int) { no_cuda(); }
void random(const View&, int, uint64_t, uint64_t, double, double) { no_cuda(); }
void gemm(int, int64_t, int64_t, int64_t, int64_t, const void*, int64_t, int64_t, int64_t, const void*, int64_t, int64_t,
          int64_t, void*, int64_t, int64_t, int64_t, bool) { no_cuda(); }
const char* gemm_kernel_name() { return "none"; }
void im2col(const View&, const View&, const int64_t*) { no_cuda(); }
void col2im(const View&, const View&, const int64_t*) { no_cuda(); }
double weighted_mse(const View&, const View&, const View*, const View&, bool, const View*, const View&) { no_cuda(); }
double sigmoid_elbo(const View&, const View&, const View*, const View&, const View&, double, int, int, bool, const View*,
                    const View&) { no_cuda(); }
void cld_affine(const View&, const View&, const View*, const View*, const View&, const View&, const View*, const View&,
                uint64_t, uint64_t, bool) { no_cuda(); }
void adam_step(const View&, const View&, const View&, const View&, const View*, const kern::AdamScalars&) { no_cuda(); }
}  // namespace td::cuda
#endif
