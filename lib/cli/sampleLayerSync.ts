// sampleLayerSync.ts — `tensordiff sample` on a LayerSync/SiT checkpoint (td.models.layerSync, EMA
// weights): class-conditional digits with the Heun (default), Euler or SDE sampler, optional
// classifier-free guidance (--cfg), labels from --labels (cycled over --n; default 0..9 cycled), written
// as an image grid with one row per 10 images.
import * as fs from 'fs';
import * as path from 'path';
import * as td from '../index';
import { ParsedArgs, UsageError } from './args';
import { CommandContext } from './commands';
import { oneLine } from './train';

/** What `tensordiff sample` prints with --json for a LayerSync checkpoint. */
export interface LayerSyncSampleReport {
  command: 'sample';
  model: 'layersync';
  checkpoint: string;
  data: string | null;
  step: number | null;
  n: number;
  shape: number[];
  labels: number[];
  sampler: 'euler' | 'heun' | 'sde';
  steps: number;
  cfg: number;
  seed: number;
  seconds: number;
  file: string;
}

/**
 * Parses `--labels` ("3" or "0,1,2"): integers in [0, classes). @throws UsageError when malformed.
 */
export function parseLabels(raw: string, classes: number): number[] {
  const parts = raw.split(',').map((s) => s.trim());
  const out = parts.map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  const bad = out.findIndex((v) => !Number.isInteger(v) || v >= classes);
  if (parts.length === 0 || bad >= 0) throw new UsageError(`--labels must be a comma-separated list of classes 0..${classes - 1}, got '${raw}'`, 'sample');
  return out;
}

/** Runs `sample` on a LayerSync checkpoint (already identified by its metadata); returns the exit code. */
export async function runSampleLayerSync(file: string, md: Record<string, string>, args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const t0 = Date.now();
  const o = args.options;
  const LS = td.models.layerSync;
  const steps = o.steps as number, seed = o.seed as number, cfg = (o.cfg as number | undefined) ?? 1;
  const sampler = (o.sampler as string | undefined) ?? 'heun';
  if (sampler !== 'euler' && sampler !== 'heun' && sampler !== 'sde') throw new UsageError(`--sampler for a layersync checkpoint must be heun, euler or sde, got '${sampler}'`, 'sample');
  const outFile = path.resolve(String(o.out));
  let model: InstanceType<typeof LS.SiT>;
  try {
    model = LS.loadModel(file);
  } catch (e) {
    throw new Error(`cannot read checkpoint ${file}: ${oneLine(e)}`);
  }
  let x: td.Tensor | null = null;
  try {
    const classes = model.config.numClasses;
    const given = o.labels !== undefined ? parseLabels(String(o.labels), classes) : null;
    const n = (o.n as number | undefined) ?? (given ? given.length : 20);
    const labels = Array.from({ length: n }, (_, i) => (given ? given[i % given.length] : i % classes));
    x = LS.sample(model, { labels, method: sampler, steps, cfgScale: cfg, seed }); // [n, 1, 16, 16]
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    td.viz.imageGrid(x, outFile, { nrow: Math.min(n, given ? given.length : classes) }); // values outside [−1, 1] are clamped
    const stepMd = Number(md.step);
    const rep: LayerSyncSampleReport = {
      command: 'sample', model: 'layersync', checkpoint: path.resolve(file), data: md.data ?? null, step: Number.isInteger(stepMd) ? stepMd : null,
      n, shape: [...x.shape], labels, sampler, steps, cfg, seed, seconds: (Date.now() - t0) / 1000, file: outFile,
    };
    if (ctx.json) ctx.stdout.write(JSON.stringify(rep) + '\n');
    else {
      ctx.stdout.write(`sampled ${n} digits [${x.shape.join(', ')}] of classes ${given ? given.join(',') : `0..${classes - 1}`} with ${sampler} (${steps} steps, guidance ${cfg})\n`);
      ctx.stdout.write(`wrote ${outFile}\n`);
    }
    return 0;
  } finally {
    x?.dispose();
    model.dispose();
  }
}
