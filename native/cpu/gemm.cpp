// gemm.cpp — batched, strided matrix multiply for the CPU backend (td::cpu::gemm_f32 / gemm_f64).
//
// Blocking scheme (Goto / BLIS style), run by each thread on its own block of C:
//
//   for jc in N step NC              B panel  KC x NC  packed per thread                 (lives in L3)
//     for pc in K step KC
//       pack B[pc.., jc..]             into NR-column micro-panels
//       for ic in M step MC          A block  MC x KC  packed per thread                 (lives in L2)
//         pack A[ic.., pc..]           into MR-row micro-panels
//         for jr in NC step NR                 B micro-panel  KC x NR                    (lives in L1)
//           for ir in MC step MR
//             micro-kernel: MR x NR tile of C += A micro-panel @ B micro-panel, in registers
//
// f32: MR x NR = 6 x 16, MC = 120, KC = 384, NC = 4080.  f64: 6 x 8, MC = 96, KC = 256, NC = 2040.
// K, M and N are cut into near-equal blocks no larger than these (K = 400 -> 2 x 200, not 384 + 16).
//
// Packing reads A and B through arbitrary element strides, so transposed and broadcast (stride 0)
// operands cost nothing extra; panels are zero-padded to full MR / NR so the micro-kernel always
// runs a full tile, and partial edge tiles of C are written back through a small temporary tile.
//
// Threads (OpenMP, omp_get_max_threads()):
//   * one product: C is cut into a tm x tn grid of independent sub-products (whole MR / NR panels),
//     chosen to balance padded work and duplicated packing; each thread packs its own A and B
//     blocks into private buffers, so there are no barriers and no shared writes;
//   * a batch of matrices: whole matrices go to threads when that balances (see gemm());
//   * matrix-vector shapes (M == 1 or N == 1 with a contiguous operand) use streaming dot / axpy
//     kernels split over the outputs; tiny products (M*N*K < 32k) use a direct loop on one thread.
// A column-major C (or N much smaller than M) is computed as C^T = B^T @ A^T.
//
// Micro-kernels (gemm_kernels.h): AVX2+FMA, compiled per function with a target attribute and
// picked at run time when the CPU has AVX2 and FMA and TD_GEMM_PORTABLE is unset (or "0");
// otherwise portable kernels (4x8 f32 / 4x4 f64) auto-vectorised for the baseline ISA. The file
// needs no -mavx2 flag, only -fopenmp; buffers are per-caller-thread, grow-only, 64-byte aligned.
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "cpu.h"
#include "gemm_kernels.h"

