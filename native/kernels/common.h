// common.h — portability macros shared by every header in native/kernels/, which is compiled both by
// the host C++ compiler (CPU backend) and by nvcc (CUDA backend).
#pragma once

#if defined(__CUDACC__)
// TD_HD: a small function callable from host and device code.
#define TD_HD __host__ __device__ inline
// TD_FORCEINLINE: like TD_HD, but always inlined (for the hot helpers inside vectorised loops).
#define TD_FORCEINLINE __host__ __device__ __forceinline__
#else
#define TD_HD inline
#if defined(__GNUC__) || defined(__clang__)
#define TD_FORCEINLINE inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define TD_FORCEINLINE __forceinline
#else
#define TD_FORCEINLINE inline
#endif
#endif
