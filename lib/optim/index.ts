// index.ts — `td.optim`: optimizers (SGD, Adam, AdamW with a fused native update), EMA of parameters,
// gradient clipping and learning-rate schedules.
export { Optimizer } from './optimizer';
export type { BaseOptions, ParamGroup, ParamGroupInput, Params, ParamState, OptimizerMeta, OptimizerStateDict } from './optimizer';
export { SGD } from './sgd';
export type { SGDOptions } from './sgd';
export { Adam, AdamW } from './adam';
export type { AdamOptions } from './adam';
export { EMA } from './ema';
export type { EMAOptions, EMAStateDict } from './ema';
export { clipGradNorm, clipGradValue } from './clip';
export type { ClipGradNormOptions } from './clip';
export { constantSchedule, linearWarmupSchedule, cosineSchedule, attachSchedule, LrScheduler } from './schedules';
export type { LrSchedule, LinearWarmupOptions, CosineOptions } from './schedules';
