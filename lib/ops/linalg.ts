// linalg.ts — matmul (1-D, 2-D, batched with broadcast batch dims), bmm, linear.
import { record } from '../autograd';
import { promote } from '../dtype';
import { broadcastShapes, numelOf, shapeStr } from '../shape';
import { Tensor } from '../tensor';
import { deviceOf, matmulK } from './kernel';
import { add } from './elementwise';
import { cast, checkTensor } from './util';
import { contiguous, expand, reshape, squeeze, transpose, unsqueeze, viewOf } from './views';

/** Present x ([...batch, R, C], batch dims broadcast already) as a 3-d view [P, R, C]. */
function as3d(x: Tensor, P: number): Tensor {
  const nb = x.ndim - 2;
  let bstride = 0;
  let ok = true;
  // batch dims merge into one stride when they are laid out as one (or all broadcast)
  const dims = [];
  for (let i = 0; i < nb; i++) if (x.shape[i] !== 1) dims.push(i);
  if (dims.length) {
    bstride = x.strides[dims[dims.length - 1]];
    let expect = bstride * x.shape[dims[dims.length - 1]];
    for (let k = dims.length - 2; k >= 0; k--) {
      const d = dims[k];
      if (bstride === 0 ? x.strides[d] !== 0 : x.strides[d] !== expect) { ok = false; break; }
      expect *= x.shape[d];
    }
  }
  const src = ok ? x : contiguous(x);
  const bs = ok ? bstride : src.shape[nb] * src.shape[nb + 1];
  return viewOf(src, [P, src.shape[nb], src.shape[nb + 1]], [bs, src.strides[nb], src.strides[nb + 1]], src.offset);
}

/** Batched core: a [...batch, M, K] @ b [...batch, K, N] with equal batch shapes. */
function mmCore(a: Tensor, b: Tensor): Tensor {
  const batch = a.shape.slice(0, -2);
  const P = numelOf(batch);
  const a3 = as3d(a, P), b3 = as3d(b, P);
  const o3 = matmulK(a3, b3);
  a3.dispose();
  b3.dispose();
  const shape = [...batch, a.shape[a.ndim - 2], b.shape[b.ndim - 1]];
  const y = viewOf(o3, shape, o3.ndim === shape.length ? o3.strides : contiguousOf(shape), 0);
  o3.dispose();
  return record(y, 'matmul', [a, b], (g) => [
    a.requiresGrad ? mmCore(g, transpose(b, -1, -2)) : null,
    b.requiresGrad ? mmCore(transpose(a, -1, -2), g) : null,
  ]);
}

function contiguousOf(shape: readonly number[]): number[] {
  const st = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { st[i] = acc; acc *= shape[i]; }
  return st;
}

/**
 * Matrix product with PyTorch's rules: 1-D x 1-D is a dot product; a 1-D argument gains (and then
 * loses) a unit dim; leading batch dims broadcast. int32 inputs compute in float64 and return int32.
 * Shapes: [..., M, K] @ [..., K, N] -> [..., M, N].
 */
export function matmul(aIn: Tensor, bIn: Tensor): Tensor {
  let a = checkTensor('matmul', aIn, 'first argument');
  let b = checkTensor('matmul', bIn, 'second argument');
  if (a.ndim === 0 || b.ndim === 0)
    throw new RangeError(`matmul: both arguments need at least 1 dim, got ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  deviceOf('matmul', a, b); // before the folding below, so the error shows the caller's shapes
  const dt = promote(a.dtype, b.dtype);
  if (dt === 'int32') return cast(matmul(cast(a, 'float64'), cast(b, 'float64')), 'int32');
  a = cast(a, dt);
  b = cast(b, dt);
  const aVec = a.ndim === 1, bVec = b.ndim === 1;
  if (aVec) a = unsqueeze(a, 0);
  if (bVec) b = unsqueeze(b, 1);
  const K = a.shape[a.ndim - 1];
  if (b.shape[b.ndim - 2] !== K)
    throw new RangeError(`matmul: inner dims differ: ${shapeStr(aIn.shape)} @ ${shapeStr(bIn.shape)} (${K} vs ${b.shape[b.ndim - 2]})`);
  if (b.ndim === 2 && a.ndim > 2 && K > 0 && a.numel > 0) {
    // [..., M, K] @ [K, N]: fold the batch into M — one GEMM forward, and b's gradient is one GEMM
    // with the batch in the inner dim instead of a batch of products summed afterwards
    const lead = a.shape.slice(0, -1);
    const y2 = mmCore(reshape(a, [a.numel / K, K]), b); // [P·M, N]
    let y = reshape(y2, [...lead, b.shape[1]]);
    if (aVec) y = squeeze(y, -2);
    if (bVec) y = squeeze(y, -1);
    return y;
  }
  const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const ae = expand(a, [...batch, a.shape[a.ndim - 2], K]);
  const be = expand(b, [...batch, K, b.shape[b.ndim - 1]]);
  let y = mmCore(ae, be);
  if (aVec) y = squeeze(y, -2);
  if (bVec) y = squeeze(y, -1);
  return y;
}

/** Batched matmul of 3-d tensors: [B, M, K] @ [B, K, N] -> [B, M, N]. */
export function bmm(aIn: Tensor, bIn: Tensor): Tensor {
  const a = checkTensor('bmm', aIn, 'first argument');
  const b = checkTensor('bmm', bIn, 'second argument');
  if (a.ndim !== 3 || b.ndim !== 3 || a.shape[0] !== b.shape[0] || a.shape[2] !== b.shape[1])
    throw new RangeError(`bmm: expected [B, M, K] and [B, K, N], got ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  return matmul(a, b);
}

/** y = x W^T + b, with x [..., in], weight [out, in], bias [out]. */
export function linear(xIn: Tensor, wIn: Tensor, bIn?: Tensor | null): Tensor {
  const x = checkTensor('linear', xIn, 'input');
  const w = checkTensor('linear', wIn, 'weight');
  if (w.ndim !== 2 || x.ndim < 1 || x.shape[x.ndim - 1] !== w.shape[1])
    throw new RangeError(`linear: input ${shapeStr(x.shape)} and weight ${shapeStr(w.shape)} do not fit (weight is [out, in])`);
  let y = matmul(x, transpose(w, 0, 1));
  if (bIn !== undefined && bIn !== null) {
    const b = checkTensor('linear', bIn, 'bias');
    if (b.ndim !== 1 || b.shape[0] !== w.shape[0])
      throw new RangeError(`linear: bias ${shapeStr(b.shape)} must be [${w.shape[0]}]`);
    y = add(y, b);
  }
  return y;
}

export { reshape };
