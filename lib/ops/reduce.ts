// reduce.ts — reductions over one or more dims with keepdim: sum mean amax amin max min argmax
// argmin var std logsumexp norm prod, and their gradients.
import { record } from '../autograd';
import { normDims, shapeStr } from '../shape';
import { Tensor } from '../tensor';
import { binaryK, castK, reduceK, unaryK } from './kernel';
import { B, R, U } from './opTable';
import { cast, checkTensor } from './util';
import { add, div, sub, sqrt, log, exp, abs, pow, square } from './elementwise';
import { expand, reshape, detach } from './views';

export type Dims = number | readonly number[] | null | undefined;

export interface ReduceOptions {
  keepdim?: boolean;
}

function keptShape(x: Tensor, dims: readonly number[]): number[] {
  return x.shape.map((s, i) => (dims.includes(i) ? 1 : s));
}

/** Reshape a reduced result (dims removed) to keepdim form or leave it. */
function finish(r: Tensor, x: Tensor, dims: readonly number[], keepdim: boolean): Tensor {
  return keepdim ? reshape(r, keptShape(x, dims)) : r;
}

function parse(op: string, xIn: unknown, dim: Dims): { x: Tensor; dims: number[] } {
  const x = checkTensor(op, xIn);
  return { x, dims: normDims(op, dim, x.ndim) };
}

function checkNonEmpty(op: string, x: Tensor, dims: readonly number[]): void {
  for (const d of dims)
    if (x.shape[d] === 0) throw new RangeError(`${op}: cannot reduce over dim ${d} of size 0 (shape ${shapeStr(x.shape)})`);
}

/** Sum over dims (all when omitted). */
export function sum(xIn: Tensor, dim?: Dims, keepdim = false): Tensor {
  const { x, dims } = parse('sum', xIn, dim);
  const r = reduceK(R.SUM, x, dims);
  const y = record(r, 'sum', [x], (g) => [expand(reshape(g, keptShape(x, dims)), x.shape)]);
  return finish(y, x, dims, keepdim);
}

/** Mean over dims (all when omitted). int32 input gives float32. */
export function mean(xIn: Tensor, dim?: Dims, keepdim = false): Tensor {
  const p = parse('mean', xIn, dim);
  const x = p.x.dtype === 'int32' ? cast(p.x, 'float32') : p.x;
  const dims = p.dims;
  let n = 1;
  for (const d of dims) n *= x.shape[d];
  const r = reduceK(R.MEAN, x, dims);
  const y = record(r, 'mean', [x], (g) => [expand(reshape(unaryK(U.MUL_S, g, 1 / n), keptShape(x, dims)), x.shape)]);
  return finish(y, x, dims, keepdim);
}

/** Product over dims. Gradient assumes no zeros in x. */
export function prod(xIn: Tensor, dim?: Dims, keepdim = false): Tensor {
  const { x, dims } = parse('prod', xIn, dim);
  const r = reduceK(R.PROD, x, dims);
  const y = record(r, 'prod', [x], (g) => {
    const gy = reshape(binaryK(B.MUL, g, r, g.shape), keptShape(x, dims));
    return [binaryK(B.DIV, expand(gy, x.shape), x, x.shape)];
  });
  return finish(y, x, dims, keepdim);
}

function extremum(op: string, code: number, xIn: Tensor, dim: Dims, keepdim: boolean): Tensor {
  const { x, dims } = parse(op, xIn, dim);
  checkNonEmpty(op, x, dims);
  const r = reduceK(code, x, dims);
  const y = record(r, op, [x], (g) => {
    // spread g evenly over the positions equal to the extremum
    const ks = keptShape(x, dims);
    const rk = reshape(r, ks);
    const mask = castK(binaryK(B.EQ, x, rk, x.shape, 'float32'), x.dtype);
    const cnt = reduceK(R.SUM, mask, dims);
    const share = reshape(binaryK(B.DIV, g, cnt, g.shape), ks);
    return [binaryK(B.MUL, mask, share, x.shape)];
  });
  return finish(y, x, dims, keepdim);
}

/** Largest value over dims (all when omitted). Ties share the gradient. */
export const amax = (x: Tensor, dim?: Dims, keepdim = false): Tensor => extremum('amax', R.MAX, x, dim, keepdim);
/** Smallest value over dims (all when omitted). */
export const amin = (x: Tensor, dim?: Dims, keepdim = false): Tensor => extremum('amin', R.MIN, x, dim, keepdim);

