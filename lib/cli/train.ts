// train.ts — `tensordiff train <model>`: dispatches ul, disco and layersync to trainUl.ts,
// trainDisco.ts and trainLayerSync.ts, and runs cld here. `train cld` trains a CLD-SGM model (lib/models/cld) on a 2-D toy set (the
// toy MLP) or MNIST 16×16 (the small image U-Net) with the model's CLDTrainer, shows a progress
// bar, and writes DIR/checkpoint.safetensors (every --every steps and at the end, atomically) and
// DIR/loss.png. `--resume CKPT` continues a run on the same trajectory. Ctrl-C finishes the current
// step, writes the checkpoint and exits with code 130. The checkpoint carries the data set's name
// in its metadata ('data'), which `tensordiff sample` uses for its reference points, and the loss of
// every step so far ('losses', float64 LE in base64, from step 'lossesFrom'), so that the loss plot
// and the JSON report after a --resume cover the whole run. Checkpoints without it still resume.
import * as fs from 'fs';
import * as path from 'path';
import * as td from '../index';
import { ParsedArgs, UsageError } from './args';
import { CommandContext } from './commands';
import { startProgress } from './progress';
import { CLD_DATASETS, CLDDataset, isToyDataset, TRAIN_MODELS } from './cldNames';
import { checkpointEvery, checkTrainOptions } from './modelOptions';
import { packageInfo } from './version';

type CLDModule = typeof td.models.cld;
type Trainer = InstanceType<CLDModule['CLDTrainer']>;
type DataSource = import('../models/cld').DataSource;

/** What `tensordiff train cld --json` prints. */
export interface TrainReport extends LossFigures {
  command: 'train';
  model: 'cld';
  data: string;
  /** 'toy' (2-D MLP) or 'image' (U-Net). */
  kind: 'toy' | 'image';
  resumedFrom: string | null;
  startStep: number;
  /** The trainer's step count at the end (continues across --resume). */
  step: number;
  stepsDone: number;
  interrupted: boolean;
  batch: number;
  lr: number;
  seed: number;
  threads: number;
  parameters: number;
  trainSeconds: number;
  stepsPerSecond: number;
  files: { checkpoint: string; loss: string | null };
}

/** The training data of a data set name: a sampler of fresh points (toy) or a fixed image set [N, 1, 16, 16]. */
export function cldData(name: CLDDataset): { source: DataSource; fixed: td.Tensor | null } {
  if (isToyDataset(name)) {
    const f = td.data[name] as (n: number, o: { seed: bigint }) => td.Tensor;
    return { source: (n: number, seed: bigint) => f(n, { seed }), fixed: null };
  }
  const images = td.data.mnist({ size: 16, limit: 2048 }).images; // [N, 1, 16, 16] in [-1, 1]
  return { source: images, fixed: images };
}

/** The per-step losses of a run: losses[i] is the loss of step from + i. */
export interface LossHistory {
  from: number;
  losses: number[];
}

/** Encode step losses for checkpoint metadata: float64 little-endian, base64 (exact). */
export function encodeLosses(losses: readonly number[]): string {
  const b = Buffer.alloc(8 * losses.length);
  losses.forEach((x, i) => b.writeDoubleLE(x, 8 * i));
  return b.toString('base64');
}

/**
 * The loss history in a checkpoint's metadata, which must end at the checkpoint's step. A checkpoint
 * without one (written before it was stored, or by saveCheckpoint directly) or with one that does not
 * fit gives an empty history starting at `step`, with a note saying why.
 */
