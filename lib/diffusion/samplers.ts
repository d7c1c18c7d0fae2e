// samplers.ts — generic samplers over a user callback, each deterministic given (callback, seed):
//   ddim / ddpm       VP or VE process on a logSNR grid from a Schedule; the callback returns ε̂, x̂
//                     or v̂ (`prediction`), called as denoise(z [B, ...], t, info).
//   edmHeun / edmEuler  Karras et al. 2022 Algorithm 1/2 (Heun, final Euler step to σ = 0, optional
//                     churn) with a denoiser D(x, σ).
//   flowEuler / flowHeun  ODE dz/dt = v(z, t) for flow matching; default convention: the linear
//                     path z_t = (1 − t) x + t ε, noise at t = 1, integrated from tStart = 1 to
//                     tEnd = 0. For the t = 0-is-noise convention pass tStart: 0, tEnd: 1.
//   eulerMaruyama     a generic SDE dx = f(x, t) dt + g(t) dW from tStart to tEnd (either
//                     direction; the noise scales with √|Δt|).
// Every sampler runs under noGrad, each step inside tidy (memory stays flat: only the current state
// lives between steps), and draws its noise as randn(shape, { seed: stepSeed(seed, k) }) with k = 0
// for the initial state and k = i + 1 for step i, so runs are reproducible on any backend.
import { Tensor } from '../tensor';
import { DType } from '../dtype';
import { shapeStr, checkShape } from '../shape';
import { tidy } from '../memory';
import { noGrad } from '../autograd';
import { randn } from '../ops/creation';
import * as ew from '../ops/elementwise';
import { clone } from '../ops/views';
import { Schedule } from './schedules';
import { Prediction, checkPrediction, toX, toEps, epsFromX } from './param';
import { edmSigmaGrid } from './edm';

/** A sampler seed: a non-negative safe integer or a bigint below 2^64. */
export type Seed = number | bigint;

const M64 = (1n << 64n) - 1n;
function mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  return z ^ (z >> 31n);
}

/**
 * The Philox seed a sampler uses for its k-th noise draw (k = 0: initial state; k = i + 1: step i):
 * splitmix64(splitmix64(seed) + k·golden), a 64-bit bigint. Exposed so a run can be reproduced by hand.
 */
export function stepSeed(seed: Seed, k: number): bigint {
  if (typeof seed === 'number' && (!Number.isSafeInteger(seed) || seed < 0))
    throw new TypeError(`stepSeed: seed must be a non-negative safe integer or a bigint, got ${seed}`);
  if (typeof seed !== 'number' && typeof seed !== 'bigint') throw new TypeError(`stepSeed: seed must be a number or a bigint, got ${typeof seed}`);
  if (typeof seed === 'bigint' && (seed < 0n || seed > M64)) throw new RangeError('stepSeed: seed must be in [0, 2^64)');
  const base = mix64((BigInt(seed) + 0x632be59bd9b4e019n) & M64);
  return mix64((base + 0x9e3779b97f4a7c15n * BigInt(k + 1)) & M64);
}

/** Options every sampler takes. */
export interface SamplerOptions {
  /** Shape of the sample batch, e.g. [B, D] or [B, C, H, W] (optional when `init` is given). */
  shape?: readonly number[];
  /** Seed of every noise draw (required: samplers are deterministic given it). */
  seed: Seed;
  /** Number of steps N (solver steps; Heun variants call the model up to 2N − 1 times). */
  steps: number;
  /** Element type of the state (default float32; `init`'s dtype when it is given). */
  dtype?: 'float32' | 'float64';
  /** Start from this tensor instead of drawing the prior noise (not modified or disposed). */
  init?: Tensor;
}

/** What a VP/VE denoiser callback is told about the current step. */
export interface DenoiseInfo {
  /** Step index i (0-based). */
  step: number;
  /** logSNR λ(t). */
  lambda: number;
  /** α(t). */
  alpha: number;
  /** σ(t). */
  sigma: number;
}

/** A denoiser for {@link ddim}/{@link ddpm}: z [B, ...] at time t → ε̂, x̂ or v̂ [B, ...]. */
export type DenoiseFn = (z: Tensor, t: number, info: DenoiseInfo) => Tensor;

