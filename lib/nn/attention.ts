// attention.ts — MultiheadAttention over scaledDotProductAttention, with PyTorch's parameter layout
// (in_proj_weight [3E, E] holding W_q, W_k, W_v stacked; in_proj_bias [3E]; out_proj Linear), so
// state dicts map one to one to torch.nn.MultiheadAttention's.
import { scaledDotProductAttention } from '../ops/attention';
import { linear } from '../ops/linalg';
import { split } from '../ops/indexing';
import { narrow, permute, reshape, squeeze, transpose } from '../ops/views';
import { shapeStr } from '../shape';
import { Tensor, checkTensor } from '../tensor';
import { xavierUniform, zeros } from './init';
import { Linear } from './linear';
import { Module } from './module';
import { Parameter } from './parameter';
import { LayerOptions, bool, checkInput, layerDtype, newParam, numIn, posInt } from './util';

export interface MultiheadAttentionOptions extends LayerOptions {
  /** Biases in the input and output projections (default true). */
  bias?: boolean;
  /** Inputs and output are [B, L, E] when true, [L, B, E] when false (PyTorch's default, false). */
  batchFirst?: boolean;
  /** Dropout on the attention weights in training mode (default 0). */
  dropout?: number;
}

export interface MultiheadAttentionCallOptions {
  /**
   * Passed to scaledDotProductAttention, whose convention differs from torch.nn.MultiheadAttention's
   * bool masks: an int32 mask is boolean with nonzero = attend (PyTorch's MHA uses True = blocked); a
   * float mask is added to the scores (-Infinity blocks). Shapes: [L, S], [B, L, S] or
   * [B, numHeads, L, S], or [B·numHeads, L, S] as in PyTorch.
   */
  attnMask?: Tensor | null;
  /** Causal self-attention: query i attends to keys j <= i. */
  isCausal?: boolean;
}

/**
 * Multi-head attention (Vaswani et al.): project query/key/value with in_proj_weight, split into
 * numHeads heads of embedDim / numHeads, attend with scaledDotProductAttention, concatenate and
 * project with out_proj. forward(query, key = query, value = key) returns the output only (no
 * attention weights). Shapes with batchFirst: query [B, L, E], key/value [B, S, E] -> [B, L, E].
 * Initialisation as PyTorch: in_proj_weight Xavier-uniform, both biases zero.
 */
export class MultiheadAttention extends Module {
  in_proj_weight: Parameter; // [3E, E]
  in_proj_bias: Parameter | null; // [3E]
  out_proj: Linear; // E -> E
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly batchFirst: boolean;
  readonly dropout: number;

  constructor(embedDim: number, numHeads: number, o: MultiheadAttentionOptions = {}) {
    super();
    const op = 'MultiheadAttention';
    const dt = layerDtype(op, o);
    this.embedDim = posInt(op, embedDim, 'embedDim');
    this.numHeads = posInt(op, numHeads, 'numHeads');
    if (embedDim % numHeads !== 0) throw new RangeError(`${op}: embedDim (${embedDim}) must be divisible by numHeads (${numHeads})`);
    this.headDim = embedDim / numHeads;
    this.batchFirst = bool(op, o.batchFirst, 'batchFirst', false);
    this.dropout = numIn(op, o.dropout ?? 0, 'dropout', 0, 1);
    const bias = bool(op, o.bias, 'bias', true);
    this.in_proj_weight = newParam([3 * embedDim, embedDim], dt, (p) => xavierUniform(p));
    this.in_proj_bias = bias ? newParam([3 * embedDim], dt) : null;
    this.out_proj = new Linear(embedDim, embedDim, { bias, dtype: dt });
    if (this.out_proj.bias) zeros(this.out_proj.bias);
  }

  /** [B, T, E] -> [B, H, T, Dh]. */
  private heads(x: Tensor): Tensor {
    const [B, T] = x.shape;
    return transpose(reshape(x, [B, T, this.numHeads, this.headDim]), 1, 2);
  }

  override forward(query: Tensor, key?: Tensor | null, value?: Tensor | null, o: MultiheadAttentionCallOptions = {}): Tensor {
    const op = 'MultiheadAttention';
    const E = this.embedDim;
    const q0 = checkInput(op, query, 3, [-1, E, 'features']);
    const k0 = key === undefined || key === null ? q0 : checkInput(op, key, 3, [-1, E, 'features']);
    const v0 = value === undefined || value === null ? k0 : checkInput(op, value, 3, [-1, E, 'features']);
    if (q0.ndim !== 3 || k0.ndim !== 3 || v0.ndim !== 3)
      throw new RangeError(`${op}: query, key and value must be 3-d, got ${shapeStr(q0.shape)}, ${shapeStr(k0.shape)}, ${shapeStr(v0.shape)}`);
    const bq = this.batchFirst ? q0 : transpose(q0, 0, 1); // [B, L, E]
    const bk = this.batchFirst ? k0 : transpose(k0, 0, 1); // [B, S, E]
    const bv = this.batchFirst ? v0 : transpose(v0, 0, 1); // [B, S, E]
    const [B, L] = bq.shape;
    const S = bk.shape[1];
    if (bk.shape[0] !== B || bv.shape[0] !== B || bv.shape[1] !== S)
      throw new RangeError(`${op}: batch and length of query ${shapeStr(q0.shape)}, key ${shapeStr(k0.shape)}, value ${shapeStr(v0.shape)} do not fit (batchFirst=${this.batchFirst})`);
    if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object`);
    const isCausal = bool(op, o.isCausal, 'isCausal', false);
    let q: Tensor, k: Tensor, v: Tensor; // [B, H, T, Dh]
    const W = this.in_proj_weight, b = this.in_proj_bias;
    if (q0 === k0 && k0 === v0) {
      // self-attention: one projection [B, L, 3E] -> [3, B, H, L, Dh]
      const qkv = permute(reshape(linear(bq, W, b), [B, L, 3, this.numHeads, this.headDim]), [2, 0, 3, 1, 4]);
      [q, k, v] = split(qkv, 1, 0).map((t) => squeeze(t, 0));
    } else {
      const part = (x: Tensor, i: number) =>
        this.heads(linear(x, narrow(W, 0, i * E, E), b ? narrow(b, 0, i * E, E) : null));
      q = part(bq, 0);
      k = part(bk, 1);
      v = part(bv, 2);
    }
    let mask = o.attnMask ?? null;
    if (mask !== null) {
      checkTensor(op, mask, 'attnMask');
      if (mask.ndim === 3 && mask.shape[0] === B * this.numHeads && B * this.numHeads !== 1)
        mask = reshape(mask, [B, this.numHeads, mask.shape[1], mask.shape[2]]);
      else if (mask.ndim === 3) mask = reshape(mask, [mask.shape[0], 1, mask.shape[1], mask.shape[2]]);
    }
    const y = scaledDotProductAttention(q, k, v, {
      attnMask: mask,
      isCausal,
      dropoutP: this.training ? this.dropout : 0,
    }); // [B, H, L, Dh]
    const merged = reshape(transpose(y, 1, 2), [B, L, E]);
    const out = this.out_proj.forward(merged); // [B, L, E]
    return this.batchFirst ? out : transpose(out, 0, 1);
  }

  override extraRepr(): string {
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}, batchFirst=${this.batchFirst}, dropout=${this.dropout}`;
  }
}
