// edm.ts — EDM (Karras et al. 2022, "Elucidating the Design Space of Diffusion-Based Generative
// Models"): preconditioning c_skip, c_out, c_in, c_noise (σ_d = 0.5), the denoiser
// D(x, σ) = c_skip x + c_out F(c_in x, c_noise) around a raw network F, training noise levels
// ln σ ~ N(P_mean = −1.2, P_std² = 1.2²), the loss weight λ(σ) = (σ² + σ_d²)/(σ σ_d)², the training
// pair for F, and the ρ-schedule sampling grid. The process is variance exploding: x_σ = y + σ n.
import { Tensor } from '../tensor';
import { DType } from '../dtype';
import { shapeStr } from '../shape';
import { randn } from '../ops/creation';
import * as ew from '../ops/elementwise';
import { Scalar, sm } from './schedules';
import { perSample } from './param';

/** The data standard deviation σ_d EDM assumes (images scaled to [−1, 1]). */
export const EDM_SIGMA_DATA = 0.5;

/** EDM's preconditioning coefficients at one or more noise levels (numbers, or Tensors [B]). */
export interface EDMPrecond<T extends Scalar = Scalar> {
  /** c_skip = σ_d² / (σ² + σ_d²). */
  cSkip: T;
  /** c_out = σ σ_d / √(σ² + σ_d²). */
  cOut: T;
  /** c_in = 1 / √(σ² + σ_d²). */
  cIn: T;
  /** c_noise = ¼ ln σ. */
  cNoise: T;
}

function checkSigmaData(op: string, s: unknown): number {
  if (typeof s !== 'number' || !(s > 0) || !Number.isFinite(s)) throw new RangeError(`${op}: sigmaData must be a positive number, got ${String(s)}`);
  return s;
}
function checkSigma(op: string, s: unknown): Scalar {
  if (typeof s === 'number') {
    if (!(s > 0)) throw new RangeError(`${op}: sigma must be positive, got ${s}`);
    return s;
  }
  if (!(s instanceof Tensor)) throw new TypeError(`${op}: sigma must be a number or a Tensor [B]`);
  s._live(op);
  return s;
}

/**
 * EDM preconditioning at noise level σ. sigma: number or Tensor [B] → numbers or Tensors [B].
 * @param sigmaData σ_d (default 0.5).
 */
export function edmPrecond(sigma: number, sigmaData?: number): EDMPrecond<number>;
export function edmPrecond(sigma: Tensor, sigmaData?: number): EDMPrecond<Tensor>;
export function edmPrecond(sigma: Scalar, sigmaData?: number): EDMPrecond;
export function edmPrecond(sigmaIn: Scalar, sigmaData = EDM_SIGMA_DATA): EDMPrecond {
  const op = 'edmPrecond';
  const sd = checkSigmaData(op, sigmaData);
  const sigma = checkSigma(op, sigmaIn);
  return sm.scoped([sigma], () => {
    const v = sm.add(sm.square(sigma), sd * sd); // σ² + σ_d²
    const r = sm.sqrt(v);
    return {
      cSkip: sm.div(sd * sd, v),
      cOut: sm.div(sm.mul(sigma, sd), r),
      cIn: sm.div(1, r),
      cNoise: sm.mul(sm.log(sigma), 0.25),
    };
  });
}

/**
 * EDM loss weight λ(σ) = (σ² + σ_d²) / (σ σ_d)² on ‖D(x + σ n, σ) − x‖². Note λ(σ) c_out(σ)² = 1:
 * on the raw network's error (see {@link edmTrainingPair}) the effective weight is 1.
 * sigma: number or Tensor [B] → same.
 */
export function edmLossWeight(sigma: number, sigmaData?: number): number;
export function edmLossWeight(sigma: Tensor, sigmaData?: number): Tensor;
export function edmLossWeight(sigma: Scalar, sigmaData?: number): Scalar;
export function edmLossWeight(sigmaIn: Scalar, sigmaData = EDM_SIGMA_DATA): Scalar {
  const op = 'edmLossWeight';
  const sd = checkSigmaData(op, sigmaData);
  const sigma = checkSigma(op, sigmaIn);
  return sm.scoped([sigma], () => sm.div(sm.add(sm.square(sigma), sd * sd), sm.mul(sm.square(sigma), sd * sd)));
}

/** Options of {@link edmSampleSigma}. */
export interface EDMSigmaOptions {
  /** Philox seed; omitted: the global generator advances. */
  seed?: number | bigint;
  /** Mean of ln σ (default −1.2). */
  pMean?: number;
  /** Standard deviation of ln σ (default 1.2). */
  pStd?: number;
  /** dtype of the result (default float32). */
  dtype?: DType;
}

