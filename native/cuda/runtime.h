// runtime.h — internal helpers of the CUDA backend: the one stream, error checking (every CUDA call
// goes through check(), which throws td::cuda::Error with the runtime's string), launch geometry, and
// temporary device buffers from the caching allocator.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "backend.h"

namespace td::cuda {

// The backend's stream (created by ensure_ready(); every kernel and copy goes on it, in order).
cudaStream_t stream();

// Throws Error("<what>: <CUDA error string>") unless e == cudaSuccess. An out-of-memory code becomes
// OutOfMemory. Non-sticky errors are cleared so the next call starts clean.
void check(cudaError_t e, const char* what);
// check(cudaGetLastError()) after a launch.
inline void check_launch(const char* what) { check(cudaGetLastError(), what); }

constexpr int kThreads = 256;
// Blocks for a grid-stride loop over n items with kThreads threads (capped; the loop covers the rest).
inline unsigned grid_for(int64_t n, int threads = kThreads) {
  int64_t b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  if (b > 65535LL * 32) b = 65535LL * 32;
  return static_cast<unsigned>(b);
}

// A device buffer from the caching allocator, returned on scope exit (stream-ordered, so safe to reuse
// by later work on the same stream).
class Temp {
 public:
  explicit Temp(size_t bytes) : bytes_(bytes ? bytes : 1), p_(device_alloc(bytes_)) {}
  ~Temp() { device_free(p_, bytes_); }
  Temp(const Temp&) = delete;
  Temp& operator=(const Temp&) = delete;
  template <typename T> T* as() const { return static_cast<T*>(p_); }

 private:
  size_t bytes_;
  void* p_;
};

}  // namespace td::cuda
