// trainDisco.ts — `tensordiff train disco`: DisCo-Diff (td.models.discoDiff) on a 2-D toy set
// (eightGaussians, diamond: the MLP denoiser) or MNIST 16×16 (the U-Net). Stage 1 trains encoder and
// conditioned denoiser with DiscoTrainer; then the autoregressive prior (ARPrior, PriorTrainer) learns
// the EMA encoder's codes of the training data. The checkpoint (discoDiff.saveCheckpoint with the
// prior, plus the CLI metadata) is what `tensordiff sample` draws from. A resumed run continues stage 1
// and retrains the prior from scratch on the new codes. Ctrl-C during stage 1 writes the checkpoint
// without a prior (sample then takes the codes of encoded data) and exits with code 130.
import * as td from '../index';
import { ParsedArgs } from './args';
import { CommandContext } from './commands';
import { MODEL_DATASETS } from './modelOptions';
import { isToyDataset } from './cldNames';
import { startProgress } from './progress';
import { countParams, groupsFor, lastTenthMean, lossFigures, mnist16, ModelTrainReportBase, pastLosses, reportBase, resumeOrFail, startRun, summaryLine, trainSteps, writeModelCheckpoint } from './trainRun';

type D = typeof td.models.discoDiff;
type DataSource = import('../models/discoDiff').DataSource;

/** What `tensordiff train disco --json` prints. */
export interface DiscoTrainReport extends ModelTrainReportBase {
  model: 'disco';
  /** 'toy' (MLP, 2-D points) or 'image' (U-Net, MNIST 16×16). */
  kind: 'toy' | 'image';
  latents: number;
  codebook: number;
  /** Steps of the AR prior (0 when it was not trained: no latents, or interrupted). */
  priorSteps: number;
  /** The prior's cross-entropy (nats per latent), mean of its last 10% of steps; null without a prior. */
  priorLoss: number | null;
  /** Distinct codes (of codebook^latents) among the encoded training points. */
  codesUsed: number | null;
}

/** The training data of a disco data set: a sampler of fresh points (toys) or the first 2048 MNIST digits. */
export function discoData(name: string): { source: DataSource; fixed: td.Tensor | null } {
  if (isToyDataset(name)) {
    const f = td.data[name] as (n: number, o: { seed: bigint | number }) => td.Tensor;
    return { source: (n: number, seed: bigint) => f(n, { seed }), fixed: null };
  }
  const { images, labels } = mnist16();
  labels.dispose();
  return { source: images, fixed: images };
}

/** The EMA encoder's codes int32 [N, m] of the training data (4096 fresh toy points, or the digits). */
function trainingCodes(trainer: InstanceType<D['DiscoTrainer']>, data: { source: DataSource; fixed: td.Tensor | null }): td.Tensor {
  return trainer.withEma(() => {
    const x = data.fixed ?? (data.source as (n: number, s: bigint) => td.Tensor)(4096, 0x5eed0000n + BigInt(trainer.config.seed));
    try {
      return td.noGrad(() => trainer.model.encode(x));
    } finally {
      if (x !== data.fixed) x.dispose();
    }
  });
}

