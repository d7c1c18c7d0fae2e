// creation.test.ts — tensor() / zeros / ones / full / arange / linspace / eye, reading values back,
// and the Philox-seeded rand / randn / randint: statistics, determinism, and an independent
// bit-exact Philox 4x32-10 reference (written here from the Random123 paper / philox.h layout).
import t from 'tap';
import * as td from '../lib/index';
import { throwsKind, arr } from './helpers/check';
import { M0, M1, block, mulhi32, mulhi32Big, philox4x32_10, splitSeed } from './helpers/philox';

// ---- tensor() ------------------------------------------------------------------------------------

t.test('tensor() from nested arrays', async (t) => {
  const a = td.tensor([[1, 2, 3], [4, 5, 6]]);
  t.same(a.shape, [2, 3]);
  t.equal(a.dtype, 'float32');
  t.equal(a.ndim, 2);
  t.equal(a.numel, 6);
  t.equal(a.size, 6);
  t.ok(a.dataSync() instanceof Float32Array, 'float32 data is a Float32Array');
  t.same(a.toArray(), [[1, 2, 3], [4, 5, 6]]);
  t.ok(a.isContiguous());

  const b = td.tensor([[[1], [2]], [[3], [4]]]);
  t.same(b.shape, [2, 2, 1]);
  t.same(b.toArray(), [[[1], [2]], [[3], [4]]]);

  const s = td.tensor(3.5);
  t.same(s.shape, [], 'a number gives a 0-d tensor');
  t.equal(s.item(), 3.5);
  t.equal(s.toArray(), 3.5, '0-d toArray is a number');

  const e = td.tensor([]);
  t.same(e.shape, [0]);
  t.equal(e.numel, 0);
  t.same(e.toArray(), []);
  const e2 = td.tensor([[], []]);
  t.same(e2.shape, [2, 0]);
  t.same(e2.toArray(), [[], []]);

  const bools = td.tensor([true, false, true] as unknown as number[]);
  t.same(arr(bools), [1, 0, 1], 'booleans become 1/0');

  // float32 rounding of values
  const r = td.tensor([0.1, 1 / 3]);
  t.same(arr(r), [Math.fround(0.1), Math.fround(1 / 3)]);

  throwsKind(t, () => td.tensor([[1, 2], [3]]), RangeError, 'ragged nested array');
  throwsKind(t, () => td.tensor([[1, 2], 3] as unknown as number[][]), RangeError, 'mixed depth');
  throwsKind(t, () => td.tensor(['a'] as unknown as number[]), TypeError, 'non-number element');
  throwsKind(t, () => td.tensor(null as unknown as number), TypeError, 'null data');
  throwsKind(t, () => td.tensor(new Uint8Array(3) as unknown as Float32Array), TypeError, 'unsupported typed array');
  td.dispose([a, b, s, e, e2, bools, r]);
});

t.test('tensor() dtypes', async (t) => {
  const f64 = td.tensor([[1.5, 2.25]], { dtype: 'float64' });
  t.equal(f64.dtype, 'float64');
  t.ok(f64.dataSync() instanceof Float64Array);
  t.same(f64.toArray(), [[1.5, 2.25]]);

  const precise = td.tensor([0.1, 1 / 3], { dtype: 'float64' });
  t.same(arr(precise), [0.1, 1 / 3], 'float64 keeps full precision');

  const i32 = td.tensor([1, -2, 3], { dtype: 'int32' });
  t.equal(i32.dtype, 'int32');
  t.ok(i32.dataSync() instanceof Int32Array);
  t.same(arr(i32), [1, -2, 3]);

  const trunc = td.tensor([1.7, -1.7, 2.5], { dtype: 'int32' });
  t.same(arr(trunc), [1, -1, 2], 'non-integers truncate toward zero like Int32Array');

  throwsKind(t, () => td.tensor([1], { dtype: 'int64' as unknown as td.DType }), TypeError, 'unknown dtype');
  throwsKind(t, () => td.tensor([1], { device: 'cuda:7' }), Error, 'unavailable device');
  throwsKind(t, () => td.tensor([1], { dtype: 'int32', requiresGrad: true }), TypeError, 'int32 cannot require grad');
  const g = td.tensor([1, 2], { requiresGrad: true });
  t.equal(g.requiresGrad, true);
  td.dispose([f64, precise, i32, trunc, g]);
});

