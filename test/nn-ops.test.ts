// nn-ops.test.ts — avgPool2d, upsampleNearest2d, groupNorm, rmsNorm, scaledDotProductAttention and
// embedding against plain-JS references written here (float64 and float32), gradients against
// float64 central differences (td.gradcheck) incl. broadcast and non-contiguous inputs, and
// argument errors (TypeError/RangeError naming the op, shapes and dtypes).
import t from 'tap';
import * as td from '../lib/index';
import { avgPool2d, upsampleNearest2d } from '../lib/ops/pool';
import { groupNorm, rmsNorm } from '../lib/ops/norm';
import { scaledDotProductAttention as sdpa } from '../lib/ops/attention';
import { embedding } from '../lib/ops/embedding';
import { close, throwsKind, uniform, stridesOf, numelOf } from './helpers/check';

type Tensor = td.Tensor;
type DT = 'float32' | 'float64';

const mk = (v: number[], shape: number[], dtype: DT = 'float64'): Tensor =>
  td.tensor(dtype === 'float32' ? new Float32Array(v) : new Float64Array(v), { shape });
const tol = (dtype: DT): [number, number] => (dtype === 'float64' ? [1e-12, 1e-13] : [2e-5, 2e-6]);

/** Runs gradcheck as one assertion, with its error message as the diagnostic. */
function gc(tt: tap.Test, name: string, fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], o?: td.GradcheckOptions): void {
  let ok = false, err = '';
  try { ok = td.gradcheck(fn, inputs, o); } catch (e) { err = (e as Error).message; }
  tt.ok(ok, `gradcheck ${name}`, err ? { error: err } : {});
}
/** Asserts fn throws `kind` with a message matching re. */
function errs(tt: tap.Test, fn: () => unknown, kind: Function, re: RegExp, msg: string): void {
  throwsKind(tt, fn, kind, msg);
  try { fn(); } catch (e) { tt.match((e as Error).message, re, `${msg}: message`); }
}
const rnd = (shape: number[], seed: number) => td.randn(shape, { dtype: 'float64', seed }).requiresGrad_();

// ---- pooling ------------------------------------------------------------------------------------

function avgPoolRef(x: number[], [N, C, H, W]: number[], k: [number, number], s: [number, number], p: [number, number]): number[] {
  const oh = Math.floor((H + 2 * p[0] - k[0]) / s[0]) + 1, ow = Math.floor((W + 2 * p[1] - k[1]) / s[1]) + 1;
  const out: number[] = [];
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
    let acc = 0;
    for (let a = 0; a < k[0]; a++) for (let b = 0; b < k[1]; b++) {
      const ih = i * s[0] - p[0] + a, iw = j * s[1] - p[1] + b;
      if (ih >= 0 && ih < H && iw >= 0 && iw < W) acc += x[((n * C + c) * H + ih) * W + iw];
    }
    out.push(acc / (k[0] * k[1]));
  }
  return out;
}

t.test('avgPool2d matches a plain-JS reference', async (t) => {
  const cases: { x: number[]; k: [number, number]; s?: [number, number]; p?: [number, number]; shape: number[] }[] = [
    { x: [2, 3, 6, 8], k: [2, 2], shape: [2, 3, 3, 4] }, // non-overlapping, exact
    { x: [1, 2, 7, 9], k: [2, 3], shape: [1, 2, 3, 3] }, // non-overlapping, cropped
    { x: [2, 2, 6, 5], k: [3, 3], s: [1, 1], p: [1, 1], shape: [2, 2, 6, 5] }, // overlapping, padded
    { x: [1, 3, 7, 7], k: [3, 2], s: [2, 1], p: [1, 0], shape: [1, 3, 4, 6] },
    { x: [2, 1, 5, 6], k: [2, 2], s: [3, 3], p: [1, 1], shape: [2, 1, 2, 3] }, // stride > kernel
  ];
  let seed = 10;
  for (const c of cases) {
    const X = uniform(seed++, numelOf(c.x));
    const ref = avgPoolRef(X, c.x, c.k, c.s ?? c.k, c.p ?? [0, 0]);
    for (const dtype of ['float64', 'float32'] as const) td.tidy(() => {
      const y = avgPool2d(mk(X, c.x, dtype), c.k, c.s, c.p);
      t.same(y.shape, c.shape, `${JSON.stringify(c)} ${dtype}: shape`);
      close(t, y.dataSync(), ref, ...tol(dtype), `${JSON.stringify(c)} ${dtype}: values`);
    });
  }
  td.tidy(() => {
    // unbatched, non-contiguous input, integer kernel
    const X = uniform(30, 3 * 6 * 6);
    const xt = mk(X, [3, 6, 6]).transpose(1, 2).contiguous().transpose(1, 2);
    t.notOk(xt.isContiguous());
    close(t, avgPool2d(xt, 2).dataSync(), avgPoolRef(X, [1, 3, 6, 6], [2, 2], [2, 2], [0, 0]), 1e-12, 1e-13, 'unbatched transposed input, fast path');
    close(t, avgPool2d(xt, 3, 1, 1).dataSync(), avgPoolRef(X, [1, 3, 6, 6], [3, 3], [1, 1], [1, 1]), 1e-12, 1e-13, 'unbatched transposed input, im2col path');
    t.same(avgPool2d(xt, 2).shape, [3, 3, 3], 'unbatched output shape');
  });
});

