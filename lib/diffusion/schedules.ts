// schedules.ts — noise schedules in logSNR form (spec diffusion-basics.md, VDM notation):
// λ(t) = log(α_t² / σ_t²), decreasing in t ∈ [0, 1] (t = 0 clean, t = 1 noise), with dλ/dt, α(t),
// σ(t) and the inverse t(λ) all in closed form. Every method takes either a JS number (float64 math
// on the host) or a Tensor of times (any shape, typically [B]; td ops in the tensor's float dtype,
// differentiable, intermediates freed unless gradients are being recorded).
//
// Kinds: cosine (clipped to [λmin, λmax] by rescaling t), shifted cosine (simple diffusion),
// linear in λ, and the EDM ρ-schedule (variance exploding: α = 1, λ = −2 log σ).
//
// Also home of `sm`, the tiny number-or-Tensor arithmetic the diffusion files share, so that each
// formula is written once and runs on both.
import { Tensor } from '../tensor';
import { tidy } from '../memory';
import { isGradEnabled } from '../autograd';
import * as ew from '../ops/elementwise';
import { onesLike } from '../ops/creation';

/** A JS number (host float64) or a Tensor (any shape; elementwise). */
export type Scalar = number | Tensor;

const isNum = (a: Scalar): a is number => typeof a === 'number';

/**
 * Computes the tensor branch of a formula: inside tidy() (intermediates freed) unless gradients are
 * being recorded through `inputs`, in which case the intermediates must outlive this call.
 */
function scoped<T>(inputs: readonly Scalar[], fn: () => T): T {
  const grad = isGradEnabled() && inputs.some((a) => !isNum(a) && a.requiresGrad);
  return grad ? fn() : tidy(fn);
}

// atan(w) for |w| ≤ 1 from elementwise td ops (there is no atan kernel): three half-angle
// reductions atan(w) = 2 atan(w / (1 + √(1 + w²))) bring |w| below tan(π/32) ≈ 0.0985, then an odd
// Taylor polynomial to w^15 (truncation < 1e-18).
function atanUnitT(w: Tensor): Tensor {
  let r: Tensor = w;
  for (let k = 0; k < 3; k++) r = ew.div(r, ew.add(ew.sqrt(ew.add(ew.square(r), 1)), 1));
  const r2 = ew.square(r);
  // Horner: p = Σ_{n=0}^{7} (−1)^n r^{2n} / (2n+1); atan(r) = r p; undo the reductions: × 2³
  const c = (n: number) => (n % 2 ? -1 : 1) / (2 * n + 1);
  let p: Tensor = ew.add(ew.mul(r2, c(7)), c(6));
  for (let n = 5; n >= 0; n--) p = ew.add(ew.mul(p, r2), c(n));
  return ew.mul(ew.mul(r, p), 8);
}

/**
 * Number-or-Tensor arithmetic: each function does float64 `Math` on two numbers and the td op
 * otherwise (numbers broadcast against tensors). Shared by the diffusion files; not a general API.
 */
export const sm = {
  add: (a: Scalar, b: Scalar): Scalar => (isNum(a) && isNum(b) ? a + b : ew.add(a, b)),
  sub: (a: Scalar, b: Scalar): Scalar => (isNum(a) && isNum(b) ? a - b : ew.sub(a, b)),
  mul: (a: Scalar, b: Scalar): Scalar => (isNum(a) && isNum(b) ? a * b : ew.mul(a, b)),
  div: (a: Scalar, b: Scalar): Scalar => (isNum(a) && isNum(b) ? a / b : ew.div(a, b)),
  neg: (a: Scalar): Scalar => (isNum(a) ? -a : ew.neg(a)),
  exp: (a: Scalar): Scalar => (isNum(a) ? Math.exp(a) : ew.exp(a)),
  expm1: (a: Scalar): Scalar => (isNum(a) ? Math.expm1(a) : ew.expm1(a)),
  log: (a: Scalar): Scalar => (isNum(a) ? Math.log(a) : ew.log(a)),
  sqrt: (a: Scalar): Scalar => (isNum(a) ? Math.sqrt(a) : ew.sqrt(a)),
  square: (a: Scalar): Scalar => (isNum(a) ? a * a : ew.square(a)),
  sin: (a: Scalar): Scalar => (isNum(a) ? Math.sin(a) : ew.sin(a)),
  tanh: (a: Scalar): Scalar => (isNum(a) ? Math.tanh(a) : ew.tanh(a)),
  /** a^p for a number exponent. */
  powN: (a: Scalar, p: number): Scalar => (isNum(a) ? Math.pow(a, p) : ew.pow(a, p)),
  /** 1 / (1 + e^{−a}), stable for either sign. */
  sigmoid: (a: Scalar): Scalar => (isNum(a) ? (a >= 0 ? 1 / (1 + Math.exp(-a)) : Math.exp(a) / (1 + Math.exp(a))) : ew.sigmoid(a)),
  /** atan(w) for |w| ≤ 1 (tensors: half-angle reduction + Taylor series, differentiable). */
  atanUnit: (a: Scalar): Scalar => (isNum(a) ? Math.atan(a) : atanUnitT(a)),
  /** 1 shaped like a (a tensor of ones in a's float dtype, or the number 1). */
  one: (a: Scalar): Scalar => (isNum(a) ? 1 : onesLike(a, { dtype: a.dtype === 'int32' ? 'float32' : a.dtype })),
  scoped,
};

