// gumbel.ts — the Gumbel-softmax relaxation of a categorical latent (Jang et al. 2017; Maddison et
// al. 2017) that DisCo-Diff's encoder is trained through, its straight-through variant, and the
// temperature schedule. logits [..., k] → y = softmax((logits + g) / τ) [..., k] with
// g = −log(−log u), u ~ U(0, 1) drawn from a Philox seed (deterministic given the seed).
import { Tensor, checkTensor } from '../../tensor';
import { rand } from '../../ops/creation';
import * as ew from '../../ops/elementwise';
import { softmax } from '../../ops/nn';
import { argmax } from '../../ops/reduce';
import { oneHot } from '../../ops/indexing';
import { detach } from '../../ops/views';
import { shapeStr } from '../../shape';

/** Options of {@link gumbelSoftmax}. */
export interface GumbelSoftmaxOptions {
  /** Temperature τ > 0 (default 1). */
  tau?: number;
  /** Straight-through: the forward value is the one-hot of the argmax, the gradient that of the soft sample (default false). */
  hard?: boolean;
  /** Philox seed of the Gumbel noise (omitted: the global generator advances). */
  seed?: number | bigint;
  /** Use this Gumbel noise g [..., k] (logits' shape and dtype) instead of drawing it (tests). */
  noise?: Tensor;
}

/** Standard Gumbel noise g = −log(−log u) with u clamped to [1e-10, 1 − 1e-7], shaped like `shape`. */
export function gumbelNoise(shape: readonly number[], o: { seed?: number | bigint; dtype?: 'float32' | 'float64' } = {}): Tensor {
  const op = 'gumbelNoise';
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) throw new RangeError(`${op}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  const u = rand(shape, { seed: o.seed, dtype: o.dtype ?? 'float32' });
  const uc = ew.clamp(u, 1e-10, 1 - 1e-7);
  const g = ew.neg(ew.log(ew.neg(ew.log(uc))));
  u.dispose();
  uc.dispose();
  return g;
}

/**
 * Gumbel-softmax sample y = softmax((logits + g)/τ, −1) over the last axis; with `hard`, the
 * straight-through estimator onehot(argmax y) + y − stop_gradient(y) (forward: one-hot; backward:
 * the gradient of y). logits [..., k] float32/float64 → [..., k] same dtype. Differentiable in logits.
 */
export function gumbelSoftmax(logits: Tensor, o: GumbelSoftmaxOptions = {}): Tensor {
  const op = 'gumbelSoftmax';
  checkTensor(op, logits, 'logits');
  if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object`);
  if (logits.dtype !== 'float32' && logits.dtype !== 'float64') throw new TypeError(`${op}: logits must be float32 or float64, got ${logits.dtype} ${shapeStr(logits.shape)}`);
  if (logits.ndim < 1 || logits.shape[logits.ndim - 1] < 1) throw new RangeError(`${op}: logits must be [..., k] with k ≥ 1, got ${shapeStr(logits.shape)}`);
  const tau = o.tau ?? 1;
  if (typeof tau !== 'number' || !(tau > 0) || !Number.isFinite(tau)) throw new RangeError(`${op}: tau must be a finite number > 0, got ${String(tau)}`);
  const hard = o.hard ?? false;
  if (typeof hard !== 'boolean') throw new TypeError(`${op}: hard must be a boolean, got ${String(hard)}`);
  let g: Tensor;
  if (o.noise !== undefined) {
    g = checkTensor(op, o.noise, 'noise');
    if (g.dtype !== logits.dtype || g.ndim !== logits.ndim || g.shape.some((d, i) => d !== logits.shape[i]))
      throw new RangeError(`${op}: noise ${shapeStr(g.shape)} ${g.dtype} must match logits ${shapeStr(logits.shape)} ${logits.dtype}`);
  } else g = gumbelNoise(logits.shape, { seed: o.seed, dtype: logits.dtype });
  const y = softmax(ew.div(ew.add(logits, g), tau), -1); // [..., k]
  if (!hard) return y;
  const k = logits.shape[logits.ndim - 1];
  const h = oneHot(argmax(y, -1), k, logits.dtype); // [..., k]
  return ew.add(ew.sub(y, detach(y)), h);
}

/** Options of {@link tauAt} (the temperature schedule). */
export interface TauSchedule {
  /** τ at step 0 (default 1). */
  tauStart?: number;
  /** τ from step `annealSteps` on (default 0.1). */
  tauEnd?: number;
  /** Steps of the geometric anneal (default 1000; 0: τ = tauEnd throughout). */
  annealSteps?: number;
}

/**
 * The Gumbel-softmax temperature at training step `step`: geometric from tauStart to tauEnd over
 * annealSteps, τ_k = τ₀ (τ₁/τ₀)^{min(1, k/K)}, then constant.
 */
export function tauAt(step: number, s: TauSchedule = {}): number {
  const op = 'tauAt';
  if (!Number.isInteger(step) || step < 0) throw new RangeError(`${op}: step must be a non-negative integer, got ${String(step)}`);
  const t0 = s.tauStart ?? 1, t1 = s.tauEnd ?? 0.1, K = s.annealSteps ?? 1000;
  if (!(t0 > 0) || !(t1 > 0) || !Number.isFinite(t0) || !Number.isFinite(t1)) throw new RangeError(`${op}: tauStart and tauEnd must be finite numbers > 0, got ${t0}, ${t1}`);
  if (!Number.isInteger(K) || K < 0) throw new RangeError(`${op}: annealSteps must be a non-negative integer, got ${String(K)}`);
  if (K === 0) return t1;
  return t0 * Math.pow(t1 / t0, Math.min(1, step / K));
}
