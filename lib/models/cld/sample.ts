// sample.ts — the model-level sampler entry point: `sample(source, opts)` draws from a trained
// CLDScoreModel or from any velocity-score callback (e.g. the exact gmmScore of a Gaussian mixture)
// with SSCS (fused step; CLD.sampleSSCS), Euler–Maruyama (CLD.sampleEM), or the probability-flow ODE
// integrated with Heun's method (here). Spec /work/shared/specs/cld.md "Reverse SDE, probability-flow
// ODE, Euler–Maruyama" and "SSCS".
//
// Probability-flow ODE in reverse time τ = T − t (c = ½, no noise):
//   dx/dτ = −M⁻¹β v,   dv/dτ = βx + ΓM⁻¹β v + Γβ s
// Heun on the grid τ_0 = 0 < … < τ_n = T − ε_s: u' = u + δ f(u, t_i), u ← ½(u + u' + δ f(u', t_{i+1})),
// then (denoise, default) one mean-only Euler step of the reverse SDE at τ = T − ε_s with δ = ε_s.
// Each Euler move is one fused cldAffine pass with noise off.
import { Tensor } from '../../tensor';
import { randn, tensor } from '../../ops/creation';
import { add, mul } from '../../ops/elementwise';
import { noGrad } from '../../autograd';
import { tidy } from '../../memory';
import { CLD, deriveSeed, timeGrid } from '../../diffusion/cld';
import { cldAffine } from '../../diffusion/cldKernel';
import { CLDScoreModel, ScoreFn } from './model';

/** Sampling method: SSCS (the paper's sampler), Euler–Maruyama on the reverse SDE, or the probability-flow ODE (Heun). */
export type CLDSampler = 'sscs' | 'em' | 'ode';

/** Options of {@link sample}. */
export interface SampleOptions {
  /** Number of samples B (shape [B, D]); or give `shape`. */
  n?: number;
  /** Shape of x (and v); default [n, ...dataShape]: [n, D] (toy net; D = 2 for a bare callback) or [n, C, H, W] (image net). */
  shape?: readonly number[];
  /** 'sscs' (default), 'em' or 'ode'. */
  method?: CLDSampler;
  /**
   * SSCS / EM: total score evaluations N (N − 1 steps + the denoising step), N ≥ 2.
   * ODE: N − 1 Heun steps (2 evaluations each) + the denoising step: 2N − 1 evaluations.
   */
  steps: number;
  /** Time grid: 'linear' (default) or 'quadratic' striding (small steps near the data). */
  striding?: 'linear' | 'quadratic';
  /** Seed of all the sampler's noise (prior and steps). */
  seed: number | bigint;
  /** Final denoising step size ε_s (default 1e-3). */
  eps_s?: number;
  /** ODE only: apply the final mean-only Euler denoising step (default true). */
  denoise?: boolean;
  /** State dtype (default float32). */
  dtype?: 'float32' | 'float64';
  /** The CLD process when `source` is a bare callback (default `new CLD()`); ignored for a model. */
  cld?: CLD;
}

/** Samples x and v ([shape] each) and the number of score evaluations used. */
export interface SampleResult { x: Tensor; v: Tensor; nfe: number }

/**
 * Draw samples by integrating the reverse process of CLD from its prior.
 * @param source a {@link CLDScoreModel} (its score with its own CLD process), or a callback
 *   (x, v, t) → s with the CLD process in `opts.cld`.
 * @returns x, v ([n, D] or [shape]) and nfe. Deterministic for a given seed.
 */
