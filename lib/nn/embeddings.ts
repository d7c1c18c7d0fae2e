// embeddings.ts — Embedding (a lookup table), and the embeddings of a diffusion model's noise
// level: the sinusoidal timestep embedding (DDPM / DiT), the Gaussian Fourier-feature embedding
// (score SDE, EDM) of t, σ or λ, and DiT's TimestepEmbedder (sinusoid -> MLP).
import { embedding } from '../ops/embedding';
import { tensor } from '../ops/creation';
import { cos, mul, sin } from '../ops/elementwise';
import { cat } from '../ops/indexing';
import { cast } from '../ops/util';
import { narrow, unsqueeze } from '../ops/views';
import { zeros as zerosT } from '../ops/creation';
import { shapeStr } from '../shape';
import { Tensor, checkTensor } from '../tensor';
import { normal, zeros } from './init';
import { Linear } from './linear';
import { SiLU } from './activations';
import { Sequential } from './containers';
import { Module } from './module';
import { Parameter } from './parameter';
import { LayerOptions, bool, layerDtype, newParam, numIn, posInt } from './util';
import { randn } from '../ops/creation';

export interface EmbeddingOptions extends LayerOptions {
  /** This row starts at zero and gets no gradient (PyTorch's padding_idx; negative counts from the end). */
  paddingIdx?: number | null;
}

/**
 * A table of numEmbeddings vectors of size embeddingDim: int32 idx [...] -> [..., embeddingDim].
 * weight ~ N(0, 1) (the paddingIdx row, if any, zero).
 */
export class Embedding extends Module {
  weight: Parameter; // [num, dim]
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly paddingIdx: number | null;

  constructor(numEmbeddings: number, embeddingDim: number, o: EmbeddingOptions = {}) {
    super();
    const op = 'Embedding';
    const dt = layerDtype(op, o);
    this.numEmbeddings = posInt(op, numEmbeddings, 'numEmbeddings');
    this.embeddingDim = posInt(op, embeddingDim, 'embeddingDim');
    const pi = o.paddingIdx;
    if (pi !== undefined && pi !== null && (typeof pi !== 'number' || !Number.isInteger(pi)))
      throw new TypeError(`${op}: paddingIdx must be an integer, got ${String(pi)}`);
    if (typeof pi === 'number' && (pi < -numEmbeddings || pi >= numEmbeddings))
      throw new RangeError(`${op}: paddingIdx ${pi} is outside [-${numEmbeddings}, ${numEmbeddings})`);
    this.paddingIdx = typeof pi === 'number' ? (pi < 0 ? pi + numEmbeddings : pi) : null;
    this.weight = newParam([numEmbeddings, embeddingDim], dt, (p) => normal(p));
    if (this.paddingIdx !== null) {
      const row = narrow(this.weight, 0, this.paddingIdx, 1);
      zeros(row);
      row.dispose();
    }
  }

