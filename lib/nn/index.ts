// index.ts — the nn namespace (`td.nn`): Module and Parameter, containers, layers, initialisation
// (`td.nn.init`), and the diffusion building blocks (time embeddings, DiT, U-Net blocks).
export { Parameter } from './parameter';
export { Module } from './module';
export type { StateDict, LoadStateDictResult } from './module';
export { ModuleList, Sequential } from './containers';
export type { LayerOptions } from './util';
export { Linear, Identity } from './linear';
export type { LinearOptions } from './linear';
export { LayerNorm, GroupNorm, RMSNorm } from './norm';
export type { LayerNormOptions, GroupNormOptions, RMSNormOptions } from './norm';
export { Conv2d } from './conv';
export type { Conv2dOptions } from './conv';
export { AvgPool2d, Upsample } from './pool';
export type { UpsampleOptions } from './pool';
export { Dropout } from './dropout';
export { SiLU, GELU, ReLU, Tanh, Sigmoid } from './activations';
export type { ActivationName } from './activations';
export { MLP } from './mlp';
export type { MLPOptions } from './mlp';
export { MultiheadAttention } from './attention';
export type { MultiheadAttentionOptions, MultiheadAttentionCallOptions } from './attention';
export { Embedding, timestepEmbedding, fourierFeatures, GaussianFourierEmbedding, TimestepEmbedder } from './embeddings';
export type { EmbeddingOptions, TimestepEmbeddingOptions, GaussianFourierOptions, TimestepEmbedderOptions } from './embeddings';
export { modulate, sinCosPosEmbed2d, patchify, unpatchify, PatchEmbed, DiTBlock, FinalLayer } from './dit';
export type { DiTBlockOptions } from './dit';
export { ResBlock, AttentionBlock2d, Downsample, UpsampleConv } from './unet';
export type { ResBlockOptions, AttentionBlock2dOptions, DownsampleOptions } from './unet';
export * as init from './init';
