// vae.ts — the classic latent-diffusion baseline's autoencoder (Rombach et al. 2022, "KL-reg"): a
// VAE with a Gaussian posterior q(z|x) = N(μ(x), diag e^{logvar(x)}) on the same latent grid as UL,
// a deterministic conv decoder, and the loss
//   L = Σ_pixels (x − x̂(z))² + β · KL(q(z|x) ‖ N(0, I)),   z = μ + e^{logvar/2} ε
// (per image, mean over the batch; the reconstruction term is the fused weightedMse with unit
// weights). KL in nats per image; / ln 2 for bits. A LatentDiffusion (latent.ts) then learns its
// latents (posteriorSampler) and samples decode through `decode`.
import { Tensor } from '../../tensor';
import { ones, randn, randint } from '../../ops/creation';
import * as ew from '../../ops/elementwise';
import { clone, narrow } from '../../ops/views';
import { cat, indexSelect } from '../../ops/indexing';
import { sum, mean } from '../../ops/reduce';
import { tidy } from '../../memory';
import { noGrad } from '../../autograd';
import { Module } from '../../nn/module';
import { Conv2d } from '../../nn/conv';
import { SiLU } from '../../nn/activations';
import { ModuleList } from '../../nn/containers';
import { upsampleNearest2d } from '../../ops/pool';
import { Adam } from '../../optim/adam';
import { clipGradNorm } from '../../optim/clip';
import { weightedMse } from '../../diffusion/fused';
import { deriveSeed } from '../../diffusion/cld';
import { Cfg, NetDType, ULEncoder, image4, seeded } from './nets';
import { Seed } from './loss';
import { DataSource, TrainConfig, TrainLoopOptions, checkData, drawBatch, resolveTrainConfig, trainLoop } from './train';

/** Options of {@link VAEModel} (JSON-able). */
export interface VAEConfig {
  /** Image channels (default 1). */
  channels?: number;
  /** Image side (default 16). */
  size?: number;
  /** Latent channels (default 4). */
  latentChannels?: number;
  /** Stride-2 stages (default 2). */
  downsamples?: number;
  /** Encoder width (default 32). */
  encoderBase?: number;
  /** Decoder width (default 32; 2·base at the latent resolution). */
  decoderBase?: number;
  /** KL weight β (default 1). */
  beta?: number;
  /** Seed of the weights (encoder seed, decoder seed + 1). */
  seed?: number | null;
  /** Parameter dtype (default float32). */
  dtype?: NetDType;
}

/** A fully resolved {@link VAEConfig}. */
export type ResolvedVAEConfig = Required<VAEConfig>;

/** Validate and fill in a {@link VAEConfig}. */
export function resolveVAEConfig(c: VAEConfig = {}): ResolvedVAEConfig {
  const v = new Cfg('VAEModel', c as Record<string, unknown>);
  return {
    channels: v.int('channels', 1), size: v.int('size', 16), latentChannels: v.int('latentChannels', 4), downsamples: v.int('downsamples', 2),
    encoderBase: v.int('encoderBase', 32), decoderBase: v.int('decoderBase', 32), beta: v.num('beta', 1, (x) => x >= 0, '≥ 0'),
    seed: v.seed(), dtype: v.dtype(),
  };
}

/**
 * The deterministic VAE decoder: z [B, L, h, h] → conv 3×3 (2·base) → per stage: SiLU, nearest ×2,
 * conv 3×3 (width 2·base, then base), SiLU, conv 3×3 → SiLU, conv 3×3 (→ C) → x̂ [B, C, S, S].
 */
export class VAEDecoder extends Module {
  convIn: Conv2d;
  stages: ModuleList;
  convOut: Conv2d;
  act = new SiLU();
  readonly stageCount: number;

  constructor(latentChannels: number, channels: number, stages: number, base: number, dtype: NetDType) {
    super();
    this.stageCount = stages;
    this.convIn = new Conv2d(latentChannels, 2 * base, 3, { padding: 1, dtype });
    const mods: Module[] = [];
    let ch = 2 * base;
    for (let i = 0; i < stages; i++) {
      const out = i === stages - 1 ? base : 2 * base;
      mods.push(new Conv2d(ch, out, 3, { padding: 1, dtype }), new Conv2d(out, out, 3, { padding: 1, dtype }));
      ch = out;
    }
    this.stages = new ModuleList(mods);
    this.convOut = new Conv2d(ch, channels, 3, { padding: 1, dtype });
  }