t.test('tensor() from typed arrays', async (t) => {
  const f32 = td.tensor(new Float32Array([1, 2, 3]));
  t.equal(f32.dtype, 'float32');
  t.same(f32.shape, [3]);
  t.same(arr(f32), [1, 2, 3]);

  const f64 = td.tensor(new Float64Array([0.1, 0.2]));
  t.equal(f64.dtype, 'float64', 'Float64Array keeps float64');
  t.same(arr(f64), [0.1, 0.2]);

  const i32 = td.tensor(new Int32Array([7, -8, 2147483647]));
  t.equal(i32.dtype, 'int32', 'Int32Array keeps int32');
  t.same(arr(i32), [7, -8, 2147483647]);

  const conv = td.tensor(new Float64Array([0.1, 2]), { dtype: 'float32' });
  t.equal(conv.dtype, 'float32');
  t.same(arr(conv), [Math.fround(0.1), 2], 'dtype option converts a typed array');

  const src = new Float32Array([1, 2, 3, 4, 5, 6]);
  const shaped = td.tensor(src, { shape: [2, 3] });
  t.same(shaped.shape, [2, 3]);
  t.same(shaped.toArray(), [[1, 2, 3], [4, 5, 6]]);
  src[0] = 100;
  t.equal(shaped.dataSync()[0], 1, 'tensor() copies the typed array');

  const shaped3 = td.tensor(new Int32Array([1, 2, 3, 4, 5, 6, 7, 8]), { shape: [2, 2, 2] });
  t.same(shaped3.toArray(), [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);

  const nestedShaped = td.tensor([1, 2, 3, 4, 5, 6], { shape: [3, 2] });
  t.same(nestedShaped.toArray(), [[1, 2], [3, 4], [5, 6]], 'options.shape reshapes nested data');

  // typed-array views with a byteOffset copy only their own elements
  const big = new Float32Array([1, 2, 3, 4, 5, 6]);
  const sub = td.tensor(big.subarray(2, 5));
  t.same(arr(sub), [3, 4, 5], 'a Float32Array subarray');
  const ab = new ArrayBuffer(32);
  const iv = new Int32Array(ab, 8, 3);
  iv.set([7, 8, 9]);
  t.same(arr(td.tensor(iv)), [7, 8, 9], 'an Int32Array over an offset buffer');
  t.same(arr(td.tensor(new Float64Array([1, 2, 3, 4]).subarray(1), { shape: [3, 1] })), [2, 3, 4], 'a Float64Array subarray with a shape');
  sub.dispose();

  const scalarShaped = td.tensor(new Float32Array([9]), { shape: [] });
  t.same(scalarShaped.shape, []);
  t.equal(scalarShaped.item(), 9);

  throwsKind(t, () => td.tensor(new Float32Array(6), { shape: [4, 2] }), RangeError, 'shape does not hold the elements');
  throwsKind(t, () => td.tensor([1, 2, 3], { shape: [2, 2] }), RangeError, 'nested: shape does not hold the elements');
  throwsKind(t, () => td.tensor(new Float32Array(2), { shape: [-1, 2] }), RangeError, 'negative shape');
  td.dispose([f32, f64, i32, conv, shaped, shaped3, nestedShaped, scalarShaped]);
});

// ---- filled tensors ------------------------------------------------------------------------------

t.test('zeros / ones / full / *Like', async (t) => {
  const z = td.zeros([2, 3]);
  t.same(z.shape, [2, 3]);
  t.equal(z.dtype, 'float32');
  t.same(arr(z), [0, 0, 0, 0, 0, 0]);
  const o = td.ones([4], { dtype: 'float64' });
  t.equal(o.dtype, 'float64');
  t.same(arr(o), [1, 1, 1, 1]);
  const f = td.full([2, 2], 7, { dtype: 'int32' });
  t.equal(f.dtype, 'int32');
  t.same(f.toArray(), [[7, 7], [7, 7]]);
  const fr = td.full([3], 0.1);
  t.same(arr(fr), [Math.fround(0.1), Math.fround(0.1), Math.fround(0.1)]);
  const fd = td.full([1], 0.1, { dtype: 'float64' });
  t.equal(fd.item(), 0.1);
  const s = td.full([], -2.5);
  t.same(s.shape, []);
  t.equal(s.item(), -2.5);
  const e = td.zeros([0, 5]);
  t.equal(e.numel, 0);
  t.same(e.shape, [0, 5]);
  const big = td.ones([1000, 37]);
  t.ok(arr(big).every((v) => v === 1), 'large ones() is all ones');

  const zl = td.zerosLike(f);
  t.equal(zl.dtype, 'int32');
  t.same(zl.shape, [2, 2]);
  t.same(arr(zl), [0, 0, 0, 0]);
  const ol = td.onesLike(o);
  t.equal(ol.dtype, 'float64');
  t.same(arr(ol), [1, 1, 1, 1]);
  const fl = td.fullLike(z, 3, { dtype: 'float64' });
  t.equal(fl.dtype, 'float64');
  t.same(arr(fl), [3, 3, 3, 3, 3, 3]);
  const inf = td.full([2], -Infinity);
  t.same(arr(inf), [-Infinity, -Infinity]);
  const nan = td.full([1], NaN);
  t.ok(Number.isNaN(nan.item()));

  throwsKind(t, () => td.zeros([2, -1]), RangeError, 'negative dim');
  throwsKind(t, () => td.zeros([1.5]), RangeError, 'fractional dim');
  throwsKind(t, () => td.zeros([1, 1, 1, 1, 1, 1, 1, 1, 1]), RangeError, 'more than 8 dims');
  throwsKind(t, () => td.full([2], 'x' as unknown as number), TypeError, 'non-number fill');
  td.dispose([z, o, f, fr, fd, s, e, big, zl, ol, fl, inf, nan]);
});

t.test('arange', async (t) => {
  const a = td.arange(5);
  t.equal(a.dtype, 'int32', 'integer arguments give int32');
  t.same(arr(a), [0, 1, 2, 3, 4]);
  const b = td.arange(2, 7);
  t.equal(b.dtype, 'int32');
  t.same(arr(b), [2, 3, 4, 5, 6]);
  const c = td.arange(0, 10, 3);
  t.same(arr(c), [0, 3, 6, 9]);
  const d = td.arange(5, 0, -1);
  t.same(arr(d), [5, 4, 3, 2, 1], 'negative step');
  const e = td.arange(1, 2.5, 0.5);
  t.equal(e.dtype, 'float32', 'a fractional argument gives float32');
  t.same(arr(e), [1, 1.5, 2]);
  const f = td.arange(0, 1, 0.1);
  t.same(f.shape, [10], 'arange(0, 1, 0.1) has 10 elements');
  const fv = arr(f);
  for (let i = 0; i < 10; i++) t.ok(Math.abs(fv[i] - i * 0.1) < 1e-6, `arange(0,1,0.1)[${i}]`);
  const g = td.arange(3, undefined, 1, { dtype: 'float64' });
  t.equal(g.dtype, 'float64');
  t.same(arr(g), [0, 1, 2]);
  const h = td.arange(0.5, 3);
  t.equal(h.dtype, 'float32');
  t.same(arr(h), [0.5, 1.5, 2.5]);
  const empty = td.arange(5, 2);
  t.same(empty.shape, [0], 'end before start gives an empty tensor');
  const big = td.arange(100000);
  const bv = big.dataSync();
  let ok = true;
  for (let i = 0; i < bv.length; i++) if (bv[i] !== i) { ok = false; break; }
  t.ok(ok, 'arange(1e5) is exact');
  const neg = td.arange(-3, 3, 2);
  t.same(arr(neg), [-3, -1, 1]);
  throwsKind(t, () => td.arange(0, 5, 0), RangeError, 'step 0');
  throwsKind(t, () => td.arange(0, Infinity), RangeError, 'infinite end');
  throwsKind(t, () => td.arange('3' as unknown as number), TypeError, 'non-number');
  td.dispose([a, b, c, d, e, f, g, h, empty, big, neg]);
});

t.test('linspace', async (t) => {
  const a = td.linspace(0, 1, 5);
  t.equal(a.dtype, 'float32');
  t.same(arr(a), [0, 0.25, 0.5, 0.75, 1]);
  const b = td.linspace(-1, 1, 7, { dtype: 'float64' });
  const bv = arr(b);
  for (let i = 0; i < 7; i++) t.ok(Math.abs(bv[i] - (-1 + (2 * i) / 6)) < 1e-15, `linspace(-1,1,7)[${i}]`);
  t.equal(bv[6], 1, 'last value is exactly end');
  const c = td.linspace(0, 0.3, 4, { dtype: 'float64' });
  t.equal(arr(c)[3], 0.3, 'last value is exactly end (0.3)');
  const one = td.linspace(2, 5, 1);
  t.same(arr(one), [2], 'one step gives start');
  const zero = td.linspace(2, 5, 0);
  t.same(zero.shape, [0]);
  const down = td.linspace(10, 0, 3);
  t.same(arr(down), [10, 5, 0]);
  throwsKind(t, () => td.linspace(0, 1, -1), RangeError, 'negative steps');
  throwsKind(t, () => td.linspace(0, 1, 2.5), RangeError, 'fractional steps');
  td.dispose([a, b, c, one, zero, down]);
});

t.test('eye', async (t) => {
  const a = td.eye(3);
  t.same(a.toArray(), [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
  t.equal(a.dtype, 'float32');
  const b = td.eye(2, 4);
  t.same(b.toArray(), [[1, 0, 0, 0], [0, 1, 0, 0]]);
  const c = td.eye(4, 2, { dtype: 'int32' });
  t.equal(c.dtype, 'int32');
  t.same(c.toArray(), [[1, 0], [0, 1], [0, 0], [0, 0]]);
  const d = td.eye(0);
  t.same(d.shape, [0, 0]);
  const e = td.eye(1, undefined, { dtype: 'float64' });
  t.same(e.toArray(), [[1]]);
  const big = td.eye(50);
  const bv = big.dataSync();
  let ok = true;
  for (let i = 0; i < 50; i++) for (let j = 0; j < 50; j++) if (bv[i * 50 + j] !== (i === j ? 1 : 0)) ok = false;
  t.ok(ok, 'eye(50)');
  td.dispose([a, b, c, d, e, big]);
});

// ---- reading values ------------------------------------------------------------------------------

t.test('toArray / dataSync / item / data()', async (t) => {
  const x = td.tensor([[1, 2], [3, 4]], { dtype: 'float64' });
  const ds = x.dataSync();
  t.ok(ds instanceof Float64Array);
  t.same(Array.from(ds), [1, 2, 3, 4]);
  ds[0] = 99;
  t.equal(x.dataSync()[0], 1, 'dataSync returns a copy');
  const d = await x.data();
  t.ok(d instanceof Float64Array, 'data() resolves to a typed array of the dtype');
  t.same(Array.from(d), [1, 2, 3, 4]);
  const di = await td.tensor([5, 6], { dtype: 'int32' }).data();
  t.ok(di instanceof Int32Array);
  t.same(Array.from(di), [5, 6]);
  // data() of a non-contiguous view
  const xt = x.transpose();
  t.same(Array.from(await xt.data()), [1, 3, 2, 4], 'data() of a transposed view');
  t.same(xt.toArray(), [[1, 3], [2, 4]]);
  // item
  t.equal(td.tensor([42]).item(), 42, 'item of a [1] tensor');
  t.equal(td.tensor([[7]]).item(), 7, 'item of a [1,1] tensor');
  t.equal(td.tensor(2.5, { dtype: 'float64' }).item(), 2.5);
  throwsKind(t, () => x.item(), RangeError, 'item of a 4-element tensor');
  throwsKind(t, () => td.zeros([0]).item(), RangeError, 'item of an empty tensor');
  // disposal
  const y = td.ones([2]);
  y.dispose();
  t.ok(y.isDisposed);
  throwsKind(t, () => y.dataSync(), Error, 'reading a disposed tensor');
  y.dispose(); // idempotent
  // data() after dispose started keeps working (retains the storage)
  const z = td.arange(1000, undefined, 1, { dtype: 'float32' });
  const p = z.data();
  z.dispose();
  const zv = await p;
  t.equal(zv.length, 1000);
  t.equal(zv[999], 999, 'data() completes even when the tensor is disposed meanwhile');
  t.match(String(td.tensor([1, 2])), /Tensor\(\[1,2\], shape=\[2\], dtype=float32\)/);
  td.dispose([x, xt]);
});

// ---- random: statistics --------------------------------------------------------------------------

const N = 1_000_000;

function moments(v: ArrayLike<number>): { mean: number; variance: number; min: number; max: number } {
  let s = 0, mn = Infinity, mx = -Infinity;
  for (let i = 0; i < v.length; i++) {
    s += v[i];
    if (v[i] < mn) mn = v[i];
    if (v[i] > mx) mx = v[i];
  }
  const mean = s / v.length;
  let ss = 0;
  for (let i = 0; i < v.length; i++) ss += (v[i] - mean) ** 2;
  return { mean, variance: ss / (v.length - 1), min: mn, max: mx };
}

function chiSquareUniform(v: ArrayLike<number>, bins: number, lo: number, hi: number): number {
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < v.length; i++) {
    const b = Math.floor(((v[i] - lo) / (hi - lo)) * bins);
    counts[Math.min(bins - 1, Math.max(0, b))]++;
  }
  const e = v.length / bins;
  return counts.reduce((s, c) => s + (c - e) ** 2 / e, 0);
}

t.test('rand statistics (float32 and float64)', async (t) => {
  for (const dtype of ['float32', 'float64'] as const) {
    const x = td.rand([N], { seed: 12345, dtype });
    t.equal(x.dtype, dtype);
    const v = x.dataSync();
    const m = moments(v);
    // sd of the mean = sqrt(1/12 / 1e6) ~ 2.9e-4; of the variance ~ 7.5e-5
    t.ok(Math.abs(m.mean - 0.5) < 2e-3, `${dtype} mean ${m.mean} ~ 0.5`);
    t.ok(Math.abs(m.variance - 1 / 12) < 1e-3, `${dtype} variance ${m.variance} ~ 1/12`);
    t.ok(m.min >= 0, `${dtype} min ${m.min} >= 0`);
    t.ok(m.max < 1, `${dtype} max ${m.max} < 1`);
    t.ok(m.min < 1e-4 && m.max > 1 - 1e-4, `${dtype} covers [0, 1)`);
    // chi-square with 99 degrees of freedom: mean 99, sd 14
    const chi = chiSquareUniform(v, 100, 0, 1);
    t.ok(chi < 200 && chi > 30, `${dtype} chi-square over 100 bins = ${chi.toFixed(1)} (99 dof)`);
    // serial correlation of consecutive samples
    let c = 0;
    for (let i = 1; i < v.length; i++) c += (v[i] - 0.5) * (v[i - 1] - 0.5);
    const corr = c / (v.length - 1) / (1 / 12);
    t.ok(Math.abs(corr) < 5e-3, `${dtype} lag-1 correlation ${corr} ~ 0`);
    x.dispose();
  }
  const shaped = td.rand([3, 4, 5], { seed: 1 });
  t.same(shaped.shape, [3, 4, 5]);
  t.equal(shaped.numel, 60);
  const e = td.rand([0]);
  t.same(e.shape, [0]);
  throwsKind(t, () => td.rand([2], { dtype: 'int32' }), TypeError, 'rand int32');
  throwsKind(t, () => td.rand([2], { seed: -1 }), TypeError, 'negative seed');
  throwsKind(t, () => td.rand([2], { seed: 1.5 }), TypeError, 'fractional seed');
  throwsKind(t, () => td.rand([2], { seed: 1n << 64n }), RangeError, 'bigint seed >= 2^64');
  td.dispose([shaped, e]);
});

t.test('randn statistics (float32 and float64)', async (t) => {
  for (const dtype of ['float32', 'float64'] as const) {
    const x = td.randn([N], { seed: 777, dtype });
    t.equal(x.dtype, dtype);
    const v = x.dataSync();
    const m = moments(v);
    t.ok(Math.abs(m.mean) < 5e-3, `${dtype} mean ${m.mean} ~ 0`);
    t.ok(Math.abs(m.variance - 1) < 1e-2, `${dtype} variance ${m.variance} ~ 1`);
    let k = 0, within1 = 0, within2 = 0, pos = 0, finite = true;
    for (let i = 0; i < v.length; i++) {
      const z = v[i];
      if (!Number.isFinite(z)) finite = false;
      k += z ** 4;
      if (Math.abs(z) < 1) within1++;
      if (Math.abs(z) < 2) within2++;
      if (z > 0) pos++;
    }
    t.ok(finite, `${dtype} all samples finite`);
    t.ok(Math.abs(k / v.length - 3) < 0.06, `${dtype} fourth moment ${k / v.length} ~ 3`);
    t.ok(Math.abs(within1 / v.length - 0.682689) < 3e-3, `${dtype} P(|z|<1) = ${within1 / v.length}`);
    t.ok(Math.abs(within2 / v.length - 0.954500) < 2e-3, `${dtype} P(|z|<2) = ${within2 / v.length}`);
    t.ok(Math.abs(pos / v.length - 0.5) < 3e-3, `${dtype} P(z>0) = ${pos / v.length}`);
    t.ok(m.max > 4 && m.min < -4 && m.max < 7 && m.min > -7, `${dtype} range [${m.min}, ${m.max}]`);
    x.dispose();
  }
  throwsKind(t, () => td.randn([2], { dtype: 'int32' }), TypeError, 'randn int32');
});

t.test('randint statistics', async (t) => {
  const x = td.randint(0, 10, [N], { seed: 99 });
  t.equal(x.dtype, 'int32', 'randint defaults to int32');
  const v = x.dataSync();
  const counts = new Array<number>(10).fill(0);
  let bad = 0;
  for (let i = 0; i < v.length; i++) {
    if (!Number.isInteger(v[i]) || v[i] < 0 || v[i] >= 10) bad++;
    else counts[v[i]]++;
  }
  t.equal(bad, 0, 'all values are integers in [0, 10)');
  const e = N / 10;
  const chi = counts.reduce((s, c) => s + (c - e) ** 2 / e, 0);
  t.ok(chi < 40, `chi-square over 10 values = ${chi.toFixed(2)} (9 dof)`);

  const y = td.randint(-5, 3, [100000], { seed: 5 });
  const yv = arr(y);
  t.equal(Math.min(...yv), -5, 'negative low is reached');
  t.equal(Math.max(...yv), 2, 'high is exclusive');
  const f = td.randint(0, 4, [1000], { seed: 3, dtype: 'float32' });
  t.equal(f.dtype, 'float32');
  t.ok(arr(f).every((v) => Number.isInteger(v) && v >= 0 && v < 4), 'float32 randint holds integers');
  const d = td.randint(-1000000, 1000000, [1000], { seed: 3, dtype: 'float64' });
  t.equal(d.dtype, 'float64');
  t.ok(arr(d).every((v) => Number.isInteger(v) && v >= -1000000 && v < 1000000), 'float64 randint holds integers');
  const wide = td.randint(-(2 ** 31), 2 ** 31, [100000], { seed: 11 });
  const wm = moments(wide.dataSync());
  t.ok(Math.abs(wm.mean) < 2 ** 31 * 0.02, `full int32 range mean ${wm.mean} ~ 0`);
  throwsKind(t, () => td.randint(5, 5, [2]), RangeError, 'empty range');
  throwsKind(t, () => td.randint(0.5, 5, [2]), TypeError, 'fractional low');
  throwsKind(t, () => td.randint(0, 2 ** 32 + 1, [2]), RangeError, 'range over 2^32');
  td.dispose([x, y, f, d, wide]);
});

// ---- random: determinism -------------------------------------------------------------------------

t.test('determinism: manualSeed, stream advance, per-call seed', async (t) => {
  td.manualSeed(2024);
  const a1 = arr(td.rand([1000]));
  const b1 = arr(td.rand([1000]));
  const n1 = arr(td.randn([100]));
  const i1 = arr(td.randint(0, 100, [100]));
  td.manualSeed(2024);
  const a2 = arr(td.rand([1000]));
  const b2 = arr(td.rand([1000]));
  const n2 = arr(td.randn([100]));
  const i2 = arr(td.randint(0, 100, [100]));
  t.same(a2, a1, 'same seed => same first draw');
  t.same(b2, b1, 'same seed => same second draw');
  t.same(n2, n1, 'same seed => same randn');
  t.same(i2, i1, 'same seed => same randint');
  t.notSame(b1, a1, 'consecutive calls differ');

  td.manualSeed(2025);
  const c = arr(td.rand([1000]));
  t.notSame(c, a1, 'different seeds differ');

  // per-call seed is independent of the global stream
  td.manualSeed(7);
  const g1 = arr(td.rand([50]));
  const s1 = arr(td.rand([50], { seed: 123 }));
  const g2 = arr(td.rand([50]));
  td.manualSeed(7);
  const h1 = arr(td.rand([50]));
  const h2 = arr(td.rand([50]));
  t.same(h1, g1);
  t.same(h2, g2, 'a {seed} call does not advance the global stream');
  const s2 = arr(td.rand([50], { seed: 123 }));
  t.same(s2, s1, 'same {seed} => same numbers, whatever the global state');
  const s3 = arr(td.rand([50], { seed: 124 }));
  t.notSame(s3, s1, 'different {seed} => different numbers');
  t.same(arr(td.rand([50], { seed: 123n })), s1, 'bigint seed equals number seed');
  // a {seed} call draws from offset 0, i.e. equals the first global call after manualSeed(seed)
  td.manualSeed(123);
  t.same(arr(td.rand([50])), s1, '{seed: s} equals the first draw after manualSeed(s)');

  // shape does not change the stream: rand([2,25]) is rand([50]) reshaped
  t.same(arr(td.rand([2, 25], { seed: 123 })), s1, 'elements follow the flat index');
  // a prefix property: the first k elements of a larger draw equal a smaller draw
  const big = arr(td.rand([1003], { seed: 9 }));
  const small = arr(td.rand([7], { seed: 9 }));
  t.same(big.slice(0, 7), small, 'element i depends only on (seed, offset, i)');

  // getRngState / setRngState
  td.manualSeed(31);
  td.rand([3]);
  const st = td.getRngState();
  t.equal(st.seed, 31n);
  t.equal(st.offset, 1);
  const r1 = arr(td.rand([20]));
  td.rand([5]);
  td.setRngState(st);
  t.same(arr(td.rand([20])), r1, 'setRngState restores the stream');
  t.same(td.getRngState(), { seed: 31n, offset: 2 });

  // thread count does not change the numbers
  const threads = td.getNumThreads();
  const many = arr(td.randn([200000], { seed: 4 }).sum(undefined));
  td.setNumThreads(1);
  const one = arr(td.randn([200000], { seed: 4 }).sum(undefined));
  td.setNumThreads(threads);
  t.same(one, many, 'same numbers with 1 thread and with the default count');
});

// ---- random: independent Philox 4x32-10 reference --------------------------------------------------


function refRandF32(seed: number | bigint, offset: number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const w = block(seed, offset, Math.floor(i / 4))[i % 4];
    out[i] = (w >>> 8) * 2 ** -24; // exact in float32
  }
  return out;
}
function refRandF64(seed: number | bigint, offset: number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const w = block(seed, offset, Math.floor(i / 2));
    const lo = w[2 * (i % 2)], hi = w[2 * (i % 2) + 1];
    out[i] = (hi * 2 ** 21 + (lo >>> 11)) * 2 ** -53; // ((hi<<32|lo) >> 11) * 2^-53, exact
  }
  return out;
}
function refRandintI32(seed: number | bigint, offset: number, n: number, low: number, high: number): Int32Array {
  const out = new Int32Array(n);
  const cnt = BigInt(high - low);
  for (let i = 0; i < n; i++) {
    const w = block(seed, offset, Math.floor(i / 4))[i % 4];
    out[i] = low + Number((BigInt(w) * cnt) >> 32n);
  }
  return out;
}

