// reduce.test.ts — sum mean prod amax amin max/min(dim) argmax argmin var std logsumexp norm over single,
// multiple, negative and all dims, keepdim true/false, contiguous and permuted inputs, against JS.
import t from 'tap';
import * as td from '../lib/index';
import { throwsKind, close, arr, uniform, stridesOf, numelOf } from './helpers/check';

/** Row-major data of x.permute(perm), computed in JS. */
function permuteJS(data: ArrayLike<number>, shape: readonly number[], perm: readonly number[]): { data: number[]; shape: number[] } {
  const st = stridesOf(shape);
  const ns = perm.map((p) => shape[p]);
  const nst = perm.map((p) => st[p]);
  const n = numelOf(ns);
  const out = new Array<number>(n);
  const idx = new Array<number>(ns.length).fill(0);
  for (let k = 0; k < n; k++) {
    let off = 0;
    for (let d = 0; d < ns.length; d++) off += idx[d] * nst[d];
    out[k] = data[off];
    for (let d = ns.length - 1; d >= 0; d--) { if (++idx[d] < ns[d]) break; idx[d] = 0; }
  }
  return { data: out, shape: ns };
}

/**
 * Reduce JS data over `dims` (normalised, any order): f gets the reduced elements in row-major order
 * of the reduced dims. Returns the kept-dims result (row-major) and its keepdim / squeezed shapes.
 */
function reduceJS(data: ArrayLike<number>, shape: readonly number[], dims: readonly number[], f: (v: number[]) => number):
  { data: number[]; shape: number[]; keptShape: number[] } {
  const nd = shape.length;
  const red = dims.map((d) => (d < 0 ? d + nd : d)).sort((a, b) => a - b);
  const kept = shape.map((_, i) => i).filter((i) => !red.includes(i));
  const st = stridesOf(shape);
  const outShape = kept.map((d) => shape[d]);
  const keptShape = shape.map((s, i) => (red.includes(i) ? 1 : s));
  const nOut = numelOf(outShape), nRed = numelOf(red.map((d) => shape[d]));
  const out = new Array<number>(nOut);
  const oi = new Array<number>(kept.length).fill(0);
  for (let o = 0; o < nOut; o++) {
    let base = 0;
    for (let k = 0; k < kept.length; k++) base += oi[k] * st[kept[k]];
    const vals = new Array<number>(nRed);
    const ri = new Array<number>(red.length).fill(0);
    for (let r = 0; r < nRed; r++) {
      let off = base;
      for (let k = 0; k < red.length; k++) off += ri[k] * st[red[k]];
      vals[r] = data[off];
      for (let k = red.length - 1; k >= 0; k--) { if (++ri[k] < shape[red[k]]) break; ri[k] = 0; }
    }
    out[o] = f(vals);
    for (let k = kept.length - 1; k >= 0; k--) { if (++oi[k] < outShape[k]) break; oi[k] = 0; }
  }
  return { data: out, shape: outShape, keptShape };
}

// JS reducers (in float64)
const jsSum = (v: number[]) => v.reduce((a, b) => a + b, 0);
const jsMean = (v: number[]) => jsSum(v) / v.length;
const jsProd = (v: number[]) => v.reduce((a, b) => a * b, 1);
const jsMax = (v: number[]) => v.reduce((a, b) => (b > a ? b : a), -Infinity);
const jsMin = (v: number[]) => v.reduce((a, b) => (b < a ? b : a), Infinity);
const jsArgmax = (v: number[]) => v.reduce((bi, b, i) => (b > v[bi] ? i : bi), 0);
const jsArgmin = (v: number[]) => v.reduce((bi, b, i) => (b < v[bi] ? i : bi), 0);
const jsVar = (c: number) => (v: number[]) => {
  const m = jsMean(v);
  return v.reduce((s, x) => s + (x - m) ** 2, 0) / Math.max(v.length - c, 0);
};
const jsLse = (v: number[]) => {
  const m = jsMax(v);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(v.reduce((s, x) => s + Math.exp(x - m), 0));
};
const jsNorm = (p: number) => (v: number[]) =>
  p === Infinity ? jsMax(v.map(Math.abs)) : Math.pow(v.reduce((s, x) => s + Math.abs(x) ** p, 0), 1 / p);

