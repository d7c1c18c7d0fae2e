// optim.h — CPU entry point of the fused optimizer kernels (math in native/kernels/adam.h). Views arrive
// validated by the addon (native/addon/optim.cpp): contiguous, equal element counts, one float dtype,
// inside their storages, written views not aliasing. May throw std::invalid_argument.
#pragma once
#include "../kernels/adam.h"
#include "view.h"

namespace td::cpu {

// One fused Adam / AdamW step over every element, in place: reads p, g, m, v (and vmax when
// non-null: amsgrad), writes p, m, v (and vmax). All views [N] contiguous, one dtype (F32 or F64).
void adam_step(const View& p, const View& g, const View& m, const View& v, const View* vmax,
               const kern::AdamScalars& s);

// Which instruction set the Adam kernel picked at run time ("avx2" or "portable").
const char* optim_kernel_name();

}  // namespace td::cpu
