// fused.ts — the fused noise-level-weighted MSE losses of diffusion training (spec:
// /work/shared/specs/diffusion-basics.md; math in native/kernels/fused_losses.h). One native pass
// reads pred and target once, returns the loss and the per-sample losses, and writes ∂loss/∂pred in
// the same pass when pred or target requires grad; backward then only scales that saved gradient by
// the upstream (0-d) gradient.
//
//   loss = c_B Σ_b ω_b Σ_i m_bi (pred_bi − target_bi)²      c_B = 1/B ('mean', default) or 1 ('sum')
//   ∂loss/∂pred = 2 c_B ω_b m (pred − target),   ∂loss/∂target = −∂loss/∂pred
//
// Shapes: pred, target [B, ...] equal; weight / logsnr / dlogsnrDt [B]; mask broadcastable to pred.
// No gradient flows to weight, mask, logsnr or dlogsnrDt (they are noise-level bookkeeping, not
// parameters; compose from primitive ops if you need one).
import { isGradEnabled, record } from '../autograd';
import { DType } from '../dtype';
import { native } from '../native';
import { sameShape, shapeStr } from '../shape';
import { Tensor, checkTensor } from '../tensor';
import { castK, fullK, h, pack, packAs, unaryK } from '../ops/kernel';
import { begin, packNum } from '../native';
import { U } from '../ops/opTable';
import { broadcastShapes } from '../shape';

/** How the batch of weighted per-sample losses is combined. */
export type FusedReduction = 'mean' | 'sum';
/** What the network predicts (and so what pred / target are). */
export type Parameterization = 'eps' | 'x' | 'v';
/** w(λ): 'sigmoid' = sigmoid(bias − λ); 'elbo' = 1 (the continuous-time ELBO). */
export type ElboWeighting = 'sigmoid' | 'elbo';

/** Options shared by the fused losses. */
export interface FusedLossOptions {
  /** Per-element weights m (broadcastable to pred; usually 0/1). No gradient. Default: all ones. */
  mask?: Tensor | null;
  /** 'mean' (default) divides by the batch size B; 'sum' does not. */
  reduction?: FusedReduction;
  /**
   * Also return the per-sample losses: `{ loss, perSample }` with perSample[b] = ω_b Σ_i m (pred − target)²
   * (shape [B], pred's dtype, no 1/B, no gradient). Default false: return the loss tensor alone.
   */
  perSample?: boolean;
}

/** Options of {@link sigmoidElbo}. */
export interface SigmoidElboOptions extends FusedLossOptions {
  /** Sigmoid weighting bias b (default 0). */
  bias?: number;
  /** What pred / target are (default 'eps'). */
  parameterization?: Parameterization;
  /** 'sigmoid' (default) or 'elbo' (w = 1). */
  weighting?: ElboWeighting;
}

/** The loss (0-d, pred's dtype, differentiable) and the per-sample losses [B] (no gradient). */
export interface FusedLossResult {
  loss: Tensor;
  perSample: Tensor;
}

const PARAMS: Record<Parameterization, number> = { eps: 0, x: 1, v: 2 };
const WEIGHTINGS: Record<ElboWeighting, number> = { sigmoid: 0, elbo: 1 };

function checkOpts(op: string, o: unknown): FusedLossOptions & SigmoidElboOptions {
  if (o === undefined || o === null) return {};
  if (typeof o !== 'object') throw new TypeError(`${op}: options must be an object`);
  const r = (o as FusedLossOptions).reduction;
  if (r !== undefined && r !== 'mean' && r !== 'sum')
    throw new TypeError(`${op}: reduction must be 'mean' or 'sum', got ${JSON.stringify(r)}`);
  return o as FusedLossOptions & SigmoidElboOptions;
}

function floatOf(op: string, t: Tensor, name: string): void {
  if (t.dtype !== 'float32' && t.dtype !== 'float64')
    throw new TypeError(`${op}: ${name} must be float32 or float64, got ${t.dtype}`);
}

