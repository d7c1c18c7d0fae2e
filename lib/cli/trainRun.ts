// trainRun.ts — what `tensordiff train ul|disco|layersync` share (trainUl.ts, trainDisco.ts,
// trainLayerSync.ts): the start of a run (flags that --resume forbids, the output folder, the thread
// count, the resumed checkpoint's metadata), the step loop with its progress bar, periodic
// checkpoints and Ctrl-C (finish the step, write the checkpoint, exit 130), the checkpoint rewrite
// that adds the CLI's metadata (data set, producer, loss history — the same keys as `train cld`),
// the loss plot and the loss figures of the JSON report.
import * as fs from 'fs';
import * as path from 'path';
import * as td from '../index';
import { ParsedArgs, UsageError } from './args';
import { CommandContext } from './commands';
import { startProgress } from './progress';
import { encodeLosses, LossHistory, lossFigures, mean, oneLine, readLossHistory } from './train';
import type { LossFigures } from './train';
export { lossFigures };
export type { LossFigures };
import { checkpointEvery, checkTrainOptions } from './modelOptions';
import { packageInfo } from './version';

/** The settled start of a run. */
export interface RunStart {
  model: string;
  steps: number;
  every: number;
  /** The checkpoint to resume from, or undefined. */
  resume: string | undefined;
  /** The data set: --data, the checkpoint's, or the model's default. */
  data: string;
  /** The output folder (absolute). */
  out: string;
  files: { checkpoint: string; loss: string };
  /** The resumed checkpoint's metadata ({} for a new run). */
  md: Record<string, string>;
  /** Prints a line unless --json. */
  say(s: string): void;
  /** Puts the thread count back. */
  restoreThreads(): void;
}

/**
 * Checks the command line of `train <model>` and settles the run's data set, folder and threads.
 * @param datasets the data sets the model trains on (the first is the default)
 * @throws UsageError for options of other models, a data set the model does not take, or flags that --resume fixes
 */
export function startRun(model: string, datasets: readonly string[], args: ParsedArgs, ctx: CommandContext): RunStart {
  const o = args.options;
  checkTrainOptions(model, o);
  const resume = o.resume as string | undefined;
  let md: Record<string, string> = {};
  if (resume !== undefined) {
    const fixed = ['batch', 'lr', 'seed', 'loss-factor', 'bias', 'latents', 'codebook', 'lambda', 'width', 'depth', 'patch'];
    for (const k of fixed) if (o[k] !== undefined) throw new UsageError(`--${k} cannot be combined with --resume (the checkpoint fixes it)`, 'train');
    if (!fs.existsSync(resume)) throw new Error(`checkpoint ${resume}: no such file`);
    try {
      md = td.io.readHeader(resume).metadata ?? {};
    } catch (e) {
      throw new Error(`cannot read checkpoint ${resume}: ${oneLine(e)}`);
    }
  }
  const given = o.data as string | undefined;
  if (given !== undefined && !datasets.includes(given)) throw new UsageError(`train ${model} takes --data ${datasets.join(' or ')}, got '${given}'`, 'train');
  const known = md.data !== undefined && datasets.includes(md.data) ? md.data : undefined;
  if (given !== undefined && known !== undefined && given !== known)
    throw new UsageError(`--data ${given} differs from the checkpoint's data set '${known}'`, 'train');
  const data = given ?? known ?? datasets[0];
  const out = path.resolve(String(o.out ?? (resume !== undefined ? path.dirname(resume) : `tensordiff-${model}`)));
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new Error(`--out ${out} is a file, not a folder`);
  const threads = (o.threads as number | undefined) ?? (process.env.TENSORDIFF_NUM_THREADS ? undefined : 1);
  const before = td.getNumThreads();
  if (threads !== undefined) td.setNumThreads(threads);
  return {
    model, steps: o.steps as number, every: checkpointEvery(o), resume, data, out, md,
    files: { checkpoint: path.join(out, 'checkpoint.safetensors'), loss: path.join(out, 'loss.png') },
    say: (s) => { if (!ctx.json) ctx.stdout.write(s + '\n'); },
    restoreThreads: () => td.setNumThreads(before),
  };
}

/** Runs `resume()`, turning its failure into one line naming the checkpoint. */
export function resumeOrFail<T>(file: string, resume: () => T): T {
  try {
    return resume();
  } catch (e) {
    throw new Error(`cannot resume from checkpoint ${file}: ${oneLine(e)}`);
  }
}

/**
 * Writes a checkpoint with the model's own save function (to a temporary file), then rewrites it
 * atomically at `file` with the CLI's metadata added: data, producer, losses/lossesFrom, and `extra`.
 */
