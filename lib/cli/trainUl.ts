// trainUl.ts — `tensordiff train ul`: stage 1 of Unified Latents (td.models.ul: encoder, diffusion
// prior and diffusion decoder trained jointly on L_prior + c·L_dec with ULTrainer) on MNIST 16×16.
// Writes DIR/checkpoint.safetensors (ul.saveCheckpoint plus the CLI metadata) and DIR/loss.png; the
// report gives the latent bitrate bound (the prior loss, in bits per latent dimension and per image)
// and the decoder loss, each the mean over the last 10% of this run's steps.
import * as td from '../index';
import { ParsedArgs } from './args';
import { CommandContext } from './commands';
import { MODEL_DATASETS } from './modelOptions';
import { countParams, groupsFor, lastTenthMean, lossFigures, mnist16, ModelTrainReportBase, pastLosses, reportBase, resumeOrFail, startRun, summaryLine, trainSteps, writeModelCheckpoint } from './trainRun';

/** What `tensordiff train ul --json` prints. */
export interface UlTrainReport extends ModelTrainReportBase {
  model: 'ul';
  lossFactor: number;
  bias: number;
  /** Latent dimensions per image (L·h·h). */
  latentDim: number;
  /** The prior loss (the bitrate bound), mean of the last 10% of this run's steps: bits per latent dimension and per image (null when no step ran). */
  bitsPerDim: number | null;
  bitsPerImage: number | null;
  /** The decoder loss L_dec, mean of the last 10% of this run's steps. */
  decoderLoss: number | null;
}

/** Runs `tensordiff train ul`; returns the exit code. */
export async function runTrainUl(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const start = startRun('ul', MODEL_DATASETS.ul, args, ctx);
  const o = args.options;
  const ul = td.models.ul;
  let trainer: InstanceType<typeof ul.ULTrainer> | null = null;
  const { images, labels } = mnist16();
  labels.dispose();
  try {
    if (start.resume !== undefined) {
      const file = start.resume;
      trainer = resumeOrFail(file, () => ul.resumeTrainer(file, images));
    } else {
      const seed = (o.seed as number | undefined) ?? 0;
      const w = (o.width as number | undefined) ?? 16;
      const model = new ul.ULModel({
        encoderBase: w, decoderBase: w, priorWidth: 2 * w, priorDepth: (o.depth as number | undefined) ?? 2, groups: groupsFor(w),
        lossFactor: (o['loss-factor'] as number | undefined) ?? 1, bias: (o.bias as number | undefined) ?? 0, seed,
      });
      try {
        trainer = new ul.ULTrainer(model, images, { seed, batchSize: (o.batch as number | undefined) ?? 32, lr: (o.lr as number | undefined) ?? 2e-3 });
      } catch (e) {
        model.dispose();
        throw e;
      }
    }
    const tr = trainer;
    const startStep = tr.step;
    const past = pastLosses(start, startStep);
    const history = { from: past.from, losses: past.losses };
    const params = countParams(tr.model.parameters());
    const c = tr.model.config;
    if (past.note !== null) start.say(`tensordiff train: note: ${past.note}`);
    start.say(`tensordiff train: training UL stage 1 (encoder + prior + decoder, ${params} parameters, latents [${tr.model.latentShape.join(', ')}], c = ${c.lossFactor}, b = ${c.bias}) on ${start.data}: ` +
      `${start.steps} steps from step ${startStep}, batch ${tr.config.batchSize}, seed ${tr.config.seed}, ${td.getNumThreads()} thread${td.getNumThreads() === 1 ? '' : 's'}`);
    const save = () => writeModelCheckpoint((f) => ul.saveCheckpoint(tr, f), start.files.checkpoint, 'ul', start.data, history);
    const priors: number[] = [], decoders: number[] = [];
    const loop = await trainSteps(start.steps, start.every, ctx, {
      step: () => {
        const m = tr.trainStep();
        priors.push(m.prior);
        decoders.push(m.decoder);
        return m.loss;
      },
      stepNow: () => tr.step, checkpoint: save, history,
    });
    save();
    const figures = lossFigures(history, start.files.loss);
    const prior = lastTenthMean(priors);
    const bits = prior === null ? null : ul.bitsOf(prior, tr.model.latentDim);
    const rep: UlTrainReport = {
      ...reportBase(start, { startStep, step: tr.step, loop, batch: tr.config.batchSize, lr: tr.config.lr, seed: tr.config.seed, parameters: params, figures }),
      model: 'ul', lossFactor: c.lossFactor, bias: c.bias, latentDim: tr.model.latentDim,
      bitsPerDim: bits && bits.bitsPerDim, bitsPerImage: bits && bits.bitsPerImage, decoderLoss: lastTenthMean(decoders),
    };
    start.say(summaryLine(rep));
    if (bits) start.say(`bitrate bound ${bits.bitsPerDim.toFixed(3)} bits/dim (${bits.bitsPerImage.toFixed(1)} bits/image), decoder loss ${rep.decoderLoss!.toFixed(2)} (means of the last ${Math.max(1, Math.floor(priors.length / 10))} steps of this run)`);
    start.say(`wrote ${[start.files.checkpoint, figures.plotted].filter((f) => f).join(', ')}`);
    if (ctx.json) ctx.stdout.write(JSON.stringify(rep) + '\n');
    return loop.interrupted ? 130 : 0;
  } finally {
    if (trainer) {
      trainer.dispose();
      trainer.model.dispose();
    }
    images.dispose();
    start.restoreThreads();
  }
}
