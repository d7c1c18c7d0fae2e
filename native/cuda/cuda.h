// cuda.h — what the addon asks of the CUDA backend. Built from native/cuda/*.cu when nvcc is found;
// otherwise native/addon/cuda_stub.cpp answers that CUDA was not compiled in.
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
};
Info probe();
}  // namespace td::cuda
