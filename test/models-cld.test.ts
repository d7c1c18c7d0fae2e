// models-cld.test.ts — the CLD-SGM model (lib/models/cld): the HSM loss at a known point against a
// plain-JS evaluation of the spec's formulas (kernel means/covariances/Cholesky written out here, the
// network re-run in JS from its state dict); a seeded short training run lowers a held-out loss;
// sampler shapes, nfe and seed determinism; checkpoint save → load → identical outputs and a resumed
// run that continues the same trajectory; the exact-score sampling checks (gmmScore plugged into the
// model's sampler entry point); the NLL bound (exact on Gaussian data, Hutchinson vs exact trace);
// argument errors.
import t from 'tap';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as td from '../lib/index';
import { cld as C } from '../lib/models/index';
import { throwsKind } from './helpers/check';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'td-cld-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Spec formulas (cld.md "Forward process"), written out independently of lib/diffusion/cld.ts. */
function specKernel(tt: number, o: { M: number; beta0: number; gamma: number; numEps: number }) {
  const G = 2 * Math.sqrt(o.M), B = o.beta0 * tt, sx = 0, sv = o.gamma * o.M, m = Math.exp(-4 * B / G);
  const e2 = Math.exp(-2 * B / G);
  const muX = e2 * (1 + 2 * B / G), muV = e2 * -B; // × x₀ (v₀ = 0)
  const xx = m * (sx + Math.exp(4 * B / G) - 1 + 4 * (B / G) * (sx - 1) + 4 * (B / G) ** 2 * (sx - 2) + 16 * B * B * sv / G ** 4) + o.numEps;
  const xv = m * (-B * sx + 4 * B * sv / G ** 2 - 2 * (B * B / G) * (sx - 2) - 8 * B * B * sv / G ** 3);
  const vvOf = (sxx: number) => m * ((G * G / 4) * (Math.exp(4 * B / G) - 1) + G * B - 4 * B * sv / G + 4 * B * B * sv / G ** 2 + sv + B * B * (sxx - 2)) + o.numEps;
  const vv = vvOf(sx);
  const l11 = Math.sqrt(xx), l21 = xv / l11, l22 = Math.sqrt(vv - l21 * l21);
  return { muX, muV, l11, l21, l22, ell: 1 / l22, vvN: vvOf(1), G, beta: o.beta0 };
}

/** The toy network re-run in plain JS from its state dict: [x, v, fourier(t)] → 4 × (Linear, SiLU) → Linear. */
function jsNet(sd: Record<string, td.Tensor>, layers: number) {
  const W = Array.from(sd['temb.W'].dataSync());
  const lin = Array.from({ length: layers + 1 }, (_, i) => ({ w: sd[`main.${i}.weight`], b: Array.from(sd[`main.${i}.bias`].dataSync()) }));
  return (x: number[], v: number[], tt: number): number[] => {
    let h = [...x, ...v, ...W.map((w) => Math.sin(2 * Math.PI * tt * w)), ...W.map((w) => Math.cos(2 * Math.PI * tt * w))];
    lin.forEach((l, i) => {
      const [o, n] = l.w.shape, wd = l.w.dataSync();
      const y = Array.from({ length: o }, (_, r) => { let s = l.b[r]; for (let c = 0; c < n; c++) s += wd[r * n + c] * h[c]; return s; });
      h = i < layers ? y.map((z) => z / (1 + Math.exp(-z))) : y;
    });
    return h;
  };
}

