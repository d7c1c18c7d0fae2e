// toyNames.ts — the names of the toy sets `tensordiff demo --data` accepts, kept apart from the
// model code so the command table can list them without loading the native addon.

/** The toy sets the demo can learn. */
export const DEMO_DATASETS = ['checkerboard', 'eightGaussians', 'twoMoons', 'swissRoll', 'diamond'] as const;
/** One of {@link DEMO_DATASETS}. */
export type DemoDataset = (typeof DEMO_DATASETS)[number];
