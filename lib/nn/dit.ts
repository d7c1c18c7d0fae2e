// dit.ts — the building blocks of a Diffusion Transformer (DiT, Peebles & Xie; SiT uses the same):
// adaLN-Zero modulation, patchify / unpatchify, the fixed 2-D sin-cos position embedding (as in
// MAE/DiT), PatchEmbed, DiTBlock and FinalLayer. Field names follow the reference DiT code
// (norm1, attn, mlp.fc1, adaLN_modulation.1, ...) so its checkpoints map onto these modules.
import { tensor } from '../ops/creation';
import { add, mul } from '../ops/elementwise';
import { chunk } from '../ops/indexing';
import { flatten, permute, reshape, transpose, unsqueeze } from '../ops/views';
import { shapeStr } from '../shape';
import { Tensor, checkTensor } from '../tensor';
import { SiLU } from './activations';
import { MultiheadAttention } from './attention';
import { Sequential } from './containers';
import { Conv2d } from './conv';
import { uniform, xavierUniform, zeros } from './init';
import { Linear } from './linear';
import { MLP } from './mlp';
import { Module } from './module';
import { LayerNorm } from './norm';
import { LayerOptions, checkInput, numIn, posInt } from './util';
import type { DType } from '../dtype';

/**
 * adaLN modulation: x · (1 + scale) + shift, with x [B, ..., D] and shift, scale [B, D] (broadcast over
 * the middle dims, e.g. the tokens of x [B, T, D]).
 */
export function modulate(x: Tensor, shift: Tensor, scale: Tensor): Tensor {
  const op = 'modulate';
  const xs = checkInput(op, x, 2);
  const sh = checkTensor(op, shift, 'shift');
  const sc = checkTensor(op, scale, 'scale');
  const B = xs.shape[0], D = xs.shape[xs.ndim - 1];
  for (const [n, t] of [['shift', sh], ['scale', sc]] as const)
    if (t.ndim !== 2 || t.shape[0] !== B || t.shape[1] !== D)
      throw new RangeError(`${op}: ${n} ${shapeStr(t.shape)} must be [B, D] = [${B}, ${D}] for x ${shapeStr(xs.shape)}`);
  const mid = new Array<number>(xs.ndim - 2).fill(1);
  const view = (t: Tensor) => reshape(t, [B, ...mid, D]);
  return add(mul(xs, add(view(sc), 1)), view(sh));
}

function grid(op: string, g: unknown): [number, number] {
  const p = typeof g === 'number' ? [g, g] : g;
  if (!Array.isArray(p) || p.length !== 2) throw new TypeError(`${op}: gridSize must be an integer or [h, w], got ${JSON.stringify(g)}`);
  return [posInt(op, p[0], 'gridSize[0]'), posInt(op, p[1], 'gridSize[1]')];
}

/**
 * The fixed 2-D sin-cos position embedding of MAE and DiT, [h·w, embedDim] for a grid of h×w tokens
 * in row-major order (token i·w + j is row i, column j). With D = embedDim/4 and ωₖ = 10000^(−k/D):
 * row (i, j) = [sin(j·ω), cos(j·ω), sin(i·ω), cos(i·ω)] — the first half encodes the column (numpy's
 * meshgrid puts w first), the second the row. embedDim must be divisible by 4. Computed in float64.
 */
export function sinCosPosEmbed2d(embedDim: number, gridSize: number | readonly [number, number], o: { dtype?: DType } = {}): Tensor {
  const op = 'sinCosPosEmbed2d';
  posInt(op, embedDim, 'embedDim', 4);
  if (embedDim % 4) throw new RangeError(`${op}: embedDim must be divisible by 4, got ${embedDim}`);
  const [h, w] = grid(op, gridSize);
  const D = embedDim / 4;
  const omega = Array.from({ length: D }, (_, k) => 1 / Math.pow(10000, k / D));
  const out = new Float64Array(h * w * embedDim);
  for (let i = 0; i < h; i++)
    for (let j = 0; j < w; j++) {
      const base = (i * w + j) * embedDim;
      for (let k = 0; k < D; k++) {
        out[base + k] = Math.sin(j * omega[k]);
        out[base + D + k] = Math.cos(j * omega[k]);
        out[base + 2 * D + k] = Math.sin(i * omega[k]);
        out[base + 3 * D + k] = Math.cos(i * omega[k]);
      }
    }
  return tensor(out, { shape: [h * w, embedDim], dtype: o.dtype ?? 'float32' });
}