  /** z [B, L, h, h] → x̂ [B, C, h·2^stages, h·2^stages]. */
  override forward(z: Tensor): Tensor {
    let h = this.convIn.forward(z);
    const m = [...this.stages] as Conv2d[];
    for (let i = 0; i < this.stageCount; i++) {
      h = m[2 * i].forward(upsampleNearest2d(this.act.forward(h), 2));
      h = m[2 * i + 1].forward(this.act.forward(h));
    }
    return this.convOut.forward(this.act.forward(h));
  }
}

/** The KL-regularised VAE of the latent-diffusion baseline. */
export class VAEModel {
  readonly config: ResolvedVAEConfig;
  readonly encoder: ULEncoder;
  readonly decoder: VAEDecoder;

  /** @param config see {@link VAEConfig}; defaults: 16×16 → 4×4×4 latents, β = 1. */
  constructor(config: VAEConfig = {}) {
    const c = (this.config = resolveVAEConfig(config));
    this.encoder = new ULEncoder({ channels: c.channels, size: c.size, latentChannels: c.latentChannels, downsamples: c.downsamples, base: c.encoderBase, outputsPerChannel: 2, seed: c.seed, dtype: c.dtype });
    this.decoder = seeded(c.seed === null ? null : c.seed + 1, () => new VAEDecoder(c.latentChannels, c.channels, c.downsamples, c.decoderBase, c.dtype));
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
  /** L·h·h. */
  get latentDim(): number {
    return this.latentShape.reduce((a, b) => a * b, 1);
  }

  /** Encoder and decoder parameters. */
  parameters(): Tensor[] {
    return [...this.encoder.parameters(), ...this.decoder.parameters()];
  }

  /** The posterior of x [B, C, S, S]: mean and log-variance [B, L, h, h] (logvar clamped to [−20, 10]). */
  encode(x: Tensor): { mean: Tensor; logvar: Tensor } {
    const c = this.config;
    image4('VAEModel.encode', x, 'x', c.channels, c.size, c.size, c.dtype);
    const h = this.encoder.forward(x); // [B, 2L, h, h]
    const L = c.latentChannels;
    return { mean: narrow(h, 1, 0, L), logvar: ew.clamp(narrow(h, 1, L, L), -20, 10) };
  }

  /** x̂ = decoder(z): z [B, L, h, h] → [B, C, S, S]. */
  decode(z: Tensor): Tensor {
    const [L, h] = this.latentShape;
    return this.decoder.forward(image4('VAEModel.decode', z, 'z', L, h, h, this.config.dtype));
  }

  /** Deterministic reconstruction decode(μ(x)), without gradients. x [B, C, S, S] → [B, C, S, S]. */
  reconstruct(x: Tensor): Tensor {
    return noGrad(() => tidy(() => this.decode(this.encode(x).mean)));
  }

  /** Frees encoder and decoder. */
  dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
  }
}

/** The VAE loss and its parts (0-d; recon and kl in nats-like units per image, mean over the batch). */
export interface VAELossResult {
  loss: Tensor;
  recon: Tensor;
  kl: Tensor;
}

