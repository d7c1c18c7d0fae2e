// fused.test.ts — the fused diffusion kernels against their composition from primitive td ops:
// weightedMse and sigmoidElbo (forward, per-sample losses and gradients w.r.t. pred and target, all
// parameterisations / weightings, mask, reductions, float32 and float64, gradcheck), and cldAffine
// (affine map vs composition with the returned noise, shared / per-sample coef, s = null,
// noise: false, normality of the noise, determinism and thread-count independence), plus bad inputs.
import t from 'tap';
import * as td from '../lib/index';
import { weightedMse, sigmoidElbo, elboWeight, Parameterization, ElboWeighting } from '../lib/diffusion/fused';
import { cldAffine } from '../lib/diffusion/cldKernel';
import { arr, close, rng, throwsKind } from './helpers/check';
import { block } from './helpers/philox';

type DT = 'float32' | 'float64';
const rand = rng(12345);
const randInt = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const tol = (dt: DT) => (dt === 'float64' ? { rtol: 1e-12, atol: 1e-12 } : { rtol: 1e-5, atol: 1e-6 });

/** Random [B, ...] shape with B ∈ {1..6} and an element count that is usually not a multiple of 8. */
function randShape(): number[] {
  const B = rand() < 0.25 ? 1 : randInt(2, 6);
  const nd = randInt(0, 2);
  const s = [B];
  for (let i = 0; i < nd; i++) s.push(randInt(1, 13));
  return s;
}
const sumRest = (x: td.Tensor) => (x.ndim > 1 ? td.sum(x, Array.from({ length: x.ndim - 1 }, (_, i) => i + 1)) : x);

/** The primitive-op composition (w: [B]): per-sample ω_b Σ m (p − t)², and the reduced loss. */
function refLoss(p: td.Tensor, q: td.Tensor, w: td.Tensor, mask: td.Tensor | null, red: 'mean' | 'sum') {
  let e = td.square(td.sub(p, q));
  if (mask) e = td.mul(e, mask);
  const per = td.mul(sumRest(e), w);
  return { per, loss: red === 'mean' ? td.mean(per) : td.sum(per) };
}

t.test('weightedMse = composition (forward, perSample, grads), f32/f64, mask, reductions', async (tt) => {
  for (let trial = 0; trial < 24; trial++) {
    const dt: DT = trial % 2 ? 'float32' : 'float64';
    const shape = randShape();
    const B = shape[0];
    const useMask = trial % 3 === 0;
    const red = trial % 4 < 2 ? 'mean' : 'sum';
    const msg = `${dt} ${JSON.stringify(shape)} mask=${useMask} ${red}`;
    const p = td.randn(shape, { dtype: dt, seed: trial * 3 + 1 });
    const q = td.randn(shape, { dtype: dt, seed: trial * 3 + 2 });
    const w = td.rand([B], { dtype: dt, seed: trial * 3 + 3 });
    const mask = useMask ? td.cast(td.gt(td.rand(shape, { seed: trial + 99 }), 0.3), dt) : null;
    p.requiresGrad = true;
    q.requiresGrad = true;
    const r = weightedMse(p, q, w, { mask, reduction: red, perSample: true });
    r.loss.backward();
    const gp = arr(p.grad!), gq = arr(q.grad!);
    p.grad = null;
    q.grad = null;
    const ref = refLoss(p, q, w, mask, red);
    ref.loss.backward();
    const { rtol, atol } = tol(dt);
    close(tt, [r.loss.item()], [ref.loss.item()], rtol, atol, `loss ${msg}`);
    tt.equal(r.loss.ndim, 0, `0-d loss ${msg}`);
    tt.equal(r.loss.dtype, dt, `dtype ${msg}`);
    close(tt, arr(r.perSample), arr(ref.per), rtol, atol, `perSample ${msg}`);
    close(tt, gp, arr(p.grad!), rtol, atol, `grad pred ${msg}`);
    close(tt, gq, arr(q.grad!), rtol, atol, `grad target ${msg}`);
  }
});

