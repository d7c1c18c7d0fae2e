// memory.ts — deterministic memory: reference-counted storages, tidy() scopes, keep(), the
// FinalizationRegistry of last resort, and memory() statistics.
import { bytesPer, dtypeCode, DType } from './dtype';
import { Handle, native } from './native';

/** Where a tensor's memory lives: host memory, or the GPU's (the CUDA backend). */
export type Device = 'cpu' | 'cuda';

/** A native buffer shared by a tensor and its views; freed when the last one is disposed. */
export class Storage {
  refs = 0;
  constructor(
    public handle: Handle | null,
    readonly numel: number,
    readonly dtype: DType,
    readonly device: Device = 'cpu',
  ) {}
  static alloc(numel: number, dtype: DType, device: Device = 'cpu'): Storage {
    if (device === 'cpu') return new Storage(native.alloc(dtypeCode(dtype), numel), numel, dtype);
    return new Storage(native.alloc(dtypeCode(dtype), numel, 1), numel, dtype, device);
  }
  get bytes(): number {
    return this.numel * bytesPer(this.dtype);
  }
  retain(): void {
    this.refs++;
  }
  release(): void {
    if (--this.refs === 0 && this.handle) {
      native.free(this.handle);
      this.handle = null;
    }
  }
}

/** What a scope needs of a tensor. */
export interface Tracked {
  dispose(): void;
  readonly isDisposed: boolean;
  _scope: Tracked[] | null;
  /** Registered with the FinalizationRegistry (only tensors outside every tidy scope are). */
  _registered: boolean;
  /** Waiting in the deferred-registration queue. */
  _pendingReg: boolean;
  _storage: Storage | null;
}

let liveTensors = 0;
const scopes: Tracked[][] = [];

// Tensors dropped without dispose(): release their storage reference when collected.
const registry = new FinalizationRegistry<Storage>((s) => {
  liveTensors--;
  s.release();
});

// Tensors inside a tidy() scope are freed deterministically when it ends, so they skip the
// (costly) registry until they leave every scope (returned to the top level, or keep()).
// Registration is also deferred: a tensor outside every scope goes to `pending`, and a microtask (or
// a full queue) registers the ones still alive. A tensor disposed before then never touches the
// registry (register + unregister cost ~0.4 µs, a third of a tiny op). Finalizers only run between
// tasks anyway, so deferring to the end of the current synchronous run frees nothing later.
const pending: Tracked[] = [];
let flushQueued = false;
const kPendingMax = 4096;
function flushPending(): void {
  flushQueued = false;
  for (const t of pending) {
    if (!t._pendingReg) continue; // disposed meanwhile
    t._pendingReg = false;
    if (t._storage && !t.isDisposed) {
      t._registered = true;
      registry.register(t, t._storage, t);
    }
  }
  pending.length = 0;
}
function register(t: Tracked): void {
  if (t._registered || t._pendingReg || !t._storage) return;
  t._pendingReg = true;
  pending.push(t);
  if (pending.length >= kPendingMax) flushPending();
  else if (!flushQueued) {
    flushQueued = true;
    queueMicrotask(flushPending);
  }
}

/** Called by the Tensor constructor. */
export function trackTensor(t: Tracked, storage: Storage): void {
  liveTensors++;
  storage.retain();
  const top = scopes.length ? scopes[scopes.length - 1] : null;
  if (top) {
    top.push(t);
    t._scope = top;
  } else register(t);
}
/** Called by Tensor.dispose(). */
export function untrackTensor(t: Tracked, storage: Storage): void {
  liveTensors--;
  if (t._pendingReg) t._pendingReg = false;
  else if (t._registered) registry.unregister(t);
  storage.release();
}

function collect(x: unknown, out: Set<Tracked>, depth = 0): void {
  if (x === null || typeof x !== 'object' || depth > 4) return;
  if ('_scope' in (x as object) && typeof (x as Tracked).dispose === 'function') {
    out.add(x as Tracked);
    return;
  }
  if (Array.isArray(x)) for (const v of x) collect(v, out, depth + 1);
  else if (Object.getPrototypeOf(x) === Object.prototype) for (const v of Object.values(x as object)) collect(v, out, depth + 1);
}

/**
 * Runs `fn` and disposes every tensor created inside it that is not part of its result (a tensor,
 * or arrays / plain objects of tensors). Returned tensors move to the enclosing scope.
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError('tidy: expected a function');
  const scope: Tracked[] = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) if (t._scope === scope && !t.isDisposed) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const t of scope) if (t._scope === scope && !t.isDisposed) t.dispose();
    throw new TypeError('tidy: fn must be synchronous (it returned a Promise)');
  }
  const keepSet = new Set<Tracked>();
  collect(result, keepSet);
  const parent = scopes.length ? scopes[scopes.length - 1] : null;
  for (const t of scope) {
    if (t._scope !== scope) continue; // kept or moved
    if (keepSet.has(t)) {
      t._scope = parent;
      if (parent) parent.push(t);
      else register(t);
    } else if (!t.isDisposed) t.dispose();
  }
  return result;
}

/** Exempts a tensor from the enclosing tidy() scopes; it lives until dispose() or GC. */
export function keep<T extends Tracked>(t: T): T {
  t._scope = null;
  register(t);
  return t;
}

/** Dispose tensors (or arrays / objects of tensors). */
export function dispose(x: unknown): void {
  const s = new Set<Tracked>();
  collect(x, s);
  for (const t of s) t.dispose();
}

/** GPU memory, as the CUDA caching allocator sees it. */
export interface CudaMemoryInfo {
  /** GPU storages alive. */
  storages: number;
  /** Bytes requested by live GPU storages. */
  bytes: number;
  /** Bytes obtained from the driver (cudaMalloc) and not given back: in use + cached. */
  reservedBytes: number;
  /** Bytes of the blocks handed to live storages (rounded up to their size class). */
  inUseBytes: number;
  /** Idle blocks kept for reuse; `cuda.emptyCache()` returns them to the driver. */
  cachedBytes: number;
}

export interface MemoryInfo {
  /** Tensors (including views) not yet disposed or collected. */
  tensors: number;
  /** Native storages alive (host memory; GPU storages are counted in `cuda`). */
  storages: number;
  /** Bytes held by live host storages. */
  bytes: number;
  /** Bytes the host allocator keeps for reuse. */
  cachedBytes: number;
  /** The GPU's share (all zero when CUDA is not in use). */
  cuda: CudaMemoryInfo;
}

/** Live tensor count and native bytes, on the host and on the GPU. */
export function memory(): MemoryInfo {
  const s = native.memStats();
  const c = s.cuda;
  const cuda: CudaMemoryInfo = c
    ? { storages: c.storages, bytes: c.bytes, reservedBytes: c.reservedBytes, inUseBytes: c.inUseBytes, cachedBytes: c.cachedBytes }
    : { storages: 0, bytes: 0, reservedBytes: 0, inUseBytes: 0, cachedBytes: 0 };
  return { tensors: liveTensors, storages: s.liveStorages, bytes: s.liveBytes, cachedBytes: s.cachedBytes, cuda };
}

/** Return the host allocator's idle buffers to the system. */
export function emptyCache(): void {
  native.emptyCache();
}
