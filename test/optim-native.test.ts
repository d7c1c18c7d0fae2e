// optim-native.test.ts — the fused native Adam/AdamW kernel (native/kernels/adam.h via adamStepK):
// float32 and float64, sizes around the vector widths and the parallel chunk size, every variant
// (plain, L2, decoupled decay, amsgrad), against a plain-JS reference of PyTorch's formulas (for
// float32 with every operation rounded to float32 by Math.fround); the portable loop in a child
// process with TD_FUSED_PORTABLE=1; in-place semantics; the addon's own argument checks (nothing may
// crash the process); and a flat memory profile over a training loop.
import t from 'tap';
import { spawnSync } from 'child_process';
import * as path from 'path';
import * as td from '../lib/index';
import * as optim from '../lib/optim';
import { adamStepK, AdamStepScalars } from '../lib/optim/adamKernel';
import { begin, native, packNum, packView } from '../lib/native';
import { h } from '../lib/ops/kernel';
import { throwsKind, close, arr, uniform } from './helpers/check';
import type { Test } from './helpers/check';

type DT = 'float32' | 'float64';

/** One Adam step over flat arrays in JS; r rounds each operation (Math.fround for float32). */
function refStep(P: number[], G: number[], M: number[], V: number[], X: number[] | null, s: AdamStepScalars, dt: DT) {
  const r = dt === 'float32' ? Math.fround : (x: number) => x;
  const bc1 = 1 - s.beta1 ** s.step, bc2 = 1 - s.beta2 ** s.step;
  const b1 = r(s.beta1), omb1 = r(1 - s.beta1), b2 = r(s.beta2), omb2 = r(1 - s.beta2), eps = r(s.eps);
  const l2 = r(s.decoupled ? 0 : s.weightDecay), decay = r(s.decoupled ? 1 - s.lr * s.weightDecay : 1);
  const ss = r(s.lr / bc1), sb = r(Math.sqrt(bc2));
  const p = P.map(r), m = M.map(r), v = V.map(r), x = X ? X.map(r) : null;
  for (let i = 0; i < p.length; i++) {
    let g = r(G[i]);
    if (!s.decoupled && s.weightDecay !== 0) g = r(g + r(l2 * p[i]));
    if (s.decoupled && s.weightDecay !== 0) p[i] = r(p[i] * decay);
    m[i] = r(r(b1 * m[i]) + r(omb1 * g));
    v[i] = r(r(b2 * v[i]) + r(omb2 * r(g * g)));
    let vv = v[i];
    if (x) vv = x[i] = x[i] > v[i] ? x[i] : v[i];
    const denom = r(r(r(Math.sqrt(vv)) / sb) + eps);
    p[i] = r(p[i] - r(ss * r(m[i] / denom)));
  }
  return { p, m, v, x };
}

const variants: [string, Omit<AdamStepScalars, 'step'>, boolean][] = [
  ['plain', { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false }, false],
  ['L2', { lr: 3e-2, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, decoupled: false }, false],
  ['decoupled', { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.05, decoupled: true }, false],
  ['amsgrad L2', { lr: 1e-3, beta1: 0.5, beta2: 0.9, eps: 1e-5, weightDecay: 0.2, decoupled: false }, true],
  ['amsgrad decoupled', { lr: 5e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true }, true],
];
const sizes = [1, 3, 4, 7, 8, 9, 15, 31, 33, 16384 + 5, 2 * 16384 + 13];

interface Case { P: number[]; G: number[]; M: number[]; V: number[]; X: number[] | null; s: AdamStepScalars; dt: DT }
function makeCase(seed: number, n: number, vi: number, dt: DT): Case {
  const [, sc, ams] = variants[vi];
  const V = uniform(seed + 3, n, 0, 0.5);
  return {
    P: uniform(seed, n, -2, 2), G: uniform(seed + 1, n, -3, 3), M: uniform(seed + 2, n, -1, 1), V,
    // the running max sometimes above, sometimes below the new v
    X: ams ? V.map((x, i) => (i % 3 === 0 ? x * 2 : x * 0.5)) : null,
    s: { ...sc, step: 1 + (seed % 7) }, dt,
  };
}
const cases: Case[] = [];
for (const dt of ['float32', 'float64'] as DT[])
  variants.forEach((_, vi) => sizes.forEach((n, si) => cases.push(makeCase(1000 + 97 * vi + 13 * si + (dt === 'float32' ? 0 : 5000), n, vi, dt))));