t.test('weightedMse: non-contiguous inputs, broadcast mask, upstream grad scale, no-grad path', async (tt) => {
  const base = td.randn([7, 5], { dtype: 'float64', seed: 7 });
  base.requiresGrad = true;
  const p = td.transpose(base, 0, 1); // [5, 7] non-contiguous
  const q = td.randn([5, 7], { dtype: 'float64', seed: 8 });
  const w = td.tensor([1, 2, 3, 4, 5], { dtype: 'float64' });
  const mask = td.tensor([[1, 0, 1, 1, 0, 1, 1]], { dtype: 'float64' }); // [1, 7] broadcast
  const l = td.mul(weightedMse(p, q, w, { mask }), 3);
  l.backward();
  const g1 = arr(base.grad!);
  base.grad = null;
  const p2 = td.transpose(base, 0, 1);
  const ref = td.mul(refLoss(p2, q, w, td.expand(mask, [5, 7]), 'mean').loss, 3);
  ref.backward();
  close(tt, [l.item()], [ref.item()], 1e-12, 1e-12, 'loss');
  close(tt, g1, arr(base.grad!), 1e-12, 1e-12, 'grad through transpose, scaled by 3');
  const l2 = td.noGrad(() => weightedMse(p, q, w));
  tt.equal(l2.requiresGrad, false, 'no grad under noGrad');
  const l3 = weightedMse(q, q, w);
  tt.equal(l3.item(), 0, 'zero loss for equal inputs');
  tt.equal(l3.requiresGrad, false, 'no grad when no input requires grad');
});

t.test('sigmoidElbo = composition, all parameterisations and weightings, λ ∈ [−15, 15]', async (tt) => {
  const params: Parameterization[] = ['eps', 'x', 'v'];
  const weightings: ElboWeighting[] = ['sigmoid', 'elbo'];
  let trial = 0;
  for (const param of params)
    for (const weighting of weightings)
      for (const dt of ['float64', 'float32'] as DT[]) {
        trial++;
        const shape = randShape();
        const B = shape[0];
        const lamArr = Array.from({ length: B }, () => -15 + 30 * rand());
        const dlamArr = Array.from({ length: B }, () => -(0.5 + 20 * rand()));
        const bias = trial % 2 ? 0 : -2 + 4 * rand();
        const red = trial % 3 ? 'mean' : 'sum';
        const useMask = trial % 4 === 0;
        const msg = `${param}/${weighting} ${dt} ${JSON.stringify(shape)} bias=${bias.toFixed(2)} ${red} mask=${useMask}`;
        const lam = td.tensor(lamArr, { dtype: 'float64' }), dlam = td.tensor(dlamArr, { dtype: 'float64' });
        const p = td.randn(shape, { dtype: dt, seed: 500 + trial });
        const q = td.randn(shape, { dtype: dt, seed: 600 + trial });
        const mask = useMask ? td.cast(td.gt(td.rand(shape, { seed: 700 + trial }), 0.5), dt) : null;
        p.requiresGrad = true;
        q.requiresGrad = true;
        const r = sigmoidElbo(p, q, lam, dlam, { bias, parameterization: param, weighting, reduction: red, mask, perSample: true });
        r.loss.backward();
        const gp = arr(p.grad!), gq = arr(q.grad!);
        p.grad = null;
        q.grad = null;
        // ω from primitive ops in float64: ½ w(λ) (−dλ/dt) c(λ)
        const w = weighting === 'sigmoid' ? td.sigmoid(td.sub(bias, lam)) : td.onesLike(lam);
        const c = param === 'x' ? td.exp(lam) : param === 'v' ? td.sigmoid(lam) : td.onesLike(lam);
        const omega = td.cast(td.mul(td.mul(td.mul(w, td.neg(dlam)), c), 0.5), dt);
        const ref = refLoss(p, q, omega, mask, red);
        ref.loss.backward();
        const { rtol, atol } = tol(dt);
        // host formula agrees too
        close(tt, arr(omega).map(Number), lamArr.map((l, b) => elboWeight(l, dlamArr[b], { bias, parameterization: param, weighting })),
          dt === 'float64' ? 1e-13 : 1e-6, 0, `elboWeight ${msg}`);
        close(tt, [r.loss.item()], [ref.loss.item()], rtol, atol * 10, `loss ${msg}`);
        close(tt, arr(r.perSample), arr(ref.per), rtol, atol * 10, `perSample ${msg}`);
        close(tt, gp, arr(p.grad!), rtol, atol, `grad pred ${msg}`);
        close(tt, gq, arr(q.grad!), rtol, atol, `grad target ${msg}`);
      }
});

