// indexing.ts — joining and splitting (cat, stack, split, chunk) and index ops (gather,
// indexSelect, scatterAdd, oneHot), with their gradients.
import { record } from '../autograd';
import { DType, promote } from '../dtype';
import { checkShape, normDim, sameShape, shapeStr } from '../shape';
import { Tensor } from '../tensor';
import { deviceMismatch } from '../device';
import { castK, copyInto, fullK, gatherK, scatterAddK } from './kernel';
import { cast, checkDType, checkTensor } from './util';
import { expand, narrow, reshape, unsqueeze, viewOf } from './views';

function checkList(op: string, xs: unknown): Tensor[] {
  if (!Array.isArray(xs) || xs.length === 0) throw new TypeError(`${op}: expected a non-empty array of tensors`);
  return xs.map((x, i) => checkTensor(op, x, `tensors[${i}]`));
}

/** Concatenate along dim; the other dims must agree. */
export function cat(xsIn: readonly Tensor[], dim = 0): Tensor {
  const xs0 = checkList('cat', xsIn);
  const ref = xs0[0];
  if (ref.ndim === 0) throw new RangeError('cat: zero-dim tensors cannot be concatenated (use stack)');
  const d = normDim('cat', dim, ref.ndim);
  let dt: DType = ref.dtype;
  for (const x of xs0) {
    dt = promote(dt, x.dtype);
    if (x.ndim !== ref.ndim || x.shape.some((s, i) => i !== d && s !== ref.shape[i]))
      throw new RangeError(`cat: shapes ${xs0.map((t) => shapeStr(t.shape)).join(', ')} differ outside dim ${d}`);
  }
  const xs = xs0.map((x) => cast(x, dt));
  const shape = ref.shape.slice();
  shape[d] = xs.reduce((s, x) => s + x.shape[d], 0);
  for (const x of xs0) if (x.device !== ref.device) throw deviceMismatch('cat', xs0);
  const out = Tensor.empty(shape, dt, ref.device);
  let at = 0;
  for (const x of xs) {
    const sh = shape.slice();
    sh[d] = x.shape[d];
    if (x.numel > 0) {
      const dst = viewOf(out, sh, out.strides, at * out.strides[d]);
      copyInto(dst, x);
      dst.dispose();
    }
    at += x.shape[d];
  }
  return record(out, 'cat', xs, (g) => {
    let o = 0;
    return xs.map((x) => {
      const gi = narrow(g, d, o, x.shape[d]);
      o += x.shape[d];
      return gi;
    });
  });
}

/** Stack equal-shaped tensors along a new dim. */
export function stack(xsIn: readonly Tensor[], dim = 0): Tensor {
  const xs = checkList('stack', xsIn);
  for (const x of xs)
    if (!sameShape(x.shape, xs[0].shape))
      throw new RangeError(`stack: shapes ${xs.map((t) => shapeStr(t.shape)).join(', ')} differ`);
  const d = normDim('stack', dim, xs[0].ndim, true);
  return cat(xs.map((x) => unsqueeze(x, d)), d);
}

/** Split into pieces of `size` along dim (last may be smaller), or into the given sizes. Views. */
export function split(xIn: Tensor, sizeOrSections: number | readonly number[], dim = 0): Tensor[] {
  const x = checkTensor('split', xIn);
  if (x.ndim === 0) throw new RangeError('split: cannot split a 0-d tensor');
  const d = normDim('split', dim, x.ndim);
  const n = x.shape[d];
  let sizes: number[];
  if (typeof sizeOrSections === 'number') {
    if (!Number.isInteger(sizeOrSections) || sizeOrSections < 1) throw new RangeError(`split: size must be a positive integer, got ${sizeOrSections}`);
    sizes = [];
    for (let o = 0; o < n; o += sizeOrSections) sizes.push(Math.min(sizeOrSections, n - o));
    if (n === 0) sizes = [0];
  } else if (Array.isArray(sizeOrSections)) {
    sizes = sizeOrSections.slice();
    if (sizes.some((s) => !Number.isInteger(s) || s < 0) || sizes.reduce((a, b) => a + b, 0) !== n)
      throw new RangeError(`split: sizes ${JSON.stringify(sizes)} must be non-negative integers summing to ${n}`);
  } else throw new TypeError('split: expected a size or an array of sizes');
  let o = 0;
  return sizes.map((s) => {
    const t = narrow(x, d, o, s);
    o += s;
    return t;
  });
}

/** Split into `chunks` nearly equal pieces along dim (PyTorch's rule: ceil(n / chunks) each). */
export function chunk(xIn: Tensor, chunks: number, dim = 0): Tensor[] {
  const x = checkTensor('chunk', xIn);
  if (!Number.isInteger(chunks) || chunks < 1) throw new RangeError(`chunk: chunks must be a positive integer, got ${chunks}`);
  const d = normDim('chunk', dim, x.ndim);
  return split(x, Math.max(1, Math.ceil(x.shape[d] / chunks)), d);
}

