// models-disco-train.test.ts — DisCo-Diff training and sampling (lib/models/discoDiff): a seeded
// short run on 8 Gaussians makes the latents informative about the mixture component (mutual
// information from held-out points) and lowers the loss below the baseline's; determinism (the same
// seed gives bit-identical losses, weights and samples; step k depends on (seed, k) alone, so a run
// resumed from a checkpoint continues the uninterrupted one bit for bit); loadModel restores the EMA
// weights and the prior; no tensor leaks over training steps; the image model's shapes and one step.
import t from 'tap';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as td from '../lib/index';
import * as D from '../lib/models/discoDiff';
import { arr } from './helpers/check';

td.setNumThreads(1);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'td-disco-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

const draw = (n: number, seed: number | bigint) => td.data.eightGaussians(n, { seed });
const centers = td.diffusion.eightGaussiansMixture().centers;
const comp = (x: td.Tensor) => {
  const a = arr(x), out: number[] = [];
  for (let i = 0; i < a.length / 2; i++) {
    let best = 0, bd = Infinity;
    centers.forEach((c, k) => { const d = (a[2 * i] - c[0]) ** 2 + (a[2 * i + 1] - c[1]) ** 2; if (d < bd) { bd = d; best = k; } });
    out.push(best);
  }
  return out;
};

t.test('a short seeded run: the latents carry the mixture component; loss below the baseline', (tt) => {
  const cfg = { codebook: 8, hidden: 64, layers: 2, seed: 0 };
  const tc = { seed: 0, batchSize: 128, annealSteps: 400, tauEnd: 0.2 };
  const model = new D.DiscoDiffModel({ ...cfg, latents: 1 });
  const base = new D.DiscoDiffModel({ ...cfg, latents: 0 });
  const tr = new D.DiscoTrainer(model, draw, tc), tb = new D.DiscoTrainer(base, draw, tc);
  const held = draw(2000, 99);
  const first = [tr.train(1), tb.train(1)]; // creates the Adam state
  const mem0 = td.memory().tensors;
  const ld = [...first[0], ...tr.train(399)], lb = [...first[1], ...tb.train(399)];
  tt.equal(td.memory().tensors, mem0, `no tensors leak over 2 × 399 training steps (${td.memory().tensors - mem0} more)`);
  const mean = (a: number[]) => a.slice(-100).reduce((s, v) => s + v, 0) / 100;
  tt.ok(mean(ld) < 0.6 * mean(lb), `DisCo loss ${mean(ld).toFixed(3)} < 0.6 × baseline ${mean(lb).toFixed(3)} (last 100 steps)`);
  const mi = tr.withEma(() => D.mutualInformation(arr(model.encode(held)), comp(held)));
  tt.ok(mi > 2, `I(c; component) = ${mi.toFixed(3)} bits > 2 (ceiling 3)`);
  // few-step sampling with the encoder's own codes of held-out points; the ODE is straighter
  const codes = tr.withEma(() => model.encode(held));
  const sd = tr.withEma(() => D.sample(model, { n: 2000, steps: 8, seed: 3, codes, curvature: true }));
  const sb = tb.withEma(() => D.sample(base, { n: 2000, steps: 8, seed: 3, curvature: true }));
  tt.ok(sd.curvature! < sb.curvature!, `curvature (8 levels) DisCo ${sd.curvature!.toFixed(3)} < baseline ${sb.curvature!.toFixed(3)}`);
  tr.dispose();
  tb.dispose();
  tt.end();
});

