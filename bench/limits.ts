// limits.ts — this machine's measured limits (../shared/anchors.md, 2-core dev box) and PyTorch
// anchors, for reporting achieved figures as a fraction of the roofline.
export const LIMITS = {
  /** STREAM triad, float32, 2 OpenMP threads (GB/s). */
  streamGBs: 29.2,
  /** AVX2 FMA peak, 2 threads (GFLOP/s). */
  fmaPeakGflops: 204,
};
