// backend.ts — what the addon was built with and runs on, and the CPU thread count.
import { native, NativeInfo } from './native';

/** Backend facts: CPU threads and GEMM kernel; whether CUDA is available and, if not, why. */
export function info(): NativeInfo {
  return native.info();
}

/** Set the CPU backend's thread count (also TENSORDIFF_NUM_THREADS at load). */
export function setNumThreads(n: number): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 1024)
    throw new RangeError(`setNumThreads: expected an integer in [1, 1024], got ${String(n)}`);
  native.setNumThreads(n);
}

export function getNumThreads(): number {
  return native.numThreads();
}