/** L = Σ(x − x̂)² + β KL on images x [B, C, S, S] (β from the model's config unless given). Call inside tidy(). */
export function vaeLoss(model: VAEModel, x: Tensor, o: { seed: Seed; beta?: number }): VAELossResult {
  const op = 'vaeLoss';
  if (!(model instanceof VAEModel)) throw new TypeError(`${op}: model must be a VAEModel`);
  if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object with a seed`);
  const beta = o.beta ?? model.config.beta;
  if (typeof beta !== 'number' || !(beta >= 0) || !Number.isFinite(beta)) throw new RangeError(`${op}: beta must be a finite number ≥ 0, got ${String(beta)}`);
  const c = model.config;
  const xs = image4(op, x, 'x', c.channels, c.size, c.size, c.dtype);
  const { mean: mu, logvar } = model.encode(xs);
  const z = ew.add(mu, ew.mul(ew.exp(ew.mul(logvar, 0.5)), randn(mu.shape, { seed: deriveSeed(o.seed, 0), dtype: mu.dtype })));
  const xh = model.decode(z);
  const B = xs.shape[0];
  const recon = weightedMse(xh, xs, ones([B], { dtype: 'float64' }));
  const klPer = ew.mul(sum(ew.sub(ew.add(ew.square(mu), ew.exp(logvar)), ew.add(logvar, 1)), [1, 2, 3]), 0.5); // [B]
  const kl = mean(klPer);
  return { loss: ew.add(recon, ew.mul(kl, beta)), recon, kl };
}

/** Metrics of one VAE step. */
export interface VAEStepMetrics {
  [k: string]: number;
  loss: number;
  recon: number;
  /** KL in nats per image. */
  kl: number;
}

/** Trains a {@link VAEModel} with Adam and clipping; step k's batch and noise from (seed, k) alone. */
export class VAETrainer {
  readonly model: VAEModel;
  readonly config: Required<TrainConfig>;
  readonly opt: Adam;
  step = 0;
  private data: DataSource;

  /** @param model the VAE; @param data images [N, C, S, S] or a sampler; @param config {@link TrainConfig}. */
  constructor(model: VAEModel, data: DataSource, config: TrainConfig = {}) {
    if (!(model instanceof VAEModel)) throw new TypeError('VAETrainer: model must be a VAEModel');
    this.config = resolveTrainConfig(config, 'VAETrainer');
    this.data = checkData('VAETrainer', data, model.dataShape);
    this.model = model;
    this.opt = new Adam(model.parameters(), { lr: this.config.lr });
  }

  /** One step; returns the batch loss, reconstruction and KL terms. */
  trainStep(): VAEStepMetrics {
    const k = this.step;
    const m = tidy(() => {
      this.opt.zeroGrad();
      const x = drawBatch('VAETrainer', this.data, this.config.batchSize, deriveSeed(this.config.seed, 2 * k), this.model.dataShape);
      const r = vaeLoss(this.model, x, { seed: deriveSeed(this.config.seed, 2 * k + 1) });
      r.loss.backward();
      return { loss: r.loss.item(), recon: r.recon.item(), kl: r.kl.item() };
    });
    if (!Number.isFinite(m.loss)) throw new Error(`VAETrainer: the loss became ${m.loss} at step ${k}; lower lr`);
    if (this.config.gradClip > 0) clipGradNorm(this.model.parameters(), this.config.gradClip);
    this.opt.step();
    this.opt.zeroGrad();
    this.step++;
    return m;
  }

  /** Runs `steps` steps with optional logging; returns every step's metrics. */
  train(steps: number, o: TrainLoopOptions<VAEStepMetrics> = {}): VAEStepMetrics[] {
    return trainLoop('VAETrainer.train', steps, o, () => this.trainStep(), () => this.step);
  }

  /** Frees the optimizer state. */
  dispose(): void {
    this.opt.dispose();
  }
}

/**
 * A latent sampler for the LDM: precomputes the posteriors of `images` [N, C, S, S] once (no
 * gradients), then (n, seed) → z = μ + σ ε [n, L, h, h] for n random images. Call `dispose()` when done.
 */
export function posteriorSampler(model: VAEModel, images: Tensor): { sample: (n: number, seed: bigint) => Tensor; dispose: () => void } {
  const c = model.config;
  image4('posteriorSampler', images, 'images', c.channels, c.size, c.size, images.dtype as NetDType);
  const { mean: mu, std } = noGrad(() => {
    const parts: { m: Tensor; s: Tensor }[] = [];
    const N = images.shape[0];
    for (let i = 0; i < N; i += 256) {
      parts.push(tidy(() => {
        const q = model.encode(narrow(images, 0, i, Math.min(256, N - i)));
        return { m: clone(q.mean), s: ew.exp(ew.mul(q.logvar, 0.5)) };
      }));
    }
    const out = tidy(() => ({ mean: catRows(parts.map((p) => p.m)), std: catRows(parts.map((p) => p.s)) }));
    for (const p of parts) { p.m.dispose(); p.s.dispose(); }
    return out;
  });
  return {
    sample: (n, seed) => tidy(() => {
      const idx = randint(0, mu.shape[0], [n], { seed: deriveSeed(seed, 0) });
      const m = indexSelect(mu, 0, idx), s = indexSelect(std, 0, idx);
      return ew.add(m, ew.mul(s, randn(m.shape, { seed: deriveSeed(seed, 1), dtype: m.dtype })));
    }),
    dispose: () => { mu.dispose(); std.dispose(); },
  };
}

function catRows(ts: Tensor[]): Tensor {
  return cat(ts, 0); // always a fresh tensor (the parts are freed afterwards)
}
