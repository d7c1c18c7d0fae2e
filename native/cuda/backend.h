// backend.h — the CUDA backend's entry points (the contract between native/addon and native/cuda),
// mirroring native/cpu/cpu.h: the same op codes, the same View arguments (whose data pointers are
// device pointers here), the same semantics. The addon picks this backend when every storage of a
// call lives on the GPU (it checks they do not mix). Without CUDA at build time,
// native/addon/cuda_stub.cpp defines each of these to throw "built without CUDA".
//
// Everything is asynchronous on the backend's one stream unless it says otherwise. Every CUDA call
// is checked: a failure throws td::cuda::Error (a std::runtime_error carrying the CUDA error string),
// which the addon's guard() turns into a JS Error; out of memory throws td::cuda::OutOfMemory.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "../cpu/view.h"
#include "../kernels/adam.h"

namespace td::cuda {

// A CUDA runtime failure, with the runtime's error string.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// cudaMalloc failed even after the cache was emptied. Catchable; the process goes on.
struct OutOfMemory : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// ---- device and memory (allocator.cu, runtime.cu) -------------------------------------------------
// Makes the device usable (selects device 0, creates the stream); throws Error with the reason when no
// device can be used. Called before the first allocation.
void ensure_ready();
// Device memory from the caching allocator (size-class free lists; a freed block goes back to its
// list, stream-ordered on the one stream, so it can be reused at once). Throws OutOfMemory.
void* device_alloc(size_t bytes);
void device_free(void* p, size_t bytes);
struct MemInfo {
  size_t reserved = 0;  // bytes obtained from cudaMalloc and not returned
  size_t in_use = 0;    // bytes handed out to live storages (rounded to their size class)
  size_t cached = 0;    // reserved - in_use: idle blocks kept for reuse
  int64_t allocs = 0;   // cudaMalloc calls so far
};
MemInfo mem_info();
// Returns every idle block to the driver (cudaFree).
void empty_cache();

// Copies (bytes). h2d and d2h wait for the copy (d2h waits for the stream's earlier work first);
// d2d is asynchronous on the stream.
void copy_h2d(void* dst, const void* src, size_t bytes);
void copy_d2h(void* dst, const void* src, size_t bytes);
void copy_d2d(void* dst, const void* src, size_t bytes);
// Waits for all work queued on the stream; throws Error if a kernel failed.
void synchronize();

// ---- kernels (same contracts as native/cpu/cpu.h) -------------------------------------------------
void unary(int op, const View& out, const View& x, double p0, double p1);
void binary(int op, const View& out, const View& a, const View& b);
void where(const View& out, const View& cond, const View& a, const View& b);
void cast(const View& out, const View& x);
void fill(const View& out, double value);
void arange(const View& out, double start, double step);
void reduce(int op, const View& out, const View& x, int nred);
void softmax(const View& out, const View& x, bool log);
void gather(const View& out, const View& x, const View& idx, int dim);
void scatter_add(const View& out, const View& idx, const View& src, int dim);
void random(const View& out, int dist, uint64_t seed, uint64_t offset, double a, double b);
// C = A @ B per batch (+ C when accumulate), arbitrary element strides (0 = broadcast), like cpu::gemm_*.
void gemm(int dtype, int64_t batch, int64_t M, int64_t N, int64_t K, const void* A, int64_t bsa, int64_t rsa,
          int64_t csa, const void* B, int64_t bsb, int64_t rsb, int64_t csb, void* C, int64_t bsc, int64_t rsc,
          int64_t csc, bool accumulate);
// Name of the GEMM path ("tiled-f32" today; cuBLAS when a later build links it).
const char* gemm_kernel_name();

// ---- conv helpers (geometry as in native/cpu/conv.h, passed flat: kh kw sh sw ph pw dh dw oh ow) -----
void im2col(const View& cols, const View& x, const int64_t geom[10]);
void col2im(const View& dx, const View& cols, const int64_t geom[10]);

// ---- fused kernels (views validated by the addon; contiguous) ---------------------------------------
// Return the loss (a device-to-host read of one double: these synchronise).
double weighted_mse(const View& pred, const View& target, const View* mask, const View& weight, bool mean,
                    const View* grad, const View& per_sample);
double sigmoid_elbo(const View& pred, const View& target, const View* mask, const View& logsnr,
                    const View& dlogsnr, double bias, int param, int weighting, bool mean, const View* grad,
                    const View& per_sample);
void cld_affine(const View& out_x, const View& out_v, const View* eps_x, const View* eps_v, const View& x,
                const View& v, const View* s, const View& coef, uint64_t seed, uint64_t offset, bool noise);
void adam_step(const View& p, const View& g, const View& m, const View& v, const View* vmax,
               const kern::AdamScalars& s);

}  // namespace td::cuda