function firstMismatch(a: ArrayLike<number>, b: ArrayLike<number>): string | null {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++)
    if (!Object.is(a[i], b[i])) return `element ${i}: got ${a[i]}, expected ${b[i]}`;
  return null;
}

t.test('Philox reference: known-answer vectors (Random123 kat_vectors)', async (t) => {
  const hex = (ws: number[]) => ws.map((w) => w.toString(16).padStart(8, '0')).join(' ');
  t.equal(hex(philox4x32_10([0, 0, 0, 0], [0, 0])), '6627e8d5 e169c58d bc57ac4c 9b00dbd8');
  t.equal(hex(philox4x32_10([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff])),
    '408f276d 41c83b0e a20bc7c6 6d5451fd');
  t.equal(hex(philox4x32_10([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])),
    'd16cfe09 94fdcceb 5001e420 24126ea1');
  // the limb mulhi agrees with BigInt
  let ok = true;
  const samples = [0, 1, 0xffffffff, 0x80000000, 0x7fffffff, 0x12345678, 0xdeadbeef];
  for (const a of [...samples, M0, M1]) for (const b of samples) if (mulhi32(a, b) !== mulhi32Big(a, b)) ok = false;
  t.ok(ok, 'mulhi32 equals the BigInt product');
});

t.test('rand float32 equals the Philox reference bit for bit', async (t) => {
  const seeds: (number | bigint)[] = [0, 1, 42, 0x5eed, 0xdeadbeef, 2 ** 32, 2 ** 40 + 12345, Number.MAX_SAFE_INTEGER, 0xffffffffffffffffn];
  for (const seed of seeds) {
    for (const n of [1, 3, 4, 5, 1001]) {
      const got = td.rand([n], { seed }).dataSync();
      const bad = firstMismatch(got, refRandF32(seed, 0, n));
      t.equal(bad, null, `rand([${n}], {seed: ${seed}}) float32`);
    }
  }
  // multi-dim shape uses the flat element index
  const g2 = td.rand([7, 9], { seed: 77 }).dataSync();
  t.equal(firstMismatch(g2, refRandF32(77, 0, 63)), null, 'rand([7, 9]) follows the flat index');
});

