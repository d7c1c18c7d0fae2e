// cld.ts — critically-damped Langevin diffusion (Dockhorn, Vahdat, Kreis, ICLR 2022; spec
// /work/shared/specs/cld.md): the host-side float64 coefficients of the forward perturbation
// kernel (means, covariances, Cholesky factors, ℓ_t), the reverse-time linear half-step A(h) of
// SSCS and its exact composition, HSM inputs (perturb / hsmInputs), and the Euler–Maruyama and
// SSCS samplers. Every elementwise pass over (x, v) is one `cldAffine` call with a [9] or [B, 9]
// coefficient tensor computed here:
//   out_x = m00 x + m01 v + m02 s + l11 ξx
//   out_v = m10 x + m11 v + m12 s + l21 ξx + l22 ξv
import { Tensor } from '../tensor';
import { tensor, zeros, rand } from '../ops/creation';
import { cat } from '../ops/indexing';
import { mul, sub } from '../ops/elementwise';
import { tidy } from '../memory';
import { noGrad } from '../autograd';
import { cldAffine } from './cldKernel';
const nativeCldAffine: CldAffineFn = cldAffine;

/** Signature of the fused CLD affine+noise kernel (lib/diffusion/cldKernel.ts). */
export type CldAffineFn = (
  x: Tensor, v: Tensor, s: Tensor | null, coef: Tensor,
  opts: { seed?: number | bigint; noise?: boolean; returnNoise?: boolean },
) => { x: Tensor; v: Tensor; epsX?: Tensor; epsV?: Tensor };

/** A 2×2 matrix [[a00, a01], [a10, a11]] acting on (x, v), row-major. */
export type Mat2 = [number, number, number, number];
/** A symmetric 2×2 covariance of (x, v). */
export interface Cov2 { xx: number; xv: number; vv: number }
/** Lower Cholesky factor [[l11, 0], [l21, l22]] of a Cov2. */
export interface Chol2 { l11: number; l21: number; l22: number }
/** An affine-Gaussian map of (x, v): u ← Φ u + N(0, Σ). */
export interface LinearGaussian { phi: Mat2; cov: Cov2 }

/** Constructor options of {@link CLD}; defaults are the official toy / CIFAR-10 configuration. */
export interface CLDOptions {
  /** Mass M (default 0.25; M⁻¹ = 4). */
  M?: number;
  /** Friction Γ; must be critically damped, Γ = 2√M (the default). */
  Gamma?: number;
  /** β(t) = beta0 + beta1·t (defaults 4 and 0). */
  beta0?: number;
  beta1?: number;
  /** Initial velocity variance factor γ: v₀ ~ N(0, γM) (default 0.04). */
  gamma?: number;
  /** ε_num added to both diagonal covariance entries of the perturbation kernel (default 1e-6). */
  numEps?: number;
  /** Horizon T (default 1). */
  T?: number;
}

/** e^z − Σ_{j<k} z^j / j!, accurate for small |z| (series) and large |z| (direct). */
export function expm1Tail(z: number, k: number): number {
  if (Math.abs(z) < 0.5) {
    let term = 1;
    for (let j = 1; j <= k; j++) term *= z / j; // z^k/k!
    let sum = 0;
    for (let j = k; j < k + 40; j++) {
      sum += term;
      term *= z / (j + 1);
      if (Math.abs(term) < 1e-18 * Math.abs(sum)) break;
    }
    return sum;
  }
  let poly = 0;
  let term = 1;
  for (let j = 0; j < k; j++) {
    poly += term;
    term *= z / (j + 1);
  }
  return Math.exp(z) - poly;
}

/** Lower Cholesky factor of a 2×2 covariance (clamping tiny negative pivots to 0). */
export function chol2(c: Cov2): Chol2 {
  const l11 = Math.sqrt(Math.max(c.xx, 0));
  const l21 = l11 > 0 ? c.xv / l11 : 0;
  const l22 = Math.sqrt(Math.max(c.vv - l21 * l21, 0));
  return { l11, l21, l22 };
}

