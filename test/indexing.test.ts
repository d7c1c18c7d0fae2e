// indexing.test.ts — cat / stack / split / chunk, gather / indexSelect / scatterAdd against JS loops,
// out-of-range indices, oneHot.
import t from 'tap';
import * as td from '../lib/index';
import { throwsKind, arr, range, rng, stridesOf, numelOf } from './helpers/check';

function randInts(seed: number, n: number, hi: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => Math.floor(r() * hi));
}

/** Calls f(index, flat) for every multi-index of shape, in row-major order. */
function each(shape: readonly number[], f: (idx: number[], flat: number) => void): void {
  const n = numelOf(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    f(idx, k);
    for (let d = shape.length - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
  }
}
const flatAt = (idx: readonly number[], st: readonly number[]) => idx.reduce((s, v, d) => s + v * st[d], 0);

// ---- cat / stack -----------------------------------------------------------------------------------

/** JS concat of row-major arrays along dim. */
function catJS(parts: { data: number[]; shape: number[] }[], dim: number): { data: number[]; shape: number[] } {
  const shape = parts[0].shape.slice();
  shape[dim] = parts.reduce((s, p) => s + p.shape[dim], 0);
  const out = new Array<number>(numelOf(shape));
  const ost = stridesOf(shape);
  let at = 0;
  for (const p of parts) {
    const pst = stridesOf(p.shape);
    each(p.shape, (idx) => {
      const o = idx.slice();
      o[dim] += at;
      out[flatAt(o, ost)] = p.data[flatAt(idx, pst)];
    });
    at += p.shape[dim];
  }
  return { data: out, shape };
}

t.test('cat along several dims', async (t) => {
  const mk = (shape: number[], from: number) => ({ data: range(numelOf(shape), from), shape });
  for (const dim of [0, 1, 2, -1, -2]) {
    const d = dim < 0 ? dim + 3 : dim;
    const shapes = [[2, 3, 4], [2, 3, 4], [2, 3, 4]].map((s, i) => { const c = s.slice(); c[d] = [1, 2, 3][i]; return c; });
    const parts = shapes.map((s, i) => mk(s, 100 * i));
    const ts = parts.map((p) => td.tensor(p.data, { shape: p.shape }));
    const y = td.cat(ts, dim);
    const want = catJS(parts, d);
    t.same(y.shape, want.shape, `cat dim ${dim} shape`);
    t.same(arr(y), want.data, `cat dim ${dim} values`);
    td.dispose(ts);
  }
  // default dim 0, an empty piece, non-contiguous pieces
  const a = td.tensor([[1, 2], [3, 4]]);
  const e = td.zeros([0, 2]);
  const b = td.tensor([[5, 6], [7, 8]]).transpose();
  t.same(td.cat([a, e, b]).toArray(), [[1, 2], [3, 4], [5, 7], [6, 8]], 'default dim 0 with an empty and a transposed piece');
  t.same(td.cat([a, b], 1).toArray(), [[1, 2, 5, 7], [3, 4, 6, 8]]);
  t.same(td.cat([a]).toArray(), [[1, 2], [3, 4]], 'cat of one tensor');
  const ex = td.tensor([9]).expand([2, 1]);
  t.same(td.cat([a, ex], 1).toArray(), [[1, 2, 9], [3, 4, 9]], 'an expanded piece');
  const sl = td.tensor(range(12), { shape: [3, 4] }).slice(1, 0, 4, 2); // [[0,2],[4,6],[8,10]]
  t.same(td.cat([sl, a], 0).toArray(), [[0, 2], [4, 6], [8, 10], [1, 2], [3, 4]], 'a stepped-slice piece');
  // 1-D
  t.same(arr(td.cat([td.tensor([1, 2]), td.tensor([3]), td.tensor([])])), [1, 2, 3]);
  // large, to hit any parallel copy path
  const big1 = td.arange(100000, undefined, 1, { dtype: 'float32' }).reshape([1000, 100]);
  const big2 = td.arange(50000, undefined, 1, { dtype: 'float32' }).reshape([1000, 50]);
  const bc = td.cat([big1, big2], 1);
  const bv = bc.dataSync();
  let ok = true;
  for (let i = 0; i < 1000 && ok; i++)
    for (let j = 0; j < 150; j++) if (bv[i * 150 + j] !== (j < 100 ? i * 100 + j : i * 50 + j - 100)) { ok = false; break; }
  t.ok(ok, 'large cat along dim 1');
  td.dispose([a, e, b, big1, big2, bc]);
});

t.test('cat promotes mixed dtypes', async (t) => {
  const i = td.tensor([1, 2], { dtype: 'int32' });
  const f = td.tensor([0.5]);
  const d = td.tensor([0.1], { dtype: 'float64' });
  let y = td.cat([i, f]);
  t.equal(y.dtype, 'float32', 'int32 + float32 -> float32');
  t.same(arr(y), [1, 2, 0.5]);
  y = td.cat([f, d, i]);
  t.equal(y.dtype, 'float64', 'float32 + float64 + int32 -> float64');
  t.same(arr(y), [0.5, 0.1, 1, 2]);
  y = td.cat([i, i]);
  t.equal(y.dtype, 'int32');
  t.same(arr(y), [1, 2, 1, 2]);
  y = td.cat([td.tensor([[1], [2]], { dtype: 'int32' }), td.tensor([[0.25], [0.75]], { dtype: 'float64' })], 1);
  t.equal(y.dtype, 'float64');
  t.same(y.toArray(), [[1, 0.25], [2, 0.75]]);
});

t.test('cat errors', async (t) => {
  throwsKind(t, () => td.cat([]), TypeError, 'empty list');
  throwsKind(t, () => td.cat([td.zeros([2, 3]), td.zeros([3, 3])], 1), RangeError, 'shapes differ outside dim');
  throwsKind(t, () => td.cat([td.zeros([2, 3]), td.zeros([2, 3, 1])]), RangeError, 'ranks differ');
  throwsKind(t, () => td.cat([td.tensor(1), td.tensor(2)]), RangeError, '0-d tensors');
  throwsKind(t, () => td.cat([td.zeros([2])], 1), RangeError, 'dim out of range');
  throwsKind(t, () => td.cat([td.zeros([2]), [1] as unknown as td.Tensor]), TypeError, 'a non-tensor');
});

t.test('stack', async (t) => {
  const a = td.tensor([[1, 2, 3], [4, 5, 6]]);
  const b = td.tensor([[7, 8, 9], [10, 11, 12]]);
  let y = td.stack([a, b]);
  t.same(y.shape, [2, 2, 3]);
  t.same(y.toArray(), [[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]], 'stack dim 0');
  y = td.stack([a, b], 1);
  t.same(y.shape, [2, 2, 3]);
  t.same(y.toArray(), [[[1, 2, 3], [7, 8, 9]], [[4, 5, 6], [10, 11, 12]]], 'stack dim 1');
  y = td.stack([a, b], 2);
  t.same(y.shape, [2, 3, 2]);
  t.same(y.toArray(), [[[1, 7], [2, 8], [3, 9]], [[4, 10], [5, 11], [6, 12]]], 'stack dim 2');
  y = td.stack([a, b], -1);
  t.same(y.shape, [2, 3, 2], 'stack dim -1 is a new last dim');
  t.same(y.toArray(), [[[1, 7], [2, 8], [3, 9]], [[4, 10], [5, 11], [6, 12]]]);
  y = td.stack([a, b, a], -3);
  t.same(y.shape, [3, 2, 3]);
  y = td.stack([td.tensor(1), td.tensor(2), td.tensor(3)]);
  t.same(y.shape, [3], 'stack of 0-d tensors');
  t.same(arr(y), [1, 2, 3]);
  y = td.stack([a.transpose(), b.transpose()]);
  t.same(y.toArray(), [[[1, 4], [2, 5], [3, 6]], [[7, 10], [8, 11], [9, 12]]], 'stack of transposed views');
  y = td.stack([td.tensor([1], { dtype: 'int32' }), td.tensor([1.5], { dtype: 'float64' })]);
  t.equal(y.dtype, 'float64', 'stack promotes dtypes');
  throwsKind(t, () => td.stack([a, td.zeros([3, 2])]), RangeError, 'different shapes');
  throwsKind(t, () => td.stack([a, b], 3), RangeError, 'dim out of range');
  throwsKind(t, () => td.stack([]), TypeError, 'empty list');
});

// ---- split / chunk ---------------------------------------------------------------------------------

t.test('split by size and by list', async (t) => {
  const x = td.tensor(range(20), { shape: [5, 4] });
  let parts = td.split(x, 2);
  t.same(parts.map((p) => p.shape), [[2, 4], [2, 4], [1, 4]], 'split(2) of 5 rows: the last is smaller');
  t.same(parts.map(arr), [range(8), range(8, 8), range(4, 16)]);
  t.ok(parts.every((p) => p._storage === x._storage), 'split pieces are views');
  parts = x.split(3, 1);
  t.same(parts.map((p) => p.shape), [[5, 3], [5, 1]]);
  t.same(parts[1].toArray(), [[3], [7], [11], [15], [19]]);
  parts = x.split([1, 3, 0, 1]);
  t.same(parts.map((p) => p.shape), [[1, 4], [3, 4], [0, 4], [1, 4]], 'split by list');
  t.same(arr(parts[3]), range(4, 16));
  parts = td.split(x, [2, 2], -1);
  t.same(parts.map((p) => p.shape), [[5, 2], [5, 2]]);
  t.same(parts[1].toArray(), [[2, 3], [6, 7], [10, 11], [14, 15], [18, 19]]);
  parts = x.split(5);
  t.equal(parts.length, 1, 'size equal to the dim gives one piece');
  parts = x.split(10);
  t.equal(parts.length, 1, 'size larger than the dim gives one piece');
  t.same(parts[0].shape, [5, 4]);
  parts = x.split(1);
  t.equal(parts.length, 5);
  // split of a transposed tensor
  parts = x.transpose().split(2, 1); // [4,5] -> [4,2],[4,2],[4,1]
  t.same(parts[2].toArray(), [[16], [17], [18], [19]]);
  t.same(td.split(td.zeros([0, 3]), 2).map((p) => p.shape), [[0, 3]], 'split of an empty dim');
  throwsKind(t, () => x.split([2, 2]), RangeError, 'sizes not summing to the dim');
  throwsKind(t, () => x.split([6, -1]), RangeError, 'negative size');
  throwsKind(t, () => x.split(0), RangeError, 'size 0');
  throwsKind(t, () => x.split(2, 2), RangeError, 'dim out of range');
});

t.test('chunk follows the PyTorch rule (ceil(n / chunks) each)', async (t) => {
  const sizes = (n: number, c: number) => td.chunk(td.arange(n), c).map((p) => p.shape[0]);
  t.same(sizes(5, 3), [2, 2, 1]);
  t.same(sizes(6, 3), [2, 2, 2]);
  t.same(sizes(6, 4), [2, 2, 2], 'chunk(6, 4) gives 3 chunks of 2, like torch.chunk');
  t.same(sizes(5, 5), [1, 1, 1, 1, 1]);
  t.same(sizes(2, 5), [1, 1], 'fewer elements than chunks');
  t.same(sizes(10, 4), [3, 3, 3, 1]);
  t.same(sizes(17, 1), [17]);
  t.same(sizes(7, 2), [4, 3]);
  t.same(sizes(0, 3), [0], 'chunk of an empty dim');
  const x = td.tensor(range(12), { shape: [3, 4] });
  const c = x.chunk(3, 1);
  t.same(c.map((p) => p.shape), [[3, 2], [3, 2]]);
  t.same(c[1].toArray(), [[2, 3], [6, 7], [10, 11]]);
  t.same(td.chunk(x, 2, -2).map((p) => p.shape), [[2, 4], [1, 4]]);
  throwsKind(t, () => x.chunk(0), RangeError, 'chunks 0');
  throwsKind(t, () => x.chunk(1.5), RangeError, 'fractional chunks');
});

// ---- gather / indexSelect / scatterAdd -----------------------------------------------------------

function gatherJS(x: number[], xs: number[], dim: number, idx: number[], is: number[]): number[] {
  const xst = stridesOf(xs);
  const out: number[] = [];
  each(is, (i, k) => {
    const src = i.slice();
    src[dim] = idx[k];
    out.push(x[flatAt(src, xst)]);
  });
  return out;
}
function scatterAddJS(x: number[], xs: number[], dim: number, idx: number[], is: number[], src: number[]): number[] {
  const xst = stridesOf(xs);
  const out = x.slice();
  each(is, (i, k) => {
    const dst = i.slice();
    dst[dim] = idx[k];
    out[flatAt(dst, xst)] += src[k];
  });
  return out;
}

t.test('gather vs JS', async (t) => {
  const xs = [4, 5, 6];
  const xData = range(120).map((v) => v * 0.5 - 7);
  for (const dtype of ['float32', 'float64', 'int32'] as const) {
    const data = dtype === 'int32' ? range(120).map((v) => v * 3 - 100) : xData;
    const x = td.tensor(data, { shape: xs, dtype });
    for (const dim of [0, 1, 2, -1]) {
      const d = dim < 0 ? dim + 3 : dim;
      // index shape no larger than x outside dim; along dim any length
      const is = [3, 4, 5];
      is[d] = 7;
      const idx = randInts(10 + d, numelOf(is), xs[d]);
      const it = td.tensor(idx, { shape: is, dtype: 'int32' });
      const y = td.gather(x, dim, it);
      t.same(y.shape, is, `gather ${dtype} dim ${dim} shape`);
      t.equal(y.dtype, dtype);
      t.same(arr(y), gatherJS(data, xs, d, idx, is), `gather ${dtype} dim ${dim} values`);
      t.same(arr(x.gather(dim, it)), arr(y), 'x.gather equals td.gather');
    }
    // non-contiguous input and index
    const xt = x.transpose(0, 2); // [6,5,4]
    const xtData = arr(xt);
    const idxT = td.tensor(randInts(99, 24, 5), { shape: [4, 6], dtype: 'int32' }).transpose(); // [6,4]... used on dim 1
    const idx3 = idxT.unsqueeze(1); // [6,1,4]
    const y = td.gather(xt, 1, idx3);
    t.same(arr(y), gatherJS(xtData, [6, 5, 4], 1, arr(idx3), [6, 1, 4]), `gather ${dtype} on transposed input and index`);
    const ie = td.tensor([[0], [4]], { dtype: 'int32' }).unsqueeze(0).expand([6, 2, 4]);
    t.same(arr(td.gather(xt, 1, ie)), gatherJS(xtData, [6, 5, 4], 1, arr(ie), [6, 2, 4]), `gather ${dtype} with an expanded index`);
  }
  const m = td.tensor([[1, 2], [3, 4]]);
  t.same(td.gather(m, 1, td.tensor([[0, 0], [1, 0]], { dtype: 'int32' })).toArray(), [[1, 1], [4, 3]], 'the PyTorch docs example');
  t.same(td.gather(m, 0, td.zeros([0, 2], { dtype: 'int32' })).shape, [0, 2], 'empty index');
  throwsKind(t, () => td.gather(m, 1, td.tensor([[0, 2]], { dtype: 'int32' })), RangeError, 'index 2 of a dim of size 2');
  throwsKind(t, () => td.gather(m, 1, td.tensor([[-1, 0]], { dtype: 'int32' })), RangeError, 'negative index');
  throwsKind(t, () => td.gather(m, 0, td.tensor([[5, 0]], { dtype: 'int32' })), RangeError, 'index 5 along dim 0');
  throwsKind(t, () => td.gather(m, 1, td.tensor([[0, 1]])), TypeError, 'float32 index');
  throwsKind(t, () => td.gather(m, 1, td.tensor([0, 1], { dtype: 'int32' })), RangeError, 'index of a different rank');
  throwsKind(t, () => td.gather(m, 1, td.zeros([3, 1], { dtype: 'int32' })), RangeError, 'index larger than input outside dim');
  throwsKind(t, () => td.gather(m, 2, td.zeros([1, 1], { dtype: 'int32' })), RangeError, 'dim out of range');
  // a big gather with one bad index far in: nothing is written, RangeError names it
  const big = td.zeros([1000, 100]);
  const bi = new Int32Array(1000 * 100);
  bi[99999] = 100;
  throwsKind(t, () => td.gather(big, 1, td.tensor(bi, { shape: [1000, 100] })), RangeError, 'one bad index among 1e5');
});

t.test('indexSelect vs JS', async (t) => {
  const x = td.tensor(range(60), { shape: [3, 4, 5] });
  for (const dim of [0, 1, 2, -2]) {
    const d = dim < 0 ? dim + 3 : dim;
    const idxList = [x.shape[d] - 1, 0, 1, 0, x.shape[d] - 1];
    const idx = td.tensor(idxList, { dtype: 'int32' });
    const y = td.indexSelect(x, dim, idx);
    const shape = x.shape.slice();
    shape[d] = 5;
    t.same(y.shape, shape, `indexSelect dim ${dim} shape`);
    const xst = stridesOf(x.shape);
    const want: number[] = [];
    each(shape, (i) => { const s = i.slice(); s[d] = idxList[i[d]]; want.push(flatAt(s, xst)); });
    t.same(arr(y), want, `indexSelect dim ${dim} values`);
    t.same(arr(x.indexSelect(dim, idx)), want);
  }
  const m = td.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' }).transpose(); // [3,2]
  t.same(td.indexSelect(m, 0, td.tensor([2, 0], { dtype: 'int32' })).toArray(), [[3, 6], [1, 4]], 'indexSelect of a transposed tensor');
  t.same(td.indexSelect(m, 1, td.tensor([], { dtype: 'int32' })).shape, [3, 0], 'empty index');
  throwsKind(t, () => td.indexSelect(m, 0, td.tensor([3], { dtype: 'int32' })), RangeError, 'index 3 of 3 rows');
  throwsKind(t, () => td.indexSelect(m, 0, td.tensor([-1], { dtype: 'int32' })), RangeError, 'negative index');
  throwsKind(t, () => td.indexSelect(m, 0, td.tensor([[0]], { dtype: 'int32' })), RangeError, '2-D index');
  throwsKind(t, () => td.indexSelect(m, 0, td.tensor([0])), TypeError, 'float index');
});

t.test('scatterAdd vs JS', async (t) => {
  const xs = [4, 5, 6];
  for (const dtype of ['float32', 'float64', 'int32'] as const) {
    const base = range(120).map((v) => (v % 7) - 3);
    const x = td.tensor(base, { shape: xs, dtype });
    for (const dim of [0, 1, 2, -3]) {
      const d = dim < 0 ? dim + 3 : dim;
      const is = [3, 4, 5];
      is[d] = 9; // more sources than slots: duplicates accumulate
      const idx = randInts(40 + d, numelOf(is), xs[d]);
      const src = randInts(50 + d, numelOf(is), 10).map((v) => v - 4);
      const it = td.tensor(idx, { shape: is, dtype: 'int32' });
      const st = td.tensor(src, { shape: is, dtype });
      const y = td.scatterAdd(x, dim, it, st);
      t.same(y.shape, xs);
      t.equal(y.dtype, dtype);
      t.same(arr(y), scatterAddJS(base, xs, d, idx, is, src), `scatterAdd ${dtype} dim ${dim}`);
      t.same(arr(x), base, 'scatterAdd does not modify its input');
      t.same(arr(x.scatterAdd(dim, it, st)), arr(y), 'x.scatterAdd equals td.scatterAdd');
    }
  }
  // many sources to one slot (a histogram), large enough for parallel paths
  const n = 100000;
  const bins = randInts(7, n, 10);
  const hist = td.scatterAdd(td.zeros([10]), 0, td.tensor(bins, { dtype: 'int32' }), td.ones([n]));
  const want = new Array<number>(10).fill(0);
  for (const b of bins) want[b]++;
  t.same(arr(hist), want, 'histogram of 1e5 indices');
  // non-contiguous input, index and src
  const x = td.tensor(range(12), { shape: [3, 4] }).transpose(); // [4,3]
  const it = td.tensor([[0, 1, 2, 3], [3, 3, 3, 3]], { dtype: 'int32' }).transpose(); // [4,2]
  const src = td.tensor([[1, 1, 1, 1], [10, 20, 30, 40]]).transpose(); // [4,2]
  const y = td.scatterAdd(x, 0, it, src);
  t.same(y.toArray(), scatterAddToArray(arr(x), [4, 3], 0, arr(it), [4, 2], arr(src)), 'non-contiguous input, index and src');
  // errors
  const m = td.zeros([2, 3]);
  throwsKind(t, () => td.scatterAdd(m, 1, td.tensor([[3]], { dtype: 'int32' }), td.ones([1, 1])), RangeError, 'index 3 of 3 columns');
  throwsKind(t, () => td.scatterAdd(m, 1, td.tensor([[-1]], { dtype: 'int32' }), td.ones([1, 1])), RangeError, 'negative index');
  throwsKind(t, () => td.scatterAdd(m, 1, td.tensor([[0]], { dtype: 'int32' }), td.ones([1, 1], { dtype: 'float64' })), TypeError, 'src dtype differs');
  throwsKind(t, () => td.scatterAdd(m, 1, td.tensor([[0, 1]], { dtype: 'int32' }), td.ones([1, 1])), RangeError, 'src shape differs from index');
  throwsKind(t, () => td.scatterAdd(m, 1, td.zeros([3, 1], { dtype: 'int32' }), td.ones([3, 1])), RangeError, 'index larger than input outside dim');
  const before = arr(m);
  try { td.scatterAdd(m, 1, td.tensor([[0, 5]], { dtype: 'int32' }), td.ones([1, 2])); } catch { /* expected */ }
  t.same(arr(m), before, 'a failed scatterAdd leaves the input unchanged');
});

function scatterAddToArray(x: number[], xs: number[], dim: number, idx: number[], is: number[], src: number[]): number[][] {
  const flat = scatterAddJS(x, xs, dim, idx, is, src);
  return range(xs[0]).map((i) => flat.slice(i * xs[1], (i + 1) * xs[1]));
}

t.test('oneHot', async (t) => {
  const i = td.tensor([2, 0, 3, 0], { dtype: 'int32' });
  const y = td.oneHot(i, 4);
  t.same(y.shape, [4, 4]);
  t.equal(y.dtype, 'float32', 'float32 by default');
  t.same(y.toArray(), [[0, 0, 1, 0], [1, 0, 0, 0], [0, 0, 0, 1], [1, 0, 0, 0]]);
  const y2 = td.oneHot(td.tensor([[1, 0], [2, 2]], { dtype: 'int32' }), 3, 'int32');
  t.same(y2.shape, [2, 2, 3]);
  t.equal(y2.dtype, 'int32');
  t.same(y2.toArray(), [[[0, 1, 0], [1, 0, 0]], [[0, 0, 1], [0, 0, 1]]]);
  const y3 = td.oneHot(td.tensor(1, { dtype: 'int32' }), 2, 'float64');
  t.same(y3.shape, [2], 'oneHot of a 0-d index');
  t.same(arr(y3), [0, 1]);
  const y4 = td.oneHot(td.tensor([[0, 1, 2], [2, 1, 0]], { dtype: 'int32' }).transpose(), 3);
  t.same(y4.toArray(), [[[1, 0, 0], [0, 0, 1]], [[0, 1, 0], [0, 1, 0]], [[0, 0, 1], [1, 0, 0]]], 'oneHot of a transposed index');
  const labels = randInts(3, 1000, 10);
  const big = td.oneHot(td.tensor(labels, { dtype: 'int32' }), 10);
  const bv = big.dataSync();
  let ok = true;
  for (let r = 0; r < 1000; r++) for (let c = 0; c < 10; c++) if (bv[r * 10 + c] !== (labels[r] === c ? 1 : 0)) ok = false;
  t.ok(ok, 'oneHot of 1000 labels');
  t.same(arr(big.sum(0)), range(10).map((c) => labels.filter((l) => l === c).length), 'column sums are the label counts');
  throwsKind(t, () => td.oneHot(i, 3), RangeError, 'index 3 with 3 classes');
  throwsKind(t, () => td.oneHot(td.tensor([-1], { dtype: 'int32' }), 3), RangeError, 'negative class');
  throwsKind(t, () => td.oneHot(td.tensor([0]), 3), TypeError, 'float indices');
  throwsKind(t, () => td.oneHot(i, 0), RangeError, 'numClasses 0');
  throwsKind(t, () => td.oneHot(i, 4, 'int8' as unknown as td.DType), TypeError, 'unknown dtype');
});
