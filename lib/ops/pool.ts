// pool.ts — 2-D average pooling (avgPool2d) and nearest-neighbour upsampling by an integer factor
// (upsampleNearest2d), each one recorded op with a backward rule made of native kernels.
// avgPool2d with stride == kernel and no padding is a mean over a strided 6-d view of x (no copy);
// otherwise it is native im2col + a mean over the window rows (backward: col2im).
import { record } from '../autograd';
import { shapeStr } from '../shape';
import { Tensor } from '../tensor';
import { castK, copyInto, fullK, reduceK, unaryK } from './kernel';
import { R, U } from './opTable';
import { col2imK, Geom, im2colK, outSize, Pair, pairArg } from './conv';
import { checkFloat, checkTensor } from './util';
import { squeeze, unsqueeze, viewOf } from './views';

/** x as a 4-d tensor (unbatched [C, H, W] gains N = 1); throws unless 3-d or 4-d float. */
function as4d(op: string, xIn: Tensor): { x: Tensor; unbatched: boolean } {
  const x = checkTensor(op, xIn, 'input');
  checkFloat(op, x);
  if (x.ndim !== 3 && x.ndim !== 4)
    throw new RangeError(`${op}: input must be [N, C, H, W] or [C, H, W], got ${shapeStr(x.shape)} ${x.dtype}`);
  return x.ndim === 3 ? { x: unsqueeze(x, 0), unbatched: true } : { x, unbatched: false };
}

/** A contiguous [N, C, H, W] tensor as 6-d [N, C, H/a, a, W/b, b] blocks (strides only). */
function blocks(t: Tensor, oh: number, a: number, ow: number, b: number): Tensor {
  const [s0, s1, s2, s3] = t.strides;
  return viewOf(t, [t.shape[0], t.shape[1], oh, a, ow, b], [s0, s1, a * s2, s2, b * s3, s3], t.offset);
}

/**
 * Average pooling over kH×kW windows (PyTorch's avg_pool2d with ceil_mode false and
 * count_include_pad true: padded zeros count in the mean): x [N, C, H, W] (or [C, H, W]) ->
 * [N, C, Ho, Wo], Ho = floor((H + 2·padH − kH) / strideH) + 1. stride defaults to the kernel size;
 * padding is at most half the kernel.
 */
export function avgPool2d(xIn: Tensor, kernel: Pair, stride?: Pair | null, padding: Pair = 0): Tensor {
  const op = 'avgPool2d';
  const { x, unbatched } = as4d(op, xIn);
  const [kh, kw] = pairArg(op, kernel, 'kernel', 1);
  const [sh, sw] = stride === undefined || stride === null ? [kh, kw] : pairArg(op, stride, 'stride', 1);
  const [ph, pw] = pairArg(op, padding, 'padding', 0);
  if (2 * ph > kh || 2 * pw > kw)
    throw new RangeError(`${op}: padding ${JSON.stringify(padding)} must be at most half of kernel ${JSON.stringify(kernel)}`);
  const [N, C, H, W] = x.shape;
  const oh = outSize(H, 2 * ph, kh, sh, 1), ow = outSize(W, 2 * pw, kw, sw, 1);
  if (oh < 1 || ow < 1)
    throw new RangeError(`${op}: input ${shapeStr(xIn.shape)} is too small for kernel ${kh}x${kw} with padding ${ph}x${pw}`);
  const kk = kh * kw;
  let y: Tensor;
  let bwd: (g: Tensor) => Tensor;
  if (sh === kh && sw === kw && ph === 0 && pw === 0) {
    // non-overlapping windows: a mean over a strided view, no copy
    const v = blocks(x, oh, kh, ow, kw);
    y = reduceK(R.MEAN, v, [3, 5]); // [N, C, oh, ow]
    v.dispose();
    bwd = (g) => {
      const cropped = oh * kh !== H || ow * kw !== W;
      const dx = cropped ? fullK(x.shape, 0, g.dtype, g.device) : Tensor.empty(x.shape, g.dtype, g.device);
      const dv = blocks(dx, oh, kh, ow, kw);
      const gs = unaryK(U.MUL_S, g, 1 / kk);
      const gb = viewOf(gs, [N, C, oh, 1, ow, 1], [gs.strides[0], gs.strides[1], gs.strides[2], 0, gs.strides[3], 0], gs.offset);
      copyInto(dv, gb);
      return dx;
    };
  } else {
    const geom: Geom = { kh, kw, sh, sw, ph, pw, dh: 1, dw: 1, oh, ow };
    const L = oh * ow;
    const cols = im2colK(x, geom); // [N, C*kk, L]
    const c4 = viewOf(cols, [N, C, kk, L], [C * kk * L, kk * L, L, 1], 0);
    const m = reduceK(R.MEAN, c4, [2]); // [N, C, L]
    c4.dispose();
    cols.dispose();
    y = viewOf(m, [N, C, oh, ow], [C * L, L, ow, 1], 0);
    m.dispose();
    bwd = (g) => {
      const gs = unaryK(U.MUL_S, g, 1 / kk); // contiguous [N, C, oh, ow]
      const gcols = Tensor.empty([N, C * kk, L], g.dtype, g.device);
      const dst = viewOf(gcols, [N, C, kk, L], [C * kk * L, kk * L, L, 1], 0);
      copyInto(dst, viewOf(gs, [N, C, kk, L], [C * L, L, 0, 1], 0));
      return col2imK(gcols, x.shape, geom);
    };
  }
  record(y, op, [x], (g) => [bwd(g)]);
  return unbatched ? squeeze(y, 0) : y;
}

/**
 * Nearest-neighbour upsampling by an integer factor (PyTorch's interpolate(mode='nearest') with an
 * integer scale_factor): x [N, C, H, W] (or [C, H, W]) -> [N, C, H·sH, W·sW]; output pixel (i, j)
 * copies input pixel (floor(i/sH), floor(j/sW)). The gradient sums each sH×sW block.
 */
export function upsampleNearest2d(xIn: Tensor, scale: Pair): Tensor {
  const op = 'upsampleNearest2d';
  const { x, unbatched } = as4d(op, xIn);
  const [a, b] = pairArg(op, scale, 'scale', 1);
  const [N, C, H, W] = x.shape;
  const [s0, s1, s2, s3] = x.strides;
  const outShape = [N, C, H * a, W * b];
  if (outShape[2] * outShape[3] * N * C > 2 ** 31 - 1) throw new RangeError(`${op}: output ${shapeStr(outShape)} is too large`);
  const rep = viewOf(x, [N, C, H, a, W, b], [s0, s1, s2, 0, s3, 0], x.offset);
  const y6 = castK(rep, x.dtype); // contiguous [N, C, H, a, W, b]
  rep.dispose();
  const y = viewOf(y6, outShape, [C * H * a * W * b, H * a * W * b, W * b, 1], 0);
  y6.dispose();
  record(y, op, [x], (g) => {
    const gc = g.isContiguous() ? g : castK(g, g.dtype);
    const g6 = viewOf(gc, [N, C, H, a, W, b], [C * H * a * W * b, H * a * W * b, a * W * b, W * b, b, 1], gc.offset);
    return [reduceK(R.SUM, g6, [3, 5])];
  });
  return unbatched ? squeeze(y, 0) : y;
}