function checkIndex(op: string, idx: Tensor): void {
  if (idx.dtype !== 'int32') throw new TypeError(`${op}: index must be an int32 tensor, got ${idx.dtype}`);
}

/** out[i][j] = x[i][idx[i][j]] (dim 1), etc. idx has x's rank and out's shape. */
export function gather(xIn: Tensor, dim: number, idxIn: Tensor): Tensor {
  const x = checkTensor('gather', xIn);
  const idx = checkTensor('gather', idxIn, 'index');
  checkIndex('gather', idx);
  if (idx.ndim !== x.ndim) throw new RangeError(`gather: index ${shapeStr(idx.shape)} must have the rank of input ${shapeStr(x.shape)}`);
  const d = normDim('gather', dim, x.ndim);
  for (let i = 0; i < x.ndim; i++)
    if (i !== d && idx.shape[i] > x.shape[i])
      throw new RangeError(`gather: index ${shapeStr(idx.shape)} is larger than input ${shapeStr(x.shape)} outside dim ${d}`);
  const y = gatherK(x, d, idx);
  return record(y, 'gather', [x], (g) => [scatterAddK(fullK(x.shape, 0, g.dtype, g.device), d, idx, g)]);
}

/** Rows (or slices) of x along dim chosen by the 1-D int32 index. */
export function indexSelect(xIn: Tensor, dim: number, idxIn: Tensor): Tensor {
  const x = checkTensor('indexSelect', xIn);
  const idx = checkTensor('indexSelect', idxIn, 'index');
  checkIndex('indexSelect', idx);
  if (idx.ndim !== 1) throw new RangeError(`indexSelect: index must be 1-D, got ${shapeStr(idx.shape)}`);
  const d = normDim('indexSelect', dim, x.ndim);
  const shape = x.shape.slice();
  shape[d] = idx.shape[0];
  const ishape = x.shape.map((_, i) => (i === d ? idx.shape[0] : 1));
  const ie = expand(reshape(idx, ishape), shape);
  return gather(x, d, ie);
}

/** A copy of x with src added at the positions idx names along dim (out-of-place scatter_add). */
export function scatterAdd(xIn: Tensor, dim: number, idxIn: Tensor, srcIn: Tensor): Tensor {
  const x = checkTensor('scatterAdd', xIn);
  const idx = checkTensor('scatterAdd', idxIn, 'index');
  const src = checkTensor('scatterAdd', srcIn, 'src');
  checkIndex('scatterAdd', idx);
  if (src.dtype !== x.dtype) throw new TypeError(`scatterAdd: src dtype ${src.dtype} differs from input dtype ${x.dtype}`);
  if (idx.ndim !== x.ndim || !sameShape(idx.shape, src.shape))
    throw new RangeError(`scatterAdd: index ${shapeStr(idx.shape)} and src ${shapeStr(src.shape)} must match and have the rank of input ${shapeStr(x.shape)}`);
  const d = normDim('scatterAdd', dim, x.ndim);
  for (let i = 0; i < x.ndim; i++)
    if (i !== d && idx.shape[i] > x.shape[i])
      throw new RangeError(`scatterAdd: index ${shapeStr(idx.shape)} is larger than input ${shapeStr(x.shape)} outside dim ${d}`);
  const out = scatterAddK(castK(x, x.dtype), d, idx, src);
  return record(out, 'scatterAdd', [x, src], (g) => [g, src.requiresGrad ? gatherK(g, d, idx) : null]);
}

/** One-hot encoding of int32 class indices: [...] -> [..., numClasses] (float32 by default). */
export function oneHot(idxIn: Tensor, numClasses: number, dtype: DType = 'float32'): Tensor {
  const idx = checkTensor('oneHot', idxIn, 'index');
  checkIndex('oneHot', idx);
  checkDType('oneHot', dtype);
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new RangeError(`oneHot: numClasses must be a positive integer, got ${numClasses}`);
  const shape = checkShape('oneHot', [...idx.shape, numClasses]);
  const out = fullK(shape, 0, dtype, idx.device);
  const iu = unsqueeze(idx, -1);
  const ones = fullK([], 1, dtype, idx.device);
  const src = expand(ones, iu.shape);
  try {
    return scatterAddK(out, idx.ndim, iu, src);
  } catch (e) {
    out.dispose();
    throw e instanceof RangeError ? new RangeError(`oneHot: ${e.message} (numClasses ${numClasses})`) : e;
  } finally {
    src.dispose();
    ones.dispose();
    iu.dispose();
  }
}