t.test('avgPool2d and upsampleNearest2d gradcheck', async (t) => {
  gc(t, 'avgPool2d non-overlapping', (x) => avgPool2d(x, 2), [rnd([2, 2, 4, 4], 40)]);
  gc(t, 'avgPool2d cropped', (x) => avgPool2d(x, [2, 3]), [rnd([1, 2, 5, 7], 41)]);
  gc(t, 'avgPool2d overlapping padded', (x) => avgPool2d(x, 3, 2, 1), [rnd([2, 2, 5, 6], 42)]);
  gc(t, 'avgPool2d of a permuted input', (x) => avgPool2d(x.permute([1, 0, 2, 3]), [2, 2], 1), [rnd([3, 2, 4, 5], 43)]);
  gc(t, 'upsampleNearest2d x2', (x) => upsampleNearest2d(x, 2), [rnd([2, 2, 3, 3], 44)]);
  gc(t, 'upsampleNearest2d (3, 2) of a transposed input', (x) => upsampleNearest2d(x.transpose(2, 3), [3, 2]), [rnd([1, 2, 4, 3], 45)]);
  gc(t, 'upsample then a non-contiguous consumer', (x) => upsampleNearest2d(x, 2).transpose(2, 3).mul(td.arange(0, 6, 1, { dtype: 'float64' })), [rnd([1, 1, 3, 2], 46)]);
});

t.test('upsampleNearest2d matches a plain-JS reference', async (t) => {
  for (const [shape, a, b] of [[[2, 3, 4, 5], 2, 2], [[1, 2, 3, 2], 3, 1], [[2, 1, 1, 4], 1, 4]] as [number[], number, number][]) {
    const X = uniform(50 + a * b, numelOf(shape));
    const [N, C, H, W] = shape;
    const ref: number[] = [];
    for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let i = 0; i < H * a; i++) for (let j = 0; j < W * b; j++)
      ref.push(X[((n * C + c) * H + Math.floor(i / a)) * W + Math.floor(j / b)]);
    for (const dtype of ['float64', 'float32'] as const) td.tidy(() => {
      const y = upsampleNearest2d(mk(X, shape, dtype), a === b ? a : [a, b]);
      t.same(y.shape, [N, C, H * a, W * b], `${shape} x(${a},${b}) ${dtype}: shape`);
      close(t, y.dataSync(), dtype === 'float32' ? ref.map(Math.fround) : ref, 0, 0, `${shape} x(${a},${b}) ${dtype}: values (exact copies)`);
    });
  }
  td.tidy(() => {
    // the gradient of sum(y * r) is the sum of r over each block
    const x = mk(uniform(60, 6), [1, 1, 2, 3]).requiresGrad_();
    const R = uniform(61, 4 * 6);
    td.sum(td.mul(upsampleNearest2d(x, 2), mk(R, [1, 1, 4, 6]))).backward();
    const want: number[] = [];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) s += R[(2 * i + a) * 6 + 2 * j + b];
      want.push(s);
    }
    close(t, x.grad!.dataSync(), want, 1e-12, 1e-14, 'upsample gradient sums each block');
    x.zeroGrad();
  });
});

