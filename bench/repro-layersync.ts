// repro-layersync.ts — toy-scale reproduction of LayerSync (arXiv 2510.12581; spec
// /work/shared/specs/layersync.md "What to reproduce"): train the same small SiT (lib/models/layerSync)
// on 16×16 MNIST with λ = 0 (baseline) and λ = 0.2 (LayerSync, block 2 → block 4 of 6) for the same
// steps and seeds (same batches, noise, times and label dropout at every step), and report over
// training:
//   - the flow-matching loss (training, mean over each evaluation window) and a held-out L_FM (EMA
//     weights, 256 test digits with fixed noise and times);
//   - sample quality: the Fréchet distance of td.metrics.mnistFeatures (the shipped classifier's
//     64-d penultimate features) between `samples` EMA samples (Heun, 10 steps, CFG scale 1, fixed
//     seed, labels b mod 10, clamped to [−1, 1]) and the 1666-digit test split — lower is better;
//   - each block's mean cosine alignment to the guide block (EMA weights, the held-out batch).
// "Steps to reach the baseline's final quality": the first evaluated step whose Fréchet distance is
// ≤ the baseline's final one, linearly interpolated between that evaluation and the one before
// (the first evaluation's step when it already qualifies; null when never reached);
// speedup = baseline steps / LayerSync steps.
//
// Usage: node dist/bench/repro-layersync.js [--quick] [--out DIR] [--steps K] [--evals E]
//        [--samples N] [--seed S] [--lambda L] [--batch B] [--lr LR] [--threads T]
// Writes DIR (default ./repro-layersync-out): results.json, sample grids, quality.png, a checkpoint
// per run. The last stdout line is
// {"model":"layerSync","baseline":{"steps","quality"},"layerSync":{"steps","quality"},"speedup"}.
import * as fs from 'fs';
import * as path from 'path';
import * as td from '../lib/index';
import * as LS from '../lib/models/layerSync';

interface Args {
  quick: boolean; out: string; steps: number | null; evals: number; samples: number | null;
  seed: number; lambda: number; batch: number; lr: number; threads: number | null;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, out: './repro-layersync-out', steps: null, evals: 5, samples: null, seed: 0, lambda: 0.2, batch: 64, lr: 5e-4, threads: null };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const val = (): string => {
      if (i + 1 >= argv.length) throw new RangeError(`repro-layersync: ${k} needs a value`);
      return argv[++i];
    };
    const int = (s: string, min: number): number => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < min) throw new RangeError(`repro-layersync: ${k} must be an integer ≥ ${min}, got ${s}`);
      return n;
    };
    const pos = (s: string): number => {
      const n = Number(s);
      if (!Number.isFinite(n) || n < 0) throw new RangeError(`repro-layersync: ${k} must be a number ≥ 0, got ${s}`);
      return n;
    };
    if (k === '--quick') a.quick = true;
    else if (k === '--out') a.out = val();
    else if (k === '--steps') a.steps = int(val(), 1);
    else if (k === '--evals') a.evals = int(val(), 1);
    else if (k === '--samples') a.samples = int(val(), 2);
    else if (k === '--seed') a.seed = int(val(), 0);
    else if (k === '--lambda') a.lambda = pos(val());
    else if (k === '--batch') a.batch = int(val(), 1);
    else if (k === '--lr') a.lr = pos(val());
    else if (k === '--threads') a.threads = int(val(), 1);
    else throw new RangeError(`repro-layersync: unknown argument ${k} (known: --quick, --out DIR, --steps K, --evals E, --samples N, --seed S, --lambda L, --batch B, --lr LR, --threads T)`);
  }
  return a;
}

/** The model every run uses (only λ differs between runs). */
const MODEL: LS.SiTConfig = { inputSize: 16, patchSize: 4, inChannels: 1, hiddenSize: 128, depth: 6, numHeads: 4, numClasses: 10, classDropoutProb: 0.1 };
const SAMPLER = { method: 'heun' as const, steps: 10, cfgScale: 1 };

interface Eval {
  step: number;
  /** Mean training L_FM since the previous evaluation. */
  trainFm: number;
  /** Mean training L_reg since the previous evaluation (measured for λ = 0 too). */
  trainReg: number;
  /** Held-out L_FM with the EMA weights. */
  heldOutFm: number;
  /** Fréchet distance of the classifier features (lower is better). */
  quality: number;
  /** Mean cosine of each block's output to the guide block's, blocks 1..depth. */
  alignment: number[];
}

interface Run { lambda: number; weakBlock: number; guideBlock: number; evals: Eval[]; seconds: number }

