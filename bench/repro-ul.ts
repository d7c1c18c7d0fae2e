// repro-ul.ts — reproduction of the Unified Latents trade-off at toy scale (spec
// /work/shared/specs/unified-latents.md, "What to reproduce"): on MNIST 16×16 with 4×4×4 latents,
// train stage 1 (encoder + diffusion prior + diffusion decoder, lib/models/ul) for several loss
// factors c and report the latent bitrate bound (bits per latent dim and per image), the held-out
// decoder loss and the reconstruction PSNR: raising c should raise both bitrate and PSNR. Then
// stage 2 (a larger base model on the frozen latents, sigmoid weighting) and two-stage samples for
// the middle c; and the VAE-LDM baseline (KL-VAE with a β sweep, then a latent diffusion model on the
// VAE whose KL is closest to the middle UL run): its KL in bits and PSNR, interpolated (linearly in
// bits) to the UL run's bitrate when the β sweep brackets it.
//
// Usage: node dist/bench/repro-ul.js [--quick] [--out DIR] [--steps K] [--seed S] [--threads N]
//        [--factors 1,3,10] [--betas 0.1,0.5,1,2]
// Writes DIR (default ./repro-ul-out): per-c reconstructions, UL and VAE-LDM sample grids, the stage-1
// checkpoint of the middle c, results.json. The last stdout line is
// {"model":"ul","runs":[{"lossFactor","bitsPerDim","psnr"}...],"baseline":{"bitsPerDim","psnr"}}.
import * as fs from 'fs';
import * as path from 'path';
import * as td from '../lib/index';
import * as U from '../lib/models/ul';

interface Args { quick: boolean; out: string; steps: number | null; seed: number; threads: number | null; factors: number[] | null; betas: number[] | null }

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, out: './repro-ul-out', steps: null, seed: 0, threads: null, factors: null, betas: null };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const val = (): string => {
      if (i + 1 >= argv.length) throw new RangeError(`repro-ul: ${k} needs a value`);
      return argv[++i];
    };
    const int = (s: string, min: number): number => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < min) throw new RangeError(`repro-ul: ${k} must be an integer ≥ ${min}, got ${s}`);
      return n;
    };
    const list = (s: string): number[] => {
      const v = s.split(',').map(Number);
      if (v.length < 1 || v.some((x) => !(x > 0) || !Number.isFinite(x))) throw new RangeError(`repro-ul: ${k} must be a comma-separated list of positive numbers, got ${s}`);
      return v;
    };
    if (k === '--quick') a.quick = true;
    else if (k === '--out') a.out = val();
    else if (k === '--steps') a.steps = int(val(), 1);
    else if (k === '--seed') a.seed = int(val(), 0);
    else if (k === '--threads') a.threads = int(val(), 1);
    else if (k === '--factors') a.factors = list(val());
    else if (k === '--betas') a.betas = list(val());
    else throw new RangeError(`repro-ul: unknown argument ${k} (known: --quick, --out DIR, --steps K, --seed S, --threads N, --factors a,b,c, --betas a,b,c)`);
  }
  return a;
}

/** The model sizes every run uses (small enough for a 2-core CPU). */
const UL_NETS: U.ULConfig = { encoderBase: 16, priorWidth: 32, priorDepth: 2, decoderBase: 16, groups: 8 };
const BASE_NET = { width: 64, depth: 3, groups: 8 }; // stage 2: larger than the prior (32 wide, 2 blocks)

interface ULRun { lossFactor: number; bitsPerDim: number; bitsPerImage: number; decoderLoss: number; psnr: number; seconds: number }
interface VAERun { beta: number; klBitsPerDim: number; klBitsPerImage: number; recon: number; psnr: number; seconds: number }

const fmt = (x: number, d = 3) => x.toFixed(d);

/** Held-out bound (nats per image, mean over 4 seeds) and decoder loss of a UL model on x. */
function evalBound(m: U.ULModel, x: td.Tensor, seed: number): { nats: number; decoder: number } {
  let p = 0, d = 0;
  for (let s = 0; s < 4; s++) {
    td.noGrad(() => td.tidy(() => {
      const zc = m.encode(x);
      p += U.priorLoss(m, zc, { seed: seed + s }).loss.item();
      d += U.decoderLoss(m, x, m.noisyLatent(zc, seed + 10 + s), { seed: seed + 20 + s }).loss.item();
    }));
  }
  return { nats: p / 4, decoder: d / 4 };
}

