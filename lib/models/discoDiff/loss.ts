// loss.ts — DisCo-Diff's stage-1 objective: the EDM denoising loss with the latents drawn from the
// relaxed encoder, E_{σ, x, ε}[λ(σ)‖D(x + σε, σ, c(x)) − x‖²], written through edmTrainingPair as
// the raw network's MSE ‖F(c_in y, c_noise, e(c)) − (x − c_skip y)/c_out‖² (λ c_out² = 1), averaged
// over all elements. ln σ ~ N(−1.2, 1.2²). c(x) = gumbelSoftmax(q(c|x) logits, τ) (straight-through
// when `hard`). No KL term: the m·log₂k-bit bottleneck limits what the latents carry.
import { Tensor } from '../../tensor';
import { randn } from '../../ops/creation';
import { mseLoss } from '../../ops/nn';
import { cast } from '../../ops/util';
import { edmSampleSigma, edmTrainingPair } from '../../diffusion/edm';
import { DiscoDiffModel } from './model';
import { gumbelSoftmax } from './gumbel';
import { deriveSeed } from './util';

/** Options of {@link discoLoss}. */
export interface DiscoLossOptions {
  /** Seed of σ (stream 0), the noise (stream 1) and the Gumbel noise (stream 2). */
  seed: number | bigint;
  /** Gumbel-softmax temperature (default 1). */
  tau?: number;
  /** Straight-through (hard one-hot forward) latents (default false). */
  hard?: boolean;
  /** Per-sample noise levels σ [B] instead of the log-normal draw. */
  sigma?: Tensor;
}

/** The loss and what went into it. */
export interface DiscoLossResult {
  /** 0-d loss, differentiable in the denoiser's and the encoder's parameters. */
  loss: Tensor;
  /** Encoder logits [B, m, k] (null for the baseline). */
  logits: Tensor | null;
  /** σ [B]. */
  sigma: Tensor;
}

/**
 * EDM loss of a DisCo-Diff model (or its baseline, latents: 0) on x0 [B, ...dataShape]. Call
 * inside tidy(); the intermediates are created in the caller's scope.
 */
export function discoLoss(model: DiscoDiffModel, x0: Tensor, o: DiscoLossOptions): DiscoLossResult {
  const op = 'discoLoss';
  if (!(model instanceof DiscoDiffModel)) throw new TypeError(`${op}: model must be a DiscoDiffModel`);
  if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object with a seed`);
  const x = model.checkX(op, x0, 'x0');
  const B = x.shape[0], dt = model.config.dtype;
  if (typeof o.seed !== 'number' && typeof o.seed !== 'bigint') throw new TypeError(`${op}: options.seed must be a number or a bigint, got ${typeof o.seed}`);
  let sigma: Tensor;
  if (o.sigma !== undefined) {
    if (!(o.sigma instanceof Tensor) || o.sigma.ndim !== 1 || o.sigma.shape[0] !== B) throw new RangeError(`${op}: sigma must be a Tensor [${B}]`);
    sigma = o.sigma.dtype === dt ? o.sigma : cast(o.sigma, dt);
  } else sigma = edmSampleSigma(B, { seed: deriveSeed(o.seed, 0), dtype: dt });
  const noise = randn(x.shape, { seed: deriveSeed(o.seed, 1), dtype: dt });
  const pair = edmTrainingPair(x, noise, sigma, model.config.sigmaData);
  let logits: Tensor | null = null, y: Tensor | null = null;
  if (model.m > 0) {
    logits = model.logits(x); // [B, m, k]
    y = gumbelSoftmax(logits, { tau: o.tau ?? 1, hard: o.hard ?? false, seed: deriveSeed(o.seed, 2) }); // [B, m, k]
  }
  const f = model.raw(pair.input, pair.cNoise as Tensor, y);
  return { loss: mseLoss(f, pair.target), logits, sigma };
}
