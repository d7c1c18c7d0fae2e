// optim.cpp — CPU launcher of the fused Adam / AdamW step (math in native/kernels/adam.h). One pass over
// memory: OpenMP over fixed-size chunks, each chunk run by the AVX2 loops of optim_avx2.cpp when the CPU
// has AVX2+FMA (checked once at run time; TD_FUSED_PORTABLE=1 forces the portable loop, as for the
// fused losses), else by a scalar loop over the same adam_update. The coefficients are computed once
// per call in double (kern::adam_coef) and rounded to the element type.
#include "optim.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <type_traits>

#include "cpu.h"
#include "optim_simd.h"

namespace td::cpu {
namespace {

bool optim_avx2() { return fused_avx2_enabled(); }

template <typename T, bool L2, bool DECAY, bool AMS>
void adam_chunk_portable(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v,
                         T* __restrict vmax, int64_t n, const kern::AdamCoef<T>& c) {
  const kern::AdamCoef<T> cc = c;
#pragma omp simd
  for (int64_t i = 0; i < n; i++) {
    T x = AMS ? vmax[i] : T(0);
    kern::adam_update<T, L2, DECAY, AMS>(cc, p[i], g[i], m[i], v[i], x);
    if (AMS) vmax[i] = x;
  }
}

template <typename T>
optim_simd::AdamChunkFn<T> pick_portable(bool l2, bool decay, bool ams) {
  const int k = (l2 ? 4 : 0) | (decay ? 2 : 0) | (ams ? 1 : 0);
  switch (k) {
    case 0: return &adam_chunk_portable<T, false, false, false>;
    case 1: return &adam_chunk_portable<T, false, false, true>;
    case 2: return &adam_chunk_portable<T, false, true, false>;
    case 3: return &adam_chunk_portable<T, false, true, true>;
    case 4: return &adam_chunk_portable<T, true, false, false>;
    case 5: return &adam_chunk_portable<T, true, false, true>;
    case 6: return &adam_chunk_portable<T, true, true, false>;
    default: return &adam_chunk_portable<T, true, true, true>;
  }
}

template <typename T>
optim_simd::AdamChunkFn<T> pick(bool l2, bool decay, bool ams) {
  if (optim_avx2()) {
    optim_simd::AdamChunkFn<T> f = nullptr;
    if constexpr (std::is_same_v<T, float>) f = optim_simd::adam_avx2_f32(l2, decay, ams);
    else f = optim_simd::adam_avx2_f64(l2, decay, ams);
    if (f) return f;
  }
  return pick_portable<T>(l2, decay, ams);
}

// Elements per parallel task (a multiple of every vector width).
constexpr int64_t kChunk = 16384;

template <typename T>
void adam_run(const View& pv, const View& gv, const View& mv, const View& vv, const View* xv,
              const kern::AdamScalars& s) {
  const int64_t N = pv.numel();
  if (N == 0) return;
  const kern::AdamCoef<T> c = kern::adam_coef<T>(s);
  const bool l2 = !s.decoupled && s.weight_decay != 0;
  const bool decay = s.decoupled && s.weight_decay != 0;
  const optim_simd::AdamChunkFn<T> fn = pick<T>(l2, decay, xv != nullptr);
  T* p = pv.ptr<T>();
  const T* g = gv.ptr<T>();
  T* m = mv.ptr<T>();
  T* v = vv.ptr<T>();
  T* x = xv ? xv->ptr<T>() : nullptr;
  const int64_t tasks = (N + kChunk - 1) / kChunk;
  parallel_for(tasks, worth_parallel(N, 4) && tasks > 1, [&](int64_t k) {
    const int64_t i0 = k * kChunk;
    const int64_t len = std::min(kChunk, N - i0);
    fn(p + i0, g + i0, m + i0, v + i0, x ? x + i0 : nullptr, len, c);
  });
}

}  // namespace

void adam_step(const View& p, const View& g, const View& m, const View& v, const View* vmax,
               const kern::AdamScalars& s) {
  switch (p.dtype) {
    case F32: return adam_run<float>(p, g, m, v, vmax, s);
    case F64: return adam_run<double>(p, g, m, v, vmax, s);
    default: throw std::invalid_argument("adamStep: float32 or float64 tensors expected");
  }
}

const char* optim_kernel_name() { return optim_avx2() ? "avx2" : "portable"; }

}  // namespace td::cpu
