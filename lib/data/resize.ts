// resize.ts — area resampling of image batches [N, C, H, W] to [N, C, h, w] (what OpenCV calls
// INTER_AREA and PyTorch adaptive_avg_pool2d does for integer ratios): each output pixel is the
// average of the input over the rectangle it covers, input pixels weighted by their overlap.
// The map is separable, so it is two matmuls with [h, H] and [W, w] weight matrices.
import { Tensor } from '../tensor';
import { tensor } from '../ops/creation';
import { matmul } from '../ops/linalg';
import { cast } from '../ops/util';
import { transpose } from '../ops/views';
import { tidy } from '../memory';
import { checkCount, checkIsTensor } from './args';

/**
 * The [out, inp] area-resampling matrix: row i averages the input over [i·inp/out, (i+1)·inp/out),
 * input cell k weighted by its overlap with that interval (rows sum to 1).
 */
export function areaWeights(out: number, inp: number): Float64Array {
  checkCount('areaWeights', out, 'out');
  checkCount('areaWeights', inp, 'inp');
  const w = new Float64Array(out * inp);
  const step = inp / out;
  for (let i = 0; i < out; i++) {
    const a = i * step, b = (i + 1) * step;
    for (let k = Math.floor(a); k < Math.min(inp, Math.ceil(b)); k++) {
      const ov = Math.min(b, k + 1) - Math.max(a, k);
      if (ov > 0) w[i * inp + k] = ov / step;
    }
  }
  return w;
}

/**
 * Area resampling of x [N, C, H, W] (or [C, H, W], or [H, W]) to the spatial size [h, w]; returns
 * a new tensor of x's float dtype (int32 input gives float32) with the leading dims kept.
 * Each output pixel is the overlap-weighted mean of the input pixels under it.
 */
export function resizeArea(x: Tensor, size: [number, number]): Tensor {
  const op = 'resizeArea';
  checkIsTensor(op, x, 'x');
  if (x.ndim < 2) throw new RangeError(`${op}: x must have at least 2 dims [..., H, W], got [${x.shape.join(', ')}] (${x.dtype})`);
  if (!Array.isArray(size) || size.length !== 2) throw new TypeError(`${op}: size must be [h, w], got ${JSON.stringify(size)}`);
  const h = checkCount(op, size[0], 'size[0]'), w = checkCount(op, size[1], 'size[1]');
  const H = x.shape[x.ndim - 2], W = x.shape[x.ndim - 1];
  if (H < 1 || W < 1) throw new RangeError(`${op}: x has an empty spatial dim: [${x.shape.join(', ')}]`);
  const dt = x.dtype === 'float64' ? 'float64' : 'float32';
  return tidy(() => {
    const ry = tensor(areaWeights(h, H), { shape: [h, H] }); // [h, H]
    const rwT = transpose(tensor(areaWeights(w, W), { shape: [w, W] }), 0, 1); // [W, w]
    const xf = cast(x, 'float64');
    return cast(matmul(matmul(ry, xf), rwT), dt); // [..., h, w]
  });
}
