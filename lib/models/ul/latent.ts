// latent.ts — a diffusion model on a fixed set of latents, trained with the sigmoid weighting: the
// stage-2 base model of Unified Latents (on z_clean of the frozen encoder, λ ∈ [λ_min, 5], sampling
// ends at λ = 5, i.e. at z₀ itself) and the LDM of the VAE baseline (on VAE posterior samples,
// λ ∈ [−10, 10], sampling returns the final x̂). Loss: the fused sigmoidElbo kernel on ε.
import { Tensor } from '../../tensor';
import { tensor, randn, full } from '../../ops/creation';
import * as ew from '../../ops/elementwise';
import { tidy } from '../../memory';
import { Adam } from '../../optim/adam';
import { clipGradNorm } from '../../optim/clip';
import { sigmoidElbo } from '../../diffusion/fused';
import { deriveSeed } from '../../diffusion/cld';
import { CosineSchedule } from '../../diffusion/schedules';
import { ddim } from '../../diffusion/samplers';
import { Cfg, LatentDenoiser, LatentDenoiserConfig, image4 } from './nets';
import { Seed, column, stratifiedLevels } from './loss';
import { DataSource, TrainConfig, TrainLoopOptions, checkData, drawBatch, resolveTrainConfig, trainLoop } from './train';

/** Options of {@link LatentDiffusion} (JSON-able). */
export interface LatentDiffusionConfig {
  /** The denoiser (latent shape, width, depth, seed, dtype). */
  net?: LatentDenoiserConfig;
  /** logSNR range (defaults −10, 10) of a cosine schedule. */
  lambdaMin?: number;
  lambdaMax?: number;
  /** Sigmoid weighting bias b (default 0). */
  bias?: number;
  /** 'denoised' (default): sampling returns x̂ at λmax. 'noisy': it returns z at λmax (UL's z₀). */
  output?: 'denoised' | 'noisy';
}

/** A fully resolved {@link LatentDiffusionConfig}. */
export interface ResolvedLatentDiffusionConfig {
  net: LatentDenoiserConfig;
  lambdaMin: number;
  lambdaMax: number;
  bias: number;
  output: 'denoised' | 'noisy';
}

/** Validate and fill in a {@link LatentDiffusionConfig}. */
export function resolveLatentDiffusionConfig(c: LatentDiffusionConfig = {}): ResolvedLatentDiffusionConfig {
  const v = new Cfg('LatentDiffusion', c as Record<string, unknown>);
  const lambdaMin = v.num('lambdaMin', -10, () => true, 'finite');
  const lambdaMax = v.num('lambdaMax', 10, (x) => x > lambdaMin, `> lambdaMin (${lambdaMin})`);
  const output = c.output ?? 'denoised';
  if (output !== 'denoised' && output !== 'noisy') throw new TypeError(`LatentDiffusion: output must be 'denoised' or 'noisy', got ${String(output)}`);
  if (c.net !== undefined && (c.net === null || typeof c.net !== 'object')) throw new TypeError('LatentDiffusion: net must be an object');
  return { net: { ...(c.net ?? {}) }, lambdaMin, lambdaMax, bias: v.num('bias', 0, () => true, 'finite'), output };
}

/** A latent diffusion model: ε-predicting {@link LatentDenoiser} + cosine schedule + sigmoid weighting. */
export class LatentDiffusion {
  readonly config: ResolvedLatentDiffusionConfig;
  readonly net: LatentDenoiser;
  readonly schedule: CosineSchedule;

  /** @param config see {@link LatentDiffusionConfig}. */
  constructor(config: LatentDiffusionConfig = {}) {
    this.config = resolveLatentDiffusionConfig(config);
    this.schedule = new CosineSchedule({ lambdaMin: this.config.lambdaMin, lambdaMax: this.config.lambdaMax });
    this.net = new LatentDenoiser(this.config.net);
  }

  /** Per-sample latent shape [L, h, h]. */
  get latentShape(): number[] {
    const c = this.net.config;
    return [c.latentChannels, c.latentSize, c.latentSize];
  }