export function readLossHistory(md: Record<string, string>, step: number): LossHistory & { note: string | null } {
  const none = (note: string) => ({ from: step, losses: [], note });
  if (md.losses === undefined) return none(`the checkpoint has no loss history: the loss plot starts at step ${step}`);
  const from = Number(md.lossesFrom);
  const b64 = md.losses;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) return none(`the checkpoint's loss history is not base64: ignored, the loss plot starts at step ${step}`);
  const b = Buffer.from(b64, 'base64');
  const n = b.length / 8;
  if (!Number.isInteger(n) || !Number.isInteger(from) || from < 0 || from + n !== step)
    return none(`the checkpoint's loss history (${b.length} bytes from step ${md.lossesFrom}) does not end at its step ${step}: ignored, the loss plot starts at step ${step}`);
  const losses: number[] = [];
  for (let i = 0; i < n; i++) losses.push(b.readDoubleLE(8 * i));
  return { from, losses, note: null };
}

/**
 * Save the trainer's checkpoint (the model's saveCheckpoint, atomic) plus the data name, the producer
 * and the loss history (`history`, ending at the trainer's step) in the metadata.
 */
export function writeCheckpoint(cld: CLDModule, trainer: Trainer, file: string, data: string, history: LossHistory): void {
  if (history.from + history.losses.length !== trainer.step)
    throw new RangeError(`writeCheckpoint: the loss history covers steps ${history.from}..${history.from + history.losses.length}, not up to the trainer's step ${trainer.step}`);
  const tmp = `${file}.part-${process.pid}`;
  cld.saveCheckpoint(trainer, tmp);
  try {
    const md = td.io.readHeader(tmp).metadata ?? {};
    const tensors = td.io.load(tmp);
    try {
      td.io.save(tensors, file, {
        ...md, data, producer: `tensordiff ${packageInfo().version} train cld`,
        losses: encodeLosses(history.losses), lossesFrom: String(history.from),
      });
    } finally {
      td.dispose(Object.values(tensors));
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

export function mean(a: readonly number[]): number {
  return a.reduce((s, x) => s + x, 0) / a.length;
}

type TrainRunner = (args: ParsedArgs, ctx: CommandContext) => Promise<number>;

/** The models besides cld, each trained by its own file (loaded when it runs). */
const OTHER_MODELS: Record<string, (() => Promise<TrainRunner>) | undefined> = {
  ul: async () => (await import('./trainUl')).runTrainUl,
  disco: async () => (await import('./trainDisco')).runTrainDisco,
  layersync: async () => (await import('./trainLayerSync')).runTrainLayerSync,
};

/** Runs `tensordiff train <model>` (options as declared in builtins.ts): cld here, the others in their own files; returns the exit code. */
export async function runTrain(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const o = args.options;
  const modelName = args.positionals[0];
  const other = Object.prototype.hasOwnProperty.call(OTHER_MODELS, modelName) ? OTHER_MODELS[modelName] : undefined;
  if (other !== undefined) return (await other())(args, ctx);
  if (modelName !== 'cld') throw new UsageError(`unknown model '${modelName}' (known: ${TRAIN_MODELS.join(', ')})`, 'train');
  checkTrainOptions('cld', o);
  const steps = o.steps as number, every = checkpointEvery(o);
  const resume = o.resume as string | undefined;
  if (resume !== undefined) {
    for (const k of ['batch', 'lr', 'seed'])
      if (o[k] !== undefined) throw new UsageError(`--${k} cannot be combined with --resume (the checkpoint fixes it)`, 'train');
  }
  const out = path.resolve(String(o.out ?? (resume !== undefined ? path.dirname(resume) : 'tensordiff-cld')));
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new Error(`--out ${out} is a file, not a folder`);

  const threads = (o.threads as number | undefined) ?? (process.env.TENSORDIFF_NUM_THREADS ? undefined : 1);
  const threadsBefore = td.getNumThreads();
  if (threads !== undefined) td.setNumThreads(threads);
  const cld = td.models.cld;
  let trainer: Trainer | null = null;
  let fixed: td.Tensor | null = null;
  const say = (s: string) => { if (!ctx.json) ctx.stdout.write(s + '\n'); };
  const signal = { stop: false };
  const onSigint = () => {
    if (signal.stop) {
      ctx.stderr.write('tensordiff train: interrupted again, exiting without writing\n');
      process.exit(130);
    }
    signal.stop = true;
    ctx.stderr.write('\ntensordiff train: interrupted; stopping after this step and writing the checkpoint (Ctrl-C again to quit now)\n');
  };
  try {
    let data: CLDDataset;
    let past: LossHistory & { note: string | null } = { from: 0, losses: [], note: null };
    if (resume !== undefined) {
      if (!fs.existsSync(resume)) throw new Error(`checkpoint ${resume}: no such file`);
      let md: Record<string, string>;
      try {
        md = td.io.readHeader(resume).metadata ?? {};
      } catch (e) {
        throw new Error(`cannot read checkpoint ${resume}: ${oneLine(e)}`);
      }
      const known = md.data !== undefined && (CLD_DATASETS as readonly string[]).includes(md.data) ? (md.data as CLDDataset) : undefined;
      if (o.data !== undefined && known !== undefined && o.data !== known)
        throw new UsageError(`--data ${String(o.data)} differs from the checkpoint's data set '${known}'`, 'train');
      const d = (o.data as CLDDataset | undefined) ?? known;
      if (d === undefined) throw new UsageError(`the checkpoint ${resume} does not name its data set: give --data`, 'train');
      data = d;
      const src = cldData(data);
      fixed = src.fixed;
      try {
        trainer = cld.resumeTrainer(resume, src.source);
      } catch (e) {
        throw new Error(`cannot resume from checkpoint ${resume}: ${oneLine(e)}`);
      }
      past = readLossHistory(md, trainer.step);
    } else {
      data = (o.data as CLDDataset | undefined) ?? 'diamond';
      const seed = (o.seed as number | undefined) ?? 0;
      const src = cldData(data);
      fixed = src.fixed;
      const toy = isToyDataset(data);
      const model = new cld.CLDScoreModel(toy ? { net: { seed }, mixed: true } : { imageNet: { seed }, mixed: true });
      try {
        trainer = new cld.CLDTrainer(model, src.source, {
          seed, emaWarmup: 'power',
          batchSize: (o.batch as number | undefined) ?? (toy ? 512 : 32),
          lr: (o.lr as number | undefined) ?? (toy ? 1e-3 : 2e-3),
        });
      } catch (e) {
        model.dispose();
        throw e;
      }
    }
    const tr = trainer;
    const kind = isToyDataset(data) ? 'toy' : 'image';
    fs.mkdirSync(out, { recursive: true });
    const files = { checkpoint: path.join(out, 'checkpoint.safetensors'), loss: path.join(out, 'loss.png') };
    const startStep = tr.step;
    const params = tr.model.net.parameters().reduce((s, p) => s + p.numel, 0);
    if (past.note !== null) say(`tensordiff train: note: ${past.note}`);
    say(`tensordiff train: training CLD (${kind} model, ${params} parameters) on ${data}: ${steps} steps from step ${startStep}, batch ${tr.config.batchSize}, seed ${tr.config.seed}, ${td.getNumThreads()} thread${td.getNumThreads() === 1 ? '' : 's'}`);

    process.on('SIGINT', onSigint);
    const losses: number[] = [];
    // every recorded step loss, the checkpoint's history first: [past.from, tr.step)
    const history: LossHistory = { from: past.from, losses: past.losses };
    const tTrain = Date.now();
    const bar = startProgress('train', steps, ctx.progress);
    try {
      for (let i = 0; i < steps && !signal.stop; i++) {
        const l = tr.trainStep();
        losses.push(l);
        history.losses.push(l);
        if ((i + 1) % 10 === 0 || i + 1 === steps) bar.update(i + 1, mean(losses.slice(-10)));
        if (tr.step % every === 0 && i + 1 < steps) writeCheckpoint(cld, tr, files.checkpoint, data, history);
        await new Promise<void>((r) => setImmediate(r)); // lets Ctrl-C in
      }
    } finally {
      bar.stop();
    }
    const seconds = (Date.now() - tTrain) / 1000;
    writeCheckpoint(cld, tr, files.checkpoint, data, history);
    const interrupted = signal.stop;
    const figures = lossFigures(history, files.loss);
    const lossFile = figures.plotted;
    const tenth = Math.max(1, Math.floor(figures.lossSteps / 10));
    const finalLoss = figures.finalLoss;
    const sps = seconds > 0 ? losses.length / seconds : 0;
    say(`${interrupted ? 'stopped after' : 'trained'} ${losses.length} steps (now at step ${tr.step}) in ${seconds.toFixed(1)} s (${sps.toFixed(1)} steps/s)` +
      (finalLoss === null ? '' : `, loss ${finalLoss.toFixed(4)} (mean of the last ${tenth} steps)`));
    say(`wrote ${[files.checkpoint, lossFile].filter((f) => f).join(', ')}`);
    if (ctx.json) {
      const rep: TrainReport = {
        command: 'train', model: 'cld', data, kind, resumedFrom: resume !== undefined ? path.resolve(resume) : null, startStep, step: tr.step,
        stepsDone: losses.length, interrupted, batch: tr.config.batchSize, lr: tr.config.lr, seed: tr.config.seed, threads: td.getNumThreads(),
        parameters: params, trainSeconds: +seconds.toFixed(3), stepsPerSecond: +sps.toFixed(2),
        lossFrom: figures.lossFrom, lossSteps: figures.lossSteps, firstLoss: figures.firstLoss, finalLoss, lossCurve: figures.lossCurve,
        files: { checkpoint: files.checkpoint, loss: lossFile },
      };
      ctx.stdout.write(JSON.stringify(rep) + '\n');
    }
    return interrupted ? 130 : 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
    if (trainer) {
      trainer.dispose();
      trainer.model.dispose();
    }
    fixed?.dispose();
    td.setNumThreads(threadsBefore);
  }
}

/** An error's message on one line. */
export function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' ');
}

/** Loss figures of a JSON report: the recorded losses' first/last 10% means and a ≤ 50-chunk curve. */
export interface LossFigures {
  /** The step of the first loss in firstLoss/finalLoss/lossCurve/loss.png: 0, or startStep when the resumed checkpoint had no loss history. */
  lossFrom: number;
  /** How many step losses those cover (the checkpoint's history plus this run's steps). */
  lossSteps: number;
  /** Mean loss of the first 10% of the recorded steps (null when there are none). */
  firstLoss: number | null;
  /** Mean loss of the last 10% of the recorded steps (null when there are none). */
  finalLoss: number | null;
  /** The recorded step losses (across resumes) averaged over at most 50 equal chunks, in order. */
  lossCurve: number[];
}

/** Plots the recorded losses (and an EMA) to `file` (log scale, when the losses are all positive) and returns the figures. */
export function lossFigures(history: LossHistory, file: string): LossFigures & { plotted: string | null } {
  const all = history.losses;
  let plotted: string | null = null;
  if (all.length > 0) {
    const ema: number[] = [];
    let m = all[0];
    for (const l of all) ema.push((m = 0.98 * m + 0.02 * l));
    td.viz.linePlot([{ name: 'loss', values: all }, { name: 'loss (EMA 0.98)', values: ema }], { path: file, logY: all.every((l) => l > 0) });
    plotted = file;
  }
  const tenth = Math.max(1, Math.floor(all.length / 10));
  const chunks = Math.min(50, all.length);
  const lossCurve: number[] = [];
  for (let c = 0; c < chunks; c++) lossCurve.push(mean(all.slice(Math.floor((c * all.length) / chunks), Math.floor(((c + 1) * all.length) / chunks))));
  return {
    lossFrom: history.from, lossSteps: all.length,
    firstLoss: all.length ? mean(all.slice(0, tenth)) : null, finalLoss: all.length ? mean(all.slice(-tenth)) : null,
    lossCurve, plotted,
  };
}
