// modelOptions.ts — the options `tensordiff train <model>` and `tensordiff sample` take for the models
// added after cld (ul, disco, layersync), which of them each model accepts, and the check that turns a
// misplaced one into a usage error. Kept apart from the model code (no native addon needed), so the
// command table and the help text load without it.
import { OptionSpec, ParsedArgs, UsageError } from './args';

/** Options of `train` that only some models take (added to the train command's option list). */
export const MODEL_TRAIN_OPTIONS: readonly OptionSpec[] = [
  { name: 'checkpoint-every', type: 'int', min: 1, max: 100_000_000, valueName: 'K', description: 'the same as --every (wins when both are given)' },
  { name: 'loss-factor', type: 'number', min: 1e-9, max: 1e9, valueName: 'C', description: 'ul: loss factor c of L = L_prior + c·L_dec (default 1)' },
  { name: 'bias', type: 'number', min: -1e6, max: 1e6, valueName: 'B', description: 'ul: bias b of the decoder weighting sigmoid(b − λ) (default 0)' },
  { name: 'latents', type: 'int', min: 0, max: 64, valueName: 'M', description: 'disco: discrete latents m (default 1; 0 = the baseline without latents)' },
  { name: 'codebook', type: 'int', min: 2, max: 4096, valueName: 'K', description: 'disco: codes per latent k (default 8)' },
  { name: 'prior-steps', type: 'int', min: 0, max: 100_000_000, valueName: 'N', description: 'disco: steps of the autoregressive prior on the encoder\'s codes (default 500)' },
  { name: 'lambda', type: 'number', min: 0, max: 1e6, description: 'layersync: weight λ of the LayerSync regulariser (default 0.2; 0 = plain SiT)' },
  { name: 'width', type: 'int', min: 1, max: 4096, description: 'net width: ul encoder/decoder base (prior 2×; default 16), disco MLP hidden (default 128) or U-Net base (16), layersync token width (default 128)' },
  { name: 'depth', type: 'int', min: 1, max: 256, description: 'ul prior ResBlocks (default 2), disco MLP layers (default 3), layersync SiT blocks (default 6)' },
  { name: 'patch', type: 'int', min: 1, max: 16, description: 'layersync: patch size (default 4; divides 16)' },
];

/** Options of `sample` that only some models take. */
export const MODEL_SAMPLE_OPTIONS: readonly OptionSpec[] = [
  { name: 'labels', type: 'string', valueName: 'LIST', description: 'layersync: class labels, e.g. 0,1,2 or 7 (default 0..9 cycled over --n)' },
  { name: 'cfg', type: 'number', min: 0, max: 1000, valueName: 'S', description: 'layersync: classifier-free guidance scale (default 1: conditional model alone)' },
  { name: 'base', type: 'string', valueName: 'FILE', description: 'ul: a stage-2 base model (ul.saveLatentModel) to sample with; without it, sample reconstructs test digits' },
];

/** The model-specific train options each model accepts (names without dashes). */
const TRAIN_ONLY: Record<string, readonly string[]> = {
  cld: ['checkpoint-every'],
  ul: ['checkpoint-every', 'loss-factor', 'bias', 'width', 'depth'],
  disco: ['checkpoint-every', 'latents', 'codebook', 'prior-steps', 'width', 'depth'],
  layersync: ['checkpoint-every', 'lambda', 'width', 'depth', 'patch'],
};

/** The model-specific sample options each checkpoint kind accepts. */
const SAMPLE_ONLY: Record<string, readonly string[]> = { cld: [], ul: ['base'], disco: [], layersync: ['labels', 'cfg'] };

/** The data sets each model trains on (cld: see cldNames.ts). */
export const MODEL_DATASETS: Record<'ul' | 'disco' | 'layersync', readonly string[]> = {
  ul: ['mnist16'],
  disco: ['eightGaussians', 'diamond', 'mnist16'],
  layersync: ['mnist16'],
};

function check(cmd: 'train' | 'sample', specs: readonly OptionSpec[], allowed: readonly string[], model: string, o: ParsedArgs['options']): void {
  for (const s of specs)
    if (o[s.name] !== undefined && !allowed.includes(s.name))
      throw new UsageError(`--${s.name} does not apply to ${model} (${cmd === 'train' ? 'train ' + model : model + ' checkpoints'} take${cmd === 'train' ? 's' : ''} ${allowed.length ? allowed.map((n) => '--' + n).join(', ') : 'none of the model-specific options'})`, cmd);
}

/**
 * Throws a UsageError when a model-specific train option is given for a model that does not take it.
 * @param model 'cld', 'ul', 'disco' or 'layersync'
 */
export function checkTrainOptions(model: string, o: ParsedArgs['options']): void {
  check('train', MODEL_TRAIN_OPTIONS, TRAIN_ONLY[model] ?? [], model, o);
}

/** Throws a UsageError when a model-specific sample option does not apply to the checkpoint's model. */
export function checkSampleOptions(model: string, o: ParsedArgs['options']): void {
  check('sample', MODEL_SAMPLE_OPTIONS, SAMPLE_ONLY[model] ?? [], model, o);
}

/** `--checkpoint-every`, else `--every`, else 1000. */
export function checkpointEvery(o: ParsedArgs['options']): number {
  return (o['checkpoint-every'] as number | undefined) ?? (o.every as number | undefined) ?? 1000;
}
