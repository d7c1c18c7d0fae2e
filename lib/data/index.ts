// index.ts — `td.data`: seeded 2-D toy distributions, MNIST digits from the `mnist` package,
// area resizing of image batches, and the seeded DataLoader. User guide: docs/data.md.
export { eightGaussians, diamond, checkerboard, swissRoll, twoMoons, multimodalSwissRoll, MULTIMODAL_SWISS_ROLL_OFFSETS } from './toy2d';
export type { ToySeedOptions } from './toy2d';
export { mnist, mnistRaw } from './mnist';
export type { MnistOptions, MnistData } from './mnist';
export { resizeArea, areaWeights } from './resize';
export { DataLoader } from './loader';
export type { Dataset, DataLoaderOptions, Batch } from './loader';
export type { Seed } from './args';
