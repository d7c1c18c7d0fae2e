// util.ts — small shared helpers of the DisCo-Diff model files.
import { Tensor } from '../../tensor';
import { tensor } from '../../ops/creation';

/** A tensor of `shape` filled with v (float32/float64). */
export function full(shape: number[], v: number, dtype: 'float32' | 'float64'): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const a = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  a.fill(v);
  return tensor(a, { shape, dtype });
}

/** Derived 64-bit seed for stream k of seed (re-export of td.diffusion.deriveSeed). */
export { deriveSeed } from '../../diffusion/cld';