/** The first (interpolated) step at which quality ≤ target, or null. */
export function stepsToReach(evals: readonly { step: number; quality: number }[], target: number): number | null {
  for (let i = 0; i < evals.length; i++) {
    if (evals[i].quality <= target) {
      if (i === 0) return evals[0].step;
      const a = evals[i - 1], b = evals[i];
      const f = (a.quality - target) / (a.quality - b.quality); // a.quality > target ≥ b.quality
      return a.step + f * (b.step - a.step);
    }
  }
  return null;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  if (args.threads !== null) td.setNumThreads(args.threads);
  const steps = args.steps ?? (args.quick ? 600 : 2000);
  const nSamples = args.samples ?? (args.quick ? 256 : 500);
  const evalEvery = Math.max(1, Math.floor(steps / args.evals));
  const evalSteps = Array.from({ length: args.evals }, (_, i) => (i === args.evals - 1 ? steps : (i + 1) * evalEvery));
  fs.mkdirSync(args.out, { recursive: true });
  const t0 = Date.now();
  const train = td.data.mnist({ size: 16, split: 'train' });
  const test = td.data.mnist({ size: 16, split: 'test' });
  // held-out probe: 256 test digits with fixed noise and evenly spread times
  const nProbe = Math.min(256, test.images.shape[0]);
  const probeX = td.narrow(test.images, 0, 0, nProbe);
  const probeY = td.narrow(test.labels, 0, 0, nProbe);
  const probeT = Array.from({ length: nProbe }, (_, i) => (i + 0.5) / nProbe);
  const probeNoise = td.randn(probeX.shape, { seed: 9_000_000 + args.seed });
  const info = td.backend.info();
  const pair = LS.defaultLayerSyncPair(MODEL.depth!);
  console.log(
    `repro-layersync: SiT depth ${MODEL.depth}, width ${MODEL.hiddenSize}, ${MODEL.numHeads} heads, patch ${MODEL.patchSize} on 16×16 MNIST (${train.images.shape[0]} train digits); ` +
      `${steps} steps, batch ${args.batch}, AdamW ${args.lr}, EMA 0.999 (power warm-up); λ ∈ {0, ${args.lambda}}, block ${pair.weakBlock} → ${pair.guideBlock}; ` +
      `evaluations at ${evalSteps.join(', ')} (${nSamples} samples, ${SAMPLER.method} ${SAMPLER.steps} steps); ${info.cpu.threads} threads`,
  );
  const runs: Run[] = [];
  for (const lambda of [0, args.lambda]) {
    const tag = lambda === 0 ? 'baseline' : 'layerSync';
    const model = new LS.SiT({ ...MODEL, seed: args.seed });
    const trainer = new LS.LayerSyncTrainer(model, train, { lambda, batchSize: args.batch, lr: args.lr, seed: args.seed, ...pair });
    const evals: Eval[] = [];
    const tRun = Date.now();
    let accFm = 0, accReg = 0, cnt = 0;
    for (const target of evalSteps) {
      trainer.train(target - trainer.step, { onStep: (_s, l) => { accFm += l.fm; accReg += l.reg; cnt++; } });
      const e = trainer.withEma(() => {
        const probe = td.noGrad(() =>
          td.tidy(() => {
            const tt = td.tensor(probeT);
            const { xt, ut } = LS.interpolant(probeNoise, probeX, tt);
            const out = model.forwardWithBlocks(xt, tt, probeY);
            return { fm: td.mseLoss(out.velocity, ut).item(), alignment: LS.layerAlignment(out.blocks, pair.guideBlock) };
          }),
        );
        const x = LS.sample(model, { n: nSamples, ...SAMPLER, seed: 12345 + args.seed });
        const xc = td.clamp(x, -1, 1);
        const quality = td.metrics.mnistFrechet(xc, test.images);
        if (target === steps) td.viz.imageGrid(td.narrow(xc, 0, 0, Math.min(100, nSamples)), path.join(args.out, `${tag}-samples.png`), { nrow: 10 });
        td.dispose([x, xc]);
        return { step: target, trainFm: accFm / cnt, trainReg: accReg / cnt, heldOutFm: probe.fm, quality, alignment: probe.alignment };
      });
      accFm = accReg = cnt = 0;
      evals.push(e);
      console.log(
        `  ${tag.padEnd(9)} step ${String(e.step).padStart(5)}: train L_FM ${e.trainFm.toFixed(4)}  L_reg ${e.trainReg.toFixed(3)}  held-out L_FM ${e.heldOutFm.toFixed(4)}  ` +
          `FD ${e.quality.toFixed(2)}  align→${pair.guideBlock} [${e.alignment.map((a) => a.toFixed(2)).join(' ')}]  (${((Date.now() - tRun) / 1000).toFixed(0)} s)`,
      );
    }
    LS.saveCheckpoint(trainer, path.join(args.out, `${tag}.safetensors`));
    runs.push({ lambda, ...pair, evals, seconds: (Date.now() - tRun) / 1000 });
    trainer.dispose();
    model.dispose();
  }
  const [base, ls] = runs;
  const target = base.evals[base.evals.length - 1].quality;
  const bSteps = stepsToReach(base.evals, target), lSteps = stepsToReach(ls.evals, target);
  const speedup = bSteps !== null && lSteps !== null && lSteps > 0 ? bSteps / lSteps : null;
  td.viz.linePlot(
    runs.map((r) => ({ name: r.lambda === 0 ? 'baseline' : 'layerSync', values: r.evals.map((e) => e.quality) })),
    { path: path.join(args.out, 'quality.png') },
  );
  const round = (v: number | null, d: number): number | null => (v === null ? null : Number(v.toFixed(d)));
  const final = {
    model: 'layerSync',
    baseline: { steps: round(bSteps, 1), quality: round(target, 3) },
    layerSync: { steps: round(lSteps, 1), quality: round(ls.evals[ls.evals.length - 1].quality, 3) },
    speedup: round(speedup, 3),
  };
  const summary = {
    ...final, config: { model: MODEL, sampler: SAMPLER, steps, batch: args.batch, lr: args.lr, seed: args.seed, samples: nSamples, threads: info.cpu.threads },
    seconds: (Date.now() - t0) / 1000, runs,
  };
  fs.writeFileSync(path.join(args.out, 'results.json'), JSON.stringify(summary, null, 2));
  td.dispose([train.images, train.labels, test.images, test.labels, probeX, probeY, probeNoise]);
  console.log(`repro-layersync: done in ${summary.seconds.toFixed(1)} s; wrote ${args.out}`);
  console.log(JSON.stringify(final));
}

if (require.main === module) main();
