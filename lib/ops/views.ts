// views.ts — zero-copy views (reshape/view, transpose, permute, expand, squeeze, unsqueeze,
// flatten, narrow, slice) and copies (contiguous, clone, detach), with their gradients.
import { record } from '../autograd';
import { MAX_DIMS, broadcastShapes, checkShape, contiguousStrides, isContiguous, normDim, numelOf, sameShape, shapeStr } from '../shape';
import { Tensor } from '../tensor';
import { castK, copyInto, fullK } from './kernel';
import { checkTensor } from './util';

/** @internal A view sharing x's storage. */
export function viewOf(x: Tensor, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
  return new Tensor(x._storage!, shape, strides, offset);
}

function resolveShape(op: string, x: Tensor, shapeIn: unknown): number[] {
  if (!Array.isArray(shapeIn)) throw new TypeError(`${op}: shape must be an array of integers`);
  const shape = shapeIn.slice() as number[];
  let infer = -1;
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === -1) {
      if (infer >= 0) throw new RangeError(`${op}: only one dim can be -1 in ${JSON.stringify(shapeIn)}`);
      infer = i;
    }
  }
  if (infer >= 0) {
    const rest = numelOf(shape.filter((_, i) => i !== infer));
    checkShape(op, shape.map((s, i) => (i === infer ? 0 : s)));
    if (rest === 0 || x.numel % rest !== 0)
      throw new RangeError(`${op}: cannot reshape ${shapeStr(x.shape)} (${x.numel} elements) into ${JSON.stringify(shapeIn)}`);
    shape[infer] = x.numel / rest;
  }
  checkShape(op, shape);
  if (numelOf(shape) !== x.numel)
    throw new RangeError(`${op}: cannot reshape ${shapeStr(x.shape)} (${x.numel} elements) into ${shapeStr(shape)}`);
  return shape;
}

/** Reshape; a view when x is contiguous, otherwise a copy. -1 infers one dim. */
export function reshape(xIn: Tensor, shapeIn: readonly number[]): Tensor {
  const x = checkTensor('reshape', xIn);
  const shape = resolveShape('reshape', x, shapeIn);
  const src = x.isContiguous() ? x : contiguous(x);
  const y = viewOf(src, shape, contiguousStrides(shape), src.offset);
  return record(y, 'reshape', [src], (g) => [reshape(g, src.shape)]);
}

/** Like reshape, but throws instead of copying when x is not contiguous. */
export function view(xIn: Tensor, shapeIn: readonly number[]): Tensor {
  const x = checkTensor('view', xIn);
  if (!x.isContiguous())
    throw new RangeError(`view: tensor ${shapeStr(x.shape)} with strides ${shapeStr(x.strides)} is not contiguous; use reshape() or contiguous() first`);
  return reshape(x, shapeIn);
}

