// optim.test.ts — td.optim against plain-JS references written here from PyTorch's documented update
// formulas (SGD with momentum / dampening / nesterov / weight decay, Adam with L2, AdamW with decoupled
// decay, amsgrad; float64, several steps, per-group options), convergence to the closed-form minimum of
// a convex quadratic, state dicts (resume through safetensors bytes), EMA against hand calculations,
// clipGradNorm / clipGradValue against hand-computed norms, lr schedules against their closed
// formulas, and argument errors.
import t from 'tap';
import * as td from '../lib/index';
import * as optim from '../lib/optim';
import { serialize, deserialize, readHeader } from '../lib/io';
import { copyInto } from '../lib/ops/kernel';
import { throwsKind, close, arr, uniform } from './helpers/check';

type DT = 'float32' | 'float64';
const mk = (v: number[], shape: number[], dtype: DT = 'float64') =>
  td.tensor(dtype === 'float32' ? new Float32Array(v) : new Float64Array(v), { shape, requiresGrad: true });
const setGrad = (p: td.Tensor, v: number[]) => {
  p.grad?.dispose();
  p.grad = td.tensor(new Float64Array(v), { shape: p.shape as number[], dtype: p.dtype });
};

// ---- plain-JS references (one parameter as a flat array) ----------------------------------------
interface SgdRef { lr: number; momentum: number; dampening: number; nesterov: boolean; weightDecay: number }
function sgdRef(p0: number[], grads: number[][], o: SgdRef): number[] {
  const p = p0.slice();
  let buf: number[] | null = null;
  for (const g of grads) {
    const d = g.map((gi, i) => gi + o.weightDecay * p[i]);
    let step = d;
    if (o.momentum !== 0) {
      buf = buf === null ? d.slice() : buf.map((b, i) => o.momentum * b + (1 - o.dampening) * d[i]);
      step = o.nesterov ? d.map((di, i) => di + o.momentum * buf![i]) : buf;
    }
    for (let i = 0; i < p.length; i++) p[i] -= o.lr * step[i];
  }
  return p;
}
interface AdamRef { lr: number; b1: number; b2: number; eps: number; wd: number; decoupled: boolean; amsgrad: boolean }
function adamRef(p0: number[], grads: number[][], o: AdamRef): { p: number[]; m: number[]; v: number[]; vmax: number[] } {
  const p = p0.slice(), n = p.length;
  const m = new Array(n).fill(0), v = new Array(n).fill(0), vmax = new Array(n).fill(0);
  grads.forEach((g0, k) => {
    const step = k + 1;
    for (let i = 0; i < n; i++) {
      let g = g0[i];
      if (o.decoupled) p[i] *= 1 - o.lr * o.wd;
      else g += o.wd * p[i];
      m[i] = o.b1 * m[i] + (1 - o.b1) * g;
      v[i] = o.b2 * v[i] + (1 - o.b2) * g * g;
      const bc1 = 1 - o.b1 ** step, bc2 = 1 - o.b2 ** step;
      let vv = v[i];
      if (o.amsgrad) vv = vmax[i] = Math.max(vmax[i], v[i]);
      const denom = Math.sqrt(vv) / Math.sqrt(bc2) + o.eps;
      p[i] -= (o.lr / bc1) * (m[i] / denom);
    }
  });
  return { p, m, v, vmax };
}

const gradsFor = (seed: number, steps: number, n: number) => Array.from({ length: steps }, (_, k) => uniform(seed + 17 * k, n, -2, 2));

t.test('SGD matches the PyTorch formulas (float64, 6 steps)', async (t) => {
  const configs: SgdRef[] = [
    { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 },
    { lr: 0.05, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 },
    { lr: 0.05, momentum: 0.8, dampening: 0.3, nesterov: false, weightDecay: 0.01 },
    { lr: 0.02, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0 },
    { lr: 0.02, momentum: 0.7, dampening: 0, nesterov: true, weightDecay: 0.05 },
    { lr: 0.3, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0.1 },
  ];
  configs.forEach((o, ci) => {
    const shapes = [[3, 4], [5]];
    const p0 = shapes.map((s, j) => uniform(100 + ci * 7 + j, s[0] * (s[1] ?? 1)));
    const ps = shapes.map((s, j) => mk(p0[j], s));
    const grads = shapes.map((s, j) => gradsFor(200 + ci * 5 + j, 6, s[0] * (s[1] ?? 1)));
    const opt = new optim.SGD(ps, o);
    for (let k = 0; k < 6; k++) {
      ps.forEach((p, j) => setGrad(p, grads[j][k]));
      opt.step();
    }
    ps.forEach((p, j) => close(t, arr(p), sgdRef(p0[j], grads[j], o), 1e-12, 1e-14, `SGD config ${ci} ${JSON.stringify(o)} param ${j}`));
    opt.dispose();
  });
});