/** Options of {@link ddim} and {@link ddpm}. */
export interface DiffusionSamplerOptions extends SamplerOptions {
  /** The noise schedule (any Schedule; VP or EDM/VE). */
  schedule: Schedule;
  /** The model: returns the prediction named by `prediction` (t is a number shared by the batch). */
  denoise: DenoiseFn;
  /** What `denoise` returns: 'eps', 'x' or 'v' (v assumes a variance-preserving schedule). */
  prediction: Prediction;
  /** Start time (default 1, noise). */
  tStart?: number;
  /** End time (default 0, clean); tEnd < tStart. */
  tEnd?: number;
  /** Grid spacing: uniform in t ('time', default) or uniform in λ ('lambda'). */
  spacing?: 'time' | 'lambda';
  /** Return x̂ from the last model call instead of stepping to z(tEnd) (default true). */
  denoiseFinal?: boolean;
  /** Clamp x̂ to [−c, c] at every step (and recompute ε̂ from it); off by default. */
  clipDenoised?: number;
}

/** Options of {@link ddim}. */
export interface DDIMOptions extends DiffusionSamplerOptions {
  /** η ∈ [0, 1]: 0 deterministic DDIM, 1 the ancestral (DDPM) noise level (default 0). */
  eta?: number;
}

/** Options of {@link samplingTimes}. */
export interface SamplingTimesOptions {
  /** Start (default 1). */
  tStart?: number;
  /** End (default 0). */
  tEnd?: number;
  /** 'time' (uniform in t, default) or 'lambda' (uniform in the schedule's λ; needs `schedule`). */
  spacing?: 'time' | 'lambda';
  /** Required for spacing 'lambda'. */
  schedule?: Schedule;
}

/** The N + 1 times t_0 = tStart, ..., t_N = tEnd of an N-step sampler. @returns Float64Array [N + 1]. */
export function samplingTimes(steps: number, o: SamplingTimesOptions = {}): Float64Array {
  const op = 'samplingTimes';
  checkSteps(op, steps);
  const t0 = finiteNum(op, o.tStart ?? 1, 'tStart'), t1 = finiteNum(op, o.tEnd ?? 0, 'tEnd');
  const g = new Float64Array(steps + 1);
  const spacing = o.spacing ?? 'time';
  if (spacing === 'time') {
    for (let i = 0; i <= steps; i++) g[i] = t0 + ((t1 - t0) * i) / steps;
  } else if (spacing === 'lambda') {
    if (!(o.schedule instanceof Schedule)) throw new TypeError(`${op}: spacing 'lambda' needs a schedule`);
    const l0 = o.schedule.lambda(t0), l1 = o.schedule.lambda(t1);
    for (let i = 0; i <= steps; i++) g[i] = o.schedule.tFromLambda(l0 + ((l1 - l0) * i) / steps);
  } else throw new TypeError(`${op}: spacing must be 'time' or 'lambda', got ${JSON.stringify(spacing)}`);
  g[0] = t0;
  g[steps] = t1;
  return g;
}

// ---- shared machinery ------------------------------------------------------------------------------

function finiteNum(op: string, v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${op}: ${name} must be a finite number, got ${String(v)}`);
  return v;
}
function checkSteps(op: string, steps: unknown): number {
  if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1) throw new RangeError(`${op}: steps must be a positive integer, got ${String(steps)}`);
  return steps;
}
function checkFn(op: string, f: unknown, name: string): void {
  if (typeof f !== 'function') throw new TypeError(`${op}: ${name} must be a function`);
}

interface Setup { shape: number[]; dtype: DType; seed: Seed; steps: number; init: Tensor | null }

function setup(op: string, o: SamplerOptions): Setup {
  if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object`);
  const steps = checkSteps(op, o.steps);
  stepSeed(o.seed, 0); // validates the seed
  let init: Tensor | null = null;
  let shape: number[];
  let dtype: DType = o.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') throw new TypeError(`${op}: dtype must be 'float32' or 'float64', got ${JSON.stringify(dtype)}`);
  if (o.init !== undefined) {
    if (!(o.init instanceof Tensor)) throw new TypeError(`${op}: init must be a Tensor`);
    o.init._live(op);
    if (o.init.dtype === 'int32') throw new TypeError(`${op}: init must be float32 or float64`);
    init = o.init;
    shape = init.shape.slice();
    if (o.shape !== undefined && (o.shape.length !== shape.length || o.shape.some((d, i) => d !== shape[i])))
      throw new RangeError(`${op}: shape ${shapeStr(o.shape)} does not match init ${shapeStr(shape)}`);
    dtype = o.dtype ?? init.dtype;
  } else {
    if (!Array.isArray(o.shape)) throw new TypeError(`${op}: shape (an array of dims) is required when init is not given`);
    shape = checkShape(op, o.shape).slice();
  }
  return { shape, dtype, seed: o.seed, steps, init };
}