t.test('HSM loss at a known point matches the spec formulas evaluated in plain JS', async (tt) => {
  const x0Arr = [[0.3, -0.2], [-0.5, 0.1], [0.05, 0.4], [0.7, -0.6]];
  const times = [1e-5, 0.02, 0.3, 0.9];
  const x0 = td.tensor(x0Arr);
  const cfg = { M: 0.25, beta0: 4, gamma: 0.04, numEps: 1e-6 };
  for (const mixed of [false, true]) {
    for (const weighting of ['reweightedv2', 'likelihood'] as const) {
      const model = new C.CLDScoreModel({ net: { seed: 3, hidden: 16 }, mixed });
      const got = td.tidy(() => C.hsmLoss(model, x0, { seed: 42, t: times, weighting }).loss.item());
      // the same perturbation (same seed): x_t, v_t; ε recovered by inverting the spec's kernel
      const p = model.cld.perturb(x0, times, { seed: 42 });
      const xt = p.xt.toArray() as number[][], vt = p.vt.toArray() as number[][], epsLib = p.epsV.toArray() as number[][];
      const sd = model.net.stateDict();
      const f = jsNet(sd, 4);
      let want = 0;
      x0Arr.forEach((x0r, b) => {
        const k = specKernel(times[b], cfg);
        const alpha = f(xt[b], vt[b], Math.fround(times[b]));
        let sq = 0;
        for (let d = 0; d < 2; d++) {
          const ex = (xt[b][d] - k.muX * x0r[d]) / k.l11;
          const ev = (vt[b][d] - k.muV * x0r[d] - k.l21 * ex) / k.l22;
          if (d === 0 && b === 2) tt.ok(Math.abs(ev - epsLib[b][d]) < 1e-3, `ε_v recovered from the kernel (${ev} vs ${epsLib[b][d]})`);
          // s = −ℓα (plain) or −v/Σvvᴺ − ℓα (mixed); loss term (s/ℓ + ε_v)²
          const s = -k.ell * alpha[d] - (mixed ? vt[b][d] / k.vvN : 0);
          sq += (s / k.ell + ev) ** 2;
        }
        want += (weighting === 'likelihood' ? k.G * k.beta * k.ell ** 2 : 1) * sq;
      });
      want /= x0Arr.length;
      tt.ok(Math.abs(got - want) <= 2e-4 * Math.abs(want) + 1e-6, `mixed=${mixed} ${weighting}: loss ${got} vs JS ${want}`);
      td.dispose([p.xt, p.vt, p.epsV]);
      td.dispose(sd);
      model.dispose();
    }
  }
  x0.dispose();
});

t.test('scoreDiff: gradients w.r.t. v (plain and mixed) match central differences', async (tt) => {
  for (const mixed of [false, true]) {
    const model = new C.CLDScoreModel({ net: { seed: 6, hidden: 16, dtype: 'float64' }, mixed });
    const x = td.tensor([[0.2, -0.4], [0.5, 0.1]], { dtype: 'float64' });
    const v = td.tensor([[0.3, -0.1], [-0.2, 0.6]], { dtype: 'float64', requiresGrad: true });
    tt.ok(td.gradcheck((vv) => model.scoreDiff(x, vv, 0.05), [v]), `mixed=${mixed}: d s / d v`);
    td.dispose([x, v]);
    model.dispose();
  }
});

const diamondData = (n: number, seed: bigint) => td.data.diamond(n, { seed });

t.test('a short seeded training run lowers the held-out HSM loss', async (tt) => {
  const model = new C.CLDScoreModel({ net: { seed: 0 } });
  const tr = new C.CLDTrainer(model, diamondData, { seed: 7, batchSize: 256 });
  const held = td.data.diamond(1024, { seed: 12345 });
  const times = Array.from({ length: 1024 }, (_, i) => 1e-5 + (1 - 1e-5) * ((i + 0.5) / 1024));
  const evalLoss = () => td.tidy(() => td.noGrad(() => C.hsmLoss(model, held, { seed: 99, t: times }).loss.item()));
  const before = evalLoss();
  const before2 = evalLoss();
  tt.equal(before, before2, 'the loss is a function of (model, data, seed)');
  const first = tr.train(1); // creates the Adam state
  const mem0 = td.memory().tensors;
  const losses = [...first, ...tr.train(79)];
  tt.equal(td.memory().tensors, mem0, 'no tensors leak over 79 steps');
  const after = evalLoss();
  tt.comment(`held-out HSM loss ${before.toFixed(4)} → ${after.toFixed(4)}; batch loss ${losses[0].toFixed(3)} → ${losses[79].toFixed(3)}`);
  tt.ok(after < 0.7 * before, `held-out loss drops by > 30%: ${before} → ${after}`);
  tt.equal(tr.step, 80);
  tr.dispose();
  model.dispose();
  held.dispose();
});

