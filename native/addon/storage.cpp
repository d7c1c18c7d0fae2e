// storage.cpp — native buffers as JS handles: alloc, free, write from / read into typed arrays
// (read also asynchronously on a worker thread), copies between storages (across devices too), and the
// metadata scratch buffer. A storage lives on the CPU (host allocator) or on the GPU (the CUDA caching
// allocator, native/cuda/allocator.cu); every function here handles both.
#include <cmath>
#include <cstring>
#include <vector>

#include "../cpu/allocator.h"
#include "glue.h"

namespace td::addon {

Stats& stats() {
  static Stats s;
  return s;
}

namespace {
// Storages live in a slot table; a JS handle is the number gen * 2^24 + slot, so a stale or forged
// handle is recognised (wrong generation or empty slot) instead of dereferenced. Numbers are much
// cheaper to create and pass than Externals with finalizers; JS frees through dispose() or its
// FinalizationRegistry.
struct Slot {
  Storage* s = nullptr;
  uint32_t gen = 0;
};
std::vector<Slot> g_slots;
std::vector<uint32_t> g_free_slots;
constexpr double kSlotSpan = 16777216.0;  // 2^24

// V8 is told how many bytes the host allocator holds from the system (in use + cached), not about each
// tensor: a buffer reused from the cache changes nothing, so a steady loop reports nothing, while
// growth (tensors left to the FinalizationRegistry, say) does raise the collector's pressure. Reports
// are batched (every 4 MiB of change): each AdjustExternalMemory call costs, and a large jump makes V8
// start a collection — reporting every 64 MiB gradient buffer as it was reused cost ~2 ms a call.
int64_t g_reported = 0;
void report_external(Napi::Env env) {
  const int64_t cur = static_cast<int64_t>(td::cpu::host_system_bytes());
  const int64_t d = cur - g_reported;
  if (d > (4 << 20) || d < -(4 << 20)) {
    Napi::MemoryManagement::AdjustExternalMemory(env, d);
    g_reported = cur;
  }
}

double* g_scratch = nullptr;
size_t g_scratch_n = 0;
Napi::Reference<Napi::Value>* g_scratch_ref = nullptr;


napi_typedarray_type typed_type(int dtype) {
  return dtype == F64 ? napi_float64_array : dtype == I32 ? napi_int32_array : napi_float32_array;
}

Napi::Value make_typed(Napi::Env env, int dtype, Napi::ArrayBuffer buf, size_t count) {
  switch (dtype) {
    case F64: return Napi::Float64Array::New(env, count, buf, 0);
    case I32: return Napi::Int32Array::New(env, count, buf, 0);
    default: return Napi::Float32Array::New(env, count, buf, 0);
  }
}

// Checks [offset, offset+count) lies inside the storage.
void check_range(const Storage* s, int64_t offset, int64_t count, const char* op) {
  if (offset < 0 || count < 0 || offset + count > s->numel)
    throw std::out_of_range(std::string(op) + ": range [" + std::to_string(offset) + ", " +
                            std::to_string(offset + count) + ") is outside a storage of " +
                            std::to_string(s->numel) + " elements");
}

Napi::Value Alloc(const Napi::CallbackInfo& info) {
  return guard(info, "alloc", [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber())
      throw Napi::TypeError::New(env, "alloc(dtype, numel, device?): expected numbers");
    int device = kCpu;
    if (info.Length() > 2 && !info[2].IsUndefined()) {
      if (!info[2].IsNumber()) throw Napi::TypeError::New(env, "alloc: device code must be a number");
      device = info[2].As<Napi::Number>().Int32Value();
      if (device != kCpu && device != kCuda) throw Napi::TypeError::New(env, "alloc: unknown device code");
    }
    int dtype = info[0].As<Napi::Number>().Int32Value();
    double n = info[1].As<Napi::Number>().DoubleValue();
    if (dtype < 0 || dtype > 2) throw Napi::TypeError::New(env, "alloc: unknown dtype code");
    if (!(n >= 0) || n > 9007199254740991.0 || n != (double)(int64_t)n)
      throw Napi::RangeError::New(env, "alloc: element count must be a non-negative integer");
    auto* s = new Storage();
    s->numel = (int64_t)n;
    s->dtype = dtype;
    s->bytes = (size_t)s->numel * (size_t)dtype_size(dtype);
    s->device = device;
    try {
      s->data = device == kCuda ? td::cuda::device_alloc(s->bytes) : td::cpu::host_alloc(s->bytes);
    } catch (...) {
      delete s;
      throw;
    }
    if (device == kCuda) {
      stats().cuda_storages++;
      stats().cuda_bytes += (int64_t)s->bytes;
    } else {
      stats().live_storages++;
      stats().live_bytes += (int64_t)s->bytes;
      report_external(env);
    }
    uint32_t slot;
    if (g_slots.empty()) g_slots.push_back(Slot());  // slot 0 is never used: handles are truthy in JS
    if (!g_free_slots.empty()) {
      slot = g_free_slots.back();
      g_free_slots.pop_back();
    } else {
      if (g_slots.size() >= (size_t)kSlotSpan) { free_storage(env, s); delete s; throw std::bad_alloc(); }
      slot = (uint32_t)g_slots.size();
      g_slots.push_back(Slot());
    }
    g_slots[slot].s = s;
    return Napi::Number::New(env, (double)g_slots[slot].gen * kSlotSpan + slot);
  });
}

Napi::Value Free(const Napi::CallbackInfo& info) {
  return guard(info, "free", [&]() -> Napi::Value {
    Storage* s = storage_arg(info, 0, "free");
    double h = info[0].As<Napi::Number>().DoubleValue();
    uint32_t slot = (uint32_t)std::fmod(h, kSlotSpan);
    free_storage(info.Env(), s);
    delete s;
    g_slots[slot].s = nullptr;
    g_slots[slot].gen = (g_slots[slot].gen + 1) & ((1u << 28) - 1);
    g_free_slots.push_back(slot);
    return info.Env().Undefined();
  });
}

// write(handle, typedArray, elementOffset): copy a typed array of the storage's dtype into it.
Napi::Value Write(const Napi::CallbackInfo& info) {
  return guard(info, "write", [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Storage* s = storage_arg(info, 0, "write");
    if (info.Length() < 3 || !info[1].IsTypedArray() || !info[2].IsNumber())
      throw Napi::TypeError::New(env, "write(handle, typedArray, offset): bad arguments");
    auto ta = info[1].As<Napi::TypedArray>();
    if (ta.TypedArrayType() != typed_type(s->dtype))
      throw Napi::TypeError::New(env, std::string("write: typed array does not match storage dtype ") +
                                          dtype_name(s->dtype));
    int64_t off = info[2].As<Napi::Number>().Int64Value();
    int64_t count = (int64_t)ta.ElementLength();
    check_range(s, off, count, "write");
    uint8_t* src = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    uint8_t* dst = static_cast<uint8_t*>(s->data) + off * dtype_size(s->dtype);
    const size_t nbytes = (size_t)count * dtype_size(s->dtype);
    if (s->device == kCuda) td::cuda::copy_h2d(dst, src, nbytes);
    else if (count) std::memcpy(dst, src, nbytes);
    return env.Undefined();
  });
}

// read(handle, offset, count) -> typed array copy of the storage's elements.
Napi::Value Read(const Napi::CallbackInfo& info) {
  return guard(info, "read", [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Storage* s = storage_arg(info, 0, "read");
    if (info.Length() < 3 || !info[1].IsNumber() || !info[2].IsNumber())
      throw Napi::TypeError::New(env, "read(handle, offset, count): bad arguments");
    int64_t off = info[1].As<Napi::Number>().Int64Value();
    int64_t count = info[2].As<Napi::Number>().Int64Value();
    check_range(s, off, count, "read");
    size_t nbytes = (size_t)count * dtype_size(s->dtype);
    auto buf = Napi::ArrayBuffer::New(env, nbytes);
    const uint8_t* src = static_cast<uint8_t*>(s->data) + off * dtype_size(s->dtype);
    if (s->device == kCuda) td::cuda::copy_d2h(buf.Data(), src, nbytes);
    else if (nbytes) std::memcpy(buf.Data(), src, nbytes);
    return make_typed(env, s->dtype, buf, (size_t)count);
  });
}

// Copies storage bytes on a worker thread, then resolves a promise with the typed array. The JS side
// retains the storage until the promise settles, so it cannot be freed meanwhile. For a GPU storage the
// worker queues the device-to-host copy on the backend's stream (after every kernel queued so far) and
// waits for it there, so the event loop never blocks on the GPU; a CUDA failure rejects the promise.
class ReadWorker : public Napi::AsyncWorker {
 public:
  ReadWorker(Napi::Env env, Storage* s, int64_t off, int64_t count)
      : Napi::AsyncWorker(env, "tensordiff.read"), deferred_(Napi::Promise::Deferred::New(env)),
        s_(s), off_(off), count_(count) {
    bytes_.resize((size_t)count * dtype_size(s->dtype));
  }
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    if (!s_->data) { SetError("read: storage was freed"); return; }
    const uint8_t* src = static_cast<uint8_t*>(s_->data) + off_ * dtype_size(s_->dtype);
    if (s_->device == kCuda) {
      try {
        td::cuda::copy_d2h(bytes_.data(), src, bytes_.size());
      } catch (const std::exception& e) {
        SetError(std::string("data: ") + e.what());
      }
      return;
    }
    if (!bytes_.empty()) std::memcpy(bytes_.data(), src, bytes_.size());
  }
  void OnOK() override {
    Napi::Env env = Env();
    auto buf = Napi::ArrayBuffer::New(env, bytes_.size());
    if (!bytes_.empty()) std::memcpy(buf.Data(), bytes_.data(), bytes_.size());
    deferred_.Resolve(make_typed(env, s_->dtype, buf, (size_t)count_));
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Storage* s_;
  int64_t off_, count_;
  std::string bytes_;
};

Napi::Value ReadAsync(const Napi::CallbackInfo& info) {
  return guard(info, "readAsync", [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Storage* s = storage_arg(info, 0, "readAsync");
    if (info.Length() < 3 || !info[1].IsNumber() || !info[2].IsNumber())
      throw Napi::TypeError::New(env, "readAsync(handle, offset, count): bad arguments");
    int64_t off = info[1].As<Napi::Number>().Int64Value();
    int64_t count = info[2].As<Napi::Number>().Int64Value();
    check_range(s, off, count, "readAsync");
    auto* w = new ReadWorker(env, s, off, count);
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  });
}

Napi::Value SetScratch(const Napi::CallbackInfo& info) {
  return guard(info, "setScratch", [&]() -> Napi::Value {
    if (info.Length() < 1 || !info[0].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
      throw Napi::TypeError::New(info.Env(), "setScratch: expected a Float64Array");
    auto a = info[0].As<Napi::Float64Array>();
    if (g_scratch_ref) { g_scratch_ref->Reset(); delete g_scratch_ref; }
    g_scratch_ref = new Napi::Reference<Napi::Value>(Napi::Persistent(info[0]));
    set_scratch(a.Data(), a.ElementLength());
    return info.Env().Undefined();
  });
}

Napi::Value MemStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("liveStorages", Napi::Number::New(env, (double)stats().live_storages));
  o.Set("liveBytes", Napi::Number::New(env, (double)stats().live_bytes));
  o.Set("cachedBytes", Napi::Number::New(env, (double)td::cpu::host_cached_bytes()));
  const td::cuda::MemInfo m = td::cuda::mem_info();
  auto cu = Napi::Object::New(env);
  cu.Set("storages", Napi::Number::New(env, (double)stats().cuda_storages));
  cu.Set("bytes", Napi::Number::New(env, (double)stats().cuda_bytes));
  cu.Set("reservedBytes", Napi::Number::New(env, (double)m.reserved));
  cu.Set("inUseBytes", Napi::Number::New(env, (double)m.in_use));
  cu.Set("cachedBytes", Napi::Number::New(env, (double)m.cached));
  cu.Set("mallocs", Napi::Number::New(env, (double)m.allocs));
  o.Set("cuda", cu);
  return o;
}

// copy(dst, dstOffset, src, srcOffset, count): copies count elements between two storages of one
// dtype, on any devices (host<->device copies wait for the transfer; device<->device is queued).
Napi::Value Copy(const Napi::CallbackInfo& info) {
  return guard(info, "copy", [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Storage* d = storage_arg(info, 0, "copy");
    Storage* s = storage_arg(info, 2, "copy");
    if (info.Length() < 5 || !info[1].IsNumber() || !info[3].IsNumber() || !info[4].IsNumber())
      throw Napi::TypeError::New(env, "copy(dst, dstOffset, src, srcOffset, count): bad arguments");
    if (d->dtype != s->dtype) throw std::invalid_argument("copy: dtypes differ");
    const int64_t doff = info[1].As<Napi::Number>().Int64Value(), soff = info[3].As<Napi::Number>().Int64Value();
    const int64_t count = info[4].As<Napi::Number>().Int64Value();
    check_range(d, doff, count, "copy");
    check_range(s, soff, count, "copy");
    const size_t es = (size_t)dtype_size(d->dtype), nbytes = (size_t)count * es;
    uint8_t* dp = static_cast<uint8_t*>(d->data) + doff * es;
    const uint8_t* sp = static_cast<const uint8_t*>(s->data) + soff * es;
    if (!nbytes) return env.Undefined();
    if (d->device == kCuda && s->device == kCuda) td::cuda::copy_d2d(dp, sp, nbytes);
    else if (d->device == kCuda) td::cuda::copy_h2d(dp, sp, nbytes);
    else if (s->device == kCuda) td::cuda::copy_d2h(dp, sp, nbytes);
    else std::memmove(dp, sp, nbytes);
    return env.Undefined();
  });
}

// device(handle) -> 0 (cpu) or 1 (cuda).
Napi::Value DeviceOf(const Napi::CallbackInfo& info) {
  return guard(info, "device", [&]() -> Napi::Value {
    return Napi::Number::New(info.Env(), storage_arg(info, 0, "device")->device);
  });
}

Napi::Value CudaEmptyCache(const Napi::CallbackInfo& info) {
  return guard(info, "cuda.emptyCache", [&]() -> Napi::Value {
    td::cuda::empty_cache();
    return info.Env().Undefined();
  });
}

Napi::Value CudaSynchronize(const Napi::CallbackInfo& info) {
  return guard(info, "cuda.synchronize", [&]() -> Napi::Value {
    td::cuda::synchronize();
    return info.Env().Undefined();
  });
}

Napi::Value EmptyCache(const Napi::CallbackInfo& info) {
  td::cpu::host_empty_cache();
  report_external(info.Env());
  return info.Env().Undefined();
}
}  // namespace

