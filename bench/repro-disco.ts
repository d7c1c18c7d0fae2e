// repro-disco.ts — reproduction of the DisCo-Diff claim (Xu et al., ICML 2024; spec
// /work/shared/specs/disco-diff.md) at toy scale: discrete latents absorb the multimodal global
// structure, so the conditional probability-flow ODE is straighter and few-step sampling improves.
// For each data set a DisCo-Diff model (encoder + conditioned EDM denoiser, Gumbel-softmax, then an
// autoregressive prior on the frozen encoder's argmax codes) and the baseline (the same denoiser
// without latents) are trained with the same steps and seed, then sampled with EDM Heun at
// N ∈ {2, 4, 8, 16} noise levels (2N − 1 denoiser calls), latents drawn from the prior.
//
// Data: eightGaussians and diamond (2-D mixtures; MLP 3×128 SiLU denoiser, m = 1 latent over k = 16
// codes); MNIST 16×16 (small U-Net with added conditioning, m = 8 latents over k = 16 codes).
// Metrics per (data, N): sliced Wasserstein distance to held-out data (toys: 2-D points; MNIST:
// flattened 256-pixel images), trajectory curvature (lib/models/discoDiff/metrics.ts), and for
// MNIST the Fréchet distance on the shipped classifier's features (td.metrics.mnistFrechet).
// Toys: mutual information I(c; component) in bits of held-out points' argmax latents and their
// true mixture component (the nearest center), and the curvature of a fine 64-level ODE solve.
//
// Usage: node dist/bench/repro-disco.js [--quick] [--out DIR] [--steps K] [--mnist-steps K]
//        [--samples N] [--seed S] [--threads T] [--no-mnist]
// Writes DIR (default ./repro-disco-out): scatter PNGs / image grids, a checkpoint per model,
// results.json. The last stdout line is
// {"model":"discoDiff","results":[{data, n, swdDisco, swdBase, curvDisco, curvBase, ...}, ...]}.
import * as fs from 'fs';
import * as path from 'path';
import * as td from '../lib/index';
import * as D from '../lib/models/discoDiff';

interface Args { quick: boolean; out: string; steps: number | null; mnistSteps: number | null; samples: number | null; seed: number; threads: number | null; mnist: boolean }

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, out: './repro-disco-out', steps: null, mnistSteps: null, samples: null, seed: 0, threads: null, mnist: true };
  const known = '--quick, --out DIR, --steps K, --mnist-steps K, --samples N, --seed S, --threads T, --no-mnist';
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const val = (): string => {
      if (i + 1 >= argv.length) throw new RangeError(`repro-disco: ${k} needs a value`);
      return argv[++i];
    };
    const int = (s: string, min = 0): number => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < min) throw new RangeError(`repro-disco: ${k} must be an integer ≥ ${min}, got ${s}`);
      return n;
    };
    if (k === '--quick') a.quick = true;
    else if (k === '--out') a.out = val();
    else if (k === '--steps') a.steps = int(val(), 1);
    else if (k === '--mnist-steps') a.mnistSteps = int(val(), 1);
    else if (k === '--samples') a.samples = int(val(), 2);
    else if (k === '--seed') a.seed = int(val());
    else if (k === '--threads') a.threads = int(val(), 1);
    else if (k === '--no-mnist') a.mnist = false;
    else throw new RangeError(`repro-disco: unknown argument ${k} (known: ${known})`);
  }
  return a;
}

const NS = [2, 4, 8, 16];

interface Row {
  data: string; n: number; swdDisco: number; swdBase: number; curvDisco: number; curvBase: number;
  fdDisco?: number; fdBase?: number;
}