t.test('a fixed data set: each batch is rows of it, the same for the same (seed, step)', async (tt) => {
  const model = new C.CLDScoreModel({ net: { seed: 0, hidden: 8 } });
  const data = td.data.diamond(300, { seed: 1 });
  const rows = new Set<string>();
  const dd = data.dataSync();
  for (let i = 0; i < 300; i++) rows.add(`${dd[2 * i]},${dd[2 * i + 1]}`);
  const a = new C.CLDTrainer(model, data, { batchSize: 64, seed: 9 }), b = new C.CLDTrainer(model, data, { batchSize: 64, seed: 9 });
  const ba = a.batch(4), bb = b.batch(4), b5 = a.batch(5);
  const x = ba.dataSync();
  let inData = true;
  for (let i = 0; i < 64; i++) inData &&= rows.has(`${x[2 * i]},${x[2 * i + 1]}`);
  tt.ok(inData, 'every batch row is a data row');
  tt.same(Array.from(bb.dataSync()), Array.from(x), 'same seed and step, same batch');
  tt.notSame(Array.from(b5.dataSync()), Array.from(x), 'next step, other batch');
  const l = a.train(3);
  tt.ok(l.every(Number.isFinite), 'trains on a fixed data set');
  td.dispose([ba, bb, b5, data]);
  a.dispose();
  b.dispose();
  model.dispose();
});

t.test('samplers: shapes, nfe, determinism under a seed', async (tt) => {
  const model = new C.CLDScoreModel({ net: { seed: 1, hidden: 32 } });
  for (const method of ['sscs', 'em', 'ode'] as const) {
    for (const striding of ['linear', 'quadratic'] as const) {
      const a = C.sample(model, { n: 64, steps: 6, method, striding, seed: 5 });
      const b = C.sample(model, { n: 64, steps: 6, method, striding, seed: 5 });
      const c = C.sample(model, { n: 64, steps: 6, method, striding, seed: 6 });
      tt.same(a.x.shape, [64, 2], `${method}/${striding}: x [64, 2]`);
      tt.same(a.v.shape, [64, 2], `${method}/${striding}: v [64, 2]`);
      tt.equal(a.nfe, method === 'ode' ? 11 : 6, `${method}: nfe`);
      tt.same(Array.from(a.x.dataSync()), Array.from(b.x.dataSync()), `${method}/${striding}: same seed, same x`);
      tt.same(Array.from(a.v.dataSync()), Array.from(b.v.dataSync()), `${method}/${striding}: same seed, same v`);
      tt.notSame(Array.from(a.x.dataSync()), Array.from(c.x.dataSync()), `${method}/${striding}: other seed, other x`);
      tt.ok(Array.from(a.x.dataSync()).every(Number.isFinite), `${method}/${striding}: finite`);
      td.dispose([a, b, c]);
    }
  }
  const s = C.sample(model, { shape: [10, 2], steps: 3, seed: 1, dtype: 'float64' });
  tt.equal(s.x.dtype, 'float64', 'float64 state');
  td.dispose(s);
  model.dispose();
});

t.test('checkpoint: save → load gives identical outputs; a resumed run continues the same trajectory', async (tt) => {
  const model = new C.CLDScoreModel({ net: { seed: 2, hidden: 32 }, mixed: true });
  const tr = new C.CLDTrainer(model, diamondData, { seed: 3, batchSize: 64, emaDecay: 0.9 });
  tr.train(15);
  const file = path.join(tmp, 'ckpt.safetensors');
  C.saveCheckpoint(tr, file);
  const x = td.tensor([[0.1, 0.2], [-0.3, 0.4]]), v = td.tensor([[0.0, -0.1], [0.2, 0.3]]);
  const emaOut = tr.withEma(() => Array.from(model.score(x, v, 0.25).dataSync()));
  const rawOut = Array.from(model.score(x, v, 0.25).dataSync());
  const loaded = C.loadModel(file);
  tt.same(Array.from(loaded.score(x, v, 0.25).dataSync()), emaOut, 'loadModel (EMA weights) reproduces the EMA model');
  tt.equal(loaded.mixed, true, 'mixed flag restored');
  const loadedRaw = C.loadModel(file, { ema: false });
  tt.same(Array.from(loadedRaw.score(x, v, 0.25).dataSync()), rawOut, 'loadModel({ema: false}) reproduces the training weights');
  tt.notSame(emaOut, rawOut, 'EMA and training weights differ');
  // continue the original and a resumed copy for 10 steps each
  const resumed = C.resumeTrainer(file, diamondData);
  tt.equal(resumed.step, 15, 'step restored');
  tt.same(resumed.config, tr.config, 'train config restored');
  const la = tr.train(10), lb = resumed.train(10);
  tt.same(lb, la, 'the resumed run has the same per-step losses');
  const pa = model.net.parameters().map((p) => Array.from(p.dataSync()));
  const pb = resumed.model.net.parameters().map((p) => Array.from(p.dataSync()));
  tt.same(pb, pa, 'and ends at the same parameters');
  const ea = tr.withEma(() => Array.from(model.score(x, v, 0.5).dataSync()));
  const eb = resumed.withEma(() => Array.from(resumed.model.score(x, v, 0.5).dataSync()));
  tt.same(eb, ea, 'and the same EMA');
  // a fresh trainer without the checkpoint's Adam state would diverge: the state matters
  const other = new C.CLDTrainer(C.loadModel(file, { ema: false }), diamondData, { seed: 3, batchSize: 64, emaDecay: 0.9 });
  other.step = 15;
  tt.notSame(other.train(10), la, 'without the optimizer state the trajectory differs');
  for (const m of [loaded, loadedRaw, other.model, resumed.model, model]) m.dispose();
  for (const r of [tr, resumed, other]) r.dispose();
  td.dispose([x, v]);
});

