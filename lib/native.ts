// native.ts — the one file that loads the C++ addon. Everything else imports `native` from here.
// Order: TENSORDIFF_ADDON, a local source build (build/Release, build/Debug), then the prebuilt addon
// (prebuilds/<platform>-<arch>/, found by node-gyp-build). When none loads, the error says why and what to run.
import * as fs from 'fs';
import * as path from 'path';

/** Opaque handle to a native storage block (a slot number in native/addon/storage.cpp). */
export type Handle = number & { readonly __storage: unique symbol };

export interface NativeInfo {
  cpu: { threads: number; gemmKernel: string; openmp: boolean };
  cuda: {
    compiled: boolean;
    available: boolean;
    deviceCount: number;
    reason: string;
    deviceName?: string;
    runtimeVersion?: number;
    /** e.g. 9 for an H100 (major + minor / 10). */
    computeCapability?: number;
    totalMemory?: number;
    multiprocessors?: number;
    gemmKernel?: string;
  };
}

/** Device-memory counters of the CUDA caching allocator (native/cuda/allocator.cu). */
export interface NativeCudaMem {
  storages: number;
  bytes: number;
  reservedBytes: number;
  inUseBytes: number;
  cachedBytes: number;
  mallocs: number;
}

export interface NativeAddon {
  abiVersion: number;
  /** device: 0 cpu (default), 1 cuda. */
  alloc(dtype: number, numel: number, device?: number): Handle;
  /** Copies count elements between storages of one dtype on any devices. */
  copy(dst: Handle, dstOffset: number, src: Handle, srcOffset: number, count: number): void;
  /** The storage's device code (0 cpu, 1 cuda). */
  device(h: Handle): number;
  cudaEmptyCache(): void;
  cudaSynchronize(): void;
  free(h: Handle): void;
  write(h: Handle, data: Float32Array | Float64Array | Int32Array, offset: number): void;
  read(h: Handle, offset: number, count: number): Float32Array | Float64Array | Int32Array;
  readAsync(h: Handle, offset: number, count: number): Promise<Float32Array | Float64Array | Int32Array>;
  setScratch(a: Float64Array): void;
  memStats(): { liveStorages: number; liveBytes: number; cachedBytes: number; cuda?: NativeCudaMem };
  emptyCache(): void;
  info(): NativeInfo;
  setNumThreads(n: number): void;
  numThreads(): number;
  /** Measure STREAM copy/triad GB/s and peak FMA GFLOP/s over the backend's threads (native/cpu/limits.cpp). */
  measureLimits(elements?: number, reps?: number): { copyGBs: number; triadGBs: number; fmaGflops: number; fmaIsa: string; threads: number };
  opTable(): { unary: string[]; binary: string[]; reduce: string[] };
  unary(op: number, out: Handle, x: Handle): void;
  binary(op: number, out: Handle, a: Handle, b: Handle): void;
  where(out: Handle, c: Handle, a: Handle, b: Handle): void;
  cast(out: Handle, x: Handle): void;
  fill(out: Handle): void;
  arange(out: Handle): void;
  reduce(op: number, out: Handle, x: Handle): void;
  softmax(out: Handle, x: Handle, log: boolean): void;
  gather(out: Handle, x: Handle, idx: Handle): void;
  scatterAdd(out: Handle, idx: Handle, src: Handle): void;
  random(out: Handle): void;
  matmul(out: Handle, a: Handle, b: Handle): void;
  /** Fused weighted MSE (native/addon/fused.cpp); returns the loss, writes perSample [B] and grad. */
  weightedMse(pred: Handle, target: Handle, weight: Handle, mask: Handle | null, grad: Handle | null, perSample: Handle): number;
  /** Fused sigmoid-weighted ELBO loss (ω_b from λ, dλ/dt in-kernel); returns the loss. */
  sigmoidElbo(pred: Handle, target: Handle, logsnr: Handle, dlogsnr: Handle, mask: Handle | null, grad: Handle | null, perSample: Handle): number;
  /** Fused CLD affine map + 2×2 Cholesky Philox noise. */
  cldAffine(outX: Handle, outV: Handle, epsX: Handle | null, epsV: Handle | null, x: Handle, v: Handle, s: Handle | null, coef: Handle): void;
  /** ISA of the fused CPU kernels ("avx2-fma" or "portable"). */
  fusedKernel(): string;
  /** Fused Adam/AdamW step in place (native/addon/optim.cpp); scratch: views p, g, m, v, [vmax]; lr, beta1, beta2, eps, weightDecay, decoupled, bc1, bc2. */
  adamStep(p: Handle, g: Handle, m: Handle, v: Handle, vmax: Handle | null): void;
  /** ISA of the fused Adam CPU kernel ("avx2" or "portable"). */
  optimKernel(): string;
  /** Sliding windows of x [N,C,H,W] into cols [N, C*kh*kw, oh*ow] (native/addon/conv.cpp); scratch: cols, x, geometry. */
  im2col(cols: Handle, x: Handle): void;
  /** Adjoint of im2col: dx [N,C,H,W] = sum of cols over the windows; scratch: dx, cols, geometry. */
  col2im(dx: Handle, cols: Handle): void;
}