/** Standard normal noise for draw k, [shape] in dtype. */
function noise(s: Setup, k: number): Tensor {
  return randn(s.shape, { seed: stepSeed(s.seed, k), dtype: s.dtype });
}

/** Checks a callback's output against the state x and casts it to x's dtype. */
function checkOut(op: string, what: string, y: unknown, x: Tensor): Tensor {
  if (!(y instanceof Tensor)) throw new TypeError(`${op}: ${what} must return a Tensor, got ${y === null ? 'null' : typeof y}`);
  y._live(op);
  if (y.shape.length !== x.shape.length || y.shape.some((d, i) => d !== x.shape[i]))
    throw new RangeError(`${op}: ${what} returned ${shapeStr(y.shape)}, expected ${shapeStr(x.shape)}`);
  return y.dtype === x.dtype ? y : y.to(x.dtype);
}

/**
 * The sampling loop: x_0 = init or initStd · noise(0); x_{i+1} = step(x_i, i) for i < N, each step
 * in its own tidy() scope so that only the current state survives it; all under noGrad.
 */
function integrate(s: Setup, initStd: number, step: (x: Tensor, i: number) => Tensor): Tensor {
  return noGrad(() => {
    let x: Tensor = s.init
      ? s.init.dtype === s.dtype ? s.init : tidy(() => s.init!.to(s.dtype))
      : tidy(() => ew.mul(noise(s, 0), initStd));
    let owned = x !== s.init;
    try {
      for (let i = 0; i < s.steps; i++) {
        const cur = x;
        const next = tidy(() => step(cur, i));
        if (owned && next !== cur) cur.dispose();
        x = next;
        owned = x !== s.init;
      }
    } catch (e) {
      if (owned) x.dispose(); // a failing callback leaves nothing behind
      throw e;
    }
    return owned ? x : clone(x);
  });
}

// ---- DDIM / DDPM ----------------------------------------------------------------------------------

interface DiffSetup extends Setup {
  sched: Schedule;
  times: Float64Array;
  pred: Prediction;
  denoise: DenoiseFn;
  denoiseFinal: boolean;
  clip: number | null;
}

function diffSetup(op: string, o: DiffusionSamplerOptions): DiffSetup {
  const s = setup(op, o);
  if (!(o.schedule instanceof Schedule)) throw new TypeError(`${op}: schedule must be a Schedule (cosineSchedule(), ...)`);
  checkFn(op, o.denoise, 'denoise');
  const pred = checkPrediction(op, o.prediction);
  if (pred === 'v' && !o.schedule.variancePreserving)
    throw new TypeError(`${op}: prediction 'v' assumes a variance-preserving schedule; the ${o.schedule.kind} schedule is variance exploding`);
  const tStart = finiteNum(op, o.tStart ?? 1, 'tStart'), tEnd = finiteNum(op, o.tEnd ?? 0, 'tEnd');
  if (!(tEnd < tStart)) throw new RangeError(`${op}: tEnd (${tEnd}) must be below tStart (${tStart}): sampling runs from noise to data`);
  const times = samplingTimes(s.steps, { tStart, tEnd, spacing: o.spacing, schedule: o.schedule });
  let clip: number | null = null;
  if (o.clipDenoised !== undefined) {
    clip = finiteNum(op, o.clipDenoised, 'clipDenoised');
    if (clip <= 0) throw new RangeError(`${op}: clipDenoised must be positive`);
  }
  return { ...s, sched: o.schedule, times, pred, denoise: o.denoise, denoiseFinal: o.denoiseFinal ?? true, clip };
}

/** λ, α, σ at t (host float64). */
function coefs(sched: Schedule, t: number): { lambda: number; alpha: number; sigma: number } {
  const lambda = sched.lambda(t);
  const { alpha, sigma } = sched.alphaSigmaFromLambda(lambda);
  return { lambda, alpha, sigma };
}

/** One model call at step i: returns (x̂, ε̂) and the coefficients at t_i. */
function predict(op: string, d: DiffSetup, z: Tensor, i: number) {
  const t = d.times[i];
  const c = coefs(d.sched, t);
  const out = checkOut(op, 'denoise', d.denoise(z, t, { step: i, ...c }), z);
  let x = toX(out, d.pred, z, c.alpha, c.sigma);
  let eps: Tensor;
  if (d.clip !== null) {
    x = ew.clamp(x, -d.clip, d.clip);
    eps = epsFromX(z, x, c.alpha, c.sigma);
  } else eps = toEps(out, d.pred, z, c.alpha, c.sigma);
  return { x, eps, c };
}