t.test('exact-score sampling through the model API (gmmScore into cld.sample)', async (tt) => {
  const proc = new td.diffusion.CLD();
  const mix = td.diffusion.diamondMixture();
  const score = td.diffusion.gmmScore(proc, mix);
  const r = 3 * 0.04 * Math.SQRT2;
  const share: Record<string, number> = {};
  for (const method of ['em', 'sscs'] as const) {
    const o = C.sample(score, { n: 3000, steps: 10, method, striding: 'quadratic', seed: 21, cld: proc });
    share[method] = td.diffusion.modeShare(o.x, mix.centers, r);
    td.dispose(o);
  }
  const ode = C.sample(score, { n: 3000, steps: 50, method: 'ode', striding: 'quadratic', seed: 21, cld: proc });
  share.ode = td.diffusion.modeShare(ode.x, mix.centers, r);
  td.dispose(ode);
  tt.comment(`diamond, exact score, quadratic, N=10: ${JSON.stringify(share)} (paper EM 0.35, SSCS 0.92; ODE at 50 Heun steps)`);
  tt.ok(share.sscs >= 0.85, `SSCS N=10 mode share ${share.sscs} ≥ 0.85`);
  tt.ok(share.sscs > share.em + 0.2, `SSCS ${share.sscs} beats EM ${share.em} at N=10`);
  tt.ok(share.ode >= 0.9, `probability-flow ODE (Heun, 50 steps) mode share ${share.ode} ≥ 0.9`);
  // Gaussian data N(0, 0.5² I): the ODE transports the prior to it; the sample variance is 0.25
  const g = C.sample(td.diffusion.gmmScore(proc, { centers: [[0, 0]], stds: [0.5], weights: [1] }),
    { n: 4000, steps: 60, method: 'ode', striding: 'quadratic', seed: 4, cld: proc });
  const a = g.x.dataSync();
  let m = 0, q = 0;
  for (const z of a) { m += z; q += z * z; }
  m /= a.length;
  const variance = q / a.length - m * m;
  tt.ok(Math.abs(variance / 0.25 - 1) < 0.06, `ODE on N(0, 0.25): variance ${variance.toFixed(4)}`);
  tt.ok(Math.abs(m) < 0.03, `ODE on N(0, 0.25): mean ${m.toFixed(4)}`);
  td.dispose(g);
});

