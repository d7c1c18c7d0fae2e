// model.ts — ULModel: the encoder, the diffusion prior and the diffusion decoder of Unified Latents
// (spec /work/shared/specs/unified-latents.md), with the fixed-noise encoding at λ(0) = 5:
//   z₀ = α₀ z_clean + σ₀ ε,  α₀² = sigmoid(5) ≈ 0.99331,  σ₀ = √sigmoid(−5) ≈ 0.08181.
// The prior diffuses z_clean over λ ∈ [λ_min, 5] (cosine schedule clipped to that range, so its
// least-noisy level is exactly the encoder's); the decoder diffuses images over λ ∈ [−15, 15]
// (cosine) conditioned on z₀. The objective's knobs (loss factor c, sigmoid bias b) live here too.
import { Tensor } from '../../tensor';
import { randn } from '../../ops/creation';
import * as ew from '../../ops/elementwise';
import { Module } from '../../nn/module';
import { CosineSchedule } from '../../diffusion/schedules';
import { Cfg, NetDType, ULEncoder, EncoderConfig, LatentDenoiser, LatentDenoiserConfig, ULDecoderNet, DecoderNetConfig, image4 } from './nets';

/** The encoder's fixed logSNR λ(0). */
export const LAMBDA0 = 5;
/** α₀ = √sigmoid(λ(0)) ≈ 0.99665. */
export const ALPHA0 = Math.sqrt(1 / (1 + Math.exp(-LAMBDA0)));
/** σ₀ = √sigmoid(−λ(0)) ≈ 0.08181. */
export const SIGMA0 = Math.sqrt(1 / (1 + Math.exp(LAMBDA0)));

/** Options of {@link ULModel} (JSON-able; a checkpoint stores them). */
export interface ULConfig {
  /** Image channels (default 1). */
  channels?: number;
  /** Image side (default 16). */
  size?: number;
  /** Latent channels (default 4). */
  latentChannels?: number;
  /** Stride-2 stages of the encoder (default 2: 16 → 4, 28 → 7). */
  downsamples?: number;
  /** Encoder width (default 32). */
  encoderBase?: number;
  /** Prior width and depth (defaults 64, 2). */
  priorWidth?: number;
  priorDepth?: number;
  /** Decoder U-Net base width (default 32). */
  decoderBase?: number;
  /** GroupNorm groups of prior and decoder (default 8). */
  groups?: number;
  /** λ_min of the prior (default −10); its range is [λ_min, 5]. */
  priorLambdaMin?: number;
  /** Decoder logSNR range (defaults −15, 15). */
  decoderLambdaMin?: number;
  decoderLambdaMax?: number;
  /** Loss factor c of L = L_prior + c·L_dec (default 1). */
  lossFactor?: number;
  /** Bias b of the decoder's sigmoid weighting sigmoid(b − λ) (default 0). */
  bias?: number;
  /** Seed of the initial weights (the three nets use seed, seed + 1, seed + 2). */
  seed?: number | null;
  /** Parameter dtype (default float32). */
  dtype?: NetDType;
}

/** A fully resolved {@link ULConfig}. */
export type ResolvedULConfig = Required<ULConfig>;

/** Validate and fill in a {@link ULConfig}. */
export function resolveULConfig(c: ULConfig = {}): ResolvedULConfig {
  const v = new Cfg('ULModel', c as Record<string, unknown>);
  const priorLambdaMin = v.num('priorLambdaMin', -10, (x) => x < LAMBDA0, `< ${LAMBDA0}`);
  const decoderLambdaMin = v.num('decoderLambdaMin', -15, () => true, 'finite');
  const decoderLambdaMax = v.num('decoderLambdaMax', 15, (x) => x > decoderLambdaMin, `> decoderLambdaMin (${decoderLambdaMin})`);
  return {
    channels: v.int('channels', 1), size: v.int('size', 16), latentChannels: v.int('latentChannels', 4), downsamples: v.int('downsamples', 2),
    encoderBase: v.int('encoderBase', 32), priorWidth: v.int('priorWidth', 64), priorDepth: v.int('priorDepth', 2),
    decoderBase: v.int('decoderBase', 32), groups: v.int('groups', 8), priorLambdaMin, decoderLambdaMin, decoderLambdaMax,
    lossFactor: v.num('lossFactor', 1, (x) => x > 0, '> 0'), bias: v.num('bias', 0, () => true, 'finite'),
    seed: v.seed(), dtype: v.dtype(),
  };
}