t.test('global stream: call k draws from offset k (64-bit offset)', async (t) => {
  td.manualSeed(987654321);
  for (let k = 0; k < 4; k++) {
    const got = td.rand([37]).dataSync();
    t.equal(firstMismatch(got, refRandF32(987654321, k, 37)), null, `call ${k} uses offset ${k}`);
  }
  const big = 2 ** 40 + 3;
  td.manualSeed(2n ** 63n + 5n);
  td.setRngState({ seed: 2n ** 63n + 5n, offset: big });
  const got = td.rand([10]).dataSync();
  t.equal(firstMismatch(got, refRandF32(2n ** 63n + 5n, big, 10)), null, 'offset 2^40+3 splits into counter words 2 and 3');
  td.manualSeed(0x5eed);
});

t.test('rand float64, randint and randn follow the documented conversions', async (t) => {
  for (const seed of [3, 2 ** 35 + 1]) {
    const f64 = td.rand([101], { seed, dtype: 'float64' }).dataSync();
    t.equal(firstMismatch(f64, refRandF64(seed, 0, 101)), null, `rand float64 {seed: ${seed}}`);
    const ri = td.randint(-7, 1000, [101], { seed }).dataSync();
    t.equal(firstMismatch(ri, refRandintI32(seed, 0, 101, -7, 1000)), null, `randint int32 {seed: ${seed}}`);
    const wide = td.randint(-(2 ** 31), 2 ** 31, [41], { seed }).dataSync();
    t.equal(firstMismatch(wide, refRandintI32(seed, 0, 41, -(2 ** 31), 2 ** 31)), null, `randint full int32 range {seed: ${seed}}`);
  }
  // randint into float dtypes: F32 uses one word per element, F64 the high 64 bits of (w1:w0) * n
  const fi = td.randint(-50, 77, [13], { seed: 8, dtype: 'float32' }).dataSync();
  t.equal(firstMismatch(fi, Array.from(refRandintI32(8, 0, 13, -50, 77))), null, 'randint float32 {seed: 8}');
  const di = td.randint(-(2 ** 31) + 5, 2 ** 31 - 2, [11], { seed: 8, dtype: 'float64' }).dataSync();
  const dref: number[] = [];
  for (let i = 0; i < 11; i++) {
    const w = block(8, 0, Math.floor(i / 2));
    const x = (BigInt(w[2 * (i % 2) + 1]) << 32n) | BigInt(w[2 * (i % 2)]);
    dref.push(-(2 ** 31) + 5 + Number((x * BigInt(2 ** 32 - 7)) >> 64n));
  }
  t.equal(firstMismatch(di, dref), null, 'randint float64 draws high64((w1:w0) * n) from two words');
  // randn float32: Box-Muller on (w0, w1) and (w2, w3), in float (libm differences tolerated)
  const f = Math.fround;
  const n = 1003; // not a multiple of 4: the last block is cut
  const got = td.randn([n], { seed: 55 }).dataSync();
  t.equal(got.length, n);
  let worst = 0;
  for (let b = 0; b < Math.ceil(n / 4); b++) {
    const w = block(55, 0, b);
    for (const j of [0, 1]) {
      const u1 = ((w[2 * j] >>> 8) + 1) * 2 ** -24, u2 = (w[2 * j + 1] >>> 8) * 2 ** -24;
      const r = f(Math.sqrt(f(-2 * f(Math.log(u1)))));
      const th = f(f(6.283185307179586) * u2);
      const z0 = f(r * f(Math.cos(th))), z1 = f(r * f(Math.sin(th)));
      if (4 * b + 2 * j < n) worst = Math.max(worst, Math.abs(got[4 * b + 2 * j] - z0) / (1 + Math.abs(z0)));
      if (4 * b + 2 * j + 1 < n) worst = Math.max(worst, Math.abs(got[4 * b + 2 * j + 1] - z1) / (1 + Math.abs(z1)));
    }
  }
  t.ok(worst < 2e-6, `randn float32 matches Box-Muller over Philox (worst scaled error ${worst})`);
  // randn float64: u1 from (w0, w1), u2 from (w2, w3)
  const g64 = td.randn([400], { seed: 56, dtype: 'float64' }).dataSync();
  let worst64 = 0;
  for (let b = 0; b < 200; b++) {
    const w = block(56, 0, b);
    const u1 = (w[1] * 2 ** 21 + (w[0] >>> 11) + 1) * 2 ** -53;
    const u2 = (w[3] * 2 ** 21 + (w[2] >>> 11)) * 2 ** -53;
    const r = Math.sqrt(-2 * Math.log(u1)), th = 6.283185307179586 * u2;
    worst64 = Math.max(worst64, Math.abs(g64[2 * b] - r * Math.cos(th)) / (1 + r), Math.abs(g64[2 * b + 1] - r * Math.sin(th)) / (1 + r));
  }
  t.ok(worst64 < 1e-13, `randn float64 matches Box-Muller over Philox (worst scaled error ${worst64})`);
});
