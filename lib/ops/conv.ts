// conv.ts — 2-D convolution (conv2d) as native im2col + the blocked GEMM, with its backward rule:
// grad input = col2im(W^T @ g), grad weight = g @ cols^T summed over the batch inside the GEMM,
// grad bias = sum of g. Also the im2col/col2im launchers that pool.ts reuses.
import { record } from '../autograd';
import { begin, native, packNum, packView } from '../native';
import { shapeStr } from '../shape';
import { Tensor } from '../tensor';
import { castK, copyInto, fullK, h, pack, reduceK } from './kernel';
import { R } from './opTable';
import { checkTensor } from './util';
import { contiguous, squeeze, unsqueeze, viewOf } from './views';

/** A size given once for both spatial dims, or as [height, width]. */
export type Pair = number | readonly [number, number];

export interface Conv2dOptions {
  /** Step of the kernel window (default 1). */
  stride?: Pair;
  /**
   * Implicit zero padding on both sides of each spatial dim (default 0), or 'valid' (none) or
   * 'same' (output as large as the input; stride 1 only; an odd total goes to the bottom/right).
   */
  padding?: Pair | 'valid' | 'same';
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Split channels into this many independent groups (default 1). */
  groups?: number;
}

/** @internal Geometry of a sliding window over [H, W] (see native/cpu/conv.h). */
export interface Geom {
  kh: number; kw: number; sh: number; sw: number; ph: number; pw: number; dh: number; dw: number; oh: number; ow: number;
}

/** @internal A size argument as [h, w]: one integer or a pair of integers, each >= min. */
export function pairArg(op: string, v: unknown, name: string, min: number): [number, number] {
  const p = typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? v : null;
  if (!p || !p.every((s) => typeof s === 'number' && Number.isInteger(s)))
    throw new TypeError(`${op}: ${name} must be an integer or a pair of integers, got ${JSON.stringify(v)}`);
  if (p[0] < min || p[1] < min || p[0] > 2 ** 31 - 1 || p[1] > 2 ** 31 - 1)
    throw new RangeError(`${op}: ${name} ${JSON.stringify(v)} must be at least ${min}`);
  return [p[0], p[1]];
}

/** @internal Output size of a window: floor((n + padding - d*(k-1) - 1) / s) + 1, where padding counts both sides. */
export function outSize(n: number, padTotal: number, k: number, s: number, d: number): number {
  return Math.floor((n + padTotal - d * (k - 1) - 1) / s) + 1;
}

function packGeom(g: Geom): void {
  packNum(g.kh); packNum(g.kw); packNum(g.sh); packNum(g.sw); packNum(g.ph);
  packNum(g.pw); packNum(g.dh); packNum(g.dw); packNum(g.oh); packNum(g.ow);
}

/** @internal cols [N, C*kh*kw, oh*ow] (fresh, contiguous) from x [N, C, H, W] (any strides). */
export function im2colK(x: Tensor, g: Geom): Tensor {
  const cols = Tensor.empty([x.shape[0], x.shape[1] * g.kh * g.kw, g.oh * g.ow], x.dtype, x.device);
  im2colInto(cols, x, g);
  return cols;
}

/** @internal im2col into an existing contiguous cols view. */
export function im2colInto(cols: Tensor, x: Tensor, g: Geom): void {
  begin();
  pack(cols);
  pack(x);
  packGeom(g);
  native.im2col(h(cols), h(x));
}

/** @internal dx [N, C, H, W] (fresh) = adjoint of im2col applied to cols (contiguous). */
export function col2imK(cols: Tensor, shape: readonly number[], g: Geom): Tensor {
  const dx = Tensor.empty(shape, cols.dtype, cols.device);
  col2imInto(dx, cols, g);
  return dx;
}

/** @internal col2im into an existing contiguous dx view (overwritten). */
export function col2imInto(dx: Tensor, cols: Tensor, g: Geom): void {
  begin();
  pack(dx);
  pack(cols);
  packGeom(g);
  native.col2im(h(dx), h(cols));
}