function checkArg(op: string, a: unknown, name: string): Scalar {
  if (typeof a === 'number') {
    if (Number.isNaN(a)) throw new RangeError(`${op}: ${name} is NaN`);
    return a;
  }
  if (a instanceof Tensor) {
    a._live(op);
    return a;
  }
  throw new TypeError(`${op}: ${name} must be a number or a Tensor, got ${a === null ? 'null' : typeof a}`);
}

/** The kinds of schedule this file builds. */
export type ScheduleKind = 'cosine' | 'shiftedCosine' | 'linearLambda' | 'edm';

/**
 * A noise schedule in logSNR form. Times t ∈ [0, 1], t = 0 clean, t = 1 noise; λ(t) decreasing.
 * Every method accepts a number (float64) or a Tensor of times (elementwise, shape kept: [B] → [B])
 * and returns the same kind. Tensor results are in the input's float dtype (int32 → float32) and
 * are differentiable when the input requires grad.
 */
export abstract class Schedule {
  /** Which kind of schedule this is. */
  abstract readonly kind: ScheduleKind;
  /** True for variance preserving (α² + σ² = 1); false for EDM (variance exploding, α = 1). */
  abstract readonly variancePreserving: boolean;
  /** λ(0): the logSNR at the clean end (the largest). */
  abstract readonly lambdaMax: number;
  /** λ(1): the logSNR at the noise end (the smallest). */
  abstract readonly lambdaMin: number;

  /** @internal λ(t), generic over number / Tensor. */
  protected abstract lambdaOf(t: Scalar): Scalar;
  /** @internal dλ/dt, generic. */
  protected abstract dlambdaOf(t: Scalar): Scalar;
  /** @internal t(λ), generic. */
  protected abstract tOf(lambda: Scalar): Scalar;
  /** @internal α(λ) for this process (VP: √sigmoid(λ); VE: 1). */
  protected alphaOfLambda(l: Scalar): Scalar {
    return sm.sqrt(sm.sigmoid(l));
  }
  /** @internal σ(λ) for this process (VP: √sigmoid(−λ); VE: e^{−λ/2}). */
  protected sigmaOfLambda(l: Scalar): Scalar {
    return sm.sqrt(sm.sigmoid(sm.neg(l)));
  }

  private run(op: string, a: Scalar, fn: (a: Scalar) => Scalar): Scalar {
    const x = checkArg(`${this.kind}.${op}`, a, op === 'tFromLambda' ? 'lambda' : 't');
    if (isNum(x)) return fn(x);
    return scoped([x], () => fn(x.dtype === 'int32' ? x.to('float32') : x));
  }