/**
 * Unified Latents: encoder E (x → z_clean), diffusion prior P on latents (λ ∈ [λ_min, 5]) and
 * diffusion decoder D (images, conditioned on z₀). Build from a {@link ULConfig}; train with
 * {@link ulLoss} / `ULTrainer`; reconstruct with `reconstruct`, sample with a stage-2 base model.
 */
export class ULModel {
  readonly config: ResolvedULConfig;
  readonly encoder: ULEncoder;
  readonly prior: LatentDenoiser;
  readonly decoder: ULDecoderNet;
  /** The prior's schedule: cosine clipped to [λ_min, 5]. */
  readonly priorSchedule: CosineSchedule;
  /** The decoder's schedule: cosine clipped to [decoderLambdaMin, decoderLambdaMax]. */
  readonly decoderSchedule: CosineSchedule;

  /** @param config see {@link ULConfig}; defaults: MNIST 16×16 → 4×4×4 latents. */
  constructor(config: ULConfig = {}) {
    const c = (this.config = resolveULConfig(config));
    const s = (k: number) => (c.seed === null ? null : c.seed + k);
    const enc: EncoderConfig = { channels: c.channels, size: c.size, latentChannels: c.latentChannels, downsamples: c.downsamples, base: c.encoderBase, seed: s(0), dtype: c.dtype };
    this.encoder = new ULEncoder(enc);
    const h = this.encoder.latentSize;
    const pri: LatentDenoiserConfig = { latentChannels: c.latentChannels, latentSize: h, width: c.priorWidth, depth: c.priorDepth, groups: c.groups, seed: s(1), dtype: c.dtype };
    const dec: DecoderNetConfig = { channels: c.channels, size: c.size, latentChannels: c.latentChannels, latentSize: h, base: c.decoderBase, groups: c.groups, seed: s(2), dtype: c.dtype };
    try {
      this.prior = new LatentDenoiser(pri);
      this.decoder = new ULDecoderNet(dec);
    } catch (e) {
      this.encoder.dispose();
      throw e;
    }
    this.priorSchedule = new CosineSchedule({ lambdaMin: c.priorLambdaMin, lambdaMax: LAMBDA0 });
    this.decoderSchedule = new CosineSchedule({ lambdaMin: c.decoderLambdaMin, lambdaMax: c.decoderLambdaMax });
  }

  /** Per-image shape [C, S, S]. */
  get dataShape(): number[] {
    return [this.config.channels, this.config.size, this.config.size];
  }
  /** Per-image latent shape [L, h, h]. */
  get latentShape(): number[] {
    const h = this.encoder.latentSize;
    return [this.config.latentChannels, h, h];
  }
  /** Number of latent dimensions per image, L·h·h. */
  get latentDim(): number {
    return this.latentShape.reduce((a, b) => a * b, 1);
  }

  /** The encoder, prior and decoder, in that order (for optimisers and state dicts). */
  modules(): Module[] {
    return [this.encoder, this.prior, this.decoder];
  }

  /** All trainable parameters (encoder, prior, decoder). */
  parameters(): Tensor[] {
    return this.modules().flatMap((m) => m.parameters());
  }

  /** z_clean = E(x): x [B, C, S, S] → [B, L, h, h] (differentiable; no noise). */
  encode(x: Tensor): Tensor {
    const c = this.config;
    image4('ULModel.encode', x, 'x', c.channels, c.size, c.size, c.dtype);
    return this.encoder.forward(x);
  }

  /**
   * The fixed-noise encoding z₀ = α₀ z_clean + σ₀ ε (λ(0) = 5), ε ~ N(0, I) drawn from `seed`
   * (the global stream when omitted). zClean [B, L, h, h] → [B, L, h, h].
   */
  noisyLatent(zClean: Tensor, seed?: number | bigint): Tensor {
    const [L, h] = this.latentShape;
    const z = image4('ULModel.noisyLatent', zClean, 'zClean', L, h, h, this.config.dtype);
    const eps = randn(z.shape, { seed, dtype: z.dtype });
    return ew.add(ew.mul(z, ALPHA0), ew.mul(eps, SIGMA0));
  }

  /** z₀ of images x (encode, then the fixed noise from `seed`). x [B, C, S, S] → [B, L, h, h]. */
  encodeNoisy(x: Tensor, seed?: number | bigint): Tensor {
    return this.noisyLatent(this.encode(x), seed);
  }

  /** Sets train/eval mode of every net. */
  train(mode = true): this {
    for (const m of this.modules()) m.train(mode);
    return this;
  }

  /** JSON-able description (what a checkpoint stores to rebuild the model). */
  describe(): ResolvedULConfig {
    return { ...this.config };
  }

  /** Frees the parameters of all three nets. */
  dispose(): void {
    for (const m of this.modules()) m.dispose();
  }
}