export function writeModelCheckpoint(save: (file: string) => void, file: string, model: string, data: string, history: LossHistory, extra: Record<string, string> = {}): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.part-${process.pid}`;
  save(tmp);
  try {
    const md = td.io.readHeader(tmp).metadata ?? {};
    const tensors = td.io.load(tmp);
    try {
      td.io.save(tensors, file, {
        ...md, ...extra, data, producer: `tensordiff ${packageInfo().version} train ${model}`,
        losses: encodeLosses(history.losses), lossesFrom: String(history.from),
      });
    } finally {
      td.dispose(Object.values(tensors));
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** What {@link trainSteps} needs. */
export interface LoopSpec {
  /** One training step; returns its loss. */
  step(): number;
  /** The trainer's step count (after a step). */
  stepNow(): number;
  /** Writes the checkpoint (with the history so far). */
  checkpoint(): void;
  /** The recorded losses; each step's loss is appended. */
  history: LossHistory;
}

/** What {@link trainSteps} returns. */
export interface LoopResult {
  /** This run's step losses. */
  losses: number[];
  seconds: number;
  interrupted: boolean;
}

/**
 * Runs up to `steps` steps with a progress bar, writing the checkpoint every `every` trainer steps
 * (the caller writes the last one). Ctrl-C stops after the current step (a second Ctrl-C exits now).
 */
export async function trainSteps(steps: number, every: number, ctx: CommandContext, spec: LoopSpec, label = 'train'): Promise<LoopResult> {
  const signal = { stop: false };
  const onSigint = () => {
    if (signal.stop) {
      ctx.stderr.write('tensordiff train: interrupted again, exiting without writing\n');
      process.exit(130);
    }
    signal.stop = true;
    ctx.stderr.write('\ntensordiff train: interrupted; stopping after this step and writing the checkpoint (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', onSigint);
  const losses: number[] = [];
  const t0 = Date.now();
  const bar = startProgress(label, steps, ctx.progress);
  try {
    for (let i = 0; i < steps && !signal.stop; i++) {
      const l = spec.step();
      losses.push(l);
      spec.history.losses.push(l);
      if ((i + 1) % 10 === 0 || i + 1 === steps) bar.update(i + 1, mean(losses.slice(-10)));
      if (spec.stepNow() % every === 0 && i + 1 < steps) spec.checkpoint();
      await new Promise<void>((r) => setImmediate(r)); // lets Ctrl-C in
    }
  } finally {
    bar.stop();
    process.removeListener('SIGINT', onSigint);
  }
  return { losses, seconds: (Date.now() - t0) / 1000, interrupted: signal.stop };
}

/** The resumed checkpoint's loss history (empty from `step` for a new run), with a note when it is unusable. */
export function pastLosses(start: RunStart, step: number): LossHistory & { note: string | null } {
  if (start.resume === undefined) return { from: 0, losses: [], note: null };
  return readLossHistory(start.md, step);
}

/** The mean of the last 10% (at least one) of a list, or null when it is empty. */
export function lastTenthMean(a: readonly number[]): number | null {
  if (a.length === 0) return null;
  return mean(a.slice(-Math.max(1, Math.floor(a.length / 10))));
}

/** The largest of 8, 4, 2, 1 that divides w (GroupNorm groups for a width). */
export function groupsFor(w: number): number {
  for (const g of [8, 4, 2]) if (w % g === 0) return g;
  return 1;
}

/** The common head of every train report. */
export interface ModelTrainReportBase extends LossFigures {
  command: 'train';
  model: string;
  data: string;
  resumedFrom: string | null;
  startStep: number;
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

/** Fills the common head of a train report. */
export function reportBase(start: RunStart, o: { startStep: number; step: number; loop: LoopResult; batch: number; lr: number; seed: number; parameters: number; figures: LossFigures & { plotted: string | null } }): ModelTrainReportBase {
  const { plotted, ...figures } = o.figures;
  const sps = o.loop.seconds > 0 ? o.loop.losses.length / o.loop.seconds : 0;
  return {
    command: 'train', model: start.model, data: start.data, resumedFrom: start.resume !== undefined ? path.resolve(start.resume) : null,
    startStep: o.startStep, step: o.step, stepsDone: o.loop.losses.length, interrupted: o.loop.interrupted,
    batch: o.batch, lr: o.lr, seed: o.seed, threads: td.getNumThreads(), parameters: o.parameters,
    trainSeconds: +o.loop.seconds.toFixed(3), stepsPerSecond: +sps.toFixed(2), ...figures,
    files: { checkpoint: start.files.checkpoint, loss: plotted },
  };
}

/** The summary line after training. */
export function summaryLine(r: ModelTrainReportBase): string {
  return `${r.interrupted ? 'stopped after' : 'trained'} ${r.stepsDone} steps (now at step ${r.step}) in ${r.trainSeconds.toFixed(1)} s (${r.stepsPerSecond.toFixed(1)} steps/s)` +
    (r.finalLoss === null ? '' : `, loss ${r.finalLoss.toFixed(4)} (mean of the last ${Math.max(1, Math.floor(r.lossSteps / 10))} steps)`);
}

/** Number of parameters of modules. */
export function countParams(params: readonly td.Tensor[]): number {
  return params.reduce((s, p) => s + p.numel, 0);
}

/** The first `limit` MNIST 16×16 training digits: images [N, 1, 16, 16] in [−1, 1], labels [N] int32. */
export function mnist16(limit = 2048): { images: td.Tensor; labels: td.Tensor } {
  return td.data.mnist({ size: 16, limit });
}