interface RedCase {
  name: string;
  run: (x: td.Tensor, dim: number | number[] | undefined, keepdim: boolean) => td.Tensor;
  ref: (v: number[]) => number;
  int?: boolean; // result is an index
  rtol32?: number;
}

const CASES: RedCase[] = [
  { name: 'sum', run: (x, d, k) => x.sum(d, k), ref: jsSum },
  { name: 'mean', run: (x, d, k) => td.mean(x, d, k), ref: jsMean },
  { name: 'prod', run: (x, d, k) => x.prod(d, k), ref: jsProd },
  { name: 'amax', run: (x, d, k) => x.amax(d, k), ref: jsMax },
  { name: 'amin', run: (x, d, k) => td.amin(x, d, k), ref: jsMin },
  { name: 'var(correction 1)', run: (x, d, k) => x.var(d, { keepdim: k }), ref: jsVar(1) },
  { name: 'var(correction 0)', run: (x, d, k) => td.var(x, d, { correction: 0, keepdim: k }), ref: jsVar(0) },
  { name: 'std', run: (x, d, k) => x.std(d, { keepdim: k }), ref: (v) => Math.sqrt(jsVar(1)(v)) },
  { name: 'std(correction 0)', run: (x, d, k) => td.std(x, d, { correction: 0, keepdim: k }), ref: (v) => Math.sqrt(jsVar(0)(v)) },
  { name: 'logsumexp', run: (x, d, k) => x.logsumexp(d, k), ref: jsLse },
  { name: 'norm(1)', run: (x, d, k) => x.norm(1, d, k), ref: jsNorm(1) },
  { name: 'norm(2)', run: (x, d, k) => td.norm(x, 2, d, k), ref: jsNorm(2) },
  { name: 'norm()', run: (x, d, k) => x.norm(undefined, d, k), ref: jsNorm(2) },
  { name: 'norm(3)', run: (x, d, k) => x.norm(3, d, k), ref: jsNorm(3), rtol32: 3e-6 },
  { name: 'norm(Infinity)', run: (x, d, k) => x.norm(Infinity, d, k), ref: jsNorm(Infinity) },
];

const SHAPE = [3, 4, 5];
const DIMS: (number | number[] | undefined)[] = [0, 1, 2, -1, -3, [0, 2], [2, 0], [-1, 1], [0, 1, 2], undefined];

for (const c of CASES) {
  t.test(`reduce ${c.name}`, async (t) => {
    for (const dtype of ['float32', 'float64'] as const) {
      // values in [0.5, 1.5] keep prod well-conditioned; signs alternate for the other ops
      const raw = uniform(c.name.length * 31 + 7, 60, 0.5, 1.5).map((v, i) => (c.name === 'prod' || i % 3 ? v : -v));
      const base = td.tensor(dtype === 'float32' ? new Float32Array(raw) : new Float64Array(raw), { shape: SHAPE });
      const data = arr(base);
      const rtol = dtype === 'float32' ? (c.rtol32 ?? 1e-6) : 1e-12;
      const inputs: [string, td.Tensor, { data: number[]; shape: number[] }][] = [
        ['contiguous', base, { data, shape: SHAPE }],
        ['permuted [2,0,1]', base.permute([2, 0, 1]), permuteJS(data, SHAPE, [2, 0, 1])],
        ['transposed (0,2)', base.transpose(0, 2), permuteJS(data, SHAPE, [2, 1, 0])],
      ];
      for (const [label, x, X] of inputs) {
        for (const dim of DIMS) {
          for (const keepdim of [false, true]) {
            const dims = dim === undefined ? [0, 1, 2] : typeof dim === 'number' ? [dim] : dim;
            const want = reduceJS(X.data, X.shape, dims, c.ref);
            const y = c.run(x, dim, keepdim);
            const what = `${c.name} ${dtype} ${label} dim=${JSON.stringify(dim)} keepdim=${keepdim}`;
            t.same(y.shape, keepdim ? want.keptShape : want.shape, `${what}: shape`);
            t.equal(y.dtype, dtype, `${what}: dtype`);
            close(t, y.dataSync(), want.data, rtol, dtype === 'float32' ? 1e-6 : 1e-13, what);
          }
        }
      }
      base.dispose();
    }
  });
}

