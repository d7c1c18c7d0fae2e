// index.ts — CLD-SGM (critically-damped Langevin diffusion) model: the toy score network, HSM loss,
// trainer with safetensors checkpoints, and samplers (SSCS, EM, probability-flow ODE). See README.md.
export { CLDToyNet, resolveNetConfig } from './net';
export type { CLDToyNetConfig, ResolvedNetConfig } from './net';
export { CLDImageNet, resolveImageNetConfig } from './imageNet';
export type { CLDImageNetConfig, ResolvedImageNetConfig } from './imageNet';
export { CLDScoreModel, cldConfigOf } from './model';
export type { ScoreFn, CLDConfig, CLDScoreModelOptions } from './model';
export { hsmLoss } from './loss';
export type { HSMWeighting, HSMLossOptions, HSMLossResult } from './loss';
export { CLDTrainer, resolveTrainConfig } from './train';
export type { TrainConfig, DataSource } from './train';
export { saveCheckpoint, loadModel, resumeTrainer } from './checkpoint';
export { sample } from './sample';
export type { CLDSampler, SampleOptions, SampleResult } from './sample';
export { nllBound } from './nll';
export type { NLLOptions, NLLResult } from './nll';