/** Index of the largest value (int32) along dim, or over the flattened tensor when dim is omitted. */
export function argmax(xIn: Tensor, dim?: number, keepdim = false): Tensor {
  return argExt('argmax', R.ARGMAX, xIn, dim, keepdim);
}
export function argmin(xIn: Tensor, dim?: number, keepdim = false): Tensor {
  return argExt('argmin', R.ARGMIN, xIn, dim, keepdim);
}
function argExt(op: string, code: number, xIn: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  const x = checkTensor(op, xIn);
  if (dim !== undefined && typeof dim !== 'number') throw new TypeError(`${op}: dim must be a single integer`);
  const { dims } = parse(op, x, dim);
  checkNonEmpty(op, x, dims);
  if (x.numel === 0) throw new RangeError(`${op}: empty tensor`);
  const r = reduceK(code, x, dims, 'int32');
  return finish(r, x, dims, keepdim && dim !== undefined);
}

/** max(x) is amax over everything; max(x, dim) returns { values, indices } like PyTorch. */
export function max(x: Tensor): Tensor;
export function max(x: Tensor, dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
export function max(x: Tensor, dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
  if (dim === undefined) return amax(x);
  return { values: amax(x, dim, keepdim), indices: argmax(x, dim, keepdim) };
}
export function min(x: Tensor): Tensor;
export function min(x: Tensor, dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
export function min(x: Tensor, dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
  if (dim === undefined) return amin(x);
  return { values: amin(x, dim, keepdim), indices: argmin(x, dim, keepdim) };
}

export interface VarOptions {
  /** Bessel's correction: divide by N - correction (default 1, like PyTorch). */
  correction?: number;
  keepdim?: boolean;
}

/** Variance over dims with correction (default 1). */
export function variance(xIn: Tensor, dim?: Dims, opts: VarOptions = {}): Tensor {
  const { x, dims } = parse('var', xIn, dim);
  const correction = opts.correction ?? 1;
  if (typeof correction !== 'number' || correction < 0) throw new RangeError('var: correction must be a non-negative number');
  const xf = x.dtype === 'int32' ? cast(x, 'float32') : x;
  let n = 1;
  for (const d of dims) n *= x.shape[d];
  const m = mean(xf, dims, true);
  const dev = sub(xf, m);
  const ss = sum(square(dev), dims, opts.keepdim ?? false);
  return div(ss, Math.max(n - correction, 0));
}
export { variance as var_ };

/** Standard deviation: sqrt(var). */
export function std(x: Tensor, dim?: Dims, opts: VarOptions = {}): Tensor {
  return sqrt(variance(x, dim, opts));
}

/** log(sum(exp(x))) over dims, computed stably. */
export function logsumexp(xIn: Tensor, dim?: Dims, keepdim = false): Tensor {
  const { x, dims } = parse('logsumexp', xIn, dim);
  if (x.dtype === 'int32') throw new TypeError('logsumexp: expected a float tensor, got int32');
  checkNonEmpty('logsumexp', x, dims);
  const m = detach(amax(x, dims, true));
  // an all -inf row has m = -inf; clamping keeps x - m finite-or--inf instead of NaN
  const safe = unaryK(U.CLAMP, m, -3.4e38, 3.4e38);
  const s = log(sum(exp(sub(x, safe)), dims, true));
  const out = add(s, safe);
  return keepdim ? out : reshape(out, x.shape.filter((_, i) => !dims.includes(i)));
}

/** Vector p-norm over dims (p = 2 default; 1, Infinity, or any p > 0). */
export function norm(xIn: Tensor, p = 2, dim?: Dims, keepdim = false): Tensor {
  const { x } = parse('norm', xIn, dim);
  if (typeof p !== 'number' || !(p > 0)) throw new RangeError(`norm: p must be a positive number or Infinity, got ${p}`);
  if (p === 2) return sqrt(sum(square(x), dim, keepdim));
  if (p === 1) return sum(abs(x), dim, keepdim);
  if (p === Infinity) return amax(abs(x), dim, keepdim);
  return pow(sum(pow(abs(x), p), dim, keepdim), 1 / p);
}