namespace td::cpu {
namespace gemm_detail {

// ---- configuration ---------------------------------------------------------------------------------

// A micro-kernel and the cache blocking that goes with it.
template <typename T>
struct Kernel {
  using Fn = void (*)(int64_t kc, const T* a, const T* b, T* c, int64_t rsc, bool beta);
  using DotFn = void (*)(int64_t m, int64_t k, const T* A, int64_t lda, const T* x, T* y, int64_t incy, bool beta);
  using AxpyFn = void (*)(int64_t n, int64_t k, const T* x, int64_t incx, const T* B, int64_t ldb, T* y,
                          int64_t incy, bool beta);
  Fn fn;
  int mr, nr;          // register tile
  int64_t mc, kc, nc;  // cache blocks (mc a multiple of mr, nc a multiple of nr)
  DotFn dot;           // matrix-vector kernels (gemm_kernels.h)
  AxpyFn axpy;
};

constexpr int kMaxMR = 6, kMaxNR = 16;            // bounds on mr / nr over all kernels (temp tile)
constexpr double kTinyWork = 32768;               // M*N*K below this: direct loop
constexpr double kWorkPerThread = 1 << 17;        // at least this many FMAs per extra thread
constexpr double kSmallMatrix = double(1 << 21);  // batch of matrices below this: split the batch

// TD_GEMM_PORTABLE=1 forces the portable kernels (read once).
inline bool use_avx2() {
  static const bool on = [] {
    const char* e = std::getenv("TD_GEMM_PORTABLE");
    const bool forced_portable = e && *e && std::strcmp(e, "0") != 0;
    return !forced_portable && cpu_has_avx2_fma();
  }();
  return on;
}

template <typename T> const Kernel<T>& kernel();

template <> const Kernel<float>& kernel<float>() {
#if TD_GEMM_X86
  static const Kernel<float> avx2{ukr_f32_avx2_6x16, 6, 16, 120, 384, 4080, dot_avx2<AvxF32>, axpy_avx2<AvxF32>};
  if (use_avx2()) return avx2;
#endif
  static const Kernel<float> portable{ukr_portable<float, 4, 8>, 4, 8, 128, 256, 2048, dot_portable<float>,
                                      axpy_portable<float>};
  return portable;
}

template <> const Kernel<double>& kernel<double>() {
#if TD_GEMM_X86
  static const Kernel<double> avx2{ukr_f64_avx2_6x8, 6, 8, 96, 256, 2040, dot_avx2<AvxF64>, axpy_avx2<AvxF64>};
  if (use_avx2()) return avx2;
#endif
  static const Kernel<double> portable{ukr_portable<double, 4, 4>, 4, 4, 128, 256, 1024, dot_portable<double>,
                                       axpy_portable<double>};
  return portable;
}

// ---- problem description -----------------------------------------------------------------------------

// One matrix product C = A @ B (+ C), all strides in elements.
template <typename T>
struct Problem {
  int64_t M, N, K;
  const T* A; int64_t rsa, csa;
  const T* B; int64_t rsb, csb;
  T* C; int64_t rsc, csc;
  bool accumulate;
};

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }
inline size_t aligned_bytes(int64_t elems, size_t esz) { return size_t(round_up(elems * int64_t(esz), 64)); }

// Split `n` into ceil(n / max_block) near-equal blocks, each rounded up to a multiple of `unit`.
inline int64_t balanced_block(int64_t n, int64_t max_block, int64_t unit) {
  const int64_t nblocks = ceil_div(n, max_block);
  return std::min(round_up(ceil_div(n, nblocks), unit), round_up(max_block, unit));
}

// Cache blocks for one (sub-)problem: K and N split into near-equal blocks, M likewise.
struct Blocking {
  int64_t mc, kc, nc;
};

template <typename T>
Blocking blocking(const Kernel<T>& kr, int64_t M, int64_t N, int64_t K) {
  return {balanced_block(M, kr.mc, kr.mr), balanced_block(K, kr.kc, 1), balanced_block(N, kr.nc, kr.nr)};
}

// Bytes of the A-block and B-panel buffers that any sub-problem of an M x N x K product needs
// (balanced blocks of a smaller sub-problem can exceed the whole problem's, so bound them directly).
template <typename T>
void buffer_bytes(const Kernel<T>& kr, int64_t M, int64_t N, int64_t K, size_t& a_bytes, size_t& b_bytes) {
  const int64_t kc = balanced_block(K, kr.kc, 1);
  const int64_t mc = std::min(round_up(kr.mc, kr.mr), round_up(M, kr.mr));
  const int64_t nc = std::min(round_up(kr.nc, kr.nr), round_up(N, kr.nr));
  a_bytes = aligned_bytes(mc * kc, sizeof(T));
  b_bytes = aligned_bytes(kc * nc, sizeof(T));
}

// ---- workspace -----------------------------------------------------------------------------------------

// Grow-only, 64-byte aligned scratch owned by the calling thread; allocated outside any parallel
// region so that allocation failure throws std::bad_alloc in the caller, never inside OpenMP.
inline char* workspace(size_t bytes) {
  struct Buf {
    char* p = nullptr;
    size_t n = 0;
    ~Buf() { std::free(p); }
  };
  static thread_local Buf buf;
  if (bytes > buf.n) {
    std::free(buf.p);
    buf.p = nullptr;
    buf.n = 0;
    const size_t n = size_t(round_up(int64_t(bytes), 4096));
    void* p = std::aligned_alloc(64, n);
    if (!p) throw std::bad_alloc();
    buf.p = static_cast<char*>(p);
    buf.n = n;
  }
  return buf.p;
}

// ---- packing ---------------------------------------------------------------------------------------------

// Transpose R rows (row stride ld, contiguous along k) into k-major order out[k*R + r] with 128-bit
// SSE shuffles (baseline on x86-64): 4x4 blocks for floats, 2x2 for doubles. Packs the columns up
// to the last whole SIMD block and returns how many; the caller packs the rest (0 without SIMD).
#if TD_GEMM_X86
template <int R>
int64_t pack_rows_simd(const float* src, int64_t ld, int64_t kc, float* out) {
  static_assert(R % 2 == 0, "float SIMD packing handles groups of 4 rows and a last pair");
  int64_t k = 0;
  for (; k + 4 <= kc; k += 4) {
    float* o = out + k * R;
    for (int r = 0; r + 4 <= R; r += 4) {
      __m128 r0 = _mm_loadu_ps(src + r * ld + k), r1 = _mm_loadu_ps(src + (r + 1) * ld + k);
      __m128 r2 = _mm_loadu_ps(src + (r + 2) * ld + k), r3 = _mm_loadu_ps(src + (r + 3) * ld + k);
      _MM_TRANSPOSE4_PS(r0, r1, r2, r3);  // r_j now holds rows r..r+3 of column k + j
      _mm_storeu_ps(o + r, r0);
      _mm_storeu_ps(o + R + r, r1);
      _mm_storeu_ps(o + 2 * R + r, r2);
      _mm_storeu_ps(o + 3 * R + r, r3);
    }
    if constexpr (R % 4 == 2) {  // the last two rows: interleave into (row, row) pairs per column
      constexpr int r = R - 2;
      const __m128 x = _mm_loadu_ps(src + r * ld + k), y = _mm_loadu_ps(src + (r + 1) * ld + k);
      const __m128 lo = _mm_unpacklo_ps(x, y), hi = _mm_unpackhi_ps(x, y);
      _mm_storel_pi(reinterpret_cast<__m64*>(o + r), lo);
      _mm_storeh_pi(reinterpret_cast<__m64*>(o + R + r), lo);
      _mm_storel_pi(reinterpret_cast<__m64*>(o + 2 * R + r), hi);
      _mm_storeh_pi(reinterpret_cast<__m64*>(o + 3 * R + r), hi);
    }
  }
  return k;
}

template <int R>
int64_t pack_rows_simd(const double* src, int64_t ld, int64_t kc, double* out) {
  static_assert(R % 2 == 0, "double SIMD packing handles row pairs");
  int64_t k = 0;
  for (; k + 2 <= kc; k += 2) {
    double* o = out + k * R;
    for (int r = 0; r < R; r += 2) {
      const __m128d x = _mm_loadu_pd(src + r * ld + k), y = _mm_loadu_pd(src + (r + 1) * ld + k);
      _mm_storeu_pd(o + r, _mm_unpacklo_pd(x, y));
      _mm_storeu_pd(o + R + r, _mm_unpackhi_pd(x, y));
    }
  }
  return k;
}
#else
template <int R, typename T>
int64_t pack_rows_simd(const T*, int64_t, int64_t, T*) { return 0; }
#endif

// Pack the mc x kc block at A (strides rsa, csa) into MR-row micro-panels: out[panel][k][r],
// zero-padding the last panel's missing rows.
template <typename T, int MR>
void pack_a_mr(int64_t mc, int64_t kc, const T* A, int64_t rsa, int64_t csa, T* out) {
  const int64_t panels = ceil_div(mc, MR);
  if (rsa == 1 && csa != 1) {  // transposed A: read each column of the block contiguously
    for (int64_t k = 0; k < kc; k++) {
      const T* src = A + k * csa;
      for (int64_t p = 0; p < panels; p++) {
        T* dst = out + p * MR * kc + k * MR;
        const int rows = int(std::min<int64_t>(MR, mc - p * MR));
        for (int r = 0; r < rows; r++) dst[r] = src[p * MR + r];
        for (int r = rows; r < MR; r++) dst[r] = T(0);
      }
    }
    return;
  }
  for (int64_t p = 0; p < panels; p++, out += MR * kc) {  // row-major or general A: panel by panel
    const int rows = int(std::min<int64_t>(MR, mc - p * MR));
    const T* src = A + p * MR * rsa;
    const int64_t k0 = rows == MR && csa == 1 ? pack_rows_simd<MR>(src, rsa, kc, out) : 0;
    for (int64_t k = k0; k < kc; k++) {
      for (int r = 0; r < rows; r++) out[k * MR + r] = src[r * rsa + k * csa];
      for (int r = rows; r < MR; r++) out[k * MR + r] = T(0);
    }
  }
}

template <typename T>
void pack_a(int mr, int64_t mc, int64_t kc, const T* A, int64_t rsa, int64_t csa, T* out) {
  if (mr == 4)  // the kernels use MR = 4 or 6
    pack_a_mr<T, 4>(mc, kc, A, rsa, csa, out);
  else
    pack_a_mr<T, 6>(mc, kc, A, rsa, csa, out);
}

// Pack the kc x nc block at B (strides rsb, csb) into NR-column micro-panels: panel p goes to
// out + p*kc*NR as out[k][c], the last panel's missing columns zero-padded.
template <typename T, int NR>
void pack_b_nr(int64_t nc, int64_t kc, const T* B, int64_t rsb, int64_t csb, T* out) {
  const int64_t panels = ceil_div(nc, NR);
  const int last_cols = int(nc - (panels - 1) * NR);
  if (csb == 1) {  // row-major B: stream each row of the block once
    for (int64_t k = 0; k < kc; k++) {
      const T* src = B + k * rsb;
      for (int64_t p = 0; p < panels; p++) {
        T* dst = out + p * NR * kc + k * NR;
        if (p + 1 < panels || last_cols == NR) {
          std::memcpy(dst, src + p * NR, NR * sizeof(T));
        } else {
          for (int c = 0; c < last_cols; c++) dst[c] = src[p * NR + c];
          for (int c = last_cols; c < NR; c++) dst[c] = T(0);
        }
      }
    }
    return;
  }
  for (int64_t p = 0; p < panels; p++) {  // transposed or general B: panel by panel, column by column
    const int cols = p + 1 < panels ? NR : last_cols;
    const T* src = B + p * NR * csb;
    T* dst = out + p * NR * kc;
    const int64_t k0 = cols == NR && rsb == 1 ? pack_rows_simd<NR>(src, csb, kc, dst) : 0;
    for (int c = 0; c < cols; c++)
      for (int64_t k = k0; k < kc; k++) dst[k * NR + c] = src[c * csb + k * rsb];
    for (int c = cols; c < NR; c++)
      for (int64_t k = k0; k < kc; k++) dst[k * NR + c] = T(0);
  }
}

template <typename T>
void pack_b(int nr, int64_t nc, int64_t kc, const T* B, int64_t rsb, int64_t csb, T* out) {
  switch (nr) {  // the kernels use NR = 4, 8 or 16
    case 4: pack_b_nr<T, 4>(nc, kc, B, rsb, csb, out); break;
    case 8: pack_b_nr<T, 8>(nc, kc, B, rsb, csb, out); break;
    default: pack_b_nr<T, 16>(nc, kc, B, rsb, csb, out); break;
  }
}

// ---- macro-kernel ------------------------------------------------------------------------------------------

// C[0..rows, 0..cols] (+)= tile (row stride nr): the write-back of a partial or strided tile.
template <typename T>
void write_back(const T* tile, int nr, int rows, int cols, T* C, int64_t rsc, int64_t csc, bool beta) {
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < cols; j++) {
      T& d = C[r * rsc + j * csc];
      d = beta ? d + tile[r * nr + j] : tile[r * nr + j];
    }
}

