// sample.ts — decoding and sampling with a trained ULModel:
//   decode(model, z0)        the decoder's DDIM sampler from noise at the decoder's λmin, conditioned on z₀
//   reconstruct(model, x)    x → z₀ (fixed noise) → decode; what the reconstruction PSNR measures
//   sample(model, base)      stage-2 base model → z₀ (at λ = 5) → decode
// All run without gradients; each is deterministic given its seed.
import { Tensor } from '../../tensor';
import { full } from '../../ops/creation';
import { noGrad } from '../../autograd';
import { tidy } from '../../memory';
import { deriveSeed } from '../../diffusion/cld';
import { ddim } from '../../diffusion/samplers';
import { ULModel } from './model';
import { LatentDiffusion } from './latent';
import { image4 } from './nets';
import { Seed } from './loss';

/** Options of {@link decode} and {@link reconstruct}. */
export interface DecodeOptions {
  /** Decoder sampler steps (default 32). */
  steps?: number;
  /** Seed of the sampler noise (and, for reconstruct, of the fixed encoding noise). Required. */
  seed: Seed;
  /** DDIM η (default 0: deterministic given the initial noise). */
  eta?: number;
  /** Clamp x̂ to [−1, 1] at every step (default true: images live there). */
  clip?: boolean;
}

function checkModel(op: string, m: unknown): ULModel {
  if (!(m instanceof ULModel)) throw new TypeError(`${op}: model must be a ULModel`);
  return m;
}

function checkOpts(op: string, o: unknown): DecodeOptions {
  if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object with a seed`);
  const d = o as DecodeOptions;
  if (d.clip !== undefined && typeof d.clip !== 'boolean') throw new TypeError(`${op}: clip must be a boolean`);
  return d;
}

/**
 * Decode noisy latents z0 [B, L, h, h] to images [B, C, S, S] with the decoder's DDIM sampler
 * (noise at the decoder's λmin → x̂, `steps` model calls, grid uniform in t).
 */
export function decode(model: ULModel, z0: Tensor, o: DecodeOptions): Tensor {
  const op = 'decode';
  checkModel(op, model);
  const d = checkOpts(op, o);
  const [L, h] = model.latentShape;
  const c = model.config;
  return noGrad(() => {
    const z = tidy(() => image4(op, z0, 'z0', L, h, h, c.dtype).contiguous());
    try {
      return ddim({
        shape: [z.shape[0], c.channels, c.size, c.size], seed: d.seed, steps: d.steps ?? 32, eta: d.eta ?? 0, dtype: c.dtype,
        schedule: model.decoderSchedule, prediction: 'eps', clipDenoised: d.clip === false ? undefined : 1,
        denoise: (x, _t, info) => model.decoder.forward(x, full([x.shape[0]], info.lambda, { dtype: 'float64' }), z),
      });
    } finally {
      if (z !== z0) z.dispose();
    }
  });
}

/** Reconstruct images x [B, C, S, S]: z₀ = α₀E(x) + σ₀ε (seeded), then {@link decode}. */
export function reconstruct(model: ULModel, x: Tensor, o: DecodeOptions): Tensor {
  const op = 'reconstruct';
  checkModel(op, model);
  const d = checkOpts(op, o);
  const z0 = noGrad(() => tidy(() => model.encodeNoisy(x, deriveSeed(d.seed, 0))));
  try {
    return decode(model, z0, { ...d, seed: deriveSeed(d.seed, 1) });
  } finally {
    z0.dispose();
  }
}

/** Options of {@link sample}. */
export interface ULSampleOptions {
  /** Number of images. */
  n: number;
  /** Base-model DDIM steps (default 32). */
  baseSteps?: number;
  /** Decoder DDIM steps (default 32). */
  decoderSteps?: number;
  /** Seed (required). */
  seed: Seed;
}

/**
 * Two-stage sampling: the base model (a {@link LatentDiffusion} with output 'noisy' on λ ∈ [λmin, 5])
 * draws z₀ [n, L, h, h], the decoder turns it into images. @returns { x [n, C, S, S], z0 }.
 */
export function sample(model: ULModel, base: LatentDiffusion, o: ULSampleOptions): { x: Tensor; z0: Tensor } {
  const op = 'sample';
  checkModel(op, model);
  if (!(base instanceof LatentDiffusion)) throw new TypeError(`${op}: base must be a LatentDiffusion`);
  if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object`);
  const want = model.latentShape, got = base.latentShape;
  if (want.some((v, i) => v !== got[i])) throw new RangeError(`${op}: base model latents [${got.join(', ')}] differ from the model's [${want.join(', ')}]`);
  const z0 = base.sample({ n: o.n, steps: o.baseSteps ?? 32, seed: deriveSeed(o.seed, 0) });
  try {
    return { x: decode(model, z0, { steps: o.decoderSteps ?? 32, seed: deriveSeed(o.seed, 1) }), z0 };
  } catch (e) {
    z0.dispose();
    throw e;
  }
}