  /** logSNR λ(t) = log(α_t²/σ_t²). t: number or Tensor [B] → same. */
  lambda(t: number): number;
  lambda(t: Tensor): Tensor;
  lambda(t: Scalar): Scalar;
  lambda(t: Scalar): Scalar {
    return this.run('lambda', t, (x) => this.lambdaOf(x));
  }
  /** dλ/dt in closed form (negative). t: number or Tensor [B] → same. */
  dlambdaDt(t: number): number;
  dlambdaDt(t: Tensor): Tensor;
  dlambdaDt(t: Scalar): Scalar;
  dlambdaDt(t: Scalar): Scalar {
    return this.run('dlambdaDt', t, (x) => this.dlambdaOf(x));
  }
  /** Signal scale α(t) (VP: α² = sigmoid(λ); EDM: 1). t: number or Tensor [B] → same. */
  alpha(t: number): number;
  alpha(t: Tensor): Tensor;
  alpha(t: Scalar): Scalar;
  alpha(t: Scalar): Scalar {
    return this.run('alpha', t, (x) => this.alphaOfLambda(this.lambdaOf(x)));
  }
  /** Noise scale σ(t) (VP: σ² = sigmoid(−λ); EDM: σ = e^{−λ/2}). t: number or Tensor [B] → same. */
  sigma(t: number): number;
  sigma(t: Tensor): Tensor;
  sigma(t: Scalar): Scalar;
  sigma(t: Scalar): Scalar {
    return this.run('sigma', t, (x) => this.sigmaOfLambda(this.lambdaOf(x)));
  }
  /** The inverse of λ(t): the time with logSNR λ (for λ in [lambdaMin, lambdaMax]). */
  tFromLambda(lambda: number): number;
  tFromLambda(lambda: Tensor): Tensor;
  tFromLambda(lambda: Scalar): Scalar;
  tFromLambda(lambda: Scalar): Scalar {
    return this.run('tFromLambda', lambda, (x) => this.tOf(x));
  }
  /** α and σ for a logSNR value λ under this process (VP or VE). λ: number or Tensor → same. */
  alphaSigmaFromLambda(lambda: number): { alpha: number; sigma: number };
  alphaSigmaFromLambda(lambda: Tensor): { alpha: Tensor; sigma: Tensor };
  alphaSigmaFromLambda(lambda: Scalar): { alpha: Scalar; sigma: Scalar } {
    const l = checkArg(`${this.kind}.alphaSigmaFromLambda`, lambda, 'lambda');
    if (isNum(l)) return { alpha: this.alphaOfLambda(l), sigma: this.sigmaOfLambda(l) };
    return scoped([l], () => ({ alpha: this.alphaOfLambda(l) as Tensor, sigma: this.sigmaOfLambda(l) as Tensor }));
  }
}

