// sampleUl.ts — `tensordiff sample` on a Unified Latents stage-1 checkpoint (td.models.ul). Sampling
// images needs a stage-2 base model, which `train ul` does not train: with `--base FILE` (written by
// ul.saveLatentModel) it draws --n images with ul.sample (base DDIM → z₀ → decoder DDIM, --steps each);
// without it, it reconstructs the first --n MNIST 16×16 test digits (x → z₀ → decoder) and writes
// originals over reconstructions, with their PSNR.
import * as fs from 'fs';
import * as path from 'path';
import * as td from '../index';
import { ParsedArgs } from './args';
import { CommandContext } from './commands';
import { oneLine } from './train';

/** What `tensordiff sample` prints with --json for a UL checkpoint. */
export interface UlSampleReport {
  command: 'sample';
  model: 'ul';
  checkpoint: string;
  /** 'sample' (with --base) or 'reconstruct' (test digits; the checkpoint has no stage-2 base model). */
  mode: 'sample' | 'reconstruct';
  base: string | null;
  step: number | null;
  n: number;
  /** Shape of the generated images [n, 1, 16, 16]. */
  shape: number[];
  steps: number;
  seed: number;
  /** PSNR (dB, range 2) of the reconstructions against the test digits; null when sampling. */
  psnr: number | null;
  seconds: number;
  file: string;
}

/** Runs `sample` on a UL checkpoint (already identified by its metadata); returns the exit code. */
export async function runSampleUl(file: string, md: Record<string, string>, args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const t0 = Date.now();
  const o = args.options;
  const ul = td.models.ul;
  const steps = o.steps as number, seed = o.seed as number, n = (o.n as number | undefined) ?? 16;
  const outFile = path.resolve(String(o.out));
  const baseFile = o.base as string | undefined;
  if (baseFile !== undefined && !fs.existsSync(baseFile)) throw new Error(`base model ${baseFile}: no such file`);
  let model: InstanceType<typeof ul.ULModel>;
  try {
    model = ul.loadModel(file);
  } catch (e) {
    throw new Error(`cannot read checkpoint ${file}: ${oneLine(e)}`);
  }
  const owned: td.Tensor[] = [];
  let base: InstanceType<typeof ul.LatentDiffusion> | null = null;
  try {
    if (baseFile !== undefined) {
      try {
        base = ul.loadLatentModel(baseFile);
      } catch (e) {
        throw new Error(`cannot read base model ${baseFile}: ${oneLine(e)}`);
      }
    }
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    let psnr: number | null = null, shape: number[];
    if (base) {
      const r = ul.sample(model, base, { n, baseSteps: steps, decoderSteps: steps, seed });
      owned.push(r.x, r.z0);
      shape = [...r.x.shape];
      td.viz.imageGrid(r.x, outFile, { nrow: Math.min(8, n) });
    } else {
      const test = td.data.mnist({ size: 16, split: 'test', limit: n });
      owned.push(test.images, test.labels);
      const rec = ul.reconstruct(model, test.images, { steps, seed });
      owned.push(rec);
      shape = [...rec.shape];
      psnr = td.metrics.psnr(rec, test.images);
      const both = td.cat([test.images, rec], 0); // [2n, 1, 16, 16]: originals, then reconstructions
      owned.push(both);
      td.viz.imageGrid(both, outFile, { nrow: rec.shape[0] });
    }
    const stepMd = Number(md.step);
    const rep: UlSampleReport = {
      command: 'sample', model: 'ul', checkpoint: path.resolve(file), mode: base ? 'sample' : 'reconstruct', base: baseFile !== undefined ? path.resolve(baseFile) : null,
      step: Number.isInteger(stepMd) ? stepMd : null, n: shape[0], shape, steps, seed, psnr, seconds: (Date.now() - t0) / 1000, file: outFile,
    };
    if (ctx.json) ctx.stdout.write(JSON.stringify(rep) + '\n');
    else {
      if (base) ctx.stdout.write(`sampled ${n} images [${shape.join(', ')}] with the base model ${baseFile} (${steps} base and ${steps} decoder DDIM steps)\n`);
      else ctx.stdout.write(`the checkpoint has no stage-2 base model (give --base FILE to sample): reconstructed ${shape[0]} test digits instead ` +
        `(${steps} decoder DDIM steps), PSNR ${psnr!.toFixed(2)} dB; top row originals, bottom row reconstructions\n`);
      ctx.stdout.write(`wrote ${outFile}\n`);
    }
    return 0;
  } finally {
    td.dispose(owned);
    base?.dispose();
    model.dispose();
  }
}
