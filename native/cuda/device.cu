// device.cu — CUDA device discovery through the static CUDA runtime. Never aborts: a machine with no
// driver or no GPU simply reports available=false with the runtime's reason.
#include <cuda_runtime.h>

#include "cuda.h"

namespace td::cuda {
Info probe() {
  Info info;
  info.compiled = true;
  cudaRuntimeGetVersion(&info.runtime_version);
  int n = 0;
  cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) {
    info.reason = std::string("CUDA runtime: ") + cudaGetErrorString(err);
    cudaGetLastError();  // clear the sticky error state
    return info;
  }
  if (n == 0) {
    info.reason = "no CUDA device found";
    return info;
  }
  info.device_count = n;
  cudaDeviceProp prop;
  if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess) {
    info.device_name = prop.name;
    info.compute_capability = prop.major * 10 + prop.minor;
    info.total_memory = static_cast<double>(prop.totalGlobalMem);
    info.multiprocessors = prop.multiProcessorCount;
  } else {
    cudaGetLastError();
  }
  info.available = true;
  return info;
}
}  // namespace td::cuda
