// sampleDisco.ts — `tensordiff sample` on a DisCo-Diff checkpoint (td.models.discoDiff, EMA weights):
// latents from the checkpoint's autoregressive prior (or, when it has none, the encoder's codes of
// fresh data points / test digits), then EDM Heun with --steps noise levels. Toy model: a scatter of
// the samples over fresh points of the training set (named in the checkpoint) with the sliced
// Wasserstein distance to them; image model: an image grid.
import * as fs from 'fs';
import * as path from 'path';
import * as td from '../index';
import { ParsedArgs } from './args';
import { CommandContext } from './commands';
import { isToyDataset } from './cldNames';
import { oneLine } from './train';

/** What `tensordiff sample` prints with --json for a DisCo-Diff checkpoint. */
export interface DiscoSampleReport {
  command: 'sample';
  model: 'disco';
  checkpoint: string;
  kind: 'toy' | 'image';
  data: string | null;
  step: number | null;
  n: number;
  shape: number[];
  steps: number;
  /** Denoiser calls of the Heun sampler (2·steps − 1). */
  nfe: number;
  seed: number;
  /** Where the latents came from: the AR prior, the encoder's codes of data (no prior in the checkpoint), or none (baseline). */
  codes: 'prior' | 'encoded-data' | 'none';
  /** Sliced Wasserstein-2 distance to fresh data points (toy model with a known data set; else null). */
  slicedWasserstein: number | null;
  seconds: number;
  file: string;
}

/** Axis limits around the finite values of column `axis` of [n, 2] points, with a 15% margin. */
function limits(pts: ArrayLike<number>, axis: number): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = axis; i < pts.length; i += 2) if (Number.isFinite(pts[i])) { lo = Math.min(lo, pts[i]); hi = Math.max(hi, pts[i]); }
  if (!(hi > lo)) { lo = -1; hi = 1; }
  const m = 0.15 * (hi - lo);
  return [lo - m, hi + m];
}

/** Runs `sample` on a DisCo-Diff checkpoint (already identified by its metadata); returns the exit code. */
export async function runSampleDisco(file: string, md: Record<string, string>, args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const t0 = Date.now();
  const o = args.options;
  const D = td.models.discoDiff;
  const steps = o.steps as number, seed = o.seed as number;
  const outFile = path.resolve(String(o.out));
  let loaded: ReturnType<typeof D.loadModel>;
  try {
    loaded = D.loadModel(file);
  } catch (e) {
    throw new Error(`cannot read checkpoint ${file}: ${oneLine(e)}`);
  }
  const { model, prior } = loaded;
  const owned: td.Tensor[] = [];
  try {
    const kind = model.config.kind;
    const data = md.data ?? null;
    const n = (o.n as number | undefined) ?? (kind === 'toy' ? 2000 : 64);
    const source: 'prior' | 'encoded-data' | 'none' = model.m === 0 ? 'none' : prior ? 'prior' : 'encoded-data';
    let codes: td.Tensor | undefined;
    if (source === 'encoded-data') {
      let x: td.Tensor;
      if (kind === 'toy') {
        if (data === null || !isToyDataset(data)) throw new Error(`checkpoint ${file} has no prior and names no toy data set to encode`);
        x = (td.data[data] as (n: number, o: { seed: number }) => td.Tensor)(n, { seed: seed + 2 });
      } else {
        const t = td.data.mnist({ size: 16, split: 'test', limit: n });
        t.labels.dispose();
        x = t.images;
        if (x.shape[0] < n) { x.dispose(); throw new Error(`the checkpoint has no prior, and only ${x.shape[0]} test digits can be encoded: use --n ${x.shape[0]} or less`); }
      }
      owned.push(x);
      codes = model.encode(x);
      owned.push(codes);
    }
    const r = D.sample(model, { n, steps, seed, prior: prior ?? undefined, codes });
    owned.push(r.x);
    if (r.codes && r.codes !== codes) owned.push(r.codes);
    const x = r.x; // [n, 2] or [n, 1, 16, 16]
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    let swd: number | null = null;
    if (kind === 'toy') {
      let reference: td.Tensor | undefined;
      if (data !== null && isToyDataset(data)) {
        reference = (td.data[data] as (n: number, o: { seed: number }) => td.Tensor)(n, { seed: seed + 1 }); // [n, 2]
        owned.push(reference);
        swd = td.metrics.slicedWasserstein(x, reference, { projections: 128, seed: 0 });
      }
      const pts = (reference ?? x).dataSync();
      td.viz.scatterPlot(x, { reference, path: outFile, xlim: limits(pts, 0), ylim: limits(pts, 1) });
    } else {
      td.viz.imageGrid(x, outFile); // values outside [−1, 1] are clamped
    }
    if (source === 'encoded-data' && !ctx.json)
      ctx.stdout.write(`the checkpoint has no prior: the latents are the encoder's codes of ${kind === 'toy' ? `fresh ${data} points` : 'test digits'}\n`);
    const stepMd = Number(md.step);
    const rep: DiscoSampleReport = {
      command: 'sample', model: 'disco', checkpoint: path.resolve(file), kind, data, step: Number.isInteger(stepMd) ? stepMd : null, n, shape: [...x.shape],
      steps, nfe: 2 * steps - 1, seed, codes: source, slicedWasserstein: swd, seconds: (Date.now() - t0) / 1000, file: outFile,
    };
    if (ctx.json) ctx.stdout.write(JSON.stringify(rep) + '\n');
    else {
      ctx.stdout.write(`sampled ${n} ${kind === 'toy' ? 'points' : 'images'} [${x.shape.join(', ')}] with EDM Heun (${steps} steps, ${2 * steps - 1} denoiser calls)` +
        (swd === null ? '' : `: sliced Wasserstein distance to ${data} ${swd.toFixed(4)}`) + '\n');
      ctx.stdout.write(`wrote ${outFile}\n`);
    }
    return 0;
  } finally {
    td.dispose(owned);
    prior?.dispose();
    model.dispose();
  }
}
