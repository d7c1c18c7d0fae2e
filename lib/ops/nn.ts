// nn.ts — neural-network functions: softmax, logSoftmax, layerNorm, crossEntropy, mseLoss, dropout.
import { record } from '../autograd';
import { nextDraw } from '../random';
import { normDim, sameShape, shapeStr } from '../shape';
import { Tensor } from '../tensor';
import { binaryK, castK, randomK, reduceK, softmaxK, unaryK } from './kernel';
import { B, R, U } from './opTable';
import { add, mul, rsqrt, square, sub } from './elementwise';
import { gather } from './indexing';
import { mean, sum } from './reduce';
import { checkFloat, checkNumber, checkTensor } from './util';
import { contiguous, reshape, squeeze, transpose, unsqueeze } from './views';

function softmaxLast(x: Tensor, logp: boolean): Tensor {
  const y = softmaxK(x, logp);
  const last = [x.ndim - 1];
  const ks = x.shape.slice(0, -1).concat([1]);
  return record(y, logp ? 'logSoftmax' : 'softmax', [x], (g) => {
    if (logp) {
      // g - exp(y) * sum(g)
      const s = reshape(reduceK(R.SUM, g, last), ks);
      const p = unaryK(U.EXP, y);
      return [binaryK(B.SUB, g, binaryK(B.MUL, p, s, x.shape), x.shape)];
    }
    // y * (g - sum(g * y))
    const gy = binaryK(B.MUL, g, y, x.shape);
    const s = reshape(reduceK(R.SUM, gy, last), ks);
    return [binaryK(B.MUL, y, binaryK(B.SUB, g, s, x.shape), x.shape)];
  });
}

function softmaxAlong(op: string, xIn: Tensor, dim: number, logp: boolean): Tensor {
  const x = checkTensor(op, xIn);
  checkFloat(op, x);
  if (x.ndim === 0) return reshape(softmaxAlong(op, reshape(x, [1]), 0, logp), []);
  const d = normDim(op, dim, x.ndim);
  if (d === x.ndim - 1) return softmaxLast(contiguous(x), logp);
  const xt = contiguous(transpose(x, d, -1));
  return transpose(softmaxLast(xt, logp), d, -1);
}

/** exp(x) / sum(exp(x)) along dim (default last). */
export const softmax = (x: Tensor, dim = -1): Tensor => softmaxAlong('softmax', x, dim, false);
/** log(softmax(x)) along dim, computed stably. */
export const logSoftmax = (x: Tensor, dim = -1): Tensor => softmaxAlong('logSoftmax', x, dim, true);

/**
 * Layer normalisation over the trailing dims named by normalizedShape: (x - mean) / sqrt(var + eps)
 * * weight + bias (biased variance, like PyTorch). weight/bias have shape normalizedShape.
 */
export function layerNorm(xIn: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const x = checkTensor('layerNorm', xIn);
  checkFloat('layerNorm', x);
  if (!Array.isArray(normalizedShape) || normalizedShape.length === 0 || normalizedShape.length > x.ndim ||
      !sameShape(x.shape.slice(x.ndim - normalizedShape.length), normalizedShape))
    throw new RangeError(`layerNorm: normalizedShape ${JSON.stringify(normalizedShape)} must match the trailing dims of input ${shapeStr(x.shape)}`);
  checkNumber('layerNorm', eps, 'eps');
  const dims = normalizedShape.map((_, i) => x.ndim - normalizedShape.length + i);
  const mu = mean(x, dims, true);
  const xc = sub(x, mu);
  const v = mean(square(xc), dims, true);
  let y = mul(xc, rsqrt(add(v, eps)));
  for (const [name, p] of [['weight', weight], ['bias', bias]] as const) {
    if (p === undefined || p === null) continue;
    const t = checkTensor('layerNorm', p, name);
    if (!sameShape(t.shape, normalizedShape))
      throw new RangeError(`layerNorm: ${name} ${shapeStr(t.shape)} must have shape ${JSON.stringify(normalizedShape)}`);
    y = name === 'weight' ? mul(y, t) : add(y, t);
  }
  return y;
}

