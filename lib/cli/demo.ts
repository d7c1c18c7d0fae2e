// demo.ts — `tensordiff demo`: trains the flow-matching MLP of flowDemo.ts on a built-in 2-D toy
// set (about a minute on the 2-core dev machine with the defaults), samples it with flowHeun and
// writes samples.png (samples over reference points), loss.png (the training loss, log scale) and
// model.safetensors into --out. Ctrl-C during training stops after the current step, writes the
// same files from the model as it is, and exits with code 130; a second Ctrl-C exits at once.
import * as fs from 'fs';
import * as path from 'path';
import * as td from '../index';
import { ParsedArgs } from './args';
import { CommandContext } from './commands';
import { startProgress } from './progress';
import { createFlowModel, trainFlow, sampleFlow, demoData, smooth } from './flowDemo';
import { DemoDataset } from './toyNames';
import { packageInfo } from './version';

/** What `tensordiff demo --json` prints. */
export interface DemoReport {
  command: 'demo';
  data: string;
  steps: number;
  stepsDone: number;
  interrupted: boolean;
  batch: number;
  seed: number;
  threads: number;
  parameters: number;
  trainSeconds: number;
  stepsPerSecond: number;
  /** Mean of the last 10% of the step losses (NaN-free; null when no step ran). */
  finalLoss: number | null;
  sampler: string;
  sampleSteps: number;
  samples: number;
  /** Sliced Wasserstein-2 distance from the samples to fresh data points (lower is better). */
  slicedWasserstein: number;
  /** The same distance for N(0, I) noise, for scale. */
  noiseSlicedWasserstein: number;
  seconds: number;
  files: { samples: string; loss: string | null; checkpoint: string };
}

/** Runs `tensordiff demo` (options as declared in builtins.ts); returns the exit code. */
export async function runDemo(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const t0 = Date.now();
  const o = args.options;
  const steps = o.steps as number, batch = o.batch as number, seed = o.seed as number;
  const data = o.data as DemoDataset, sampler = o.sampler as 'heun' | 'euler';
  const sampleSteps = o['sample-steps'] as number, n = o.samples as number;
  const out = path.resolve(String(o.out));
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) throw new Error(`--out ${out} is a file, not a folder`);
  fs.mkdirSync(out, { recursive: true });

  // A 35k-parameter MLP at batch 512 gains nothing from more threads, and on a loaded machine the
  // OpenMP barriers cost more than the work (measured: 2.4 ms/step on 1 thread, 14-160 ms on 2).
  const threads = (o.threads as number | undefined) ?? (process.env.TENSORDIFF_NUM_THREADS ? undefined : 1);
  const threadsBefore = td.getNumThreads();
  if (threads !== undefined) td.setNumThreads(threads);
  td.manualSeed(seed);
  const model = createFlowModel(128);
  const say = (s: string) => { if (!ctx.json) ctx.stdout.write(s + '\n'); };
  say(`tensordiff demo: training a flow-matching MLP (${model.numParameters()} parameters) on ${data}: ${steps} steps, batch ${batch}, seed ${seed}, ${td.getNumThreads()} thread${td.getNumThreads() === 1 ? '' : 's'}`);

  const signal = { stop: false };
  const onSigint = () => {
    if (signal.stop) {
      ctx.stderr.write('tensordiff demo: interrupted again, exiting without writing\n');
      process.exit(130);
    }
    signal.stop = true;
    ctx.stderr.write('\ntensordiff demo: interrupted; stopping after this step and writing what there is (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', onSigint);
  try {
    const bar = startProgress('train', steps, ctx.progress);
    let r;
    try {
      r = await trainFlow(model, { data, steps, batch, lr: 2e-3, seed, signal, onStep: (k, loss) => { if (k % 10 === 0 || k === steps) bar.update(k, loss); } });
    } finally {
      bar.stop();
    }
    const sps = r.seconds > 0 ? r.stepsDone / r.seconds : 0;
    const tail = r.losses.slice(-Math.max(1, Math.floor(r.losses.length / 10)));
    const finalLoss = r.losses.length ? tail.reduce((a, b) => a + b, 0) / tail.length : null;
    say(`${r.interrupted ? 'stopped after' : 'trained'} ${r.stepsDone} steps in ${r.seconds.toFixed(1)} s (${sps.toFixed(1)} steps/s)` +
      (finalLoss === null ? '' : `, loss ${finalLoss.toFixed(4)} (mean of the last ${tail.length} steps)`));

    // sample, compare with fresh data points, write the pictures and the checkpoint
    const samples = sampleFlow(model, n, { steps: sampleSteps, seed, sampler }); // [n, 2]
    const reference = demoData(data, n, seed); // [n, 2]
    const noise = td.randn([n, 2], { seed: seed + 1 });
    const swd = td.metrics.slicedWasserstein(samples, reference, { projections: 128, seed: 0 });
    const swdNoise = td.metrics.slicedWasserstein(noise, reference, { projections: 128, seed: 0 });
    const ref = reference.dataSync();
    const lim = (axis: number): [number, number] => {
      let lo = Infinity, hi = -Infinity;
      for (let i = axis; i < ref.length; i += 2) { lo = Math.min(lo, ref[i]); hi = Math.max(hi, ref[i]); }
      const m = 0.15 * (hi - lo);
      return [lo - m, hi + m];
    };
    const files = { samples: path.join(out, 'samples.png'), loss: r.losses.length ? path.join(out, 'loss.png') : null, checkpoint: path.join(out, 'model.safetensors') };
    td.viz.scatterPlot(samples, { reference, path: files.samples, xlim: lim(0), ylim: lim(1) });
    if (files.loss) td.viz.linePlot([{ name: 'loss', values: r.losses }, { name: 'loss (EMA 0.98)', values: smooth(r.losses) }], { path: files.loss, logY: true });
    td.io.save(model.stateDict(), files.checkpoint, {
      format: 'pt', producer: `tensordiff ${packageInfo().version} demo`, model: 'flow-mlp-128', data, steps: String(r.stepsDone), seed: String(seed),
    });
    td.dispose([samples, reference, noise]);
    say(`sampled ${n} points with flow${sampler === 'heun' ? 'Heun' : 'Euler'} (${sampleSteps} steps): sliced Wasserstein distance to the data ${swd.toFixed(3)} (noise: ${swdNoise.toFixed(3)})`);
    say(`wrote ${[files.samples, files.loss, files.checkpoint].filter((f) => f).join(', ')}`);
    if (ctx.json) {
      const rep: DemoReport = {
        command: 'demo', data, steps, stepsDone: r.stepsDone, interrupted: r.interrupted, batch, seed, threads: td.getNumThreads(), parameters: model.numParameters(),
        trainSeconds: +r.seconds.toFixed(3), stepsPerSecond: +sps.toFixed(2), finalLoss, sampler, sampleSteps, samples: n,
        slicedWasserstein: swd, noiseSlicedWasserstein: swdNoise, seconds: (Date.now() - t0) / 1000, files,
      };
      ctx.stdout.write(JSON.stringify(rep) + '\n');
    }
    return r.interrupted ? 130 : 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
    model.dispose();
    td.setNumThreads(threadsBefore);
  }
}
