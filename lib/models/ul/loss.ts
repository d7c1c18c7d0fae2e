// loss.ts — the two losses of Unified Latents and their sum (spec unified-latents.md, 3–5):
//
//   L_prior = ½ E_t [(−dλ/dt) e^λ ‖z_clean − ẑ(z_t, λ)‖²] + KL(q(z_1 | z_clean) ‖ N(0, I)),  λ ∈ [λ_min, 5]
//             (unit weighting: the diffusion ELBO of z₀, an upper bound on the latent bitrate, in nats per
//             image; x-prediction form through the fused weightedMse kernel with ω_b = ½(−dλ/dt)e^λ;
//             ẑ = (z_t − σ ε̂)/α from the ε-predicting prior; gradients reach z_clean through both ẑ and
//             the target)
//   L_dec   = ½ E_t [sigmoid(b − λ) (−dλ/dt) ‖ε − ε̂(x_t, λ, z₀)‖²]   (fused sigmoidElbo kernel)
//   L       = L_prior + c · L_dec
//
// Times are stratified over the batch (t_b = (b + u_b)/B, u_b ~ U[0, 1)), which lowers the variance of
// the Monte-Carlo estimate without biasing it. All draws come from the `seed` option.
import { Tensor, checkTensor } from '../../tensor';
import { tensor, rand, randn } from '../../ops/creation';
import * as ew from '../../ops/elementwise';
import { sum, mean } from '../../ops/reduce';
import { cast } from '../../ops/util';
import { shapeStr } from '../../shape';
import { weightedMse, sigmoidElbo } from '../../diffusion/fused';
import { deriveSeed } from '../../diffusion/cld';
import { Schedule } from '../../diffusion/schedules';
import { LatentDenoiser } from './nets';
import { ULModel } from './model';

/** A seed: a non-negative integer or a bigint. */
export type Seed = number | bigint;

/** An ε-predictor on latents: z_t [B, ...], λ [B] → ε̂ [B, ...] (a LatentDenoiser or any callback). */
export type EpsFn = (z: Tensor, lambda: Tensor) => Tensor;

/** Noise levels of a batch: times, λ, dλ/dt, α, σ (host float64, length B). */
export interface Levels {
  t: Float64Array;
  lambda: Float64Array;
  dlambda: Float64Array;
  alpha: Float64Array;
  sigma: Float64Array;
}

function checkSeed(op: string, seed: unknown): Seed {
  if (typeof seed === 'bigint' ? seed < 0n : typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0)
    throw new TypeError(`${op}: seed must be a non-negative integer or bigint, got ${String(seed)}`);
  return seed as Seed;
}

/** Stratified times t_b = (b + u_b)/B (u from `seed`) and the schedule's λ, dλ/dt, α, σ at them. */
export function stratifiedLevels(schedule: Schedule, B: number, seed: Seed): Levels {
  const op = 'stratifiedLevels';
  if (!(schedule instanceof Schedule)) throw new TypeError(`${op}: schedule must be a Schedule`);
  if (!Number.isInteger(B) || B < 1) throw new RangeError(`${op}: B must be a positive integer, got ${String(B)}`);
  checkSeed(op, seed);
  const u = rand([B], { seed, dtype: 'float64' });
  const ud = u.dataSync();
  u.dispose();
  const L: Levels = { t: new Float64Array(B), lambda: new Float64Array(B), dlambda: new Float64Array(B), alpha: new Float64Array(B), sigma: new Float64Array(B) };
  for (let b = 0; b < B; b++) {
    const t = Math.min((b + ud[b]) / B, 1);
    const l = schedule.lambda(t);
    const as = schedule.alphaSigmaFromLambda(l);
    L.t[b] = t;
    L.lambda[b] = l;
    L.dlambda[b] = schedule.dlambdaDt(t);
    L.alpha[b] = as.alpha;
    L.sigma[b] = as.sigma;
  }
  return L;
}

/** A per-sample column [B, 1, ..., 1] (rank `ndim`) of host values, in dtype. */
export function column(v: ArrayLike<number>, ndim: number, dtype: 'float32' | 'float64'): Tensor {
  const t = tensor(Float64Array.from(v), { shape: [v.length, ...Array(ndim - 1).fill(1)], dtype: 'float64' });
  return dtype === 'float64' ? t : cast(t, dtype);
}

/** Options of {@link priorLoss} and {@link priorBound}. */
export interface PriorLossOptions {
  /** Seed of the times and the noise (required: the loss is deterministic given it). */
  seed: Seed;
}

/** The prior loss: the 0-d loss (nats per image, mean over the batch) and its parts. */
export interface PriorLossResult {
  /** 0-d, differentiable: mean_b (diffusion_b + terminal_b). */
  loss: Tensor;
  /** Per-sample bound in nats [B] (no gradient). */
  perSample: Tensor;
  /** The noise levels used. */
  levels: Levels;
}