/** a·b for 2×2 matrices. */
export function matmul2(a: Mat2, b: Mat2): Mat2 {
  return [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3]];
}

/** Φ Σ Φᵀ for a 2×2 Φ and symmetric Σ. */
export function congruence2(p: Mat2, c: Cov2): Cov2 {
  // rows of Φ Σ
  const r00 = p[0] * c.xx + p[1] * c.xv, r01 = p[0] * c.xv + p[1] * c.vv;
  const r10 = p[2] * c.xx + p[3] * c.xv, r11 = p[2] * c.xv + p[3] * c.vv;
  return { xx: r00 * p[0] + r01 * p[1], xv: r00 * p[2] + r01 * p[3], vv: r10 * p[2] + r11 * p[3] };
}

/** The composition `second ∘ first` of two affine-Gaussian maps: Φ = Φ₂Φ₁, Σ = Φ₂Σ₁Φ₂ᵀ + Σ₂. */
export function composeLG(first: LinearGaussian, second: LinearGaussian): LinearGaussian {
  const c = congruence2(second.phi, first.cov);
  return { phi: matmul2(second.phi, first.phi), cov: { xx: c.xx + second.cov.xx, xv: c.xv + second.cov.xv, vv: c.vv + second.cov.vv } };
}

/** Sampler options shared by {@link CLD.sampleEM} and {@link CLD.sampleSSCS}. */
export interface CLDSampleOptions {
  /** Shape of x (and v), e.g. [B, 2] or [B, C, H, W]. */
  shape: readonly number[];
  /** Total score evaluations N (N − 1 steps + the final denoising step); N ≥ 2. */
  steps: number;
  /** s(x, v, t) ≈ ∇_v log p_t(x, v); t is a plain number (shared by the batch). Returns [shape]. */
  score: (x: Tensor, v: Tensor, t: number) => Tensor;
  /** Seed of all the sampler's noise (prior and steps). */
  seed: number | bigint;
  /** Time grid: 'linear' in τ or 'quadratic' striding (small steps near the data). Default 'linear'. */
  striding?: 'linear' | 'quadratic';
  /** Final denoising step size ε_s (default 1e-3). */
  eps_s?: number;
  /** Float dtype of the state (default float32). */
  dtype?: 'float32' | 'float64';
  /** SSCS only: fuse the closing A(δ/2) of a step with the opening A(δ'/2) of the next (default true). */
  fuse?: boolean;
  /** Skip all noise (means only; for tests). Default false. */
  noNoise?: boolean;
  /** Override the affine kernel (tests; defaults to the native `cldAffine`). */
  affine?: CldAffineFn;
}

/** Result of a CLD sampler: the final x and v, each [shape]. */
export interface CLDSampleResult { x: Tensor; v: Tensor }

/** Result of {@link CLD.perturb}: x_t, v_t, ε_v (each [B, ...]) and per-sample ℓ_t = 1/L₂₂. */
export interface PerturbResult { xt: Tensor; vt: Tensor; epsV: Tensor; ell: Float64Array }

/** Derive the k-th 64-bit stream seed from a user seed (splitmix64 style). */
export function deriveSeed(seed: number | bigint, k: number): bigint {
  const M64 = (1n << 64n) - 1n;
  let z = (BigInt(seed) + 0x9e3779b97f4a7c15n * BigInt(k + 1)) & M64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  return z ^ (z >> 31n);
}

/** Pack (m00, m01, m02, m10, m11, m12, l11, l21, l22) from a linear map on (x, v, s) and a Cholesky factor. */
function coefRow(m: [number, number, number, number, number, number], l: Chol2): number[] {
  return [m[0], m[1], m[2], m[3], m[4], m[5], l.l11, l.l21, l.l22];
}

/** Coefficients of a pure A map (no score). */
function aRow(a: LinearGaussian): number[] {
  return coefRow([a.phi[0], a.phi[1], 0, a.phi[2], a.phi[3], 0], chol2(a.cov));
}