t.test('gradcheck in float64', async (tt) => {
  const p = td.randn([3, 5], { dtype: 'float64', seed: 41 });
  const q = td.randn([3, 5], { dtype: 'float64', seed: 42 });
  p.requiresGrad = true;
  q.requiresGrad = true;
  const w = td.tensor([0.5, 1.5, 2], { dtype: 'float64' });
  const mask = td.tensor([[1, 0, 1, 1, 1]], { dtype: 'float64' });
  tt.ok(td.gradcheck((a, b) => weightedMse(a, b, w, { mask }), [p, q]), 'weightedMse');
  tt.ok(td.gradcheck((a, b) => weightedMse(a, b, w, { reduction: 'sum' }), [p, q]), 'weightedMse sum');
  const lam = td.tensor([-3, 0.5, 4], { dtype: 'float64' }), dl = td.tensor([-2, -5, -1], { dtype: 'float64' });
  for (const parameterization of ['eps', 'x', 'v'] as const)
    tt.ok(td.gradcheck((a, b) => sigmoidElbo(a, b, lam, dl, { parameterization, bias: 1 }), [p, q]), `sigmoidElbo ${parameterization}`);
});

t.test('fused losses: deterministic across thread counts (large input)', async (tt) => {
  const p = td.randn([3, 100003], { seed: 5 }), q = td.randn([3, 100003], { seed: 6 });
  const w = td.tensor([1, 2, 3]);
  const prev = td.getNumThreads();
  td.setNumThreads(1);
  const a = weightedMse(p, q, w, { perSample: true });
  td.setNumThreads(2);
  const b = weightedMse(p, q, w, { perSample: true });
  td.setNumThreads(prev);
  tt.equal(a.loss.item(), b.loss.item(), 'same loss');
  tt.same(arr(a.perSample), arr(b.perSample), 'same perSample');
  const ref = refLoss(td.cast(p, 'float64'), td.cast(q, 'float64'), td.cast(w, 'float64'), null, 'mean').loss.item();
  close(tt, [a.loss.item()], [ref], 1e-6, 0, 'float32 inputs accumulated in double');
});

t.test('fused losses: bad inputs throw', async (tt) => {
  const p = td.randn([2, 3]), q = td.randn([2, 3]), w = td.ones([2]);
  throwsKind(tt, () => weightedMse(p, td.randn([2, 4]), w), RangeError, 'shape mismatch');
  throwsKind(tt, () => weightedMse(p, td.randn([2, 3], { dtype: 'float64' }), w), TypeError, 'dtype mismatch');
  throwsKind(tt, () => weightedMse(p, q, td.ones([3])), RangeError, 'weight shape');
  throwsKind(tt, () => weightedMse(p, q, td.ones([2, 1])), RangeError, 'weight rank');
  throwsKind(tt, () => weightedMse(p, q, w, { mask: td.ones([3, 3]) }), RangeError, 'mask shape');
  throwsKind(tt, () => weightedMse(p, q, w, { reduction: 'none' as 'sum' }), TypeError, 'reduction');
  throwsKind(tt, () => weightedMse(td.randint(0, 3, [2, 3]), td.randint(0, 3, [2, 3]), w), TypeError, 'int32');
  throwsKind(tt, () => weightedMse(td.tensor(1), td.tensor(2), w), RangeError, '0-d');
  throwsKind(tt, () => weightedMse(p, null as unknown as td.Tensor, w), TypeError, 'null target');
  const d = td.randn([2, 3]);
  d.dispose();
  throwsKind(tt, () => weightedMse(p, d, w), Error, 'disposed');
  const lam = td.zeros([2]);
  throwsKind(tt, () => sigmoidElbo(p, q, lam, lam, { parameterization: 'z' as 'x' }), TypeError, 'parameterization');
  throwsKind(tt, () => sigmoidElbo(p, q, lam, lam, { weighting: 'w' as 'elbo' }), TypeError, 'weighting');
  throwsKind(tt, () => sigmoidElbo(p, q, td.zeros([3]), lam), RangeError, 'logsnr shape');
  throwsKind(tt, () => sigmoidElbo(p, q, lam, lam, { bias: NaN }), TypeError, 'bias');
  try {
    weightedMse(p, td.randn([2, 4]), w);
  } catch (e) {
    tt.match((e as Error).message, /weightedMse.*\[2, 3\].*\[2, 4\]/, 'message names op and shapes');
  }
});

