// trainLayerSync.ts — `tensordiff train layersync`: a class-conditional SiT flow-matching transformer
// with the LayerSync regulariser (td.models.layerSync: LayerSyncTrainer, L = L_FM + λ·L_reg, AdamW,
// EMA) on MNIST 16×16 digits and their labels. Writes DIR/checkpoint.safetensors
// (layerSync.saveCheckpoint plus the CLI metadata) and DIR/loss.png; `tensordiff sample` draws
// digits of chosen classes from it (EMA weights).
import * as td from '../index';
import { ParsedArgs, UsageError } from './args';
import { CommandContext } from './commands';
import { MODEL_DATASETS } from './modelOptions';
import { countParams, lastTenthMean, lossFigures, mnist16, ModelTrainReportBase, pastLosses, reportBase, resumeOrFail, startRun, summaryLine, trainSteps, writeModelCheckpoint } from './trainRun';

/** What `tensordiff train layersync --json` prints. */
export interface LayerSyncTrainReport extends ModelTrainReportBase {
  model: 'layersync';
  lambda: number;
  depth: number;
  width: number;
  patch: number;
  /** The 1-indexed weak and guide blocks of the regulariser. */
  weakBlock: number;
  guideBlock: number;
  /** Flow-matching loss and regulariser (−mean cosine of weak to guide tokens), means of the last 10% of this run's steps. */
  fmLoss: number | null;
  regLoss: number | null;
}

/** Runs `tensordiff train layersync`; returns the exit code. */
export async function runTrainLayerSync(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const o = args.options;
  const w = o.width as number | undefined, patch = o.patch as number | undefined;
  if (w !== undefined && w % 4 !== 0) throw new UsageError(`--width must be a multiple of 4 for layersync (2-D position embedding, 4 heads), got ${w}`, 'train');
  if (patch !== undefined && 16 % patch !== 0) throw new UsageError(`--patch must divide the image side 16, got ${patch}`, 'train');
  const start = startRun('layersync', MODEL_DATASETS.layersync, args, ctx);
  const LS = td.models.layerSync;
  const data = mnist16();
  let trainer: InstanceType<typeof LS.LayerSyncTrainer> | null = null;
  try {
    if (start.resume !== undefined) {
      const file = start.resume;
      trainer = resumeOrFail(file, () => LS.resumeTrainer(file, data));
    } else {
      const seed = (o.seed as number | undefined) ?? 0;
      const model = new LS.SiT({ depth: (o.depth as number | undefined) ?? 6, hiddenSize: w ?? 128, patchSize: patch ?? 4, seed });
      try {
        trainer = new LS.LayerSyncTrainer(model, data, {
          lambda: (o.lambda as number | undefined) ?? 0.2, seed,
          batchSize: (o.batch as number | undefined) ?? 64, lr: (o.lr as number | undefined) ?? 5e-4,
        });
      } catch (e) {
        model.dispose();
        throw e;
      }
    }
    const tr = trainer;
    const mc = tr.model.config, tc = tr.config;
    const startStep = tr.step;
    const past = pastLosses(start, startStep);
    const history = { from: past.from, losses: past.losses };
    const params = countParams(tr.model.parameters());
    if (past.note !== null) start.say(`tensordiff train: note: ${past.note}`);
    start.say(`tensordiff train: training SiT + LayerSync (${mc.depth} blocks × width ${mc.hiddenSize}, patch ${mc.patchSize}, ${params} parameters, λ = ${tc.lambda}, blocks ${tc.weakBlock} ← ${tc.guideBlock}) on ${start.data}: ` +
      `${start.steps} steps from step ${startStep}, batch ${tc.batchSize}, seed ${tc.seed}, ${td.getNumThreads()} thread${td.getNumThreads() === 1 ? '' : 's'}`);
    const save = () => writeModelCheckpoint((f) => LS.saveCheckpoint(tr, f), start.files.checkpoint, 'layersync', start.data, history);
    const fm: number[] = [], reg: number[] = [];
    const loop = await trainSteps(start.steps, start.every, ctx, {
      step: () => {
        const l = tr.trainStep();
        fm.push(l.fm);
        reg.push(l.reg);
        return l.loss;
      },
      stepNow: () => tr.step, checkpoint: save, history,
    });
    save();
    const figures = lossFigures(history, start.files.loss);
    const rep: LayerSyncTrainReport = {
      ...reportBase(start, { startStep, step: tr.step, loop, batch: tc.batchSize, lr: tc.lr, seed: tc.seed, parameters: params, figures }),
      model: 'layersync', lambda: tc.lambda, depth: mc.depth, width: mc.hiddenSize, patch: mc.patchSize, weakBlock: tc.weakBlock, guideBlock: tc.guideBlock,
      fmLoss: lastTenthMean(fm), regLoss: lastTenthMean(reg),
    };
    start.say(summaryLine(rep));
    if (rep.fmLoss !== null) start.say(`flow-matching loss ${rep.fmLoss.toFixed(4)}, LayerSync term ${rep.regLoss!.toFixed(4)} (means of the last ${Math.max(1, Math.floor(fm.length / 10))} steps of this run)`);
    start.say(`wrote ${[start.files.checkpoint, figures.plotted].filter((f) => f).join(', ')}`);
    if (ctx.json) ctx.stdout.write(JSON.stringify(rep) + '\n');
    return loop.interrupted ? 130 : 0;
  } finally {
    if (trainer) {
      trainer.dispose();
      trainer.model.dispose();
    }
    data.images.dispose();
    data.labels.dispose();
    start.restoreThreads();
  }
}