/** Index of the nearest center of every row of x [n, 2] (the mixture component; std 0.04 ≪ spacing). */
function nearestCenter(x: td.Tensor, centers: number[][]): number[] {
  const a = x.dataSync(), out: number[] = [];
  for (let i = 0; i < a.length / 2; i++) {
    let best = 0, bd = Infinity;
    centers.forEach((c, k) => {
      const d = (a[2 * i] - c[0]) ** 2 + (a[2 * i + 1] - c[1]) ** 2;
      if (d < bd) { bd = d; best = k; }
    });
    out.push(best);
  }
  return out;
}

const secs = (t0: number) => ((Date.now() - t0) / 1000).toFixed(1);

/** Train the stage-1 model (DisCo-Diff or baseline) and, with latents, the prior; save a checkpoint. */
function trainPair(name: string, cfg: D.DiscoDiffConfig, data: D.DataSource, tc: D.DiscoTrainConfig, steps: number, priorSteps: number, priorData: td.Tensor, out: string) {
  const model = new D.DiscoDiffModel(cfg);
  const trainer = new D.DiscoTrainer(model, data, tc);
  const t0 = Date.now();
  trainer.train(steps, {
    logEvery: Math.max(1, Math.floor(steps / 4)),
    onLog: (s, l) => console.log(`  ${name} step ${s}: loss ${l.toFixed(4)} τ ${trainer.tau(s - 1).toFixed(3)} (${secs(t0)} s)`),
  });
  trainer.ema.store();
  trainer.ema.copyTo(); // encode with the EMA weights
  let prior: D.ARPrior | null = null;
  let priorNll: number | null = null;
  if (model.m > 0) {
    const codes = model.encode(priorData);
    prior = new D.ARPrior({ latents: model.m, codebook: model.config.codebook, seed: tc.seed });
    const pt = new D.PriorTrainer(prior, codes, { seed: tc.seed, decaySteps: priorSteps });
    const ls = pt.train(priorSteps);
    priorNll = ls.slice(-50).reduce((s, v) => s + v, 0) / Math.min(50, ls.length);
    console.log(`  ${name} prior: ${priorSteps} steps, cross-entropy ${ls[0].toFixed(3)} → ${priorNll.toFixed(3)} nats/latent (log k = ${Math.log(model.config.codebook).toFixed(3)})`);
    pt.dispose();
    codes.dispose();
  }
  trainer.ema.restore();
  D.saveCheckpoint(trainer, path.join(out, `${name}.safetensors`), { prior }); // training weights + EMA + Adam + prior
  trainer.ema.copyTo(); // sample with the EMA weights from here on
  trainer.dispose();
  return { model, prior, priorNll, seconds: (Date.now() - t0) / 1000 };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  if (args.threads !== null) td.setNumThreads(args.threads);
  const steps = args.steps ?? (args.quick ? 3000 : 10000);
  const mnistSteps = args.mnistSteps ?? (args.quick ? 300 : 1500);
  const nToy = args.samples ?? (args.quick ? 2000 : 5000);
  const nMnist = args.samples ?? (args.quick ? 128 : 256);
  fs.mkdirSync(args.out, { recursive: true });
  const t0 = Date.now();
  const results: Row[] = [];
  const extra: Record<string, unknown> = {};
  console.log(`repro-disco: toys ${steps} steps (batch 256, Adam 1e-3, clip 1, EMA 0.999 power warm-up, τ 1 → 0.1), MNIST ${mnistSteps} steps (batch 32, lr 2e-3); ${nToy} toy / ${nMnist} MNIST samples; ${td.backend.info().cpu.threads} threads`);

  const toys = [
    { name: 'eightGaussians', mix: td.diffusion.eightGaussiansMixture(), draw: (n: number, s: number | bigint) => td.data.eightGaussians(n, { seed: s }), lim: [-1.5, 1.5] as [number, number] },
    { name: 'diamond', mix: td.diffusion.diamondMixture(), draw: (n: number, s: number | bigint) => td.data.diamond(n, { seed: s }), lim: [-1, 1] as [number, number] },
  ];
  for (const ds of toys) {
    const held = ds.draw(5000, 1_000_000 + args.seed);
    const priorData = ds.draw(10000, 3_000_000 + args.seed);
    const tc: D.DiscoTrainConfig = { seed: args.seed, batchSize: 256, annealSteps: steps };
    const disco = trainPair(`${ds.name}-disco`, { latents: 1, codebook: 16, seed: args.seed }, ds.draw, tc, steps, args.quick ? 500 : 2000, priorData, args.out);
    const base = trainPair(`${ds.name}-base`, { latents: 0, seed: args.seed }, ds.draw, tc, steps, 0, priorData, args.out);
    // mutual information of held-out points' argmax latents with their mixture component
    const codes = disco.model.encode(held);
    const ids = D.codeIds(codes.dataSync(), 1, 16);
    const mi = D.mutualInformation(ids, nearestCenter(held, ds.mix.centers));
    const used = new Set(ids).size;
    console.log(`  ${ds.name}: I(c; component) = ${mi.toFixed(3)} bits (ceiling log2 ${ds.mix.centers.length} = ${Math.log2(ds.mix.centers.length).toFixed(3)}), ${used} of 16 codes used`);
    codes.dispose();
    td.viz.scatterPlot(held, { path: path.join(args.out, `${ds.name}-data.png`), xlim: ds.lim, ylim: ds.lim });
    // the SWD's floor at this sample size: as many fresh data points against the held-out set
    const floors = [0, 1, 2].map((r) => {
      const fresh = ds.draw(nToy, 2_000_000 + 10 * args.seed + r);
      const v = td.metrics.slicedWasserstein(fresh, held, { projections: 256, seed: 1 });
      fresh.dispose();
      return v;
    });
    const swdFloor = floors.reduce((a, b) => a + b, 0) / 3;
    console.log(`  ${ds.name}: SWD of ${nToy} fresh data points to the held-out set (the floor; 3 draws): ${floors.map((v) => v.toFixed(4)).join(', ')}; mean ${swdFloor.toFixed(4)}`);
    for (const n of NS) {
      const rd = D.sample(disco.model, { n: nToy, steps: n, seed: 7 + args.seed, prior: disco.prior!, curvature: true });
      const rb = D.sample(base.model, { n: nToy, steps: n, seed: 7 + args.seed, curvature: true });
      const row: Row = {
        data: ds.name, n,
        swdDisco: td.metrics.slicedWasserstein(rd.x, held, { projections: 256, seed: 1 }),
        swdBase: td.metrics.slicedWasserstein(rb.x, held, { projections: 256, seed: 1 }),
        curvDisco: rd.curvature!, curvBase: rb.curvature!,
      };
      results.push(row);
      for (const [tag, r] of [['disco', rd], ['base', rb]] as const)
        td.viz.scatterPlot(r.x, { reference: held, path: path.join(args.out, `${ds.name}-${tag}-N${n}.png`), xlim: ds.lim, ylim: ds.lim });
      console.log(`  ${ds.name} N=${String(n).padStart(2)}: SWD disco ${row.swdDisco.toFixed(4)} base ${row.swdBase.toFixed(4)} | curvature disco ${row.curvDisco.toFixed(4)} base ${row.curvBase.toFixed(4)}`);
      td.dispose([rd.x, rd.codes, rb.x]);
    }
    // curvature of a fine (64-level) solve of the ODE
    const fd = D.sample(disco.model, { n: 1000, steps: 64, seed: 11 + args.seed, prior: disco.prior!, curvature: true });
    const fb = D.sample(base.model, { n: 1000, steps: 64, seed: 11 + args.seed, curvature: true });
    console.log(`  ${ds.name} ODE curvature (64 levels, 1000 paths): disco ${fd.curvature!.toFixed(4)} base ${fb.curvature!.toFixed(4)}`);
    extra[ds.name] = { swdFloor, mi, miCeiling: Math.log2(ds.mix.centers.length), codesUsed: used, priorNll: disco.priorNll, odeCurvDisco: fd.curvature, odeCurvBase: fb.curvature, trainSeconds: { disco: disco.seconds, base: base.seconds } };
    td.dispose([fd.x, fd.codes, fb.x, held, priorData]);
    disco.model.dispose();
    disco.prior?.dispose();
    base.model.dispose();
  }

  if (args.mnist) {
    const train = td.data.mnist({ size: 16, split: 'train' }).images; // [N, 1, 16, 16]
    const test = td.data.mnist({ size: 16, split: 'test' }).images;
    const tc: D.DiscoTrainConfig = { seed: args.seed, batchSize: 32, lr: 2e-3, annealSteps: mnistSteps };
    const img: D.DiscoDiffConfig = { kind: 'image', size: 16, base: 16, codebook: 16, seed: args.seed };
    const disco = trainPair('mnist-disco', { ...img, latents: 8 }, train, tc, mnistSteps, args.quick ? 300 : 1000, train, args.out);
    const base = trainPair('mnist-base', { ...img, latents: 0 }, train, tc, mnistSteps, 0, train, args.out);
    const flat = (x: td.Tensor) => td.reshape(x, [x.shape[0], -1]);
    const testFlat = flat(test);
    for (const n of NS) {
      const rd = D.sample(disco.model, { n: nMnist, steps: n, seed: 7 + args.seed, prior: disco.prior!, curvature: true });
      const rb = D.sample(base.model, { n: nMnist, steps: n, seed: 7 + args.seed, curvature: true });
      const xd = td.clamp(rd.x, -1, 1), xb = td.clamp(rb.x, -1, 1);
      const row: Row = {
        data: 'mnist', n,
        swdDisco: td.metrics.slicedWasserstein(flat(xd), testFlat, { projections: 256, seed: 1 }),
        swdBase: td.metrics.slicedWasserstein(flat(xb), testFlat, { projections: 256, seed: 1 }),
        curvDisco: rd.curvature!, curvBase: rb.curvature!,
        fdDisco: td.metrics.mnistFrechet(xd, test), fdBase: td.metrics.mnistFrechet(xb, test),
      };
      results.push(row);
      td.viz.imageGrid(td.narrow(xd, 0, 0, Math.min(64, nMnist)), path.join(args.out, `mnist-disco-N${n}.png`));
      td.viz.imageGrid(td.narrow(xb, 0, 0, Math.min(64, nMnist)), path.join(args.out, `mnist-base-N${n}.png`));
      console.log(`  mnist N=${String(n).padStart(2)}: Fréchet disco ${row.fdDisco!.toFixed(2)} base ${row.fdBase!.toFixed(2)} | SWD disco ${row.swdDisco.toFixed(4)} base ${row.swdBase.toFixed(4)} | curvature disco ${row.curvDisco.toFixed(4)} base ${row.curvBase.toFixed(4)}`);
      td.dispose([rd.x, rd.codes, rb.x, xd, xb]);
    }
    const fdTrain = td.metrics.mnistFrechet(td.narrow(train, 0, 0, nMnist), test);
    console.log(`  mnist: Fréchet distance of ${nMnist} training digits to the test set (the floor at this sample size): ${fdTrain.toFixed(2)}`);
    extra.mnist = { priorNll: disco.priorNll, fdTrainFloor: fdTrain, trainSeconds: { disco: disco.seconds, base: base.seconds } };
    disco.model.dispose();
    disco.prior?.dispose();
    base.model.dispose();
    td.dispose([train, test, testFlat]);
  }
  const summary = { model: 'discoDiff', steps, mnistSteps, samples: { toy: nToy, mnist: nMnist }, seconds: (Date.now() - t0) / 1000, extra, results };
  fs.writeFileSync(path.join(args.out, 'results.json'), JSON.stringify(summary, null, 2));
  console.log(`repro-disco: done in ${summary.seconds.toFixed(1)} s; wrote ${args.out}`);
  console.log(JSON.stringify({ model: 'discoDiff', results }));
}

main();
