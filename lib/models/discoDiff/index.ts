// index.ts — DisCo-Diff (Xu et al. 2024): diffusion with a few discrete latents — encoder with a
// Gumbel-softmax relaxation, EDM denoiser conditioned on the latents, autoregressive transformer
// prior, Heun sampling, curvature / mutual-information metrics, checkpoints. See README.md.
export { gumbelSoftmax, gumbelNoise, tauAt } from './gumbel';
export type { GumbelSoftmaxOptions, TauSchedule } from './gumbel';
export { DiscoEncoder, LatentEmbedding } from './latents';
export type { EncoderInput } from './latents';
export { DiscoToyNet, DiscoImageNet } from './nets';
export type { CondNet } from './nets';
export { DiscoDiffModel, resolveDiscoConfig } from './model';
export type { DiscoDiffConfig, ResolvedDiscoConfig } from './model';
export { discoLoss } from './loss';
export type { DiscoLossOptions, DiscoLossResult } from './loss';
export { DiscoTrainer, resolveTrainConfig } from './train';
export type { DiscoTrainConfig, DataSource } from './train';
export { ARPrior, PriorTrainer, resolvePriorConfig } from './prior';
export type { ARPriorConfig, ResolvedPriorConfig, PriorTrainConfig } from './prior';
export { sample } from './sample';
export type { DiscoSampleOptions, DiscoSampleResult } from './sample';
export { trajectoryCurvature, mutualInformation, codeIds } from './metrics';
export { saveCheckpoint, loadModel, resumeTrainer } from './checkpoint';