  override forward(idx: Tensor): Tensor {
    const i = checkTensor('Embedding', idx, 'indices');
    if (i.dtype !== 'int32') throw new TypeError(`Embedding: indices must be int32, got ${i.dtype} ${shapeStr(i.shape)}`);
    return embedding(i, this.weight, { paddingIdx: this.paddingIdx });
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}`;
  }
}

export interface TimestepEmbeddingOptions {
  /** Longest period of the sinusoids (default 10000). */
  maxPeriod?: number;
  /** Put the sines first: [sin, cos] (DDPM / diffusers default); default false: [cos, sin] as in DiT. */
  sinFirst?: boolean;
}

/** @internal A 1-D noise-level input as a float [B] tensor. */
function levels(op: string, t: unknown): Tensor {
  const x = checkTensor(op, t, 't');
  if (x.ndim !== 1) throw new RangeError(`${op}: t must be 1-d [B], got ${shapeStr(x.shape)}`);
  return x.dtype === 'int32' ? cast(x, 'float32') : x;
}

/**
 * Sinusoidal embedding of timesteps t [B] (integer steps or any real t, σ or λ) -> [B, dim]:
 * with half = ⌊dim/2⌋ and fₖ = maxPeriod^(−k/half), k < half, the output is
 * [cos(t·f₀..f_{half−1}), sin(t·f₀..f_{half−1})] (or sines first), zero-padded by one column when dim is
 * odd. The frequencies are computed in float64 and cast to t's dtype (float32 for int32 t).
 */
export function timestepEmbedding(t: Tensor, dim: number, o: TimestepEmbeddingOptions = {}): Tensor {
  const op = 'timestepEmbedding';
  const x = levels(op, t);
  posInt(op, dim, 'dim', 2);
  const maxPeriod = numIn(op, o.maxPeriod ?? 10000, 'maxPeriod', Number.MIN_VALUE, Infinity);
  const sinFirst = bool(op, o.sinFirst, 'sinFirst', false);
  const half = Math.floor(dim / 2);
  const f = new Float64Array(half);
  for (let k = 0; k < half; k++) f[k] = Math.exp((-Math.log(maxPeriod) * k) / half);
  const freqs = tensor(f, { dtype: x.dtype, device: x.device }); // [half]
  const args = mul(unsqueeze(x, 1), freqs); // [B, half]
  const parts = sinFirst ? [sin(args), cos(args)] : [cos(args), sin(args)];
  if (dim % 2) parts.push(zerosT([x.shape[0], 1], { dtype: x.dtype }));
  return cat(parts, 1);
}

/**
 * Fourier features of x [B] with frequencies w [dim/2]: [sin(2π x w), cos(2π x w)] -> [B, dim].
 * Differentiable in x and w.
 */
export function fourierFeatures(x: Tensor, w: Tensor): Tensor {
  const op = 'fourierFeatures';
  const xs = levels(op, x);
  const ws = checkTensor(op, w, 'frequencies');
  if (ws.ndim !== 1) throw new RangeError(`${op}: frequencies must be 1-d, got ${shapeStr(ws.shape)}`);
  const proj = mul(mul(unsqueeze(xs, 1), ws), 2 * Math.PI); // [B, dim/2]
  return cat([sin(proj), cos(proj)], 1);
}

export interface GaussianFourierOptions extends LayerOptions {
  /** Standard deviation of the random frequencies (default 1; score SDE uses 16 on log σ). */
  scale?: number;
  /** Draw the frequencies from this seed instead of the global generator. */
  seed?: number | bigint;
  /** Learn the frequencies (a Parameter) instead of keeping them fixed (a buffer; the default). */
  trainable?: boolean;
}

/**
 * Gaussian Fourier-feature embedding (Tancik et al.; score SDE's GaussianFourierProjection):
 * W [dim/2] ~ N(0, scale²), forward(x [B]) = [sin(2π x W), cos(2π x W)] [B, dim]. Feed it t, log σ
 * (score SDE, EDM) or λ. W is a persistent buffer (in the state dict) unless trainable.
 */
export class GaussianFourierEmbedding extends Module {
  W!: Tensor; // [dim/2]
  readonly dim: number;

  constructor(dim: number, o: GaussianFourierOptions = {}) {
    super();
    const op = 'GaussianFourierEmbedding';
    const dt = layerDtype(op, o);
    this.dim = posInt(op, dim, 'dim', 2);
    if (dim % 2) throw new RangeError(`${op}: dim must be even, got ${dim}`);
    const scale = numIn(op, o.scale ?? 1, 'scale', 0, Infinity);
    const w = randn([dim / 2], { dtype: dt, seed: o.seed });
    const ws = mul(w, scale);
    w.dispose();
    if (bool(op, o.trainable, 'trainable', false)) {
      this.W = new Parameter(ws);
      ws.dispose();
    } else this.registerBuffer('W', ws);
  }

  override forward(x: Tensor): Tensor {
    return fourierFeatures(x, this.W);
  }

  override extraRepr(): string {
    return `dim=${this.dim}, trainable=${this.W instanceof Parameter}`;
  }
}

export interface TimestepEmbedderOptions extends LayerOptions, TimestepEmbeddingOptions {
  /** Size of the sinusoidal embedding fed to the MLP (default 256). */
  frequencyEmbeddingSize?: number;
}

/**
 * DiT's TimestepEmbedder: t [B] -> mlp(timestepEmbedding(t, frequencyEmbeddingSize)) [B, hiddenSize],
 * mlp = Sequential(Linear(freq, hidden), SiLU, Linear(hidden, hidden)), weights N(0, 0.02²) and
 * biases zero as in DiT's initialisation.
 */
export class TimestepEmbedder extends Module {
  mlp: Sequential;
  readonly frequencyEmbeddingSize: number;
  readonly embeddingOptions: TimestepEmbeddingOptions;

  constructor(hiddenSize: number, o: TimestepEmbedderOptions = {}) {
    super();
    const op = 'TimestepEmbedder';
    posInt(op, hiddenSize, 'hiddenSize');
    this.frequencyEmbeddingSize = posInt(op, o.frequencyEmbeddingSize ?? 256, 'frequencyEmbeddingSize', 2);
    this.embeddingOptions = { maxPeriod: o.maxPeriod, sinFirst: o.sinFirst };
    const l1 = new Linear(this.frequencyEmbeddingSize, hiddenSize, { dtype: o.dtype });
    const l2 = new Linear(hiddenSize, hiddenSize, { dtype: o.dtype });
    for (const l of [l1, l2]) {
      normal(l.weight, 0, 0.02);
      zeros(l.bias!);
    }
    this.mlp = new Sequential(l1, new SiLU(), l2);
  }

  override forward(t: Tensor): Tensor {
    const w = (this.mlp.get(0) as Linear).weight;
    let e = timestepEmbedding(t, this.frequencyEmbeddingSize, this.embeddingOptions);
    if (e.dtype !== w.dtype) e = cast(e, w.dtype);
    return this.mlp.forward(e);
  }
}