const root = path.join(__dirname, '..', '..');
// A local source build wins over the prebuilt addon (docs/packaging.md).
const candidates = [
  process.env.TENSORDIFF_ADDON,
  path.join(root, 'build', 'Release', 'tensordiff.node'),
  path.join(root, 'build', 'Debug', 'tensordiff.node'),
  path.join(root, '.gpu', 'build', 'Release', 'tensordiff.node'),
].filter((p): p is string => !!p);

/** The prebuilt addon for this platform, arch and libc (node-gyp-build's prebuilds/ layout), or why there is none. */
function prebuild(): { file: string } | { why: string } {
  const dir = path.join(root, 'prebuilds');
  if (!fs.existsSync(dir)) return { why: `${dir} (not found)` };
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const ngb = require('node-gyp-build') as { path(dir: string): string };
    const file = ngb.path(root); // build/ holds no tensordiff.node here (checked above), so this is a prebuild
    return file.startsWith(dir + path.sep) ? { file } : { why: `${dir} (no prebuild for ${process.platform}-${process.arch})` };
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    return { why: `${dir} (${msg})` };
  }
}

function tryLoad(p: string, kind: string): NativeAddon {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const m = require(p) as NativeAddon;
    if (m.abiVersion !== 1) throw new Error(`addon ABI ${m.abiVersion}, expected 1 (rebuild it)`);
    return m;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(
      `tensordiff: the ${kind} at ${p} failed to load: ${msg}\n` +
        (kind === 'prebuilt addon'
          ? `Build it from source instead with \`TENSORDIFF_BUILD_FROM_SOURCE=1 npm rebuild tensordiff\` (needs a C++17 compiler and CMake, or python3 + make for node-gyp).`
          : `Rebuild it with \`npm run build:native\` (needs a C++17 compiler and CMake, or python3 + make for node-gyp).`),
    );
  }
}

function load(): NativeAddon {
  const tried: string[] = [];
  for (const p of candidates) {
    if (fs.existsSync(p)) return tryLoad(p, 'native addon');
    tried.push(`${p} (not found)`);
  }
  const pre = prebuild();
  if ('file' in pre) return tryLoad(pre.file, 'prebuilt addon');
  tried.push(pre.why);
  throw new Error(
    `tensordiff: the native addon is not built. Looked for:\n  ${tried.join('\n  ')}\n` +
      `Run \`npm install\` (or \`npm run build:native\`) in the tensordiff package folder; it needs a C++17 ` +
      `compiler and CMake (or python3 + make for node-gyp). Set TENSORDIFF_ADDON to load a .node from elsewhere.`,
  );
}

export const native: NativeAddon = load();

// ---- the metadata scratch (see native/addon/glue.h) ---------------------------------------------
const scratch = new Float64Array(4096);
native.setScratch(scratch);
let pos = 0;

/** Start packing the metadata of a new kernel call. */
export function begin(): void {
  pos = 0;
}
/** Pack one view: ndim, offset, shape, strides. */
export function packView(shape: readonly number[], strides: readonly number[], offset: number): void {
  const n = shape.length;
  scratch[pos++] = n;
  scratch[pos++] = offset;
  for (let i = 0; i < n; i++) scratch[pos++] = shape[i];
  for (let i = 0; i < n; i++) scratch[pos++] = strides[i];
}
/** Pack one scalar parameter. */
export function packNum(x: number): void {
  scratch[pos++] = x;
}
