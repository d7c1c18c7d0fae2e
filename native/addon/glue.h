// glue.h — shared Node-API plumbing: storage handles, the metadata scratch buffer, view unpacking
// and the conversion of every C++ exception into a JS exception (nothing may abort the process).
#pragma once
#define NAPI_VERSION 8
#include <napi.h>

#include <cstdint>
#include <initializer_list>
#include <string>

#include "../cpu/view.h"
#include "../cuda/backend.h"

namespace td::addon {

// Device codes of a storage (lib/memory.ts uses the same numbers).
constexpr int kCpu = 0, kCuda = 1;
inline const char* device_name(int d) { return d == kCuda ? "cuda" : "cpu"; }

// A block of native memory holding `numel` elements of `dtype`, named in JS by a numeric handle
// (storage.cpp's slot table); freed by free(), which JS calls on dispose() or from its
// FinalizationRegistry.
struct Storage {
  void* data = nullptr;
  int64_t numel = 0;
  int dtype = F32;
  size_t bytes = 0;
  int device = kCpu;  // kCpu: data is host memory; kCuda: device memory from the CUDA caching allocator
};

// Counters of live storages (for memory()).
struct Stats {
  int64_t live_storages = 0;
  int64_t live_bytes = 0;
  int64_t cuda_storages = 0;  // GPU storages (not in live_storages / live_bytes)
  int64_t cuda_bytes = 0;
};
Stats& stats();

// The storage behind argument i; throws TypeError if it is not a live storage handle.
Storage* storage_arg(const Napi::CallbackInfo& info, size_t i, const char* op);
void free_storage(Napi::Env env, Storage* s);

// The metadata scratch: a Float64Array shared with JS (lib/native.ts). Before each kernel call, JS
// writes, per tensor argument, [ndim, offset, shape..., strides...], then the scalar parameters.
// A Reader walks it in the same order.
void set_scratch(double* p, size_t n);
class Reader {
 public:
  Reader();
  double num();
  int64_t integer(const char* what);
  // Reads one view's metadata and checks it against its storage: dims, non-negative shapes/strides,
  // and every addressed element inside the storage.
  View view(const Storage* s, const char* op);

 private:
  const double* p_;
  size_t n_, i_ = 0;
};

// Optional storage argument i: null/undefined (or absent) -> nullptr, else as storage_arg.
inline Storage* opt_storage(const Napi::CallbackInfo& info, size_t i, const char* op) {
  if (i >= info.Length() || info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return storage_arg(info, i, op);
}

// The device every given storage lives on (nullptrs skipped): the addon's one dispatch decision.
// Mixing devices in one call is a TypeError naming the op and both devices, never an implicit copy.
inline bool on_cuda(const char* op, std::initializer_list<const Storage*> ss) {
  int dev = -1;
  for (const Storage* s : ss) {
    if (!s) continue;
    if (dev < 0) dev = s->device;
    else if (s->device != dev)
      throw std::invalid_argument(std::string(op) + ": tensors are on different devices (" + device_name(dev) + " and " +
                                  device_name(s->device) + "); move them with .to() first");
  }
  return dev == kCuda;
}

// "[d0, d1, ...]" for error messages.
inline std::string shape_of(const View& v) {
  std::string s = "[";
  for (int d = 0; d < v.ndim; d++) s += (d ? ", " : "") + std::to_string(v.shape[d]);
  return s + "]";
}
// The dtype's name for error messages.
inline const char* dtype_name(int dt) { return dt == F64 ? "float64" : dt == I32 ? "int32" : "float32"; }

// "op: msg", unless msg already starts with an op name ("name: ...").

inline std::string prefixed(const char* op, const char* msg) {
  std::string m(msg);
  size_t colon = m.find(": ");
  if (colon != std::string::npos && colon < 24 && m.find(' ') > colon) return m;
  return std::string(op) + ": " + m;
}

// Runs fn, turning C++ exceptions into JS ones: out_of_range -> RangeError, invalid_argument ->
// TypeError, bad_alloc -> RangeError("out of memory"), CUDA out of memory -> RangeError with CUDA's
// message, anything else (CUDA errors included) -> Error.
template <typename Fn>
Napi::Value guard(const Napi::CallbackInfo& info, const char* op, Fn&& fn) {
  Napi::Env env = info.Env();
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::out_of_range& e) {
    throw Napi::RangeError::New(env, prefixed(op, e.what()));
  } catch (const std::invalid_argument& e) {
    throw Napi::TypeError::New(env, prefixed(op, e.what()));
  } catch (const td::cuda::OutOfMemory& e) {
    throw Napi::RangeError::New(env, std::string(op) + ": " + e.what());
  } catch (const std::bad_alloc&) {
    throw Napi::RangeError::New(env, std::string(op) + ": out of memory");
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string(op) + ": " + e.what());
  } catch (...) {
    throw Napi::Error::New(env, std::string(op) + ": unknown native error");
  }
}

void init_storage(Napi::Env env, Napi::Object exports);
void init_kernels(Napi::Env env, Napi::Object exports);
void init_fused(Napi::Env, Napi::Object);

}  // namespace td::addon
