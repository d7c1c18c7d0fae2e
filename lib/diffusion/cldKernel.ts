// cldKernel.ts — the TypeScript wrapper of the fused CLD kernel (spec: /work/shared/specs/cld.md,
// "The fused kernel"; math and noise layout in native/kernels/cld.h). Everything CLD does between
// two network evaluations — the perturbation x_t, v_t ~ p(u_t | x₀), the SSCS S + A(h) + A(h′)
// update, an Euler–Maruyama step, the final denoising step — is one affine map of (x, v, s) plus
// 2×2 Cholesky noise, one pass that reads x, v, s once and writes x, v once:
//
//   out_x = m00 x + m01 v + m02 s + l11 ξx
//   out_v = m10 x + m11 v + m12 s + l21 ξx + l22 ξv
//
// The coefficients are computed on the host in float64 (lib/diffusion/cld.ts). No autograd: this is
// sampling / perturbation; the outputs never require grad (wrap the network, not this, in autograd).
import { native, begin, packNum } from '../native';
import { nextDraw } from '../random';
import { sameShape, shapeStr } from '../shape';
import { Tensor, checkTensor } from '../tensor';
import { castK, h, pack } from '../ops/kernel';

/** Options of {@link cldAffine}. */
export interface CldAffineOptions {
  /**
   * Draw the noise from this seed (Philox counter offset 0) instead of advancing the global
   * generator (lib/random.ts nextDraw('cldAffine')). Same seed ⇒ same noise, for any thread count.
   */
  seed?: number | bigint;
  /** Draw noise (default true). false: ξx = ξv = 0 (the mean of the map; the generator does not advance). */
  noise?: boolean;
  /** Also return the noise drawn, ξx and ξv (zeros when noise is false). ξv is HSM's ε_v target. */
  returnNoise?: boolean;
}

/** Result of {@link cldAffine}: fresh contiguous tensors with x's shape and dtype. */
export interface CldAffineResult {
  x: Tensor;
  v: Tensor;
  epsX?: Tensor;
  epsV?: Tensor;
}

/**
 * The fused CLD affine + Cholesky-noise step:
 * out_x = m00 x + m01 v + m02 s + l11 ξx, out_v = m10 x + m11 v + m12 s + l21 ξx + l22 ξv,
 * with ξx, ξv independent standard normals drawn in-kernel (Philox 4x32-10, element i uses counter
 * block i; layout in native/kernels/cld.h, reproduced by the CUDA backend).
 *
 * @param x    [B, ...] float32 or float64
 * @param v    [B, ...] same shape and dtype (may be the same tensor as x)
 * @param s    [B, ...] same shape and dtype, or null (the m02 / m12 terms are dropped)
 * @param coef float64 [9] (shared by all samples) or [B, 9] (per sample):
 *             (m00, m01, m02, m10, m11, m12, l11, l21, l22), cast to x's dtype in-kernel
 * @param opts seed, noise (default true), returnNoise
 * @returns `{ x, v }` (plus `epsX`, `epsV` with returnNoise); no gradient is recorded
 * @throws TypeError / RangeError naming cldAffine and the offending shapes
 */
export function cldAffine(x: Tensor, v: Tensor, s: Tensor | null, coef: Tensor, opts: CldAffineOptions = {}): CldAffineResult {
  const op = 'cldAffine';
  const x0 = checkTensor(op, x, 'x');
  const v0 = checkTensor(op, v, 'v');
  const s0 = s === null || s === undefined ? null : checkTensor(op, s, 's');
  const c0 = checkTensor(op, coef, 'coef');
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${op}: options must be an object`);
  if (x0.dtype !== 'float32' && x0.dtype !== 'float64') throw new TypeError(`${op}: x must be float32 or float64, got ${x0.dtype}`);
  if (x0.ndim < 1) throw new RangeError(`${op}: x must have a batch dim, got shape ${shapeStr(x0.shape)}`);
  for (const [name, t] of [['v', v0], ['s', s0]] as const) {
    if (!t) continue;
    if (!sameShape(t.shape, x0.shape)) throw new RangeError(`${op}: ${name} ${shapeStr(t.shape)} must have x's shape ${shapeStr(x0.shape)}`);
    if (t.dtype !== x0.dtype) throw new TypeError(`${op}: ${name} (${t.dtype}) must have x's dtype (${x0.dtype})`);
    if (t.device !== x0.device) throw new TypeError(`${op}: ${name} is on a different device than x`);
  }
  const B = x0.shape[0];
  const shared = c0.ndim === 1 && c0.shape[0] === 9;
  const per = c0.ndim === 2 && c0.shape[0] === B && c0.shape[1] === 9;
  if (!shared && !per) throw new RangeError(`${op}: coef must have shape [9] or [${B}, 9] (x is ${shapeStr(x0.shape)}), got ${shapeStr(c0.shape)}`);
  if (c0.dtype !== 'float64') throw new TypeError(`${op}: coef must be float64 (host-computed coefficients), got ${c0.dtype}`);
  const noise = opts.noise ?? true;
  if (typeof noise !== 'boolean') throw new TypeError(`${op}: noise must be a boolean`);
  const ret = opts.returnNoise ?? false;
  if (typeof ret !== 'boolean') throw new TypeError(`${op}: returnNoise must be a boolean`);
  // only draw from the generator when noise is used
  const draw: [number, number, number] = noise ? nextDraw(op, opts.seed) : [0, 0, 0];

  const temps: Tensor[] = [];
  const cont = (t: Tensor): Tensor => {
    if (t.isContiguous()) return t;
    const c = castK(t, t.dtype);
    temps.push(c);
    return c;
  };
  const xc = cont(x0), vc = cont(v0), sc = s0 ? cont(s0) : null, cc = cont(c0);
  const ox = Tensor.empty(x0.shape, x0.dtype, x0.device), ov = Tensor.empty(x0.shape, x0.dtype, x0.device);
  const ex = ret ? Tensor.empty(x0.shape, x0.dtype, x0.device) : null, ev = ret ? Tensor.empty(x0.shape, x0.dtype, x0.device) : null;
  try {
    begin();
    pack(ox);
    pack(ov);
    if (ex && ev) {
      pack(ex);
      pack(ev);
    }
    pack(xc);
    pack(vc);
    if (sc) pack(sc);
    pack(cc);
    packNum(draw[0]);
    packNum(draw[1]);
    packNum(draw[2] % 2 ** 32);
    packNum(Math.floor(draw[2] / 2 ** 32));
    packNum(noise ? 1 : 0);
    native.cldAffine(h(ox), h(ov), ex ? h(ex) : null, ev ? h(ev) : null, h(xc), h(vc), sc ? h(sc) : null, h(cc));
  } catch (e) {
    for (const t of [ox, ov, ex, ev]) t?.dispose();
    throw e;
  } finally {
    for (const t of temps) t.dispose();
  }
  return ex && ev ? { x: ox, v: ov, epsX: ex, epsV: ev } : { x: ox, v: ov };
}