/** Swap two dims (a view). */
export function transpose(xIn: Tensor, d0 = -2, d1 = -1): Tensor {
  const x = checkTensor('transpose', xIn);
  if (x.ndim < 2 && d0 === -2 && d1 === -1) return permute(x, x.ndim === 1 ? [0] : []);
  const a = normDim('transpose', d0, x.ndim), b = normDim('transpose', d1, x.ndim);
  const perm = Array.from({ length: x.ndim }, (_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** Reorder dims (a view): result dim i is x's dim perm[i]. */
export function permute(xIn: Tensor, perm: readonly number[]): Tensor {
  const x = checkTensor('permute', xIn);
  if (!Array.isArray(perm) || perm.length !== x.ndim)
    throw new RangeError(`permute: expected ${x.ndim} dims for a tensor of shape ${shapeStr(x.shape)}, got ${JSON.stringify(perm)}`);
  const p = perm.map((d) => normDim('permute', d, x.ndim));
  if (new Set(p).size !== p.length) throw new RangeError(`permute: ${JSON.stringify(perm)} repeats a dim`);
  const y = viewOf(x, p.map((d) => x.shape[d]), p.map((d) => x.strides[d]), x.offset);
  const inv = new Array<number>(p.length);
  p.forEach((d, i) => (inv[d] = i));
  return record(y, 'permute', [x], (g) => [permute(g, inv)]);
}

/** Broadcast to a larger shape without copying (-1 keeps a dim). */
export function expand(xIn: Tensor, shapeIn: readonly number[]): Tensor {
  const x = checkTensor('expand', xIn);
  if (!Array.isArray(shapeIn)) throw new TypeError('expand: shape must be an array of integers');
  if (shapeIn.length < x.ndim) throw new RangeError(`expand: cannot expand ${shapeStr(x.shape)} to fewer dims ${JSON.stringify(shapeIn)}`);
  const lead = shapeIn.length - x.ndim;
  const shape = checkShape('expand', shapeIn.map((s, i) => (s === -1 && i >= lead ? x.shape[i - lead] : s)));
  const strides = shape.map((s, i) => {
    if (i < lead) return 0;
    const xs = x.shape[i - lead];
    if (xs === s) return x.strides[i - lead];
    if (xs === 1) return 0;
    throw new RangeError(`expand: cannot expand ${shapeStr(x.shape)} to ${shapeStr(shape)} (dim ${i}: ${xs} vs ${s})`);
  });
  if (sameShape(shape, x.shape)) return x;
  const y = viewOf(x, shape, strides, x.offset);
  return record(y, 'expand', [x], (g) => [g]); // the engine sums g back to x's shape
}

/** Expand x to the broadcast shape of x and `shape`. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  return expand(x, broadcastShapes('broadcastTo', x.shape, shape));
}

/** Remove size-1 dims (all, or the given one). */
export function squeeze(xIn: Tensor, dim?: number): Tensor {
  const x = checkTensor('squeeze', xIn);
  let keep: number[];
  if (dim === undefined) keep = x.shape.map((_, i) => i).filter((i) => x.shape[i] !== 1);
  else {
    const d = normDim('squeeze', dim, x.ndim);
    keep = x.shape.map((_, i) => i).filter((i) => i !== d || x.shape[i] !== 1);
  }
  if (keep.length === x.ndim) return x;
  const y = viewOf(x, keep.map((i) => x.shape[i]), keep.map((i) => x.strides[i]), x.offset);
  return record(y, 'squeeze', [x], (g) => [reshape(g, x.shape)]);
}

/** Insert a size-1 dim at `dim` (in [-ndim-1, ndim]). */
export function unsqueeze(xIn: Tensor, dim: number): Tensor {
  const x = checkTensor('unsqueeze', xIn);
  if (x.ndim >= MAX_DIMS) throw new RangeError(`unsqueeze: tensors have at most ${MAX_DIMS} dims, got shape ${shapeStr(x.shape)}`);
  const d = normDim('unsqueeze', dim, x.ndim, true);
  const shape = [...x.shape.slice(0, d), 1, ...x.shape.slice(d)];
  const inner = d < x.ndim ? x.strides[d] * x.shape[d] : 1;
  const strides = [...x.strides.slice(0, d), inner, ...x.strides.slice(d)];
  const y = viewOf(x, shape, strides, x.offset);
  return record(y, 'unsqueeze', [x], (g) => [reshape(g, x.shape)]);
}

/** Merge dims start..end into one. */
export function flatten(xIn: Tensor, start = 0, end = -1): Tensor {
  const x = checkTensor('flatten', xIn);
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normDim('flatten', start, x.ndim), e = normDim('flatten', end, x.ndim);
  if (s > e) throw new RangeError(`flatten: start dim ${start} comes after end dim ${end}`);
  const shape = [...x.shape.slice(0, s), numelOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

/** Elements start..start+length-1 along dim (a view). */
export function narrow(xIn: Tensor, dim: number, start: number, length: number): Tensor {
  const x = checkTensor('narrow', xIn);
  if (x.ndim === 0) throw new RangeError('narrow: cannot narrow a 0-d tensor');
  const d = normDim('narrow', dim, x.ndim);
  const n = x.shape[d];
  if (!Number.isInteger(start) || !Number.isInteger(length)) throw new TypeError('narrow: start and length must be integers');
  const s = start < 0 ? start + n : start;
  if (s < 0 || length < 0 || s + length > n)
    throw new RangeError(`narrow: [${start}, ${start}+${length}) is out of range for dim ${d} of size ${n} (shape ${shapeStr(x.shape)})`);
  return sliceView(x, d, s, length, 1);
}

/** Python-style slice start:end:step along dim (a view; negative indices count from the end). */
export function slice(xIn: Tensor, dim: number, start = 0, end?: number, step = 1): Tensor {
  const x = checkTensor('slice', xIn);
  if (x.ndim === 0) throw new RangeError('slice: cannot slice a 0-d tensor');
  const d = normDim('slice', dim, x.ndim);
  if (!Number.isInteger(step) || step < 1) throw new RangeError(`slice: step must be a positive integer, got ${step}`);
  if (!Number.isInteger(start) || (end !== undefined && !Number.isInteger(end))) throw new TypeError('slice: start and end must be integers');
  const n = x.shape[d];
  const clampI = (i: number) => Math.min(Math.max(i < 0 ? i + n : i, 0), n);
  const s = clampI(start), e = end === undefined ? n : clampI(end);
  const len = e > s ? Math.ceil((e - s) / step) : 0;
  return sliceView(x, d, s, len, step);
}

function sliceView(x: Tensor, d: number, s: number, len: number, step: number): Tensor {
  const shape = x.shape.slice();
  shape[d] = len;
  const strides = x.strides.slice();
  strides[d] = x.strides[d] * step;
  const y = viewOf(x, shape, strides, x.offset + (len > 0 ? s * x.strides[d] : 0));
  return record(y, 'slice', [x], (g) => {
    const gx = fullK(x.shape, 0, g.dtype, g.device);
    const sh = x.shape.slice();
    sh[d] = len;
    const st = gx.strides.slice();
    st[d] *= step;
    const dst = viewOf(gx, sh, st, s * gx.strides[d]);
    copyInto(dst, g);
    dst.dispose();
    return [gx];
  });
}

/** x itself when contiguous, else a contiguous copy. */
export function contiguous(xIn: Tensor): Tensor {
  const x = checkTensor('contiguous', xIn);
  if (x.isContiguous()) return x;
  return clone(x);
}

/** A contiguous copy (gradient flows through). */
export function clone(xIn: Tensor): Tensor {
  const x = checkTensor('clone', xIn);
  const y = castK(x, x.dtype);
  return record(y, 'clone', [x], (g) => [g]);
}

/** A tensor sharing x's storage, cut from the graph. */
export function detach(xIn: Tensor): Tensor {
  const x = checkTensor('detach', xIn);
  return viewOf(x, x.shape, x.strides, x.offset);
}

export { isContiguous };