// ---- cldAffine -----------------------------------------------------------------------------------
/** Exact equality of two long arrays as one assertion (tap's deep same is slow at 1e6 elements). */
function sameArr(tt: { ok(v: unknown, m: string): unknown }, a: ArrayLike<number>, b: ArrayLike<number>, msg: string): void {
  let ok = a.length === b.length;
  for (let i = 0; ok && i < a.length; i++) ok = Object.is(a[i], b[i]);
  tt.ok(ok, msg);
}

const C9 = (k: number) => Array.from({ length: 9 }, (_, j) => Math.sin(k * 9 + j + 1));

function refAffine(x: td.Tensor, v: td.Tensor, s: td.Tensor | null, coef: number[], per: boolean, ex: td.Tensor, ev: td.Tensor) {
  const B = x.shape[0];
  const bshape = [B, ...x.shape.slice(1).map(() => 1)];
  const c = (j: number): td.Tensor | number =>
    per ? td.tensor(Float64Array.from({ length: B }, (_, b) => coef[b * 9 + j]), { shape: bshape, dtype: 'float64' }).to(x.dtype) : coef[j];
  let ox = td.add(td.add(td.mul(x, c(0)), td.mul(v, c(1))), td.mul(ex, c(6)));
  let ov = td.add(td.add(td.add(td.mul(x, c(3)), td.mul(v, c(4))), td.mul(ex, c(7))), td.mul(ev, c(8)));
  if (s) {
    ox = td.add(ox, td.mul(s, c(2)));
    ov = td.add(ov, td.mul(s, c(5)));
  }
  return { ox, ov };
}

t.test('cldAffine = m·(x, v, s) + L·(returned noise); shared / per-sample coef, s = null, noise: false', async (tt) => {
  for (let trial = 0; trial < 16; trial++) {
    const dt: DT = trial % 2 ? 'float32' : 'float64';
    const shape = randShape();
    const B = shape[0];
    const per = trial % 4 >= 2;
    const withS = trial % 8 < 6;
    const noise = trial % 5 !== 0;
    const coefArr = per ? Array.from({ length: B }, (_, b) => C9(b + trial)).flat() : C9(trial);
    const coef = td.tensor(coefArr, { shape: per ? [B, 9] : [9], dtype: 'float64' });
    const x = td.randn(shape, { dtype: dt, seed: 900 + trial }), v = td.randn(shape, { dtype: dt, seed: 1000 + trial });
    const s = withS ? td.randn(shape, { dtype: dt, seed: 1100 + trial }) : null;
    const r = cldAffine(x, v, s, coef, { seed: trial, noise, returnNoise: true });
    const msg = `${dt} ${JSON.stringify(shape)} per=${per} s=${withS} noise=${noise}`;
    tt.ok(r.epsX && r.epsV, `noise returned ${msg}`);
    if (!noise) tt.ok(arr(r.epsX!).every((z) => z === 0) && arr(r.epsV!).every((z) => z === 0), `zero noise ${msg}`);
    const ref = refAffine(x, v, s, coefArr, per, r.epsX!, r.epsV!);
    const rt = dt === 'float64' ? 1e-14 : 1e-6;
    close(tt, arr(r.x), arr(ref.ox), rt, rt, `x ${msg}`);
    close(tt, arr(r.v), arr(ref.ov), rt, rt, `v ${msg}`);
    const r2 = cldAffine(x, v, s, coef, { seed: trial, noise });
    tt.same(arr(r2.x), arr(r.x), `returnNoise does not change the result ${msg}`);
    tt.equal(r2.epsX, undefined, `no noise tensors unless asked ${msg}`);
  }
  // x and v may be the same tensor; non-contiguous inputs are copied
  const z = td.randn([4, 6], { dtype: 'float64', seed: 3 });
  const zt = td.transpose(td.randn([6, 4], { dtype: 'float64', seed: 4 }), 0, 1);
  const coef = td.tensor(C9(2), { dtype: 'float64' });
  const r = cldAffine(z, zt, null, coef, { noise: false });
  const ref = refAffine(z, zt, null, C9(2), false, td.zerosLike(z), td.zerosLike(z));
  close(tt, arr(r.x), arr(ref.ox), 1e-14, 1e-14, 'non-contiguous v');
  const r3 = cldAffine(z, z, null, coef, { noise: false });
  close(tt, arr(r3.v), arr(refAffine(z, z, null, C9(2), false, td.zerosLike(z), td.zerosLike(z)).ov), 1e-14, 1e-14, 'x and v alias');
});