/**
 * The diffusion-prior loss with unit weighting on latents zClean [B, ...] under `schedule`
 * (λ from λ_min at t = 1 to λ(0) at t = 0): an upper bound in nats per example on
 * KL(q(z₀ | z_clean) ‖ p(z₀)) where z₀ has logSNR λ(0). `denoise` predicts ε from (z_t, λ).
 * Call inside tidy().
 */
export function priorBound(denoise: EpsFn | LatentDenoiser, zClean: Tensor, schedule: Schedule, o: PriorLossOptions): PriorLossResult {
  const op = 'priorLoss';
  const z = checkTensor(op, zClean, 'zClean');
  if (z.dtype !== 'float32' && z.dtype !== 'float64') throw new TypeError(`${op}: zClean must be float32 or float64, got ${z.dtype} ${shapeStr(z.shape)}`);
  if (z.ndim < 2 || z.shape[0] < 1) throw new RangeError(`${op}: zClean must be [B, ...] with B ≥ 1, got ${shapeStr(z.shape)}`);
  if (!(schedule instanceof Schedule) || !schedule.variancePreserving) throw new TypeError(`${op}: schedule must be a variance-preserving Schedule`);
  if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object with a seed`);
  const seed = checkSeed(op, o.seed);
  const fn: EpsFn = denoise instanceof LatentDenoiser ? (zt, l) => denoise.forward(zt, l) : denoise;
  if (typeof fn !== 'function') throw new TypeError(`${op}: denoise must be a LatentDenoiser or a function (z, lambda) => eps`);
  const B = z.shape[0], nd = z.ndim, dt = z.dtype;
  const lv = stratifiedLevels(schedule, B, deriveSeed(seed, 0));
  const eps = randn(z.shape, { seed: deriveSeed(seed, 1), dtype: dt });
  const a = column(lv.alpha, nd, dt), s = column(lv.sigma, nd, dt);
  const zt = ew.add(ew.mul(z, a), ew.mul(eps, s)); // [B, ...]
  const epsHat = fn(zt, tensor(lv.lambda, { dtype: 'float64' }));
  if (!(epsHat instanceof Tensor) || epsHat.shape.length !== nd || epsHat.shape.some((d, i) => d !== z.shape[i]))
    throw new RangeError(`${op}: denoise must return ${shapeStr(z.shape)}, got ${epsHat instanceof Tensor ? shapeStr(epsHat.shape) : typeof epsHat}`);
  const eh = epsHat.dtype === dt ? epsHat : cast(epsHat, dt);
  const zHat = ew.div(ew.sub(zt, ew.mul(eh, s)), a); // x-prediction ẑ
  const w = Float64Array.from(lv.lambda, (l, b) => 0.5 * -lv.dlambda[b] * Math.exp(l));
  const diff = weightedMse(zHat, z, tensor(w, { dtype: 'float64' }), { perSample: true });
  // KL(N(α₁ z, σ₁²) ‖ N(0, 1)) summed over the dims: ½ (α₁² Σz² + D (σ₁² − 1 − log σ₁²))
  const l1 = schedule.lambda(1);
  const { alpha: a1, sigma: s1 } = schedule.alphaSigmaFromLambda(l1);
  const D = z.numel / B;
  const sq = sum(ew.square(z), Array.from({ length: nd - 1 }, (_, i) => i + 1)); // [B]
  const term = ew.add(ew.mul(sq, 0.5 * a1 * a1), 0.5 * D * (s1 * s1 - 1 - Math.log(s1 * s1))); // [B]
  const loss = ew.add(diff.loss, mean(term));
  const perSample = ew.add(diff.perSample, term.detach());
  return { loss, perSample, levels: lv };
}

/** The UL prior loss of a model on its latents zClean [B, L, h, h] (see {@link priorBound}). */
export function priorLoss(model: ULModel, zClean: Tensor, o: PriorLossOptions): PriorLossResult {
  if (!(model instanceof ULModel)) throw new TypeError('priorLoss: model must be a ULModel');
  return priorBound(model.prior, zClean, model.priorSchedule, o);
}

/** Options of {@link decoderLoss}. */
export interface DecoderLossOptions {
  /** Seed of the times and the noise (required). */
  seed: Seed;
  /** Sigmoid bias b (default: the model's). */
  bias?: number;
  /** 'sigmoid' (default, the training loss) or 'elbo' (unit weighting, for reporting). */
  weighting?: 'sigmoid' | 'elbo';
}

/** The decoder loss: 0-d (mean over the batch) and per sample [B] (no gradient). */
export interface DecoderLossResult {
  loss: Tensor;
  perSample: Tensor;
  levels: Levels;
}

/**
 * The decoder loss ½ E_t[sigmoid(b − λ)(−dλ/dt)‖ε − ε̂(x_t, λ, z₀)‖²] of images x [B, C, S, S] given
 * their noisy latents z0 [B, L, h, h] (differentiable in the decoder and in z0). Call inside tidy().
 */
export function decoderLoss(model: ULModel, x: Tensor, z0: Tensor, o: DecoderLossOptions): DecoderLossResult {
  const op = 'decoderLoss';
  if (!(model instanceof ULModel)) throw new TypeError(`${op}: model must be a ULModel`);
  const c = model.config;
  checkTensor(op, x, 'x');
  checkTensor(op, z0, 'z0');
  if (x.ndim !== 4 || x.shape[1] !== c.channels || x.shape[2] !== c.size || x.shape[3] !== c.size || x.shape[0] < 1)
    throw new RangeError(`${op}: x must be [B, ${c.channels}, ${c.size}, ${c.size}], got ${shapeStr(x.shape)} ${x.dtype}`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new TypeError(`${op}: x must be float32 or float64, got ${x.dtype}`);
  if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object with a seed`);
  const seed = checkSeed(op, o.seed);
  const bias = o.bias ?? c.bias;
  if (typeof bias !== 'number' || !Number.isFinite(bias)) throw new TypeError(`${op}: bias must be a finite number, got ${String(bias)}`);
  const weighting = o.weighting ?? 'sigmoid';
  if (weighting !== 'sigmoid' && weighting !== 'elbo') throw new TypeError(`${op}: weighting must be 'sigmoid' or 'elbo', got ${String(weighting)}`);
  const dt = c.dtype, B = x.shape[0];
  const xs = x.dtype === dt ? x : cast(x, dt);
  const lv = stratifiedLevels(model.decoderSchedule, B, deriveSeed(seed, 0));
  const eps = randn(xs.shape, { seed: deriveSeed(seed, 1), dtype: dt });
  const xt = ew.add(ew.mul(xs, column(lv.alpha, 4, dt)), ew.mul(eps, column(lv.sigma, 4, dt)));
  const lam = tensor(lv.lambda, { dtype: 'float64' });
  const epsHat = model.decoder.forward(xt, lam, z0);
  const r = sigmoidElbo(epsHat, eps, lam, tensor(lv.dlambda, { dtype: 'float64' }), { bias, weighting, parameterization: 'eps', perSample: true });
  return { loss: r.loss, perSample: r.perSample, levels: lv };
}