/** A contiguous [B] float64 copy of a per-sample vector (no gradient). */
function batchVec(op: string, xIn: unknown, name: string, batch: number): Tensor {
  const x = checkTensor(op, xIn, name);
  if (x.ndim !== 1 || x.shape[0] !== batch)
    throw new RangeError(`${op}: ${name} must have shape [${batch}] (one value per sample), got ${shapeStr(x.shape)}`);
  return castK(x, 'float64'); // fresh, contiguous
}

interface Prepared {
  pred: Tensor;
  target: Tensor;
  mask: Tensor | null;
  temps: Tensor[];
  needGrad: boolean;
}

function prepare(op: string, predIn: unknown, targetIn: unknown, o: FusedLossOptions): Prepared {
  const p0 = checkTensor(op, predIn, 'pred');
  const t0 = checkTensor(op, targetIn, 'target');
  floatOf(op, p0, 'pred');
  floatOf(op, t0, 'target');
  if (p0.dtype !== t0.dtype) throw new TypeError(`${op}: pred (${p0.dtype}) and target (${t0.dtype}) dtypes differ`);
  if (!sameShape(p0.shape, t0.shape))
    throw new RangeError(`${op}: pred ${shapeStr(p0.shape)} and target ${shapeStr(t0.shape)} must have the same shape`);
  if (p0.ndim < 1 || p0.shape[0] < 1)
    throw new RangeError(`${op}: pred must have a batch dim B >= 1, got shape ${shapeStr(p0.shape)}`);
  if (p0.device !== t0.device) throw new TypeError(`${op}: pred and target are on different devices`);
  const temps: Tensor[] = [];
  let mask: Tensor | null = null;
  if (o.mask !== undefined && o.mask !== null) {
    const m0 = checkTensor(op, o.mask, 'mask');
    let bs: number[];
    try {
      bs = broadcastShapes(op, m0.shape, p0.shape);
    } catch {
      throw new RangeError(`${op}: mask ${shapeStr(m0.shape)} does not broadcast to pred ${shapeStr(p0.shape)}`);
    }
    if (!sameShape(bs, p0.shape))
      throw new RangeError(`${op}: mask ${shapeStr(m0.shape)} does not broadcast to pred ${shapeStr(p0.shape)}`);
    // a fresh contiguous copy in pred's dtype, broadcast to pred's shape
    mask = Tensor.empty(p0.shape, p0.dtype, p0.device);
    begin();
    pack(mask);
    packAs(m0, p0.shape);
    native.cast(h(mask), h(m0));
    temps.push(mask);
  }
  const needGrad = isGradEnabled() && (p0.requiresGrad || t0.requiresGrad);
  // contiguous() records a clone when a copy is needed, so gradients still reach the caller's tensors
  const pred = p0.isContiguous() ? p0 : contiguousRec(p0);
  const target = t0.isContiguous() ? t0 : contiguousRec(t0);
  return { pred, target, mask, temps, needGrad };
}

function contiguousRec(x: Tensor): Tensor {
  const y = castK(x, x.dtype);
  return record(y, 'contiguous', [x], (g) => [g]);
}

