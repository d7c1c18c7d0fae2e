// index.ts — the public surface of tensordiff: `import * as td from 'tensordiff'`.
import './methods';

export { Tensor } from './tensor';
export type { NestedArray, Device } from './tensor';
export type { DType, TypedArray } from './dtype';
export { tidy, keep, dispose, memory, emptyCache } from './memory';
export type { MemoryInfo, CudaMemoryInfo } from './memory';
export { manualSeed, getRngState, setRngState } from './random';
export { noGrad, enableGrad, isGradEnabled, backward } from './autograd';
export type { BackwardOptions } from './autograd';
export { gradcheck } from './gradcheck';
export type { GradcheckOptions } from './gradcheck';
export * as backend from './backend';
export * as cuda from './cuda';
export { setNumThreads, getNumThreads } from './backend';

export { tensor, zeros, ones, full, zerosLike, onesLike, fullLike, arange, linspace, eye, rand, randn, randint } from './ops/creation';
export type { CreateOptions, RandomOptions } from './ops/creation';
export {
  add, sub, mul, div, pow, maximum, minimum, gt, ge, lt, le, eq, ne, where,
  neg, exp, expm1, log, log1p, sqrt, rsqrt, abs, sign, square, reciprocal, sin, cos, tanh, sigmoid, relu, gelu,
  silu, softplus, erf, clamp,
} from './ops/elementwise';
export { sum, mean, prod, amax, amin, max, min, argmax, argmin, variance as var, std, logsumexp, norm } from './ops/reduce';
export type { Dims, VarOptions } from './ops/reduce';
export { matmul, bmm, linear } from './ops/linalg';
export { reshape, view, transpose, permute, expand, broadcastTo, squeeze, unsqueeze, flatten, narrow, slice, contiguous, clone, detach } from './ops/views';
export { cat, stack, split, chunk, gather, indexSelect, scatterAdd, oneHot } from './ops/indexing';
export { softmax, logSoftmax, layerNorm, crossEntropy, mseLoss, dropout } from './ops/nn';
export type { Reduction, CrossEntropyOptions, DropoutOptions } from './ops/nn';
export { cast } from './ops/util';
export { conv2d } from './ops/conv';
export type { Conv2dOptions, Pair } from './ops/conv';
export { avgPool2d, upsampleNearest2d } from './ops/pool';
export { groupNorm, rmsNorm } from './ops/norm';
export { scaledDotProductAttention } from './ops/attention';
export type { SdpaOptions } from './ops/attention';
export { embedding } from './ops/embedding';
export type { EmbeddingOptions } from './ops/embedding';
export * as nn from './nn';
export * as optim from './optim';
export * as io from './io';
export * as data from './data';
export * as viz from './viz';
export * as metrics from './metrics';
export * as models from './models';
export * as diffusion from './diffusion';
