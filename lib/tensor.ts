// tensor.ts — the Tensor class: a view (shape, strides, offset, dtype) onto a reference-counted
// native Storage, plus autograd fields. Op methods (t.add, t.sum, ...) are attached in methods.ts.
import { DType, TypedArray } from './dtype';
import { Device, Storage, Tracked, trackTensor, untrackTensor } from './memory';
import { begin, native, packView } from './native';
import { contiguousStrides, isContiguous, numelOf, shapeStr } from './shape';
import type { GradNode } from './autograd';

export type { Device } from './memory';
export type NestedArray = number | NestedArray[];

let nextId = 1;

export class Tensor implements Tracked {
  /** Unique id (for debugging and graph bookkeeping). */
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
  /** Where the elements live: 'cpu' (host memory) or 'cuda' (GPU memory). Ops keep their inputs' device. */
  readonly device: Device;
  /** Whether gradients are computed for this tensor (leaf) or flow through it (non-leaf). */
  requiresGrad = false;
  /** Accumulated gradient (leaves), after backward(). */
  grad: Tensor | null = null;
  /** The op that produced this tensor, when recorded for autograd. */
  gradFn: GradNode | null = null;
  /** @internal */ _storage: Storage | null;
  /** @internal */ _scope: Tracked[] | null = null;
  /** @internal */ _registered = false;
  /** @internal */ _pendingReg = false;
  /** @internal Set by a backward rule that hands this buffer over as a gradient: a leaf may adopt it without a copy. */
  _ownGrad = false;

  /** @internal Use the creation functions (tensor, zeros, ...) instead. */
  constructor(storage: Storage, shape: readonly number[], strides: readonly number[], offset: number) {
    this._storage = storage;
    this.shape = shape;
    this.strides = strides;
    this.offset = offset;
    this.dtype = storage.dtype;
    this.device = storage.device;
    trackTensor(this, storage);
  }

  /** @internal A fresh contiguous tensor (uninitialised memory) on `device`. */
  static empty(shape: readonly number[], dtype: DType, device: Device = 'cpu'): Tensor {
    return new Tensor(Storage.alloc(numelOf(shape), dtype, device), shape, contiguousStrides(shape), 0);
  }

  get ndim(): number {
    return this.shape.length;
  }
  get numel(): number {
    return numelOf(this.shape);
  }
  /** Alias of numel (PyTorch's numel(), TF.js's size). */
  get size(): number {
    return numelOf(this.shape);
  }
  get isDisposed(): boolean {
    return this._storage === null;
  }
  /** True for tensors created by the user (not by a recorded op). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }
  isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }

  /** @internal The live storage; throws if disposed. */
  _live(op: string): Storage {
    const s = this._storage;
    if (!s || !s.handle) throw new Error(`${op}: tensor ${shapeStr(this.shape)} ${this.dtype} was already disposed`);
    return s;
  }

  /** Free this tensor's reference to its storage now. Idempotent. */
  dispose(): void {
    const s = this._storage;
    if (!s) return;
    this._storage = null;
    // gradFn stays: a disposed intermediate still routes gradients to its inputs in backward(), and a
    // backward rule that needs its freed storage throws (autograd.ts) instead of dropping the gradient.
    untrackTensor(this, s);
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** @internal A contiguous copy of the logical elements as a handle + offset to read from. */
  private _readable(op: string): { t: Tensor; temp: boolean } {
    this._live(op);
    if (this.isContiguous()) return { t: this, temp: false };
    const c = Tensor.empty(this.shape, this.dtype, this.device);
    begin();
    packView(c.shape, c.strides, 0);
    packView(this.shape, this.strides, this.offset);
    native.cast(c._storage!.handle!, this._storage!.handle!);
    return { t: c, temp: true };
  }

  /**
   * A typed-array copy of the elements in row-major order. For a CUDA tensor this waits for the GPU
   * (the queued kernels, then the copy) on the JS thread.
   */
  dataSync(): TypedArray {
    const { t, temp } = this._readable('dataSync');
    try {
      return native.read(t._storage!.handle!, t.offset, this.numel);
    } finally {
      if (temp) t.dispose();
    }
  }

  /**
   * Like dataSync(), but the copy happens on a worker thread; the event loop keeps running. For a CUDA
   * tensor the worker waits for the GPU, so `await t.data()` is the way to synchronise without blocking.
   */
  async data(): Promise<TypedArray> {
    const { t, temp } = this._readable('data');
    const s = t._storage!;
    s.retain(); // keep the storage alive until the copy is done, even if the tensor is disposed
    try {
      return await native.readAsync(s.handle!, t.offset, this.numel);
    } finally {
      s.release();
      if (temp) t.dispose();
    }
  }

  /** Nested JS arrays (a number for 0-d tensors). */
  toArray(): NestedArray {
    const flat = this.dataSync();
    if (this.ndim === 0) return flat[0];
    const build = (dim: number, off: number): NestedArray[] => {
      const n = this.shape[dim];
      const out: NestedArray[] = new Array(n);
      if (dim === this.ndim - 1) {
        for (let i = 0; i < n; i++) out[i] = flat[off + i];
        return out;
      }
      const step = numelOf(this.shape.slice(dim + 1));
      for (let i = 0; i < n; i++) out[i] = build(dim + 1, off + i * step);
      return out;
    };
    return build(0, 0);
  }

  /** The value of a one-element tensor. */
  item(): number {
    this._live('item');
    if (this.numel !== 1) throw new RangeError(`item: tensor has ${this.numel} elements (shape ${shapeStr(this.shape)}), expected 1`);
    return native.read(this._storage!.handle!, this.offset, 1)[0];
  }

  toString(): string {
    if (this.isDisposed) return `Tensor(disposed, ${shapeStr(this.shape)}, ${this.dtype})`;
    const body = this.numel <= 64 ? JSON.stringify(this.toArray()) : `<${this.numel} elements>`;
    const dev = this.device === 'cpu' ? '' : `, device=${this.device}`;
    return `Tensor(${body}, shape=${shapeStr(this.shape)}, dtype=${this.dtype}${dev}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** @internal Throws TypeError unless x is a live tensor. */
export function checkTensor(op: string, x: unknown, name = 'input'): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  x._live(op);
  return x;
}