t.test('cldAffine noise: standard normal, independent, deterministic, thread-count independent', async (tt) => {
  for (const dt of ['float32', 'float64'] as DT[]) {
    const n = 1_000_000;
    const x = td.zeros([4, n / 4], { dtype: dt });
    const coef = td.tensor([0, 0, 0, 0, 0, 0, 1, 0, 1], { dtype: 'float64' });
    const r = cldAffine(x, x, null, coef, { seed: 77n, returnNoise: true });
    const ex = arr(r.epsX!), ev = arr(r.epsV!);
    sameArr(tt, arr(r.x), ex, `${dt}: out_x = ξx when l11 = 1`);
    for (const [name, e] of [['ξx', ex], ['ξv', ev]] as const) {
      let m = 0, m2 = 0, m4 = 0;
      for (const z of e) {
        m += z;
        m2 += z * z;
        m4 += z ** 4;
      }
      m /= n;
      m2 /= n;
      m4 /= n;
      tt.ok(Math.abs(m) < 5 / Math.sqrt(n), `${dt} ${name} mean ${m}`);
      tt.ok(Math.abs(m2 - 1) < 5 * Math.sqrt(2 / n), `${dt} ${name} var ${m2}`);
      tt.ok(Math.abs(m4 - 3) < 5 * Math.sqrt(96 / n), `${dt} ${name} kurtosis ${m4}`);
      let tail = 0;
      for (const z of e) if (Math.abs(z) > 1.959963985) tail++;
      tt.ok(Math.abs(tail / n - 0.05) < 5 * Math.sqrt(0.05 * 0.95 / n), `${dt} ${name} two-sided 5% tail ${tail / n}`);
    }
    let cxy = 0;
    for (let i = 0; i < n; i++) cxy += ex[i] * ev[i];
    tt.ok(Math.abs(cxy / n) < 5 / Math.sqrt(n), `${dt} corr(ξx, ξv) ${cxy / n}`);
    const prev = td.getNumThreads();
    td.setNumThreads(1);
    const a = cldAffine(x, x, null, coef, { seed: 77n, returnNoise: true });
    td.setNumThreads(2);
    const b = cldAffine(x, x, null, coef, { seed: 77n, returnNoise: true });
    td.setNumThreads(prev);
    sameArr(tt, arr(a.epsV!), ev, `${dt} same seed, same noise (1 thread)`);
    sameArr(tt, arr(b.epsV!), ev, `${dt} same noise with 2 threads`);
    const c = cldAffine(x, x, null, coef, { seed: 78 });
    tt.not(arr(c.x)[0], ex[0], `${dt} another seed, other noise`);
    // the global generator advances between unseeded calls and is reproducible after manualSeed
    td.manualSeed(5);
    const g1 = arr(cldAffine(x, x, null, coef, {}).x).slice(0, 8);
    const g2 = arr(cldAffine(x, x, null, coef, {}).x).slice(0, 8);
    td.manualSeed(5);
    const g3 = arr(cldAffine(x, x, null, coef, {}).x).slice(0, 8);
    tt.notSame(g1, g2, `${dt} unseeded calls advance the stream`);
    tt.same(g1, g3, `${dt} manualSeed restarts it`);
  }
  // float32 noise depends only on the flat index (not on the shape, chunking or vector path)
  const coef = td.tensor([0, 0, 0, 0, 0, 0, 1, 0, 1], { dtype: 'float64' });
  const big = cldAffine(td.zeros([2, 10]), td.zeros([2, 10]), null, coef, { seed: 9, returnNoise: true });
  const small = cldAffine(td.zeros([1, 13]), td.zeros([1, 13]), null, coef, { seed: 9, returnNoise: true });
  tt.same(arr(small.epsX!), arr(big.epsX!).slice(0, 13), 'noise depends only on the flat index');
});