t.test('Adam and AdamW match the PyTorch formulas (float64, 7 steps)', async (t) => {
  const configs: (AdamRef & { cls: 'Adam' | 'AdamW' })[] = [
    { cls: 'Adam', lr: 1e-2, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0, decoupled: false, amsgrad: false },
    { cls: 'Adam', lr: 3e-2, b1: 0.8, b2: 0.99, eps: 1e-6, wd: 0.1, decoupled: false, amsgrad: false },
    { cls: 'Adam', lr: 1e-2, b1: 0.9, b2: 0.9, eps: 1e-8, wd: 0.05, decoupled: false, amsgrad: true },
    { cls: 'AdamW', lr: 1e-2, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.01, decoupled: true, amsgrad: false },
    { cls: 'AdamW', lr: 5e-2, b1: 0.5, b2: 0.95, eps: 1e-3, wd: 0.2, decoupled: true, amsgrad: true },
    { cls: 'AdamW', lr: 1e-1, b1: 0, b2: 0, eps: 1e-8, wd: 0, decoupled: true, amsgrad: false },
  ];
  configs.forEach((o, ci) => {
    const shapes = [[4, 3], [7]];
    const n = shapes.map((s) => s[0] * (s[1] ?? 1));
    const p0 = n.map((k, j) => uniform(300 + ci * 3 + j, k));
    const ps = shapes.map((s, j) => mk(p0[j], s));
    // gradients with shrinking magnitude so that amsgrad's running max differs from v
    const grads = n.map((k, j) => gradsFor(400 + ci * 5 + j, 7, k).map((g, s) => g.map((x) => x / (1 + 3 * s))));
    const Cls = o.cls === 'Adam' ? optim.Adam : optim.AdamW;
    const opt = new Cls(ps, { lr: o.lr, betas: [o.b1, o.b2], eps: o.eps, weightDecay: o.wd, amsgrad: o.amsgrad });
    for (let k = 0; k < 7; k++) {
      ps.forEach((p, j) => setGrad(p, grads[j][k]));
      opt.step();
    }
    ps.forEach((p, j) => {
      const r = adamRef(p0[j], grads[j], o);
      const st = opt.getState(p)!;
      t.equal(st.step, 7, `${o.cls} config ${ci} param ${j}: step count`);
      close(t, arr(p), r.p, 1e-12, 1e-14, `${o.cls} config ${ci} param ${j}: p`);
      close(t, arr(st.tensors.exp_avg), r.m, 1e-12, 1e-15, `${o.cls} config ${ci} param ${j}: exp_avg`);
      close(t, arr(st.tensors.exp_avg_sq), r.v, 1e-12, 1e-15, `${o.cls} config ${ci} param ${j}: exp_avg_sq`);
      if (o.amsgrad) close(t, arr(st.tensors.max_exp_avg_sq), r.vmax, 1e-12, 1e-15, `${o.cls} config ${ci} param ${j}: max_exp_avg_sq`);
    });
    t.equal(Object.keys(opt.getState(ps[0])!.tensors).length, o.amsgrad ? 3 : 2, `${o.cls} config ${ci}: state tensors`);
    opt.dispose();
  });
});

t.test('defaults follow PyTorch: AdamW weight decay 0.01, Adam 0', async (t) => {
  const p = mk([1, 2], [2]);
  const a = new optim.Adam([p]), w = new optim.AdamW([p]);
  t.same([a.getLr(), a.paramGroups[0].betas, a.paramGroups[0].eps, a.paramGroups[0].weightDecay, a.paramGroups[0].amsgrad], [1e-3, [0.9, 0.999], 1e-8, 0, false]);
  t.equal(w.paramGroups[0].weightDecay, 0.01);
  const s = new optim.SGD([p], { lr: 0.1 });
  t.same([s.paramGroups[0].momentum, s.paramGroups[0].dampening, s.paramGroups[0].nesterov, s.paramGroups[0].weightDecay], [0, 0, false, 0]);
});