/** A 3-d strided window onto a tensor's storage, for the GEMM. */
interface V3 { t: Tensor; shape: [number, number, number]; strides: [number, number, number]; offset: number }

/** c (+)= a @ b over a batch of 3-d views (native GEMM; a batch stride 0 on c sums over the batch when accumulating). */
function gemmInto(c: V3, a: V3, b: V3, accumulate: boolean): void {
  begin();
  packView(c.shape, c.strides, c.offset);
  packView(a.shape, a.strides, a.offset);
  packView(b.shape, b.strides, b.offset);
  packNum(accumulate ? 1 : 0);
  native.matmul(h(c.t), h(a.t), h(b.t));
}

interface ConvPlan { N: number; Cin: number; Cout: number; G: number; Cg: number; Kg: number; L: number; geom: Geom }

/**
 * @internal Tuning of the batch chunking: the im2col buffers hold about this many bytes (at least
 * one sample), so they stay in cache between im2col and the GEMM and a large batch does not need
 * a buffer of N·Cin·kH·kW·Ho·Wo elements. Tests lower it to exercise the chunk loop.
 */
export const convTuning = { chunkBytes: 8 << 20 };

/** Samples per chunk: the byte budget over one sample's columns, a multiple of the thread count when larger. */
function chunkOf(p: ConvPlan, bytes: number): number {
  const per = p.Cin * p.geom.kh * p.geom.kw * p.L * bytes;
  let c = Math.max(1, Math.floor(convTuning.chunkBytes / Math.max(per, 1)));
  const th = native.numThreads();
  if (c > th) c -= c % th;
  return Math.min(c, Math.max(p.N, 1));
}

/** Samples n0 .. n0+nb-1 of a 4-d tensor (a view). */
function batchView(t: Tensor, n0: number, nb: number): Tensor {
  return viewOf(t, [nb, t.shape[1], t.shape[2], t.shape[3]], t.strides, t.offset + n0 * t.strides[0]);
}

/** The first nb samples' worth of a contiguous [chunk, rows, L] buffer (a view). */
function leading(buf: Tensor, nb: number): Tensor {
  return viewOf(buf, [nb, buf.shape[1], buf.shape[2]], buf.strides, 0);
}

/** y [N, Cout, oh, ow] = conv(x, w) (+ bias). w contiguous; bias [Cout] or null. */
function convForward(x: Tensor, w: Tensor, bias: Tensor | null, p: ConvPlan): Tensor {
  const { N, Cin, Cout, G, Cg, Kg, L, geom } = p;
  const y = Tensor.empty([N, Cout, geom.oh, geom.ow], x.dtype, x.device);
  if (bias) {
    const bv = viewOf(bias, y.shape, [0, bias.strides[0], 0, 0], bias.offset);
    copyInto(y, bv);
    bv.dispose();
  }
  if (y.numel === 0) return y;
  const rowsAll = Cin * geom.kh * geom.kw;
  const chunk = chunkOf(p, x.dtype === 'float64' ? 8 : 4);
  const buf = Tensor.empty([chunk, rowsAll, L], x.dtype, x.device);
  for (let n0 = 0; n0 < N; n0 += chunk) {
    const nb = Math.min(chunk, N - n0);
    const xc = batchView(x, n0, nb), cols = leading(buf, nb); // cols [nb, Cin*kh*kw, L]
    im2colInto(cols, xc, geom);
    for (let g = 0; g < G; g++)
      gemmInto(
        { t: y, shape: [nb, Cg, L], strides: [Cout * L, L, 1], offset: n0 * Cout * L + g * Cg * L },
        { t: w, shape: [nb, Cg, Kg], strides: [0, Kg, 1], offset: w.offset + g * Cg * Kg },
        { t: cols, shape: [nb, Kg, L], strides: [rowsAll * L, L, 1], offset: g * Kg * L },
        bias !== null,
      );
    xc.dispose();
    cols.dispose();
  }
  buf.dispose();
  return y;
}

