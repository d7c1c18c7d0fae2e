// models-cld-image.test.ts — the CLD image score model (lib/models/cld/imageNet.ts and the
// [B, C, H, W] paths of model/loss/train/sample/checkpoint): output shape/dtype and finiteness; the
// parameter gradient against a float64 central finite difference along the gradient direction, and
// every parameter reached after two steps; a seeded short MNIST 16×16 run lowers the HSM loss on
// fixed held-out batches; SSCS/EM samples' shape, finiteness and seed determinism; checkpoint
// save → load → identical outputs; argument errors.
import t from 'tap';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as td from '../lib/index';
import { cld as C } from '../lib/models/index';
import { throwsKind } from './helpers/check';

// The native thread pool slows down by ~10-30× when the 2 cores are shared with other processes;
// this file's tiny convolutions gain nothing from threads.
td.setNumThreads(1);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'td-cld-img-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A tiny image-net config (base 8, 16×16, mults [1, 2]). */
const tiny = (o: C.CLDImageNetConfig = {}): C.CLDImageNetConfig => ({ base: 8, groups: 4, seed: 5, ...o });
const allFinite = (x: td.Tensor) => Array.from(x.dataSync()).every(Number.isFinite);
const maxAbsDiff = (a: td.Tensor, b: td.Tensor) => {
  const x = a.dataSync(), y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
};

t.test('output shape, dtype and finiteness at init', async (tt) => {
  for (const [cfg, B] of [[tiny(), 3], [tiny({ channels: 3, dtype: 'float64', attention: true }), 2], [tiny({ size: 8, channelMults: [1, 2, 2], numResBlocks: 2 }), 2]] as const) {
    const net = new C.CLDImageNet(cfg);
    const [Ch, S] = [net.config.channels, net.config.size];
    const x = td.randn([B, Ch, S, S], { seed: 1 }), v = td.randn([B, Ch, S, S], { seed: 2 }), ts = td.tensor([0.01, 0.5, 0.99].slice(0, B));
    const a = td.noGrad(() => net.forward(x, v, ts));
    tt.same(a.shape, [B, Ch, S, S], `${JSON.stringify(cfg)}: α shape`);
    tt.equal(a.dtype, net.config.dtype, 'α has the net dtype');
    tt.ok(allFinite(a), 'α finite at init');
    tt.ok(Array.from(a.dataSync()).some((z) => z !== 0), 'α not identically zero at init');
    td.dispose([x, v, ts, a]);
    net.dispose();
  }
  // the model: score shape and dtype follow x (float64 x into a float32 net)
  const model = new C.CLDScoreModel({ imageNet: tiny(), mixed: true });
  tt.same(model.dataShape, [1, 16, 16], 'dataShape');
  tt.equal(model.dataDim, 256, 'dataDim = C·H·W');
  const x = td.randn([2, 1, 16, 16], { seed: 3, dtype: 'float64' });
  const s = model.score(x, x, 0.3);
  tt.same(s.shape, [2, 1, 16, 16], 'score shape');
  tt.equal(s.dtype, 'float64', 'score dtype follows x');
  tt.ok(allFinite(s), 'score finite');
  td.dispose([x, s]);
  model.dispose();
});

t.test('parameter gradients: central finite difference along the gradient; every parameter reached', async (tt) => {
  const data = td.data.mnist({ size: 16, limit: 16 }).images;
  const x0 = td.cast(td.narrow(data, 0, 0, 4), 'float64');
  const model = new C.CLDScoreModel({ imageNet: tiny({ dtype: 'float64', base: 4, groups: 2 }), mixed: true });
  // two training steps first: ADM-style zero-initialised conv2 layers cut the gradient of conv1 at init
  const trainer = new C.CLDTrainer(model, data, { seed: 1, batchSize: 4 });
  trainer.train(2);
  const named = model.net.namedParameters();
  const times = [0.05, 0.2, 0.6, 0.95];
  const lossAt = () => td.noGrad(() => td.tidy(() => C.hsmLoss(model, x0, { seed: 9, t: times }).loss.item()));
  const grads = td.tidy(() => {
    trainer.opt.zeroGrad();
    C.hsmLoss(model, x0, { seed: 9, t: times }).loss.backward();
    return named.map(([, p]) => td.clone(p.grad!));
  });
  let g2 = 0;
  named.forEach(([name, p], i) => {
    tt.ok(p.grad !== null && p.grad !== undefined, `${name} has a gradient`);
    const n = td.tidy(() => td.sum(td.mul(grads[i], grads[i])).item());
    g2 += n;
    if (!(n > 0) || !Number.isFinite(n)) tt.fail(`${name}: gradient norm² ${n} not finite and > 0`);
  });
  tt.pass(`all ${named.length} parameters have a finite non-zero gradient`);
  // d/dε L(θ + ε g) at 0 = |g|²; central difference with float64 parameters
  const eps = 1e-4 / Math.sqrt(g2);
  const base: Record<string, td.Tensor> = {}; // copies: the state dict's tensors share the parameters' storage
  const live = model.net.stateDict();
  for (const [k, v] of Object.entries(live)) base[k] = td.clone(v);
  td.dispose(live);
  const shifted = (e: number) => {
    const sd: Record<string, td.Tensor> = {};
    named.forEach(([name], i) => { sd[name] = td.add(base[name], td.mul(grads[i], e)); });
    model.net.loadStateDict(sd, false);
    td.dispose(sd);
    return lossAt();
  };
  const fd = (shifted(eps) - shifted(-eps)) / (2 * eps);
  model.net.loadStateDict(base);
  tt.ok(Math.abs(fd - g2) <= 1e-4 * g2, `directional derivative: finite difference ${fd} vs |g|² ${g2}`);
  td.dispose(base);
  td.dispose(grads);
  td.dispose([x0, data]);
  trainer.dispose();
  model.dispose();
});