// ---- normalisation ------------------------------------------------------------------------------

function groupNormRef(x: number[], shape: number[], G: number, w: number[] | null, b: number[] | null, eps: number): number[] {
  const [N, C] = shape, sp = numelOf(shape.slice(2)), Cg = C / G;
  const out = new Array<number>(x.length);
  for (let n = 0; n < N; n++) for (let g = 0; g < G; g++) {
    let m = 0, v = 0;
    for (let c = g * Cg; c < (g + 1) * Cg; c++) for (let s = 0; s < sp; s++) m += x[(n * C + c) * sp + s];
    m /= Cg * sp;
    for (let c = g * Cg; c < (g + 1) * Cg; c++) for (let s = 0; s < sp; s++) v += (x[(n * C + c) * sp + s] - m) ** 2;
    v /= Cg * sp;
    for (let c = g * Cg; c < (g + 1) * Cg; c++) for (let s = 0; s < sp; s++) {
      const i = (n * C + c) * sp + s;
      out[i] = ((x[i] - m) / Math.sqrt(v + eps)) * (w ? w[c] : 1) + (b ? b[c] : 0);
    }
  }
  return out;
}

t.test('groupNorm matches a plain-JS reference', async (t) => {
  const cases: [number[], number][] = [[[2, 6, 3, 4], 3], [[3, 4, 5], 2], [[2, 4], 4], [[1, 6, 2, 2, 2], 1]];
  let seed = 70;
  for (const [shape, G] of cases) {
    const C = shape[1];
    const X = uniform(seed++, numelOf(shape), -2, 3), Wt = uniform(seed++, C), B = uniform(seed++, C);
    for (const dtype of ['float64', 'float32'] as const) td.tidy(() => {
      const y = groupNorm(mk(X, shape, dtype), G, mk(Wt, [C], dtype), mk(B, [C], dtype), 1e-5);
      close(t, y.dataSync(), groupNormRef(X, shape, G, Wt, B, 1e-5), dtype === 'float64' ? 1e-11 : 1e-4, dtype === 'float64' ? 1e-12 : 1e-5, `groupNorm ${shape} G=${G} ${dtype}`);
      close(t, groupNorm(mk(X, shape, dtype), G).dataSync(), groupNormRef(X, shape, G, null, null, 1e-5), dtype === 'float64' ? 1e-11 : 1e-4, dtype === 'float64' ? 1e-12 : 1e-5, `groupNorm ${shape} G=${G} ${dtype} without affine`);
    });
  }
  td.tidy(() => {
    const shape = [2, 4, 3, 3];
    const X = uniform(80, numelOf(shape));
    const xp = mk(X, [2, 3, 3, 4]).permute([0, 3, 1, 2]); // non-contiguous [2, 4, 3, 3]
    const Xp = Array.from(xp.contiguous().dataSync());
    close(t, groupNorm(xp, 2, null, null, 0.1).dataSync(), groupNormRef(Xp, shape, 2, null, null, 0.1), 1e-12, 1e-13, 'groupNorm of a permuted input, eps 0.1');
  });
});

t.test('rmsNorm matches a plain-JS reference', async (t) => {
  const cases: [number[], number[]][] = [[[3, 8], [8]], [[2, 3, 4], [3, 4]], [[5], [5]]];
  let seed = 90;
  for (const [shape, ns] of cases) {
    const X = uniform(seed++, numelOf(shape), -2, 2), Wt = uniform(seed++, numelOf(ns));
    const m = numelOf(ns);
    for (const dtype of ['float64', 'float32'] as const) {
      const eps = dtype === 'float64' ? 2 ** -52 : 2 ** -23;
      const ref = (w: boolean, e: number) => X.map((v, i) => {
        const r0 = Math.floor(i / m) * m;
        let ms = 0;
        for (let j = 0; j < m; j++) ms += X[r0 + j] ** 2;
        return (v / Math.sqrt(ms / m + e)) * (w ? Wt[i - r0] : 1);
      });
      td.tidy(() => {
        close(t, rmsNorm(mk(X, shape, dtype), ns, mk(Wt, ns, dtype)).dataSync(), ref(true, eps), dtype === 'float64' ? 1e-12 : 1e-5, 1e-6, `rmsNorm ${shape} over ${ns} ${dtype}, default eps = machine eps`);
        close(t, rmsNorm(mk(X, shape, dtype), ns, null, 0.5).dataSync(), ref(false, 0.5), dtype === 'float64' ? 1e-12 : 1e-5, 1e-6, `rmsNorm ${shape} over ${ns} ${dtype}, eps 0.5, no weight`);
      });
    }
  }
});