/**
 * Gradients from g [N, Cout, oh, ow] (contiguous): dx [N, Cin, H, W] = col2im(Wᵀ @ g) and
 * dw [Cout, Cin/G, kh, kw] = Σ_n g @ colsᵀ (the batch summed inside the GEMM), chunk by chunk.
 */
function convBackward(gy: Tensor, x: Tensor, w: Tensor, p: ConvPlan, needX: boolean, needW: boolean): [Tensor | null, Tensor | null] {
  const { N, Cin, Cout, G, Cg, Kg, L, geom } = p;
  const rowsAll = Cin * geom.kh * geom.kw;
  const dx = needX ? Tensor.empty(x.shape, gy.dtype, gy.device) : null;
  const dw = needW ? fullK(w.shape, 0, gy.dtype, gy.device) : null;
  if (N === 0) return [dx, dw];
  const chunk = chunkOf(p, gy.dtype === 'float64' ? 8 : 4);
  const colBuf = needW ? Tensor.empty([chunk, rowsAll, L], gy.dtype, gy.device) : null;
  const dcolBuf = needX ? Tensor.empty([chunk, rowsAll, L], gy.dtype, gy.device) : null;
  for (let n0 = 0; n0 < N; n0 += chunk) {
    const nb = Math.min(chunk, N - n0);
    const gOff = gy.offset + n0 * Cout * L;
    if (dw && colBuf) {
      const xc = batchView(x, n0, nb), cols = leading(colBuf, nb);
      im2colInto(cols, xc, geom);
      for (let g = 0; g < G; g++)
        gemmInto(
          { t: dw, shape: [nb, Cg, Kg], strides: [0, Kg, 1], offset: g * Cg * Kg },
          { t: gy, shape: [nb, Cg, L], strides: [Cout * L, L, 1], offset: gOff + g * Cg * L },
          { t: cols, shape: [nb, L, Kg], strides: [rowsAll * L, 1, L], offset: g * Kg * L },
          true,
        );
      xc.dispose();
      cols.dispose();
    }
    if (dx && dcolBuf) {
      const dcols = leading(dcolBuf, nb), dxc = batchView(dx, n0, nb);
      for (let g = 0; g < G; g++)
        gemmInto(
          { t: dcols, shape: [nb, Kg, L], strides: [rowsAll * L, L, 1], offset: g * Kg * L },
          { t: w, shape: [nb, Kg, Cg], strides: [0, 1, Kg], offset: w.offset + g * Cg * Kg },
          { t: gy, shape: [nb, Cg, L], strides: [Cout * L, L, 1], offset: gOff + g * Cg * L },
          false,
        );
      col2imInto(dxc, dcols, geom);
      dcols.dispose();
      dxc.dispose();
    }
  }
  colBuf?.dispose();
  dcolBuf?.dispose();
  return [dx, dw];
}

function checkFloatSame(op: string, ts: [string, Tensor | null][]): void {
  const ref = ts[0][1]!;
  for (const [name, t] of ts) {
    if (!t) continue;
    if (t.dtype === 'int32') throw new TypeError(`${op}: ${name} must be float32 or float64, got int32`);
    if (t.dtype !== ref.dtype)
      throw new TypeError(`${op}: ${name} dtype ${t.dtype} differs from input dtype ${ref.dtype} (input ${shapeStr(ref.shape)})`);
  }
}

/**
 * 2-D convolution (cross-correlation, PyTorch's conv2d): x [N, Cin, H, W] (or unbatched
 * [Cin, H, W]), weight [Cout, Cin/groups, kH, kW], bias [Cout] -> [N, Cout, Ho, Wo] with
 * Ho = floor((H + 2·padH − dilH·(kH−1) − 1) / strideH) + 1 (likewise Wo). float32 or float64; all
 * arguments of one dtype. Differentiable in x, weight and bias.
 */