t.test('max / min with dim return { values, indices }; argmax / argmin', async (t) => {
  // small integers: many ties (first occurrence wins)
  const raw = uniform(5, 60, -3, 3).map((v) => Math.round(v) + 0); // + 0 turns -0 into 0
  for (const dtype of ['float32', 'float64', 'int32'] as const) {
    const base = td.tensor(raw, { shape: SHAPE, dtype });
    for (const [label, x, X] of [
      ['contiguous', base, { data: raw, shape: SHAPE }],
      ['permuted [1,2,0]', base.permute([1, 2, 0]), permuteJS(raw, SHAPE, [1, 2, 0])],
    ] as const) {
      for (const dim of [0, 1, 2, -1, -2]) {
        for (const keepdim of [false, true]) {
          const what = `${dtype} ${label} dim=${dim} keepdim=${keepdim}`;
          const wMax = reduceJS(X.data, X.shape, [dim], jsMax), wArgmax = reduceJS(X.data, X.shape, [dim], jsArgmax);
          const wMin = reduceJS(X.data, X.shape, [dim], jsMin), wArgmin = reduceJS(X.data, X.shape, [dim], jsArgmin);
          const shp = keepdim ? wMax.keptShape : wMax.shape;
          const mx = x.max(dim, keepdim);
          t.same(mx.values.shape, shp, `max values shape ${what}`);
          t.same(mx.indices.shape, shp, `max indices shape ${what}`);
          t.equal(mx.values.dtype, dtype);
          t.equal(mx.indices.dtype, 'int32', 'indices are int32');
          t.same(arr(mx.values), wMax.data, `max values ${what}`);
          t.same(arr(mx.indices), wArgmax.data, `max indices (first occurrence) ${what}`);
          const mn = td.min(x, dim, keepdim);
          t.same(arr(mn.values), wMin.data, `min values ${what}`);
          t.same(arr(mn.indices), wArgmin.data, `min indices ${what}`);
          const am = x.argmax(dim, keepdim);
          t.same(am.shape, shp);
          t.same(arr(am), wArgmax.data, `argmax ${what}`);
          t.same(arr(td.argmin(x, dim, keepdim)), wArgmin.data, `argmin ${what}`);
        }
      }
      // no dim: over the flattened tensor
      const flat = X.data;
      const am = x.argmax();
      t.same(am.shape, [], 'argmax() is 0-d');
      t.equal(am.item(), jsArgmax(flat), `argmax() flat index ${dtype} ${label}`);
      t.equal(td.argmin(x).item(), jsArgmin(flat), `argmin() flat index ${dtype} ${label}`);
      t.equal(x.argmax(undefined, true).ndim, 0, 'keepdim without dim is ignored for argmax');
      t.equal(x.max().item(), jsMax(flat), 'max() over everything');
      t.equal(td.min(x).item(), jsMin(flat), 'min() over everything');
      t.same(x.max().shape, []);
    }
    base.dispose();
  }
  // argmax picks the first of equal maxima along a row
  const tie = td.tensor([[1, 5, 5, 2], [7, 7, 7, 7], [0, -1, 3, 3]]);
  t.same(arr(tie.argmax(1)), [1, 0, 2]);
  t.same(arr(tie.argmin(1)), [0, 0, 1]);
  // NaN wins max / argmax (PyTorch propagates NaN)
  const withNaN = td.tensor([[1, NaN, 3], [4, 5, 6]]);
  const v = arr(withNaN.amax(1));
  t.ok(Number.isNaN(v[0]) && v[1] === 6, `amax propagates NaN: ${v}`);
  t.same(arr(withNaN.argmax(1)), [1, 2], 'argmax points at the NaN');
  throwsKind(t, () => td.zeros([3, 0]).argmax(1), RangeError, 'argmax over an empty dim');
  throwsKind(t, () => td.zeros([0]).argmax(), RangeError, 'argmax of an empty tensor');
  throwsKind(t, () => td.zeros([2, 0]).amax(1), RangeError, 'amax over an empty dim');
  throwsKind(t, () => td.zeros([2, 3]).max(2), RangeError, 'max dim out of range');
  throwsKind(t, () => td.argmax(td.zeros([2, 3]), [0, 1] as unknown as number), TypeError, 'argmax with a dim list');
});

