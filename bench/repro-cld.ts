// repro-cld.ts — reproduction of the CLD-SGM toy claim (Dockhorn et al., ICLR 2022; spec
// /work/shared/specs/cld.md "What to reproduce" 2): train the toy score model (lib/models/cld) on the
// 'diamond' and 'multimodal swiss roll' data, then sample with SSCS and Euler–Maruyama (quadratic
// striding) at N ∈ {10, 20, 50, 100} score evaluations and report the sliced Wasserstein distance
// to held-out data and the in-mode share. Claim: SSCS beats EM at small N; they agree at large N.
//
// In-mode share: diamond — within 3·std·√2 of one of the 9 centers (as in the paper);
// swiss roll — within 0.02 of a held-out data point (the arms of a roll are ~0.063 apart).
//
// Usage: node dist/bench/repro-cld.js [--quick] [--out DIR] [--steps K] [--samples N] [--seed S]
// Also the NLL bound of held-out data (probability-flow ODE, Hutchinson trace).
// Writes DIR (default ./repro-cld-out): scatter PNGs, a checkpoint per data set, results.json.
// The last stdout line is {"model":"cld","results":[{data, sampler, n, swd, inMode}, ...]}.
import * as fs from 'fs';
import * as path from 'path';
import * as td from '../lib/index';
import { cld as C } from '../lib/models/index';

interface Args { quick: boolean; out: string; steps: number | null; samples: number | null; seed: number }

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, out: './repro-cld-out', steps: null, samples: null, seed: 0 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const val = (): string => {
      if (i + 1 >= argv.length) throw new RangeError(`repro-cld: ${k} needs a value`);
      return argv[++i];
    };
    const int = (s: string): number => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 0) throw new RangeError(`repro-cld: ${k} must be a non-negative integer, got ${s}`);
      return n;
    };
    if (k === '--quick') a.quick = true;
    else if (k === '--out') a.out = val();
    else if (k === '--steps') a.steps = int(val());
    else if (k === '--samples') a.samples = int(val());
    else if (k === '--seed') a.seed = int(val());
    else throw new RangeError(`repro-cld: unknown argument ${k} (known: --quick, --out DIR, --steps K, --samples N, --seed S)`);
  }
  return a;
}

/** Share of rows of x [n, 2] within r of some row of ref [m, 2] (brute force, float64). */
function nearShare(x: td.Tensor, ref: td.Tensor, r: number): number {
  const a = x.dataSync(), b = ref.dataSync();
  const n = a.length / 2, m = b.length / 2, r2 = r * r;
  let hit = 0;
  for (let i = 0; i < n; i++) {
    const px = a[2 * i], py = a[2 * i + 1];
    for (let j = 0; j < m; j++) {
      const dx = px - b[2 * j], dy = py - b[2 * j + 1];
      if (dx * dx + dy * dy <= r2) {
        hit++;
        break;
      }
    }
  }
  return hit / n;
}

interface DataSet {
  name: 'diamond' | 'multimodalSwissRoll';
  draw: (n: number, seed: number | bigint) => td.Tensor;
  inMode: (x: td.Tensor, heldOut: td.Tensor) => number;
  lim: [number, number];
}

const DATASETS: DataSet[] = [
  {
    name: 'diamond',
    draw: (n, seed) => td.data.diamond(n, { seed }),
    inMode: (x) => td.diffusion.modeShare(x, td.diffusion.diamondMixture().centers, 3 * 0.04 * Math.SQRT2),
    lim: [-1, 1],
  },
  {
    name: 'multimodalSwissRoll',
    draw: (n, seed) => td.data.multimodalSwissRoll(n, { seed }),
    inMode: (x, held) => nearShare(x, held, 0.02),
    lim: [-1.1, 1.1],
  },
];

const NS = [10, 20, 50, 100];
const SAMPLERS = ['sscs', 'em'] as const;

interface Row { data: string; sampler: string; n: number; swd: number; inMode: number }

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const steps = args.steps ?? (args.quick ? 10000 : 60000);
  const nSamples = args.samples ?? (args.quick ? 2000 : 5000);
  fs.mkdirSync(args.out, { recursive: true });
  const t0 = Date.now();
  const results: Row[] = [];
  const nlls: Record<string, number> = {};
  const info = td.backend.info();
  console.log(`repro-cld: ${steps} training steps per data set (mixed score, batch 512, Adam 1e-3, clip 1, EMA 0.999 with power warm-up), ${nSamples} samples, ${info.cpu.threads} threads`);
  for (const ds of DATASETS) {
    const model = new C.CLDScoreModel({ net: { seed: args.seed }, mixed: true });
    const trainer = new C.CLDTrainer(model, (n, seed) => ds.draw(n, seed), { seed: args.seed, emaWarmup: 'power' });
    const tTrain = Date.now();
    trainer.train(steps, {
      logEvery: Math.max(1, Math.floor(steps / 5)),
      onLog: (s, l) => console.log(`  ${ds.name} step ${s}: loss ${l.toFixed(4)} (${((Date.now() - tTrain) / 1000).toFixed(1)} s)`),
    });
    C.saveCheckpoint(trainer, path.join(args.out, `${ds.name}.safetensors`));
    const held = ds.draw(5000, 1_000_000 + args.seed);
    td.viz.scatterPlot(held, { path: path.join(args.out, `${ds.name}-data.png`), xlim: ds.lim, ylim: ds.lim });
    trainer.withEma(() => {
      for (const n of NS) {
        for (const sampler of SAMPLERS) {
          const r = C.sample(model, { n: nSamples, steps: n, method: sampler, striding: 'quadratic', seed: 7 + args.seed });
          const row: Row = {
            data: ds.name, sampler, n,
            swd: td.metrics.slicedWasserstein(r.x, held, { projections: 256, seed: 1 }),
            inMode: ds.inMode(r.x, held),
          };
          results.push(row);
          td.viz.scatterPlot(r.x, { reference: held, path: path.join(args.out, `${ds.name}-${sampler}-N${n}.png`), xlim: ds.lim, ylim: ds.lim });
          console.log(`  ${ds.name} ${sampler.padEnd(4)} N=${String(n).padStart(3)}: SWD ${row.swd.toFixed(4)}  in-mode ${row.inMode.toFixed(3)}`);
          td.dispose(r);
        }
      }
    });
    // NLL bound (nats, 2-D) of 1000 held-out points by the probability-flow ODE, Hutchinson trace
    const nllData = ds.draw(1000, 2_000_000 + args.seed);
    const nll = trainer.withEma(() => C.nllBound(model, nllData, { seed: 3 + args.seed, steps: 100 }));
    nlls[ds.name] = nll.mean;
    console.log(`  ${ds.name} NLL bound (held-out, probability-flow ODE, 100 Heun steps, Hutchinson): ${nll.mean.toFixed(3)} nats`);
    td.dispose([nll.v0, nllData]);
    held.dispose();
    trainer.dispose();
    model.dispose();
  }
  const summary = { model: 'cld', steps, samples: nSamples, seconds: (Date.now() - t0) / 1000, nll: nlls, results };
  fs.writeFileSync(path.join(args.out, 'results.json'), JSON.stringify(summary, null, 2));
  console.log(`repro-cld: done in ${summary.seconds.toFixed(1)} s; wrote ${args.out}`);
  console.log(JSON.stringify({ model: 'cld', results }));
}

main();
