// param.ts — parameterisations and loss weights (spec diffusion-basics.md).
//
// z_t = α x + σ ε. A network predicts ε̂, x̂ or v̂ (v = α ε − σ x); from z_t any one determines the
// others: x̂ = (z − σ ε̂)/α, ε̂ = (z − α x̂)/σ, x̂ = α z − σ v̂, ε̂ = σ z + α v̂ (the v forms assume
// a variance-preserving process, α² + σ² = 1). α and σ are numbers (one noise level for the whole
// batch) or Tensors [B] (one per sample), broadcast over the remaining dims of x [B, ...].
//
// The weighted diffusion loss ½ E[w(λ) (−dλ/dt) ‖ε − ε̂‖²] is, for every parameterisation, a
// noise-level-weighted MSE (1/B) Σ_b ω_b Σ_i (pred − target)² with
//   ω_b = ½ w(λ_b) (−dλ/dt_b) · c(λ_b),   c = 1 (eps), e^λ (x), sigmoid(λ) = α² (v),
// because ‖ε − ε̂‖² = e^λ ‖x − x̂‖² = α² ‖v − v̂‖² (v − v̂ = (α + σ²/α)(ε − ε̂) = (ε − ε̂)/α in VP).
// `elboWeight` and `weightedMseUnfused` are the plain composition the fused kernel is checked against.
import { Tensor } from '../tensor';
import { shapeStr } from '../shape';
import * as ew from '../ops/elementwise';
import { sum, mean } from '../ops/reduce';
import { reshape } from '../ops/views';
import { Scalar, sm } from './schedules';

/** What a network predicts: the noise ε, the clean data x, or the velocity v = α ε − σ x. */
export type Prediction = 'eps' | 'x' | 'v';
/** A per-sample loss weighting: w = 1 (the ELBO) or w = sigmoid(b − λ). */
export type Weighting = 'elbo' | 'sigmoid';

const PREDICTIONS: readonly Prediction[] = ['eps', 'x', 'v'];

/** @internal Throws unless p is a Prediction. */
export function checkPrediction(op: string, p: unknown): Prediction {
  if (!PREDICTIONS.includes(p as Prediction))
    throw new TypeError(`${op}: prediction must be 'eps', 'x' or 'v', got ${JSON.stringify(p)}`);
  return p as Prediction;
}

function checkT(op: string, x: unknown, name: string): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  x._live(op);
  if (x.dtype === 'int32') throw new TypeError(`${op}: ${name} must be float32 or float64, got int32`);
  if (x.ndim < 1) throw new RangeError(`${op}: ${name} must have a batch dim [B, ...], got shape ${shapeStr(x.shape)}`);
  return x;
}

function sameShapeAs(op: string, a: Tensor, b: Tensor, na: string, nb: string): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i]))
    throw new RangeError(`${op}: ${na} ${shapeStr(a.shape)} and ${nb} ${shapeStr(b.shape)} must have the same shape`);
}

/**
 * A per-sample coefficient made ready to broadcast against x [B, ...]: a number stays a number; a
 * Tensor [B] (or [B, 1, ..., 1], or 0-d / [1]) becomes a view [B, 1, ..., 1] of x's rank, cast to
 * x's dtype.
 * @param c number, or Tensor [B]. @param x Tensor [B, ...]. @returns number or Tensor [B, 1, ..., 1].
 */
export function perSample(c: Scalar, x: Tensor, op = 'perSample'): number | Tensor {
  if (typeof c === 'number') {
    if (Number.isNaN(c)) throw new RangeError(`${op}: coefficient is NaN`);
    return c;
  }
  if (!(c instanceof Tensor)) throw new TypeError(`${op}: a coefficient must be a number or a Tensor [B]`);
  c._live(op);
  const B = x.shape[0];
  const n = c.numel;
  const trailingOnes = c.shape.slice(1).every((d) => d === 1);
  if (c.ndim > x.ndim || !((c.ndim === 0 || (c.shape[0] === B && trailingOnes)) || (n === 1 && trailingOnes)))
    throw new RangeError(`${op}: a per-sample coefficient must have shape [${B}] for x ${shapeStr(x.shape)}, got ${shapeStr(c.shape)}`);
  const shape = [c.ndim === 0 ? 1 : c.shape[0], ...new Array<number>(x.ndim - 1).fill(1)];
  const r = reshape(c, shape);
  return r.dtype === x.dtype ? r : r.to(x.dtype);
}

/** x̂ = (z − σ ε̂)/α. z, eps: [B, ...]; alpha, sigma: numbers or [B]. @returns [B, ...]. */
export function xFromEps(z: Tensor, eps: Tensor, alpha: Scalar, sigma: Scalar): Tensor {
  const op = 'xFromEps';
  checkT(op, z, 'z'); checkT(op, eps, 'eps'); sameShapeAs(op, z, eps, 'z', 'eps');
  const a = perSample(alpha, z, op), s = perSample(sigma, z, op);
  return ew.div(ew.sub(z, ew.mul(eps, s)), a);
}

