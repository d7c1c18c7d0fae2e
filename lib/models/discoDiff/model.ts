// model.ts — DiscoDiffModel: the encoder q(c | x) (m latents over k codes), the latents' embedding
// table and the EDM-preconditioned denoiser D(x, σ, c) = c_skip x + c_out F(c_in x, c_noise, e(c))
// (lib/diffusion/edm.ts). With `latents: 0` it is the baseline: the same denoiser without latents.
// The JSON-able config (DiscoDiffConfig) is what a checkpoint stores.
import { Tensor, checkTensor } from '../../tensor';
import { oneHot } from '../../ops/indexing';
import { argmax } from '../../ops/reduce';
import { cast } from '../../ops/util';
import * as ew from '../../ops/elementwise';
import { full } from './util';
import { noGrad } from '../../autograd';
import { tidy } from '../../memory';
import { shapeStr } from '../../shape';
import { getRngState, manualSeed, setRngState } from '../../random';
import { Module } from '../../nn/module';
import { edmPrecond, EDM_SIGMA_DATA } from '../../diffusion/edm';
import { perSample } from '../../diffusion/param';
import { DiscoEncoder, LatentEmbedding } from './latents';
import { CondNet, DiscoImageNet, DiscoToyNet } from './nets';

/** Options of {@link DiscoDiffModel}: the JSON-able config a checkpoint stores. */
export interface DiscoDiffConfig {
  /** 'toy' (vectors [B, D], MLP denoiser; default) or 'image' ([B, C, S, S], U-Net denoiser). */
  kind?: 'toy' | 'image';
  /** Vector dimension D (toy; default 2). */
  dataDim?: number;
  /** Image channels C (image; default 1). */
  channels?: number;
  /** Image side S (image; default 16; divisible by 2^(levels − 1)). */
  size?: number;
  /** Number of discrete latents m (default 1; 0 = the baseline without latents). */
  latents?: number;
  /** Codebook size k of every latent (default 8). */
  codebook?: number;
  /** Embedding size d of a latent (default 16); the denoiser sees m·d numbers. */
  latentDim?: number;
  /** Toy MLP: hidden width (default 128) and number of SiLU hidden layers (default 3). */
  hidden?: number;
  layers?: number;
  /** Image U-Net: base width (default 16), per-level multipliers (default [1, 2]), GroupNorm groups (default 8). */
  base?: number;
  channelMults?: number[];
  groups?: number;
  /** Encoder hidden width (default 128 toy, 64 image). */
  encoderHidden?: number;
  /** EDM σ_d (default 0.5). */
  sigmaData?: number;
  /** Seed of the initial weights (the global generator is left as it was). */
  seed?: number;
  /** Parameter dtype (default float32). */
  dtype?: 'float32' | 'float64';
}

/** The fully resolved config. */
export type ResolvedDiscoConfig = Required<Omit<DiscoDiffConfig, 'seed'>> & { seed: number | null };

