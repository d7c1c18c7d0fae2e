// index.ts — `td.metrics`: sample-quality measures between point sets and images: sliced
// Wasserstein, RBF-kernel MMD², energy distance, PSNR. All return plain numbers computed in
// float64. User guide: docs/data.md.
export { slicedWasserstein, wasserstein1d, wasserstein1dPow } from './swd';
export type { SlicedWassersteinOptions } from './swd';
export { mmd2 } from './mmd';
export type { MmdOptions } from './mmd';
export { energyDistance } from './energy';
export type { EnergyDistanceOptions } from './energy';
export { psnr, psnrPerSample } from './psnr';
export type { PsnrOptions } from './psnr';
export { frechetDistance } from './frechet';
export { mnistFeatures, mnistClassify, mnistFrechet } from './mnistClassifier';
export type { MnistFeatureOptions } from './mnistClassifier';