const fromArr = (a: number[], dt: DT) => td.tensor(dt === 'float32' ? new Float32Array(a) : new Float64Array(a));

/** Runs one case through the fused kernel; returns the updated arrays. */
function runCase(c: Case) {
  const p = fromArr(c.P, c.dt), g = fromArr(c.G, c.dt), m = fromArr(c.M, c.dt), v = fromArr(c.V, c.dt);
  const x = c.X ? fromArr(c.X, c.dt) : null;
  adamStepK(p, g, m, v, x, c.s);
  const out = { p: arr(p), m: arr(m), v: arr(v), x: x ? arr(x) : null, g: arr(g) };
  [p, g, m, v, x].forEach((q) => q?.dispose());
  return out;
}

function checkCase(tt: Test, c: Case, got: { p: number[]; m: number[]; v: number[]; x: number[] | null }, label: string) {
  const want = refStep(c.P, c.G, c.M, c.V, c.X, c.s, c.dt);
  // float32: within a few ulps of the rounded-step reference (FMA contraction may move the last bit);
  // float64: within 1e-14 relative
  const [rt, at] = c.dt === 'float32' ? [1e-6, 1e-7] : [1e-14, 1e-16];
  close(tt, got.p, want.p, rt, at, `${label}: p`);
  close(tt, got.m, want.m, rt, at, `${label}: m`);
  close(tt, got.v, want.v, rt, at, `${label}: v`);
  if (c.X) close(tt, got.x!, want.x!, rt, at, `${label}: max v`);
}

t.test(`fused Adam kernel (${native.optimKernel()}) against the JS reference: dtypes, sizes, variants`, async (t) => {
  t.ok(['avx2', 'portable'].includes(native.optimKernel()), 'kernel name');
  for (const c of cases) {
    const got = runCase(c);
    const vn = variants.find(([, s, a]) => s.lr === c.s.lr && a === !!c.X)![0];
    checkCase(t, c, got, `${c.dt} n=${c.P.length} ${vn} step ${c.s.step}`);
    t.ok(got.g.every((x, i) => x === (c.dt === 'float32' ? Math.fround(c.G[i]) : c.G[i])), `${c.dt} n=${c.P.length} ${vn}: grad not written`);
  }
});

t.test('the portable loop (TD_FUSED_PORTABLE=1, child process) matches the same reference', async (t) => {
  const sub = cases.filter((c) => c.P.length <= 33 || c.P.length === 16384 + 5);
  const script = `
    const { adamStepK } = require(${JSON.stringify(path.join(__dirname, '..', 'lib', 'optim', 'adamKernel.js'))});
    const td = require(${JSON.stringify(path.join(__dirname, '..', 'lib', 'index.js'))});
    const { native } = require(${JSON.stringify(path.join(__dirname, '..', 'lib', 'native.js'))});
    const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
    const mk = (a, dt) => td.tensor(dt === 'float32' ? new Float32Array(a) : new Float64Array(a));
    const out = cases.map((c) => {
      const p = mk(c.P, c.dt), g = mk(c.G, c.dt), m = mk(c.M, c.dt), v = mk(c.V, c.dt), x = c.X ? mk(c.X, c.dt) : null;
      adamStepK(p, g, m, v, x, c.s);
      return { p: Array.from(p.dataSync()), m: Array.from(m.dataSync()), v: Array.from(v.dataSync()), x: x ? Array.from(x.dataSync()) : null };
    });
    process.stdout.write(JSON.stringify({ kernel: native.optimKernel(), out }));`;
  const r = spawnSync(process.execPath, ['-e', script], { input: JSON.stringify(sub), env: { ...process.env, TD_FUSED_PORTABLE: '1' }, encoding: 'utf8', maxBuffer: 1 << 28 });
  t.equal(r.status, 0, `child exited cleanly ${r.stderr.slice(-400)}`);
  const res = JSON.parse(r.stdout) as { kernel: string; out: { p: number[]; m: number[]; v: number[]; x: number[] | null }[] };
  t.equal(res.kernel, 'portable', 'the child ran the portable loop');
  sub.forEach((c, i) => checkCase(t, c, res.out[i], `portable ${c.dt} n=${c.P.length} ${c.X ? 'amsgrad' : ''} wd ${c.s.weightDecay}${c.s.decoupled ? ' decoupled' : ''}`));
});