/** The prior scale at tStart: σ(tStart) (≈ 1 for VP, σmax for VE); z_start = σ(tStart) ε. */
function priorStd(d: DiffSetup): number {
  return coefs(d.sched, d.times[0]).sigma;
}

/**
 * DDIM (Song et al. 2021) with stochasticity η on a logSNR grid, for any schedule. Step t → s:
 * z_s = α_s x̂ + √(σ_s² − c²) ε̂ + c ξ, c = η σ_s √(1 − e^{λ_t − λ_s}). η = 0 is the deterministic
 * probability-flow discretisation; η = 1 has the ancestral noise level of {@link ddpm}.
 * Starts from z = σ(tStart) ξ_0. @returns Tensor [shape] (x̂ at the last step by default).
 */
export function ddim(o: DDIMOptions): Tensor {
  const op = 'ddim';
  const d = diffSetup(op, o);
  const eta = finiteNum(op, o.eta ?? 0, 'eta');
  if (eta < 0 || eta > 1) throw new RangeError(`${op}: eta must be in [0, 1], got ${eta}`);
  return integrate(d, priorStd(d), (z, i) => {
    const { x, eps, c } = predict(op, d, z, i);
    const last = i === d.steps - 1;
    if (last && d.denoiseFinal) return finalX(d, x);
    const s = coefs(d.sched, d.times[i + 1]);
    const frac = -Math.expm1(c.lambda - s.lambda); // 1 − e^{λt − λs} ∈ (0, 1]
    const cn = eta * s.sigma * Math.sqrt(Math.max(frac, 0));
    const epsCoef = s.sigma * Math.sqrt(Math.max(1 - eta * eta * frac, 0));
    let zs = ew.add(ew.mul(x, s.alpha), ew.mul(eps, epsCoef));
    if (cn > 0) zs = ew.add(zs, ew.mul(noise(d, i + 1), cn));
    return zs;
  });
}

/** The final x̂; when it is the model's own output (prediction 'x', no clipping), a copy the sampler owns. */
function finalX(d: DiffSetup, x: Tensor): Tensor {
  return d.pred === 'x' && d.clip === null ? clone(x) : x;
}

/**
 * DDPM ancestral sampling (Ho et al. 2020; VDM's continuous-time form) on a logSNR grid: step t → s
 * draws from q(z_s | z_t, x = x̂): mean e^{λt−λs}(α_s/α_t) z_t + α_s (1 − e^{λt−λs}) x̂, variance
 * σ_s² (1 − e^{λt−λs}). Same noise stream as ddim, so ddpm ≡ ddim with η = 1 (up to rounding).
 * @returns Tensor [shape].
 */
export function ddpm(o: DiffusionSamplerOptions): Tensor {
  const op = 'ddpm';
  const d = diffSetup(op, o);
  return integrate(d, priorStd(d), (z, i) => {
    const { x, c } = predict(op, d, z, i);
    const last = i === d.steps - 1;
    if (last && d.denoiseFinal) return finalX(d, x);
    const s = coefs(d.sched, d.times[i + 1]);
    const frac = -Math.expm1(c.lambda - s.lambda);
    const a = Math.exp(c.lambda - s.lambda) * (s.alpha / c.alpha);
    const b = s.alpha * frac;
    const cn = s.sigma * Math.sqrt(Math.max(frac, 0));
    return ew.add(ew.add(ew.mul(z, a), ew.mul(x, b)), ew.mul(noise(d, i + 1), cn));
  });
}

// ---- EDM --------------------------------------------------------------------------------------------

/** An EDM denoiser D(x [B, ...], σ) → x̂ [B, ...] (σ is a number shared by the batch). */
export type EDMDenoiseFn = (x: Tensor, sigma: number, info: { step: number }) => Tensor;