// C[mc x nc] (+)= packed A block (mc x kc) @ packed B panel (kc x nc), micro-tile by micro-tile.
template <typename T>
void macro_kernel(const Kernel<T>& kr, int64_t mc, int64_t nc, int64_t kc, const T* pa, const T* pb, T* C,
                  int64_t rsc, int64_t csc, bool beta) {
  alignas(64) T tile[kMaxMR * kMaxNR];
  const int mr = kr.mr, nr = kr.nr;
  const int64_t np = ceil_div(nc, nr);
  for (int64_t jp = 0; jp < np; jp++) {
    const int64_t j = jp * nr;
    const int cols = int(std::min<int64_t>(nr, nc - j));
    const T* b = pb + jp * nr * kc;
    for (int64_t i = 0; i < mc; i += mr) {
      const int rows = int(std::min<int64_t>(mr, mc - i));
      const T* a = pa + i * kc;
      T* c = C + i * rsc + j * csc;
      if (rows == mr && cols == nr && csc == 1) {
        kr.fn(kc, a, b, c, rsc, beta);
      } else {
        kr.fn(kc, a, b, tile, nr, false);
        write_back(tile, nr, rows, cols, c, rsc, csc, beta);
      }
    }
  }
}

// ---- blocked driver --------------------------------------------------------------------------------------