/** Validate and fill in a {@link DiscoDiffConfig}. */
export function resolveDiscoConfig(c: DiscoDiffConfig = {}): ResolvedDiscoConfig {
  const op = 'DiscoDiffModel';
  if (c === null || typeof c !== 'object') throw new TypeError(`${op}: config must be an object`);
  const int = (v: unknown, name: string, d: number, min: number): number => {
    const x = v === undefined ? d : v;
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min) throw new RangeError(`${op}: ${name} must be an integer ≥ ${min}, got ${String(x)}`);
    return x;
  };
  const kind = c.kind ?? 'toy';
  if (kind !== 'toy' && kind !== 'image') throw new TypeError(`${op}: kind must be 'toy' or 'image', got ${String(kind)}`);
  const dtype = c.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') throw new TypeError(`${op}: dtype must be 'float32' or 'float64', got ${String(dtype)}`);
  const channelMults = c.channelMults ?? [1, 2];
  if (!Array.isArray(channelMults) || channelMults.length < 1 || channelMults.some((m) => !Number.isInteger(m) || m < 1))
    throw new RangeError(`${op}: channelMults must be a non-empty array of positive integers, got ${JSON.stringify(channelMults)}`);
  const size = int(c.size, 'size', 16, 1);
  const f = 2 ** (channelMults.length - 1);
  if (kind === 'image' && size % f) throw new RangeError(`${op}: size ${size} must be divisible by 2^(levels − 1) = ${f}`);
  const base = int(c.base, 'base', 16, 1), groups = int(c.groups, 'groups', 8, 1);
  if (kind === 'image') for (const m of channelMults) if ((base * m) % groups) throw new RangeError(`${op}: groups ${groups} must divide every width (base ${base} × mult ${m})`);
  const sigmaData = c.sigmaData ?? EDM_SIGMA_DATA;
  if (typeof sigmaData !== 'number' || !(sigmaData > 0) || !Number.isFinite(sigmaData)) throw new RangeError(`${op}: sigmaData must be a finite number > 0, got ${String(sigmaData)}`);
  const seed = c.seed === undefined ? null : c.seed;
  if (seed !== null && (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0)) throw new RangeError(`${op}: seed must be a non-negative integer, got ${String(seed)}`);
  return {
    kind, dataDim: int(c.dataDim, 'dataDim', 2, 1), channels: int(c.channels, 'channels', 1, 1), size,
    latents: int(c.latents, 'latents', 1, 0), codebook: int(c.codebook, 'codebook', 8, 2), latentDim: int(c.latentDim, 'latentDim', 16, 1),
    hidden: int(c.hidden, 'hidden', 128, 1), layers: int(c.layers, 'layers', 3, 1),
    base, channelMults: [...channelMults], groups,
    encoderHidden: int(c.encoderHidden, 'encoderHidden', kind === 'toy' ? 128 : 64, 4),
    sigmaData, seed, dtype,
  };
}

/**
 * DisCo-Diff: encoder + latent embedding + EDM-preconditioned conditioned denoiser. Latents are
 * passed around as int32 codes [B, m] (hard) or as (relaxed) one-hots [B, m, k] (float).
 */
export class DiscoDiffModel extends Module {
  readonly config: ResolvedDiscoConfig;
  encoder: DiscoEncoder | null;
  embed: LatentEmbedding | null;
  net: CondNet;

  /** @param config see {@link DiscoDiffConfig}; `latents: 0` gives the baseline without latents. */
  constructor(config: DiscoDiffConfig = {}) {
    super();
    const c = resolveDiscoConfig(config);
    this.config = c;
    const saved = c.seed === null ? null : getRngState();
    try {
      if (c.seed !== null) manualSeed(c.seed);
      const seed = c.seed ?? undefined;
      const condDim = c.latents * c.latentDim;
      this.net = c.kind === 'toy'
        ? new DiscoToyNet(c.dataDim, c.hidden, c.layers, condDim, c.dtype, seed)
        : new DiscoImageNet(c.channels, c.base, c.channelMults, c.groups, condDim, c.dtype, seed);
      const input = c.kind === 'toy' ? { kind: 'toy' as const, dataDim: c.dataDim } : { kind: 'image' as const, channels: c.channels, size: c.size };
      this.encoder = c.latents > 0 ? new DiscoEncoder(input, c.latents, c.codebook, c.encoderHidden, c.dtype) : null;
      this.embed = c.latents > 0 ? new LatentEmbedding(c.latents, c.codebook, c.latentDim, c.dtype) : null;
    } finally {
      if (saved) setRngState(saved);
    }
  }

  /** The per-sample data shape: [D] or [C, S, S]. */
  get dataShape(): number[] {
    const c = this.config;
    return c.kind === 'toy' ? [c.dataDim] : [c.channels, c.size, c.size];
  }

  /** Number of latents m (0 for the baseline). */
  get m(): number {
    return this.config.latents;
  }

  /** @internal Throw unless x is [B, ...dataShape] float. */
  checkX(op: string, x: unknown, name = 'x'): Tensor {
    const t = checkTensor(op, x, name);
    const ds = this.dataShape;
    if (t.ndim !== ds.length + 1 || ds.some((d, i) => t.shape[i + 1] !== d) || t.shape[0] < 1)
      throw new RangeError(`${op}: ${name} must be [B, ${ds.join(', ')}] with B ≥ 1, got ${shapeStr(t.shape)} ${t.dtype}`);
    if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new TypeError(`${op}: ${name} must be float32 or float64, got ${t.dtype} ${shapeStr(t.shape)}`);
    return t.dtype === this.config.dtype ? t : cast(t, this.config.dtype);
  }