t.test('in place: same storage, views see the update, the grad is untouched', async (t) => {
  const p = td.tensor(new Float32Array(uniform(5, 24)), { shape: [4, 6], requiresGrad: true });
  const storage = p._storage;
  const view = td.narrow(p.detach(), 0, 1, 2); // rows 1..2, shares p's storage
  const g = uniform(6, 24);
  p.grad = td.tensor(new Float32Array(g), { shape: [4, 6] });
  const opt = new optim.Adam([p], { lr: 0.1 });
  const before = arr(p);
  opt.step();
  t.equal(p._storage, storage, 'same storage object');
  t.same(arr(view), arr(p).slice(6, 18), 'an earlier view sees the new values');
  t.notSame(arr(p), before, 'values changed');
  t.same(arr(p.grad!), g.map(Math.fround), 'grad not modified');
  t.ok(p.isLeaf && p.requiresGrad && p.gradFn === null, 'still a leaf requiring grad, no graph recorded');
  opt.dispose();
});

t.test('adamStepK rejects mismatched state', async (t) => {
  const p = td.zeros([2, 3]), g = td.zeros([2, 3]);
  const s: AdamStepScalars = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1 };
  const msg = (fn: () => unknown, kind: Function, re: RegExp, what: string) => {
    try {
      fn();
      t.fail(`${what}: did not throw`);
    } catch (e) {
      t.ok(e instanceof kind && re.test((e as Error).message), `${what}: ${kind.name} ${re} (got ${(e as Error).constructor.name}: ${(e as Error).message})`);
    }
  };
  msg(() => adamStepK(p, g, td.zeros([3, 2]), td.zeros([2, 3]), null, s), RangeError, /adamStep: state exp_avg \[3, 2\] float32 does not match param \[2, 3\] float32/, 'exp_avg shape');
  msg(() => adamStepK(p, g, td.zeros([2, 3]), td.zeros([2, 3], { dtype: 'float64' }), null, s), RangeError, /exp_avg_sq \[2, 3\] float64/, 'exp_avg_sq dtype');
  msg(() => adamStepK(p, td.zeros([6]), td.zeros([2, 3]), td.zeros([2, 3]), null, s), RangeError, /grad \[6\] does not match param \[2, 3\]/, 'grad shape');
  // a grad sharing p's storage is copied first, never passed aliased
  const q = td.tensor([1, 2, 3], { requiresGrad: true });
  q.grad = q.detach();
  const m = td.zeros([3]), v = td.zeros([3]);
  adamStepK(q, q.grad, m, v, null, { ...s, lr: 0.1 });
  close(t, arr(q), [0.9, 1.9, 2.9], 1e-6, 0, 'grad aliasing the param: first step moves each element by lr');
});

