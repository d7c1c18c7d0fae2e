// attention.ts — scaled dot-product attention composed of recorded ops, with one softmax pass:
// (q·scale) @ kᵀ (+ mask) -> softmax -> (dropout) -> @ v. Autograd derives the backward.
import { noGrad } from '../autograd';
import { broadcastShapes, shapeStr } from '../shape';
import { Tensor } from '../tensor';
import { add, gt, mul, where } from './elementwise';
import { tensor } from './creation';
import { fullK } from './kernel';
import { matmul } from './linalg';
import { dropout, softmax } from './nn';
import { amax } from './reduce';
import { checkTensor } from './util';
import { transpose } from './views';

export interface SdpaOptions {
  /**
   * Mask broadcast to [..., L, S]. An int32 mask is boolean (PyTorch's bool mask): nonzero = attend,
   * 0 = masked out. A float mask (q's dtype) is added to the scores (use -Infinity to mask).
   * Rows with every position masked give zeros (like PyTorch's math backend since 2.5).
   */
  attnMask?: Tensor | null;
  /** Causal mask aligned to the upper left: query i attends to keys j <= i. Not with attnMask. */
  isCausal?: boolean;
  /** Multiplier of q·k (default 1/sqrt(E)). */
  scale?: number | null;
  /** Dropout probability on the attention weights (default 0, applied whenever > 0). */
  dropoutP?: number;
  /** Seed of the dropout mask (default: the global generator). */
  seed?: number | bigint;
}

/**
 * Scaled dot-product attention (PyTorch's scaled_dot_product_attention): q [..., L, E],
 * k [..., S, E], v [..., S, Ev] -> [..., L, Ev] = softmax(q kᵀ · scale + mask) v, leading dims
 * broadcast. float32 or float64, one dtype for q, k, v.
 */
export function scaledDotProductAttention(qIn: Tensor, kIn: Tensor, vIn: Tensor, opts: SdpaOptions = {}): Tensor {
  const op = 'scaledDotProductAttention';
  const q = checkTensor(op, qIn, 'query');
  const k = checkTensor(op, kIn, 'key');
  const v = checkTensor(op, vIn, 'value');
  if (typeof opts !== 'object' || opts === null) throw new TypeError(`${op}: options must be an object`);
  const desc = `query ${shapeStr(q.shape)} ${q.dtype}, key ${shapeStr(k.shape)} ${k.dtype}, value ${shapeStr(v.shape)} ${v.dtype}`;
  if (q.dtype === 'int32' || k.dtype !== q.dtype || v.dtype !== q.dtype)
    throw new TypeError(`${op}: query, key and value must share one float dtype, got ${desc}`);
  if (q.ndim < 2 || k.ndim < 2 || v.ndim < 2) throw new RangeError(`${op}: query, key and value need at least 2 dims, got ${desc}`);
  const L = q.shape[q.ndim - 2], E = q.shape[q.ndim - 1];
  const S = k.shape[k.ndim - 2];
  if (k.shape[k.ndim - 1] !== E || v.shape[v.ndim - 2] !== S)
    throw new RangeError(`${op}: expected query [..., L, E], key [..., S, E], value [..., S, Ev], got ${desc}`);
  const batch = broadcastShapes(op, broadcastShapes(op, q.shape.slice(0, -2), k.shape.slice(0, -2)), v.shape.slice(0, -2));
  const isCausal = opts.isCausal ?? false;
  if (typeof isCausal !== 'boolean') throw new TypeError(`${op}: isCausal must be a boolean`);
  const mask = opts.attnMask === undefined || opts.attnMask === null ? null : checkTensor(op, opts.attnMask, 'attnMask');
  if (mask && isCausal) throw new TypeError(`${op}: pass either attnMask or isCausal, not both`);
  if (mask) {
    if (mask.dtype !== 'int32' && mask.dtype !== q.dtype)
      throw new TypeError(`${op}: attnMask must be int32 (boolean) or ${q.dtype} (additive), got ${mask.dtype}`);
    const full = [...batch, L, S];
    const b = broadcastShapes(op, mask.shape, full);
    if (b.length !== full.length || b.some((s, i) => s !== full[i]))
      throw new RangeError(`${op}: attnMask ${shapeStr(mask.shape)} does not broadcast to the scores [..., L, S] = ${shapeStr(full)}`);
  }
  const scale = opts.scale ?? 1 / Math.sqrt(E);
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw new TypeError(`${op}: scale must be a finite number, got ${String(scale)}`);
  const p = opts.dropoutP ?? 0;
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`${op}: dropoutP must be in [0, 1], got ${String(p)}`);

  let scores = matmul(mul(q, scale), transpose(k, -2, -1)); // [..., L, S]
  let mayEmptyRows = false;
  if (isCausal) {
    const m = new (q.dtype === 'float64' ? Float64Array : Float32Array)(L * S);
    for (let i = 0; i < L; i++) for (let j = i + 1; j < S; j++) m[i * S + j] = -Infinity;
    scores = add(scores, tensor(m, { shape: [L, S], device: q.device }));
    mayEmptyRows = S === 0;
  } else if (mask) {
    const additive = mask.dtype === 'int32' ? where(mask, fullK([], 0, q.dtype, q.device), -Infinity) : mask;
    scores = add(scores, additive);
    mayEmptyRows = true;
  }
  let attn: Tensor;
  if (mayEmptyRows && S > 0) {
    // rows whose every score is -inf give zero weights instead of NaN
    const valid = noGrad(() => gt(amax(scores, -1, true), -Infinity)); // float32 1/0 [..., L, 1]
    attn = where(valid, softmax(where(valid, scores, 0), -1), 0);
  } else {
    attn = softmax(scores, -1);
  }
  if (p > 0) attn = dropout(attn, p, { seed: opts.seed });
  return matmul(attn, v); // [..., L, Ev]
}
