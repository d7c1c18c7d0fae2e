// creation.ts — making tensors: tensor() from nested arrays or typed arrays, zeros/ones/full,
// arange/linspace/eye, and the Philox-seeded rand/randn/randint.
import { DType, dtypeOfArray, isFloat, typedArrayFor } from '../dtype';
import { native } from '../native';
import { nextDraw } from '../random';
import { checkShape, contiguousStrides, MAX_DIMS, numelOf } from '../shape';
import { checkDevice } from '../device';
import { Device } from '../memory';
import { NestedArray, Tensor } from '../tensor';
import { begin, packNum } from '../native';
import { fillK, fullK, h, pack, randomK } from './kernel';
import { checkDType, checkNumber, checkTensor } from './util';
import { viewOf } from './views';

export interface CreateOptions {
  /** Element type (default float32; tensor() of a typed array keeps the array's type). */
  dtype?: DType;
  /**
   * 'cpu' (default) or 'cuda' ('cuda:0'): where the tensor's memory lives. Asking for 'cuda' where it
   * cannot be used throws an Error that says why (not compiled in, no driver, no device).
   */
  device?: string;
  requiresGrad?: boolean;
}

export interface RandomOptions extends CreateOptions {
  /** Draw from this seed (offset 0) instead of advancing the global generator. */
  seed?: number | bigint;
}

type Checked = CreateOptions & { dev: Device };

function opts(op: string, o: unknown): Checked {
  if (o === undefined || o === null) return { dev: 'cpu' };
  if (typeof o !== 'object') throw new TypeError(`${op}: options must be an object`);
  const c = o as CreateOptions;
  if (c.dtype !== undefined) checkDType(op, c.dtype);
  const dev: Device = c.device === undefined || c.device === 'cpu' ? 'cpu' : checkDevice(op, c.device);
  if (c.requiresGrad !== undefined && typeof c.requiresGrad !== 'boolean') throw new TypeError(`${op}: requiresGrad must be a boolean`);
  return { ...c, dev };
}

function finish(op: string, t: Tensor, o: CreateOptions): Tensor {
  if (o.requiresGrad) {
    if (!isFloat(t.dtype)) {
      t.dispose();
      throw new TypeError(`${op}: only float tensors can require gradients (dtype ${t.dtype})`);
    }
    t.requiresGrad = true;
  }
  return t;
}

function inferShape(op: string, data: unknown): number[] {
  const shape: number[] = [];
  let cur: unknown = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    if (shape.length > MAX_DIMS) throw new RangeError(`${op}: at most ${MAX_DIMS} dims are supported`);
    if (cur.length === 0) break;
    cur = cur[0];
  }
  return shape;
}

function flattenInto(op: string, data: unknown, shape: number[], dim: number, out: number[]): void {
  if (dim === shape.length) {
    if (typeof data !== 'number' && typeof data !== 'boolean')
      throw new TypeError(`${op}: expected numbers in nested arrays, found ${data === null ? 'null' : typeof data}`);
    out.push(Number(data));
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[dim])
    throw new RangeError(`${op}: ragged nested array: expected length ${shape[dim]} at depth ${dim}`);
  for (const v of data) flattenInto(op, v, shape, dim + 1, out);
}

/**
 * A tensor from a number, nested arrays of numbers, or a typed array (1-D, or `shape` in options).
 * Numbers default to float32; Float64Array / Int32Array keep their type.
 */
export function tensor(data: NestedArray | Float32Array | Float64Array | Int32Array | boolean, o: CreateOptions & { shape?: number[] } = {}): Tensor {
  const c = opts('tensor', o);
  const arrType = dtypeOfArray(data);
  let shape: number[];
  let flat: ArrayLike<number>;
  if (arrType) {
    flat = data as ArrayLike<number>;
    shape = o.shape ? checkShape('tensor', o.shape) : [flat.length];
    if (numelOf(shape) !== flat.length) throw new RangeError(`tensor: shape ${JSON.stringify(shape)} does not hold ${flat.length} elements`);
  } else if (ArrayBuffer.isView(data)) {
    throw new TypeError('tensor: typed arrays must be Float32Array, Float64Array or Int32Array');
  } else if (typeof data === 'number' || typeof data === 'boolean' || Array.isArray(data)) {
    shape = inferShape('tensor', data);
    const list: number[] = [];
    flattenInto('tensor', data, shape, 0, list);
    flat = list;
    if (o.shape) {
      const s = checkShape('tensor', o.shape);
      if (numelOf(s) !== list.length) throw new RangeError(`tensor: shape ${JSON.stringify(s)} does not hold ${list.length} elements`);
      shape = s;
    }
  } else {
    throw new TypeError(`tensor: data must be a number, a nested array or a typed array, got ${data === null ? 'null' : typeof data}`);
  }
  checkShape('tensor', shape);
  const dtype: DType = c.dtype ?? arrType ?? 'float32';
  const t = Tensor.empty(shape, dtype, c.dev);
  const Ctor = typedArrayFor(dtype);
  const buf = arrType === dtype ? (flat as Float32Array) : Ctor.from(flat as ArrayLike<number>);
  if (buf.length) native.write(h(t), buf, 0);
  return finish('tensor', t, c);
}

