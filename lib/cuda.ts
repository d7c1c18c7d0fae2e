// cuda.ts — the `td.cuda` namespace: is a GPU usable, which one, its memory (the caching allocator's
// counters), emptying the cache, and waiting for queued work.
import { cudaProbe } from './device';
import { CudaMemoryInfo, memory as memoryAll } from './memory';
import { native } from './native';

/** True when the addon was built with CUDA and a device can be used (see `reason()` otherwise). */
export function isAvailable(): boolean {
  return cudaProbe().available;
}

/** Why CUDA cannot be used (empty when it can): not compiled in, no driver, or no device. */
export function reason(): string {
  return cudaProbe().reason;
}

/** Number of CUDA devices seen (tensordiff uses the first). */
export function deviceCount(): number {
  return cudaProbe().deviceCount;
}

/** Name of the device in use (e.g. "NVIDIA H100 80GB HBM3"), or undefined without one. */
export function deviceName(): string | undefined {
  return cudaProbe().deviceName;
}

/** GPU memory: live storages and bytes, and the caching allocator's reserved, in-use and cached bytes. */
export function memory(): CudaMemoryInfo {
  return memoryAll().cuda;
}

/** Returns the allocator's idle GPU blocks to the driver (waits for queued work first). */
export function emptyCache(): void {
  native.cudaEmptyCache();
}

/**
 * Waits until every kernel queued so far has finished; throws if one failed. Ops are asynchronous on
 * the GPU, so benchmarks call this before reading the clock; `dataSync()` and `await data()` already wait.
 */
export function synchronize(): void {
  native.cudaSynchronize();
}