/** Training noise levels: σ = exp(P_mean + P_std n), n ~ N(0, 1). @returns Tensor [n]. */
export function edmSampleSigma(n: number, o: EDMSigmaOptions = {}): Tensor {
  const op = 'edmSampleSigma';
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${op}: n must be a positive integer, got ${n}`);
  const pMean = o.pMean ?? -1.2, pStd = o.pStd ?? 1.2;
  if (!Number.isFinite(pMean) || !Number.isFinite(pStd) || pStd < 0) throw new RangeError(`${op}: pMean must be finite and pStd non-negative`);
  const z = randn([n], { seed: o.seed, dtype: o.dtype ?? 'float32' });
  const lnS = ew.add(ew.mul(z, pStd), pMean);
  const s = ew.exp(lnS);
  z.dispose();
  lnS.dispose();
  return s;
}

/** Options of {@link edmSigmaGrid}. */
export interface EDMGridOptions {
  /** σ_min (default 0.002). */
  sigmaMin?: number;
  /** σ_max (default 80). */
  sigmaMax?: number;
  /** ρ (default 7). */
  rho?: number;
}

/**
 * EDM sampling grid: σ_i = (σmax^{1/ρ} + i/(N−1) (σmin^{1/ρ} − σmax^{1/ρ}))^ρ for i = 0..N−1, then
 * σ_N = 0. @param steps N ≥ 1 (N = 1 gives [σmax, 0]). @returns Float64Array [N + 1], decreasing.
 */
export function edmSigmaGrid(steps: number, o: EDMGridOptions = {}): Float64Array {
  const op = 'edmSigmaGrid';
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`${op}: steps must be a positive integer, got ${steps}`);
  const sMin = o.sigmaMin ?? 0.002, sMax = o.sigmaMax ?? 80, rho = o.rho ?? 7;
  if (!(sMin > 0 && sMin < sMax && Number.isFinite(sMax))) throw new RangeError(`${op}: need 0 < sigmaMin < sigmaMax < ∞ (got ${sMin}, ${sMax})`);
  if (!(rho > 0)) throw new RangeError(`${op}: rho must be positive, got ${rho}`);
  const a = Math.pow(sMax, 1 / rho), b = Math.pow(sMin, 1 / rho);
  const g = new Float64Array(steps + 1);
  for (let i = 0; i < steps; i++) g[i] = Math.pow(steps === 1 ? a : a + (i / (steps - 1)) * (b - a), rho);
  g[steps] = 0;
  return g;
}

/** A raw EDM network F(c_in x, c_noise): x [B, ...], cNoise a number or a Tensor [B]. */
export type EDMNetwork = (xIn: Tensor, cNoise: Scalar) => Tensor;

/**
 * Wraps a raw network F as the preconditioned denoiser D(x, σ) = c_skip x + c_out F(c_in x, c_noise).
 * The returned function takes x [B, ...] and σ (number, or Tensor [B]) and returns [B, ...].
 */
export function edmDenoiser(net: EDMNetwork, sigmaData = EDM_SIGMA_DATA): (x: Tensor, sigma: Scalar) => Tensor {
  if (typeof net !== 'function') throw new TypeError('edmDenoiser: net must be a function');
  checkSigmaData('edmDenoiser', sigmaData);
  return (x, sigma) => {
    const c = edmPrecond(sigma, sigmaData);
    const f = net(ew.mul(x, perSample(c.cIn, x)), c.cNoise);
    if (!(f instanceof Tensor) || f.shape.length !== x.shape.length || f.shape.some((d, i) => d !== x.shape[i]))
      throw new RangeError(`edmDenoiser: the network must return a Tensor shaped like x ${shapeStr(x.shape)}`);
    return ew.add(ew.mul(x, perSample(c.cSkip, x)), ew.mul(f, perSample(c.cOut, x)));
  };
}

/** What {@link edmTrainingPair} returns; every tensor is [B, ...] unless noted. */
export interface EDMTrainingPair {
  /** The network input c_in (x + σ n). */
  input: Tensor;
  /** c_noise = ¼ ln σ, Tensor [B] (or a number when σ is one). */
  cNoise: Scalar;
  /** The network target (x − c_skip (x + σ n)) / c_out: ‖F − target‖² = λ(σ)‖D − x‖². */
  target: Tensor;
}

/**
 * EDM's training pair for the raw network: with y = x + σ n, F should predict
 * (x − c_skip y)/c_out from (c_in y, c_noise); the EDM loss λ(σ)‖D(y, σ) − x‖² equals
 * ‖F − target‖² exactly (effective weight 1), so it is a plain (or {@link weightedMseUnfused} with ω = 1) MSE.
 * x, noise: [B, ...]; sigma: number or Tensor [B].
 */
export function edmTrainingPair(x: Tensor, noise: Tensor, sigma: Scalar, sigmaData = EDM_SIGMA_DATA): EDMTrainingPair {
  const op = 'edmTrainingPair';
  if (!(x instanceof Tensor) || !(noise instanceof Tensor)) throw new TypeError(`${op}: x and noise must be Tensors`);
  if (x.shape.length !== noise.shape.length || x.shape.some((d, i) => d !== noise.shape[i]))
    throw new RangeError(`${op}: x ${shapeStr(x.shape)} and noise ${shapeStr(noise.shape)} must have the same shape`);
  const c = edmPrecond(sigma, sigmaData);
  const y = ew.add(x, ew.mul(noise, perSample(sigma, x, op)));
  const input = ew.mul(y, perSample(c.cIn, x, op));
  const target = ew.div(ew.sub(x, ew.mul(y, perSample(c.cSkip, x, op))), perSample(c.cOut, x, op));
  return { input, cNoise: c.cNoise, target };
}
