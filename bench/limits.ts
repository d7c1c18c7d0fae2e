// limits.ts — this machine's roofline, measured once per bench process by the addon
// (native/cpu/limits.cpp: STREAM-style triad over the backend's threads, peak FMA rate), so every
// figure is reported as a fraction of a limit measured in the same run. The anchors of
// ../shared/anchors.md (triad 29.2 GB/s, FMA 204 GFLOP/s on the 2-core box of 2026-11-22) are kept
// for reference: hosts of the same kind differ (a later one measured triad ~90 GB/s).
import { native } from '../lib/native';
import { report } from './harness';

/** The anchors' figures (../shared/anchors.md), for reference only. */
export const ANCHORS = { streamGBs: 29.2, fmaPeakGflops: 204 };

let measured: { streamGBs: number; copyGBs: number; fmaPeakGflops: number } | null = null;

function measure(): { streamGBs: number; copyGBs: number; fmaPeakGflops: number } {
  if (!measured) {
    const m = native.measureLimits(1 << 25, 10);
    measured = { streamGBs: +m.triadGBs.toFixed(1), copyGBs: +m.copyGBs.toFixed(1), fmaPeakGflops: +m.fmaGflops.toFixed(1) };
    report({ limits: 'measured', threads: m.threads, streamTriadGBs: measured.streamGBs, streamCopyGBs: measured.copyGBs,
      fmaPeakGflops: measured.fmaPeakGflops, fmaIsa: m.fmaIsa, anchors: ANCHORS });
  }
  return measured;
}

/** The measured limits (measured on first use, then cached). */
export const LIMITS = {
  /** STREAM triad, float32, the backend's threads (GB/s). */
  get streamGBs(): number {
    return measure().streamGBs;
  },
  /** Peak FMA rate, the backend's threads (GFLOP/s). */
  get fmaPeakGflops(): number {
    return measure().fmaPeakGflops;
  },
};
