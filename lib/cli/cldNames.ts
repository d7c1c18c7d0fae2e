// cldNames.ts — the data sets `tensordiff train cld --data` accepts and the model names `train`
// knows, kept apart from the model code so the command table loads without the native addon.

/** The models `tensordiff train <model>` can train. */
export const TRAIN_MODELS = ['cld', 'ul', 'disco', 'layersync'] as const;
/** The 2-D toy sets of the CLD toy MLP. */
export const CLD_TOY_DATASETS = ['diamond', 'multimodalSwissRoll', 'checkerboard', 'eightGaussians'] as const;
/** Every data set of `train cld`: the toy sets and MNIST at 16×16 (the image U-Net). */
export const CLD_DATASETS = [...CLD_TOY_DATASETS, 'mnist16'] as const;
/** One of {@link CLD_DATASETS}. */
export type CLDDataset = (typeof CLD_DATASETS)[number];
/** One of {@link CLD_TOY_DATASETS}. */
export type CLDToyDataset = (typeof CLD_TOY_DATASETS)[number];

/** Whether a name is one of the toy sets. */
export function isToyDataset(name: string): name is CLDToyDataset {
  return (CLD_TOY_DATASETS as readonly string[]).includes(name);
}