t.test('a parameter without grad is skipped; float32 params; per-group options', async (t) => {
  const a = mk([1, 2, 3], [3]), b = mk([4, 5], [2]);
  const opt = new optim.Adam([{ params: [a], lr: 0.1 }, { params: [b], lr: 0.01, weightDecay: 0.5 }]);
  t.equal(opt.getLr(0), 0.1);
  t.equal(opt.getLr(1), 0.01);
  const ga = [[0.5, -1, 2], [1, 1, 1], [-0.3, 0.2, 0.1]];
  setGrad(a, ga[0]);
  opt.step(); // b has no grad: untouched, no state
  t.same(arr(b), [4, 5], 'param without grad unchanged');
  t.equal(opt.getState(b), null, 'no state for a param that never had a grad');
  setGrad(a, ga[1]);
  setGrad(b, [0.2, -0.4]);
  opt.step();
  setGrad(a, ga[2]);
  b.grad!.dispose(); // a disposed grad counts as none
  opt.step();
  close(t, arr(a), adamRef([1, 2, 3], ga, { lr: 0.1, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0, decoupled: false, amsgrad: false }).p, 1e-12, 1e-14, 'group 0 (lr 0.1)');
  close(t, arr(b), adamRef([4, 5], [[0.2, -0.4]], { lr: 0.01, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.5, decoupled: false, amsgrad: false }).p, 1e-12, 1e-14, 'group 1 (lr 0.01, L2 0.5): one step');
  t.equal(opt.getState(b)!.step, 1, 'b stepped once');
  // float32 parameters: same formulas within float32 rounding
  const p0 = uniform(9, 40), gs = gradsFor(10, 5, 40);
  const p = mk(p0, [40], 'float32');
  const o2 = new optim.AdamW([p], { lr: 0.05, weightDecay: 0.1, amsgrad: true });
  for (const g of gs) {
    setGrad(p, g);
    o2.step();
  }
  t.equal(p.dtype, 'float32');
  close(t, arr(p), adamRef(p0.map(Math.fround), gs.map((g) => g.map(Math.fround)), { lr: 0.05, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.1, decoupled: true, amsgrad: true }).p, 2e-6, 2e-6, 'AdamW float32');
  const q = mk(p0, [40], 'float32');
  const o3 = new optim.SGD([q], { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 });
  for (const g of gs) {
    setGrad(q, g);
    o3.step();
  }
  close(t, arr(q), sgdRef(p0.map(Math.fround), gs.map((g) => g.map(Math.fround)), { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0.01 }), 1e-5, 1e-6, 'SGD nesterov float32');
  [opt, o2, o3].forEach((o) => o.dispose());
});

t.test('non-contiguous parameters and float32 grads of float64 params', async (t) => {
  const base = td.tensor(new Float64Array(uniform(11, 12)), { shape: [3, 4] });
  const pT = td.transpose(base, 0, 1); // [4, 3] view, a leaf (base does not require grad)
  pT.requiresGrad = true;
  const want0 = arr(pT);
  const g = uniform(12, 12);
  pT.grad = td.tensor(new Float32Array(g), { shape: [4, 3] });
  const opt = new optim.Adam([pT], { lr: 0.1 });
  opt.step();
  close(t, arr(pT), adamRef(want0, [g.map(Math.fround)], { lr: 0.1, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0, decoupled: false, amsgrad: false }).p, 1e-12, 1e-14, 'transposed param updated in place through its view');
  t.same(arr(base), arr(td.transpose(pT, 0, 1)), 'the base storage holds the update');
  const s = new optim.SGD([pT], { lr: 0.5, momentum: 0.5 });
  const before = arr(pT);
  s.step();
  close(t, arr(pT), before.map((x, i) => x - 0.5 * Math.fround(g[i])), 1e-12, 1e-14, 'SGD on the transposed view');
  opt.dispose();
  s.dispose();
});