export function conv2d(xIn: Tensor, wIn: Tensor, bIn?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  let x = checkTensor(op, xIn, 'input');
  const w0 = checkTensor(op, wIn, 'weight');
  const b = bIn === undefined || bIn === null ? null : checkTensor(op, bIn, 'bias');
  if (typeof opts !== 'object' || opts === null) throw new TypeError(`${op}: options must be an object`);
  checkFloatSame(op, [['input', x], ['weight', w0], ['bias', b]]);
  const unbatched = x.ndim === 3;
  if (x.ndim !== 3 && x.ndim !== 4)
    throw new RangeError(`${op}: input must be [N, Cin, H, W] or [Cin, H, W], got ${shapeStr(x.shape)}`);
  if (w0.ndim !== 4) throw new RangeError(`${op}: weight must be [Cout, Cin/groups, kH, kW], got ${shapeStr(w0.shape)}`);
  const groups = opts.groups ?? 1;
  if (typeof groups !== 'number' || !Number.isInteger(groups) || groups < 1)
    throw new RangeError(`${op}: groups must be a positive integer, got ${String(groups)}`);
  if (unbatched) x = unsqueeze(x, 0);
  const [N, Cin, H, W] = x.shape;
  const [Cout, Cgin, kh, kw] = w0.shape;
  if (Cin % groups !== 0 || Cout % groups !== 0 || Cgin * groups !== Cin)
    throw new RangeError(`${op}: input ${shapeStr(xIn.shape)} and weight ${shapeStr(w0.shape)} do not fit groups=${groups} ` +
      `(need Cin % groups == 0, Cout % groups == 0 and weight.shape[1] == Cin / groups)`);
  if (kh < 1 || kw < 1) throw new RangeError(`${op}: weight ${shapeStr(w0.shape)} has an empty kernel`);
  if (b && (b.ndim !== 1 || b.shape[0] !== Cout)) throw new RangeError(`${op}: bias ${shapeStr(b.shape)} must be [${Cout}]`);
  const [sh, sw] = pairArg(op, opts.stride ?? 1, 'stride', 1);
  const [dh, dw] = pairArg(op, opts.dilation ?? 1, 'dilation', 1);
  let ph: number, pw: number, padH: number, padW: number;
  if (opts.padding === 'same') {
    if (sh !== 1 || sw !== 1) throw new RangeError(`${op}: padding 'same' needs stride 1, got ${JSON.stringify(opts.stride)}`);
    padH = dh * (kh - 1); padW = dw * (kw - 1);
    ph = Math.floor(padH / 2); pw = Math.floor(padW / 2);
  } else if (opts.padding === 'valid') {
    ph = pw = padH = padW = 0;
  } else {
    [ph, pw] = pairArg(op, opts.padding ?? 0, 'padding', 0);
    padH = 2 * ph; padW = 2 * pw;
  }
  const oh = outSize(H, padH, kh, sh, dh), ow = outSize(W, padW, kw, sw, dw);
  if (oh < 1 || ow < 1)
    throw new RangeError(`${op}: input ${shapeStr(xIn.shape)} is too small for kernel ${kh}x${kw} with dilation ${dh}x${dw} ` +
      `and padding ${ph}x${pw} (output would be ${oh}x${ow})`);
  const w = contiguous(w0);
  const G = groups, Cg = Cout / G, Kg = Cgin * kh * kw;
  const plan: ConvPlan = { N, Cin, Cout, G, Cg, Kg, L: oh * ow, geom: { kh, kw, sh, sw, ph, pw, dh, dw, oh, ow } };
  const y = convForward(x, w, b, plan);
  const inputs = b ? [x, w, b] : [x, w];
  record(y, op, inputs, (g) => {
    const gc = g.isContiguous() ? g : castK(g, g.dtype);
    const [dx, dw] = convBackward(gc, x, w, plan, x.requiresGrad, w.requiresGrad);
    return [dx, dw, b && b.requiresGrad ? reduceK(R.SUM, gc, [0, 2, 3]) : null];
  });
  return unbatched ? squeeze(y, 0) : y;
}