t.test('groupNorm and rmsNorm gradcheck', async (t) => {
  gc(t, 'groupNorm [2,4,3,2] G=2 affine', (x, w, b) => groupNorm(x, 2, w, b, 1e-3), [rnd([2, 4, 3, 2], 100), rnd([4], 101), rnd([4], 102)]);
  gc(t, 'groupNorm [2,3,4] G=1 (layer-norm like) of a transposed input', (x) => groupNorm(x.transpose(1, 2), 1), [rnd([2, 4, 3], 103)]);
  gc(t, 'groupNorm depthwise (G = C)', (x, w) => groupNorm(x, 3, w), [rnd([2, 3, 5], 104), rnd([3], 105)]);
  gc(t, 'rmsNorm [3,5] over [5] with weight', (x, w) => rmsNorm(x, [5], w, 1e-6), [rnd([3, 5], 106), rnd([5], 107)]);
  gc(t, 'rmsNorm over two dims of a permuted input', (x, w) => rmsNorm(x.permute([2, 0, 1]), [2, 3], w), [rnd([2, 3, 4], 108), rnd([2, 3], 109)]);
});

// ---- attention ----------------------------------------------------------------------------------

/** Plain-JS attention over broadcast batch dims. mask(b, i, j) returns 'masked' or an additive number. */
function sdpaRef(q: number[], qs: number[], k: number[], ks: number[], v: number[], vs: number[], scale: number,
  mask: (bIdx: number[], i: number, j: number) => number | 'masked'): { out: number[]; shape: number[] } {
  const nb = Math.max(qs.length, ks.length, vs.length) - 2;
  const pad = (s: number[]) => [...new Array(nb - (s.length - 2)).fill(1), ...s];
  const Q = pad(qs), K = pad(ks), V = pad(vs);
  const batch = Q.slice(0, nb).map((_, d) => Math.max(Q[d], K[d], V[d]));
  const [L, E] = Q.slice(nb), S = K[nb], Ev = V[nb + 1];
  const off = (shape: number[], bIdx: number[]) => {
    const st = stridesOf(shape);
    return bIdx.reduce((a, bi, d) => a + (shape[d] === 1 ? 0 : bi * st[d]), 0);
  };
  const out: number[] = [];
  const nB = numelOf(batch);
  for (let bf = 0; bf < nB; bf++) {
    const bIdx = batch.map((_, d) => Math.floor(bf / numelOf(batch.slice(d + 1))) % batch[d]);
    const qo = off(Q, bIdx), ko = off(K, bIdx), vo = off(V, bIdx);
    for (let i = 0; i < L; i++) {
      const sc: number[] = [];
      for (let j = 0; j < S; j++) {
        const m = mask(bIdx, i, j);
        if (m === 'masked') { sc.push(-Infinity); continue; }
        let d = 0;
        for (let e = 0; e < E; e++) d += q[qo + i * E + e] * k[ko + j * E + e];
        sc.push(d * scale + m);
      }
      const mx = Math.max(...sc);
      const ex = sc.map((s) => (mx === -Infinity ? 0 : Math.exp(s - mx)));
      const z = ex.reduce((a, b) => a + b, 0);
      for (let e = 0; e < Ev; e++) {
        let acc = 0;
        for (let j = 0; j < S; j++) if (ex[j] > 0) acc += (ex[j] / z) * v[vo + j * Ev + e];
        out.push(acc);
      }
    }
  }
  return { out, shape: [...batch, L, Ev] };
}