/** Options of {@link edmHeun} and {@link edmEuler}. */
export interface EDMSamplerOptions extends Omit<SamplerOptions, 'steps'> {
  /** The denoiser D(x, σ) (e.g. edmDenoiser(net)). */
  denoise: EDMDenoiseFn;
  /** Number of noise levels N (default 18); ignored when `sigmas` is given. */
  steps?: number;
  /** σ_min (default 0.002). */
  sigmaMin?: number;
  /** σ_max (default 80). */
  sigmaMax?: number;
  /** ρ (default 7). */
  rho?: number;
  /** An explicit decreasing grid σ_0 > ... > σ_N = 0 (overrides steps/sigmaMin/sigmaMax/rho). */
  sigmas?: ArrayLike<number>;
  /** Churn S_churn (default 0: deterministic Algorithm 1). */
  sChurn?: number;
  /** Churn applies only for σ in [sTmin, sTmax] (defaults 0, ∞). */
  sTmin?: number;
  sTmax?: number;
  /** Noise inflation S_noise (default 1). */
  sNoise?: number;
}

function edmSampler(op: string, o: EDMSamplerOptions, heun: boolean): Tensor {
  if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object`);
  checkFn(op, o.denoise, 'denoise');
  let grid: Float64Array;
  if (o.sigmas !== undefined) {
    grid = Float64Array.from(o.sigmas);
    if (grid.length < 2 || grid[grid.length - 1] !== 0 || grid.some((v, i) => !(v >= 0) || (i > 0 && !(v < grid[i - 1]))))
      throw new RangeError(`${op}: sigmas must be strictly decreasing, non-negative and end with 0`);
  } else grid = edmSigmaGrid(o.steps ?? 18, { sigmaMin: o.sigmaMin, sigmaMax: o.sigmaMax, rho: o.rho });
  const n = grid.length - 1;
  const s = setup(op, { ...o, steps: n });
  const sChurn = finiteNum(op, o.sChurn ?? 0, 'sChurn');
  const sTmin = o.sTmin ?? 0, sTmax = o.sTmax ?? Infinity, sNoise = finiteNum(op, o.sNoise ?? 1, 'sNoise');
  if (sChurn < 0) throw new RangeError(`${op}: sChurn must be non-negative`);
  const D = (x: Tensor, sigma: number, i: number) => checkOut(op, 'denoise', o.denoise(x, sigma, { step: i }), x);
  return integrate(s, grid[0], (x, i) => {
    const sc = grid[i], sn = grid[i + 1];
    const gamma = sChurn > 0 && sc >= sTmin && sc <= sTmax ? Math.min(sChurn / n, Math.SQRT2 - 1) : 0;
    const sh = sc * (1 + gamma);
    const xh = gamma > 0 ? ew.add(x, ew.mul(noise(s, i + 1), Math.sqrt(sh * sh - sc * sc) * sNoise)) : x;
    const d1 = ew.div(ew.sub(xh, D(xh, sh, i)), sh);
    const xe = ew.add(xh, ew.mul(d1, sn - sh));
    if (!heun || sn === 0) return xe;
    const d2 = ew.div(ew.sub(xe, D(xe, sn, i)), sn);
    return ew.add(xh, ew.mul(ew.add(d1, d2), 0.5 * (sn - sh)));
  });
}

/**
 * EDM's 2nd-order Heun sampler (Karras et al. 2022, Algorithm 1; Algorithm 2 with sChurn > 0):
 * x_0 = σ_0 ξ_0 on the ρ-grid σ_0 = σmax > ... > σ_{N−1} = σmin, σ_N = 0; Heun steps, with a final
 * Euler step to σ = 0 (2N − 1 denoiser calls). Variance exploding: x_σ = y + σ n. @returns [shape].
 */
export function edmHeun(o: EDMSamplerOptions): Tensor {
  return edmSampler('edmHeun', o, true);
}

/** First-order (Euler) EDM sampler on the same grid as {@link edmHeun} (N denoiser calls). */
export function edmEuler(o: EDMSamplerOptions): Tensor {
  return edmSampler('edmEuler', o, false);
}

// ---- flow matching ODEs -----------------------------------------------------------------------------

/** A velocity field v(z [B, ...], t) → dz/dt [B, ...] (t a number shared by the batch). */
export type VelocityFn = (z: Tensor, t: number, info: { step: number }) => Tensor;

/** Options of {@link flowEuler} and {@link flowHeun}. */
export interface FlowSamplerOptions extends SamplerOptions {
  /** The velocity field dz/dt. */
  velocity: VelocityFn;
  /** Where the noise lives (default 1); the state starts here as noiseStd · ξ_0. */
  tStart?: number;
  /** Where the data lives (default 0). */
  tEnd?: number;
  /** Explicit grid t_0 = tStart, ..., t_N = tEnd (overrides steps/tStart/tEnd; length N + 1). */
  times?: ArrayLike<number>;
  /** Scale of the starting noise (default 1). */
  noiseStd?: number;
}

function flowGrid(op: string, o: FlowSamplerOptions | SDEOptions): Float64Array {
  if (o.times !== undefined) {
    const g = Float64Array.from(o.times);
    if (g.length < 2 || g.some((v) => !Number.isFinite(v))) throw new RangeError(`${op}: times must hold at least 2 finite values`);
    return g;
  }
  return samplingTimes(checkSteps(op, o.steps), { tStart: o.tStart ?? 1, tEnd: o.tEnd ?? 0 });
}

function flowSampler(op: string, o: FlowSamplerOptions, heun: boolean): Tensor {
  if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object`);
  checkFn(op, o.velocity, 'velocity');
  const g = flowGrid(op, o);
  const s = setup(op, { ...o, steps: g.length - 1 });
  const std = finiteNum(op, o.noiseStd ?? 1, 'noiseStd');
  const v = (x: Tensor, t: number, i: number) => checkOut(op, 'velocity', o.velocity(x, t, { step: i }), x);
  return integrate(s, std, (x, i) => {
    const h = g[i + 1] - g[i];
    const v1 = v(x, g[i], i);
    const xe = ew.add(x, ew.mul(v1, h));
    if (!heun) return xe;
    const v2 = v(xe, g[i + 1], i);
    return ew.add(x, ew.mul(ew.add(v1, v2), h / 2));
  });
}