t.test('reductions: int32, 0-d, empty, error cases', async (t) => {
  const i = td.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'int32' });
  const s = i.sum(1);
  t.equal(s.dtype, 'int32', 'int32 sum stays int32');
  t.same(arr(s), [6, 15]);
  const m = i.mean(0);
  t.equal(m.dtype, 'float32', 'int32 mean is float32');
  t.same(arr(m), [2.5, 3.5, 4.5]);
  const p = i.prod();
  t.equal(p.item(), 720);
  t.same(arr(i.amax(0)), [4, 5, 6]);
  const vi = td.var(i, 1);
  t.equal(vi.dtype, 'float32', 'int32 var is float32');
  t.same(arr(vi), [1, 1]);

  const z = td.tensor(2.5);
  t.equal(z.sum().item(), 2.5, 'sum of 0-d');
  t.same(z.sum().shape, []);
  t.equal(z.sum(0).item(), 2.5, 'sum of 0-d over dim 0');
  t.equal(z.amax().item(), 2.5);
  t.equal(z.mean(-1).item(), 2.5);

  const e = td.zeros([0, 3]);
  t.same(arr(e.sum(0)), [0, 0, 0], 'sum over an empty dim is 0');
  t.same(e.sum(1).shape, [0]);
  t.equal(e.sum().item(), 0);
  t.same(arr(e.prod(0)), [1, 1, 1], 'prod over an empty dim is 1');
  t.ok(arr(e.mean(0)).every(Number.isNaN), 'mean over an empty dim is NaN');

  throwsKind(t, () => i.sum(2), RangeError, 'dim out of range');
  throwsKind(t, () => i.sum(-3), RangeError, 'negative dim out of range');
  throwsKind(t, () => i.sum([0, 0]), RangeError, 'repeated dim');
  throwsKind(t, () => i.sum([0, -2]), RangeError, 'repeated dim (negative alias)');
  throwsKind(t, () => i.sum(0.5), TypeError, 'fractional dim');
  throwsKind(t, () => td.logsumexp(i, 1), TypeError, 'logsumexp of int32');
  throwsKind(t, () => td.zeros([2, 0]).logsumexp(1), RangeError, 'logsumexp over an empty dim');
  throwsKind(t, () => td.norm(td.ones([2]), 0), RangeError, 'norm p = 0');
  throwsKind(t, () => td.norm(td.ones([2]), -1), RangeError, 'norm p < 0');
  throwsKind(t, () => td.var(td.ones([2]), 0, { correction: -1 }), RangeError, 'negative correction');
});

t.test('var: small samples and large offsets', async (t) => {
  const one = td.tensor([5]);
  t.ok(Number.isNaN(one.var().item()) || one.var().item() === Infinity, 'var of one element with correction 1 is NaN/inf (n - 1 = 0)');
  t.equal(one.var(undefined, { correction: 0 }).item(), 0);
  // values with a large common offset: the two-pass algorithm keeps precision
  const raw = uniform(8, 1000, -1, 1).map((v) => 1e6 + v);
  const x = td.tensor(new Float64Array(raw));
  close(t, [x.var().item()], [jsVar(1)(raw)], 1e-9, 0, 'var of 1e6 + U(-1,1) in float64');
  const x32 = td.tensor(new Float32Array(raw.map((v) => v - 1e6 + 1000)));
  const v32 = arr(x32);
  close(t, [x32.var().item()], [jsVar(1)(v32)], 1e-5, 0, 'var of 1000 + U(-1,1) in float32');
});