t.test('scaledDotProductAttention matches a plain-JS reference', async (t) => {
  let seed = 120;
  const none = () => 0;
  const cases: { name: string; q: number[]; k: number[]; v: number[]; causal?: boolean; scale?: number }[] = [
    { name: 'plain [2,3,5,4]', q: [2, 3, 5, 4], k: [2, 3, 6, 4], v: [2, 3, 6, 3] },
    { name: 'broadcast batch (k, v shared over heads)', q: [2, 3, 4, 5], k: [2, 1, 7, 5], v: [1, 1, 7, 2] },
    { name: 'causal L < S', q: [2, 3, 4], k: [2, 6, 4], v: [2, 6, 5], causal: true },
    { name: 'causal L > S', q: [1, 6, 3], k: [1, 4, 3], v: [1, 4, 2], causal: true },
    { name: 'causal square, scale 0.3', q: [2, 5, 4], k: [2, 5, 4], v: [2, 5, 4], causal: true, scale: 0.3 },
    { name: '2-d inputs', q: [3, 4], k: [5, 4], v: [5, 6] },
  ];
  for (const c of cases) {
    const Q = uniform(seed++, numelOf(c.q), -2, 2), K = uniform(seed++, numelOf(c.k), -2, 2), V = uniform(seed++, numelOf(c.v));
    const E = c.q[c.q.length - 1];
    const ref = sdpaRef(Q, c.q, K, c.k, V, c.v, c.scale ?? 1 / Math.sqrt(E), c.causal ? (_b, i, j) => (j > i ? 'masked' : 0) : none);
    for (const dtype of ['float64', 'float32'] as const) td.tidy(() => {
      const y = sdpa(mk(Q, c.q, dtype), mk(K, c.k, dtype), mk(V, c.v, dtype), { isCausal: c.causal, scale: c.scale });
      t.same(y.shape, ref.shape, `${c.name} ${dtype}: shape`);
      close(t, y.dataSync(), ref.out, dtype === 'float64' ? 1e-12 : 2e-5, dtype === 'float64' ? 1e-13 : 2e-6, `${c.name} ${dtype}: values`);
    });
  }
  // masks: boolean (int32) broadcast over batch with a fully masked row, and additive (float)
  const qs = [2, 4, 3], ks = [2, 5, 3], vs = [2, 5, 2];
  const Q = uniform(140, numelOf(qs)), K = uniform(141, numelOf(ks)), V = uniform(142, numelOf(vs));
  const Mb = Array.from({ length: 4 * 5 }, (_, i) => ((i * 7) % 3 === 0 ? 0 : 1));
  for (let j = 0; j < 5; j++) Mb[2 * 5 + j] = 0; // query 2 sees nothing
  const Ma = uniform(143, 2 * 4 * 5, -3, 3);
  Ma[1 * 20 + 3 * 5 + 1] = -Infinity; // one -inf entry in an additive mask
  for (const dtype of ['float64', 'float32'] as const) td.tidy(() => {
    const q = mk(Q, qs, dtype), k = mk(K, ks, dtype), v = mk(V, vs, dtype);
    const refB = sdpaRef(Q, qs, K, ks, V, vs, 1 / Math.sqrt(3), (_b, i, j) => (Mb[i * 5 + j] ? 0 : 'masked'));
    const yb = sdpa(q, k, v, { attnMask: td.tensor(Mb, { shape: [4, 5], dtype: 'int32' }) });
    close(t, yb.dataSync(), refB.out, dtype === 'float64' ? 1e-12 : 2e-5, 1e-6, `boolean (int32) mask ${dtype}`);
    t.same(Array.from(yb.slice(1, 2, 3).dataSync()), [0, 0, 0, 0], `fully masked row gives zeros ${dtype}`);
    const refA = sdpaRef(Q, qs, K, ks, V, vs, 1 / Math.sqrt(3), (b, i, j) => Ma[b[0] * 20 + i * 5 + j]);
    const ya = sdpa(q, k, v, { attnMask: mk(Ma, [2, 4, 5], dtype) });
    close(t, ya.dataSync(), refA.out, dtype === 'float64' ? 1e-12 : 2e-5, 1e-6, `additive float mask ${dtype}`);
  });
});