// One product on one thread: the classic five loops over packed blocks (see the header comment).
template <typename T>
void gemm_serial(const Kernel<T>& kr, const Problem<T>& P, T* abuf, T* bbuf) {
  const Blocking bl = blocking(kr, P.M, P.N, P.K);
  for (int64_t jc = 0; jc < P.N; jc += bl.nc) {
    const int64_t nc = std::min(bl.nc, P.N - jc);
    for (int64_t pc = 0; pc < P.K; pc += bl.kc) {
      const int64_t kc = std::min(bl.kc, P.K - pc);
      const bool beta = P.accumulate || pc > 0;
      pack_b(kr.nr, nc, kc, P.B + pc * P.rsb + jc * P.csb, P.rsb, P.csb, bbuf);
      for (int64_t ic = 0; ic < P.M; ic += bl.mc) {
        const int64_t mc = std::min(bl.mc, P.M - ic);
        pack_a(kr.mr, mc, kc, P.A + ic * P.rsa + pc * P.csa, P.rsa, P.csa, abuf);
        macro_kernel(kr, mc, nc, kc, abuf, bbuf, P.C + ic * P.rsc + jc * P.csc, P.rsc, P.csc, beta);
      }
    }
  }
}

// ---- thread partition ----------------------------------------------------------------------------------

