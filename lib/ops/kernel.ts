// kernel.ts — thin launchers: allocate the output, pack view metadata, call one native kernel.
// No autograd and no user-facing validation here; ops/*.ts do those.
import { DType } from '../dtype';
import { begin, Handle, native, packNum, packView } from '../native';
import { broadcastStrides } from '../shape';
import { Tensor } from '../tensor';

/** @internal The native handle of a live tensor (throws "already disposed" for a freed one). */
export function h(t: Tensor): Handle {
  return t._live('kernel').handle!;
}
/** @internal */
export function pack(t: Tensor): void {
  packView(t.shape, t.strides, t.offset);
}
/** @internal Pack t as broadcast to `shape`. */
export function packAs(t: Tensor, shape: readonly number[]): void {
  if (t.shape === shape) return packView(t.shape, t.strides, t.offset);
  packView(shape, broadcastStrides(t.shape, t.strides, shape), t.offset);
}

export function unaryK(code: number, x: Tensor, p0 = 0, p1 = 0, outDtype: DType = x.dtype): Tensor {
  const out = Tensor.empty(x.shape, outDtype);
  begin();
  pack(out);
  pack(x);
  packNum(p0);
  packNum(p1);
  native.unary(code, h(out), h(x));
  return out;
}

export function binaryK(code: number, a: Tensor, b: Tensor, shape: readonly number[], outDtype: DType = a.dtype): Tensor {
  const out = Tensor.empty(shape, outDtype);
  begin();
  pack(out);
  packAs(a, shape);
  packAs(b, shape);
  native.binary(code, h(out), h(a), h(b));
  return out;
}

/** Copy src (broadcast to dst's shape, any dtype) into the view dst. */
export function copyInto(dst: Tensor, src: Tensor): void {
  begin();
  pack(dst);
  packAs(src, dst.shape);
  native.cast(h(dst), h(src));
}

export function castK(x: Tensor, dtype: DType): Tensor {
  const out = Tensor.empty(x.shape, dtype);
  copyInto(out, x);
  return out;
}

export function fillK(out: Tensor, v: number): Tensor {
  begin();
  pack(out);
  packNum(v);
  native.fill(h(out));
  return out;
}

export function fullK(shape: readonly number[], v: number, dtype: DType): Tensor {
  return fillK(Tensor.empty(shape, dtype), v);
}

export function whereK(cond: Tensor, a: Tensor, b: Tensor, shape: readonly number[]): Tensor {
  const out = Tensor.empty(shape, a.dtype);
  begin();
  pack(out);
  packAs(cond, shape);
  packAs(a, shape);
  packAs(b, shape);
  native.where(h(out), h(cond), h(a), h(b));
  return out;
}

/** Reduce x over `dims` (sorted, unique). Returns the result without the reduced dims. */
export function reduceK(code: number, x: Tensor, dims: readonly number[], outDtype: DType = x.dtype): Tensor {
  const kept: number[] = [];
  for (let d = 0; d < x.ndim; d++) if (!dims.includes(d)) kept.push(d);
  const perm = [...kept, ...dims];
  const out = Tensor.empty(kept.map((d) => x.shape[d]), outDtype);
  begin();
  pack(out);
  packView(perm.map((d) => x.shape[d]), perm.map((d) => x.strides[d]), x.offset);
  packNum(dims.length);
  native.reduce(code, h(out), h(x));
  return out;
}

/** Batched matmul of 3-d views: [P,M,K] @ [P,K,N] -> fresh [P,M,N]. */
export function matmulK(a: Tensor, b: Tensor): Tensor {
  const out = Tensor.empty([a.shape[0], a.shape[1], b.shape[2]], a.dtype);
  begin();
  pack(out);
  pack(a);
  pack(b);
  packNum(0);
  native.matmul(h(out), h(a), h(b));
  return out;
}

export function softmaxK(x: Tensor, log: boolean): Tensor {
  const out = Tensor.empty(x.shape, x.dtype);
  begin();
  pack(out);
  pack(x);
  native.softmax(h(out), h(x), log);
  return out;
}

export function gatherK(x: Tensor, dim: number, idx: Tensor): Tensor {
  const out = Tensor.empty(idx.shape, x.dtype);
  begin();
  pack(out);
  pack(x);
  pack(idx);
  packNum(dim);
  native.gather(h(out), h(x), h(idx));
  return out;
}

/** In place: out (contiguous, fresh) [.., idx, ..] += src along dim. */
export function scatterAddK(out: Tensor, dim: number, idx: Tensor, src: Tensor): Tensor {
  begin();
  pack(out);
  pack(idx);
  pack(src);
  packNum(dim);
  native.scatterAdd(h(out), h(idx), h(src));
  return out;
}

/** Fill a fresh tensor with Philox draws. dist 0 uniform [a,b), 1 normal(a, b), 2 integers [a,b). */
export function randomK(shape: readonly number[], dtype: DType, dist: number, draw: [number, number, number], a: number, b: number): Tensor {
  const out = Tensor.empty(shape, dtype);
  begin();
  pack(out);
  packNum(dist);
  packNum(draw[0]);
  packNum(draw[1]);
  packNum(draw[2] % 2 ** 32);
  packNum(Math.floor(draw[2] / 2 ** 32));
  packNum(a);
  packNum(b);
  native.random(h(out));
  return out;
}