t.test('a short seeded MNIST 16×16 run lowers the HSM loss on fixed held-out batches', async (tt) => {
  const train = td.data.mnist({ size: 16, limit: 64 }).images; // [64, 1, 16, 16] in [-1, 1]
  const held = td.data.mnist({ size: 16, limit: 16, split: 'test' }).images;
  tt.same(train.shape, [64, 1, 16, 16], 'MNIST 16×16 subset');
  const model = new C.CLDScoreModel({ imageNet: tiny(), mixed: true });
  const trainer = new C.CLDTrainer(model, train, { seed: 0, batchSize: 8, lr: 2e-3 });
  const times = Array.from({ length: 16 }, (_, i) => 0.02 + 0.06 * i);
  const heldLoss = () => td.noGrad(() => td.tidy(() => [11, 12].map((s) => C.hsmLoss(model, held, { seed: s, t: times }).loss.item()).reduce((a, b) => a + b) / 2));
  const before = heldLoss();
  const losses = trainer.train(30);
  const after = heldLoss();
  tt.ok(losses.every(Number.isFinite), 'training losses finite');
  tt.ok(after < 0.7 * before, `held-out HSM loss fell: ${before.toFixed(3)} → ${after.toFixed(3)}`);
  const first = (losses[0] + losses[1] + losses[2]) / 3, last = (losses[27] + losses[28] + losses[29]) / 3;
  tt.ok(last < first, `training loss fell: first 3 steps ${first.toFixed(3)}, last 3 ${last.toFixed(3)}`);
  // the same seed gives the same trajectory
  const model2 = new C.CLDScoreModel({ imageNet: tiny(), mixed: true });
  const trainer2 = new C.CLDTrainer(model2, train, { seed: 0, batchSize: 8, lr: 2e-3 });
  tt.same(trainer2.train(3), losses.slice(0, 3), 'seeded: same first losses');
  // memory: the live tensor count stays flat across steps
  trainer2.train(1);
  const n0 = td.memory().tensors;
  trainer2.train(2);
  tt.equal(td.memory().tensors, n0, 'no tensors leak per training step');
  trainer2.dispose();
  model2.dispose();
  trainer.dispose();
  model.dispose();
  td.dispose([train, held]);
});

t.test('SSCS / EM sampling: shape, finiteness, seed determinism', async (tt) => {
  const model = new C.CLDScoreModel({ imageNet: tiny(), mixed: true });
  for (const method of ['sscs', 'em'] as const) {
    const a = C.sample(model, { n: 3, steps: 5, method, seed: 4 });
    const b = C.sample(model, { n: 3, steps: 5, method, seed: 4 });
    const c = C.sample(model, { n: 3, steps: 5, method, seed: 5 });
    tt.same(a.x.shape, [3, 1, 16, 16], `${method}: x shape`);
    tt.same(a.v.shape, [3, 1, 16, 16], `${method}: v shape`);
    tt.equal(a.nfe, 5, `${method}: nfe`);
    tt.ok(allFinite(a.x) && allFinite(a.v), `${method}: finite`);
    tt.equal(maxAbsDiff(a.x, b.x), 0, `${method}: same seed, same samples`);
    tt.ok(maxAbsDiff(a.x, c.x) > 1e-3, `${method}: another seed, other samples`);
    td.dispose([a.x, a.v, b.x, b.v, c.x, c.v]);
  }
  model.dispose();
});