/** The time grid τ_0 = 0 < … < τ_{n} = T − ε_s of n steps. */
export function timeGrid(n: number, T: number, epsS: number, striding: 'linear' | 'quadratic'): Float64Array {
  const g = new Float64Array(n + 1);
  for (let i = 0; i <= n; i++) {
    const r = i / n;
    g[i] = striding === 'quadratic' ? (T - epsS) * (1 - (1 - r) * (1 - r)) : (T - epsS) * r;
  }
  return g;
}

/**
 * Critically-damped Langevin diffusion on u = (x, v):
 *   dx = M⁻¹β(t) v dt,  dv = (−β(t) x − ΓM⁻¹β(t) v) dt + sqrt(2Γβ(t)) dW.
 * All coefficient methods are float64 host math on plain numbers.
 */
export class CLD {
  readonly M: number;
  readonly Minv: number;
  readonly Gamma: number;
  readonly beta0: number;
  readonly beta1: number;
  readonly gamma: number;
  readonly numEps: number;
  readonly T: number;

  constructor(o: CLDOptions = {}) {
    this.M = o.M ?? 0.25;
    if (!(this.M > 0)) throw new RangeError(`CLD: M must be > 0, got ${this.M}`);
    this.Minv = 1 / this.M;
    this.Gamma = o.Gamma ?? 2 * Math.sqrt(this.M);
    if (Math.abs(this.Gamma * this.Gamma - 4 * this.M) > 1e-9 * this.M)
      throw new RangeError(`CLD: the closed forms need critical damping Γ = 2√M (M ${this.M}, Γ ${this.Gamma})`);
    this.beta0 = o.beta0 ?? 4;
    this.beta1 = o.beta1 ?? 0;
    this.gamma = o.gamma ?? 0.04;
    this.numEps = o.numEps ?? 1e-6;
    this.T = o.T ?? 1;
    for (const [k, v] of Object.entries({ beta0: this.beta0, beta1: this.beta1, gamma: this.gamma, numEps: this.numEps, T: this.T }))
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`CLD: ${k} must be a finite number ≥ 0, got ${v}`);
  }

  /** β(t) = β₀ + β₁t. */
  beta(t: number): number {
    return this.beta0 + this.beta1 * t;
  }
  /** B(t) = ∫₀ᵗ β = β₀t + β₁t²/2. */
  B(t: number): number {
    return this.beta0 * t + 0.5 * this.beta1 * t * t;
  }
  /** Initial velocity variance γM (HSM's s_v). */
  get sv0(): number {
    return this.gamma * this.M;
  }

  /** Mean map of the perturbation kernel: (μₓ, μ_v) = Φ_t (x₀, v₀). */
  meanMap(t: number): Mat2 {
    const B = this.B(t), G = this.Gamma, e = Math.exp(-2 * B / G);
    return [e * (1 + 2 * B / G), e * (4 * B / (G * G)), e * -B, e * (1 - 2 * B / G)];
  }

  /**
   * Covariance of (x_t, v_t) given (x₀, v₀) ~ initial covariance diag(sx, sv), the spec formulas
   * (rearranged for float64 accuracy at small t) plus `numEps` on both diagonals.
   * Defaults: sx = 0, sv = γM, numEps = this.numEps (HSM).
   */
  cov(t: number, sx = 0, sv = this.sv0, numEps = this.numEps): Cov2 {
    const B = this.B(t), G = this.Gamma, b = B / G, m = Math.exp(-4 * b);
    const r3 = expm1Tail(4 * b, 3); // e^{4b} − 1 − 4b − 8b²
    const xx = m * (sx * (1 + 4 * b + 4 * b * b) + r3 + 16 * B * B * sv / G ** 4) + numEps;
    const xv = m * (-B * sx + 4 * B * sv / (G * G) - 2 * (B * B / G) * (sx - 2) - 8 * B * B * sv / G ** 3);
    const vv = m * ((G * G / 4) * Math.expm1(4 * b) + G * B - 4 * B * sv / G + 4 * B * B * sv / (G * G) + sv + B * B * (sx - 2)) + numEps;
    return { xx, xv, vv };
  }

  /** Cholesky factor of {@link cov}. */
  chol(t: number, sx = 0, sv = this.sv0, numEps = this.numEps): Chol2 {
    return chol2(this.cov(t, sx, sv, numEps));
  }

  /** ℓ_t = 1 / L₂₂(t) of the HSM kernel (sx = 0, sv = γM). */
  ell(t: number, numEps = this.numEps): number {
    return 1 / this.chol(t, 0, this.sv0, numEps).l22;
  }

  /** Σvvᴺ(t): Σvv with sx = 1, sv = γM (the "mixed score" normaliser). */
  mixedVar(t: number): number {
    return this.cov(t, 1, this.sv0).vv;
  }

  /**
   * SSCS's A(h). The reverse drift splits as −f_v + 2Γβs = (βx − ΓM⁻¹βv) + 2Γβ(s + M⁻¹v); A
   * integrates the linear part dx = −M⁻¹βv dτ, dv = (βx − ΓM⁻¹βv) dτ + sqrt(2Γβ) dW̄ exactly
   * (S(δ) takes the rest). Bh = B(t − h) − B(t) (< 0) is minus the integrated β over the step.
   * Returns the mean map Φ and the added covariance Σ (no ε_num).
   */
  halfStepA(Bh: number): LinearGaussian {
    const G = this.Gamma, b = Bh / G, e = Math.exp(2 * b), c = Math.exp(4 * b), z = -4 * b;
    const phi: Mat2 = [e * (1 - 2 * b), e * (4 * Bh / (G * G)), e * -Bh, e * (1 + 2 * b)];
    const cov: Cov2 = {
      xx: c * expm1Tail(z, 3), // c·(1/c − 1 + 4b − 8b²)
      xv: -4 * c * Bh * Bh / G,
      vv: c * ((G * G / 4) * Math.expm1(z) - G * Bh - 2 * Bh * Bh),
    };
    return { phi, cov };
  }

  /** A(h) from forward time t (the step's start): Bh = B(t − h) − B(t). */
  stepA(t: number, h: number): LinearGaussian {
    return this.halfStepA(this.B(t - h) - this.B(t));
  }

  /**
   * Reverse-SDE drift coefficients at forward time t (τ = T − t): dx = a·v dτ,
   * dv = (bx·x + bv·v + c·bs·s) dτ + g dW̄, with c = 1 (SDE) or ½ (probability-flow ODE, g = 0).
   */
  reverseDrift(t: number): { a: number; bx: number; bv: number; bs: number; g: number } {
    const be = this.beta(t);
    return { a: -this.Minv * be, bx: be, bv: this.Gamma * this.Minv * be, bs: 2 * this.Gamma * be, g: Math.sqrt(2 * this.Gamma * be) };
  }

  /**
   * Per-sample kernel coefficients [B, 9] (float64 row-major) for x_t given x₀ (v₀ = 0), and ℓ_t.
   * @param t per-sample forward times, length B.
   */
  perturbCoef(t: ArrayLike<number>): { coef: Float64Array; ell: Float64Array } {
    const n = t.length;
    const coef = new Float64Array(n * 9);
    const ell = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const ti = t[i];
      if (!Number.isFinite(ti) || ti < 0 || ti > this.T) throw new RangeError(`CLD.perturb: t[${i}] = ${ti} outside [0, ${this.T}]`);
      const p = this.meanMap(ti);
      const l = this.chol(ti);
      coef.set(coefRow([p[0], 0, 0, p[2], 0, 0], l), i * 9);
      ell[i] = 1 / l.l22;
    }
    return { coef, ell };
  }

  /**
   * Draw (x_t, v_t) ~ p(u_t | x₀, v₀ = 0) with one fused kernel pass.
   * @param x0 [B, ...] float32|float64 data.
   * @param t  per-sample forward times, length B.
   * @returns xt, vt, epsV ([B, ...]) and ell (Float64Array [B]).
   */
  perturb(x0: Tensor, t: ArrayLike<number>, o: { seed?: number | bigint; affine?: CldAffineFn } = {}): PerturbResult {
    if (!(x0 instanceof Tensor)) throw new TypeError('CLD.perturb: x0 must be a Tensor');
    if (x0.ndim < 1 || x0.shape[0] !== t.length)
      throw new RangeError(`CLD.perturb: t has ${t.length} entries but x0 has shape [${x0.shape.join(', ')}]`);
    const { coef, ell } = this.perturbCoef(t);
    const affine = o.affine ?? nativeCldAffine;
    return tidy(() => {
      const c = tensor(coef, { shape: [t.length, 9], dtype: 'float64' });
      // v₀ = 0: the v input is multiplied by zero coefficients, so x0 stands in for it.
      const r = affine(x0, x0, null, c, { seed: o.seed, noise: true, returnNoise: true });
      if (r.epsX) r.epsX.dispose();
      return { xt: r.x, vt: r.v, epsV: r.epsV!, ell };
    });
  }

  /**
   * Everything an HSM training step needs: the network input cat([x_t, v_t], 1) ([B, 2C, ...]),
   * the target ε_v ([B, C, ...]), the times t (float32 [B]) and ℓ_t (Float64Array [B]).
   * Loss (reweightedv2): mean_b Σ_dims (α − ε_v)²; the score is s = −ℓ_t α.
   * When t is not given it is drawn ~ U[tMin, T] (tMin = 1e-5) from the seed.
   */
  hsmInputs(x0: Tensor, o: { seed?: number | bigint; t?: ArrayLike<number>; tMin?: number; affine?: CldAffineFn } = {}):
    { input: Tensor; target: Tensor; t: Tensor; tHost: Float64Array; ell: Float64Array } {
    const n = x0.shape[0];
    let tHost: Float64Array;
    if (o.t) tHost = Float64Array.from(o.t);
    else {
      const tMin = o.tMin ?? 1e-5;
      const u = rand([n], { dtype: 'float64', seed: o.seed === undefined ? undefined : deriveSeed(o.seed, 1 << 20) });
      tHost = Float64Array.from(u.dataSync() as Float64Array, (r) => tMin + (this.T - tMin) * r);
      u.dispose();
    }
    const p = this.perturb(x0, tHost, { seed: o.seed, affine: o.affine });
    const input = cat([p.xt, p.vt], 1);
    p.xt.dispose();
    p.vt.dispose();
    return { input, target: p.epsV, t: tensor(Float32Array.from(tHost)), tHost, ell: p.ell };
  }

  /**
   * Per-sample weights ω_b for the fused noise-level-weighted MSE on (α − ε_v):
   * 'reweightedv2' (official default) → 1; 'likelihood' → Γβ(t)·ℓ_t², since
   * (s + ℓ_t ε_v)² = ℓ_t² (α − ε_v)² when s = −ℓ_t α.
   * @param t per-sample forward times, length B. @returns Float64Array [B].
   */
  hsmWeights(t: ArrayLike<number>, weighting: 'reweightedv2' | 'likelihood' = 'reweightedv2'): Float64Array {
    if (weighting !== 'reweightedv2' && weighting !== 'likelihood') throw new TypeError(`CLD.hsmWeights: unknown weighting '${String(weighting)}'`);
    return Float64Array.from(t, (ti) => (weighting === 'reweightedv2' ? 1 : this.Gamma * this.beta(ti) * this.ell(ti) ** 2));
  }

  /**
   * The score from a network output α at a shared time t: s = −ℓ_t α, or with `mixed` (pass v)
   * s = −v / Σvvᴺ(t) − ℓ_t α. α, v: [B, ...] → s: [B, ...].
   */
  scoreFromOutput(alpha: Tensor, t: number, o: { mixed?: boolean; v?: Tensor } = {}): Tensor {
    const s = mul(alpha, -this.ell(t));
    if (!o.mixed) return s;
    if (!o.v) throw new TypeError('CLD.scoreFromOutput: mixed score needs v');
    const vs = mul(o.v, 1 / this.mixedVar(t));
    const r = sub(s, vs);
    // the temporaries are part of r's graph when gradients are recorded: leave them to the caller's
    // tidy scope then (disposing them would cut the gradient through alpha)
    if (!r.requiresGrad) {
      s.dispose();
      vs.dispose();
    }
    return r;
  }

  // ---------------------------------------------------------------- samplers

  /** x ~ N(0, I), v ~ N(0, M I), optionally pushed through an affine-Gaussian map, in one pass. */
  private prior(shape: readonly number[], dtype: 'float32' | 'float64', then: LinearGaussian | null, seed: bigint, affine: CldAffineFn, noise: boolean): CLDSampleResult {
    let lg: LinearGaussian = { phi: [1, 0, 0, 1], cov: { xx: 1, xv: 0, vv: this.M } };
    if (then) lg = composeLG(lg, then);
    return tidy(() => {
      const z = zeros(shape, { dtype });
      const c = tensor(new Float64Array(coefRow([0, 0, 0, 0, 0, 0], chol2(lg.cov))), { dtype: 'float64' });
      const r = affine(z, z, null, c, { seed, noise });
      return { x: r.x, v: r.v };
    });
  }

  private checkSample(op: string, o: CLDSampleOptions): { n: number; epsS: number; striding: 'linear' | 'quadratic'; dtype: 'float32' | 'float64' } {
    if (!Array.isArray(o.shape) || o.shape.length < 1) throw new TypeError(`${op}: shape must be a non-empty array`);
    if (!Number.isInteger(o.steps) || o.steps < 2) throw new RangeError(`${op}: steps must be an integer ≥ 2, got ${o.steps}`);
    if (typeof o.score !== 'function') throw new TypeError(`${op}: score must be a function`);
    const epsS = o.eps_s ?? 1e-3;
    if (!(epsS > 0 && epsS < this.T)) throw new RangeError(`${op}: eps_s must be in (0, T), got ${epsS}`);
    const striding = o.striding ?? 'linear';
    if (striding !== 'linear' && striding !== 'quadratic') throw new TypeError(`${op}: striding must be 'linear' or 'quadratic'`);
    const dtype = o.dtype ?? 'float32';
    return { n: o.steps - 1, epsS, striding, dtype };
  }

  /** Evaluate the score, checking its shape. */
  private evalScore(op: string, o: CLDSampleOptions, x: Tensor, v: Tensor, t: number): Tensor {
    const s = o.score(x, v, t);
    if (!(s instanceof Tensor) || s.shape.length !== x.shape.length || s.shape.some((d, i) => d !== x.shape[i]))
      throw new TypeError(`${op}: score must return a Tensor of shape [${x.shape.join(', ')}]`);
    return s;
  }

  /**
   * One sampler step inside its own tidy scope: optionally evaluate the score at forward time t,
   * then one fused pass with shared coefficients `row`. Disposes the old x and v.
   */
  private step(op: string, o: CLDSampleOptions, st: CLDSampleResult, t: number | null, row: number[], seed: bigint,
    noise: boolean, affine: CldAffineFn): CLDSampleResult {
    const out = tidy(() => {
      const s = t === null ? null : this.evalScore(op, o, st.x, st.v, t);
      const c = tensor(new Float64Array(row), { dtype: 'float64' });
      const r = affine(st.x, st.v, s, c, { seed, noise });
      return { x: r.x, v: r.v };
    });
    st.x.dispose();
    st.v.dispose();
    return out;
  }

  /** The mean-only Euler denoising step at forward time t with step δ (x, v, s) → (x, v). */
  private eulerRow(t: number, d: number, g: number): number[] {
    const r = this.reverseDrift(t);
    return coefRow([1, r.a * d, 0, r.bx * d, 1 + r.bv * d, r.bs * d], { l11: 0, l21: 0, l22: g });
  }

  /**
   * Euler–Maruyama on the reverse SDE: N − 1 noisy steps on the time grid, then a mean-only Euler
   * step at τ = T − ε_s with δ = ε_s. One score evaluation and one fused pass per step.
   * @returns x, v of shape `shape`.
   */
  sampleEM(o: CLDSampleOptions): CLDSampleResult {
    const { n, epsS, striding, dtype } = this.checkSample('CLD.sampleEM', o);
    const affine = o.affine ?? nativeCldAffine;
    const noise = !o.noNoise;
    const grid = timeGrid(n, this.T, epsS, striding);
    return noGrad(() => {
      let st = this.prior(o.shape, dtype, null, deriveSeed(o.seed, 0), affine, noise);
      for (let i = 0; i <= n; i++) {
        const last = i === n;
        const t = this.T - grid[i];
        const d = last ? epsS : grid[i + 1] - grid[i];
        const g = last ? 0 : this.reverseDrift(t).g * Math.sqrt(d);
        st = this.step('CLD.sampleEM', o, st, t, this.eulerRow(t, d, g), deriveSeed(o.seed, i + 1), noise && !last, affine);
      }
      return st;
    });
  }

  /**
   * SSCS (symmetric splitting CLD sampler): N − 1 steps A(δ/2)·S(δ)·A(δ/2) (both A half-steps
   * and the score at the step's start time t), then a mean-only Euler denoising step at
   * τ = T − ε_s, δ = ε_s. With `fuse` (default) each step's S, its closing A(δ/2) and the next
   * step's opening A(δ'/2) are one fused pass (the first opening A is folded into the prior draw):
   * N + 1 passes for N score evaluations.
   * @returns x, v of shape `shape`.
   */
  sampleSSCS(o: CLDSampleOptions): CLDSampleResult {
    const op = 'CLD.sampleSSCS';
    const { n, epsS, striding, dtype } = this.checkSample(op, o);
    const affine = o.affine ?? nativeCldAffine;
    const noise = !o.noNoise;
    const fuse = o.fuse ?? true;
    const grid = timeGrid(n, this.T, epsS, striding);
    const halfA = (i: number): LinearGaussian => this.stepA(this.T - grid[i], 0.5 * (grid[i + 1] - grid[i]));
    let k = 0;
    const nextSeed = (): bigint => deriveSeed(o.seed, k++);
    return noGrad(() => {
      let st: CLDSampleResult;
      if (fuse) st = this.prior(o.shape, dtype, halfA(0), nextSeed(), affine, noise);
      else {
        st = this.prior(o.shape, dtype, null, nextSeed(), affine, noise);
        const a = halfA(0);
        st = this.step(op, o, st, null, aRow(a), nextSeed(), noise, affine);
      }
      for (let i = 0; i < n; i++) {
        const t = this.T - grid[i];
        const d = grid[i + 1] - grid[i];
        // S(δ): v ← (1 + 2ΓβδM⁻¹) v + 2Γβδ s ; x unchanged.
        const k2 = 2 * this.Gamma * this.beta(t) * d;
        const sv = 1 + k2 * this.Minv;
        let lg = halfA(i);
        if (fuse && i + 1 < n) lg = composeLG(lg, halfA(i + 1));
        const p = lg.phi;
        const row = coefRow([p[0], p[1] * sv, p[1] * k2, p[2], p[3] * sv, p[3] * k2], chol2(lg.cov));
        st = this.step(op, o, st, t, row, nextSeed(), noise, affine);
        if (!fuse && i + 1 < n) st = this.step(op, o, st, null, aRow(halfA(i + 1)), nextSeed(), noise, affine);
      }
      return this.step(op, o, st, epsS, this.eulerRow(epsS, epsS, 0), nextSeed(), false, affine);
    });
  }
}