t.test('zeroGrad, setLr / getLr', async (t) => {
  const p = mk([1, 2], [2]), q = mk([3], [1]);
  const opt = new optim.SGD([{ params: [p] }, { params: [q], lr: 0.2 }], { lr: 0.1 });
  setGrad(p, [1, 1]);
  setGrad(q, [2]);
  opt.zeroGrad(false);
  t.same(arr(p.grad!), [0, 0], 'zeroGrad(false) fills zeros');
  const old = p.grad!;
  opt.zeroGrad();
  t.equal(p.grad, null, 'zeroGrad() sets grads to null');
  t.ok(old.isDisposed, 'and frees them');
  opt.setLr(0.05);
  t.same([opt.getLr(0), opt.getLr(1)], [0.05, 0.05]);
  opt.setLr(0.5, 1);
  t.same([opt.getLr(0), opt.getLr(1)], [0.05, 0.5]);
  throwsKind(t, () => opt.setLr(-1), RangeError, 'negative lr');
  throwsKind(t, () => opt.getLr(2), RangeError, 'group index out of range');
  opt.dispose();
});

/** Solves A x = b (Gaussian elimination with partial pivoting), in JS. */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length, M = A.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    [M[c], M[piv]] = [M[piv], M[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Array(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = M[r][n];
    for (let k = r + 1; k < n; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

t.test('convergence on a convex quadratic to its closed-form minimum', async (t) => {
  const n = 5;
  const R = uniform(21, n * n, -1, 1);
  // A = R Rᵀ + I (SPD), b random; minimum of ½ xᵀAx − bᵀx at A⁻¹b
  const A = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => {
    let s = i === j ? 1 : 0;
    for (let k = 0; k < n; k++) s += R[i * n + k] * R[j * n + k];
    return s;
  }));
  const bv = uniform(22, n, -2, 2);
  const xStar = solve(A, bv);
  const At = td.tensor(A, { dtype: 'float64' }), bt = td.tensor(bv, { dtype: 'float64' });
  const cases: [string, (p: td.Tensor) => optim.Optimizer<optim.BaseOptions>, number][] = [
    ['SGD', (p) => new optim.SGD([p], { lr: 0.05 }), 1500],
    ['SGD momentum nesterov', (p) => new optim.SGD([p], { lr: 0.02, momentum: 0.9, nesterov: true }), 800],
    ['Adam', (p) => new optim.Adam([p], { lr: 0.05 }), 1500],
    ['AdamW (no decay)', (p) => new optim.AdamW([p], { lr: 0.05, weightDecay: 0, amsgrad: true }), 1500],
  ];
  for (const [name, make, steps] of cases) {
    const x = td.zeros([n], { dtype: 'float64', requiresGrad: true });
    const opt = make(x);
    let mem0 = 0;
    for (let k = 0; k < steps; k++) {
      if (k === 1) mem0 = td.memory().tensors; // after the first step created the state
      td.tidy(() => {
        const Ax = td.matmul(At, x);
        const f = td.sub(td.mul(td.sum(td.mul(x, Ax)), 0.5), td.sum(td.mul(bt, x)));
        f.backward();
      });
      opt.step();
      opt.zeroGrad();
    }
    close(t, arr(x), xStar, 0, 1e-4, `${name} reaches A⁻¹b`);
    t.equal(td.memory().tensors, mem0, `${name}: no tensors leak over ${steps} steps (state made at step 1)`);
    opt.dispose();
    x.dispose();
  }
});

t.test('stateDict / loadStateDict: resume through safetensors bytes', async (t) => {
  const p0 = uniform(31, 6), q0 = uniform(32, 3);
  const gp = gradsFor(33, 5, 6), gq = gradsFor(34, 5, 3);
  const o: AdamRef = { lr: 0.03, b1: 0.85, b2: 0.98, eps: 1e-7, wd: 0.02, decoupled: true, amsgrad: true };
  const p = mk(p0, [2, 3]), q = mk(q0, [3]);
  const opt = new optim.AdamW([{ params: [p] }, { params: [q], lr: 0.01 }], { lr: o.lr, betas: [o.b1, o.b2], eps: o.eps, weightDecay: o.wd, amsgrad: true });
  for (let k = 0; k < 3; k++) {
    setGrad(p, gp[k]);
    setGrad(q, gq[k]);
    opt.step();
  }
  const sd = opt.stateDict();
  t.same(Object.keys(sd.tensors).sort(), ['state.0.exp_avg', 'state.0.exp_avg_sq', 'state.0.max_exp_avg_sq', 'state.1.exp_avg', 'state.1.exp_avg_sq', 'state.1.max_exp_avg_sq']);
  t.same(sd.meta.state, { 0: { step: 3 }, 1: { step: 3 } });
  t.same(sd.meta.paramGroups.map((g) => g.params), [[0], [1]]);
  const bytes = serialize(sd.tensors, { optimizer: JSON.stringify(sd.meta) });
  Object.values(sd.tensors).forEach((x) => x.dispose());
  // a fresh optimizer over copies of the parameters, loaded from the bytes
  const p2 = mk(arr(p), [2, 3]), q2 = mk(arr(q), [3]);
  const opt2 = new optim.AdamW([{ params: [p2] }, { params: [q2] }], { lr: 0.5 });
  const loaded = deserialize(bytes);
  opt2.loadStateDict({ tensors: loaded, meta: JSON.parse(readHeader(bytes).metadata.optimizer) });
  Object.values(loaded).forEach((x) => x.dispose()); // the optimizer copied them
  t.same([opt2.getLr(0), opt2.getLr(1)], [0.03, 0.01], 'group options restored');
  t.same(opt2.paramGroups[0].betas, [o.b1, o.b2], 'betas restored');
  for (let k = 3; k < 5; k++) {
    setGrad(p2, gp[k]);
    setGrad(q2, gq[k]);
    opt2.step();
  }
  close(t, arr(p2), adamRef(p0, gp, o).p, 1e-12, 1e-14, 'resumed run = uninterrupted reference (group 0)');
  close(t, arr(q2), adamRef(q0, gq, { ...o, lr: 0.01 }).p, 1e-12, 1e-14, 'resumed run = uninterrupted reference (group 1)');
  // SGD momentum buffers too
  const s0 = uniform(35, 4), gs = gradsFor(36, 4, 4);
  const so: SgdRef = { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: false, weightDecay: 0 };
  const sp = mk(s0, [4]);
  const sgd = new optim.SGD([sp], so);
  for (let k = 0; k < 2; k++) {
    setGrad(sp, gs[k]);
    sgd.step();
  }
  const ssd = sgd.stateDict();
  const sp2 = mk(arr(sp), [4]);
  const sgd2 = new optim.SGD([sp2], { lr: 1 });
  sgd2.loadStateDict(ssd);
  for (let k = 2; k < 4; k++) {
    setGrad(sp2, gs[k]);
    sgd2.step();
  }
  close(t, arr(sp2), sgdRef(s0, gs, so), 1e-12, 1e-14, 'SGD resumed = reference');
  [opt, opt2, sgd, sgd2].forEach((x) => x.dispose());
});

t.test('loadStateDict rejects mismatched state', async (t) => {
  const p = mk([1, 2, 3, 4, 5, 6], [2, 3]);
  const opt = new optim.Adam([p], { lr: 0.1 });
  setGrad(p, [1, 1, 1, 1, 1, 1]);
  opt.step();
  const sd = opt.stateDict();
  const q = mk([1, 2, 3, 4, 5, 6], [3, 2]);
  const other = new optim.Adam([q], { lr: 0.1 });
  try {
    other.loadStateDict(sd);
    t.fail('mismatched shapes: did not throw');
  } catch (e) {
    t.ok(e instanceof RangeError && /Adam\.loadStateDict/.test(e.message) && /\[2, 3\]/.test(e.message) && /\[3, 2\]/.test(e.message), `mismatched shapes: RangeError naming op and shapes (${(e as Error).message})`);
  }
  t.equal(other.getState(q), null, 'nothing loaded after a rejected dict');
  throwsKind(t, () => new optim.SGD([p], { lr: 0.1 }).loadStateDict(sd), TypeError, 'SGD given an Adam dict');
  const two = new optim.Adam([{ params: [p] }, { params: [mk([1], [1])] }]);
  throwsKind(t, () => two.loadStateDict(sd), RangeError, 'group count differs');
  const bad = { tensors: { ...sd.tensors, 'state.0.exp_avg': td.zeros([2, 3], { dtype: 'int32' }) }, meta: sd.meta };
  throwsKind(t, () => opt.loadStateDict(bad), TypeError, 'int32 state tensor');
  const unk = { tensors: { ...sd.tensors, 'state.0.momentum_buffer': td.zeros([2, 3]) }, meta: sd.meta };
  throwsKind(t, () => opt.loadStateDict(unk), RangeError, 'unknown state name');
  const idx = { tensors: { 'state.5.exp_avg': td.zeros([2, 3]) }, meta: { ...sd.meta, state: { 5: { step: 1 } } } };
  throwsKind(t, () => opt.loadStateDict(idx), RangeError, 'param index out of range');
  const missing = { tensors: { 'state.0.exp_avg': sd.tensors['state.0.exp_avg'] }, meta: sd.meta };
  throwsKind(t, () => opt.loadStateDict(missing), RangeError, 'missing exp_avg_sq');
  throwsKind(t, () => opt.loadStateDict(null as never), TypeError, 'null dict');
  t.equal(opt.getState(p)!.step, 1, 'the original state survives rejected loads');
  [opt, other, two].forEach((x) => x.dispose());
});

t.test('EMA against hand calculations; copyTo / store / restore', async (t) => {
  const p = mk([1, 2], [2]);
  const ema = new optim.EMA([p], { decay: 0.9 });
  copyInto(p, td.tensor([3, 4], { dtype: 'float64' }));
  t.equal(ema.update(), 0.9);
  close(t, arr(ema.shadow[0]), [1.2, 2.2], 1e-15, 0, 's = 0.9 [1, 2] + 0.1 [3, 4]');
  copyInto(p, td.tensor([0, 0], { dtype: 'float64' }));
  ema.update();
  close(t, arr(ema.shadow[0]), [1.08, 1.98], 1e-15, 0, 's = 0.9 [1.2, 2.2] + 0.1 [0, 0]');
  ema.store();
  ema.copyTo();
  close(t, arr(p), [1.08, 1.98], 1e-15, 0, 'copyTo writes the averaged weights into the param');
  ema.restore();
  t.same(arr(p), [0, 0], 'restore brings the training weights back');
  throwsKind(t, () => ema.restore(), Error, 'restore without store');
  // warm-up decays (diffusers' EMAModel): k = n − updateAfterStep − 1
  const w = new optim.EMA([p], { decay: 0.999, warmup: 'power', power: 2 / 3 });
  t.equal(w.getDecay(1), 0, 'power warm-up: first update copies');
  close(t, [w.getDecay(2), w.getDecay(10)], [1 - 2 ** (-2 / 3), 1 - 10 ** (-2 / 3)], 1e-15, 0, 'power warm-up 1 − (1 + k)^(−2/3)');
  t.equal(w.getDecay(1e9), 0.999, 'capped at decay');
  const s = new optim.EMA([p], { decay: 0.5, warmup: 'simple', updateAfterStep: 3, minDecay: 0.2 });
  t.same([s.getDecay(3), s.getDecay(4), s.getDecay(5), s.getDecay(6), s.getDecay(100)], [0, 0, 0.2, 3 / 12, 0.5], 'simple warm-up (1 + k)/(10 + k), floor minDecay, cap decay');
  copyInto(p, td.tensor([2, 6], { dtype: 'float64' }));
  s.update(); // n = 1 <= 3: copies
  t.same(arr(s.shadow[0]), [2, 6], 'before updateAfterStep the shadow tracks the param');
  const sd = ema.stateDict();
  const e2 = new optim.EMA([mk([0, 0], [2])], { decay: 0.9 });
  e2.loadStateDict(sd);
  t.same([arr(e2.shadow[0]), e2.optimizationStep], [arr(ema.shadow[0]), 2], 'EMA state dict round trip');
  throwsKind(t, () => e2.loadStateDict({ tensors: { 'shadow.0': td.zeros([3]) }, meta: sd.meta }), RangeError, 'EMA shadow shape mismatch');
  throwsKind(t, () => new optim.EMA([p], { decay: 1.5 }), RangeError, 'decay > 1');
  throwsKind(t, () => new optim.EMA([p], { warmup: 'cosine' as never }), TypeError, 'unknown warm-up');
  [ema, w, s, e2].forEach((x) => x.dispose());
  throwsKind(t, () => ema.update(), Error, 'update after dispose');
});

t.test('clipGradNorm and clipGradValue against hand-computed norms', async (t) => {
  const a = mk([0, 0], [2]), b = mk([0], [1]), c = mk([0, 0, 0], [3]);
  const reset = () => {
    setGrad(a, [3, 4]);
    setGrad(b, [12]);
  };
  reset(); // c has no grad: skipped
  t.equal(optim.clipGradNorm([a, b, c], 100), 13, 'L2 total norm sqrt(9 + 16 + 144) = 13');
  t.same([arr(a.grad!), arr(b.grad!)], [[3, 4], [12]], 'no clipping below maxNorm');
  const k = 6.5 / (13 + 1e-6);
  t.equal(optim.clipGradNorm([a, b, c], 6.5), 13, 'returns the norm before clipping');
  close(t, [...arr(a.grad!), ...arr(b.grad!)], [3 * k, 4 * k, 12 * k], 1e-15, 0, 'scaled by maxNorm / (total + 1e-6)');
  reset();
  t.equal(optim.clipGradNorm([a, b], 1, Infinity), 12, 'inf norm = max |g|');
  close(t, arr(b.grad!), [12 / (12 + 1e-6)], 1e-15, 0, 'inf-norm clipping');
  reset();
  close(t, [optim.clipGradNorm([a, b], 1e9, 1)], [19], 1e-15, 0, 'L1 norm');
  close(t, [optim.clipGradNorm([a, b], 1e9, 3)], [Math.cbrt(27 + 64 + 1728)], 1e-14, 0, 'L3 norm');
  t.equal(optim.clipGradNorm([c], 1), 0, 'no grads: 0');
  const f = mk([0, 0], [2], 'float32');
  f.grad = td.tensor([NaN, 1]);
  throwsKind(t, () => optim.clipGradNorm(f, 1, 2, { errorIfNonfinite: true }), RangeError, 'non-finite norm with errorIfNonfinite');
  t.ok(Number.isNaN(optim.clipGradNorm(f, 1)), 'NaN norm returned otherwise');
  setGrad(a, [-3, 0.5]);
  setGrad(b, [7]);
  optim.clipGradValue([a, b, c], 1);
  t.same([arr(a.grad!), arr(b.grad!)], [[-1, 0.5], [1]], 'clipGradValue clamps to [-1, 1]');
  throwsKind(t, () => optim.clipGradNorm([a], -1), RangeError, 'negative maxNorm');
  throwsKind(t, () => optim.clipGradNorm([a], 1, 0), RangeError, 'normType 0');
  throwsKind(t, () => optim.clipGradValue([a], NaN), TypeError, 'NaN clipValue');
  throwsKind(t, () => optim.clipGradNorm([1] as never, 1), TypeError, 'non-tensor param');
});

t.test('lr schedules against their closed formulas; attachSchedule', async (t) => {
  const cos = optim.cosineSchedule({ totalSteps: 100, warmupSteps: 10, minFactor: 0.1 });
  const want = (s: number) => s < 10 ? s / 10 : 0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, (s - 10) / 90)));
  close(t, [0, 5, 10, 55, 100, 150].map(cos), [0, 0.5, 1, 0.55, 0.1, 0.1], 1e-15, 1e-15, 'cosine at chosen steps');
  close(t, [23, 77].map(cos), [23, 77].map(want), 1e-15, 0, 'cosine in between');
  const cos0 = optim.cosineSchedule({ totalSteps: 4 });
  close(t, [0, 1, 2, 4].map(cos0), [1, 0.5 * (1 + Math.cos(Math.PI / 4)), 0.5, 0], 1e-15, 1e-16, 'cosine without warm-up');
  const lw = optim.linearWarmupSchedule({ warmupSteps: 4, startFactor: 0.2 });
  close(t, [0, 2, 4, 9].map(lw), [0.2, 0.6, 1, 1], 1e-15, 0, 'linear warm-up 0.2 + 0.8 min(t, 4)/4');
  t.same([0, 3].map(optim.constantSchedule()), [1, 1], 'constant');
  const p = mk([1], [1]), q = mk([2], [1]);
  const opt = new optim.SGD([{ params: [p] }, { params: [q], lr: 0.2 }], { lr: 0.5 });
  const sch = optim.attachSchedule(opt, cos);
  t.same(sch.getLastLr(), [0, 0], 'attach applies step 0');
  for (let i = 0; i < 5; i++) sch.step();
  t.same(sch.getLastLr(), [0.25, 0.1], 'each group: base lr × f(5)');
  const state = sch.stateDict();
  const sch2 = optim.attachSchedule(opt, (s: number) => 1 / (1 + s));
  sch2.loadStateDict(state);
  t.same(sch2.getLastLr(), [0.5 / 6, 0.2 / 6], 'a plain function of the step works; state restored');
  throwsKind(t, () => cos(-1), RangeError, 'negative step');
  throwsKind(t, () => cos(1.5), TypeError, 'fractional step');
  throwsKind(t, () => optim.cosineSchedule({ totalSteps: 5, warmupSteps: 6 }), RangeError, 'warm-up longer than the run');
  throwsKind(t, () => optim.linearWarmupSchedule({ warmupSteps: 2, startFactor: 2 }), RangeError, 'startFactor > 1');
  throwsKind(t, () => optim.attachSchedule({} as never, cos), TypeError, 'attach to a non-optimizer');
  opt.dispose();
});