  /** The sigmoid-weighted loss on latents z [B, L, h, h] (0-d and per sample [B]). Call inside tidy(). */
  loss(z: Tensor, o: { seed: Seed }): { loss: Tensor; perSample: Tensor } {
    const op = 'LatentDiffusion.loss';
    const [L, h] = this.latentShape;
    const dt = this.net.config.dtype;
    if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object with a seed`);
    const zs = image4(op, z, 'z', L, h, h, dt);
    const B = zs.shape[0];
    const lv = stratifiedLevels(this.schedule, B, deriveSeed(o.seed, 0));
    const eps = randn(zs.shape, { seed: deriveSeed(o.seed, 1), dtype: dt });
    const zt = ew.add(ew.mul(zs, column(lv.alpha, 4, dt)), ew.mul(eps, column(lv.sigma, 4, dt)));
    const lam = tensor(lv.lambda, { dtype: 'float64' });
    const epsHat = this.net.forward(zt, lam);
    return sigmoidElbo(epsHat, eps, lam, tensor(lv.dlambda, { dtype: 'float64' }), { bias: this.config.bias, parameterization: 'eps', perSample: true });
  }

  /**
   * n latents by DDIM (η) from N(0, I) at λmin to λmax with `steps` model calls; 'noisy' output
   * returns z at λmax (for UL: a sample of z₀), 'denoised' the final x̂. @returns [n, L, h, h].
   */
  sample(o: { n: number; steps: number; seed: Seed; eta?: number }): Tensor {
    const op = 'LatentDiffusion.sample';
    if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object`);
    if (!Number.isInteger(o.n) || o.n < 1) throw new RangeError(`${op}: n must be a positive integer, got ${String(o.n)}`);
    return ddim({
      shape: [o.n, ...this.latentShape], seed: o.seed, steps: o.steps, eta: o.eta ?? 0, dtype: this.net.config.dtype,
      schedule: this.schedule, prediction: 'eps', denoiseFinal: this.config.output === 'denoised',
      denoise: (z, _t, info) => this.net.forward(z, full([z.shape[0]], info.lambda, { dtype: 'float64' })),
    });
  }

  /** Frees the net's parameters. */
  dispose(): void {
    this.net.dispose();
  }
}

/** Metrics of one latent-diffusion training step. */
export interface LatentStepMetrics {
  [k: string]: number;
  loss: number;
}

/**
 * Trains a {@link LatentDiffusion} on latents [N, L, h, h] (or a sampler (n, seed) → [n, L, h, h]) with
 * Adam and clipping; step k's batch from deriveSeed(seed, 2k), its noise from deriveSeed(seed, 2k + 1).
 */
export class LatentTrainer {
  readonly model: LatentDiffusion;
  readonly config: Required<TrainConfig>;
  readonly opt: Adam;
  step = 0;
  private data: DataSource;

  /** @param model the latent model; @param data latents or a sampler; @param config {@link TrainConfig}. */
  constructor(model: LatentDiffusion, data: DataSource, config: TrainConfig = {}) {
    if (!(model instanceof LatentDiffusion)) throw new TypeError('LatentTrainer: model must be a LatentDiffusion');
    this.config = resolveTrainConfig(config, 'LatentTrainer');
    this.data = checkData('LatentTrainer', data, model.latentShape);
    this.model = model;
    this.opt = new Adam(model.net.parameters(), { lr: this.config.lr });
  }

  /** One step; returns the batch loss. */
  trainStep(): LatentStepMetrics {
    const k = this.step;
    const loss = tidy(() => {
      this.opt.zeroGrad();
      const z = drawBatch('LatentTrainer', this.data, this.config.batchSize, deriveSeed(this.config.seed, 2 * k), this.model.latentShape);
      const l = this.model.loss(z, { seed: deriveSeed(this.config.seed, 2 * k + 1) }).loss;
      l.backward();
      return l.item();
    });
    if (!Number.isFinite(loss)) throw new Error(`LatentTrainer: the loss became ${loss} at step ${k}; lower lr`);
    if (this.config.gradClip > 0) clipGradNorm(this.model.net.parameters(), this.config.gradClip);
    this.opt.step();
    this.opt.zeroGrad();
    this.step++;
    return { loss };
  }

  /** Runs `steps` steps with optional logging; returns every step's metrics. */
  train(steps: number, o: TrainLoopOptions<LatentStepMetrics> = {}): LatentStepMetrics[] {
    return trainLoop('LatentTrainer.train', steps, o, () => this.trainStep(), () => this.step);
  }

  /** Frees the optimizer state. */
  dispose(): void {
    this.opt.dispose();
  }
}