void free_storage(Napi::Env env, Storage* s) {
  if (!s || !s->data) return;
  if (s->device == kCuda) {
    td::cuda::device_free(s->data, s->bytes);
    s->data = nullptr;
    stats().cuda_storages--;
    stats().cuda_bytes -= (int64_t)s->bytes;
    return;
  }
  td::cpu::host_free(s->data, s->bytes);
  s->data = nullptr;
  stats().live_storages--;
  stats().live_bytes -= (int64_t)s->bytes;
  report_external(env);
}

Storage* storage_arg(const Napi::CallbackInfo& info, size_t i, const char* op) {
  if (info.Length() <= i || !info[i].IsNumber())
    throw Napi::TypeError::New(info.Env(), std::string(op) + ": argument " + std::to_string(i) +
                                               " is not a storage handle");
  double h = info[i].As<Napi::Number>().DoubleValue();
  if (!(h >= 0) || h != std::floor(h))
    throw Napi::TypeError::New(info.Env(), std::string(op) + ": invalid storage handle");
  double slot = std::fmod(h, kSlotSpan), gen = std::floor(h / kSlotSpan);
  if (slot >= (double)g_slots.size() || (double)g_slots[(size_t)slot].gen != gen || !g_slots[(size_t)slot].s ||
      !g_slots[(size_t)slot].s->data)
    throw Napi::Error::New(info.Env(), std::string(op) + ": tensor storage was already disposed");
  return g_slots[(size_t)slot].s;
}

