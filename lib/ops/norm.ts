// norm.ts — group normalisation (groupNorm) and RMS normalisation (rmsNorm), composed of primitive
// recorded ops (mean, sub, square, rsqrt, mul, add), so autograd derives their backward.
import { numelOf, sameShape, shapeStr } from '../shape';
import { Tensor } from '../tensor';
import { add, mul, rsqrt, square, sub } from './elementwise';
import { mean } from './reduce';
import { checkFloat, checkNumber, checkTensor } from './util';
import { reshape } from './views';

function checkParam(op: string, p: Tensor | null | undefined, name: string, shape: readonly number[], x: Tensor): Tensor | null {
  if (p === undefined || p === null) return null;
  const t = checkTensor(op, p, name);
  checkFloat(op, t);
  if (!sameShape(t.shape, shape))
    throw new RangeError(`${op}: ${name} ${shapeStr(t.shape)} must have shape ${shapeStr(shape)} for input ${shapeStr(x.shape)}`);
  return t;
}

/**
 * Group normalisation (PyTorch's group_norm): the channels of x [N, C, ...] are split into `groups`
 * groups of C/groups channels; each (sample, group) is normalised by its own mean and biased
 * variance over its channels and spatial positions, (x − mean) / sqrt(var + eps), then scaled by
 * weight [C] and shifted by bias [C] per channel.
 */
export function groupNorm(xIn: Tensor, groups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const op = 'groupNorm';
  const x = checkTensor(op, xIn, 'input');
  checkFloat(op, x);
  if (x.ndim < 2) throw new RangeError(`${op}: input must be [N, C, ...], got ${shapeStr(x.shape)} ${x.dtype}`);
  if (typeof groups !== 'number' || !Number.isInteger(groups) || groups < 1)
    throw new RangeError(`${op}: groups must be a positive integer, got ${String(groups)}`);
  const [N, C] = x.shape;
  if (C % groups !== 0) throw new RangeError(`${op}: ${C} channels of input ${shapeStr(x.shape)} do not split into ${groups} groups`);
  checkNumber(op, eps, 'eps');
  if (!(eps >= 0)) throw new RangeError(`${op}: eps must be non-negative, got ${eps}`);
  const w = checkParam(op, weight, 'weight', [C], x);
  const b = checkParam(op, bias, 'bias', [C], x);
  const per = (C / groups) * numelOf(x.shape.slice(2));
  if (per === 0) throw new RangeError(`${op}: input ${shapeStr(x.shape)} has empty groups`);
  const xr = reshape(x, [N, groups, per]); // [N, G, C/G * spatial]
  const mu = mean(xr, 2, true);
  const xc = sub(xr, mu);
  const v = mean(square(xc), 2, true);
  let y = reshape(mul(xc, rsqrt(add(v, eps))), x.shape);
  const pshape = [C, ...x.shape.slice(2).map(() => 1)]; // [C, 1, ...] broadcasts over N and space
  if (w) y = mul(y, reshape(w, pshape));
  if (b) y = add(y, reshape(b, pshape));
  return y;
}

/** Machine epsilon of a float dtype (PyTorch's default eps of rms_norm). */
function finfoEps(dtype: string): number {
  return dtype === 'float64' ? 2 ** -52 : 2 ** -23;
}

/**
 * RMS normalisation (PyTorch's rms_norm) over the trailing dims named by normalizedShape:
 * x / sqrt(mean(x²) + eps) · weight, weight of shape normalizedShape. eps defaults to the machine
 * epsilon of x's dtype (like PyTorch's eps=None).
 */
export function rmsNorm(xIn: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, eps?: number | null): Tensor {
  const op = 'rmsNorm';
  const x = checkTensor(op, xIn, 'input');
  checkFloat(op, x);
  if (!Array.isArray(normalizedShape) || normalizedShape.length === 0 || normalizedShape.length > x.ndim ||
      !sameShape(x.shape.slice(x.ndim - normalizedShape.length), normalizedShape))
    throw new RangeError(`${op}: normalizedShape ${JSON.stringify(normalizedShape)} must match the trailing dims of input ${shapeStr(x.shape)} ${x.dtype}`);
  if (numelOf(normalizedShape) === 0) throw new RangeError(`${op}: normalizedShape ${JSON.stringify(normalizedShape)} is empty`);
  const e = eps === undefined || eps === null ? finfoEps(x.dtype) : checkNumber(op, eps, 'eps');
  if (!(e >= 0)) throw new RangeError(`${op}: eps must be non-negative, got ${e}`);
  const w = checkParam(op, weight, 'weight', normalizedShape, x);
  const dims = normalizedShape.map((_, i) => x.ndim - normalizedShape.length + i);
  const ms = mean(square(x), dims, true);
  const y = mul(x, rsqrt(add(ms, e)));
  return w ? mul(y, w) : y;
}
