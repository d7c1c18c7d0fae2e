// gradcheck.ts — compares autograd gradients with central finite differences in float64.
import { backward, noGrad } from './autograd';
import { native } from './native';
import { tidy } from './memory';
import { Tensor } from './tensor';
import { randomK, h } from './ops/kernel';
import { shapeStr } from './shape';

export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
  /** Seed of the random projection used for non-scalar outputs (default 0). */
  seed?: number;
}

/**
 * Checks d fn(inputs) / d inputs from backward() against central differences. Inputs that require
 * grad must be float64. Non-scalar outputs are reduced with a fixed random projection sum(out * r).
 * Returns true, or throws an Error describing the worst mismatch.
 */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], o: GradcheckOptions = {}): boolean {
  if (typeof fn !== 'function') throw new TypeError('gradcheck: fn must be a function');
  if (!Array.isArray(inputs) || inputs.some((t) => !(t instanceof Tensor))) throw new TypeError('gradcheck: inputs must be an array of tensors');
  const eps = o.eps ?? 1e-6, atol = o.atol ?? 1e-5, rtol = o.rtol ?? 1e-3;
  for (const t of inputs)
    if (t.requiresGrad && t.dtype !== 'float64') throw new TypeError(`gradcheck: inputs that require grad must be float64, got ${t.dtype}`);
  return tidy(() => {
    const out0 = noGrad(() => fn(...inputs));
    const r = randomK(out0.shape, 'float64', 1, [o.seed ?? 0, 0, 0], 0, 1);
    const rFlat = r.dataSync();
    const scalarOf = (out: Tensor): number => {
      const v = out.dataSync();
      let s = 0;
      for (let i = 0; i < v.length; i++) s += v[i] * rFlat[i];
      return s;
    };
    // analytic
    for (const t of inputs) if (t.grad) { t.grad.dispose(); t.grad = null; }
    const out = fn(...inputs);
    if (!out.requiresGrad) throw new Error('gradcheck: the output does not require grad');
    backward(out, r);
    inputs.forEach((t, k) => {
      if (!t.requiresGrad) return;
      const analytic = t.grad ? t.grad.dataSync() : new Float64Array(t.numel);
      if (!t.isContiguous()) throw new TypeError('gradcheck: inputs must be contiguous tensors (pass views inside fn)');
      const base = t.dataSync() as Float64Array;
      for (let i = 0; i < base.length; i++) {
        const orig = base[i];
        const setAt = (v: number) => native.write(h(t), new Float64Array([v]), t.offset + i);
        setAt(orig + eps);
        const fp = noGrad(() => scalarOf(fn(...inputs)));
        setAt(orig - eps);
        const fm = noGrad(() => scalarOf(fn(...inputs)));
        setAt(orig);
        const numeric = (fp - fm) / (2 * eps);
        const a = analytic[i];
        if (!(Math.abs(a - numeric) <= atol + rtol * Math.abs(numeric)))
          throw new Error(`gradcheck: input ${k} ${shapeStr(t.shape)} element ${i}: analytic ${a} vs numeric ${numeric}`);
      }
      if (t.grad) { t.grad.dispose(); t.grad = null; }
    });
    return true;
  });
}