void set_scratch(double* p, size_t n) { g_scratch = p; g_scratch_n = n; }

Reader::Reader() : p_(g_scratch), n_(g_scratch_n) {
  if (!p_) throw std::invalid_argument("metadata scratch buffer not set (setScratch)");
}
double Reader::num() {
  if (i_ >= n_) throw std::out_of_range("metadata scratch overflow");
  return p_[i_++];
}
int64_t Reader::integer(const char* what) {
  double v = num();
  if (!(v >= -9007199254740991.0 && v <= 9007199254740991.0) || v != (double)(int64_t)v)
    throw std::invalid_argument(std::string(what) + " must be an integer");
  return (int64_t)v;
}
View Reader::view(const Storage* s, const char* op) {
  View v;
  v.data = s->data;
  v.dtype = s->dtype;
  int64_t nd = integer("ndim");
  if (nd < 0 || nd > kMaxDims)
    throw std::out_of_range(std::string(op) + ": tensors have at most " + std::to_string(kMaxDims) + " dims");
  v.ndim = (int)nd;
  v.offset = integer("offset");
  for (int d = 0; d < v.ndim; d++) v.shape[d] = integer("shape");
  for (int d = 0; d < v.ndim; d++) v.strides[d] = integer("stride");
  if (v.offset < 0) throw std::out_of_range(std::string(op) + ": negative offset");
  int64_t last = v.offset;
  bool empty = false;
  for (int d = 0; d < v.ndim; d++) {
    if (v.shape[d] < 0 || v.strides[d] < 0) throw std::out_of_range(std::string(op) + ": negative shape or stride");
    if (v.shape[d] == 0) empty = true;
    else last += (v.shape[d] - 1) * v.strides[d];
  }
  if (!empty && last >= s->numel)
    throw std::out_of_range(std::string(op) + ": view reaches element " + std::to_string(last) +
                            " of a storage of " + std::to_string(s->numel));
  return v;
}
}  // namespace td::addon

namespace td::addon {
void init_storage(Napi::Env env, Napi::Object exports) {
  exports.Set("alloc", Napi::Function::New(env, Alloc, "alloc"));
  exports.Set("free", Napi::Function::New(env, Free, "free"));
  exports.Set("write", Napi::Function::New(env, Write, "write"));
  exports.Set("read", Napi::Function::New(env, Read, "read"));
  exports.Set("readAsync", Napi::Function::New(env, ReadAsync, "readAsync"));
  exports.Set("setScratch", Napi::Function::New(env, SetScratch, "setScratch"));
  exports.Set("memStats", Napi::Function::New(env, MemStats, "memStats"));
  exports.Set("emptyCache", Napi::Function::New(env, EmptyCache, "emptyCache"));
  exports.Set("copy", Napi::Function::New(env, Copy, "copy"));
  exports.Set("device", Napi::Function::New(env, DeviceOf, "device"));
  exports.Set("cudaEmptyCache", Napi::Function::New(env, CudaEmptyCache, "cudaEmptyCache"));
  exports.Set("cudaSynchronize", Napi::Function::New(env, CudaSynchronize, "cudaSynchronize"));
}
}  // namespace td::addon
