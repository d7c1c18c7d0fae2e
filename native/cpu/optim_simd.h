// optim_simd.h — private interface between the Adam launcher (optim.cpp) and its AVX2 chunk loops
// (optim_avx2.cpp, a translation unit compiled for AVX2+FMA with a target pragma and picked at run time).
// Only adam.h's plain structs cross this boundary, so no inline function is compiled twice for two ISAs.
#pragma once
#include <cstdint>
#include "../kernels/adam.h"

namespace td::cpu::optim_simd {

// One chunk of n contiguous elements (vmax may be null when not amsgrad).
template <typename T>
using AdamChunkFn = void (*)(T* p, const T* g, T* m, T* v, T* vmax, int64_t n, const kern::AdamCoef<T>& c);

// The AVX2 chunk loop for these flags, or nullptr when not compiled for this target.
AdamChunkFn<float> adam_avx2_f32(bool l2, bool decay, bool ams);
AdamChunkFn<double> adam_avx2_f64(bool l2, bool decay, bool ams);

}  // namespace td::cpu::optim_simd