/** ε̂ = (z − α x̂)/σ. z, x: [B, ...]; alpha, sigma: numbers or [B]. @returns [B, ...]. */
export function epsFromX(z: Tensor, x: Tensor, alpha: Scalar, sigma: Scalar): Tensor {
  const op = 'epsFromX';
  checkT(op, z, 'z'); checkT(op, x, 'x'); sameShapeAs(op, z, x, 'z', 'x');
  const a = perSample(alpha, z, op), s = perSample(sigma, z, op);
  return ew.div(ew.sub(z, ew.mul(x, a)), s);
}

/** The velocity v = α ε − σ x (the v-prediction target). eps, x: [B, ...]. @returns [B, ...]. */
export function vFromEpsX(eps: Tensor, x: Tensor, alpha: Scalar, sigma: Scalar): Tensor {
  const op = 'vFromEpsX';
  checkT(op, eps, 'eps'); checkT(op, x, 'x'); sameShapeAs(op, eps, x, 'eps', 'x');
  const a = perSample(alpha, x, op), s = perSample(sigma, x, op);
  return ew.sub(ew.mul(eps, a), ew.mul(x, s));
}

/** x̂ = α z − σ v̂ (variance preserving). z, v: [B, ...]. @returns [B, ...]. */
export function xFromV(z: Tensor, v: Tensor, alpha: Scalar, sigma: Scalar): Tensor {
  const op = 'xFromV';
  checkT(op, z, 'z'); checkT(op, v, 'v'); sameShapeAs(op, z, v, 'z', 'v');
  const a = perSample(alpha, z, op), s = perSample(sigma, z, op);
  return ew.sub(ew.mul(z, a), ew.mul(v, s));
}

/** ε̂ = σ z + α v̂ (variance preserving). z, v: [B, ...]. @returns [B, ...]. */
export function epsFromV(z: Tensor, v: Tensor, alpha: Scalar, sigma: Scalar): Tensor {
  const op = 'epsFromV';
  checkT(op, z, 'z'); checkT(op, v, 'v'); sameShapeAs(op, z, v, 'z', 'v');
  const a = perSample(alpha, z, op), s = perSample(sigma, z, op);
  return ew.add(ew.mul(z, s), ew.mul(v, a));
}

/** z_t = α x + σ ε (the forward process). x, eps: [B, ...]. @returns [B, ...]. */
export function qSample(x: Tensor, eps: Tensor, alpha: Scalar, sigma: Scalar): Tensor {
  const op = 'qSample';
  checkT(op, x, 'x'); checkT(op, eps, 'eps'); sameShapeAs(op, x, eps, 'x', 'eps');
  const a = perSample(alpha, x, op), s = perSample(sigma, x, op);
  return ew.add(ew.mul(x, a), ew.mul(eps, s));
}

/**
 * The clean-data estimate x̂ from a prediction of any kind, given z_t, α, σ.
 * pred, z: [B, ...]; alpha, sigma: numbers or [B]. @returns [B, ...] (pred itself when kind is 'x').
 */
export function toX(pred: Tensor, kind: Prediction, z: Tensor, alpha: Scalar, sigma: Scalar): Tensor {
  switch (checkPrediction('toX', kind)) {
    case 'x': return pred;
    case 'eps': return xFromEps(z, pred, alpha, sigma);
    case 'v': return xFromV(z, pred, alpha, sigma);
  }
}

/** The noise estimate ε̂ from a prediction of any kind. Shapes as {@link toX}. */
export function toEps(pred: Tensor, kind: Prediction, z: Tensor, alpha: Scalar, sigma: Scalar): Tensor {
  switch (checkPrediction('toEps', kind)) {
    case 'eps': return pred;
    case 'x': return epsFromX(z, pred, alpha, sigma);
    case 'v': return epsFromV(z, pred, alpha, sigma);
  }
}

/** The velocity estimate v̂ = α ε̂ − σ x̂ from a prediction of any kind. Shapes as {@link toX}. */
export function toV(pred: Tensor, kind: Prediction, z: Tensor, alpha: Scalar, sigma: Scalar): Tensor {
  if (checkPrediction('toV', kind) === 'v') return pred;
  const x = toX(pred, kind, z, alpha, sigma);
  const e = toEps(pred, kind, z, alpha, sigma);
  return vFromEpsX(e, x, alpha, sigma);
}

/** Converts a prediction from one parameterisation to another. Shapes as {@link toX}. */
export function convertPrediction(pred: Tensor, from: Prediction, to: Prediction, z: Tensor, alpha: Scalar, sigma: Scalar): Tensor {
  switch (checkPrediction('convertPrediction', to)) {
    case 'x': return toX(pred, from, z, alpha, sigma);
    case 'eps': return toEps(pred, from, z, alpha, sigma);
    case 'v': return toV(pred, from, z, alpha, sigma);
  }
}

/**
 * The factor c(λ) with ‖ε − ε̂‖² = c(λ) ‖target − pred‖² for a parameterisation: 1 (eps),
 * e^λ (x), sigmoid(λ) = α² (v; variance preserving). lambda: number or Tensor [B] → same.
 */