export function sample(source: CLDScoreModel | ScoreFn, opts: SampleOptions): SampleResult {
  const op = 'cld.sample';
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${op}: options must be an object`);
  let cld: CLD, score: ScoreFn, ds: number[];
  if (source instanceof CLDScoreModel) {
    cld = source.cld;
    score = source.scoreFn();
    ds = source.dataShape;
  } else if (typeof source === 'function') {
    if (opts.cld !== undefined && !(opts.cld instanceof CLD)) throw new TypeError(`${op}: cld must be a CLD`);
    cld = opts.cld ?? new CLD();
    score = source;
    ds = [2];
  } else throw new TypeError(`${op}: source must be a CLDScoreModel or a score callback (x, v, t) => Tensor`);
  let shape: number[];
  if (opts.shape !== undefined) {
    if (!Array.isArray(opts.shape) || opts.shape.length < 1 || opts.shape.some((d) => !Number.isInteger(d) || d < 1))
      throw new RangeError(`${op}: shape must be a non-empty array of positive integers, got ${JSON.stringify(opts.shape)}`);
    shape = [...opts.shape];
  } else {
    if (!Number.isInteger(opts.n) || (opts.n as number) < 1) throw new RangeError(`${op}: n must be a positive integer (or give shape), got ${String(opts.n)}`);
    shape = [opts.n as number, ...ds];
  }
  if (!Number.isInteger(opts.steps) || opts.steps < 2) throw new RangeError(`${op}: steps must be an integer ≥ 2, got ${String(opts.steps)}`);
  if (typeof opts.seed !== 'number' && typeof opts.seed !== 'bigint') throw new TypeError(`${op}: seed must be a number or bigint, got ${typeof opts.seed}`);
  const method = opts.method ?? 'sscs';
  const common = { shape, steps: opts.steps, score, seed: opts.seed, striding: opts.striding, eps_s: opts.eps_s, dtype: opts.dtype };
  if (method === 'sscs') return { ...cld.sampleSSCS(common), nfe: opts.steps };
  if (method === 'em') return { ...cld.sampleEM(common), nfe: opts.steps };
  if (method === 'ode') return sampleODE(cld, score, { ...common, denoise: opts.denoise ?? true });
  throw new TypeError(`${op}: method must be 'sscs', 'em' or 'ode', got ${String(method)}`);
}

/** One mean-only Euler move u + δ f(u, t) with the drift of the reverse SDE (c = 1) or the ODE (c = ½). */
function eulerMove(cld: CLD, x: Tensor, v: Tensor, s: Tensor, t: number, d: number, c: number): { x: Tensor; v: Tensor } {
  const r = cld.reverseDrift(t);
  const coef = tensor(new Float64Array([1, r.a * d, 0, r.bx * d, 1 + r.bv * d, c * r.bs * d, 0, 0, 0]), { dtype: 'float64' });
  const o = cldAffine(x, v, s, coef, { noise: false });
  return { x: o.x, v: o.v };
}

/** Evaluate the score and check its shape. */
function evalScore(score: ScoreFn, x: Tensor, v: Tensor, t: number): Tensor {
  const s = score(x, v, t);
  if (!(s instanceof Tensor) || s.ndim !== x.ndim || s.shape.some((d, i) => d !== x.shape[i]))
    throw new TypeError(`cld.sample: score must return a Tensor of shape [${x.shape.join(', ')}]`);
  return s;
}

/** The probability-flow ODE with Heun's method (see the file header). */
function sampleODE(cld: CLD, score: ScoreFn, o: { shape: number[]; steps: number; seed: number | bigint; striding?: 'linear' | 'quadratic'; eps_s?: number; dtype?: 'float32' | 'float64'; denoise: boolean }): SampleResult {
  const op = 'cld.sample';
  const epsS = o.eps_s ?? 1e-3;
  if (typeof epsS !== 'number' || !(epsS > 0 && epsS < cld.T)) throw new RangeError(`${op}: eps_s must be in (0, T), got ${String(epsS)}`);
  const striding = o.striding ?? 'linear';
  if (striding !== 'linear' && striding !== 'quadratic') throw new TypeError(`${op}: striding must be 'linear' or 'quadratic'`);
  const dtype = o.dtype ?? 'float32';
  const n = o.steps - 1;
  const grid = timeGrid(n, cld.T, epsS, striding);
  let nfe = 0;
  return noGrad(() => {
    let st = tidy(() => ({
      x: randn(o.shape, { dtype, seed: deriveSeed(o.seed, 0) }),
      v: mul(randn(o.shape, { dtype, seed: deriveSeed(o.seed, 1) }), Math.sqrt(cld.M)),
    }));
    for (let i = 0; i < n; i++) {
      const t0 = cld.T - grid[i], t1 = cld.T - grid[i + 1], d = grid[i + 1] - grid[i];
      const next = tidy(() => {
        const s0 = evalScore(score, st.x, st.v, t0);
        const p = eulerMove(cld, st.x, st.v, s0, t0, d, 0.5); // u'
        const s1 = evalScore(score, p.x, p.v, t1);
        const q = eulerMove(cld, p.x, p.v, s1, t1, d, 0.5); // u' + δ f(u', t1)
        return { x: mul(add(st.x, q.x), 0.5), v: mul(add(st.v, q.v), 0.5) };
      });
      nfe += 2;
      st.x.dispose();
      st.v.dispose();
      st = next;
    }
    if (o.denoise) {
      const next = tidy(() => eulerMove(cld, st.x, st.v, evalScore(score, st.x, st.v, epsS), epsS, epsS, 1));
      nfe += 1;
      st.x.dispose();
      st.v.dispose();
      st = next;
    }
    return { ...st, nfe };
  });
}