/** Wraps the native result: loss tensor with its backward, perSample, and the optional return shape. */
function finish(op: string, p: Prepared, loss: number, grad: Tensor | null, perSample: Tensor, o: FusedLossOptions): Tensor | FusedLossResult {
  for (const t of p.temps) t.dispose();
  const dt: DType = p.pred.dtype;
  const lossT = fullK([], loss, dt, p.pred.device);
  if (grad) {
    const G = grad;
    let handedOver = false;
    record(lossT, op, [p.pred, p.target], (g) => {
      // g: the 0-d upstream gradient (read on the host: one element). When g = 1 (loss.backward())
      // the saved ∂loss/∂pred is handed over as pred's gradient itself (marked _ownGrad, so a leaf
      // adopts it without a copy: the whole fwd+bwd then moves 12 bytes per element). After a
      // hand-over the buffer belongs to pred.grad, so a retained graph scales a copy instead.
      const gv = g.item();
      if (handedOver && G.isDisposed) throw new Error(`${op}: backward: the saved gradient now belongs to pred.grad, which was disposed; recompute the loss`);
      let gt: Tensor | null = null;
      if (p.target.requiresGrad) gt = unaryK(U.MUL_S, G, -gv);
      let gp: Tensor | null = null;
      if (p.pred.requiresGrad) {
        if (gv === 1 && !handedOver) {
          handedOver = true;
          G._ownGrad = true;
          gp = G;
        } else gp = unaryK(U.MUL_S, G, gv);
      }
      return [gp, gt];
    });
  }
  if (o.perSample) return { loss: lossT, perSample };
  perSample.dispose();
  return lossT;
}

/**
 * Noise-level-weighted MSE, fused: loss = (1/B) Σ_b ω_b Σ_i m_bi (pred_bi − target_bi)² (`reduction:
 * 'sum'` drops 1/B). One native pass computes the loss (accumulated in double, deterministic for any
 * thread count) and, when pred or target requires grad, ∂loss/∂pred = (2/B) ω_b m (pred − target).
 *
 * @param pred    [B, ...] float32 or float64 (non-contiguous inputs are copied first)
 * @param target  [B, ...] same shape and dtype as pred
 * @param weight  [B] per-sample weights ω_b (any dtype; no gradient)
 * @param opts    mask (broadcastable to pred, no gradient), reduction, perSample
 * @returns the 0-d loss (pred's dtype), or `{ loss, perSample }` with `perSample: true`
 * @throws TypeError / RangeError naming the op and the shapes on bad arguments
 */
export function weightedMse(pred: Tensor, target: Tensor, weight: Tensor, opts: FusedLossOptions & { perSample: true }): FusedLossResult;
export function weightedMse(pred: Tensor, target: Tensor, weight: Tensor, opts?: FusedLossOptions): Tensor;
export function weightedMse(pred: Tensor, target: Tensor, weight: Tensor, opts?: FusedLossOptions): Tensor | FusedLossResult {
  const op = 'weightedMse';
  const o = checkOpts(op, opts);
  const p = prepare(op, pred, target, o);
  const B = p.pred.shape[0];
  let w: Tensor;
  try {
    w = batchVec(op, weight, 'weight', B);
  } catch (e) {
    for (const t of p.temps) t.dispose();
    throw e;
  }
  p.temps.push(w);
  const grad = p.needGrad ? Tensor.empty(p.pred.shape, p.pred.dtype, p.pred.device) : null;
  const perSample = Tensor.empty([B], p.pred.dtype, p.pred.device);
  begin();
  pack(p.pred);
  pack(p.target);
  pack(w);
  if (p.mask) pack(p.mask);
  if (grad) pack(grad);
  pack(perSample);
  packNum(o.reduction === 'sum' ? 1 : 0);
  const loss = native.weightedMse(h(p.pred), h(p.target), h(w), p.mask ? h(p.mask) : null, grad ? h(grad) : null, h(perSample));
  return finish(op, p, loss, grad, perSample, o);
}

/**
 * The sigmoid-weighted diffusion loss (Kingma & Gao 2023), fused: the weighted MSE with
 * ω_b = ½ w(λ_b) (−dλ/dt_b) c(λ_b) computed in-kernel, where w = sigmoid(bias − λ) ('sigmoid') or 1
 * ('elbo'), and c = 1 for eps-prediction, e^λ for x-prediction, sigmoid(λ) = α² for v-prediction
 * (‖ε − ε̂‖² = e^λ ‖x − x̂‖² = α² ‖v − v̂‖², so every parameterisation gives the same objective).
 *
 * @param pred      [B, ...] the network's prediction (ε̂, x̂ or v̂), float32 or float64
 * @param target    [B, ...] the matching target (ε, x or v)
 * @param logsnr    [B] λ_b of each sample (no gradient)
 * @param dlogsnrDt [B] dλ/dt at each sample's t (negative for a decreasing schedule; no gradient)
 * @param opts      bias (default 0), parameterization ('eps'), weighting ('sigmoid'), mask, reduction, perSample
 * @returns the 0-d loss (pred's dtype), or `{ loss, perSample }` with `perSample: true`
 *          (perSample[b] = ω_b Σ_i m (pred − target)², without 1/B)
 */