/**
 * Images to patch tokens (MAE's patchify): x [B, C, H, W] -> [B, (H/p)·(W/p), p·p·C], token t = row·(W/p)
 * + col; within a token the features are ordered (pi, pj, c): feature (pi·p + pj)·C + c is
 * x[b, c, row·p + pi, col·p + pj].
 */
export function patchify(x: Tensor, p: number): Tensor {
  const op = 'patchify';
  const xs = checkTensor(op, x);
  posInt(op, p, 'patch size');
  if (xs.ndim !== 4) throw new RangeError(`${op}: x must be [B, C, H, W], got ${shapeStr(xs.shape)}`);
  const [B, C, H, W] = xs.shape;
  if (H % p || W % p) throw new RangeError(`${op}: H and W of ${shapeStr(xs.shape)} must be divisible by the patch size ${p}`);
  const h = H / p, w = W / p;
  const y = permute(reshape(xs, [B, C, h, p, w, p]), [0, 2, 4, 3, 5, 1]); // [B, h, w, p, p, C]
  return reshape(y, [B, h * w, p * p * C]);
}

/**
 * The inverse of patchify (DiT's unpatchify): x [B, h·w, p·p·C] -> [B, C, h·p, w·p]. gridSize [h, w]
 * defaults to a square grid (h = w = √T).
 */
export function unpatchify(x: Tensor, p: number, channels: number, gridSize?: number | readonly [number, number]): Tensor {
  const op = 'unpatchify';
  const xs = checkTensor(op, x);
  posInt(op, p, 'patch size');
  posInt(op, channels, 'channels');
  if (xs.ndim !== 3) throw new RangeError(`${op}: x must be [B, T, p·p·C], got ${shapeStr(xs.shape)}`);
  const [B, T, F] = xs.shape;
  if (F !== p * p * channels) throw new RangeError(`${op}: x ${shapeStr(xs.shape)} must have p·p·C = ${p * p * channels} features`);
  let h: number, w: number;
  if (gridSize === undefined) {
    h = w = Math.round(Math.sqrt(T));
    if (h * w !== T) throw new RangeError(`${op}: ${T} tokens are not a square grid; pass gridSize [h, w]`);
  } else {
    [h, w] = grid(op, gridSize);
    if (h * w !== T) throw new RangeError(`${op}: gridSize [${h}, ${w}] does not hold ${T} tokens`);
  }
  const y = permute(reshape(xs, [B, h, w, p, p, channels]), [0, 5, 1, 3, 2, 4]); // [B, C, h, p, w, p]
  return reshape(y, [B, channels, h * p, w * p]);
}

/** Image to patch tokens with a strided convolution (timm's PatchEmbed): [B, C, H, W] -> [B, (H/p)(W/p), D]. */
export class PatchEmbed extends Module {
  proj: Conv2d; // weight [D, C, p, p]
  readonly patchSize: number;

  constructor(patchSize: number, inChannels: number, embedDim: number, o: LayerOptions = {}) {
    super();
    this.patchSize = posInt('PatchEmbed', patchSize, 'patchSize');
    this.proj = new Conv2d(inChannels, embedDim, patchSize, { stride: patchSize, dtype: o.dtype });
    // DiT: initialise like a Linear over the flattened patch (Xavier-uniform on [D, C·p·p]), bias 0
    const fanIn = inChannels * patchSize * patchSize;
    const a = Math.sqrt(6 / (fanIn + embedDim));
    uniform(this.proj.weight, -a, a);
    zeros(this.proj.bias!);
  }

  override forward(x: Tensor): Tensor {
    const t = checkInput('PatchEmbed', x, 4);
    if (t.ndim !== 4 || t.shape[2] % this.patchSize || t.shape[3] % this.patchSize)
      throw new RangeError(`PatchEmbed: input ${shapeStr(t.shape)} must be [B, C, H, W] with H and W divisible by ${this.patchSize}`);
    return transpose(flatten(this.proj.forward(t), 2), 1, 2); // [B, T, D]
  }
}

export interface DiTBlockOptions extends LayerOptions {
  /** Hidden size of the MLP as a multiple of hiddenSize (default 4). */
  mlpRatio?: number;
}

/** @internal Sequential(SiLU, Linear(hidden, n·hidden)) with the Linear zero-initialised (adaLN-Zero). */
function adaLN(hidden: number, n: number, dtype: LayerOptions['dtype']): Sequential {
  const l = new Linear(hidden, n * hidden, { dtype });
  zeros(l.weight);
  zeros(l.bias!);
  return new Sequential(new SiLU(), l);
}

