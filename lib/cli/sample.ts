// sample.ts — `tensordiff sample <checkpoint>`: finds the model that wrote the checkpoint (its metadata
// 'format') and hands ul, disco and layersync checkpoints to sampleUl.ts, sampleDisco.ts and
// sampleLayerSync.ts. A CLD checkpoint it samples here: it loads a CLD checkpoint written by `tensordiff train
// cld` (or cld.saveCheckpoint; EMA weights), draws samples with SSCS, Euler–Maruyama or the
// probability-flow ODE, and writes a PNG: a scatter plot over reference points of the training
// data (toy model, when the checkpoint names its data set) or an image grid (image model).
import * as fs from 'fs';
import * as path from 'path';
import * as td from '../index';
import { ParsedArgs, UsageError } from './args';
import { checkSampleOptions } from './modelOptions';
import { CommandContext } from './commands';
import { isToyDataset } from './cldNames';
import { oneLine } from './train';

/** What `tensordiff sample --json` prints. */
export interface SampleReport {
  command: 'sample';
  checkpoint: string;
  /** 'toy' (2-D MLP) or 'image' (U-Net). */
  kind: 'toy' | 'image';
  /** The training data set named by the checkpoint, or null. */
  data: string | null;
  /** The trainer's step count stored in the checkpoint (null when absent). */
  step: number | null;
  n: number;
  /** Shape of the samples, e.g. [2000, 2] or [64, 1, 16, 16]. */
  shape: number[];
  sampler: string;
  steps: number;
  striding: string;
  seed: number;
  nfe: number;
  /** Sliced Wasserstein-2 distance to fresh data points (toy model with a known data set; else null). */
  slicedWasserstein: number | null;
  seconds: number;
  file: string;
}

type SampleRunner = (file: string, md: Record<string, string>, args: ParsedArgs, ctx: CommandContext) => Promise<number>;

/** The checkpoints of the models besides cld, each sampled by its own file (loaded when it runs). */
const SAMPLERS: Record<string, (() => Promise<SampleRunner>) | undefined> = {
  ul: async () => (await import('./sampleUl')).runSampleUl,
  disco: async () => (await import('./sampleDisco')).runSampleDisco,
  layersync: async () => (await import('./sampleLayerSync')).runSampleLayerSync,
};

/** The metadata 'format' each model's saveCheckpoint writes, and the model it names. */
export const CHECKPOINT_FORMATS: Readonly<Record<string, string>> = {
  'tensordiff-cld/1': 'cld', 'tensordiff-ul/1': 'ul', 'tensordiff-disco/1': 'disco', 'tensordiff-layersync/1': 'layersync',
};

/**
 * Which model wrote a checkpoint, from the 'format' key of its safetensors metadata (every model's
 * saveCheckpoint writes one). A header that does not parse throws one line naming the file; an unknown or
 * missing format is treated as cld, whose loader then says what it found.
 */
export function detectModel(file: string): { model: string; md: Record<string, string> } {
  let md: Record<string, string>;
  try {
    md = td.io.readHeader(file).metadata ?? {};
  } catch (e) {
    throw new Error(`cannot read checkpoint ${file}: ${oneLine(e)}`);
  }
  if (md.format === 'tensordiff-ul-latent/1') throw new Error(`checkpoint ${file} is a UL stage-2 base model: sample the stage-1 checkpoint with --base ${file}`);
  const model = md.format !== undefined && Object.prototype.hasOwnProperty.call(CHECKPOINT_FORMATS, md.format) ? CHECKPOINT_FORMATS[md.format] : 'cld';
  return { model, md };
}

