// runtime.cu — device selection, the backend's one stream, error checking, copies and synchronisation.
// Lazily initialised on the first device allocation, so loading the addon on a machine without a
// driver costs nothing and never fails (device.cu's probe() reports why CUDA is unavailable).
#include <cuda_runtime.h>

#include <mutex>
#include <string>

#include "runtime.h"

namespace td::cuda {
namespace {
cudaStream_t g_stream = nullptr;
bool g_ready = false;
std::mutex g_init;
}  // namespace

void check(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return;
  cudaGetLastError();  // clear non-sticky errors (a sticky one stays and will show again)
  const std::string msg = std::string(what) + ": CUDA error " + cudaGetErrorName(e) + ": " + cudaGetErrorString(e);
  if (e == cudaErrorMemoryAllocation) throw OutOfMemory(msg);
  throw Error(msg);
}

void ensure_ready() {
  if (g_ready) return;
  std::lock_guard<std::mutex> lock(g_init);
  if (g_ready) return;
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) check(e, "CUDA is not available");
  if (n == 0) throw Error("CUDA is not available: no CUDA device found");
  check(cudaSetDevice(0), "cudaSetDevice");
  check(cudaStreamCreateWithFlags(&g_stream, cudaStreamNonBlocking), "cudaStreamCreate");
  g_ready = true;
}

cudaStream_t stream() {
  ensure_ready();
  return g_stream;
}

void copy_h2d(void* dst, const void* src, size_t bytes) {
  if (!bytes) return;
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream()), "copy to device");
  check(cudaStreamSynchronize(stream()), "copy to device");
}
void copy_d2h(void* dst, const void* src, size_t bytes) {
  if (!bytes) return;
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream()), "copy to host");
  check(cudaStreamSynchronize(stream()), "copy to host");
}
void copy_d2d(void* dst, const void* src, size_t bytes) {
  if (!bytes) return;
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream()), "device copy");
}
void synchronize() {
  if (!g_ready) return;
  check(cudaStreamSynchronize(g_stream), "synchronize");
}

}  // namespace td::cuda