t.test('logsumexp with large values (no overflow)', async (t) => {
  for (const dtype of ['float32', 'float64'] as const) {
    const rtol = dtype === 'float32' ? 1e-6 : 1e-14;
    const x = td.tensor([[1000, 1000], [1000, 0], [-1000, -1000], [-Infinity, -Infinity], [-Infinity, 2], [1e30, 1]], { dtype });
    const got = arr(x.logsumexp(1));
    const want = [1000 + Math.LN2, 1000, -1000 + Math.LN2, -Infinity, 2, dtype === 'float32' ? Math.fround(1e30) : 1e30];
    close(t, got, want, rtol, 0, `logsumexp rows ${dtype}`);
    t.same(x.logsumexp(1, true).shape, [6, 1]);
    const big = td.tensor([[1000, 999, 998], [88, 89, 90]], { dtype });
    close(t, arr(big.logsumexp(0)), [jsLse([1000, 88]), jsLse([999, 89]), jsLse([998, 90])], rtol, 0, `logsumexp dim 0 ${dtype}`);
    close(t, [big.logsumexp().item()], [jsLse([1000, 999, 998, 88, 89, 90])], rtol, 0, `logsumexp all ${dtype}`);
    close(t, arr(big.logsumexp(-1)), [jsLse([1000, 999, 998]), jsLse([88, 89, 90])], rtol, 0, `logsumexp dim -1 ${dtype}`);
    const withInf = td.tensor([Infinity, 1], { dtype });
    t.equal(withInf.logsumexp().item(), Infinity, `logsumexp with +inf ${dtype}`);
  }
});

t.test('norm special cases', async (t) => {
  const x = td.tensor([[3, -4], [0, 0]], { dtype: 'float64' });
  t.same(arr(x.norm(2, 1)), [5, 0]);
  t.same(arr(x.norm(1, 1)), [7, 0]);
  t.same(arr(x.norm(Infinity, 1)), [4, 0]);
  t.equal(x.norm().item(), 5);
  t.same(x.norm(2, 1, true).shape, [2, 1]);
  close(t, [x.norm(3).item()], [Math.cbrt(27 + 64)], 1e-14, 0, 'norm(3) of [3,-4]');
  close(t, [x.norm(0.5).item()], [(Math.sqrt(3) + 2) ** 2], 1e-14, 0, 'norm(0.5)');
});

t.test('float32 sum of 1e6 elements is accurate', async (t) => {
  const x = td.rand([1_000_000], { seed: 2718 });
  const v = x.dataSync();
  let ref = 0;
  for (let i = 0; i < v.length; i++) ref += v[i];
  const got = x.sum().item();
  t.ok(Math.abs(got - ref) <= 1e-6 * Math.abs(ref), `sum ${got} vs float64 ${ref} (rel ${Math.abs(got - ref) / ref})`);
  const m = x.mean().item();
  t.ok(Math.abs(m - ref / 1e6) <= 1e-6 * (ref / 1e6), `mean ${m} vs ${ref / 1e6}`);
  // shifted values: sum = 1e6 * 1000.5ish, still rel 1e-6
  const y = td.add(x, 1000);
  const yv = y.dataSync();
  let ry = 0;
  for (let i = 0; i < yv.length; i++) ry += yv[i];
  t.ok(Math.abs(y.sum().item() - ry) <= 1e-6 * ry, 'sum of 1000 + U(0,1) over 1e6');
  // reduction over the rows of a [1000, 1000] matrix, both dims
  const mat = x.reshape([1000, 1000]);
  const colRef = new Float64Array(1000), rowRef = new Float64Array(1000);
  for (let i = 0; i < 1000; i++) for (let j = 0; j < 1000; j++) { rowRef[i] += v[i * 1000 + j]; colRef[j] += v[i * 1000 + j]; }
  close(t, mat.sum(1).dataSync(), rowRef, 1e-6, 0, 'row sums of [1000,1000]');
  close(t, mat.sum(0).dataSync(), colRef, 1e-6, 0, 'column sums of [1000,1000]');
  close(t, mat.transpose().sum(1).dataSync(), colRef, 1e-6, 0, 'row sums of the transpose');
  // same result for any thread count
  const threads = td.getNumThreads();
  const a1 = x.sum().item();
  td.setNumThreads(1);
  const a2 = x.sum().item();
  const c2 = arr(mat.sum(0));
  td.setNumThreads(threads);
  t.equal(a2, a1, 'sum is independent of the thread count');
  t.same(c2, arr(mat.sum(0)), 'column sums are independent of the thread count');
  td.dispose([x, y]);
});

