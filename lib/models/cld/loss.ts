// loss.ts — hybrid score matching (HSM) for a CLDScoreModel through the fused weighted-MSE kernel
// (lib/diffusion/fused.ts weightedMse). With x_t, v_t drawn from p(u_t | x₀, v₀ ~ N(0, γM)) and
// ε_v the velocity noise, the conditional score is −ℓ_t ε_v, so matching s = −ℓ_t α_eff gives
//   reweightedv2: loss = mean_b Σ_dims (α_eff − ε_v)²
//   likelihood:   loss = mean_b Γβ(t_b) Σ_dims (s + ℓ ε_v)² = mean_b Γβ ℓ² Σ_dims (α_eff − ε_v)²
// with α_eff = α (plain score) or α + v_t / (ℓ_t Σvvᴺ(t)) (mixed score). For the mixed score the
// v-term moves into the target: pred = α [B, D], target = ε_v − c_b v_t with c_b = 1/(ℓ_b Σvvᴺ(t_b)).
import { Tensor, checkTensor } from '../../tensor';
import { tensor } from '../../ops/creation';
import { mul, sub } from '../../ops/elementwise';
import { narrow } from '../../ops/views';
import { shapeStr } from '../../shape';
import { cast } from '../../ops/util';
import { weightedMse } from '../../diffusion/fused';
import { CLDScoreModel } from './model';

/** HSM loss weighting: 'reweightedv2' (official default, weight 1) or 'likelihood' (Γβ(t)ℓ_t²). */
export type HSMWeighting = 'reweightedv2' | 'likelihood';

/** Options of {@link hsmLoss}. */
export interface HSMLossOptions {
  /** Seed of the times (when t is not given) and of the perturbation noise. */
  seed?: number | bigint;
  /** Per-sample forward times (length B); default t ~ U[tMin, T] from the seed. */
  t?: ArrayLike<number>;
  /** Lower end of the time draw (default 1e-5, the official loss_eps). */
  tMin?: number;
  /** Loss weighting (default 'reweightedv2'). */
  weighting?: HSMWeighting;
}

/** The HSM loss and what went into it (the times and ℓ_t in float64). */
export interface HSMLossResult {
  /** 0-d loss, differentiable w.r.t. the network's parameters. */
  loss: Tensor;
  /** Per-sample weighted losses [B] (no gradient, no 1/B). */
  perSample: Tensor;
  /** Forward times, length B. */
  t: Float64Array;
  /** ℓ_t = 1/L₂₂ per sample. */
  ell: Float64Array;
}

/**
 * The HSM loss of `model` on a batch of data x0 [B, D] or, for the image net, [B, C, H, W] (one fused perturbation pass and one fused
 * weighted-MSE pass). Call inside tidy(); the intermediates are created in the caller's scope.
 */
export function hsmLoss(model: CLDScoreModel, x0: Tensor, o: HSMLossOptions = {}): HSMLossResult {
  const op = 'hsmLoss';
  if (!(model instanceof CLDScoreModel)) throw new TypeError(`${op}: model must be a CLDScoreModel`);
  checkTensor(op, x0, 'x0');
  if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object`);
  const ds = model.dataShape, D = ds[0]; // D: the channel (or feature) count on axis 1
  if (x0.ndim !== ds.length + 1 || ds.some((d, i) => x0.shape[i + 1] !== d) || x0.shape[0] < 1)
    throw new RangeError(`${op}: x0 must be [B, ${ds.join(', ')}] with B ≥ 1, got ${shapeStr(x0.shape)} ${x0.dtype}`);
  if (x0.dtype !== 'float32' && x0.dtype !== 'float64') throw new TypeError(`${op}: x0 must be float32 or float64, got ${x0.dtype} ${shapeStr(x0.shape)}`);
  const weighting = o.weighting ?? 'reweightedv2';
  if (weighting !== 'reweightedv2' && weighting !== 'likelihood') throw new TypeError(`${op}: weighting must be 'reweightedv2' or 'likelihood', got ${String(weighting)}`);
  const tMin = o.tMin ?? 1e-5;
  if (typeof tMin !== 'number' || !(tMin >= 0 && tMin < model.cld.T)) throw new RangeError(`${op}: tMin must be in [0, ${model.cld.T}), got ${String(tMin)}`);
  if (o.t !== undefined && (o.t === null || typeof o.t !== 'object' || o.t.length !== x0.shape[0]))
    throw new RangeError(`${op}: t must have ${x0.shape[0]} entries (one per row of x0 ${shapeStr(x0.shape)})`);
  const cld = model.cld;
  const h = cld.hsmInputs(x0, { seed: o.seed, t: o.t, tMin });
  const xt = narrow(h.input, 1, 0, D); // [B, ...dataShape]
  const vt = narrow(h.input, 1, D, D); // [B, ...dataShape]
  const alpha = model.alpha(xt, vt, cast(h.t, model.net.config.dtype)); // [B, ...dataShape]
  let target = h.target; // ε_v [B, ...dataShape]
  if (model.mixed) {
    const c = Float64Array.from(h.tHost, (ti, b) => 1 / (h.ell[b] * cld.mixedVar(ti)));
    target = sub(h.target, mul(vt, cast(tensor(c, { shape: [c.length, ...ds.map(() => 1)], dtype: 'float64' }), vt.dtype)));
  }
  if (target.dtype !== alpha.dtype) target = cast(target, alpha.dtype);
  const w = tensor(cld.hsmWeights(h.tHost, weighting), { dtype: 'float64' }); // [B]
  const r = weightedMse(alpha, target, w, { perSample: true });
  return { loss: r.loss, perSample: r.perSample, t: h.tHost, ell: h.ell };
}
