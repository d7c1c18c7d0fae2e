// embedding.ts — embedding lookup: rows of a weight table chosen by int32 indices (indexSelect),
// so the gradient scatters (sums) into the chosen rows of the weight.
import { shapeStr } from '../shape';
import { Tensor } from '../tensor';
import { ne, where } from './elementwise';
import { indexSelect } from './indexing';
import { checkFloat, checkTensor } from './util';
import { detach, reshape, unsqueeze } from './views';

export interface EmbeddingOptions {
  /** Rows looked up with this index get no gradient (PyTorch's padding_idx; negative counts from the end). */
  paddingIdx?: number | null;
}

/**
 * Embedding lookup: idx int32 [...] picks rows of weight [num, dim] -> [..., dim]. Gradients flow
 * into weight (repeated indices add up). Throws RangeError for an index outside [0, num).
 */
export function embedding(idxIn: Tensor, weightIn: Tensor, opts: EmbeddingOptions = {}): Tensor {
  const op = 'embedding';
  const idx = checkTensor(op, idxIn, 'indices');
  const w = checkTensor(op, weightIn, 'weight');
  if (idx.dtype !== 'int32') throw new TypeError(`${op}: indices must be int32, got ${idx.dtype} ${shapeStr(idx.shape)}`);
  checkFloat(op, w);
  if (w.ndim !== 2) throw new RangeError(`${op}: weight must be [num, dim], got ${shapeStr(w.shape)} ${w.dtype}`);
  const [num, dim] = w.shape;
  let pad: number | null = null;
  if (opts.paddingIdx !== undefined && opts.paddingIdx !== null) {
    const p = opts.paddingIdx;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < -num || p >= num)
      throw new RangeError(`${op}: paddingIdx ${String(p)} must be an integer in [${-num}, ${num})`);
    pad = p < 0 ? p + num : p;
  }
  let rows: Tensor;
  try {
    rows = indexSelect(w, 0, reshape(idx, [idx.numel]));
  } catch (e) {
    if (e instanceof RangeError) throw new RangeError(`${op}: an index is outside [0, ${num}) for weight ${shapeStr(w.shape)}: ${e.message}`);
    throw e;
  }
  let out = reshape(rows, [...idx.shape, dim]);
  if (pad !== null && w.requiresGrad) {
    // same values; rows at paddingIdx come through a detached copy, so they carry no gradient
    const keepMask = unsqueeze(ne(idx, pad), -1); // float32 1/0 [..., 1]
    out = where(keepMask, out, detach(out));
  }
  return out;
}
