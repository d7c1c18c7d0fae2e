// allocator.cu — the caching device allocator. cudaMalloc/cudaFree are slow and cudaFree synchronises
// the device, so freed blocks are kept on free lists keyed by size class and handed out again:
//  * sizes round up to a multiple of 512 bytes below 1 MiB, and to a multiple of 2 MiB above;
//  * a request takes a cached block of exactly its class, else cudaMalloc; when cudaMalloc fails, every
//    idle block is released (cudaFree) and it is tried once more before OutOfMemory is thrown;
//  * everything runs on one stream, so a block freed by JS may be reused at once: the next user's work
//    is queued after the last work that touched it.
// Only the JS thread allocates and frees (Node-API calls); the mutex guards mem_info() readers.
#include <cuda_runtime.h>

#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime.h"

namespace td::cuda {
namespace {
std::mutex g_mu;
std::unordered_map<size_t, std::vector<void*>> g_free;  // size class -> idle blocks
size_t g_reserved = 0, g_in_use = 0;
int64_t g_allocs = 0;

size_t size_class(size_t bytes) {
  if (bytes == 0) bytes = 1;
  constexpr size_t kSmall = 512, kLarge = size_t(2) << 20;
  return bytes < (size_t(1) << 20) ? (bytes + kSmall - 1) / kSmall * kSmall : (bytes + kLarge - 1) / kLarge * kLarge;
}

void release_cached_locked() {
  for (auto& kv : g_free) {
    for (void* p : kv.second) {
      cudaFree(p);  // errors ignored: the block is gone either way
      g_reserved -= kv.first;
    }
    kv.second.clear();
  }
  g_free.clear();
  cudaGetLastError();
}

std::string mib(size_t b) { return std::to_string(static_cast<double>(b) / (1 << 20)) + " MiB"; }
}  // namespace

void* device_alloc(size_t bytes) {
  ensure_ready();
  const size_t c = size_class(bytes);
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_free.find(c);
  if (it != g_free.end() && !it->second.empty()) {
    void* p = it->second.back();
    it->second.pop_back();
    g_in_use += c;
    return p;
  }
  void* p = nullptr;
  cudaError_t e = cudaMalloc(&p, c);
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    cudaStreamSynchronize(stream());  // queued work may still name the idle blocks
    release_cached_locked();
    e = cudaMalloc(&p, c);
  }
  if (e != cudaSuccess) {
    cudaGetLastError();
    const std::string msg = "CUDA out of memory: tried to allocate " + mib(c) + " (" + std::to_string(bytes) +
                            " bytes); " + mib(g_in_use) + " in use by tensors; CUDA says: " + cudaGetErrorString(e);
    if (e == cudaErrorMemoryAllocation) throw OutOfMemory(msg);
    throw Error("cudaMalloc: " + std::string(cudaGetErrorString(e)));
  }
  g_allocs++;
  g_reserved += c;
  g_in_use += c;
  return p;
}

void device_free(void* p, size_t bytes) {
  if (!p) return;
  const size_t c = size_class(bytes);
  std::lock_guard<std::mutex> lock(g_mu);
  g_free[c].push_back(p);
  g_in_use -= c;
}

MemInfo mem_info() {
  std::lock_guard<std::mutex> lock(g_mu);
  MemInfo m;
  m.reserved = g_reserved;
  m.in_use = g_in_use;
  m.cached = g_reserved - g_in_use;
  m.allocs = g_allocs;
  return m;
}

void empty_cache() {
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_reserved == g_in_use) return;
  // Idle blocks may still be named by queued work; wait for it before returning them.
  if (g_in_use || g_reserved) cudaStreamSynchronize(stream());
  release_cached_locked();
}

}  // namespace td::cuda
