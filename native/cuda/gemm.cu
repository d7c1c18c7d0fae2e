// gemm.cu — batched strided GEMM on the GPU: C_p = A_p @ B_p (+ C_p), the contract of cpu::gemm_*.
// The toolkit on the build machines has no cuBLAS (and a static cuBLAS would add >100 MB to the
// .node), so this is our own shared-memory tiled kernel: a 64×64 tile of C per 256-thread block, each
// thread a 4×4 register micro-tile (rows ty + 16i, columns tx + 16j, so shared-memory reads are
// conflict-free), K walked in steps of 16 through shared memory. Any element strides work (transposed
// and broadcast operands included); float32 and float64. A tensor-core (TF32/BF16) path is a later goal.
#include "runtime.h"

namespace td::cuda {
namespace {
constexpr int BM = 64, BN = 64, BK = 16, TM = 4, TN = 4;

template <typename T>
__global__ void __launch_bounds__(256) gemm_kernel(int64_t batch, int64_t M, int64_t N, int64_t K,
    const T* __restrict__ A, int64_t bsa, int64_t rsa, int64_t csa, const T* __restrict__ B, int64_t bsb, int64_t rsb,
    int64_t csb, T* __restrict__ C, int64_t bsc, int64_t rsc, int64_t csc, bool accumulate) {
  __shared__ T As[BK][BM + 1];
  __shared__ T Bs[BK][BN + 1];
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const int64_t row0 = static_cast<int64_t>(blockIdx.y) * BM, col0 = static_cast<int64_t>(blockIdx.x) * BN;
  for (int64_t p = blockIdx.z; p < batch; p += gridDim.z) {
    const T* Ap = A + p * bsa;
    const T* Bp = B + p * bsb;
    T acc[TM][TN];
#pragma unroll
    for (int i = 0; i < TM; i++)
#pragma unroll
      for (int j = 0; j < TN; j++) acc[i][j] = T(0);
    for (int64_t k0 = 0; k0 < K; k0 += BK) {
      for (int l = threadIdx.x; l < BM * BK; l += blockDim.x) {
        const int i = l / BK, k = l % BK;
        const int64_t r = row0 + i, kk = k0 + k;
        As[k][i] = (r < M && kk < K) ? Ap[r * rsa + kk * csa] : T(0);
      }
      for (int l = threadIdx.x; l < BK * BN; l += blockDim.x) {
        const int k = l / BN, j = l % BN;
        const int64_t c = col0 + j, kk = k0 + k;
        Bs[k][j] = (c < N && kk < K) ? Bp[kk * rsb + c * csb] : T(0);
      }
      __syncthreads();
#pragma unroll
      for (int k = 0; k < BK; k++) {
        T a[TM], b[TN];
#pragma unroll
        for (int i = 0; i < TM; i++) a[i] = As[k][ty + 16 * i];
#pragma unroll
        for (int j = 0; j < TN; j++) b[j] = Bs[k][tx + 16 * j];
#pragma unroll
        for (int i = 0; i < TM; i++)
#pragma unroll
          for (int j = 0; j < TN; j++) acc[i][j] += a[i] * b[j];
      }
      __syncthreads();
    }
    T* Cp = C + p * bsc;
#pragma unroll
    for (int i = 0; i < TM; i++) {
      const int64_t r = row0 + ty + 16 * i;
      if (r >= M) continue;
#pragma unroll
      for (int j = 0; j < TN; j++) {
        const int64_t c = col0 + tx + 16 * j;
        if (c >= N) continue;
        T* dst = Cp + r * rsc + c * csc;
        *dst = accumulate ? *dst + acc[i][j] : acc[i][j];
      }
    }
  }
}

template <typename T>
void launch(int64_t batch, int64_t M, int64_t N, int64_t K, const T* A, int64_t bsa, int64_t rsa, int64_t csa,
            const T* B, int64_t bsb, int64_t rsb, int64_t csb, T* C, int64_t bsc, int64_t rsc, int64_t csc, bool acc) {
  const int64_t gx = (N + BN - 1) / BN, gy = (M + BM - 1) / BM;
  if (gy > 65535) throw std::invalid_argument("matmul: more than 4,194,240 rows per batch are not supported on CUDA");
  const dim3 grid(static_cast<unsigned>(gx), static_cast<unsigned>(gy), static_cast<unsigned>(batch < 65535 ? batch : 65535));
  gemm_kernel<T><<<grid, 256, 0, stream()>>>(batch, M, N, K, A, bsa, rsa, csa, B, bsb, rsb, csb, C, bsc, rsc, csc, acc);
  check_launch("matmul kernel");
}
}  // namespace

void gemm(int dtype, int64_t batch, int64_t M, int64_t N, int64_t K, const void* A, int64_t bsa, int64_t rsa,
          int64_t csa, const void* B, int64_t bsb, int64_t rsb, int64_t csb, void* C, int64_t bsc, int64_t rsc,
          int64_t csc, bool accumulate) {
  if (batch == 0 || M == 0 || N == 0) return;
  // K == 0 still runs: it writes zeros (or leaves C when accumulating), like the CPU.
  if (dtype == F32)
    launch<float>(batch, M, N, K, static_cast<const float*>(A), bsa, rsa, csa, static_cast<const float*>(B), bsb, rsb,
                  csb, static_cast<float*>(C), bsc, rsc, csc, accumulate);
  else if (dtype == F64)
    launch<double>(batch, M, N, K, static_cast<const double*>(A), bsa, rsa, csa, static_cast<const double*>(B), bsb,
                   rsb, csb, static_cast<double*>(C), bsc, rsc, csc, accumulate);
  else
    throw std::invalid_argument("matmul: float32 or float64 expected");
}

const char* gemm_kernel_name() { return "tiled-64x64"; }

}  // namespace td::cuda