t.test('NLL bound (probability-flow ODE, Heun): exact on Gaussian data; Hutchinson unbiased', async (tt) => {
  const proc = new td.diffusion.CLD();
  const sd = 0.5;
  // the exact score of N(0, sd² I) data, written with differentiable ops: s_v = (Σxv x − Σxx v)/det per dim
  const score = (x: td.Tensor, v: td.Tensor, time: number) => {
    const S = proc.cov(time, sd * sd, proc.sv0, 0), det = S.xx * S.vv - S.xv * S.xv;
    return td.sub(td.mul(x, S.xv / det), td.mul(v, S.xx / det));
  };
  const x0 = td.tidy(() => td.mul(td.randn([200, 2], { seed: 3, dtype: 'float64' }), sd));
  const r = C.nllBound(score, x0, { seed: 1, steps: 200, trace: 'exact', cld: proc });
  // independent: −log p_ε(x₀, v₀) + log q(v₀) from the 2×2 Gaussian of p_ε, and −log N(x₀; 0, sd²)
  const S = proc.cov(1e-5, sd * sd, proc.sv0, 0), det = S.xx * S.vv - S.xv * S.xv;
  const xd = x0.dataSync(), vd = r.v0.dataSync();
  let maxErr = 0, meanFormula = 0, meanTrue = 0;
  for (let b = 0; b < 200; b++) {
    let lp = 0, lq = 0;
    for (let d = 0; d < 2; d++) {
      const x = xd[2 * b + d], v = vd[2 * b + d];
      lp += -0.5 * (S.vv * x * x - 2 * S.xv * x * v + S.xx * v * v) / det - 0.5 * Math.log((2 * Math.PI) ** 2 * det);
      lq += -0.5 * v * v / proc.sv0 - 0.5 * Math.log(2 * Math.PI * proc.sv0);
      meanTrue += (0.5 * x * x / (sd * sd) + 0.5 * Math.log(2 * Math.PI * sd * sd)) / 200;
    }
    maxErr = Math.max(maxErr, Math.abs(-lp + lq - r.nll[b]));
    meanFormula += (-lp + lq) / 200;
  }
  tt.comment(`Gaussian data: ODE bound ${r.mean.toFixed(4)} nats, closed form ${meanFormula.toFixed(4)}, −log p(x₀) ${meanTrue.toFixed(4)}`);
  tt.ok(maxErr < 0.06, `per-sample bound within 0.06 nats of the closed form (max ${maxErr.toFixed(4)})`);
  tt.ok(Math.abs(r.mean - meanTrue) < 0.01, `the bound is tight for the exact score: ${r.mean} vs ${meanTrue}`);
  r.v0.dispose();
  // a score with a non-symmetric, non-diagonal ∂s/∂v (trace −4 + cross terms that Rademacher probes
  // pick up as noise): Hutchinson's estimate agrees with the exact trace on average
  const cross = (x: td.Tensor, v: td.Tensor) => {
    const va = td.narrow(v, 1, 0, 1), vb = td.narrow(v, 1, 1, 1);
    return td.cat([td.add(td.add(td.mul(va, -2), td.mul(td.tanh(vb), 1.5)), td.mul(td.narrow(x, 1, 0, 1), 0.1)), td.sub(td.mul(vb, -2), td.mul(td.sin(va), 1.2))], 1);
  };
  const xc = td.tidy(() => td.mul(td.randn([400, 2], { seed: 5, dtype: 'float64' }), 0.3));
  const ex = C.nllBound(cross, xc, { seed: 2, steps: 10, trace: 'exact', cld: proc });
  const hu = C.nllBound(cross, xc, { seed: 2, steps: 10, trace: 'hutchinson', cld: proc });
  const diffs = Array.from(ex.nll, (y, i) => hu.nll[i] - y);
  const md = diffs.reduce((a, y) => a + y, 0) / diffs.length;
  const se = Math.sqrt(diffs.reduce((a, y) => a + (y - md) ** 2, 0) / (diffs.length - 1) / diffs.length);
  tt.ok(se > 1e-3, `the Hutchinson estimate is noisy here (per-sample differences, SE ${se.toFixed(4)})`);
  tt.ok(Math.abs(md) < 4 * se, `Hutchinson − exact: ${md.toFixed(4)} ± ${se.toFixed(4)} nats (unbiased)`);
  // a model: its parameters get no gradient from the bound and stay trainable
  const model = new C.CLDScoreModel({ net: { seed: 4, hidden: 32 }, mixed: true });
  const xm = td.data.diamond(50, { seed: 8 });
  const nm = C.nllBound(model, xm, { seed: 2, steps: 5 });
  tt.ok(nm.nll.every(Number.isFinite), 'model bound is finite');
  tt.ok(model.net.parameters().every((p) => p.grad === null && p.requiresGrad), 'the parameters get no gradient and stay trainable');
  td.dispose([nm.v0, xc]);
  td.dispose([ex.v0, hu.v0, x0, xm]);
  model.dispose();
});