t.test('bad arguments name the op, shapes and dtypes', async (t) => {
  const p = mk([1, 2], [2]);
  const msg = (fn: () => unknown, kind: Function, re: RegExp, what: string) => {
    try {
      fn();
      t.fail(`${what}: did not throw`);
    } catch (e) {
      t.ok(e instanceof kind && re.test((e as Error).message), `${what}: ${kind.name} matching ${re} (got ${(e as Error).constructor.name}: ${(e as Error).message})`);
    }
  };
  msg(() => new optim.SGD([p], {} as never), TypeError, /^SGD.*lr/, 'SGD without lr');
  msg(() => new optim.SGD([p], { lr: -0.1 }), RangeError, /^SGD.*lr/, 'negative lr');
  msg(() => new optim.SGD([p], { lr: 0.1, nesterov: true }), RangeError, /nesterov/, 'nesterov without momentum');
  msg(() => new optim.SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), RangeError, /dampening/, 'nesterov with dampening');
  msg(() => new optim.Adam([p], { betas: [0.9, 1] }), RangeError, /^Adam.*betas\[1\]/, 'beta2 = 1');
  msg(() => new optim.Adam([p], { betas: [0.9] as never }), TypeError, /betas/, 'one beta');
  msg(() => new optim.AdamW([p], { eps: -1 }), RangeError, /^AdamW.*eps/, 'negative eps');
  msg(() => new optim.Adam([p], { amsgrad: 1 as never }), TypeError, /amsgrad/, 'non-boolean amsgrad');
  msg(() => new optim.Adam([]), RangeError, /empty/, 'no parameters');
  msg(() => new optim.Adam([td.mul(p, 2)]), TypeError, /non-leaf tensor \[2\] float64/, 'non-leaf parameter');
  msg(() => new optim.Adam([td.zeros([3], { dtype: 'int32' })]), TypeError, /\[3\] is int32/, 'int32 parameter');
  msg(() => new optim.Adam([p, p]), RangeError, /more than once/, 'duplicate parameter');
  msg(() => new optim.Adam([{ params: [p] }, { params: [p] }]), RangeError, /more than once/, 'parameter in two groups');
  msg(() => new optim.Adam(null as never), TypeError, /^Adam.*params/, 'null params');
  const opt = new optim.Adam([p]);
  p.grad = td.zeros([3], { dtype: 'float64' });
  msg(() => opt.step(), RangeError, /grad \[3\] does not match param \[2\]/, 'grad shape mismatch');
  p.grad = td.zeros([2], { dtype: 'int32' });
  msg(() => opt.step(), TypeError, /int32/, 'int32 grad');
  p.grad = null;
  opt.paramGroups[0].lr = NaN;
  msg(() => opt.step(), TypeError, /Adam\.step.*lr/, 'an edited group option is re-validated');
  opt.paramGroups[0].lr = 1e-3;
  const d = mk([1], [1]);
  const o2 = new optim.SGD([d], { lr: 0.1 });
  d.dispose();
  msg(() => o2.step(), Error, /disposed/, 'disposed parameter');
  opt.dispose();
});