function psnrOf(recon: td.Tensor, x: td.Tensor): number {
  return td.metrics.psnr(recon, x);
}

/** PSNR at `bits` by linear interpolation in bits between the two bracketing VAE runs (null when not bracketed). */
function interpolate(runs: VAERun[], bits: number): number | null {
  const r = [...runs].sort((a, b) => a.klBitsPerImage - b.klBitsPerImage);
  for (let i = 0; i + 1 < r.length; i++) {
    const a = r[i], b = r[i + 1];
    if (bits >= a.klBitsPerImage && bits <= b.klBitsPerImage) {
      const w = b.klBitsPerImage === a.klBitsPerImage ? 0 : (bits - a.klBitsPerImage) / (b.klBitsPerImage - a.klBitsPerImage);
      return a.psnr + w * (b.psnr - a.psnr);
    }
  }
  return null;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  if (args.threads !== null) td.setNumThreads(args.threads);
  const q = args.quick;
  const steps = args.steps ?? (q ? 300 : 2000);
  const baseSteps = q ? 400 : 3000;
  const vaeSteps = steps;
  const factors = args.factors ?? [1, 3, 10];
  const betas = args.betas ?? [0.1, 0.5, 1, 2];
  const decSteps = q ? 16 : 32;
  const nPsnr = q ? 64 : 256;
  fs.mkdirSync(args.out, { recursive: true });
  const t0 = Date.now();
  const train = td.data.mnist({ size: 16, split: 'train' }).images; // [N, 1, 16, 16] in [−1, 1]
  const test = td.data.mnist({ size: 16, split: 'test', limit: 256 }).images;
  const testP = td.narrow(test, 0, 0, nPsnr);
  const logTest = td.narrow(test, 0, 0, 16);
  const latentDim = 64;
  console.log(`repro-ul: MNIST 16×16 (${train.shape[0]} train, ${test.shape[0]} test), latents 4×4×4; stage 1 ${steps} steps per c ∈ {${factors.join(', ')}}, batch 32, Adam 2e-3; ` +
    `PSNR of ${nPsnr} test reconstructions (decoder DDIM ${decSteps} steps); ${td.getNumThreads()} threads`);
  const runs: ULRun[] = [];
  const mid = factors[Math.floor(factors.length / 2)];
  let midModel: U.ULModel | null = null;
  for (const c of factors) {
    const tRun = Date.now();
    const m = new U.ULModel({ ...UL_NETS, lossFactor: c, seed: args.seed });
    const tr = new U.ULTrainer(m, train, { seed: args.seed, batchSize: 32 });
    tr.train(steps, {
      logEvery: Math.max(1, Math.floor(steps / 4)),
      onLog: (s, l) => {
        const b = U.bitsOf(l.prior, latentDim);
        const r = U.reconstruct(m, logTest, { steps: 8, seed: 5 });
        console.log(`  c=${c} step ${s}: loss ${fmt(l.loss, 2)}  bound ${fmt(b.bitsPerDim)} bits/dim (${fmt(b.bitsPerImage, 1)} bits/image)  decoder ${fmt(l.decoder, 2)}  ` +
          `PSNR(16 test, 8 steps) ${fmt(psnrOf(r, logTest), 2)} dB  (${fmt((Date.now() - tRun) / 1000, 1)} s)`);
        r.dispose();
      },
    });
    const ev = evalBound(m, test, 1000);
    const rec = U.reconstruct(m, testP, { steps: decSteps, seed: 7 + args.seed });
    const bits = U.bitsOf(ev.nats, latentDim);
    const run: ULRun = { lossFactor: c, bitsPerDim: bits.bitsPerDim, bitsPerImage: bits.bitsPerImage, decoderLoss: ev.decoder, psnr: psnrOf(rec, testP), seconds: (Date.now() - tRun) / 1000 };
    runs.push(run);
    td.viz.imageGrid(td.tidy(() => td.cat([td.narrow(testP, 0, 0, 16), td.narrow(rec, 0, 0, 16)], 0)), path.join(args.out, `ul-c${c}-recon.png`), { nrow: 16 });
    console.log(`UL c=${c}: held-out bound ${fmt(run.bitsPerDim)} bits/dim = ${fmt(run.bitsPerImage, 1)} bits/image, decoder loss ${fmt(run.decoderLoss, 2)}, PSNR ${fmt(run.psnr, 2)} dB (${fmt(run.seconds, 1)} s)`);
    rec.dispose();
    if (c === mid) {
      U.saveCheckpoint(tr, path.join(args.out, `ul-c${c}.safetensors`));
      midModel = m;
    } else m.dispose();
    tr.dispose();
  }

  // stage 2 on the middle run: frozen encoder; base model on z_clean over λ ∈ [λmin, 5]; samples end at z₀
  const m = midModel!;
  const tS2 = Date.now();
  const zc = td.noGrad(() => {
    const parts: td.Tensor[] = [];
    for (let i = 0; i < train.shape[0]; i += 512) parts.push(td.tidy(() => m.encode(td.narrow(train, 0, i, Math.min(512, train.shape[0] - i)))));
    const all = td.cat(parts, 0);
    td.dispose(parts);
    return all;
  });
  const base = new U.LatentDiffusion({ net: { ...BASE_NET, seed: args.seed + 10 }, lambdaMin: m.config.priorLambdaMin, lambdaMax: U.LAMBDA0, output: 'noisy' });
  const bt = new U.LatentTrainer(base, zc, { seed: args.seed + 1, batchSize: 64 });
  bt.train(baseSteps, { logEvery: Math.max(1, Math.floor(baseSteps / 4)), onLog: (s, l) => console.log(`  stage 2 (c=${mid}) step ${s}: sigmoid-weighted loss ${fmt(l.loss, 3)}`) });
  saveLatent(base, path.join(args.out, `ul-c${mid}-base.safetensors`));
  const smp = U.sample(m, base, { n: 64, baseSteps: 32, decoderSteps: decSteps, seed: 11 + args.seed });
  td.viz.imageGrid(smp.x, path.join(args.out, 'ul-samples.png'), { nrow: 8 });
  console.log(`UL stage 2 + sampling: ${baseSteps} steps, 64 samples → ul-samples.png (${fmt((Date.now() - tS2) / 1000, 1)} s)`);
  td.dispose([smp.x, smp.z0, zc]);
  bt.dispose();
  base.dispose();

  // VAE-LDM baseline: β sweep, then an LDM on the VAE closest in bits to the middle UL run
  const vruns: VAERun[] = [];
  const target = runs.find((r) => r.lossFactor === mid)!;
  let best: { v: U.VAEModel; d: number } | null = null;
  for (const beta of betas) {
    const tRun = Date.now();
    const v = new U.VAEModel({ encoderBase: 16, decoderBase: 16, beta, seed: args.seed });
    const tr = new U.VAETrainer(v, train, { seed: args.seed, batchSize: 32 });
    tr.train(vaeSteps, { logEvery: Math.max(1, Math.floor(vaeSteps / 2)), onLog: (s, l) => console.log(`  VAE β=${beta} step ${s}: recon ${fmt(l.recon, 2)}  KL ${fmt(l.kl / Math.LN2, 1)} bits/image`) });
    let kl = 0, recon = 0;
    for (let s = 0; s < 4; s++) td.noGrad(() => td.tidy(() => {
      const r = U.vaeLoss(v, test, { seed: 2000 + s });
      kl += r.kl.item() / 4;
      recon += r.recon.item() / 4;
    }));
    const rec = v.reconstruct(testP);
    const run: VAERun = { beta, klBitsPerImage: kl / Math.LN2, klBitsPerDim: kl / Math.LN2 / latentDim, recon, psnr: psnrOf(rec, testP), seconds: (Date.now() - tRun) / 1000 };
    vruns.push(run);
    console.log(`VAE β=${beta}: KL ${fmt(run.klBitsPerDim)} bits/dim = ${fmt(run.klBitsPerImage, 1)} bits/image, PSNR ${fmt(run.psnr, 2)} dB (${fmt(run.seconds, 1)} s)`);
    rec.dispose();
    tr.dispose();
    const dist = Math.abs(Math.log(run.klBitsPerImage / target.bitsPerImage));
    if (!best || dist < best.d) {
      best?.v.dispose();
      best = { v, d: dist };
    } else v.dispose();
  }
  const tLdm = Date.now();
  const vb = best!.v;
  const ps = U.posteriorSampler(vb, train);
  const ldm = new U.LatentDiffusion({ net: { ...BASE_NET, seed: args.seed + 20 } });
  const lt = new U.LatentTrainer(ldm, ps.sample, { seed: args.seed + 2, batchSize: 64 });
  lt.train(baseSteps, { logEvery: Math.max(1, Math.floor(baseSteps / 4)), onLog: (s, l) => console.log(`  LDM (β=${vb.config.beta}) step ${s}: sigmoid-weighted loss ${fmt(l.loss, 3)}`) });
  const zs = ldm.sample({ n: 64, steps: 32, seed: 13 + args.seed });
  const xs = td.noGrad(() => vb.decode(zs));
  td.viz.imageGrid(xs, path.join(args.out, 'vae-ldm-samples.png'), { nrow: 8 });
  const vrec = vb.reconstruct(testP);
  td.viz.imageGrid(td.tidy(() => td.cat([td.narrow(testP, 0, 0, 16), td.narrow(vrec, 0, 0, 16)], 0)), path.join(args.out, `vae-b${vb.config.beta}-recon.png`), { nrow: 16 });
  console.log(`VAE-LDM (β=${vb.config.beta}): ${baseSteps} LDM steps, 64 samples → vae-ldm-samples.png (${fmt((Date.now() - tLdm) / 1000, 1)} s)`);
  td.dispose([zs, xs, vrec]);
  ps.dispose();
  lt.dispose();
  ldm.dispose();
  vb.dispose();
  m.dispose();

  const interp = interpolate(vruns, target.bitsPerImage);
  const nearest = vruns.find((r) => r.beta === vb.config.beta)!;
  const baseline = interp !== null
    ? { bitsPerDim: target.bitsPerDim, psnr: interp, matched: 'interpolated', beta: null as number | null }
    : { bitsPerDim: nearest.klBitsPerDim, psnr: nearest.psnr, matched: 'nearest', beta: nearest.beta as number | null };
  console.log(`at ${fmt(target.bitsPerDim)} bits/dim (UL c=${mid}): UL PSNR ${fmt(target.psnr, 2)} dB vs VAE ${fmt(baseline.psnr, 2)} dB (${baseline.matched}${baseline.beta !== null ? `, β=${baseline.beta} at ${fmt(baseline.bitsPerDim)} bits/dim` : ''})`);
  const rising = runs.every((r, i) => i === 0 || (r.bitsPerDim > runs[i - 1].bitsPerDim && r.psnr > runs[i - 1].psnr));
  console.log(`trade-off: bitrate and PSNR ${rising ? 'both rise' : 'do NOT both rise'} with c over ${factors.join(' < ')}`);
  const seconds = (Date.now() - t0) / 1000;
  const summary = { model: 'ul', quick: q, steps, baseSteps, seconds, threads: td.getNumThreads(), runs, vae: vruns, baseline, tradeOffRises: rising };
  fs.writeFileSync(path.join(args.out, 'results.json'), JSON.stringify(summary, null, 2));
  console.log(`repro-ul: done in ${fmt(seconds, 1)} s; wrote ${args.out}`);
  console.log(JSON.stringify({
    model: 'ul',
    runs: runs.map((r) => ({ lossFactor: r.lossFactor, bitsPerDim: r.bitsPerDim, psnr: r.psnr })),
    baseline: { bitsPerDim: baseline.bitsPerDim, psnr: baseline.psnr },
  }));
}

function saveLatent(base: U.LatentDiffusion, p: string): void {
  U.saveLatentModel(base, p);
}

main();
