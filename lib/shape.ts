// shape.ts — shape arithmetic: sizes, contiguous strides, broadcasting, dim normalisation, and the
// argument checks shared by every op (all errors name the op).

export type Shape = readonly number[];

export const MAX_DIMS = 8;

export function numelOf(shape: Shape): number {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}

export function contiguousStrides(shape: Shape): number[] {
  const st = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= shape[i];
  }
  return st;
}

export function isContiguous(shape: Shape, strides: Shape): boolean {
  let expect = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== expect) return false;
    expect *= shape[i];
  }
  return true;
}

export function shapeStr(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Broadcast two shapes (NumPy rules); throws RangeError naming the op. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i - (n - a.length) >= 0 ? a[i - (n - a.length)] : 1;
    const db = i - (n - b.length) >= 0 ? b[i - (n - b.length)] : 1;
    if (da !== db && da !== 1 && db !== 1)
      throw new RangeError(`${op}: shapes ${shapeStr(a)} and ${shapeStr(b)} cannot be broadcast together (dim ${i}: ${da} vs ${db})`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides that present (shape, strides) broadcast to `target` (0 strides on broadcast dims). */
export function broadcastStrides(shape: Shape, strides: Shape, target: Shape): number[] {
  const out = new Array<number>(target.length).fill(0);
  const off = target.length - shape.length;
  for (let i = 0; i < shape.length; i++) out[i + off] = shape[i] === 1 && target[i + off] !== 1 ? 0 : strides[i];
  return out;
}

/** Normalise a possibly negative dim into [0, ndim). */
export function normDim(op: string, dim: unknown, ndim: number, allowEnd = false): number {
  if (typeof dim !== 'number' || !Number.isInteger(dim))
    throw new TypeError(`${op}: dim must be an integer, got ${String(dim)}`);
  const n = allowEnd ? ndim + 1 : ndim;
  const lo = -Math.max(n, 1), hi = Math.max(n, 1) - 1;
  if (dim < lo || dim > hi) throw new RangeError(`${op}: dim ${dim} is out of range for a tensor of ${ndim} dims`);
  return dim < 0 ? dim + Math.max(n, 1) : dim;
}

/** Normalise a dim list (or all dims when undefined), sorted and without duplicates. */
export function normDims(op: string, dims: number | readonly number[] | undefined | null, ndim: number): number[] {
  if (dims === undefined || dims === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof dims === 'number' ? [dims] : dims;
  if (!Array.isArray(list)) throw new TypeError(`${op}: dims must be an integer or an array of integers`);
  const out = list.map((d) => (ndim === 0 ? (normDim(op, d, 0), 0) : normDim(op, d, ndim)));
  const uniq = [...new Set(out)].sort((x, y) => x - y);
  if (uniq.length !== out.length) throw new RangeError(`${op}: dim ${JSON.stringify(list)} repeats a dim`);
  return ndim === 0 ? [] : uniq;
}

/** Check a user shape: an array of non-negative integers, at most MAX_DIMS long. */
export function checkShape(op: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw new TypeError(`${op}: shape must be an array of integers, got ${typeof shape}`);
  if (shape.length > MAX_DIMS) throw new RangeError(`${op}: at most ${MAX_DIMS} dims are supported, got ${shape.length}`);
  for (const s of shape)
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 0)
      throw new RangeError(`${op}: shape ${JSON.stringify(shape)} must hold non-negative integers`);
  if (numelOf(shape) > 2 ** 31 - 1) throw new RangeError(`${op}: shape ${shapeStr(shape)} has more than 2^31-1 elements`);
  return shape.slice();
}