/** Options of {@link ulLoss}. */
export interface ULLossOptions {
  /** Seed of every draw of the step (required). */
  seed: Seed;
  /** Loss factor c (default: the model's). */
  lossFactor?: number;
}

/** The stage-1 loss and its parts (all 0-d; only `loss` is meant for backward). */
export interface ULLossResult {
  /** L_prior + c · L_dec. */
  loss: Tensor;
  /** L_prior in nats per image (the bitrate bound). */
  prior: Tensor;
  /** L_dec (sigmoid-weighted). */
  decoder: Tensor;
}

/**
 * The stage-1 loss of images x [B, C, S, S]: z_clean = E(x), z₀ = α₀ z_clean + σ₀ ε,
 * L = L_prior(z_clean) + c · L_dec(x | z₀). Gradients reach the encoder through both terms.
 * Call inside tidy().
 */
export function ulLoss(model: ULModel, x: Tensor, o: ULLossOptions): ULLossResult {
  const op = 'ulLoss';
  if (!(model instanceof ULModel)) throw new TypeError(`${op}: model must be a ULModel`);
  if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object with a seed`);
  const seed = checkSeed(op, o.seed);
  const c = o.lossFactor ?? model.config.lossFactor;
  if (typeof c !== 'number' || !(c > 0) || !Number.isFinite(c)) throw new RangeError(`${op}: lossFactor must be a finite number > 0, got ${String(c)}`);
  const zClean = model.encode(x);
  const z0 = model.noisyLatent(zClean, deriveSeed(seed, 0));
  const p = priorLoss(model, zClean, { seed: deriveSeed(seed, 1) });
  const d = decoderLoss(model, x, z0, { seed: deriveSeed(seed, 2) });
  return { loss: ew.add(p.loss, ew.mul(d.loss, c)), prior: p.loss, decoder: d.loss };
}

/** Nats → bits: per image (nats / ln 2) and per latent dimension (also / latentDim). */
export function bitsOf(nats: number, latentDim: number): { bitsPerImage: number; bitsPerDim: number } {
  if (typeof nats !== 'number' || Number.isNaN(nats)) throw new TypeError(`bitsOf: nats must be a number, got ${String(nats)}`);
  if (!Number.isInteger(latentDim) || latentDim < 1) throw new RangeError(`bitsOf: latentDim must be a positive integer, got ${String(latentDim)}`);
  const bitsPerImage = nats / Math.LN2;
  return { bitsPerImage, bitsPerDim: bitsPerImage / latentDim };
}
