// sample.ts — DisCo-Diff sampling: latents c ~ p(c) from the autoregressive prior (or given), then
// EDM's Heun sampler (td.diffusion.edmHeun, ρ-grid σmax = 80 → σmin = 0.002, final Euler step) with
// the conditioned denoiser D(·, σ, c). The baseline (latents: 0) samples with D(·, σ) alone. With
// `curvature: true` the first derivative of every step, d_i = (x_i − D(x_i, σ_i))/σ_i = dx/dσ, is
// recorded to measure the trajectory's curvature (metrics.ts trajectoryCurvature).
import { Tensor, checkTensor } from '../../tensor';
import { edmHeun } from '../../diffusion/samplers';
import * as ew from '../../ops/elementwise';
import { tidy } from '../../memory';
import { noGrad } from '../../autograd';
import { shapeStr } from '../../shape';
import { DiscoDiffModel } from './model';
import { ARPrior } from './prior';
import { deriveSeed } from './util';
import { trajectoryCurvature } from './metrics';

/** Options of {@link sample}. */
export interface DiscoSampleOptions {
  /** Number of samples n. */
  n: number;
  /** Heun steps N (noise levels; 2N − 1 denoiser calls). */
  steps: number;
  /** Seed of the prior noise (stream 0) and of the latents' draw (stream 1). */
  seed: number | bigint;
  /** The prior to draw the latents from (required unless `codes` is given or the model is the baseline). */
  prior?: ARPrior;
  /** Fixed latents int32 [n, m] instead of drawing them. */
  codes?: Tensor;
  /** Temperature of the prior (default 1). */
  temperature?: number;
  /** Record d_i and return the trajectory curvature (default false). */
  curvature?: boolean;
}

/** What {@link sample} returns. */
export interface DiscoSampleResult {
  /** Samples [n, ...dataShape]. */
  x: Tensor;
  /** The latents used, int32 [n, m] (null for the baseline). */
  codes: Tensor | null;
  /** Mean relative curvature (metrics.ts) when requested, else null. */
  curvature: number | null;
}

/** Draw n samples: latents from the prior (or `codes`), then EDM Heun with N steps. */
export function sample(model: DiscoDiffModel, o: DiscoSampleOptions): DiscoSampleResult {
  const op = 'discoDiff.sample';
  if (!(model instanceof DiscoDiffModel)) throw new TypeError(`${op}: model must be a DiscoDiffModel`);
  if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object`);
  if (!Number.isInteger(o.n) || o.n < 1) throw new RangeError(`${op}: n must be a positive integer, got ${String(o.n)}`);
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new RangeError(`${op}: steps must be a positive integer, got ${String(o.steps)}`);
  if (typeof o.seed !== 'number' && typeof o.seed !== 'bigint') throw new TypeError(`${op}: seed must be a number or a bigint, got ${typeof o.seed}`);
  const m = model.m;
  let codes: Tensor | null = null;
  if (m > 0) {
    if (o.codes !== undefined) {
      const c = checkTensor(op, o.codes, 'codes');
      if (c.dtype !== 'int32' || c.ndim !== 2 || c.shape[0] !== o.n || c.shape[1] !== m)
        throw new TypeError(`${op}: codes must be int32 [${o.n}, ${m}], got ${shapeStr(c.shape)} ${c.dtype}`);
      codes = c;
    } else {
      if (!(o.prior instanceof ARPrior)) throw new TypeError(`${op}: a model with latents needs options.prior (an ARPrior) or options.codes`);
      if (o.prior.config.latents !== m || o.prior.config.codebook !== model.config.codebook)
        throw new RangeError(`${op}: the prior (m ${o.prior.config.latents}, k ${o.prior.config.codebook}) does not fit the model (m ${m}, k ${model.config.codebook})`);
      codes = o.prior.sample(o.n, { seed: deriveSeed(o.seed, 1), temperature: o.temperature });
    }
  }
  const record = o.curvature ?? false;
  const derivs: Float64Array[] = [];
  let xStart: Float64Array | null = null;
  let sigma0 = 0;
  const seen = new Set<number>();
  const y = codes ? model.oneHot(codes) : null;
  try {
    const x = noGrad(() => edmHeun({
      shape: [o.n, ...model.dataShape], seed: deriveSeed(o.seed, 0), steps: o.steps, dtype: model.config.dtype,
      denoise: (xi, sigma, info) => {
        const d = model.denoise(xi, sigma, y);
        if (record && !seen.has(info.step)) {
          seen.add(info.step);
          if (info.step === 0) {
            xStart = Float64Array.from(xi.dataSync());
            sigma0 = sigma;
          }
          derivs.push(tidy(() => Float64Array.from(ew.div(ew.sub(xi, d), sigma).dataSync())));
        }
        return d;
      },
    }));
    let curv: number | null = null;
    if (record) curv = trajectoryCurvature(derivs, xStart!, Float64Array.from(x.dataSync()), sigma0, o.n);
    return { x, codes, curvature: curv };
  } finally {
    y?.dispose();
  }
}