/** Runs `tensordiff sample <checkpoint>` (options as declared in builtins.ts): cld here, the other models in their own files; returns the exit code. */
export async function runSample(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const t0 = Date.now();
  const o = args.options;
  const file = args.positionals[0];
  const steps = o.steps as number, seed = o.seed as number;
  const sampler = (o.sampler ?? 'sscs') as 'sscs' | 'em' | 'ode', striding = o.striding as 'quadratic' | 'linear';
  const outFile = path.resolve(String(o.out));
  if (!fs.existsSync(file)) throw new Error(`checkpoint ${file}: no such file`);
  if (fs.statSync(file).isDirectory()) throw new Error(`checkpoint ${file}: is a folder, not a file`);
  const which = detectModel(file);
  checkSampleOptions(which.model, o);
  if (which.model === 'cld' && o.sampler !== undefined && !['sscs', 'em', 'ode'].includes(String(o.sampler)))
    throw new UsageError(`--sampler for a cld checkpoint must be sscs, em or ode, got '${String(o.sampler)}'`, 'sample');
  const threads = (o.threads as number | undefined) ?? (process.env.TENSORDIFF_NUM_THREADS ? undefined : 1);
  const threadsBefore = td.getNumThreads();
  if (threads !== undefined) td.setNumThreads(threads);
  const other = SAMPLERS[which.model];
  if (other !== undefined) {
    try {
      return await (await other())(file, which.md, args, ctx);
    } finally {
      td.setNumThreads(threadsBefore);
    }
  }
  const cld = td.models.cld;
  let model: InstanceType<typeof cld.CLDScoreModel>;
  let md: Record<string, string>;
  try {
    md = td.io.readHeader(file).metadata ?? {};
    model = cld.loadModel(file);
  } catch (e) {
    td.setNumThreads(threadsBefore);
    throw new Error(`cannot read checkpoint ${file}: ${oneLine(e)}`);
  }
  const owned: td.Tensor[] = [];
  try {
    const kind = model.net instanceof cld.CLDImageNet ? 'image' : 'toy';
    const data = md.data ?? null;
    const stepMd = Number(md.step);
    const n = (o.n as number | undefined) ?? (kind === 'toy' ? 2000 : 64);
    const r = cld.sample(model, { n, steps, method: sampler, striding, seed });
    owned.push(r.x, r.v);
    const x = r.x; // [n, 2] or [n, C, H, W]
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    let swd: number | null = null;
    if (kind === 'toy') {
      if (x.shape[1] !== 2) throw new Error(`checkpoint ${file}: the toy model has ${x.shape[1]}-D data; only 2-D samples can be plotted`);
      let reference: td.Tensor | undefined;
      if (data !== null && isToyDataset(data)) {
        reference = (td.data[data] as (n: number, o: { seed: number }) => td.Tensor)(n, { seed: seed + 1 }); // [n, 2]
        owned.push(reference);
        swd = td.metrics.slicedWasserstein(x, reference, { projections: 128, seed: 0 });
      }
      const pts = (reference ?? x).dataSync();
      const lim = (axis: number): [number, number] => {
        let lo = Infinity, hi = -Infinity;
        for (let i = axis; i < pts.length; i += 2) if (Number.isFinite(pts[i])) { lo = Math.min(lo, pts[i]); hi = Math.max(hi, pts[i]); }
        if (!(hi > lo)) { lo = -1; hi = 1; }
        const m = 0.15 * (hi - lo);
        return [lo - m, hi + m];
      };
      td.viz.scatterPlot(x, { reference, path: outFile, xlim: lim(0), ylim: lim(1) });
    } else {
      td.viz.imageGrid(x, outFile);
    }
    const rep: SampleReport = {
      command: 'sample', checkpoint: path.resolve(file), kind, data, step: Number.isInteger(stepMd) ? stepMd : null, n, shape: [...x.shape],
      sampler, steps, striding, seed, nfe: r.nfe, slicedWasserstein: swd, seconds: (Date.now() - t0) / 1000, file: outFile,
    };
    if (ctx.json) ctx.stdout.write(JSON.stringify(rep) + '\n');
    else {
      ctx.stdout.write(`sampled ${n} ${kind === 'toy' ? 'points' : 'images'} [${x.shape.join(', ')}] with ${sampler} (${steps} steps, ${striding} striding, ${r.nfe} score evaluations)` +
        (swd === null ? '' : `: sliced Wasserstein distance to ${data} ${swd.toFixed(4)}`) + '\n');
      ctx.stdout.write(`wrote ${outFile}\n`);
    }
    return 0;
  } finally {
    td.dispose(owned);
    model.dispose();
    td.setNumThreads(threadsBefore);
  }
}