t.test('argument errors', async (tt) => {
  const model = new C.CLDScoreModel({ net: { seed: 0, hidden: 8 } });
  const x3 = td.zeros([4, 3]), x2 = td.zeros([4, 2]), xi = td.zeros([4, 2], { dtype: 'int32' });
  throwsKind(tt, () => C.hsmLoss(model, x3), RangeError, 'hsmLoss: wrong feature size');
  throwsKind(tt, () => C.hsmLoss(model, xi), TypeError, 'hsmLoss: int32 data');
  throwsKind(tt, () => C.hsmLoss(model, x2, { weighting: 'bogus' as never }), TypeError, 'hsmLoss: unknown weighting');
  throwsKind(tt, () => C.hsmLoss(model, x2, { t: [0.1, 0.2] }), RangeError, 'hsmLoss: t of the wrong length');
  throwsKind(tt, () => C.hsmLoss({} as never, x2), TypeError, 'hsmLoss: not a model');
  throwsKind(tt, () => C.sample(model, { n: 4, steps: 1, seed: 0 }), RangeError, 'sample: steps < 2');
  throwsKind(tt, () => C.sample(model, { n: 0, steps: 4, seed: 0 }), RangeError, 'sample: n = 0');
  throwsKind(tt, () => C.sample(model, { n: 4, steps: 4, seed: 0, method: 'rk4' as never }), TypeError, 'sample: unknown method');
  throwsKind(tt, () => C.sample(model, { n: 4, steps: 4 } as never), TypeError, 'sample: no seed');
  throwsKind(tt, () => C.sample(42 as never, { n: 4, steps: 4, seed: 0 }), TypeError, 'sample: bad source');
  throwsKind(tt, () => C.sample(model, { n: 4, steps: 4, seed: 0, method: 'ode', eps_s: 2 }), RangeError, 'sample: eps_s outside (0, T)');
  throwsKind(tt, () => C.sample(() => td.zeros([3, 2]), { n: 4, steps: 4, seed: 0 }), TypeError, 'sample: score of the wrong shape');
  throwsKind(tt, () => C.sample(() => td.zeros([3, 2]), { n: 4, steps: 4, seed: 0, method: 'ode' }), TypeError, 'sample (ode): score of the wrong shape');
  throwsKind(tt, () => model.score(x2, x2, 1.5), RangeError, 'score: t > T');
  throwsKind(tt, () => model.net.forward(x2, x2, td.zeros([3])), RangeError, 'net: t of the wrong length');
  throwsKind(tt, () => new C.CLDToyNet({ fourierDim: 3 }), RangeError, 'net: odd fourierDim');
  throwsKind(tt, () => new C.CLDToyNet({ timeFeatures: 'x' as never }), TypeError, 'net: unknown time features');
  throwsKind(tt, () => new C.CLDScoreModel({ cld: { Gamma: 3 } }), RangeError, 'model: not critically damped');
  throwsKind(tt, () => new C.CLDTrainer(model, x2, { lr: -1 }), RangeError, 'trainer: lr < 0');
  throwsKind(tt, () => new C.CLDTrainer(model, x2, { emaWarmup: 'cosine' as never }), TypeError, 'trainer: unknown EMA warm-up');
  throwsKind(tt, () => C.nllBound(model, x2, { seed: 0, trace: 'rademacher' as never }), TypeError, 'nllBound: unknown trace');
  throwsKind(tt, () => C.nllBound(model, x3, { seed: 0 }), RangeError, 'nllBound: wrong feature size');
  throwsKind(tt, () => C.nllBound(model, x2, { seed: 0, steps: 0 }), RangeError, 'nllBound: steps < 1');
  throwsKind(tt, () => C.nllBound((x) => td.mul(x, 2), x2, { seed: 0, steps: 1 }), TypeError, 'nllBound: score independent of v');
  throwsKind(tt, () => new C.CLDTrainer(model, x3), RangeError, 'trainer: data of the wrong width');
  const bad = new C.CLDTrainer(model, () => td.zeros([5, 2]), { batchSize: 4 });
  throwsKind(tt, () => bad.trainStep(), TypeError, 'trainer: sampler returns the wrong batch');
  bad.dispose();
  const plain = path.join(tmp, 'plain.safetensors');
  td.io.save({ a: td.zeros([2]) }, plain);
  throwsKind(tt, () => C.loadModel(plain), TypeError, 'loadModel: not a CLD checkpoint');
  throwsKind(tt, () => C.resumeTrainer(plain, x2), TypeError, 'resumeTrainer: not a CLD checkpoint');
  throwsKind(tt, () => C.loadModel(path.join(tmp, 'missing.safetensors')), Error, 'loadModel: missing file');
  td.dispose([x3, x2, xi]);
  model.dispose();
});