t.test('large reductions: ties and NaN across blocks, permuted layouts', async (t) => {
  const n = 1_000_003;
  const v = new Float32Array(n);
  v[700001] = 5; v[300007] = 5; v[999999] = 5;
  const x = td.tensor(v);
  t.equal(x.argmax().item(), 300007, 'argmax over 1e6 elements picks the first of tied maxima');
  t.equal(td.zeros([n]).argmin().item(), 0, 'argmin of all zeros is 0');
  const w = new Float32Array(n);
  w[10] = 5; w[900000] = NaN;
  const xw = td.tensor(w);
  t.equal(xw.argmax().item(), 900000, 'a NaN late in the tensor wins argmax');
  t.ok(Number.isNaN(xw.amax().item()), 'and amax');
  w[20] = NaN;
  t.equal(td.tensor(w).argmax().item(), 20, 'the first NaN wins');
  // two long rows, and the same data as columns (column layout)
  const m = new Float32Array(2 * 500000);
  m[499999] = 3; m[10] = 3; m[500000 + 123456] = -1; m[500000 + 400000] = -1;
  const mt = td.tensor(m, { shape: [2, 500000] });
  t.same(arr(mt.argmax(1)), [10, 0]);
  t.same(arr(mt.argmin(1)), [0, 123456]);
  const mc = mt.transpose().contiguous();
  t.same(arr(mc.argmax(0)), [10, 0], 'column layout argmax');
  t.same(arr(mc.argmin(0)), [0, 123456], 'column layout argmin');
  t.same(arr(mt.transpose().argmin(0)), [0, 123456], 'strided argmin');
  // float64 sums over a permuted [64,300,70]
  const big = td.rand([64, 300, 70], { seed: 5, dtype: 'float64' });
  const B = big.dataSync();
  const p = big.permute([2, 0, 1]); // p[k][i][j] = big[i][j][k]
  const s1 = p.sum(1).dataSync(); // [70, 300]
  const r1 = new Float64Array(70 * 300);
  for (let i = 0; i < 64; i++) for (let j = 0; j < 300; j++) for (let k = 0; k < 70; k++) r1[k * 300 + j] += B[i * 21000 + j * 70 + k];
  close(t, s1, r1, 1e-13, 0, 'sum over dim 1 of a permuted [70,64,300]');
  const s2 = p.sum([0, 2]).dataSync(); // [64]
  const r2 = new Float64Array(64);
  for (let i = 0; i < 64; i++) for (let j = 0; j < 21000; j++) r2[i] += B[i * 21000 + j];
  close(t, s2, r2, 1e-13, 0, 'sum over dims [0,2] of a permuted [70,64,300]');
  const a0 = p.argmax(0).dataSync(); // [64,300]: argmax over k
  let bad = 0;
  for (let i = 0; i < 64; i++)
    for (let j = 0; j < 300; j++) {
      let bk = 0;
      for (let k = 1; k < 70; k++) if (B[i * 21000 + j * 70 + k] > B[i * 21000 + j * 70 + bk]) bk = k;
      if (a0[i * 300 + j] !== bk) bad++;
    }
  t.equal(bad, 0, 'argmax over dim 0 of a permuted [70,64,300]');
  td.dispose([x, xw, mt, mc, big]);
});
