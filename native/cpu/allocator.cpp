// allocator.cpp — size-bucketed caching host allocator (see allocator.h).
// Sizes are rounded up (64 B granularity below 64 KiB, 4 KiB above) and buffers of a rounded size are
// reused LIFO. The cache is capped; past the cap, frees go straight back to the system.
#include "allocator.h"

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

namespace td::cpu {
namespace {
constexpr size_t kCacheCap = size_t(2) << 30;  // 2 GiB of idle buffers at most

std::atomic<size_t> g_system{0};  // bytes obtained from the system and not given back (live + cached)

struct Cache {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> buckets;
  size_t cached = 0;
};
Cache& cache() {
  static Cache* c = new Cache();  // leaked on purpose: outlives static destruction order issues
  return *c;
}
size_t round_size(size_t bytes) {
  if (bytes == 0) bytes = 1;
  const size_t g = bytes < 65536 ? 64 : 4096;
  return (bytes + g - 1) / g * g;
}
}  // namespace

void* host_alloc(size_t bytes) {
  const size_t sz = round_size(bytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    auto it = c.buckets.find(sz);
    if (it != c.buckets.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.cached -= sz;
      return p;
    }
  }
  void* p = std::aligned_alloc(64, sz);
  if (!p) {
    host_empty_cache();
    p = std::aligned_alloc(64, sz);
    if (!p) throw std::bad_alloc();
  }
  g_system += sz;
  return p;
}

void host_free(void* p, size_t bytes) {
  if (!p) return;
  const size_t sz = round_size(bytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mu);
    if (c.cached + sz <= kCacheCap) {
      c.buckets[sz].push_back(p);
      c.cached += sz;
      return;
    }
  }
  std::free(p);
  g_system -= sz;
}

size_t host_system_bytes() { return g_system.load(); }

size_t host_cached_bytes() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  return c.cached;
}

void host_empty_cache() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mu);
  for (auto& kv : c.buckets)
    for (void* p : kv.second) {
      std::free(p);
      g_system -= kv.first;
    }
  c.buckets.clear();
  c.cached = 0;
}
}  // namespace td::cpu