// Threads split C into a tm x tn grid of independent sub-products (rows in MR panels, columns in NR
// panels); each thread packs its own A rows and B columns, so there is no shared state and no barrier.
struct Grid {
  int tm, tn;
};

// Pick the grid (tm * tn == nth) minimising the busiest thread's cost per unit of K: its padded
// tile area plus the packing it does (a row split re-packs all of B, a column split all of A).
inline Grid choose_grid(int nth, int64_t M, int64_t N, int mr, int nr) {
  constexpr double kPackA = 8, kPackB = 4;  // packing cost per element, in multiply-adds
  const int64_t mp = ceil_div(M, mr), np = ceil_div(N, nr);
  Grid best{nth, 1};
  double best_cost = 0;
  for (int tm = nth; tm >= 1; tm--) {
    if (nth % tm) continue;
    const int tn = nth / tm;
    const double rows = double(ceil_div(mp, tm) * mr), cols = double(ceil_div(np, tn) * nr);
    const double cost = rows * cols + kPackA * rows + kPackB * cols;
    if (tm == nth || cost < best_cost) { best_cost = cost; best = {tm, tn}; }
  }
  return best;
}

// The sub-product of thread `tid` (possibly empty: M or N == 0).
template <typename T>
Problem<T> sub_problem(const Problem<T>& P, Grid g, int tid, int mr, int nr) {
  const int im = tid / g.tn, in = tid % g.tn;
  const int64_t mp = ceil_div(P.M, mr), np = ceil_div(P.N, nr);
  const int64_t r0 = std::min(P.M, mp * im / g.tm * mr), r1 = std::min(P.M, mp * (im + 1) / g.tm * mr);
  const int64_t c0 = std::min(P.N, np * in / g.tn * nr), c1 = std::min(P.N, np * (in + 1) / g.tn * nr);
  Problem<T> q = P;
  q.M = r1 - r0;
  q.N = c1 - c0;
  q.A += r0 * P.rsa;
  q.B += c0 * P.csb;
  q.C += r0 * P.rsc + c0 * P.csc;
  return q;
}

// ---- direct loop for tiny products --------------------------------------------------------------------