t.test('determinism: same seed → identical losses, weights and samples; resume = uninterrupted run', (tt) => {
  const cfg = { latents: 2, codebook: 4, hidden: 16, layers: 2, seed: 5 };
  const tc = { seed: 3, batchSize: 32, annealSteps: 20, hardFrom: 10 };
  const run = (steps: number) => {
    const m = new D.DiscoDiffModel(cfg);
    const tr = new D.DiscoTrainer(m, draw, tc);
    return { m, tr, losses: tr.train(steps) };
  };
  const a = run(20), b = run(20);
  tt.same(a.losses, b.losses, 'identical per-step losses (soft then straight-through latents)');
  const wa = a.m.parameters().map(arr).flat(), wb = b.m.parameters().map(arr).flat();
  tt.same(wa, wb, 'identical weights');
  const codes = td.tensor(Int32Array.from({ length: 40 }, (_, i) => i % 4), { shape: [20, 2], dtype: 'int32' });
  const s1 = arr(D.sample(a.m, { n: 20, steps: 4, seed: 9, codes }).x), s2 = arr(D.sample(b.m, { n: 20, steps: 4, seed: 9, codes }).x);
  tt.same(s1, s2, 'identical samples for the same seed');
  tt.notSame(arr(D.sample(a.m, { n: 20, steps: 4, seed: 10, codes }).x), s1, 'another seed → other samples');
  const c = run(0);
  tt.same(c.tr.train(1), a.losses.slice(0, 1), 'step 0 of a fresh trainer = step 0 of the first run');
  // resume: 12 steps, checkpoint, resume, 8 more = 20 uninterrupted
  const r = run(12);
  const prior = new D.ARPrior({ latents: 2, codebook: 4, dim: 8, heads: 2, layers: 1, seed: 1 });
  const file = path.join(tmp, 'disco.safetensors');
  D.saveCheckpoint(r.tr, file, { prior });
  const resumed = D.resumeTrainer(file, draw);
  tt.equal(resumed.step, 12, 'resumed at step 12');
  const rest = resumed.train(8);
  tt.same([...r.losses, ...rest], a.losses, 'resumed losses = uninterrupted run, bit for bit');
  tt.same(resumed.model.parameters().map(arr).flat(), wa, 'resumed weights = uninterrupted weights');
  // loadModel: EMA weights and the prior
  D.saveCheckpoint(a.tr, file, { prior });
  const { model: ema, prior: p2 } = D.loadModel(file);
  const x = draw(16, 4);
  const want = a.tr.withEma(() => arr(a.m.denoise(x, 0.7, td.narrow(codes, 0, 0, 16))));
  tt.same(arr(ema.denoise(x, 0.7, td.narrow(codes, 0, 0, 16))), want, 'loadModel gives the EMA weights');
  tt.same(arr(p2!.forward(td.narrow(codes, 0, 0, 5))), arr(prior.forward(td.narrow(codes, 0, 0, 5))), 'loadModel restores the prior');
  const { model: raw } = D.loadModel(file, { ema: false });
  tt.same(arr(raw.denoise(x, 0.7, td.narrow(codes, 0, 0, 16))), arr(a.m.denoise(x, 0.7, td.narrow(codes, 0, 0, 16))), 'ema: false gives the training weights');
  fs.writeFileSync(path.join(tmp, 'junk.safetensors'), Buffer.from([1, 2, 3]));
  tt.throws(() => D.loadModel(path.join(tmp, 'junk.safetensors')), 'a corrupt file throws');
  for (const o of [a, b, c, r]) o.tr.dispose();
  resumed.dispose();
  tt.end();
});

t.test('image model: shapes, one training step, sampling with codes; prior-driven sample', (tt) => {
  const model = new D.DiscoDiffModel({ kind: 'image', size: 8, base: 8, latents: 3, codebook: 4, encoderHidden: 16, seed: 0 });
  const x = td.mul(td.rand([4, 1, 8, 8], { seed: 1 }), 2);
  tt.same(model.logits(x).shape, [4, 3, 4], 'encoder logits [B, m, k]');
  tt.same(arr(model.encode(x)).every((v) => v >= 0 && v < 4), true, 'argmax codes in [0, k)');
  tt.same(model.denoise(x, 0.5, model.encode(x)).shape, [4, 1, 8, 8], 'denoiser keeps the image shape');
  const tr = new D.DiscoTrainer(model, td.sub(x, 1), { batchSize: 4, seed: 0 });
  const l = tr.train(1); // creates the Adam state
  const mem0 = td.memory().tensors;
  l.push(...tr.train(2));
  tt.equal(td.memory().tensors, mem0, `no leak over image training steps (${td.memory().tensors - mem0} more)`);
  tt.ok(l.every(Number.isFinite), `finite losses ${l.map((v) => v.toFixed(3)).join(', ')}`);
  const prior = new D.ARPrior({ latents: 3, codebook: 4, dim: 8, heads: 2, layers: 1, seed: 0 });
  const r = D.sample(model, { n: 3, steps: 3, seed: 1, prior, curvature: true });
  tt.same(r.x.shape, [3, 1, 8, 8], 'samples [n, C, S, S]');
  tt.same(r.codes!.shape, [3, 3], 'codes [n, m]');
  tt.ok(Number.isFinite(r.curvature!), 'finite curvature');
  tr.dispose();
  tt.end();
});
