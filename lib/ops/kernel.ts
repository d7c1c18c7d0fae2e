// kernel.ts — thin launchers: check the arguments share one device, allocate the output there, pack
// view metadata, call one native kernel (the addon runs it on that device). No autograd and no other
// user-facing validation here; ops/*.ts do those. This is where device mixing is refused, once for
// every op: a TypeError naming the op, the shapes and the devices, never an implicit copy.
import { deviceMismatch } from '../device';
import { DType } from '../dtype';
import { Device } from '../memory';
import { begin, Handle, native, packNum, packView } from '../native';
import { broadcastStrides } from '../shape';
import { Tensor } from '../tensor';
import { BINARY_OPS } from './opTable';

/** @internal The device shared by an op's tensors (nulls skipped); throws naming the op when they differ. */
export function deviceOf(op: string, a: Tensor, b?: Tensor | null, c?: Tensor | null, d?: Tensor | null): Device {
  const dev = a.device;
  if ((b && b.device !== dev) || (c && c.device !== dev) || (d && d.device !== dev)) throw deviceMismatch(op, [a, b, c, d]);
  return dev;
}
const lower = (s: string): string => s.toLowerCase().replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());

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
  const out = Tensor.empty(x.shape, outDtype, x.device);
  begin();
  pack(out);
  pack(x);
  packNum(p0);
  packNum(p1);
  native.unary(code, h(out), h(x));
  return out;
}

export function binaryK(code: number, a: Tensor, b: Tensor, shape: readonly number[], outDtype: DType = a.dtype): Tensor {
  const dev = a.device === b.device ? a.device : deviceOf(lower(BINARY_OPS[code]), a, b);
  const out = Tensor.empty(shape, outDtype, dev);
  begin();
  pack(out);
  packAs(a, shape);
  packAs(b, shape);
  native.binary(code, h(out), h(a), h(b));
  return out;
}

/** Copy src (broadcast to dst's shape, any dtype) into the view dst. */
export function copyInto(dst: Tensor, src: Tensor): void {
  if (dst.device !== src.device) throw deviceMismatch('copy', [dst, src]);
  begin();
  pack(dst);
  packAs(src, dst.shape);
  native.cast(h(dst), h(src));
}

export function castK(x: Tensor, dtype: DType): Tensor {
  const out = Tensor.empty(x.shape, dtype, x.device);
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

export function fullK(shape: readonly number[], v: number, dtype: DType, device: Device = 'cpu'): Tensor {
  return fillK(Tensor.empty(shape, dtype, device), v);
}

export function whereK(cond: Tensor, a: Tensor, b: Tensor, shape: readonly number[]): Tensor {
  const out = Tensor.empty(shape, a.dtype, deviceOf('where', cond, a, b));
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
  const out = Tensor.empty(kept.map((d) => x.shape[d]), outDtype, x.device);
  begin();
  pack(out);
  packView(perm.map((d) => x.shape[d]), perm.map((d) => x.strides[d]), x.offset);
  packNum(dims.length);
  native.reduce(code, h(out), h(x));
  return out;
}

/** Batched matmul of 3-d views: [P,M,K] @ [P,K,N] -> fresh [P,M,N]. */
export function matmulK(a: Tensor, b: Tensor): Tensor {
  const out = Tensor.empty([a.shape[0], a.shape[1], b.shape[2]], a.dtype, deviceOf('matmul', a, b));
  begin();
  pack(out);
  pack(a);
  pack(b);
  packNum(0);
  native.matmul(h(out), h(a), h(b));
  return out;
}

export function softmaxK(x: Tensor, log: boolean): Tensor {
  const out = Tensor.empty(x.shape, x.dtype, x.device);
  begin();
  pack(out);
  pack(x);
  native.softmax(h(out), h(x), log);
  return out;
}

export function gatherK(x: Tensor, dim: number, idx: Tensor): Tensor {
  const out = Tensor.empty(idx.shape, x.dtype, deviceOf('gather', x, idx));
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
  deviceOf('scatterAdd', out, idx, src);
  begin();
  pack(out);
  pack(idx);
  pack(src);
  packNum(dim);
  native.scatterAdd(h(out), h(idx), h(src));
  return out;
}

/** Fill a fresh tensor with Philox draws. dist 0 uniform [a,b), 1 normal(a, b), 2 integers [a,b). */
export function randomK(
  shape: readonly number[], dtype: DType, dist: number, draw: [number, number, number], a: number, b: number, device: Device = 'cpu',
): Tensor {
  const out = Tensor.empty(shape, dtype, device);
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