template <typename T>
void gemm_direct(const Problem<T>& P) {
  for (int64_t i = 0; i < P.M; i++) {
    T* c = P.C + i * P.rsc;
    if (!P.accumulate)
      for (int64_t j = 0; j < P.N; j++) c[j * P.csc] = T(0);
    for (int64_t k = 0; k < P.K; k++) {
      const T a = P.A[i * P.rsa + k * P.csa];
      const T* b = P.B + k * P.rsb;
      for (int64_t j = 0; j < P.N; j++) c[j * P.csc] += a * b[j * P.csb];
    }
  }
}

// ---- batched entry ------------------------------------------------------------------------------------------

// Batch-level description: one Problem plus the batch strides.
template <typename T>
struct Batched {
  int64_t batch, bsa, bsb, bsc;
  Problem<T> P;
  Problem<T> at(int64_t p) const {
    Problem<T> q = P;
    q.A += p * bsa;
    q.B += p * bsb;
    q.C += p * bsc;
    return q;
  }
};

// Threads worth using for one product of `work` FMAs.
inline int threads_for(double work, int max_threads) {
  const double t = work / kWorkPerThread;
  return t < 1 ? 1 : int(std::min<double>(max_threads, t));
}

// Each thread's private A-block and B-panel buffers, carved from the caller's workspace.
struct ThreadBuffers {
  char* base;
  size_t a_bytes, b_bytes;
  template <typename T> T* a(int tid) const { return reinterpret_cast<T*>(base + (a_bytes + b_bytes) * size_t(tid)); }
  template <typename T> T* b(int tid) const { return reinterpret_cast<T*>(base + (a_bytes + b_bytes) * size_t(tid) + a_bytes); }
};

template <typename T>
ThreadBuffers thread_buffers(const Kernel<T>& kr, const Problem<T>& P, int nth) {
  ThreadBuffers tb{nullptr, 0, 0};
  buffer_bytes(kr, P.M, P.N, P.K, tb.a_bytes, tb.b_bytes);
  tb.base = workspace((tb.a_bytes + tb.b_bytes) * size_t(nth));
  return tb;
}

// Each thread runs whole matrices of the batch.
template <typename T>
void gemm_over_batch(const Kernel<T>& kr, const Batched<T>& bt, int nth) {
  const bool tiny = double(bt.P.M) * double(bt.P.N) * double(bt.P.K) < kTinyWork;
  const ThreadBuffers tb = tiny ? ThreadBuffers{nullptr, 0, 0} : thread_buffers(kr, bt.P, nth);
#pragma omp parallel num_threads(nth)
  {
    const int tid = omp_get_thread_num();
#pragma omp for schedule(static)
    for (int64_t p = 0; p < bt.batch; p++) {
      if (tiny)
        gemm_direct(bt.at(p));
      else
        gemm_serial(kr, bt.at(p), tb.a<T>(tid), tb.b<T>(tid));
    }
  }
}

// One matrix at a time, each split over the threads.
template <typename T>
void gemm_each(const Kernel<T>& kr, const Batched<T>& bt, int max_threads) {
  const Problem<T>& P = bt.P;
  const double work = double(P.M) * double(P.N) * double(P.K);
  if (work < kTinyWork) {
    for (int64_t p = 0; p < bt.batch; p++) gemm_direct(bt.at(p));
    return;
  }
  const int nth = threads_for(work, max_threads);
  const ThreadBuffers tb = thread_buffers(kr, P, nth);
  if (nth == 1) {
    for (int64_t p = 0; p < bt.batch; p++) gemm_serial(kr, bt.at(p), tb.a<T>(0), tb.b<T>(0));
    return;
  }
#pragma omp parallel num_threads(nth)
  {
    // The runtime may grant fewer threads than asked (nested regions): split for the real team.
    const int team = omp_get_num_threads(), tid = omp_get_thread_num();
    const Grid g = choose_grid(team, P.M, P.N, kr.mr, kr.nr);
    for (int64_t p = 0; p < bt.batch; p++) {
      const Problem<T> q = sub_problem(bt.at(p), g, tid, kr.mr, kr.nr);
      if (q.M > 0 && q.N > 0) gemm_serial(kr, q, tb.a<T>(tid), tb.b<T>(tid));
    }
  }
}

// ---- matrix-vector products ------------------------------------------------------------------------------