/** Runs `tensordiff train disco`; returns the exit code. */
export async function runTrainDisco(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const start = startRun('disco', MODEL_DATASETS.disco, args, ctx);
  const o = args.options;
  const D = td.models.discoDiff;
  const data = discoData(start.data);
  const toy = data.fixed === null;
  let trainer: InstanceType<D['DiscoTrainer']> | null = null;
  let prior: InstanceType<D['ARPrior']> | null = null;
  let codes: td.Tensor | null = null;
  try {
    if (start.resume !== undefined) {
      const file = start.resume;
      trainer = resumeOrFail(file, () => D.resumeTrainer(file, data.source));
    } else {
      const seed = (o.seed as number | undefined) ?? 0;
      const w = o.width as number | undefined, depth = o.depth as number | undefined;
      const latents = (o.latents as number | undefined) ?? 1, codebook = (o.codebook as number | undefined) ?? 8;
      const model = new D.DiscoDiffModel(toy
        ? { kind: 'toy', latents, codebook, hidden: w ?? 128, layers: depth ?? 3, seed }
        : { kind: 'image', latents, codebook, base: w ?? 16, groups: groupsFor(w ?? 16), seed });
      try {
        trainer = new D.DiscoTrainer(model, data.source, {
          // the Gumbel temperature anneals over the model's default 2000 steps whatever --steps is, so that a
          // resumed run follows an uninterrupted one
          seed, batchSize: (o.batch as number | undefined) ?? (toy ? 256 : 32), lr: (o.lr as number | undefined) ?? (toy ? 1e-3 : 2e-3),
        });
      } catch (e) {
        model.dispose();
        throw e;
      }
    }
    const tr = trainer;
    const m = tr.model.m, k = tr.model.config.codebook;
    const startStep = tr.step;
    const past = pastLosses(start, startStep);
    const history = { from: past.from, losses: past.losses };
    const params = countParams(tr.model.parameters());
    if (past.note !== null) start.say(`tensordiff train: note: ${past.note}`);
    start.say(`tensordiff train: training DisCo-Diff (${toy ? 'toy MLP' : 'image U-Net'}, ${params} parameters, ${m} latent${m === 1 ? '' : 's'} × ${k} codes) on ${start.data}: ` +
      `${start.steps} steps from step ${startStep}, batch ${tr.config.batchSize}, seed ${tr.config.seed}, ${td.getNumThreads()} thread${td.getNumThreads() === 1 ? '' : 's'}`);
    const save = () => writeModelCheckpoint((f) => D.saveCheckpoint(tr, f, { prior }), start.files.checkpoint, 'disco', start.data, history);
    const loop = await trainSteps(start.steps, start.every, ctx, { step: () => tr.trainStep(), stepNow: () => tr.step, checkpoint: save, history });

    // stage 2: the AR prior on the EMA encoder's codes of the training data
    const priorSteps = loop.interrupted || m === 0 ? 0 : (o['prior-steps'] as number | undefined) ?? 500;
    let priorLoss: number | null = null, codesUsed: number | null = null;
    if (m > 0 && !loop.interrupted) {
      codes = trainingCodes(tr, data); // int32 [N, m]
      const cd = codes.dataSync();
      const seen = new Set<string>();
      for (let i = 0; i < cd.length; i += m) seen.add(Array.from(cd.subarray(i, i + m)).join(','));
      codesUsed = seen.size;
      if (priorSteps > 0) {
        prior = new D.ARPrior({ latents: m, codebook: k, seed: tr.config.seed });
        const pt = new D.PriorTrainer(prior, codes, { seed: tr.config.seed, batchSize: Math.min(256, codes.shape[0]), decaySteps: priorSteps });
        try {
          start.say(`training the autoregressive prior on ${codes.shape[0]} codes (${codesUsed} distinct): ${priorSteps} steps`);
          const pl: number[] = [];
          const bar = startProgress('prior', priorSteps, ctx.progress);
          try {
            for (let i = 0; i < priorSteps; i++) {
              pl.push(pt.trainStep());
              if ((i + 1) % 10 === 0 || i + 1 === priorSteps) bar.update(i + 1, pl[pl.length - 1]);
            }
          } finally {
            bar.stop();
          }
          priorLoss = lastTenthMean(pl);
        } finally {
          pt.dispose();
        }
      }
    } else if (m > 0) start.say('interrupted before the prior: the checkpoint has no prior (sample takes the codes of encoded data)');
    save();
    const figures = lossFigures(history, start.files.loss);
    const rep: DiscoTrainReport = {
      ...reportBase(start, { startStep, step: tr.step, loop, batch: tr.config.batchSize, lr: tr.config.lr, seed: tr.config.seed, parameters: params, figures }),
      model: 'disco', kind: toy ? 'toy' : 'image', latents: m, codebook: k, priorSteps: prior ? priorSteps : 0, priorLoss, codesUsed,
    };
    start.say(summaryLine(rep));
    if (priorLoss !== null) start.say(`prior cross-entropy ${priorLoss.toFixed(4)} nats per latent (uniform: ${Math.log(k).toFixed(4)})`);
    start.say(`wrote ${[start.files.checkpoint, figures.plotted].filter((f) => f).join(', ')}`);
    if (ctx.json) ctx.stdout.write(JSON.stringify(rep) + '\n');
    return loop.interrupted ? 130 : 0;
  } finally {
    codes?.dispose();
    prior?.dispose();
    if (trainer) {
      trainer.dispose();
      trainer.model.dispose();
    }
    data.fixed?.dispose();
    start.restoreThreads();
  }
}