export type Reduction = 'mean' | 'sum' | 'none';

function reduceLoss(op: string, l: Tensor, reduction: Reduction | undefined): Tensor {
  const r = reduction ?? 'mean';
  if (r === 'mean') return mean(l);
  if (r === 'sum') return sum(l);
  if (r === 'none') return l;
  throw new TypeError(`${op}: reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}`);
}

export interface CrossEntropyOptions {
  reduction?: Reduction;
  /** Mix the one-hot target with the uniform distribution (0 = none). */
  labelSmoothing?: number;
}

/**
 * Cross-entropy from logits [N, C] (or [C]) and int32 class indices [N] (or []): the mean (by
 * default) of -log softmax(logits)[target].
 */
export function crossEntropy(logitsIn: Tensor, targetIn: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const logits = checkTensor('crossEntropy', logitsIn, 'logits');
  const target = checkTensor('crossEntropy', targetIn, 'target');
  checkFloat('crossEntropy', logits);
  if (target.dtype !== 'int32') throw new TypeError(`crossEntropy: target must hold int32 class indices, got ${target.dtype}`);
  const batched = logits.ndim === 2;
  if (!(batched && target.ndim === 1 && target.shape[0] === logits.shape[0]) && !(logits.ndim === 1 && target.ndim === 0))
    throw new RangeError(`crossEntropy: expected logits [N, C] with target [N] (or [C] with []), got ${shapeStr(logits.shape)} and ${shapeStr(target.shape)}`);
  const ls = opts.labelSmoothing ?? 0;
  if (typeof ls !== 'number' || ls < 0 || ls > 1) throw new RangeError('crossEntropy: labelSmoothing must be in [0, 1]');
  const lp = logSoftmax(batched ? logits : unsqueeze(logits, 0), -1);
  const t2 = unsqueeze(batched ? target : unsqueeze(target, 0), 1);
  let picked: Tensor;
  try {
    picked = squeeze(gather(lp, 1, t2), 1);
  } catch (e) {
    if (e instanceof RangeError) throw new RangeError(`crossEntropy: a target is not a class index in [0, ${lp.shape[1]}): ${e.message}`);
    throw e;
  }
  let nll = mul(picked, -1);
  if (ls > 0) {
    const smooth = mul(mean(lp, 1), -1);
    nll = add(mul(nll, 1 - ls), mul(smooth, ls));
  }
  if (!batched) nll = reshape(nll, []);
  return reduceLoss('crossEntropy', nll, opts.reduction);
}

/** Mean squared error (reduction 'mean' by default). Shapes must broadcast. */
export function mseLoss(aIn: Tensor, bIn: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  const a = checkTensor('mseLoss', aIn, 'input');
  const b = checkTensor('mseLoss', bIn, 'target');
  return reduceLoss('mseLoss', square(sub(a, b)), opts.reduction);
}

export interface DropoutOptions {
  /** Apply dropout (default true); when false, returns x. */
  training?: boolean;
  /** Draw the mask from this seed instead of the global generator. */
  seed?: number | bigint;
}

/** Zero each element with probability p and scale the rest by 1/(1-p). The mask is Philox-seeded. */
export function dropout(xIn: Tensor, p = 0.5, opts: DropoutOptions = {}): Tensor {
  const x = checkTensor('dropout', xIn);
  checkFloat('dropout', x);
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new RangeError(`dropout: p must be in [0, 1], got ${p}`);
  if (opts.training === false || p === 0) return x;
  if (p === 1) return mul(x, 0);
  const u = randomK(x.shape, x.dtype, 0, nextDraw('dropout', opts.seed), 0, 1, x.device);
  const keepMask = unaryK(U.GE_S, u, p, 0, 'float32');
  u.dispose();
  const mf = x.dtype === 'float32' ? keepMask : castK(keepMask, x.dtype);
  const m = unaryK(U.MUL_S, mf, 1 / (1 - p));
  if (mf !== keepMask) mf.dispose();
  keepMask.dispose();
  return mul(x, m);
}
