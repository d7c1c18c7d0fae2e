// cpu.h — the CPU backend's kernel entry points (the contract between native/addon and native/cpu).
// Every function takes already-validated Views (the addon checks storage bounds and dtypes) and may
// throw std::invalid_argument / std::out_of_range for conditions only visible while running
// (for instance an index out of range); the addon turns those into JS exceptions.
// Kernels never throw from inside an OpenMP region.
#pragma once
#include <cstdint>
#include "view.h"

namespace td::cpu {

// ---- op codes: the order here is the op table; lib/ops/opTable.ts lists the same names -------------
// Unary ops: out = f(x; p0, p1). out and x have identical shapes; out dtype == x dtype except the
// comparisons-with-scalar (GT_S..NE_S) and CLAMP_MASK whose out dtype is F32 (1.0 / 0.0).
#define TD_UNARY_OPS(X) \
  X(IDENTITY) X(NEG) X(EXP) X(LOG) X(LOG1P) X(SQRT) X(RSQRT) X(ABS) X(SIN) X(COS) X(TANH) \
  X(SIGMOID) X(RELU) X(GELU) X(GELU_TANH) X(SILU) X(SOFTPLUS) X(ERF) X(SIGN) X(SQUARE)     \
  X(RECIPROCAL) X(EXPM1) X(CLAMP) X(POW_S) X(ADD_S) X(MUL_S) X(RSUB_S) X(RDIV_S) X(RPOW_S) \
  X(GT_S) X(GE_S) X(LT_S) X(LE_S) X(EQ_S) X(NE_S) X(CLAMP_MASK)
// CLAMP: min(max(x, p0), p1), where a NaN bound means "no bound". POW_S: x^p0. ADD_S: x+p0.
// MUL_S: x*p0. RSUB_S: p0-x. RDIV_S: p0/x. RPOW_S: p0^x. GT_S: x>p0 ... NE_S: x!=p0.
// CLAMP_MASK: 1 where p0 <= x <= p1 (NaN bound = unbounded), else 0 (the gradient mask of CLAMP).

// Binary ops: out = f(a, b). a and b already carry broadcast strides (0) and out's ndim/shape.
// out dtype == a dtype == b dtype, except comparisons (GT..NE) whose out dtype is F32.
// The *_BWD ops take a = the forward input x (or output y where noted) and b = the incoming grad g.
#define TD_BINARY_OPS(X) \
  X(ADD) X(SUB) X(MUL) X(DIV) X(POW) X(MAXIMUM) X(MINIMUM) X(GT) X(GE) X(LT) X(LE) X(EQ) X(NE) \
  X(RELU_BWD) X(SIGMOID_BWD_Y) X(TANH_BWD_Y) X(GELU_BWD) X(GELU_TANH_BWD) X(SILU_BWD)           \
  X(SOFTPLUS_BWD)
// RELU_BWD: g*(x>0). SIGMOID_BWD_Y: g*y*(1-y) with a=y. TANH_BWD_Y: g*(1-y*y) with a=y.
// GELU_BWD: g*(Phi(x) + x*phi(x)). GELU_TANH_BWD: g * d/dx of the tanh approximation.
// SILU_BWD: g*s*(1+x*(1-s)), s=sigmoid(x). SOFTPLUS_BWD: g*sigmoid(x).

// Reductions over the last `nred` dims of x; out (contiguous) has x's leading ndim-nred dims.
// ARGMAX/ARGMIN write I32 (index into the flattened reduced block, first occurrence; NaN wins);
// the others write x's dtype. MEAN divides by the reduced count. MAX/MIN propagate NaN.
// A reduction over zero elements: SUM 0, MEAN NaN, PROD 1; MAX/MIN/ARG* throw std::invalid_argument.
#define TD_REDUCE_OPS(X) X(SUM) X(MEAN) X(PROD) X(MAX) X(MIN) X(ARGMAX) X(ARGMIN)

#define TD_ENUM_ITEM(name) name,
enum UnaryOp : int { TD_UNARY_OPS(TD_ENUM_ITEM) UNARY_COUNT };
namespace binop { enum BinaryOp : int { TD_BINARY_OPS(TD_ENUM_ITEM) BINARY_COUNT }; }
namespace redop { enum ReduceOp : int { TD_REDUCE_OPS(TD_ENUM_ITEM) REDUCE_COUNT }; }
#undef TD_ENUM_ITEM

// ---- elementwise -------------------------------------------------------------------------------
void unary(int op, const View& out, const View& x, double p0, double p1);
void binary(int op, const View& out, const View& a, const View& b);
// out = cond != 0 ? a : b ; cond any dtype, a/b/out one dtype; all carry out's ndim (broadcast strides).
void where(const View& out, const View& cond, const View& a, const View& b);
// Strided copy with dtype conversion (float -> int truncates toward zero). Shapes equal.
void cast(const View& out, const View& x);
void fill(const View& out, double value);
// out[i] = start + i*step over the flattened (contiguous) out.
void arange(const View& out, double start, double step);

// ---- reductions --------------------------------------------------------------------------------
void reduce(int op, const View& out, const View& x, int nred);
// Softmax (or log-softmax) over the last dim; out and x contiguous with equal shapes, float dtypes.
void softmax(const View& out, const View& x, bool log);

// ---- indexing (index tensors are I32) ------------------------------------------------------------
// out[i_0..i_{d-1}, j, ...] = x[.., idx[i..], ..] along `dim`; idx has out's shape (may be strided,
// e.g. expanded). Throws std::out_of_range naming the bad index if idx is outside [0, x.shape[dim]).
void gather(const View& out, const View& x, const View& idx, int dim);
// out[.., idx[i..], ..] += src[i..] along `dim` (out contiguous, updated in place); idx has src's shape.
void scatter_add(const View& out, const View& idx, const View& src, int dim);

// ---- randomness: Philox 4x32-10 (native/kernels/philox.h) --------------------------------------
// dist 0: uniform [a, b); 1: normal(mean a, std b); 2: integers uniform in [a, b) (any dtype).
// Element i of the (contiguous) out draws from counter block i / per_block (per_block = 4 for F32 and
// I32, 2 for F64), lane i % per_block, keyed by seed, with the 64-bit `offset` as the upper counter
// words. Same (seed, offset) => same numbers on every backend.
void random(const View& out, int dist, uint64_t seed, uint64_t offset, double a, double b);

// ---- matrix multiply ----------------------------------------------------------------------------
// For each batch index p < batch: C_p[M,N] = A_p[M,K] @ B_p[K,N] (+ C_p if accumulate).
// Element (i,k) of A_p is at A[p*bsa + i*rsa + k*csa] (likewise B with bsb/rsb/csb, C with bsc/rsc/csc).
// Strides may be 0 (broadcast) and A/B may be transposed views; C must not alias A or B.
void gemm_f32(int64_t batch, int64_t M, int64_t N, int64_t K,
              const float* A, int64_t bsa, int64_t rsa, int64_t csa,
              const float* B, int64_t bsb, int64_t rsb, int64_t csb,
              float* C, int64_t bsc, int64_t rsc, int64_t csc, bool accumulate);
void gemm_f64(int64_t batch, int64_t M, int64_t N, int64_t K,
              const double* A, int64_t bsa, int64_t rsa, int64_t csa,
              const double* B, int64_t bsb, int64_t rsb, int64_t csb,
              double* C, int64_t bsc, int64_t rsc, int64_t csc, bool accumulate);
// Name of the GEMM micro-kernel chosen at run time ("avx2-fma" or "portable").
const char* gemm_kernel_name();

// ---- threads and host memory ----------------------------------------------------------------------
void set_num_threads(int n);
int num_threads();
// Should a loop over n elements (with cost ~work per element) go parallel? Avoids thread wake-up on tiny ops.
// The machine's roofline, measured (limits.cpp): STREAM copy / triad GB/s over the backend's threads and
// the peak FMA GFLOP/s; for the benchmarks.
struct Limits {
  double copy_gbs, triad_gbs, fma_gflops, checksum;
  const char* fma_isa;
};
Limits measure_limits(int64_t elements, int reps);

// The CPU has AVX2 and FMA (read once; x86 GCC/clang, else false).
bool cpu_has_avx2_fma();
// The fused / optimizer kernels may use AVX2+FMA: the CPU has them and TD_FUSED_PORTABLE is unset or 0.
bool fused_avx2_enabled();

inline bool worth_parallel(int64_t n, int64_t work = 1) { return n * work >= 32768; }

// f(i) for i in [0, n): an OpenMP `parallel for` (static schedule) when `par`, else a plain loop.
// Branching here instead of `#pragma omp parallel for if (par)` matters for small tensors: libgomp
// runs an if(false) region as a team of one, and shrinking the team from the last region's size
// wakes the idle workers (a futex call: ~4 µs on a 1-element sum).
template <typename F>
inline void parallel_for(int64_t n, bool par, F&& f) {
  if (!par || n < 2) {
    for (int64_t i = 0; i < n; i++) f(i);
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; i++) f(i);
}

}  // namespace td::cpu