t.test('scaledDotProductAttention gradcheck and dropout', async (t) => {
  gc(t, 'sdpa plain', (q, k, v) => sdpa(q, k, v), [rnd([2, 3, 4], 150), rnd([2, 5, 4], 151), rnd([2, 5, 3], 152)]);
  gc(t, 'sdpa causal, broadcast k/v, transposed q', (q, k, v) => sdpa(q.transpose(-2, -1), k, v, { isCausal: true }),
    [rnd([2, 2, 4, 3], 153), rnd([1, 5, 4], 154), rnd([2, 1, 5, 2], 155)]);
  const M = td.tensor([[1, 0, 1], [0, 0, 0], [1, 1, 0]], { dtype: 'int32' });
  gc(t, 'sdpa boolean mask with a fully masked row', (q, k, v) => sdpa(q, k, v, { attnMask: M, scale: 0.7 }), [rnd([3, 2], 156), rnd([3, 2], 157), rnd([3, 2], 158)]);
  gc(t, 'sdpa additive mask (gradient flows into the mask too)', (q, k, v, m) => sdpa(q, k, v, { attnMask: m }),
    [rnd([2, 3, 2], 159), rnd([2, 4, 2], 160), rnd([2, 4, 2], 161), rnd([3, 4], 162)]);
  gc(t, 'sdpa with seeded dropout (fixed mask)', (q, k, v) => sdpa(q, k, v, { dropoutP: 0.3, seed: 5 }), [rnd([3, 2], 163), rnd([4, 2], 164), rnd([4, 3], 165)]);
  td.tidy(() => {
    const q = td.randn([2, 8, 4], { seed: 170 }), k = td.randn([2, 8, 4], { seed: 171 }), v = td.randn([2, 8, 4], { seed: 172 });
    const a = sdpa(q, k, v, { dropoutP: 0.5, seed: 9 }).dataSync(), b = sdpa(q, k, v, { dropoutP: 0.5, seed: 9 }).dataSync();
    t.same(Array.from(a), Array.from(b), 'same dropout seed, same output');
    t.notSame(Array.from(a), Array.from(sdpa(q, k, v).dataSync()), 'dropout changes the output');
    t.same(Array.from(sdpa(q, k, v, { dropoutP: 1 }).dataSync()), new Array(64).fill(0), 'dropoutP 1 gives zeros');
    // the attention weights with dropout are the softmax weights with some zeroed and the rest / (1-p):
    // with v = identity rows, the output rows are those weights
    const eye = td.eye(8).reshape([1, 8, 8]).expand([2, 8, 8]);
    const w0 = sdpa(q, k, eye).dataSync(), wd = sdpa(q, k, eye, { dropoutP: 0.25, seed: 3 }).dataSync();
    let ok = true;
    for (let i = 0; i < w0.length; i++) if (wd[i] !== 0 && Math.abs(wd[i] - w0[i] / 0.75) > 1e-5) ok = false;
    t.ok(ok, 'kept weights are scaled by 1/(1-p)');
  });
});

// ---- embedding ----------------------------------------------------------------------------------

t.test('embedding picks rows and scatters gradients back', async (t) => {
  const Wt = uniform(180, 5 * 3);
  const idx = [[0, 4, 2], [2, 2, 1]];
  const w = mk(Wt, [5, 3]).requiresGrad_();
  const y = embedding(td.tensor(idx, { dtype: 'int32' }), w);
  t.same(y.shape, [2, 3, 3]);
  const want = idx.flat().flatMap((r) => Wt.slice(3 * r, 3 * r + 3));
  close(t, y.dataSync(), want, 0, 0, 'rows are exact copies');
  const G = uniform(181, 18);
  td.tidy(() => y.backward(mk(G, [2, 3, 3])));
  const gw = new Array<number>(15).fill(0);
  idx.flat().forEach((r, p) => { for (let d = 0; d < 3; d++) gw[3 * r + d] += G[3 * p + d]; });
  close(t, w.grad!.dataSync(), gw, 1e-14, 1e-15, 'gradient sums into the chosen rows (row 3 gets none)');
  w.zeroGrad();
  // paddingIdx: same values, no gradient into that row
  const yp = embedding(td.tensor(idx, { dtype: 'int32' }), w, { paddingIdx: 2 });
  close(t, yp.dataSync(), want, 0, 0, 'paddingIdx keeps the values');
  td.tidy(() => yp.backward(mk(G, [2, 3, 3])));
  const gwp = gw.map((g, i) => (Math.floor(i / 3) === 2 ? 0 : g));
  close(t, w.grad!.dataSync(), gwp, 1e-14, 1e-15, 'no gradient into the paddingIdx row');
  w.zeroGrad();
  // 0-d index, float32 table
  td.tidy(() => {
    const e = embedding(td.tensor(3, { dtype: 'int32' }), mk(Wt, [5, 3], 'float32'));
    t.same(e.shape, [3]);
    close(t, e.dataSync(), Wt.slice(9, 12), 1e-7, 0, '0-d index gives one row');
  });
  gc(t, 'embedding of a transposed table', (w) => embedding(td.tensor([[1, 0], [1, 2]], { dtype: 'int32' }), w.transpose(0, 1)), [rnd([4, 3], 182)]);
});