export function sigmoidElbo(pred: Tensor, target: Tensor, logsnr: Tensor, dlogsnrDt: Tensor, opts: SigmoidElboOptions & { perSample: true }): FusedLossResult;
export function sigmoidElbo(pred: Tensor, target: Tensor, logsnr: Tensor, dlogsnrDt: Tensor, opts?: SigmoidElboOptions): Tensor;
export function sigmoidElbo(pred: Tensor, target: Tensor, logsnr: Tensor, dlogsnrDt: Tensor, opts?: SigmoidElboOptions): Tensor | FusedLossResult {
  const op = 'sigmoidElbo';
  const o = checkOpts(op, opts);
  const bias = o.bias ?? 0;
  if (typeof bias !== 'number' || !Number.isFinite(bias)) throw new TypeError(`${op}: bias must be a finite number, got ${String(bias)}`);
  const param = o.parameterization ?? 'eps';
  if (!(param in PARAMS)) throw new TypeError(`${op}: parameterization must be 'eps', 'x' or 'v', got ${JSON.stringify(param)}`);
  const weighting = o.weighting ?? 'sigmoid';
  if (!(weighting in WEIGHTINGS)) throw new TypeError(`${op}: weighting must be 'sigmoid' or 'elbo', got ${JSON.stringify(weighting)}`);
  const p = prepare(op, pred, target, o);
  const B = p.pred.shape[0];
  try {
    p.temps.push(batchVec(op, logsnr, 'logsnr', B));
    p.temps.push(batchVec(op, dlogsnrDt, 'dlogsnrDt', B));
  } catch (e) {
    for (const t of p.temps) t.dispose();
    throw e;
  }
  const lam = p.temps[p.temps.length - 2], dlam = p.temps[p.temps.length - 1];
  const grad = p.needGrad ? Tensor.empty(p.pred.shape, p.pred.dtype, p.pred.device) : null;
  const perSample = Tensor.empty([B], p.pred.dtype, p.pred.device);
  begin();
  pack(p.pred);
  pack(p.target);
  pack(lam);
  pack(dlam);
  if (p.mask) pack(p.mask);
  if (grad) pack(grad);
  pack(perSample);
  packNum(bias);
  packNum(PARAMS[param]);
  packNum(WEIGHTINGS[weighting]);
  packNum(o.reduction === 'sum' ? 1 : 0);
  const loss = native.sigmoidElbo(h(p.pred), h(p.target), h(lam), h(dlam), p.mask ? h(p.mask) : null, grad ? h(grad) : null, h(perSample));
  return finish(op, p, loss, grad, perSample, o);
}

/**
 * ω_b of {@link sigmoidElbo} computed on the host in float64 (for logging and tests):
 * ½ w(λ) (−dλ/dt) c(λ).
 */
export function elboWeight(lambda: number, dlambdaDt: number, opts: Pick<SigmoidElboOptions, 'bias' | 'parameterization' | 'weighting'> = {}): number {
  const sig = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
  const w = (opts.weighting ?? 'sigmoid') === 'sigmoid' ? sig((opts.bias ?? 0) - lambda) : 1;
  const param = opts.parameterization ?? 'eps';
  const c = param === 'x' ? Math.exp(lambda) : param === 'v' ? sig(lambda) : 1;
  return 0.5 * w * -dlambdaDt * c;
}