t.test('checkpoint save → load → identical outputs', async (tt) => {
  const data = td.data.mnist({ size: 16, limit: 32 }).images;
  const model = new C.CLDScoreModel({ imageNet: tiny({ attention: true }), mixed: true });
  const trainer = new C.CLDTrainer(model, data, { seed: 2, batchSize: 4, emaWarmup: 'power' });
  trainer.train(3);
  const file = path.join(tmp, 'img.safetensors');
  C.saveCheckpoint(trainer, file);
  const x = td.randn([2, 1, 16, 16], { seed: 6 }), v = td.randn([2, 1, 16, 16], { seed: 7 });
  const want = model.score(x, v, 0.4);
  const wantEma = trainer.withEma(() => model.score(x, v, 0.4));
  const raw = C.loadModel(file, { ema: false });
  tt.ok(raw.net instanceof C.CLDImageNet, 'rebuilds the image net');
  tt.same(raw.describe(), model.describe(), 'same description');
  const got = raw.score(x, v, 0.4);
  tt.equal(maxAbsDiff(got, want), 0, 'training weights: identical score');
  const ema = C.loadModel(file);
  const gotEma = ema.score(x, v, 0.4);
  tt.equal(maxAbsDiff(gotEma, wantEma), 0, 'EMA weights: identical score');
  tt.ok(maxAbsDiff(gotEma, want) > 0, 'EMA weights differ from the training weights');
  // resumed run continues the same trajectory
  const cont = trainer.train(2);
  const resumed = C.resumeTrainer(file, data);
  tt.same(resumed.train(2), cont, 'resumed trainer reproduces the next losses');
  resumed.dispose();
  resumed.model.dispose();
  td.dispose([x, v, want, wantEma, got, gotEma, data]);
  raw.dispose();
  ema.dispose();
  trainer.dispose();
  model.dispose();
});

t.test('argument errors name the op and the shapes', async (tt) => {
  const net = new C.CLDImageNet(tiny());
  const msg = (fn: () => unknown): string => { try { fn(); } catch (e) { return `${(e as Error).constructor.name}: ${(e as Error).message}`; } return 'no throw'; };
  const ts = td.tensor([0.5, 0.5]);
  const x3 = td.zeros([2, 3, 16, 16]), x1 = td.zeros([2, 1, 16, 16]), xr = td.zeros([2, 1, 16, 8]), xi = td.zeros([2, 1, 16, 16], { dtype: 'int32' });
  tt.match(msg(() => net.forward(x3, x3, ts)), /^RangeError: CLDImageNet\.forward: x must be \[B, 1, 16, 16\], got \[2, 3, 16, 16\]/, 'wrong channel count');
  tt.match(msg(() => net.forward(xr, xr, ts)), /^RangeError: CLDImageNet\.forward: .*\[2, 1, 16, 8\]/, 'non-square input');
  tt.match(msg(() => net.forward(x1, x3, ts)), /^RangeError: CLDImageNet\.forward: v must be \[2, 1, 16, 16\]/, 'v shape');
  tt.match(msg(() => net.forward(x1, x1, td.tensor([0.5]))), /^RangeError: CLDImageNet\.forward: t must be \[2\], got \[1\]/, 't shape');
  tt.match(msg(() => net.forward(xi, xi, ts)), /^TypeError: CLDImageNet\.forward: x must be float32 or float64, got int32/, 'integer input');
  tt.match(msg(() => new C.CLDImageNet({ size: 10, channelMults: [1, 2, 4] })), /^RangeError: CLDImageNet: size 10 must be divisible by 2\^\(levels − 1\) = 4/, 'size not divisible');
  tt.match(msg(() => new C.CLDImageNet({ base: 12, groups: 8 })), /^RangeError: CLDImageNet: groups 8/, 'groups must divide the widths');
  throwsKind(tt, () => new C.CLDImageNet({ channels: 0 }), RangeError, 'channels 0');
  throwsKind(tt, () => new C.CLDImageNet({ attention: 1 as unknown as boolean }), TypeError, 'attention not boolean');
  throwsKind(tt, () => new C.CLDScoreModel({ net: {}, imageNet: {} }), TypeError, 'net and imageNet both given');
  const model = new C.CLDScoreModel({ imageNet: tiny() });
  tt.match(msg(() => C.hsmLoss(model, td.zeros([4, 2]))), /^RangeError: hsmLoss: x0 must be \[B, 1, 16, 16\] with B ≥ 1, got \[4, 2\]/, 'hsmLoss on toy-shaped data');
  tt.match(msg(() => model.score(x3, x3, 0.5)), /^RangeError: CLDScoreModel\.score: x must be \[B, 1, 16, 16\], got \[2, 3, 16, 16\]/, 'score with the wrong channels');
  tt.match(msg(() => new C.CLDTrainer(model, td.zeros([8, 1, 28, 28]))), /^RangeError: CLDTrainer: data must be \[N, 1, 16, 16\], got \[8, 1, 28, 28\]/, 'trainer data 28×28 into a 16×16 net');
  tt.match(msg(() => C.nllBound(model, x1, { seed: 0 })), /^TypeError: nllBound: only toy models .*\[B, 1, 16, 16\]/, 'nllBound on an image model');
  const bad = new C.CLDTrainer(model, () => td.zeros([4, 1, 16, 16]), { batchSize: 8 });
  tt.match(msg(() => bad.trainStep()), /^TypeError: CLDTrainer: the data sampler must return a Tensor \[8, 1, 16, 16\], got \[4, 1, 16, 16\]/, 'sampler returning the wrong shape');
  bad.dispose();
  td.dispose([ts, x3, x1, xr, xi]);
  model.dispose();
  net.dispose();
});