// ---- errors -------------------------------------------------------------------------------------

t.test('argument errors name the op, shapes and dtypes', async (t) => {
  const x = td.zeros([2, 4, 6, 6]), xi = td.zeros([2, 4, 6, 6], { dtype: 'int32' });
  errs(t, () => avgPool2d(xi, 2), TypeError, /avgPool2d.*int32/, 'avgPool2d int32');
  errs(t, () => avgPool2d(td.zeros([6, 6]), 2), RangeError, /avgPool2d: input must be \[N, C, H, W\].*\[6, 6\]/, 'avgPool2d 2-d');
  errs(t, () => avgPool2d(x, 0), RangeError, /avgPool2d: kernel/, 'avgPool2d kernel 0');
  errs(t, () => avgPool2d(x, 2, null, 2), RangeError, /avgPool2d: padding 2 must be at most half of kernel 2/, 'avgPool2d padding too big');
  errs(t, () => avgPool2d(x, 7), RangeError, /avgPool2d: input \[2, 4, 6, 6\] is too small for kernel 7x7/, 'avgPool2d kernel too big');
  errs(t, () => avgPool2d(x, 'a' as unknown as number), TypeError, /avgPool2d: kernel must be an integer/, 'avgPool2d kernel type');
  errs(t, () => upsampleNearest2d(x, 1.5), TypeError, /upsampleNearest2d: scale must be an integer/, 'upsample fractional scale');
  errs(t, () => upsampleNearest2d(x, 0), RangeError, /upsampleNearest2d: scale/, 'upsample scale 0');
  errs(t, () => upsampleNearest2d(xi, 2), TypeError, /upsampleNearest2d.*int32/, 'upsample int32');
  errs(t, () => groupNorm(x, 3), RangeError, /groupNorm: 4 channels of input \[2, 4, 6, 6\] do not split into 3 groups/, 'groupNorm groups');
  errs(t, () => groupNorm(x, 2, td.zeros([3])), RangeError, /groupNorm: weight \[3\] must have shape \[4\]/, 'groupNorm weight shape');
  errs(t, () => groupNorm(td.zeros([4]), 2), RangeError, /groupNorm: input must be \[N, C, ...\], got \[4\]/, 'groupNorm 1-d');
  errs(t, () => groupNorm(xi, 2), TypeError, /groupNorm.*int32/, 'groupNorm int32');
  errs(t, () => groupNorm(x, 2, null, null, 'x' as unknown as number), TypeError, /groupNorm: eps must be a number/, 'groupNorm eps');
  errs(t, () => rmsNorm(x, [5]), RangeError, /rmsNorm: normalizedShape \[5\] must match the trailing dims of input \[2, 4, 6, 6\]/, 'rmsNorm shape');
  errs(t, () => rmsNorm(x, [6], td.zeros([5])), RangeError, /rmsNorm: weight \[5\] must have shape \[6\]/, 'rmsNorm weight');
  errs(t, () => rmsNorm(xi, [6]), TypeError, /rmsNorm.*int32/, 'rmsNorm int32');
  const q = td.zeros([2, 3, 4]), k = td.zeros([2, 5, 4]), v = td.zeros([2, 5, 6]);
  errs(t, () => sdpa(q, td.zeros([2, 5, 3]), v), RangeError, /scaledDotProductAttention: expected query \[\.\.\., L, E\].*key \[2, 5, 3\]/, 'sdpa E mismatch');
  errs(t, () => sdpa(q, k, td.zeros([2, 4, 6])), RangeError, /scaledDotProductAttention.*value \[2, 4, 6\]/, 'sdpa S mismatch');
  errs(t, () => sdpa(q, k, v.double()), TypeError, /scaledDotProductAttention: query, key and value must share one float dtype.*float64/, 'sdpa dtype');
  errs(t, () => sdpa(td.zeros([3, 3, 4]), k, v), RangeError, /scaledDotProductAttention: shapes \[3\] and \[2\] cannot be broadcast/, 'sdpa batch');
  errs(t, () => sdpa(q, k, v, { attnMask: td.zeros([3, 4]) }), RangeError, /scaledDotProductAttention: attnMask|cannot be broadcast/, 'sdpa mask shape');
  errs(t, () => sdpa(q, k, v, { attnMask: td.zeros([3, 5], { dtype: 'float64' }) }), TypeError, /attnMask must be int32 \(boolean\) or float32/, 'sdpa mask dtype');
  errs(t, () => sdpa(q, k, v, { attnMask: td.zeros([3, 5]), isCausal: true }), TypeError, /either attnMask or isCausal/, 'sdpa mask and causal');
  errs(t, () => sdpa(q, k, v, { dropoutP: 2 }), RangeError, /scaledDotProductAttention: dropoutP/, 'sdpa dropoutP');
  errs(t, () => sdpa(q, k, v, { scale: NaN }), TypeError, /scaledDotProductAttention: scale/, 'sdpa scale');
  errs(t, () => sdpa(td.zeros([4]), k, v), RangeError, /at least 2 dims/, 'sdpa 1-d');
  const W = td.zeros([5, 3]);
  errs(t, () => embedding(td.zeros([2]), W), TypeError, /embedding: indices must be int32, got float32 \[2\]/, 'embedding float indices');
  errs(t, () => embedding(td.tensor([1, 5], { dtype: 'int32' }), W), RangeError, /embedding: an index is outside \[0, 5\)/, 'embedding index out of range');
  errs(t, () => embedding(td.tensor([-1], { dtype: 'int32' }), W), RangeError, /embedding: an index is outside/, 'embedding negative index');
  errs(t, () => embedding(td.tensor([1], { dtype: 'int32' }), td.zeros([5])), RangeError, /embedding: weight must be \[num, dim\], got \[5\]/, 'embedding 1-d weight');
  errs(t, () => embedding(td.tensor([1], { dtype: 'int32' }), W, { paddingIdx: 5 }), RangeError, /embedding: paddingIdx 5/, 'embedding paddingIdx');
});

