// index.ts — LayerSync on a SiT flow-matching transformer (`td.models.layerSync`): the SiT backbone,
// the linear-interpolant velocity loss, the LayerSync regulariser, trainer, checkpoints and samplers.
// See README.md.
export { SiT, LabelEmbedder, resolveSiTConfig } from './sit';
export type { SiTConfig, ResolvedSiTConfig, SiTForwardOptions, SiTOutput, Seed } from './sit';
export { defaultLayerSyncPair, resolveLayerSync, normalizeTokens, layerSyncLoss, layerSyncFromBlocks, layerAlignment } from './regularizer';
export type { LayerSyncOptions, ResolvedLayerSync } from './regularizer';
export { interpolant, flowMatchingLoss } from './loss';
export type { FlowLossOptions, FlowLossResult } from './loss';
export { LayerSyncTrainer, resolveTrainConfig } from './train';
export type { TrainConfig, LabeledData, StepLosses } from './train';
export { saveCheckpoint, loadModel, resumeTrainer } from './checkpoint';
export { sample } from './sample';
export type { SampleOptions, SiTSampler, VelocityField } from './sample';
