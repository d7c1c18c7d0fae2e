// cuda.h — what the addon asks of the CUDA backend. Built from native/cuda/*.cu when nvcc is found;
// otherwise native/addon/cuda_stub.cpp answers that CUDA was not compiled in. The kernels and memory
// functions are in backend.h.
#pragma once
#include <string>

namespace td::cuda {
struct Info {
  bool compiled = false;   // CUDA sources were compiled into this addon
  bool available = false;  // a usable device was found at run time
  int device_count = 0;
  std::string reason;      // why not available (empty when available)
  std::string device_name;
  int runtime_version = 0;
  int compute_capability = 0;  // major * 10 + minor of device 0
  double total_memory = 0;     // bytes of device 0
  int multiprocessors = 0;
};
Info probe();
}  // namespace td::cuda
