// index.ts — the diffusion toolkit (`td.diffusion`): logSNR schedules, parameterisations and loss
// weights, EDM preconditioning, and samplers. Spec: /work/shared/specs/diffusion-basics.md.
// Fused loss kernels (./fused) and CLD (./cld) are re-exported here by their own modules.
export * from './schedules';
export * from './param';
export * from './edm';
export * from './samplers';
export { weightedMse, sigmoidElbo } from './fused';
export type { FusedLossOptions, SigmoidElboOptions, FusedLossResult, FusedReduction, Parameterization, ElboWeighting } from './fused';
export { cldAffine } from './cldKernel';
export type { CldAffineOptions, CldAffineResult } from './cldKernel';
export { CLD, composeLG, chol2, timeGrid, deriveSeed } from './cld';
export type { CLDOptions, CLDSampleOptions, CLDSampleResult, PerturbResult, CldAffineFn, LinearGaussian, Cov2, Chol2, Mat2 } from './cld';
export { diamond, eightGaussians, diamondMixture, eightGaussiansMixture, sampleMixture, gmmScore, modeShare } from './toy';
export type { GaussianMixture, ToyData } from './toy';