t.test('the addon validates its arguments (nothing crashes)', async (t) => {
  const mk = (n: number, dtype: 'float32' | 'float64' | 'int32' = 'float32') => td.zeros([n], { dtype });
  const scal = [1e-3, 0.9, 0.999, 1e-8, 0, 0, 0.1, 0.001];
  /** Calls native.adamStep with views of the given tensors (shapes as packed) and scalars. */
  const call = (ts: (td.Tensor | null)[], sc = scal, shapes?: number[][]) => {
    begin();
    ts.forEach((x, i) => x && packView(shapes?.[i] ?? x.shape, shapes?.[i] ? [1] : x.strides, x.offset));
    sc.forEach(packNum);
    const [p, g, m, v, x] = ts;
    native.adamStep(h(p!), h(g!), h(m!), h(v!), x ? h(x) : null);
  };
  const [p, g, m, v, x] = [mk(8), mk(8), mk(8), mk(8), mk(8)];
  call([p, g, m, v, x]);
  t.pass('a valid call runs');
  throwsKind(t, () => call([p, g, mk(7), v]), RangeError, 'sizes differ');
  throwsKind(t, () => call([p, g, m, mk(8, 'float64')]), TypeError, 'dtypes differ');
  throwsKind(t, () => call([mk(8, 'int32'), mk(8, 'int32'), mk(8, 'int32'), mk(8, 'int32')]), TypeError, 'int32');
  throwsKind(t, () => call([p, g, p, v]), TypeError, 'param aliases exp_avg');
  throwsKind(t, () => call([p, p, m, v]), TypeError, 'grad aliases param');
  throwsKind(t, () => call([p, g, m, v, v]), TypeError, 'max_exp_avg_sq aliases exp_avg_sq');
  const big = mk(16);
  begin();
  packView([8], [2], 0); // strided view of 16 elements
  packView([8], [1], 0);
  packView([8], [1], 0);
  packView([8], [1], 0);
  scal.forEach(packNum);
  throwsKind(t, () => native.adamStep(h(big), h(g), h(m), h(v), null), TypeError, 'non-contiguous param');
  throwsKind(t, () => call([p, g, m, v], scal, [[9], [8], [8], [8]]), RangeError, 'view past the end of its storage');
  for (const [i, bad, what] of [[1, 1, 'beta1 = 1'], [2, -0.1, 'beta2 < 0'], [0, NaN, 'NaN lr'], [0, -1, 'negative lr'], [3, Infinity, 'infinite eps'], [4, -1, 'negative weight decay'], [5, 2, 'decoupled = 2'], [6, 0, 'bc1 = 0'], [7, 1.5, 'bc2 > 1']] as [number, number, string][]) {
    const sc = scal.slice();
    sc[i] = bad;
    throwsKind(t, () => call([p, g, m, v], sc), RangeError, what);
  }
  throwsKind(t, () => native.adamStep(123456 as never, h(g), h(m), h(v), null), Error, 'forged handle');
  const d = mk(8);
  const hd = h(d);
  d.dispose();
  throwsKind(t, () => native.adamStep(hd, h(g), h(m), h(v), null), Error, 'freed storage');
  throwsKind(t, () => (native.adamStep as unknown as () => void)(), TypeError, 'no arguments');
  t.pass('the process is still alive');
});

t.test('no leak over a training loop with Adam, EMA and clipping', async (t) => {
  td.manualSeed(7);
  const W = td.randn([16, 8], { requiresGrad: true }), b = td.zeros([16], { requiresGrad: true });
  const x = td.randn([32, 8]), y = td.randn([32, 16]);
  const opt = new optim.AdamW([W, b], { lr: 1e-2, amsgrad: true });
  const ema = new optim.EMA([W, b], { decay: 0.99, warmup: 'power' });
  const sched = optim.attachSchedule(opt, optim.cosineSchedule({ totalSteps: 300, warmupSteps: 10 }));
  const loss = () => td.tidy(() => td.mseLoss(td.linear(x, W, b), y).item());
  const l0 = loss();
  let mem0 = td.memory();
  for (let k = 0; k < 300; k++) {
    td.tidy(() => td.mseLoss(td.linear(x, W, b), y).backward());
    optim.clipGradNorm([W, b], 1.0);
    opt.step();
    opt.zeroGrad();
    ema.update();
    sched.step();
    if (k === 0) mem0 = td.memory();
  }
  const mem1 = td.memory();
  t.equal(mem1.tensors, mem0.tensors, 'tensor count flat');
  t.equal(mem1.bytes, mem0.bytes, 'bytes flat');
  t.ok(loss() < l0 * 0.9, `the loss went down (${l0.toFixed(4)} -> ${loss().toFixed(4)})`);
  [opt, ema].forEach((o) => o.dispose());
  [W, b, x, y].forEach((q) => q.dispose());
});
