// loss.ts — the SiT training objective with the LayerSync term. Linear interpolant, velocity
// prediction (spec "Flow-matching objective", SiT's code convention): data x₁, noise x₀ ~ N(0, I),
// t ~ U[0, 1], x_t = t x₁ + (1 − t) x₀, target u = x₁ − x₀, L_FM = mean (v_θ(x_t, t, y) − u)²
// over all elements; L = L_FM + λ L_reg with L_reg from regularizer.ts on the same forward pass.
import { Tensor, checkTensor } from '../../tensor';
import { rand, randn, tensor } from '../../ops/creation';
import { add, mul, sub } from '../../ops/elementwise';
import { mseLoss } from '../../ops/nn';
import { detach, reshape } from '../../ops/views';
import { shapeStr } from '../../shape';
import { deriveSeed } from '../../diffusion/cld';
import { SiT, Seed } from './sit';
import { LayerSyncOptions, layerSyncFromBlocks, resolveLayerSync } from './regularizer';

/**
 * The linear interpolant at per-sample times t [B]: x_t = t x₁ + (1 − t) x₀ and its velocity
 * u = x₁ − x₀. x₀ (noise), x₁ (data): [B, ...] of one shape and dtype; t: [B] (cast to x's dtype).
 */
export function interpolant(x0: Tensor, x1: Tensor, t: Tensor): { xt: Tensor; ut: Tensor } {
  const op = 'interpolant';
  const a = checkTensor(op, x0, 'x0'), b = checkTensor(op, x1, 'x1'), tt = checkTensor(op, t, 't');
  if (a.ndim < 1 || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i]))
    throw new RangeError(`${op}: x0 ${shapeStr(a.shape)} and x1 ${shapeStr(b.shape)} must have the same shape [B, ...]`);
  if (a.dtype !== b.dtype || (a.dtype !== 'float32' && a.dtype !== 'float64'))
    throw new TypeError(`${op}: x0 (${a.dtype}) and x1 (${b.dtype}) must share a float dtype`);
  if (tt.ndim !== 1 || tt.shape[0] !== a.shape[0]) throw new RangeError(`${op}: t must be [${a.shape[0]}], got ${shapeStr(tt.shape)} for x ${shapeStr(a.shape)}`);
  const tv = reshape(tt.dtype === a.dtype ? tt : tt.to(a.dtype), [a.shape[0], ...new Array<number>(a.ndim - 1).fill(1)]); // [B, 1, ...]
  return { xt: add(mul(b, tv), mul(a, sub(1, tv))), ut: sub(b, a) };
}

/** Options of {@link flowMatchingLoss}. */
export interface FlowLossOptions {
  /** Seed of the noise x₀, the times t and the label dropout (required: the loss is deterministic given it). */
  seed: Seed;
  /** Fixed per-sample times t_b ∈ [0, 1] instead of t ~ U[0, 1]. */
  t?: readonly number[];
  /** Fixed noise x₀ [B, C, H, W] instead of drawing it from the seed. */
  noise?: Tensor;
  /** The LayerSync term (default λ 0.2 on the default pair); `{lambda: 0}` is plain SiT training. */
  layerSync?: LayerSyncOptions;
}

/** What {@link flowMatchingLoss} returns (scalar tensors; `loss` carries the graph). */
export interface FlowLossResult {
  /** L = L_FM + λ L_reg (differentiable). */
  loss: Tensor;
  /** L_FM (shares the graph with loss). */
  fm: Tensor;
  /** L_reg on this batch (differentiable when λ > 0, a detached value when λ = 0; null when the model has one block). */
  reg: Tensor | null;
}

/**
 * The SiT training loss on a batch: images x₁ [B, C, H, W] (data, e.g. in [−1, 1]) with labels
 * y [B] int32. Labels are dropped (classifier-free guidance) when the model is in training mode.
 * Call inside tidy() and backward() `loss` there.
 */
export function flowMatchingLoss(model: SiT, x1: Tensor, y: Tensor, o: FlowLossOptions): FlowLossResult {
  const op = 'flowMatchingLoss';
  if (!(model instanceof SiT)) throw new TypeError(`${op}: model must be a SiT`);
  if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object with a seed`);
  if (o.seed === undefined) throw new TypeError(`${op}: options.seed is required`);
  const x = checkTensor(op, x1, 'x1');
  const ds = model.dataShape;
  if (x.ndim !== 4 || ds.some((d, i) => x.shape[i + 1] !== d)) throw new RangeError(`${op}: x1 must be [B, ${ds.join(', ')}], got ${shapeStr(x.shape)} ${x.dtype}`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new TypeError(`${op}: x1 must be float32 or float64, got ${x.dtype}`);
  const B = x.shape[0];
  const ls = resolveLayerSync(o.layerSync ?? {}, model.config.depth);
  const dt = model.config.dtype;
  const xs = x.dtype === dt ? x : x.to(dt);
  let tt: Tensor;
  if (o.t !== undefined) {
    if (!Array.isArray(o.t) || o.t.length !== B || o.t.some((v) => typeof v !== 'number' || !(v >= 0 && v <= 1)))
      throw new RangeError(`${op}: t must be an array of ${B} numbers in [0, 1]`);
    tt = tensor(o.t, { dtype: dt });
  } else tt = rand([B], { seed: deriveSeed(o.seed, 1), dtype: dt });
  let x0: Tensor;
  if (o.noise !== undefined) {
    const n = checkTensor(op, o.noise, 'noise');
    if (n.shape.length !== 4 || n.shape.some((d, i) => d !== x.shape[i])) throw new RangeError(`${op}: noise ${shapeStr(n.shape)} must match x1 ${shapeStr(x.shape)}`);
    x0 = n.dtype === dt ? n : n.to(dt);
  } else x0 = randn(x.shape, { seed: deriveSeed(o.seed, 0), dtype: dt });
  const { xt, ut } = interpolant(x0, xs, tt);
  const out = model.forwardWithBlocks(xt, tt, y, { dropSeed: deriveSeed(o.seed, 2) });
  const fm = mseLoss(out.velocity, ut);
  if (model.config.depth < 2) return { loss: fm, fm, reg: null };
  if (ls.lambda > 0) {
    const reg = layerSyncFromBlocks(out.blocks, ls);
    return { loss: add(fm, mul(reg, ls.lambda)), fm, reg };
  }
  // λ = 0: the regulariser's value on this batch for the logs, outside the graph
  const reg = layerSyncFromBlocks(out.blocks.map((b) => detach(b)), ls);
  return { loss: fm, fm, reg };
}