  /** Encoder logits: x [B, ...dataShape] → [B, m, k] (differentiable). Throws for the baseline. */
  logits(x: Tensor): Tensor {
    const op = 'DiscoDiffModel.logits';
    if (!this.encoder) throw new TypeError(`${op}: the baseline model (latents: 0) has no encoder`);
    return this.encoder.forward(this.checkX(op, x));
  }

  /** The encoder's argmax codes (inference): x [B, ...dataShape] → int32 [B, m]. */
  encode(x: Tensor): Tensor {
    return tidy(() => noGrad(() => argmax(this.logits(x), -1)));
  }

  /** int32 codes [B, m] → one-hot [B, m, k] in the model's dtype (validated). */
  oneHot(codes: Tensor): Tensor {
    const op = 'DiscoDiffModel.oneHot';
    const c = checkTensor(op, codes, 'codes');
    if (c.dtype !== 'int32' || c.ndim !== 2 || c.shape[1] !== this.m)
      throw new TypeError(`${op}: codes must be int32 [B, ${this.m}], got ${shapeStr(c.shape)} ${c.dtype}`);
    return oneHot(c, this.config.codebook, this.config.dtype);
  }

  /**
   * The raw network F(c_in x, c_noise, e(y)) for xIn [B, ...], cNoise [B] and y [B, m, k] (relaxed
   * or hard one-hot; null for the baseline) → [B, ...dataShape].
   */
  raw(xIn: Tensor, cNoise: Tensor, y: Tensor | null): Tensor {
    const op = 'DiscoDiffModel.raw';
    const x = this.checkX(op, xIn, 'xIn');
    checkTensor(op, cNoise, 'cNoise');
    if (cNoise.ndim !== 1 || cNoise.shape[0] !== x.shape[0]) throw new RangeError(`${op}: cNoise must be [${x.shape[0]}], got ${shapeStr(cNoise.shape)}`);
    const cn = cNoise.dtype === this.config.dtype ? cNoise : cast(cNoise, this.config.dtype);
    let e: Tensor | null = null;
    if (this.m > 0) {
      if (!(y instanceof Tensor)) throw new TypeError(`${op}: this model has ${this.m} latents; pass y [B, ${this.m}, ${this.config.codebook}]`);
      if (y.shape[0] !== x.shape[0]) throw new RangeError(`${op}: y ${shapeStr(y.shape)} and xIn ${shapeStr(x.shape)} differ in batch`);
      e = this.embed!.forward(y); // [B, m·d]
    } else if (y !== null && y !== undefined) throw new TypeError(`${op}: the baseline model (latents: 0) takes no latents`);
    return this.net.forward(x, cn, e);
  }

  /**
   * The EDM denoiser D(x, σ, c) = c_skip x + c_out F(c_in x, ¼ ln σ, e(c)). x [B, ...dataShape];
   * sigma a number > 0 or Tensor [B]; y: one-hot / relaxed latents [B, m, k] or int32 codes [B, m]
   * (null for the baseline) → [B, ...dataShape].
   */
  denoise(x: Tensor, sigma: number | Tensor, y: Tensor | null): Tensor {
    const op = 'DiscoDiffModel.denoise';
    const xx = this.checkX(op, x);
    const B = xx.shape[0];
    const sig = typeof sigma === 'number' ? full([B], sigma, this.config.dtype) : sigma;
    if (!(sig instanceof Tensor) || sig.ndim !== 1 || sig.shape[0] !== B) throw new RangeError(`${op}: sigma must be a number or a Tensor [${B}]`);
    if (this.m === 0 && y !== null && y !== undefined) throw new TypeError(`${op}: the baseline model (latents: 0) takes no latents, got ${y instanceof Tensor ? `${shapeStr(y.shape)} ${y.dtype}` : typeof y}`);
    const yy = y instanceof Tensor && y.dtype === 'int32' ? this.oneHot(y) : y;
    const c = edmPrecond(sig, this.config.sigmaData);
    const f = this.raw(ew.mul(xx, perSample(c.cIn, xx)), c.cNoise as Tensor, yy);
    return ew.add(ew.mul(xx, perSample(c.cSkip, xx)), ew.mul(f, perSample(c.cOut, xx)));
  }

  /** Same as {@link DiscoDiffModel.denoise}. */
  override forward(x: Tensor, sigma: number | Tensor, y: Tensor | null): Tensor {
    return this.denoise(x, sigma, y);
  }
}