// A product with M == 1 or N == 1 recast as  y (+)= matrix-vector, in one of the kernels' two forms.
template <typename T>
struct Gemv {
  bool dot;           // dot form: y[i] = sum_k mat[i*ld + k] * x[k]; else axpy: y[j] = sum_k x[k] mat[k*ld + j]
  int64_t n, k;       // outputs, reduction length
  const T* mat; int64_t ld;
  const T* x; int64_t incx;
  T* y; int64_t incy;
  int64_t bs_mat, bs_x;  // batch strides of mat and x
};

// Recognise the four contiguous matrix-vector layouts; false for anything else.
template <typename T>
bool as_gemv(const Batched<T>& bt, Gemv<T>& g) {
  const Problem<T>& P = bt.P;
  if (P.N == 1 && P.csa == 1 && P.rsb == 1)  // rows of A . column of B
    g = {true, P.M, P.K, P.A, P.rsa, P.B, 1, P.C, P.rsc, bt.bsa, bt.bsb};
  else if (P.M == 1 && P.rsb == 1 && P.csa == 1)  // columns of B . row of A
    g = {true, P.N, P.K, P.B, P.csb, P.A, 1, P.C, P.csc, bt.bsb, bt.bsa};
  else if (P.M == 1 && P.csb == 1)  // row of A combines the rows of B
    g = {false, P.N, P.K, P.B, P.rsb, P.A, P.csa, P.C, P.csc, bt.bsb, bt.bsa};
  else if (P.N == 1 && P.rsa == 1)  // column of B combines the columns of A
    g = {false, P.M, P.K, P.A, P.csa, P.B, P.rsb, P.C, P.rsc, bt.bsa, bt.bsb};
  else
    return false;
  return true;
}

// Outputs [j0, j1) of batch item p.
template <typename T>
void gemv_range(const Kernel<T>& kr, const Gemv<T>& g, int64_t bsc, bool beta, int64_t p, int64_t j0, int64_t j1) {
  const T* mat = g.mat + p * g.bs_mat;
  const T* x = g.x + p * g.bs_x;
  T* y = g.y + p * bsc + j0 * g.incy;
  if (g.dot)
    kr.dot(j1 - j0, g.k, mat + j0 * g.ld, g.ld, x, y, g.incy, beta);
  else
    kr.axpy(j1 - j0, g.k, x, g.incx, mat + j0, g.ld, y, g.incy, beta);
}

// Split the outputs of every batch item into per-thread chunks (multiples of 64 elements); whole
// items go to threads when there are enough of them. A broadcast C (bsc == 0) keeps the items in order.
template <typename T>
void gemm_gemv(const Kernel<T>& kr, const Gemv<T>& g, int64_t batch, int64_t bsc, bool beta, int max_threads) {
  const int nth = threads_for(double(batch) * double(g.n) * double(g.k), max_threads);
  if (nth == 1) {
    for (int64_t p = 0; p < batch; p++) gemv_range(kr, g, bsc, beta, p, 0, g.n);
    return;
  }
  const bool whole_items = batch >= nth && bsc != 0;
  const int64_t chunk = round_up(ceil_div(g.n, whole_items ? 1 : nth), 64);
  const int64_t nchunks = ceil_div(g.n, chunk);
  const int64_t items = bsc != 0 ? batch : 1;  // items run concurrently
#pragma omp parallel num_threads(nth)
  for (int64_t p0 = 0; p0 < batch; p0 += items) {
#pragma omp for schedule(static)
    for (int64_t t = 0; t < items * nchunks; t++) {
      const int64_t p = p0 + t / nchunks, j0 = (t % nchunks) * chunk;
      gemv_range(kr, g, bsc, beta, p, j0, std::min(g.n, j0 + chunk));
    }
  }
}

// C = 0 (or unchanged) for K == 0.
template <typename T>
void gemm_empty_k(const Batched<T>& bt) {
  if (bt.P.accumulate) return;
  for (int64_t p = 0; p < bt.batch; p++) {
    const Problem<T> q = bt.at(p);
    for (int64_t i = 0; i < q.M; i++)
      for (int64_t j = 0; j < q.N; j++) q.C[i * q.rsc + j * q.csc] = T(0);
  }
}

