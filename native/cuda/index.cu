// index.cu — CUDA gather and scatter_add along one dim with int32 index tensors (contracts in
// native/cpu/cpu.h). Indices are checked first by a kernel that records the first bad value it meets,
// read back before any element is written (a synchronising read of 8 bytes), so a bad index is a
// std::out_of_range with the CPU's message, never a device fault. scatter_add accumulates with
// atomicAdd, so float sums may differ from the CPU's in the last bits (order of additions).
#include "strided.cuh"

namespace td::cuda {
namespace {

__global__ void check_index_kernel(Plan<1> p, const int32_t* __restrict__ idx, int32_t size, int* __restrict__ flag) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < p.numel; i += (int64_t)gridDim.x * blockDim.x) {
    int64_t off[1];
    p.offsets(i, off);
    const int32_t v = idx[off[0]];
    if ((v < 0 || v >= size) && atomicCAS(flag, 0, 1) == 0) flag[1] = v;
  }
}

void check_indices(const char* what, const View& idx, int dim, int64_t size) {
  const View* v[1] = {&idx};
  const Plan<1> p = make_plan<1>(v);
  if (p.numel == 0) return;
  Temp flag(2 * sizeof(int));
  check(cudaMemsetAsync(flag.as<int>(), 0, 2 * sizeof(int), stream()), "index check");
  check_index_kernel<<<grid_for(p.numel), kThreads, 0, stream()>>>(p, static_cast<const int32_t*>(idx.data),
                                                                    static_cast<int32_t>(size), flag.as<int>());
  check_launch("index check kernel");
  int h[2] = {0, 0};
  copy_d2h(h, flag.as<int>(), sizeof h);
  if (h[0])
    throw std::out_of_range(std::string(what) + ": index " + std::to_string(h[1]) + " is out of range for dim " +
                            std::to_string(dim) + " of size " + std::to_string(size));
}

__device__ __forceinline__ void atomic_add(float* p, float v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(double* p, double v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(int32_t* p, int32_t v) { atomicAdd(reinterpret_cast<int*>(p), v); }

template <typename T>
void gather_t(const View& out, const View& x, const View& idx, int dim) {
  View xs = x;  // x walked over out's shape, its `dim` coordinate supplied by the index
  for (int d = 0; d < out.ndim; d++) xs.shape[d] = out.shape[d];
  xs.strides[dim] = 0;
  const int64_t sd = x.strides[dim];
  const View* v[3] = {&out, &idx, &xs};
  T* o = static_cast<T*>(out.data);
  const int32_t* ix = static_cast<const int32_t*>(idx.data);
  const T* xp = static_cast<const T*>(x.data);
  launch_map<3>(v, [=] __device__(const int64_t* off) { o[off[0]] = xp[off[2] + static_cast<int64_t>(ix[off[1]]) * sd]; },
                "gather kernel");
}

template <typename T>
void scatter_t(const View& out, const View& idx, const View& src, int dim) {
  View os = out;  // out walked over src's shape, its `dim` coordinate supplied by the index
  for (int d = 0; d < src.ndim; d++) os.shape[d] = src.shape[d];
  os.strides[dim] = 0;
  const int64_t sd = out.strides[dim];
  const View* v[3] = {&src, &idx, &os};
  const T* sp = static_cast<const T*>(src.data);
  const int32_t* ix = static_cast<const int32_t*>(idx.data);
  T* o = static_cast<T*>(out.data);
  launch_map<3>(v, [=] __device__(const int64_t* off) { atomic_add(o + off[2] + static_cast<int64_t>(ix[off[1]]) * sd, sp[off[0]]); },
                "scatterAdd kernel");
}
}  // namespace

void gather(const View& out, const View& x, const View& idx, int dim) {
  if (idx.dtype != I32) throw std::invalid_argument("gather: index tensor must be I32");
  if (dim < 0 || dim >= x.ndim) throw std::invalid_argument("gather: dim out of range");
  check_indices("gather", idx, dim, x.shape[dim]);
  dispatch_dtype(out.dtype, "gather", [&](auto tag) { gather_t<decltype(tag)>(out, x, idx, dim); });
}

void scatter_add(const View& out, const View& idx, const View& src, int dim) {
  if (idx.dtype != I32) throw std::invalid_argument("scatterAdd: index tensor must be I32");
  if (dim < 0 || dim >= out.ndim) throw std::invalid_argument("scatterAdd: dim out of range");
  check_indices("scatterAdd", idx, dim, out.shape[dim]);
  dispatch_dtype(out.dtype, "scatterAdd", [&](auto tag) { scatter_t<decltype(tag)>(out, idx, src, dim); });
}

}  // namespace td::cuda