/**
 * A DiT block with adaLN-Zero conditioning: x [B, T, D], c [B, D] ->
 * x + g₁·attn(modulate(norm1(x), β₁, γ₁)), then + g₂·mlp(modulate(norm2(·), β₂, γ₂)), where
 * (β₁, γ₁, g₁, β₂, γ₂, g₂) = adaLN_modulation(c).chunk(6). The modulation Linear starts at zero, so a
 * fresh block is the identity. The norms have no affine parameters (eps 1e-6); the MLP uses GELU-tanh;
 * the attention layers are Xavier-uniform with zero biases (DiT's basic init).
 */
export class DiTBlock extends Module {
  norm1: LayerNorm;
  attn: MultiheadAttention;
  norm2: LayerNorm;
  mlp: MLP;
  adaLN_modulation: Sequential;
  readonly hiddenSize: number;

  constructor(hiddenSize: number, numHeads: number, o: DiTBlockOptions = {}) {
    super();
    const op = 'DiTBlock';
    this.hiddenSize = posInt(op, hiddenSize, 'hiddenSize');
    const ratio = numIn(op, o.mlpRatio ?? 4, 'mlpRatio', Number.MIN_VALUE, Infinity);
    const dtype = o.dtype;
    this.norm1 = new LayerNorm(hiddenSize, { elementwiseAffine: false, eps: 1e-6, dtype });
    this.attn = new MultiheadAttention(hiddenSize, numHeads, { batchFirst: true, dtype });
    this.norm2 = new LayerNorm(hiddenSize, { elementwiseAffine: false, eps: 1e-6, dtype });
    this.mlp = new MLP(hiddenSize, Math.round(hiddenSize * ratio), { act: 'gelu_tanh', dtype });
    for (const l of [this.attn.out_proj, this.mlp.fc1, this.mlp.fc2]) {
      xavierUniform(l.weight);
      zeros(l.bias!);
    }
    this.adaLN_modulation = adaLN(hiddenSize, 6, dtype);
  }

  override forward(x: Tensor, c: Tensor): Tensor {
    const D = this.hiddenSize;
    const xs = checkInput('DiTBlock', x, 3, [-1, D, 'features']);
    const cs = checkInput('DiTBlock', c, 2, [-1, D, 'features']);
    if (xs.ndim !== 3 || cs.ndim !== 2 || cs.shape[0] !== xs.shape[0])
      throw new RangeError(`DiTBlock: expected x [B, T, ${D}] and c [B, ${D}], got ${shapeStr(xs.shape)} and ${shapeStr(cs.shape)}`);
    const [shiftMsa, scaleMsa, gateMsa, shiftMlp, scaleMlp, gateMlp] = chunk(this.adaLN_modulation.forward(cs), 6, 1); // 6 × [B, D]
    const a = this.attn.forward(modulate(this.norm1.forward(xs), shiftMsa, scaleMsa));
    const h = add(xs, mul(unsqueeze(gateMsa, 1), a));
    const m = this.mlp.forward(modulate(this.norm2.forward(h), shiftMlp, scaleMlp));
    return add(h, mul(unsqueeze(gateMlp, 1), m));
  }
}

/**
 * DiT's final layer: x [B, T, D], c [B, D] -> linear(modulate(norm_final(x), β, γ)) [B, T, p·p·outChannels],
 * (β, γ) = adaLN_modulation(c).chunk(2); both the modulation and the output Linear start at zero.
 */
export class FinalLayer extends Module {
  norm_final: LayerNorm;
  linear: Linear;
  adaLN_modulation: Sequential;
  readonly hiddenSize: number;

  constructor(hiddenSize: number, patchSize: number, outChannels: number, o: LayerOptions = {}) {
    super();
    const op = 'FinalLayer';
    this.hiddenSize = posInt(op, hiddenSize, 'hiddenSize');
    posInt(op, patchSize, 'patchSize');
    posInt(op, outChannels, 'outChannels');
    this.norm_final = new LayerNorm(hiddenSize, { elementwiseAffine: false, eps: 1e-6, dtype: o.dtype });
    this.linear = new Linear(hiddenSize, patchSize * patchSize * outChannels, { dtype: o.dtype });
    zeros(this.linear.weight);
    zeros(this.linear.bias!);
    this.adaLN_modulation = adaLN(hiddenSize, 2, o.dtype);
  }

  override forward(x: Tensor, c: Tensor): Tensor {
    const D = this.hiddenSize;
    const xs = checkInput('FinalLayer', x, 3, [-1, D, 'features']);
    const cs = checkInput('FinalLayer', c, 2, [-1, D, 'features']);
    const [shift, scale] = chunk(this.adaLN_modulation.forward(cs), 2, 1);
    return this.linear.forward(modulate(this.norm_final.forward(xs), shift, scale));
  }
}
