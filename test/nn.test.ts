// nn.test.ts — softmax / logSoftmax along each dim, layerNorm, crossEntropy (reductions, label
// smoothing), mseLoss and dropout against plain-JS references.
import t from 'tap';
import * as td from '../lib/index';
import { throwsKind, close, arr, uniform, stridesOf } from './helpers/check';

/** Exact element-wise equality of two long arrays (t.same is far too slow on 1e5 elements). */
function sameArr(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** Applies f to every 1-D fibre of (data, shape) along dim; f maps the fibre to a same-length array. */
function alongDim(data: ArrayLike<number>, shape: readonly number[], dim: number, f: (v: number[]) => number[]): number[] {
  const st = stridesOf(shape);
  const out = new Array<number>(data.length);
  const n = shape[dim], s = st[dim];
  for (let base = 0; base < data.length; base++) {
    // base is the start of a fibre when its index along dim is 0
    if (Math.floor(base / s) % n !== 0) continue;
    const v = Array.from({ length: n }, (_, i) => data[base + i * s]);
    const r = f(v);
    for (let i = 0; i < n; i++) out[base + i * s] = r[i];
  }
  return out;
}
const softmaxJS = (v: number[]) => {
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};
const logSoftmaxJS = (v: number[]) => {
  const m = Math.max(...v);
  const lse = m + Math.log(v.reduce((a, x) => a + Math.exp(x - m), 0));
  return v.map((x) => x - lse);
};

const mk = (v: number[], shape: number[], dtype: 'float32' | 'float64') =>
  td.tensor(dtype === 'float32' ? new Float32Array(v) : new Float64Array(v), { shape });

t.test('softmax / logSoftmax along each dim', async (t) => {
  const shape = [3, 4, 5];
  for (const dtype of ['float32', 'float64'] as const) {
    const rtol = dtype === 'float32' ? 3e-6 : 1e-13;
    const x = mk(uniform(1, 60, -4, 4), shape, dtype);
    const X = arr(x);
    for (const dim of [0, 1, 2, -1, -2, -3]) {
      const d = dim < 0 ? dim + 3 : dim;
      const s = td.softmax(x, dim);
      t.same(s.shape, shape);
      t.equal(s.dtype, dtype);
      close(t, s.dataSync(), alongDim(X, shape, d, softmaxJS), rtol, 1e-30, `softmax ${dtype} dim ${dim}`);
      const ls = x.logSoftmax(dim);
      close(t, ls.dataSync(), alongDim(X, shape, d, logSoftmaxJS), rtol, dtype === 'float32' ? 1e-6 : 1e-14, `logSoftmax ${dtype} dim ${dim}`);
      // rows sum to 1
      close(t, s.sum(dim).dataSync(), new Array(60 / shape[d]).fill(1), dtype === 'float32' ? 1e-6 : 1e-14, 0, `softmax ${dtype} dim ${dim} sums to 1`);
    }
    t.same(arr(x.softmax()), arr(td.softmax(x, -1)), 'default dim is -1');
    // a permuted (non-contiguous) input
    const xp = x.permute([2, 0, 1]); // [5,3,4]
    const XP = arr(xp.contiguous());
    for (const dim of [0, 2]) {
      close(t, td.softmax(xp, dim).dataSync(), alongDim(XP, [5, 3, 4], dim, softmaxJS), rtol, 1e-30, `softmax ${dtype} of a permuted input, dim ${dim}`);
      close(t, td.logSoftmax(xp, dim).dataSync(), alongDim(XP, [5, 3, 4], dim, logSoftmaxJS), rtol, 1e-6, `logSoftmax ${dtype} of a permuted input, dim ${dim}`);
    }
    // large values: no overflow, no NaN
    const big = mk([1000, 1000, 999, -1000, 0, 1000], [2, 3], dtype);
    close(t, td.softmax(big, 1).dataSync(), [...softmaxJS([1000, 1000, 999]), ...softmaxJS([-1000, 0, 1000])], rtol, 1e-30, `softmax ${dtype} of large values`);
    close(t, td.logSoftmax(big, 1).dataSync(), [...logSoftmaxJS([1000, 1000, 999]), ...logSoftmaxJS([-1000, 0, 1000])], rtol, 1e-6, `logSoftmax ${dtype} of large values`);
    const withInf = mk([-Infinity, 0, -Infinity, 1], [2, 2], dtype);
    t.same(arr(td.softmax(withInf, 1)), [0, 1, 0, 1], `softmax ${dtype} with -inf entries`);
    t.same(arr(td.logSoftmax(withInf, 1)), [-Infinity, 0, -Infinity, 0]);
    // a long row (parallel / vectorised paths)
    const long = mk(uniform(2, 3 * 5000, -10, 10), [3, 5000], dtype);
    close(t, td.softmax(long, 1).dataSync(), alongDim(arr(long), [3, 5000], 1, softmaxJS), rtol, 1e-30, `softmax ${dtype} of [3,5000]`);
    close(t, td.softmax(long, 0).dataSync(), alongDim(arr(long), [3, 5000], 0, softmaxJS), rtol, 1e-30, `softmax ${dtype} of [3,5000] along dim 0`);
  }
  // float32 accuracy on long rows: a float32 softmax with a 1-2 ulp exp and a well-accumulated sum is
  // within ~1.3e-6 of the exact value whatever the row length (the rounding of x - max, up to 0.5 ulp of
  // 20, dominates), and its rows sum to 1 within ~1e-6; an error that grows with the row length means
  // the row sum is accumulated in float
  for (const n of [5000, 100000]) {
    const xr = td.sub(td.mul(td.rand([1, n], { seed: 3 }), 20), 10);
    const XR = arr(xr);
    close(t, td.softmax(xr, -1).dataSync(), softmaxJS(XR), 3e-6, 1e-30, `softmax float32 of one row of ${n} elements`);
    close(t, [td.softmax(xr, -1).sum().item()], [1], 3e-6, 0, `softmax float32 of ${n} elements sums to 1`);
    close(t, td.logSoftmax(xr, -1).dataSync(), logSoftmaxJS(XR), 1e-6, 3e-6, `logSoftmax float32 of one row of ${n} elements`);
  }
  const s0 = td.softmax(td.tensor(3), 0);
  t.same(s0.shape, [], 'softmax of a 0-d tensor is 0-d');
  t.equal(s0.item(), 1);
  t.equal(td.logSoftmax(td.tensor(3)).item(), 0);
  t.same(td.softmax(td.zeros([0, 3]), 1).shape, [0, 3], 'softmax of an empty batch');
  throwsKind(t, () => td.softmax(td.tensor([1, 2], { dtype: 'int32' })), TypeError, 'softmax of int32');
  throwsKind(t, () => td.softmax(td.zeros([2, 3]), 2), RangeError, 'dim out of range');
});

function layerNormJS(x: number[], shape: number[], nd: number, w: number[] | null, b: number[] | null, eps: number): number[] {
  const D = shape.slice(shape.length - nd).reduce((a, c) => a * c, 1);
  const out = new Array<number>(x.length);
  for (let r = 0; r < x.length / D; r++) {
    const v = x.slice(r * D, (r + 1) * D);
    const m = v.reduce((a, c) => a + c, 0) / D;
    const va = v.reduce((a, c) => a + (c - m) ** 2, 0) / D;
    const inv = 1 / Math.sqrt(va + eps);
    for (let i = 0; i < D; i++) out[r * D + i] = (v[i] - m) * inv * (w ? w[i] : 1) + (b ? b[i] : 0);
  }
  return out;
}

t.test('layerNorm', async (t) => {
  for (const dtype of ['float32', 'float64'] as const) {
    const rtol = dtype === 'float32' ? 1e-5 : 1e-12;
    const atol = dtype === 'float32' ? 2e-6 : 1e-13;
    const shape = [2, 3, 8];
    const xv = uniform(11, 48, -3, 5);
    const x = mk(xv, shape, dtype);
    const X = arr(x);
    const w = mk(uniform(12, 8, 0.5, 2), [8], dtype), b = mk(uniform(13, 8, -1, 1), [8], dtype);
    const W = arr(w), B = arr(b);
    close(t, td.layerNorm(x, [8]).dataSync(), layerNormJS(X, shape, 1, null, null, 1e-5), rtol, atol, `${dtype} over the last dim`);
    close(t, td.layerNorm(x, [8], w, b).dataSync(), layerNormJS(X, shape, 1, W, B, 1e-5), rtol, atol, `${dtype} with weight and bias`);
    close(t, td.layerNorm(x, [8], w).dataSync(), layerNormJS(X, shape, 1, W, null, 1e-5), rtol, atol, `${dtype} with weight only`);
    close(t, td.layerNorm(x, [8], null, b).dataSync(), layerNormJS(X, shape, 1, null, B, 1e-5), rtol, atol, `${dtype} with bias only`);
    close(t, td.layerNorm(x, [8], w, b, 0.1).dataSync(), layerNormJS(X, shape, 1, W, B, 0.1), rtol, atol, `${dtype} eps 0.1`);
    // over the last two dims
    const w2 = mk(uniform(14, 24, 0.5, 2), [3, 8], dtype), b2 = mk(uniform(15, 24, -1, 1), [3, 8], dtype);
    const y2 = td.layerNorm(x, [3, 8], w2, b2);
    t.same(y2.shape, shape);
    close(t, y2.dataSync(), layerNormJS(X, shape, 2, arr(w2), arr(b2), 1e-5), rtol, atol, `${dtype} over the last two dims`);
    close(t, td.layerNorm(x, [3, 8]).dataSync(), layerNormJS(X, shape, 2, null, null, 1e-5), rtol, atol, `${dtype} over the last two dims, no affine`);
    // output rows have mean 0 and (biased) variance ~1 without affine
    const y = td.layerNorm(x, [8]);
    close(t, y.mean(-1).dataSync(), new Array(6).fill(0), 0, dtype === 'float32' ? 1e-6 : 1e-14, `${dtype} rows have mean 0`);
    // a non-contiguous input
    const xt = mk(xv, [2, 8, 3], dtype).transpose(1, 2); // [2,3,8]
    close(t, td.layerNorm(xt, [8]).dataSync(), layerNormJS(arr(xt), shape, 1, null, null, 1e-5), rtol, atol, `${dtype} of a transposed input`);
    // a large common offset
    const off = mk(xv.map((v) => v + 1000), shape, dtype);
    close(t, td.layerNorm(off, [8]).dataSync(), layerNormJS(arr(off), shape, 1, null, null, 1e-5), dtype === 'float32' ? 1e-3 : 1e-9,
      dtype === 'float32' ? 1e-3 : 1e-10, `${dtype} with a large offset`);
  }
  const x = td.zeros([2, 4]);
  const constRow = td.layerNorm(td.full([2, 4], 3), [4]);
  t.same(arr(constRow), new Array(8).fill(0), 'a constant row normalises to 0 (eps keeps it finite)');
  throwsKind(t, () => td.layerNorm(x, [3]), RangeError, 'normalizedShape not matching');
  throwsKind(t, () => td.layerNorm(x, [2, 4, 1]), RangeError, 'normalizedShape longer than the input');
  throwsKind(t, () => td.layerNorm(x, []), RangeError, 'empty normalizedShape');
  throwsKind(t, () => td.layerNorm(x, [4], td.ones([3])), RangeError, 'weight of the wrong shape');
  throwsKind(t, () => td.layerNorm(x, [4], null, td.ones([4, 1])), RangeError, 'bias of the wrong shape');
  throwsKind(t, () => td.layerNorm(td.zeros([2, 4], { dtype: 'int32' }), [4]), TypeError, 'int32 input');
});

function crossEntropyJS(logits: number[], N: number, C: number, target: number[], ls: number): number[] {
  const out: number[] = [];
  for (let n = 0; n < N; n++) {
    const lp = logSoftmaxJS(logits.slice(n * C, (n + 1) * C));
    const nll = -lp[target[n]];
    const smooth = -lp.reduce((a, b) => a + b, 0) / C;
    out.push((1 - ls) * nll + ls * smooth);
  }
  return out;
}

t.test('crossEntropy', async (t) => {
  const N = 6, C = 5;
  for (const dtype of ['float32', 'float64'] as const) {
    const rtol = dtype === 'float32' ? 2e-6 : 1e-13;
    const logits = mk(uniform(21, N * C, -3, 3), [N, C], dtype);
    const L = arr(logits);
    const target = [0, 4, 2, 2, 1, 3];
    const tt = td.tensor(target, { dtype: 'int32' });
    for (const ls of [0, 0.1, 1]) {
      const per = crossEntropyJS(L, N, C, target, ls);
      const none = td.crossEntropy(logits, tt, { reduction: 'none', labelSmoothing: ls });
      t.same(none.shape, [N], 'reduction none keeps the batch');
      t.equal(none.dtype, dtype);
      close(t, none.dataSync(), per, rtol, 1e-7, `${dtype} labelSmoothing ${ls} reduction none`);
      const mean = td.crossEntropy(logits, tt, { labelSmoothing: ls });
      t.same(mean.shape, [], 'mean is 0-d');
      close(t, [mean.item()], [per.reduce((a, b) => a + b, 0) / N], rtol, 1e-7, `${dtype} labelSmoothing ${ls} mean (default)`);
      const sum = td.crossEntropy(logits, tt, { reduction: 'sum', labelSmoothing: ls });
      close(t, [sum.item()], [per.reduce((a, b) => a + b, 0)], rtol, 1e-7, `${dtype} labelSmoothing ${ls} sum`);
    }
    // one sample: logits [C], target []
    const one = td.crossEntropy(logits.narrow(0, 1, 1).reshape([C]), td.tensor(4, { dtype: 'int32' }));
    t.same(one.shape, []);
    close(t, [one.item()], [crossEntropyJS(L, N, C, target, 0)[1]], rtol, 1e-7, `${dtype} a single sample`);
    const oneNone = td.crossEntropy(logits.narrow(0, 1, 1).reshape([C]), td.tensor(4, { dtype: 'int32' }), { reduction: 'none' });
    t.same(oneNone.shape, [], 'single sample with reduction none is 0-d');
    // large logits stay finite
    const big = mk([1000, 0, -1000, 0, 1000, 999], [2, 3], dtype);
    close(t, td.crossEntropy(big, td.tensor([1, 2], { dtype: 'int32' }), { reduction: 'none' }).dataSync(),
      crossEntropyJS([1000, 0, -1000, 0, 1000, 999], 2, 3, [1, 2], 0), rtol, 1e-6, `${dtype} large logits`);
    // transposed logits
    const lt = mk(L, [C, N], dtype).transpose(); // [N, C] view of different data
    const LT = arr(lt);
    close(t, td.crossEntropy(lt, tt, { reduction: 'none' }).dataSync(), crossEntropyJS(LT, N, C, target, 0), rtol, 1e-7, `${dtype} transposed logits`);
  }
  const logits = td.zeros([2, 3]);
  t.equal(td.crossEntropy(logits, td.tensor([0, 2], { dtype: 'int32' })).item(), Math.fround(Math.log(3)), 'uniform logits give log C');
  throwsKind(t, () => td.crossEntropy(logits, td.tensor([0, 3], { dtype: 'int32' })), RangeError, 'target out of range');
  throwsKind(t, () => td.crossEntropy(logits, td.tensor([0, -1], { dtype: 'int32' })), RangeError, 'negative target');
  throwsKind(t, () => td.crossEntropy(logits, td.tensor([0, 1])), TypeError, 'float targets');
  throwsKind(t, () => td.crossEntropy(logits, td.tensor([0, 1, 2], { dtype: 'int32' })), RangeError, 'batch mismatch');
  throwsKind(t, () => td.crossEntropy(td.zeros([2, 3, 4]), td.tensor([0, 1], { dtype: 'int32' })), RangeError, '3-D logits');
  throwsKind(t, () => td.crossEntropy(logits, td.tensor([0, 1], { dtype: 'int32' }), { reduction: 'avg' as unknown as 'mean' }), TypeError, 'unknown reduction');
  throwsKind(t, () => td.crossEntropy(logits, td.tensor([0, 1], { dtype: 'int32' }), { labelSmoothing: 1.5 }), RangeError, 'labelSmoothing > 1');
});

t.test('mseLoss', async (t) => {
  for (const dtype of ['float32', 'float64'] as const) {
    const rtol = dtype === 'float32' ? 1e-6 : 1e-13;
    const a = mk(uniform(31, 24, -2, 2), [4, 6], dtype), b = mk(uniform(32, 24, -2, 2), [4, 6], dtype);
    const A = arr(a), B = arr(b);
    const sq = A.map((v, i) => (v - B[i]) ** 2);
    const none = td.mseLoss(a, b, { reduction: 'none' });
    t.same(none.shape, [4, 6]);
    close(t, none.dataSync(), sq, rtol, 1e-7, `${dtype} reduction none`);
    close(t, [td.mseLoss(a, b).item()], [sq.reduce((x, y) => x + y, 0) / 24], rtol, 0, `${dtype} mean (default)`);
    close(t, [td.mseLoss(a, b, { reduction: 'sum' }).item()], [sq.reduce((x, y) => x + y, 0)], rtol, 0, `${dtype} sum`);
    // broadcasting target
    const r = mk([0.5, -1, 2, 0, 1, -0.5], [6], dtype);
    const R = arr(r);
    close(t, [td.mseLoss(a, r).item()], [A.reduce((s, v, i) => s + (v - R[i % 6]) ** 2, 0) / 24], rtol, 0, `${dtype} broadcast target`);
    t.equal(td.mseLoss(a, a).item(), 0, 'mse of a tensor with itself is 0');
  }
  throwsKind(t, () => td.mseLoss(td.zeros([2, 3]), td.zeros([3, 2])), RangeError, 'shapes that do not broadcast');
  throwsKind(t, () => td.mseLoss(td.zeros([2]), td.zeros([2]), { reduction: 'max' as unknown as 'sum' }), TypeError, 'unknown reduction');
});

t.test('dropout', async (t) => {
  const n = 200000;
  const x = td.add(td.rand([n], { seed: 1 }), 0.5); // values in [0.5, 1.5), no zeros
  const X = arr(x);
  for (const p of [0.1, 0.3, 0.5, 0.9]) {
    const y = td.dropout(x, p, { seed: 42 });
    t.same(y.shape, x.shape);
    const Y = y.dataSync();
    const scale = Math.fround(1 / (1 - p));
    let kept = 0, badScale = 0, badZero = 0;
    for (let i = 0; i < n; i++) {
      if (Y[i] === 0) continue;
      kept++;
      if (Math.abs(Y[i] - X[i] * scale) > 1e-6 * Math.abs(X[i] * scale)) badScale++;
    }
    for (let i = 0; i < n; i++) if (Y[i] !== 0 && Y[i] !== Y[i]) badZero++;
    const frac = kept / n;
    // binomial sd = sqrt(p (1-p) / n) <= 1.2e-3
    t.ok(Math.abs(frac - (1 - p)) < 6e-3, `p=${p}: kept fraction ${frac.toFixed(4)} ~ ${1 - p}`);
    t.equal(badScale, 0, `p=${p}: kept values are x / (1 - p)`);
    t.equal(badZero, 0, `p=${p}: no NaN`);
    // the mean is preserved in expectation
    const mx = X.reduce((a, b) => a + b, 0) / n, my = Array.from(Y).reduce((a, b) => a + b, 0) / n;
    t.ok(Math.abs(my - mx) < 0.02 * mx * Math.sqrt(p / (1 - p)) + 1e-3, `p=${p}: mean ${my} ~ ${mx}`);
  }
  // the mask is the documented uniform draw: element i is kept iff u_i >= p, u = rand([n], {seed})
  const u = td.rand([n], { seed: 42 }).dataSync();
  const y3 = td.dropout(x, 0.3, { seed: 42 }).dataSync();
  let mism = 0;
  for (let i = 0; i < n; i++) if ((y3[i] !== 0) !== (u[i] >= Math.fround(0.3))) mism++;
  t.equal(mism, 0, 'dropout(seed) keeps exactly the elements where rand(seed) >= p');

  // seeded reproducibility
  const a1 = arr(td.dropout(x, 0.5, { seed: 7 }));
  const a2 = arr(td.dropout(x, 0.5, { seed: 7 }));
  t.ok(sameArr(a2, a1), 'same {seed} => same mask');
  const a3 = arr(td.dropout(x, 0.5, { seed: 8 }));
  t.notOk(sameArr(a3, a1), 'different {seed} => different mask');
  td.manualSeed(99);
  const g1 = arr(td.dropout(x, 0.5));
  const g2 = arr(td.dropout(x, 0.5));
  td.manualSeed(99);
  t.ok(sameArr(arr(td.dropout(x, 0.5)), g1), 'manualSeed reproduces the first mask');
  t.ok(sameArr(arr(td.dropout(x, 0.5)), g2), 'manualSeed reproduces the second mask');
  t.notOk(sameArr(g2, g1), 'consecutive calls draw different masks');
  td.manualSeed(99);
  td.dropout(x, 0.5, { seed: 1234 });
  t.ok(sameArr(arr(td.dropout(x, 0.5)), g1), 'a {seed} call does not advance the global stream');

  // training: false, p = 0, p = 1
  t.equal(td.dropout(x, 0.5, { training: false }), x, 'training: false returns the input itself');
  t.equal(td.dropout(x, 0), x, 'p = 0 returns the input');
  const z = td.dropout(x, 1);
  t.ok(arr(z).every((v) => v === 0), 'p = 1 zeroes everything');
  // float64 and 2-D / non-contiguous inputs
  const x64 = td.tensor(new Float64Array(X.slice(0, 1000)), { shape: [20, 50] });
  const y64 = td.dropout(x64, 0.25, { seed: 5 });
  t.equal(y64.dtype, 'float64');
  t.same(y64.shape, [20, 50]);
  const Y64 = arr(y64), X64 = arr(x64);
  t.ok(Y64.every((v, i) => v === 0 || Math.abs(v - X64[i] / 0.75) < 1e-12 * Math.abs(v)), 'float64 kept values are x / 0.75');
  const xt = x64.transpose();
  const yt = td.dropout(xt, 0.25, { seed: 5 });
  t.same(yt.shape, [50, 20]);
  const XT = arr(xt), YT = arr(yt);
  t.ok(YT.every((v, i) => v === 0 || Math.abs(v - XT[i] / 0.75) < 1e-12 * Math.abs(v)), 'dropout of a transposed input scales its elements');
  throwsKind(t, () => td.dropout(x, 1.5), RangeError, 'p > 1');
  throwsKind(t, () => td.dropout(x, -0.1), RangeError, 'p < 0');
  throwsKind(t, () => td.dropout(td.ones([2], { dtype: 'int32' }), 0.5), TypeError, 'int32 input');
});