function finite(op: string, v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${op}: ${name} must be a finite number, got ${String(v)}`);
  return v;
}

function checkRange(op: string, lambdaMin: number, lambdaMax: number): void {
  finite(op, lambdaMin, 'lambdaMin');
  finite(op, lambdaMax, 'lambdaMax');
  if (!(lambdaMin < lambdaMax)) throw new RangeError(`${op}: lambdaMin (${lambdaMin}) must be below lambdaMax (${lambdaMax})`);
}

/** Options of {@link cosineSchedule}. */
export interface CosineOptions {
  /** λ(1), the logSNR at the noise end (default −15). */
  lambdaMin?: number;
  /** λ(0), the logSNR at the clean end (default 15). */
  lambdaMax?: number;
}

/**
 * Cosine schedule: λ(t) = −2 log tan(π u / 2) with u = t0 + (t1 − t0) t, where t0, t1 are chosen
 * so that λ(0) = λmax and λ(1) = λmin (t0 = (2/π) atan e^{−λmax/2}, t1 = (2/π) atan e^{−λmin/2}).
 * dλ/dt = −π (t1 − t0) / (sin(π u/2) sin(π w/2)), w = 1 − u (computed as (1 − t1) + (t1 − t0)(1 − t)
 * so that both ends keep their precision in float32).
 */
export class CosineSchedule extends Schedule {
  readonly kind: ScheduleKind = 'cosine';
  readonly variancePreserving = true;
  readonly lambdaMin: number;
  readonly lambdaMax: number;
  /** Rescaled-time bounds: u(0) = t0, u(1) = t1. */
  readonly t0: number;
  readonly t1: number;
  constructor(o: CosineOptions = {}) {
    super();
    const op = 'cosineSchedule';
    this.lambdaMin = o.lambdaMin ?? -15;
    this.lambdaMax = o.lambdaMax ?? 15;
    checkRange(op, this.lambdaMin, this.lambdaMax);
    this.t0 = (2 / Math.PI) * Math.atan(Math.exp(-this.lambdaMax / 2));
    this.t1 = (2 / Math.PI) * Math.atan(Math.exp(-this.lambdaMin / 2));
  }
  /** (π u/2, π w/2) with u the rescaled time and w = 1 − u. */
  private halfAngles(t: Scalar): [Scalar, Scalar] {
    const d = this.t1 - this.t0;
    const u = sm.add(this.t0, sm.mul(t, d));
    const w = sm.add(1 - this.t1, sm.mul(sm.sub(1, t), d));
    return [sm.mul(u, Math.PI / 2), sm.mul(w, Math.PI / 2)];
  }
  protected lambdaOf(t: Scalar): Scalar {
    const [a, b] = this.halfAngles(t);
    // tan(πu/2) = sin(πu/2) / cos(πu/2) = sin(πu/2) / sin(πw/2)
    return sm.mul(sm.sub(sm.log(sm.sin(a)), sm.log(sm.sin(b))), -2);
  }
  protected dlambdaOf(t: Scalar): Scalar {
    const [a, b] = this.halfAngles(t);
    return sm.div(-Math.PI * (this.t1 - this.t0), sm.mul(sm.sin(a), sm.sin(b)));
  }
  protected tOf(l: Scalar): Scalar {
    // u = (2/π) atan(e^{−λ/2}) = 1/2 + (2/π) atan(tanh(−λ/4)) (the argument stays in [−1, 1])
    const u = isNum(l) ? (2 / Math.PI) * Math.atan(Math.exp(-l / 2)) : sm.add(0.5, sm.mul(sm.atanUnit(sm.tanh(sm.mul(l, -0.25))), 2 / Math.PI));
    return sm.div(sm.sub(u, this.t0), this.t1 - this.t0);
  }
}

/** Options of {@link shiftedCosineSchedule}: give `shift`, or `resolution` (and `baseResolution`). */
export interface ShiftedCosineOptions extends CosineOptions {
  /** Added to the logSNR (e.g. 2 log(64/d)). */
  shift?: number;
  /** Image resolution d: shift = 2 log(baseResolution / d) (simple diffusion). */
  resolution?: number;
  /** The resolution the base cosine schedule is tuned for (default 64). */
  baseResolution?: number;
}

/**
 * Shifted cosine (Hoogeboom et al., simple diffusion): λ(t) = λ_cos(t) + s with s = 2 log(64/d) for
 * resolution d, or any shift s. The base cosine is clipped to [lambdaMin, lambdaMax] first, so this
 * schedule spans [lambdaMin + s, lambdaMax + s].
 */
export class ShiftedCosineSchedule extends Schedule {
  readonly kind: ScheduleKind = 'shiftedCosine';
  readonly variancePreserving = true;
  readonly lambdaMin: number;
  readonly lambdaMax: number;
  /** The logSNR shift s. */
  readonly shift: number;
  /** The clipped base cosine schedule. */
  readonly base: CosineSchedule;
  constructor(o: ShiftedCosineOptions = {}) {
    super();
    const op = 'shiftedCosineSchedule';
    if (o.shift !== undefined && o.resolution !== undefined) throw new TypeError(`${op}: give shift or resolution, not both`);
    if (o.resolution !== undefined) {
      const d = finite(op, o.resolution, 'resolution');
      const b = finite(op, o.baseResolution ?? 64, 'baseResolution');
      if (d <= 0 || b <= 0) throw new RangeError(`${op}: resolution and baseResolution must be positive`);
      this.shift = 2 * Math.log(b / d);
    } else this.shift = finite(op, o.shift ?? 0, 'shift');
    this.base = new CosineSchedule(o);
    this.lambdaMin = this.base.lambdaMin + this.shift;
    this.lambdaMax = this.base.lambdaMax + this.shift;
  }
  protected lambdaOf(t: Scalar): Scalar {
    return sm.add(this.base.lambda(t), this.shift);
  }
  protected dlambdaOf(t: Scalar): Scalar {
    return this.base.dlambdaDt(t);
  }
  protected tOf(l: Scalar): Scalar {
    return this.base.tFromLambda(sm.sub(l, this.shift));
  }
}

/** Options of {@link linearLambdaSchedule}. */
export interface LinearLambdaOptions {
  /** λ(1) (default −15). */
  lambdaMin?: number;
  /** λ(0) (default 15). */
  lambdaMax?: number;
}

/** Linear in logSNR: λ(t) = λmax + (λmin − λmax) t, dλ/dt = λmin − λmax. */
export class LinearLambdaSchedule extends Schedule {
  readonly kind: ScheduleKind = 'linearLambda';
  readonly variancePreserving = true;
  readonly lambdaMin: number;
  readonly lambdaMax: number;
  constructor(o: LinearLambdaOptions = {}) {
    super();
    this.lambdaMin = o.lambdaMin ?? -15;
    this.lambdaMax = o.lambdaMax ?? 15;
    checkRange('linearLambdaSchedule', this.lambdaMin, this.lambdaMax);
  }
  protected lambdaOf(t: Scalar): Scalar {
    return sm.add(this.lambdaMax, sm.mul(t, this.lambdaMin - this.lambdaMax));
  }
  protected dlambdaOf(t: Scalar): Scalar {
    return sm.mul(sm.one(t), this.lambdaMin - this.lambdaMax);
  }
  protected tOf(l: Scalar): Scalar {
    return sm.div(sm.sub(l, this.lambdaMax), this.lambdaMin - this.lambdaMax);
  }
}

/** Options of {@link edmSchedule}. */
export interface EDMScheduleOptions {
  /** σ(0) (default 0.002). */
  sigmaMin?: number;
  /** σ(1) (default 80). */
  sigmaMax?: number;
  /** ρ (default 7). */
  rho?: number;
}

/**
 * EDM (Karras et al. 2022) ρ-schedule as a variance-exploding logSNR schedule: α = 1,
 * σ(t) = (σmin^{1/ρ} + t (σmax^{1/ρ} − σmin^{1/ρ}))^ρ, λ = −2 log σ,
 * dλ/dt = −2ρ (σmax^{1/ρ} − σmin^{1/ρ}) / σ^{1/ρ}.
 *
 * Direction: like every schedule here t = 0 is clean (σmin) and t = 1 is noise (σmax), so the
 * EDM sampling grid σ_i (i = 0..N−1, σ_0 = σmax) is σ(1 − i/(N−1)); see edm.ts `edmSigmaGrid`.
 */
export class EDMSchedule extends Schedule {
  readonly kind: ScheduleKind = 'edm';
  readonly variancePreserving = false;
  readonly lambdaMin: number;
  readonly lambdaMax: number;
  /** σ(0). */
  readonly sigmaMin: number;
  /** σ(1). */
  readonly sigmaMax: number;
  /** ρ of the schedule. */
  readonly rho: number;
  private readonly a: number;
  private readonly b: number;
  constructor(o: EDMScheduleOptions = {}) {
    super();
    const op = 'edmSchedule';
    this.sigmaMin = finite(op, o.sigmaMin ?? 0.002, 'sigmaMin');
    this.sigmaMax = finite(op, o.sigmaMax ?? 80, 'sigmaMax');
    this.rho = finite(op, o.rho ?? 7, 'rho');
    if (!(this.sigmaMin > 0 && this.sigmaMin < this.sigmaMax)) throw new RangeError(`${op}: need 0 < sigmaMin < sigmaMax (got ${this.sigmaMin}, ${this.sigmaMax})`);
    if (!(this.rho > 0)) throw new RangeError(`${op}: rho must be positive, got ${this.rho}`);
    this.a = Math.pow(this.sigmaMin, 1 / this.rho);
    this.b = Math.pow(this.sigmaMax, 1 / this.rho);
    this.lambdaMax = -2 * Math.log(this.sigmaMin);
    this.lambdaMin = -2 * Math.log(this.sigmaMax);
  }
  /** σ^{1/ρ} at t. */
  private root(t: Scalar): Scalar {
    return sm.add(this.a, sm.mul(t, this.b - this.a));
  }
  protected lambdaOf(t: Scalar): Scalar {
    return sm.mul(sm.log(this.root(t)), -2 * this.rho);
  }
  protected dlambdaOf(t: Scalar): Scalar {
    return sm.div(-2 * this.rho * (this.b - this.a), this.root(t));
  }
  protected tOf(l: Scalar): Scalar {
    return sm.div(sm.sub(sm.exp(sm.mul(l, -0.5 / this.rho)), this.a), this.b - this.a);
  }
  protected override alphaOfLambda(l: Scalar): Scalar {
    return sm.one(l);
  }
  protected override sigmaOfLambda(l: Scalar): Scalar {
    return sm.exp(sm.mul(l, -0.5));
  }
}

/** Cosine logSNR schedule clipped to [lambdaMin, lambdaMax] (defaults −15, 15). */
export const cosineSchedule = (o: CosineOptions = {}): CosineSchedule => new CosineSchedule(o);
/** Shifted cosine: `{ shift }` or `{ resolution }` (shift = 2 log(64/resolution)). */
export const shiftedCosineSchedule = (o: ShiftedCosineOptions = {}): ShiftedCosineSchedule => new ShiftedCosineSchedule(o);
/** Linear-in-λ schedule from lambdaMax (t = 0) to lambdaMin (t = 1). */
export const linearLambdaSchedule = (o: LinearLambdaOptions = {}): LinearLambdaSchedule => new LinearLambdaSchedule(o);
/** EDM ρ-schedule as a variance-exploding logSNR schedule (σmin 0.002, σmax 80, ρ 7 by default). */
export const edmSchedule = (o: EDMScheduleOptions = {}): EDMSchedule => new EDMSchedule(o);