function fullNamed(op: string, shape: readonly number[], value: number, o: CreateOptions): Tensor {
  const c = opts(op, o);
  const s = checkShape(op, shape);
  checkNumber(op, value);
  return finish(op, fullK(s, value, c.dtype ?? 'float32', c.dev), c);
}
function like(op: string, x: Tensor, v: number, o: CreateOptions): Tensor {
  const t = checkTensor(op, x);
  return fullNamed(op, t.shape, v, { dtype: t.dtype, device: t.device, ...o });
}
/** A tensor of `value` everywhere. */
export const full = (shape: readonly number[], value: number, o: CreateOptions = {}): Tensor => fullNamed('full', shape, value, o);
export const zeros = (shape: readonly number[], o: CreateOptions = {}): Tensor => fullNamed('zeros', shape, 0, o);
export const ones = (shape: readonly number[], o: CreateOptions = {}): Tensor => fullNamed('ones', shape, 1, o);
export const zerosLike = (x: Tensor, o: CreateOptions = {}): Tensor => like('zerosLike', x, 0, o);
export const onesLike = (x: Tensor, o: CreateOptions = {}): Tensor => like('onesLike', x, 1, o);
export const fullLike = (x: Tensor, v: number, o: CreateOptions = {}): Tensor => like('fullLike', x, v, o);

/**
 * Values start, start+step, ... below end. arange(n) is 0..n-1. dtype defaults to int32 when every
 * argument is an integer, float32 otherwise.
 */
export function arange(start: number, end?: number, step = 1, o: CreateOptions = {}): Tensor {
  const c = opts('arange', o);
  if (end === undefined) { end = start; start = 0; }
  checkNumber('arange', start, 'start');
  checkNumber('arange', end, 'end');
  checkNumber('arange', step, 'step');
  if (step === 0 || !Number.isFinite(step) || !Number.isFinite(start) || !Number.isFinite(end))
    throw new RangeError(`arange: start, end and step must be finite and step nonzero (got ${start}, ${end}, ${step})`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const dtype = c.dtype ?? (Number.isInteger(start) && Number.isInteger(end) && Number.isInteger(step) ? 'int32' : 'float32');
  const t = Tensor.empty(checkShape('arange', [n]), dtype, c.dev);
  begin();
  pack(t);
  packNum(start);
  packNum(step);
  native.arange(h(t));
  return finish('arange', t, c);
}

/** `steps` evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, steps: number, o: CreateOptions = {}): Tensor {
  const c = opts('linspace', o);
  checkNumber('linspace', start, 'start');
  checkNumber('linspace', end, 'end');
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`linspace: steps must be a non-negative integer, got ${steps}`);
  const t = Tensor.empty(checkShape('linspace', [steps]), c.dtype ?? 'float32', c.dev);
  begin();
  pack(t);
  packNum(start);
  packNum(steps > 1 ? (end - start) / (steps - 1) : 0);
  native.arange(h(t));
  if (steps > 1) {
    // make the last value exactly `end`
    const last = viewOf(t, [1], [1], steps - 1);
    fillK(last, end);
    last.dispose();
  }
  return finish('linspace', t, c);
}

/** Identity matrix [n, m] (m defaults to n). */
export function eye(n: number, m?: number, o: CreateOptions = {}): Tensor {
  const c = opts('eye', o);
  const cols = m ?? n;
  const s = checkShape('eye', [n, cols]);
  const t = fullK(s, 0, c.dtype ?? 'float32', c.dev);
  const k = Math.min(n, cols);
  if (k > 0) {
    const diag = viewOf(t, [k], [cols + 1], 0);
    fillK(diag, 1);
    diag.dispose();
  }
  return finish('eye', t, c);
}

function randomOpts(op: string, o: unknown): RandomOptions & Checked {
  return opts(op, o) as RandomOptions & Checked;
}

/** Uniform samples in [0, 1). */
export function rand(shape: readonly number[], o: RandomOptions = {}): Tensor {
  const c = randomOpts('rand', o);
  const dt = c.dtype ?? 'float32';
  if (dt === 'int32') throw new TypeError('rand: dtype must be float32 or float64 (use randint for integers)');
  return finish('rand', randomK(checkShape('rand', shape), dt, 0, nextDraw('rand', c.seed), 0, 1, c.dev), c);
}

/** Standard normal samples (Box–Muller over Philox 4x32-10). */
export function randn(shape: readonly number[], o: RandomOptions = {}): Tensor {
  const c = randomOpts('randn', o);
  const dt = c.dtype ?? 'float32';
  if (dt === 'int32') throw new TypeError('randn: dtype must be float32 or float64');
  return finish('randn', randomK(checkShape('randn', shape), dt, 1, nextDraw('randn', c.seed), 0, 1, c.dev), c);
}

/** Integers uniform in [low, high) (int32 by default). */
export function randint(low: number, high: number, shape: readonly number[], o: RandomOptions = {}): Tensor {
  const c = randomOpts('randint', o);
  if (!Number.isInteger(low) || !Number.isInteger(high)) throw new TypeError('randint: low and high must be integers');
  if (high <= low) throw new RangeError(`randint: high (${high}) must be greater than low (${low})`);
  const dt = c.dtype ?? 'int32';
  const maxRange = dt === 'float64' ? 2 ** 53 : 2 ** 32;
  if (high - low > maxRange) throw new RangeError(`randint: the range high - low must be at most ${dt === 'float64' ? '2^53' : '2^32'} for ${dt}`);
  return finish('randint', randomK(checkShape('randint', shape), c.dtype ?? 'int32', 2, nextDraw('randint', c.seed), low, high, c.dev), c);
}

/** @internal */
export { contiguousStrides, fillK };