t.test('a training-like loop over every op does not leak', async (t) => {
  const w = td.randn([4], { seed: 190 }).requiresGrad_();
  const table = td.randn([6, 4], { seed: 191 }).requiresGrad_();
  const x = td.randn([2, 4, 6, 6], { seed: 192 });
  const idx = td.tensor([[1, 5, 0], [2, 2, 3]], { dtype: 'int32' });
  const m = td.tensor([[1, 0, 1], [1, 1, 0], [0, 0, 0]], { dtype: 'int32' });
  const step = () => td.tidy(() => {
    const h = groupNorm(upsampleNearest2d(avgPool2d(x, 2), 2), 2, w);
    const h2 = avgPool2d(h, 3, 1, 1);
    const e = rmsNorm(embedding(idx, table, { paddingIdx: 0 }), [4], w);
    const a = sdpa(e, e, e, { isCausal: true });
    const a2 = sdpa(e, e, e, { attnMask: m, dropoutP: 0.1, seed: 1 });
    td.add(td.add(td.mean(td.square(h2)), td.mean(a)), td.mean(a2)).backward();
    w.zeroGrad();
    table.zeroGrad();
  });
  for (let i = 0; i < 3; i++) step();
  const before = td.memory();
  for (let i = 0; i < 30; i++) step();
  const after = td.memory();
  t.equal(after.tensors, before.tensors, 'tensor count is flat');
  t.equal(after.storages, before.storages, 'storage count is flat');
});
