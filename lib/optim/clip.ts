// clip.ts — gradient clipping with PyTorch's semantics (torch.nn.utils.clip_grad_norm_ /
// clip_grad_value_): the gradients are rescaled or clamped in place; parameters without a gradient
// are skipped.
import { noGrad } from '../autograd';
import { tidy } from '../memory';
import { castK, unaryK } from '../ops/kernel';
import { U } from '../ops/opTable';
import { norm } from '../ops/reduce';
import { Tensor } from '../tensor';
import { assign, checkBool, checkNum, gradOf, scaled, tensorList } from './util';

/** Options of {@link clipGradNorm}. */
export interface ClipGradNormOptions {
  /** Throw when the total norm is NaN or ±Infinity (default false: the gradients are then scaled by NaN/0, like PyTorch). */
  errorIfNonfinite?: boolean;
}

/**
 * Rescales the gradients of `params` in place so that their total `normType`-norm (the norm of the
 * concatenation of all gradients) is at most `maxNorm`: each gradient is multiplied by
 * maxNorm / (total + 1e-6) when that is below 1. Returns the total norm before clipping (a number,
 * computed in float64). normType: any p > 0, or Infinity (max |g|).
 */
export function clipGradNorm(params: Iterable<Tensor> | Tensor, maxNorm: number, normType = 2, options: ClipGradNormOptions = {}): number {
  const op = 'clipGradNorm';
  const ps = tensorList(op, params);
  checkNum(op, 'maxNorm', maxNorm, 0);
  if (typeof normType !== 'number' || !(normType > 0)) throw new RangeError(`${op}: normType must be a positive number or Infinity, got ${String(normType)}`);
  if (options === null || typeof options !== 'object') throw new TypeError(`${op}: options must be an object`);
  const errorIfNonfinite = checkBool(op, 'errorIfNonfinite', options.errorIfNonfinite ?? false);
  const grads = ps.map(gradOf).filter((g): g is Tensor => g !== null);
  if (grads.length === 0) return 0;
  return noGrad(() =>
    tidy(() => {
      // per-gradient norms in float64, combined on the host: ‖(n_1, ..., n_k)‖_p
      const norms = grads.map((g) => norm(castK(g, 'float64'), normType).item());
      let total: number;
      if (normType === Infinity) total = norms.reduce((a, n) => (n > a || Number.isNaN(n) ? n : a), 0);
      else if (normType === 2) total = Math.sqrt(norms.reduce((a, n) => a + n * n, 0));
      else total = Math.pow(norms.reduce((a, n) => a + Math.pow(n, normType), 0), 1 / normType);
      if (errorIfNonfinite && !Number.isFinite(total))
        throw new RangeError(`${op}: the total norm of order ${normType} of the gradients of ${grads.length} parameters is ${total}; pass errorIfNonfinite: false to scale anyway`);
      const coef = maxNorm / (total + 1e-6);
      if (!(coef >= 1)) for (const g of grads) assign(g, scaled(g, coef));
      return total;
    }),
  );
}

/** Clamps every gradient of `params` to [−clipValue, clipValue], in place. */
export function clipGradValue(params: Iterable<Tensor> | Tensor, clipValue: number): void {
  const op = 'clipGradValue';
  const ps = tensorList(op, params);
  checkNum(op, 'clipValue', clipValue, 0);
  noGrad(() =>
    tidy(() => {
      for (const p of ps) {
        const g = gradOf(p);
        if (g) assign(g, unaryK(U.CLAMP, g, -clipValue, clipValue));
      }
    }),
  );
}
