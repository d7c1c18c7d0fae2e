// psnr.ts — peak signal-to-noise ratio, 10·log10(R² / MSE), over a whole batch or per sample.
import { Tensor } from '../tensor';
import { checkIsTensor, checkNum, checkOptions } from '../data/args';

/** Options of {@link psnr}. */
export interface PsnrOptions {
  /** R, the span of valid values (default 2: images in [−1, 1], as td.data and the samplers use). */
  dataRange?: number;
}

function prep(op: string, x: unknown, y: unknown, options: unknown): { a: ArrayLike<number>; b: ArrayLike<number>; R: number; n: number } {
  const xt = checkIsTensor(op, x, 'x'), yt = checkIsTensor(op, y, 'y');
  if (xt.shape.length !== yt.shape.length || xt.shape.some((s, i) => s !== yt.shape[i]))
    throw new RangeError(`${op}: x and y must have the same shape, got [${xt.shape.join(', ')}] ${xt.dtype} and [${yt.shape.join(', ')}] ${yt.dtype}`);
  if (xt.numel === 0) throw new RangeError(`${op}: x and y are empty: [${xt.shape.join(', ')}]`);
  const o = checkOptions<PsnrOptions>(op, options);
  const R = checkNum(op, 'dataRange', o.dataRange, 2);
  return { a: xt.dataSync(), b: yt.dataSync(), R, n: xt.ndim === 0 ? 1 : xt.shape[0] };
}

const fromMse = (mse: number, R: number) => (mse === 0 ? Infinity : 10 * Math.log10((R * R) / mse));

/**
 * PSNR = 10·log10(R² / MSE) in dB, with the MSE of x − y over all elements (float64 sums);
 * +Infinity when x equals y. x and y: any same shape.
 */
export function psnr(x: Tensor, y: Tensor, options: PsnrOptions = {}): number {
  const { a, b, R } = prep('psnr', x, y, options);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return fromMse(s / a.length, R);
}

/** PSNR of each sample along the first dim: x, y [N, ...] → N values in dB. */
export function psnrPerSample(x: Tensor, y: Tensor, options: PsnrOptions = {}): number[] {
  const { a, b, R, n } = prep('psnrPerSample', x, y, options);
  if (x.ndim === 0) throw new RangeError('psnrPerSample: x and y need a first (sample) dim, got 0-d tensors');
  const per = a.length / n;
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let i = k * per; i < (k + 1) * per; i++) s += (a[i] - b[i]) ** 2;
    out.push(fromMse(s / per, R));
  }
  return out;
}
