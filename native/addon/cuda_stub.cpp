// cuda_stub.cpp — stands in for native/cuda when the addon is built without CUDA (no nvcc, or
// TENSORDIFF_CUDA=OFF, or node-gyp). Compiled only when TD_WITH_CUDA is not defined.
#ifndef TD_WITH_CUDA
#include "../cuda/cuda.h"

namespace td::cuda {
Info probe() {
  Info info;
  info.reason = "built without CUDA (nvcc not found at build time, or TENSORDIFF_CUDA=OFF)";
  return info;
}
}  // namespace td::cuda
#endif