t.test('cldAffine noise follows the documented Philox layout (independent JS generator)', async (tt) => {
  // native/kernels/cld.h: float32 element i uses block i >> 1, words (w0, w1) if i is even, (w2, w3) if
  // odd; float64 element i uses block i. Shapes with odd per-sample sizes make chunks start at odd
  // elements and end mid-group; seeds above 2^32 exercise both key words.
  const coef = td.tensor([0, 0, 0, 0, 0, 0, 1, 0, 1], { dtype: 'float64' });
  for (const [shape, seed] of [[[3, 37], 11], [[2, 1000], 2n ** 40n + 5n], [[1, 5], 3]] as [number[], number | bigint][]) {
    for (const dt of ['float32', 'float64'] as const) {
      const z = td.zeros(shape, { dtype: dt });
      const r = cldAffine(z, z, null, coef, { seed, returnNoise: true });
      const n = z.numel;
      const wantX: number[] = [], wantV: number[] = [];
      for (let i = 0; i < n; i++) {
        let r0: number, th: number;
        if (dt === 'float32') {
          const w = block(seed, 0, Math.floor(i / 2));
          const [wa, wb] = i % 2 === 0 ? [w[0], w[1]] : [w[2], w[3]];
          r0 = Math.sqrt(-2 * Math.log(((wa >>> 8) + 1) / 2 ** 24));
          th = (2 * Math.PI * (wb >>> 8)) / 2 ** 24;
        } else {
          const w = block(seed, 0, i);
          const u1 = (Math.floor((w[1] * 2 ** 32 + w[0]) / 2048) + 1) * 2 ** -53;
          const u2 = Math.floor((w[3] * 2 ** 32 + w[2]) / 2048) * 2 ** -53;
          r0 = Math.sqrt(-2 * Math.log(u1));
          th = 2 * Math.PI * u2;
        }
        wantX.push(r0 * Math.cos(th));
        wantV.push(r0 * Math.sin(th));
      }
      const t = dt === 'float32' ? [2e-5, 2e-6] : [1e-9, 1e-9];
      close(tt, arr(r.epsX!), wantX, t[0], t[1], `${dt} ${JSON.stringify(shape)} seed ${seed}: ξx`);
      close(tt, arr(r.epsV!), wantV, t[0], t[1], `${dt} ${JSON.stringify(shape)} seed ${seed}: ξv`);
      td.dispose([z, r.x, r.v, r.epsX!, r.epsV!]);
    }
  }
});

t.test('cldAffine: bad inputs throw', async (tt) => {
  const x = td.randn([2, 3]), v = td.randn([2, 3]);
  const c9 = td.zeros([9], { dtype: 'float64' });
  throwsKind(tt, () => cldAffine(x, td.randn([2, 4]), null, c9), RangeError, 'v shape');
  throwsKind(tt, () => cldAffine(x, v, td.randn([3, 3]), c9), RangeError, 's shape');
  throwsKind(tt, () => cldAffine(x, td.randn([2, 3], { dtype: 'float64' }), null, c9), TypeError, 'v dtype');
  throwsKind(tt, () => cldAffine(x, v, null, td.zeros([8], { dtype: 'float64' })), RangeError, 'coef [8]');
  throwsKind(tt, () => cldAffine(x, v, null, td.zeros([3, 9], { dtype: 'float64' })), RangeError, 'coef [3, 9]');
  throwsKind(tt, () => cldAffine(x, v, null, td.zeros([9])), TypeError, 'coef float32');
  throwsKind(tt, () => cldAffine(td.randint(0, 2, [2, 3]), td.randint(0, 2, [2, 3]), null, c9), TypeError, 'int32');
  throwsKind(tt, () => cldAffine(td.tensor(1), td.tensor(1), null, c9), RangeError, '0-d');
  throwsKind(tt, () => cldAffine(x, v, null, c9, { seed: -1 }), TypeError, 'negative seed');
  throwsKind(tt, () => cldAffine(x, v, null, c9, { noise: 1 as unknown as boolean }), TypeError, 'noise flag');
  throwsKind(tt, () => cldAffine(x, undefined as unknown as td.Tensor, null, c9), TypeError, 'missing v');
  try {
    cldAffine(x, v, null, td.zeros([3, 9], { dtype: 'float64' }));
  } catch (e) {
    tt.match((e as Error).message, /cldAffine.*\[2, 9\].*\[3, 9\]/, 'message names op and shapes');
  }
  const y = cldAffine(x, v, null, c9, { seed: 1 });
  tt.equal(y.x.requiresGrad, false, 'no autograd');
});
