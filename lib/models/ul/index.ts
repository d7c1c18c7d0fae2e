// index.ts — Unified Latents (UL): encoder with fixed-noise encoding at λ(0) = 5, diffusion prior
// (the latent bitrate bound), diffusion decoder, stage-1 joint training, stage-2 base model and
// two-stage sampling; plus the KL-VAE + latent-diffusion baseline. See README.md.
export { ULEncoder, LatentDenoiser, ULDecoderNet, LambdaEmbed, resolveEncoderConfig, resolveLatentDenoiserConfig, resolveDecoderNetConfig } from './nets';
export type { NetDType, EncoderConfig, ResolvedEncoderConfig, LatentDenoiserConfig, ResolvedLatentDenoiserConfig, DecoderNetConfig, ResolvedDecoderNetConfig } from './nets';
export { ULModel, resolveULConfig, LAMBDA0, ALPHA0, SIGMA0 } from './model';
export type { ULConfig, ResolvedULConfig } from './model';
export { priorBound, priorLoss, decoderLoss, ulLoss, bitsOf, stratifiedLevels } from './loss';
export type { Seed, EpsFn, Levels, PriorLossOptions, PriorLossResult, DecoderLossOptions, DecoderLossResult, ULLossOptions, ULLossResult } from './loss';
export { ULTrainer, resolveTrainConfig } from './train';
export type { DataSource, TrainConfig, TrainLoopOptions, ULStepMetrics } from './train';
export { LatentDiffusion, LatentTrainer, resolveLatentDiffusionConfig } from './latent';
export type { LatentDiffusionConfig, ResolvedLatentDiffusionConfig, LatentStepMetrics } from './latent';
export { decode, reconstruct, sample } from './sample';
export type { DecodeOptions, ULSampleOptions } from './sample';
export { VAEModel, VAEDecoder, VAETrainer, vaeLoss, posteriorSampler, resolveVAEConfig } from './vae';
export type { VAEConfig, ResolvedVAEConfig, VAELossResult, VAEStepMetrics } from './vae';
export { saveCheckpoint, loadModel, resumeTrainer, saveLatentModel, loadLatentModel } from './checkpoint';
