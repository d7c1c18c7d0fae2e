// allocator.h — the reusing host allocator: freed buffers are kept in size buckets and handed out
// again, so a fresh output of a size seen before does not page-fault through the kernel again.
#pragma once
#include <cstddef>

namespace td::cpu {
// 64-byte aligned buffer of at least `bytes` bytes (never null; throws std::bad_alloc).
void* host_alloc(size_t bytes);
// Return a buffer obtained from host_alloc(bytes) with the same `bytes`.
void host_free(void* p, size_t bytes);
// Bytes held in the cache (allocated from the system, not in use).
size_t host_cached_bytes();
// Bytes obtained from the system and not yet given back (in use + cached).
size_t host_system_bytes();
// Give every cached buffer back to the system.
void host_empty_cache();
}  // namespace td::cpu