export function predictionErrorFactor(lambda: number, parameterization: Prediction): number;
export function predictionErrorFactor(lambda: Tensor, parameterization: Prediction): Tensor;
export function predictionErrorFactor(lambda: Scalar, parameterization: Prediction): Scalar;
export function predictionErrorFactor(lambda: Scalar, parameterization: Prediction): Scalar {
  const p = checkPrediction('predictionErrorFactor', parameterization);
  return sm.scoped([lambda], () => (p === 'eps' ? sm.one(lambda) : p === 'x' ? sm.exp(lambda) : sm.sigmoid(lambda)));
}

/** Options of {@link elboWeight}. */
export interface ElboWeightOptions {
  /** w = 1 ('elbo', the default) or w = sigmoid(bias − λ) ('sigmoid'). */
  weighting?: Weighting;
  /** The sigmoid weighting's bias b (default 0; Kingma & Gao use b = 2 for ε-loss at 64², others −3). */
  bias?: number;
  /** Which error the weight multiplies (default 'eps'). */
  parameterization?: Prediction;
}

/** The weighting function w(λ): 1 or sigmoid(b − λ). lambda: number or Tensor [B] → same. */
export function lossWeighting(lambda: number, o?: ElboWeightOptions): number;
export function lossWeighting(lambda: Tensor, o?: ElboWeightOptions): Tensor;
export function lossWeighting(lambda: Scalar, o?: ElboWeightOptions): Scalar;
export function lossWeighting(lambda: Scalar, o: ElboWeightOptions = {}): Scalar {
  const { weighting, bias } = checkWeightOpts('lossWeighting', o);
  return sm.scoped([lambda], () => (weighting === 'elbo' ? sm.one(lambda) : sm.sigmoid(sm.sub(bias, lambda))));
}

function checkWeightOpts(op: string, o: ElboWeightOptions): Required<ElboWeightOptions> {
  if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object`);
  const weighting = o.weighting ?? 'elbo';
  if (weighting !== 'elbo' && weighting !== 'sigmoid') throw new TypeError(`${op}: weighting must be 'elbo' or 'sigmoid', got ${JSON.stringify(weighting)}`);
  const bias = o.bias ?? 0;
  if (typeof bias !== 'number' || !Number.isFinite(bias)) throw new TypeError(`${op}: bias must be a finite number`);
  return { weighting, bias, parameterization: checkPrediction(op, o.parameterization ?? 'eps') };
}

/**
 * Per-sample weight ω_b of the weighted diffusion loss written as a weighted MSE on the chosen
 * parameterisation's error: ω = ½ w(λ) (−dλ/dt) c(λ), with w from {@link lossWeighting} and c from
 * {@link predictionErrorFactor}. Then L = (1/B) Σ_b ω_b Σ_i (pred_bi − target_bi)² (see
 * {@link weightedMseUnfused}); with w = 1 it is the continuous-time ELBO term in nats.
 * lambda, dlambdaDt: numbers or Tensors [B] (same dtype). @returns number or Tensor [B].
 */
export function elboWeight(lambda: number, dlambdaDt: number, o?: ElboWeightOptions): number;
export function elboWeight(lambda: Tensor, dlambdaDt: Tensor | number, o?: ElboWeightOptions): Tensor;
export function elboWeight(lambda: Scalar, dlambdaDt: Scalar, o?: ElboWeightOptions): Scalar;
export function elboWeight(lambda: Scalar, dlambdaDt: Scalar, o: ElboWeightOptions = {}): Scalar {
  const op = 'elboWeight';
  const c = checkWeightOpts(op, o);
  for (const [v, n] of [[lambda, 'lambda'], [dlambdaDt, 'dlambdaDt']] as const)
    if (typeof v !== 'number' && !(v instanceof Tensor)) throw new TypeError(`${op}: ${n} must be a number or a Tensor [B]`);
  if (typeof lambda === 'number' && typeof dlambdaDt !== 'number')
    throw new TypeError(`${op}: lambda is a number but dlambdaDt is a Tensor; pass both as Tensors [B]`);
  return sm.scoped([lambda, dlambdaDt], () => {
    const w = lossWeighting(lambda, c);
    const f = predictionErrorFactor(lambda, c.parameterization);
    return sm.mul(sm.mul(w, f), sm.mul(dlambdaDt, -0.5));
  });
}

/**
 * The noise-level-weighted MSE, composed from primitive ops (the reference for the fused kernel):
 * loss = (1/B) Σ_b ω_b Σ_i (pred_bi − target_bi)².
 * pred, target: [B, ...]; omega: number or Tensor [B]. @returns a 0-d tensor (differentiable).
 */
export function weightedMseUnfused(pred: Tensor, target: Tensor, omega: Scalar): Tensor {
  const op = 'weightedMseUnfused';
  checkT(op, pred, 'pred'); checkT(op, target, 'target'); sameShapeAs(op, pred, target, 'pred', 'target');
  const d = ew.square(ew.sub(pred, target));
  const perRow = pred.ndim > 1 ? sum(d, Array.from({ length: pred.ndim - 1 }, (_, i) => i + 1)) : d; // [B]
  const w = typeof omega === 'number' ? omega : perSample(omega, perRow, op);
  return mean(ew.mul(perRow, w));
}