// C^T = B^T @ A^T: the same product with the roles of rows and columns swapped.
template <typename T>
void transpose_problem(Problem<T>& P, int64_t& bsa, int64_t& bsb) {
  Problem<T> q = P;
  q.M = P.N; q.N = P.M;
  q.A = P.B; q.rsa = P.csb; q.csa = P.rsb;
  q.B = P.A; q.rsb = P.csa; q.csb = P.rsa;
  q.rsc = P.csc; q.csc = P.rsc;
  std::swap(bsa, bsb);
  P = q;
}

// Is computing C^T = B^T @ A^T cheaper? It is when C is column-major (the micro-kernel stores rows
// of C directly only when csc == 1; other tiles go through the temporary tile) or when N is much
// smaller than M (a matrix-vector product pads N up to NR = 16 but M only up to MR = 6).
template <typename T>
bool prefer_transposed(const Kernel<T>& kr, const Problem<T>& P) {
  const auto cost = [&](int64_t m, int64_t n, bool row_major_c) {
    return double(round_up(m, kr.mr)) * double(round_up(n, kr.nr)) * (row_major_c ? 1.0 : 1.3);
  };
  return cost(P.N, P.M, P.rsc == 1) < cost(P.M, P.N, P.csc == 1);
}

template <typename T>
void gemm(int64_t batch, int64_t M, int64_t N, int64_t K, const T* A, int64_t bsa, int64_t rsa, int64_t csa,
          const T* B, int64_t bsb, int64_t rsb, int64_t csb, T* C, int64_t bsc, int64_t rsc, int64_t csc,
          bool accumulate) {
  if (batch <= 0 || M <= 0 || N <= 0) return;
  Batched<T> bt{batch, bsa, bsb, bsc, {M, N, K, A, rsa, csa, B, rsb, csb, C, rsc, csc, accumulate}};
  if (K <= 0) return gemm_empty_k(bt);
  const Kernel<T>& kr = kernel<T>();
  const int max_threads = omp_in_parallel() ? 1 : std::max(1, omp_get_max_threads());
  Gemv<T> g;
  if (as_gemv(bt, g)) return gemm_gemv(kr, g, batch, bsc, accumulate, max_threads);
  if (prefer_transposed(kr, bt.P)) transpose_problem(bt.P, bt.bsa, bt.bsb);

  const double work = double(bt.P.M) * double(bt.P.N) * double(bt.P.K);
  const int batch_threads = int(std::min<int64_t>(max_threads, batch));
  // Split the batch when every thread gets whole matrices of worthwhile size, evenly or plenty of them.
  const bool split_batch = batch_threads > 1 && bsc != 0 && work * double(batch) >= kWorkPerThread &&
                           (batch % batch_threads == 0 || batch >= 4 * batch_threads || work < kSmallMatrix);
  if (split_batch)
    gemm_over_batch(kr, bt, batch_threads);
  else
    gemm_each(kr, bt, max_threads);
}

}  // namespace gemm_detail

void gemm_f32(int64_t batch, int64_t M, int64_t N, int64_t K, const float* A, int64_t bsa, int64_t rsa,
              int64_t csa, const float* B, int64_t bsb, int64_t rsb, int64_t csb, float* C, int64_t bsc,
              int64_t rsc, int64_t csc, bool accumulate) {
  gemm_detail::gemm<float>(batch, M, N, K, A, bsa, rsa, csa, B, bsb, rsb, csb, C, bsc, rsc, csc, accumulate);
}

void gemm_f64(int64_t batch, int64_t M, int64_t N, int64_t K, const double* A, int64_t bsa, int64_t rsa,
              int64_t csa, const double* B, int64_t bsb, int64_t rsb, int64_t csb, double* C, int64_t bsc,
              int64_t rsc, int64_t csc, bool accumulate) {
  gemm_detail::gemm<double>(batch, M, N, K, A, bsa, rsa, csa, B, bsb, rsb, csb, C, bsc, rsc, csc, accumulate);
}

const char* gemm_kernel_name() { return gemm_detail::use_avx2() ? "avx2-fma" : "portable"; }

}  // namespace td::cpu