/**
 * Euler for a flow-matching ODE dz/dt = v(z, t), from tStart (noise, default 1) to tEnd (data,
 * default 0): z ← z + (t_{i+1} − t_i) v(z, t_i). With the linear path z_t = (1 − t) x + t ε the exact
 * field is v = E[ε − x | z_t]. @returns Tensor [shape].
 */
export function flowEuler(o: FlowSamplerOptions): Tensor {
  return flowSampler('flowEuler', o, false);
}

/** Heun (explicit trapezoid, 2 calls per step) for the same ODE and convention as {@link flowEuler}. */
export function flowHeun(o: FlowSamplerOptions): Tensor {
  return flowSampler('flowHeun', o, true);
}

// ---- Euler–Maruyama ---------------------------------------------------------------------------------

/** Options of {@link eulerMaruyama}. */
export interface SDEOptions extends Omit<SamplerOptions, 'steps'> {
  /** Drift f(x [B, ...], t) → [B, ...]. */
  drift: (x: Tensor, t: number, info: { step: number }) => Tensor;
  /** Scalar diffusion coefficient g(t). */
  diffusion: (t: number) => number;
  /** Number of steps (required unless `times` is given). */
  steps?: number;
  /** Start time (default 1). */
  tStart?: number;
  /** End time (default 0); may be above tStart (forward in time) or below (reverse time). */
  tEnd?: number;
  /** Explicit grid t_0, ..., t_N (overrides steps/tStart/tEnd). */
  times?: ArrayLike<number>;
  /** Std of the starting state when `init` is not given (default 1). */
  initStd?: number;
  /** Add noise on the last step too (default true; false returns the last drift-only update). */
  lastStepNoise?: boolean;
}

/**
 * Euler–Maruyama for dx = f(x, t) dt + g(t) dW over the grid t_0 → t_N (either direction):
 * x ← x + f(x, t_i) Δ + g(t_i) √|Δ| ξ_{i+1}, Δ = t_{i+1} − t_i. For a reverse-time diffusion SDE
 * pass the reverse drift f − g² ∇log p (and tStart > tEnd). @returns Tensor [shape].
 */
export function eulerMaruyama(o: SDEOptions): Tensor {
  const op = 'eulerMaruyama';
  if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object`);
  checkFn(op, o.drift, 'drift');
  checkFn(op, o.diffusion, 'diffusion');
  const g = flowGrid(op, o);
  const s = setup(op, { ...o, steps: g.length - 1 });
  const std = finiteNum(op, o.initStd ?? 1, 'initStd');
  const lastNoise = o.lastStepNoise ?? true;
  return integrate(s, std, (x, i) => {
    const h = g[i + 1] - g[i];
    const f = checkOut(op, 'drift', o.drift(x, g[i], { step: i }), x);
    const gi = finiteNum(op, o.diffusion(g[i]), 'diffusion(t)');
    const xd = ew.add(x, ew.mul(f, h));
    if (gi === 0 || (!lastNoise && i === s.steps - 1)) return xd;
    return ew.add(xd, ew.mul(noise(s, i + 1), gi * Math.sqrt(Math.abs(h))));
  });
}
