// elementwise.test.ts — every unary op against a plain-JS reference (float32 and float64), every binary
// op with broadcasting, scalars on either side, non-contiguous inputs, dtype promotion, where(), 0-d and
// empty tensors.
import t from 'tap';
import * as td from '../lib/index';
import { throwsKind, close, arr, rng, uniform, stridesOf } from './helpers/check';

// ---- a high-precision erf in plain JS ------------------------------------------------------------
// |x| < 0.5:  Maclaurin series  erf(x) = 2/sqrt(pi) sum_n (-1)^n x^(2n+1) / (n! (2n+1))
// |x| < 2:    erf(x) = 2/sqrt(pi) exp(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1))   (positive terms only)
// |x| >= 2:   erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...)))))
// Each is accurate to a few 1e-16 in its range (checked below against tabulated values).
const SQRT_PI = Math.sqrt(Math.PI);
function erfcLarge(x: number): number {
  let tcf = x;
  for (let n = 200; n >= 1; n--) tcf = x + n / 2 / tcf;
  return Math.exp(-x * x) / (SQRT_PI * tcf);
}
function erfTaylor(x: number): number {
  let term = x, sum = x;
  const x2 = x * x;
  for (let n = 1; n < 100; n++) {
    term *= -x2 / n;
    const c = term / (2 * n + 1);
    sum += c;
    if (Math.abs(c) < 1e-18 * Math.abs(sum)) break;
  }
  return (2 / SQRT_PI) * sum;
}
function erfPositiveSeries(ax: number): number {
  let term = ax, sum = ax;
  const x2 = 2 * ax * ax;
  for (let n = 1; n < 200; n++) {
    term *= x2 / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-18) break;
  }
  return (2 / SQRT_PI) * Math.exp(-ax * ax) * sum;
}
function erfRef(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 0.5) return erfTaylor(x);
  if (ax < 2) return Math.sign(x) * erfPositiveSeries(ax);
  return Math.sign(x) * (1 - erfcLarge(ax));
}
/** Standard normal CDF, accurate in the lower tail too. */
function phiRef(x: number): number {
  if (x < -3 * Math.SQRT2) return 0.5 * erfcLarge(-x / Math.SQRT2);
  return 0.5 * (1 + erfRef(x / Math.SQRT2));
}

t.test('the JS erf reference is accurate', async (t) => {
  const known: [number, number][] = [
    [0, 0], [0.1, 0.1124629160182848922], [0.5, 0.5204998778130465377], [1, 0.8427007929497148693],
    [1.5, 0.9661051464753107271], [2, 0.9953222650189527342], [2.5, 0.9995930479825550411],
    [3, 0.9999779095030014146], [4, 0.9999999845827420997], [-1, -0.8427007929497148693], [-0.3, -0.3286267594591274276],
  ];
  for (const [x, v] of known) t.ok(Math.abs(erfRef(x) - v) <= 2.5e-16 * Math.max(1, Math.abs(v)), `erf(${x}) = ${erfRef(x)} ~ ${v}`);
  t.ok(Math.abs(erfcLarge(3) / 2.209049699858544137e-5 - 1) < 1e-14, 'erfc(3)');
  t.ok(Math.abs(erfcLarge(5) / 1.537459794428034850e-12 - 1) < 1e-14, 'erfc(5)');
  // the three formulas agree where their ranges meet
  t.ok(Math.abs(erfTaylor(0.5) - erfPositiveSeries(0.5)) < 3e-16, 'Taylor and positive series agree at 0.5');
  t.ok(Math.abs(erfPositiveSeries(2) - (1 - erfcLarge(2))) < 5e-16, 'positive series and continued fraction agree at 2');
});

// ---- unary ops -----------------------------------------------------------------------------------

interface UnaryCase {
  name: string;
  fn: (x: td.Tensor) => td.Tensor;
  method?: (x: td.Tensor) => td.Tensor;
  ref: (x: number) => number;
  lo: number;
  hi: number;
  /** extra absolute tolerance (cancellation-prone formulas) */
  atol32?: number;
  atol64?: number;
  extra?: number[];
}

const gelu = (x: number) => x * phiRef(x);
const geluTanh = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

const UNARY: UnaryCase[] = [
  { name: 'neg', fn: td.neg, method: (x) => x.neg(), ref: (x) => -x, lo: -10, hi: 10 },
  { name: 'exp', fn: td.exp, method: (x) => x.exp(), ref: Math.exp, lo: -20, hi: 20, extra: [0, -100, -87.5, 88] },
  { name: 'expm1', fn: td.expm1, method: (x) => x.expm1(), ref: Math.expm1, lo: -5, hi: 5, extra: [1e-6, -1e-7, 1e-3, 0] },
  { name: 'log', fn: td.log, method: (x) => x.log(), ref: Math.log, lo: 1e-3, hi: 100, extra: [1, 1e-30, 3e38] },
  { name: 'log1p', fn: td.log1p, method: (x) => x.log1p(), ref: Math.log1p, lo: -0.99, hi: 10, extra: [1e-7, -1e-6, 0] },
  { name: 'sqrt', fn: td.sqrt, method: (x) => x.sqrt(), ref: Math.sqrt, lo: 0, hi: 100, extra: [0, 1e-20, 4] },
  { name: 'rsqrt', fn: td.rsqrt, method: (x) => x.rsqrt(), ref: (x) => 1 / Math.sqrt(x), lo: 1e-3, hi: 100, extra: [1, 4, 1e-10] },
  { name: 'abs', fn: td.abs, method: (x) => x.abs(), ref: Math.abs, lo: -10, hi: 10 },
  { name: 'sign', fn: td.sign, method: (x) => x.sign(), ref: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0), lo: -10, hi: 10, extra: [0, 1e-30, -1e-30] },
  { name: 'square', fn: td.square, method: (x) => x.square(), ref: (x) => x * x, lo: -10, hi: 10 },
  { name: 'reciprocal', fn: td.reciprocal, method: (x) => x.reciprocal(), ref: (x) => 1 / x, lo: 0.05, hi: 10, extra: [-0.5, -3, -10, 1] },
  { name: 'sin', fn: td.sin, method: (x) => x.sin(), ref: Math.sin, lo: -10, hi: 10, extra: [0, 1e-5] },
  { name: 'cos', fn: td.cos, method: (x) => x.cos(), ref: Math.cos, lo: -10, hi: 10, extra: [0] },
  { name: 'tanh', fn: td.tanh, method: (x) => x.tanh(), ref: Math.tanh, lo: -10, hi: 10, extra: [0, 1e-4, -0.6, 0.625, 0.63, 20, -50] },
  { name: 'sigmoid', fn: td.sigmoid, method: (x) => x.sigmoid(), ref: sigmoid, lo: -20, hi: 20, extra: [0, 50, -50] },
  { name: 'relu', fn: td.relu, method: (x) => x.relu(), ref: (x) => Math.max(x, 0), lo: -10, hi: 10, extra: [0] },
  { name: 'gelu', fn: (x) => td.gelu(x), method: (x) => x.gelu(), ref: gelu, lo: -6, hi: 6, atol32: 1e-6, atol64: 1e-14, extra: [0, -10, 10] },
  { name: "gelu('none')", fn: (x) => td.gelu(x, 'none'), ref: gelu, lo: -6, hi: 6, atol32: 1e-6, atol64: 1e-14 },
  { name: "gelu('tanh')", fn: (x) => td.gelu(x, 'tanh'), method: (x) => x.gelu('tanh'), ref: geluTanh, lo: -6, hi: 6, atol32: 1e-6, atol64: 1e-14, extra: [0, -10, 10] },
  { name: 'silu', fn: td.silu, method: (x) => x.silu(), ref: (x) => x * sigmoid(x), lo: -20, hi: 20, extra: [0] },
  { name: 'softplus', fn: td.softplus, method: (x) => x.softplus(), ref: softplus, lo: -20, hi: 20, extra: [0, 50, -50, 100] },
  { name: 'erf', fn: td.erf, method: (x) => x.erf(), ref: erfRef, lo: -5, hi: 5, extra: [0, 1e-6, -1e-6, 3, -3, 0.5] },
  { name: 'clamp(-1, 2)', fn: (x) => td.clamp(x, -1, 2), method: (x) => x.clamp(-1, 2), ref: (x) => Math.min(Math.max(x, -1), 2), lo: -5, hi: 5, extra: [-1, 2] },
  { name: 'clamp(null, 0.5)', fn: (x) => td.clamp(x, null, 0.5), ref: (x) => Math.min(x, 0.5), lo: -5, hi: 5 },
  { name: 'clamp(-0.25)', fn: (x) => td.clamp(x, -0.25), ref: (x) => Math.max(x, -0.25), lo: -5, hi: 5 },
];

for (const [ci, c] of UNARY.entries()) {
  t.test(`unary ${c.name}`, async (t) => {
    const vals = uniform(1000 + ci, 2000, c.lo, c.hi).concat(c.extra ?? []);
    for (const dtype of ['float32', 'float64'] as const) {
      const x = td.tensor(dtype === 'float32' ? new Float32Array(vals) : new Float64Array(vals), { shape: [vals.length] });
      const xv = x.dataSync(); // the exact inputs (float32-rounded for float32)
      const want = Array.from(xv, c.ref);
      const y = c.fn(x);
      t.equal(y.dtype, dtype, `${c.name} keeps ${dtype}`);
      t.same(y.shape, x.shape);
      const rtol = dtype === 'float32' ? 1e-6 : 1e-12;
      const atol = dtype === 'float32' ? (c.atol32 ?? 1e-30) : (c.atol64 ?? 1e-300);
      close(t, y.dataSync(), want, rtol, atol, `${c.name} ${dtype} matches the JS reference`);
      if (c.method) t.same(arr(c.method(x)), arr(y), `x.${c.name.replace(/\(.*/, '')}() equals td.${c.name.replace(/\(.*/, '')}(x)`);
      // a 2-D non-contiguous view gives the same values as its contiguous copy
      const m = x.narrow(0, 0, 2000).reshape([40, 50]).transpose();
      const ym = c.fn(m);
      t.same(ym.shape, [50, 40]);
      const mv = m.dataSync();
      close(t, ym.dataSync(), Array.from(mv, c.ref), rtol, atol, `${c.name} ${dtype} on a transposed view`);
      td.dispose([x, y, m, ym]);
    }
  });
}

t.test('unary special values', async (t) => {
  const x = td.tensor([NaN, Infinity, -Infinity, 0], { dtype: 'float32' });
  const nan = (a: number) => Number.isNaN(a);
  const e = arr(td.exp(x));
  t.ok(nan(e[0]) && e[1] === Infinity && e[2] === 0 && e[3] === 1, `exp of NaN/inf/-inf/0: ${e}`);
  const th = arr(td.tanh(x));
  t.ok(nan(th[0]) && th[1] === 1 && th[2] === -1 && th[3] === 0, `tanh: ${th}`);
  const s = arr(td.sigmoid(x));
  t.ok(nan(s[0]) && s[1] === 1 && s[2] === 0 && s[3] === 0.5, `sigmoid: ${s}`);
  const r = arr(td.relu(x));
  t.ok(nan(r[0]) && r[1] === Infinity && r[2] === 0 && r[3] === 0, `relu: ${r}`);
  const c = arr(td.clamp(x, -1, 1));
  t.ok(nan(c[0]) && c[1] === 1 && c[2] === -1 && c[3] === 0, `clamp keeps NaN: ${c}`);
  const l = arr(td.log(td.tensor([0, -1])));
  t.ok(l[0] === -Infinity && nan(l[1]), `log(0) = -inf, log(-1) = NaN: ${l}`);
  const sg = arr(td.sign(x));
  t.ok(nan(sg[0]) && sg[1] === 1 && sg[2] === -1 && sg[3] === 0, `sign: ${sg}`);
  const rc = arr(td.reciprocal(td.tensor([0, -0])));
  t.same(rc, [Infinity, -Infinity], 'reciprocal(+-0) = +-inf');
  const sp = arr(td.softplus(td.tensor([100, -100], { dtype: 'float64' })));
  t.same(sp, [100, Math.log1p(Math.exp(-100))], 'softplus is stable for large |x|');
  td.dispose(x);
});

t.test('unary ops on int32 inputs', async (t) => {
  const x = td.tensor([-3, -1, 0, 2, 5], { dtype: 'int32' });
  for (const [name, y, want] of [
    ['neg', td.neg(x), [3, 1, 0, -2, -5]],
    ['abs', td.abs(x), [3, 1, 0, 2, 5]],
    ['sign', td.sign(x), [-1, -1, 0, 1, 1]],
    ['square', td.square(x), [9, 1, 0, 4, 25]],
    ['relu', td.relu(x), [0, 0, 0, 2, 5]],
    ['clamp', td.clamp(x, -1, 3), [-1, -1, 0, 2, 3]],
  ] as const) {
    t.equal(y.dtype, 'int32', `${name} keeps int32`);
    t.same(arr(y), want, `${name} int32 values`);
  }
  const e = td.exp(x);
  t.equal(e.dtype, 'float32', 'exp of int32 is float32');
  close(t, e.dataSync(), [-3, -1, 0, 2, 5].map(Math.exp), 1e-6, 0, 'exp of int32 values');
  const sq = td.sqrt(td.tensor([4, 9], { dtype: 'int32' }));
  t.equal(sq.dtype, 'float32');
  t.same(arr(sq), [2, 3]);
  // clamp with fractional bounds cannot stay int32 without breaking the bounds: like PyTorch's type
  // promotion (int tensor with float scalar -> float), the result is float32 and within [min, max]
  const cf = td.clamp(x, 0.5, 2.5);
  t.equal(cf.dtype, 'float32', 'clamp(int32, 0.5, 2.5) promotes to float32');
  t.same(arr(cf), [0.5, 0.5, 0.5, 2, 2.5], 'clamp(int32, 0.5, 2.5) respects the bounds');
  const cl = td.clamp(x, -0.5);
  t.ok(arr(cl).every((v) => v >= -0.5), `clamp(int32, -0.5) >= -0.5: ${arr(cl)}`);
  throwsKind(t, () => td.gelu(x, 'fast' as unknown as 'tanh'), TypeError, "gelu approximate 'fast'");
  throwsKind(t, () => td.clamp(x), TypeError, 'clamp with no bounds');
  throwsKind(t, () => td.exp([1, 2] as unknown as td.Tensor), TypeError, 'exp of a plain array');
});

// ---- binary ops ----------------------------------------------------------------------------------

interface Arr { data: number[]; shape: number[] }

/** NumPy-broadcast f over two JS arrays. */
function bcast(a: Arr, b: Arr, f: (x: number, y: number) => number): Arr {
  const n = Math.max(a.shape.length, b.shape.length);
  const pa = [...new Array(n - a.shape.length).fill(1), ...a.shape];
  const pb = [...new Array(n - b.shape.length).fill(1), ...b.shape];
  const shape = pa.map((s, i) => (s === 1 ? pb[i] : s));
  const sa = stridesOf(pa), sb = stridesOf(pb);
  const total = shape.reduce((x, y) => x * y, 1);
  const data = new Array<number>(total);
  const idx = new Array<number>(n).fill(0);
  for (let k = 0; k < total; k++) {
    let ia = 0, ib = 0;
    for (let d = 0; d < n; d++) {
      if (pa[d] !== 1) ia += idx[d] * sa[d];
      if (pb[d] !== 1) ib += idx[d] * sb[d];
    }
    data[k] = f(a.data[ia], b.data[ib]);
    for (let d = n - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
  }
  return { data, shape };
}

const fr = Math.fround;
const BINARY: { name: string; fn: (a: td.Tensor | number, b: td.Tensor | number) => td.Tensor; ref: (a: number, b: number) => number; cmp?: boolean }[] = [
  { name: 'add', fn: td.add, ref: (a, b) => a + b },
  { name: 'sub', fn: td.sub, ref: (a, b) => a - b },
  { name: 'mul', fn: td.mul, ref: (a, b) => a * b },
  { name: 'div', fn: td.div, ref: (a, b) => a / b },
  { name: 'pow', fn: td.pow, ref: (a, b) => Math.pow(a, b) },
  { name: 'maximum', fn: td.maximum, ref: (a, b) => Math.max(a, b) },
  { name: 'minimum', fn: td.minimum, ref: (a, b) => Math.min(a, b) },
  { name: 'gt', fn: td.gt, ref: (a, b) => +(a > b), cmp: true },
  { name: 'ge', fn: td.ge, ref: (a, b) => +(a >= b), cmp: true },
  { name: 'lt', fn: td.lt, ref: (a, b) => +(a < b), cmp: true },
  { name: 'le', fn: td.le, ref: (a, b) => +(a <= b), cmp: true },
  { name: 'eq', fn: td.eq, ref: (a, b) => +(a === b), cmp: true },
  { name: 'ne', fn: td.ne, ref: (a, b) => +(a !== b), cmp: true },
];

/** Inputs for op `name`: positive bases for pow, nonzero divisors, small integers (ties) for comparisons. */
function inputs(name: string, seed: number, n: number, side: 0 | 1): number[] {
  if (name === 'pow') return side === 0 ? uniform(seed, n, 0.1, 3) : uniform(seed, n, -2, 2);
  if (name === 'div' && side === 1) return uniform(seed, n, 0.5, 4).map((v, i) => (i % 2 ? -v : v));
  if (['gt', 'ge', 'lt', 'le', 'eq', 'ne', 'maximum', 'minimum'].includes(name))
    return uniform(seed, n, -3, 3).map((v, i) => (i % 3 === 0 ? Math.round(v) : Math.round(v * 4) / 4));
  return uniform(seed, n, -5, 5);
}

for (const [bi, op] of BINARY.entries()) {
  t.test(`binary ${op.name}`, async (t) => {
    for (const dtype of ['float32', 'float64'] as const) {
      const rtol = op.cmp ? 0 : dtype === 'float32' ? 1e-6 : 1e-13;
      const mk = (v: number[], shape: number[]) =>
        td.tensor(dtype === 'float32' ? new Float32Array(v) : new Float64Array(v), { shape });
      const outDtype = op.cmp ? 'float32' : dtype;

      // same shape, contiguous
      const a = mk(inputs(op.name, 10 * bi + 1, 60, 0), [3, 4, 5]);
      const b = mk(inputs(op.name, 10 * bi + 2, 60, 1), [3, 4, 5]);
      const A: Arr = { data: arr(a), shape: [3, 4, 5] }, B: Arr = { data: arr(b), shape: [3, 4, 5] };
      let y = op.fn(a, b);
      t.equal(y.dtype, outDtype, `${op.name} ${dtype} result dtype`);
      t.same(y.shape, [3, 4, 5]);
      close(t, y.dataSync(), bcast(A, B, op.ref).data, rtol, 0, `${op.name} ${dtype} same shape`);
      const viaMethod = (a as unknown as Record<string, (b: td.Tensor) => td.Tensor>)[op.name](b);
      t.same(arr(viaMethod), arr(y), `a.${op.name}(b) equals td.${op.name}(a, b)`);

      // broadcasting [3,1,4] with [2,1] -> [3,2,4], both orders
      const c = mk(inputs(op.name, 10 * bi + 3, 12, 0), [3, 1, 4]);
      const d = mk(inputs(op.name, 10 * bi + 4, 2, 1), [2, 1]);
      const C: Arr = { data: arr(c), shape: [3, 1, 4] }, D: Arr = { data: arr(d), shape: [2, 1] };
      y = op.fn(c, d);
      t.same(y.shape, [3, 2, 4], `${op.name} broadcast shape`);
      close(t, y.dataSync(), bcast(C, D, op.ref).data, rtol, 0, `${op.name} ${dtype} [3,1,4] with [2,1]`);
      const c2 = mk(inputs(op.name, 10 * bi + 5, 12, 1), [3, 1, 4]);
      const d2 = mk(inputs(op.name, 10 * bi + 6, 2, 0), [2, 1]);
      y = op.fn(d2, c2);
      t.same(y.shape, [3, 2, 4]);
      close(t, y.dataSync(), bcast({ data: arr(d2), shape: [2, 1] }, { data: arr(c2), shape: [3, 1, 4] }, op.ref).data, rtol, 0,
        `${op.name} ${dtype} [2,1] with [3,1,4]`);

      // scalars on either side (float32 rounds the scalar to float first)
      const rs = (s: number) => (dtype === 'float32' ? fr(s) : s);
      const s1 = op.name === 'pow' ? 1.5 : op.name === 'div' ? -2.5 : 0.5;
      y = op.fn(a, s1);
      t.equal(y.dtype, outDtype, `${op.name}(tensor, scalar) dtype`);
      close(t, y.dataSync(), A.data.map((v) => op.ref(v, rs(s1))), rtol, 0, `${op.name} ${dtype} (tensor, ${s1})`);
      const s0 = op.name === 'pow' ? 2 : op.name === 'div' ? 3 : 0.5;
      const bPos = op.name === 'div' || op.name === 'pow' ? B : A;
      const rightT = op.name === 'div' || op.name === 'pow' ? b : a;
      y = op.fn(s0, rightT);
      t.equal(y.dtype, outDtype, `${op.name}(scalar, tensor) dtype`);
      close(t, y.dataSync(), bPos.data.map((v) => op.ref(rs(s0), v)), rtol, 0, `${op.name} ${dtype} (${s0}, tensor)`);
      // integer-valued scalar that hits ties exactly
      if (op.cmp || op.name === 'maximum' || op.name === 'minimum') {
        y = op.fn(a, 1);
        close(t, y.dataSync(), A.data.map((v) => op.ref(v, 1)), 0, 0, `${op.name} ${dtype} (tensor, 1) with ties`);
        y = op.fn(1, a);
        close(t, y.dataSync(), A.data.map((v) => op.ref(1, v)), 0, 0, `${op.name} ${dtype} (1, tensor) with ties`);
      }

      // non-contiguous inputs: transposed, sliced with a step, expanded
      const base = mk(inputs(op.name, 10 * bi + 7, 12, 0), [4, 3]);
      const bv = arr(base);
      const tr = base.transpose(); // [3, 4]
      const trData = [0, 1, 2].flatMap((i) => [0, 1, 2, 3].map((j) => bv[j * 3 + i]));
      const wide = mk(inputs(op.name, 10 * bi + 8, 24, 1), [3, 8]);
      const wv = arr(wide);
      const sl = wide.slice(1, 1, 8, 2); // [3, 4]: columns 1, 3, 5, 7
      const slData = [0, 1, 2].flatMap((i) => [1, 3, 5, 7].map((j) => wv[i * 8 + j]));
      t.notOk(tr.isContiguous(), 'transposed operand is not contiguous');
      t.notOk(sl.isContiguous(), 'sliced operand is not contiguous');
      y = op.fn(tr, sl);
      close(t, y.dataSync(), trData.map((v, i) => op.ref(v, slData[i])), rtol, 0, `${op.name} ${dtype} transposed with sliced(step 2)`);
      const col = mk(inputs(op.name, 10 * bi + 9, 3, 1), [3, 1]);
      const colv = arr(col);
      const ex = col.expand([3, 4]);
      y = op.fn(tr, ex);
      close(t, y.dataSync(), trData.map((v, i) => op.ref(v, colv[Math.floor(i / 4)])), rtol, 0, `${op.name} ${dtype} transposed with expanded`);
      y = op.fn(ex, sl.contiguous());
      close(t, y.dataSync(), slData.map((v, i) => op.ref(colv[Math.floor(i / 4)], v)), rtol, 0, `${op.name} ${dtype} expanded with contiguous`);
      // an operand that is a sliced view with an offset, broadcast against a row
      const row = mk(inputs(op.name, 10 * bi + 11, 4, 1), [4]);
      const rv = arr(row);
      const off = wide.narrow(0, 1, 2).slice(1, 0, 8, 2); // rows 1..2, even columns: [2, 4]
      const offData = [1, 2].flatMap((i) => [0, 2, 4, 6].map((j) => wv[i * 8 + j]));
      y = op.fn(off, row);
      close(t, y.dataSync(), offData.map((v, i) => op.ref(v, rv[i % 4])), rtol, 0, `${op.name} ${dtype} offset view with a row`);
    }
  });
}

t.test('binary ops: shape errors and argument checks', async (t) => {
  const a = td.zeros([3, 4]);
  const b = td.zeros([2, 4]);
  for (const op of BINARY) throwsKind(t, () => op.fn(a, b), RangeError, `${op.name} [3,4] with [2,4]`);
  throwsKind(t, () => td.add(1, 2), TypeError, 'add of two numbers');
  throwsKind(t, () => td.add(a, 'x' as unknown as number), TypeError, 'add of a string');
  throwsKind(t, () => td.add(a, [1, 2, 3, 4] as unknown as td.Tensor), TypeError, 'add of a plain array');
  td.dispose([a, b]);
});

t.test('comparisons return float32 1/0 and follow the wrapped-scalar rule', async (t) => {
  const x = td.tensor([1, 2, 3], { dtype: 'int32' });
  const y = td.tensor([3, 2, 1], { dtype: 'float64' });
  for (const [name, r, want] of [
    ['gt', td.gt(x, y), [0, 0, 1]], ['ge', td.ge(x, y), [0, 1, 1]], ['lt', td.lt(x, y), [1, 0, 0]],
    ['le', td.le(x, y), [1, 1, 0]], ['eq', td.eq(x, y), [0, 1, 0]], ['ne', td.ne(x, y), [1, 0, 1]],
    ['gt scalar', td.gt(x, 1.5), [0, 1, 1]], ['eq int scalar', td.eq(x, 2), [0, 1, 0]],
  ] as const) {
    t.equal(r.dtype, 'float32', `${name} returns float32`);
    t.same(arr(r), want, `${name} values`);
  }
  // x_f32 compared with 0.1 compares against 0.1f (PyTorch wrapped-number rule)
  const f = td.tensor([Math.fround(0.1)]);
  t.same(arr(td.eq(f, 0.1)), [1], 'float32 tensor == 0.1 (the scalar is rounded to float)');
  t.same(arr(td.gt(f, 0.1)), [0]);
  const d = td.tensor([0.1], { dtype: 'float64' });
  t.same(arr(td.eq(d, 0.1)), [1]);
  const n = td.tensor([NaN, 1]);
  t.same(arr(td.eq(n, n)), [0, 1], 'NaN != NaN');
  t.same(arr(td.ne(n, n)), [1, 0]);
  t.same(arr(td.maximum(n, td.tensor([0, 0]))), [NaN, 1], 'maximum propagates NaN (left)');
  t.same(arr(td.minimum(td.tensor([0, 0]), n)), [NaN, 0], 'minimum propagates NaN (right)');
});

t.test('dtype promotion', async (t) => {
  const i = td.tensor([7, -3, 2], { dtype: 'int32' });
  const j = td.tensor([2, 2, -4], { dtype: 'int32' });
  const f = td.tensor([0.5, 0.25, 0.1]);
  const d = td.tensor([0.5, 0.25, 0.2], { dtype: 'float64' });

  let y = td.add(i, f);
  t.equal(y.dtype, 'float32', 'int32 + float32 -> float32');
  close(t, y.dataSync(), [7.5, -2.75, 2 + fr(0.1)], 1e-7, 0, 'int32 + float32 values');
  y = td.add(f, d);
  t.equal(y.dtype, 'float64', 'float32 + float64 -> float64');
  t.same(arr(y), [1, 0.5, fr(0.1) + 0.2], 'float32 + float64 computes in float64 from the float32 values');
  y = td.mul(i, d);
  t.equal(y.dtype, 'float64', 'int32 * float64 -> float64');
  t.same(arr(y), [3.5, -0.75, 0.4]);
  y = td.add(i, j);
  t.equal(y.dtype, 'int32', 'int32 + int32 -> int32');
  t.same(arr(y), [9, -1, -2]);
  y = td.sub(i, j);
  t.same(arr(y), [5, -5, 6]);
  y = td.mul(i, j);
  t.same(arr(y), [14, -6, -8]);
  y = td.div(i, j);
  t.equal(y.dtype, 'float32', 'int32 / int32 -> float32 (true division)');
  t.same(arr(y), [3.5, -1.5, -0.5]);
  y = td.pow(i, j);
  t.equal(y.dtype, 'float32', 'int32 ** int32 -> float32');
  close(t, y.dataSync(), [49, 9, 1 / 16], 1e-7, 0, 'int32 pow values');
  y = td.maximum(i, f);
  t.equal(y.dtype, 'float32');
  t.same(arr(y), [7, 0.25, 2]);
  y = td.maximum(i, j);
  t.equal(y.dtype, 'int32');
  t.same(arr(y), [7, 2, 2]);
  // int32 with scalars
  y = td.add(i, 2);
  t.equal(y.dtype, 'int32', 'int32 + integer scalar stays int32');
  t.same(arr(y), [9, -1, 4]);
  y = td.mul(3, i);
  t.equal(y.dtype, 'int32');
  t.same(arr(y), [21, -9, 6]);
  y = td.add(i, 2.5);
  t.equal(y.dtype, 'float32', 'int32 + fractional scalar -> float32');
  t.same(arr(y), [9.5, -0.5, 4.5]);
  y = td.sub(1.5, i);
  t.equal(y.dtype, 'float32');
  t.same(arr(y), [-5.5, 4.5, -0.5]);
  y = td.div(i, 2);
  t.equal(y.dtype, 'float32', 'int32 / integer scalar -> float32');
  t.same(arr(y), [3.5, -1.5, 1]);
  y = td.div(1, i);
  t.equal(y.dtype, 'float32');
  close(t, y.dataSync(), [1 / 7, -1 / 3, 0.5], 1e-7, 0, '1 / int32');
  y = td.maximum(i, 0.5);
  t.equal(y.dtype, 'float32', 'maximum(int32, 0.5) -> float32');
  t.same(arr(y), [7, 0.5, 2]);
  y = td.maximum(i, 0);
  t.equal(y.dtype, 'int32');
  t.same(arr(y), [7, 0, 2]);
  y = td.add(f, 1);
  t.equal(y.dtype, 'float32', 'float32 + scalar stays float32');
  y = td.add(d, 1);
  t.equal(y.dtype, 'float64', 'float64 + scalar stays float64');
  t.same(arr(td.gt(i, f)), [1, 0, 1], 'comparison across dtypes');
  // int32 wraps like Int32Array
  const big = td.tensor([2147483647, -2147483648], { dtype: 'int32' });
  t.same(arr(td.add(big, td.tensor([1, -1], { dtype: 'int32' }))), [-2147483648, 2147483647], 'int32 add wraps');
  // an integer scalar behaves like the same value as an int32 tensor (x + 1 == x + tensor(1))
  const one = td.tensor(1, { dtype: 'int32' }), two = td.tensor(2, { dtype: 'int32' });
  t.same(arr(td.add(big, 1)), arr(td.add(big, one)), 'int32 + 1 wraps like int32 + tensor(1)');
  t.same(arr(td.sub(big, 1)), arr(td.sub(big, one)), 'int32 - 1 wraps like int32 - tensor(1)');
  t.same(arr(td.mul(big, 2)), arr(td.mul(big, two)), 'int32 * 2 wraps like int32 * tensor(2)');
  t.same(arr(td.sub(-2, big)), arr(td.sub(td.tensor(-2, { dtype: 'int32' }), big)), '-2 - int32 wraps like tensor(-2) - int32');
});

t.test('where()', async (t) => {
  const cond = td.tensor([[1], [0], [1]]); // [3,1]
  const a = td.tensor([[10, 20, 30, 40]]); // [1,4]
  const b = td.tensor([-1, -2, -3, -4]); // [4]
  let y = td.where(cond, a, b);
  t.same(y.shape, [3, 4]);
  t.same(y.toArray(), [[10, 20, 30, 40], [-1, -2, -3, -4], [10, 20, 30, 40]], 'where with broadcasting');
  y = td.where(cond, a, 0);
  t.same(y.toArray(), [[10, 20, 30, 40], [0, 0, 0, 0], [10, 20, 30, 40]], 'scalar b');
  y = td.where(cond, 5, b);
  t.same(y.toArray(), [[5, 5, 5, 5], [-1, -2, -3, -4], [5, 5, 5, 5]], 'scalar a');
  y = a.where(cond, -7);
  t.same(y.toArray(), [[10, 20, 30, 40], [-7, -7, -7, -7], [10, 20, 30, 40]], 'x.where(cond, other) is where(cond, x, other)');
  // cond of any dtype: nonzero is true, including negative and fractional values
  const c2 = td.tensor([0, -2, 0.5, 0], { dtype: 'float64' });
  y = td.where(c2, td.ones([4]), td.zeros([4]));
  t.same(arr(y), [0, 1, 1, 0], 'nonzero float cond is true');
  const ci = td.tensor([3, 0, 0, -1], { dtype: 'int32' });
  y = td.where(ci, td.ones([4]), td.zeros([4]));
  t.same(arr(y), [1, 0, 0, 1], 'int32 cond');
  // condition from a comparison
  const x = td.tensor([-2, -1, 0, 1, 2]);
  y = td.where(td.gt(x, 0), x, td.mul(x, 0.1));
  close(t, y.dataSync(), [-0.2, -0.1, 0, 1, 2], 1e-7, 0, 'leaky relu via where');
  // dtype promotion
  y = td.where(cond, td.tensor([1, 2, 3, 4], { dtype: 'int32' }), td.tensor([0.5], { dtype: 'float64' }));
  t.equal(y.dtype, 'float64', 'where(int32, float64) -> float64');
  t.same(y.toArray(), [[1, 2, 3, 4], [0.5, 0.5, 0.5, 0.5], [1, 2, 3, 4]]);
  y = td.where(cond, td.tensor([1, 2], { dtype: 'int32' }), 0.5);
  t.equal(y.dtype, 'float32', 'where(int32, 0.5) -> float32');
  y = td.where(cond, td.tensor([1, 2], { dtype: 'int32' }), 9);
  t.equal(y.dtype, 'int32', 'where(int32, 9) -> int32');
  t.same(y.toArray(), [[1, 2], [9, 9], [1, 2]]);
  // non-contiguous cond and values
  const m = td.tensor([[1, 0], [0, 1], [1, 1]]).transpose(); // [2,3]
  const v = td.arange(6, undefined, 1, { dtype: 'float32' }).reshape([3, 2]).transpose();
  y = td.where(m, v, -1);
  t.same(y.toArray(), [[0, -1, 4], [-1, 3, 5]], 'transposed cond and values');
  // 0-d cond
  y = td.where(td.tensor(0), a, b);
  t.same(y.toArray(), [[-1, -2, -3, -4]]);
  throwsKind(t, () => td.where(cond, 1, 2), TypeError, 'where with two scalars');
  throwsKind(t, () => td.where(td.ones([2]), td.ones([3]), 0), RangeError, 'where shape mismatch');
});

t.test('0-d and empty tensors', async (t) => {
  const s = td.tensor(3);
  const v = td.tensor([1, 2]);
  let y = td.add(s, v);
  t.same(y.shape, [2], '0-d broadcasts against 1-d');
  t.same(arr(y), [4, 5]);
  y = td.mul(s, td.tensor(-2));
  t.same(y.shape, [], '0-d op 0-d is 0-d');
  t.equal(y.item(), -6);
  y = td.exp(td.tensor(0));
  t.same(y.shape, []);
  t.equal(y.item(), 1);
  y = td.add(s, 1);
  t.same(y.shape, []);
  t.equal(y.item(), 4);
  y = td.gt(td.tensor(2), 1);
  t.same(y.shape, []);
  t.equal(y.item(), 1);

  const e = td.zeros([0, 3]);
  y = td.exp(e);
  t.same(y.shape, [0, 3], 'unary of empty');
  y = td.add(e, td.ones([1, 3]));
  t.same(y.shape, [0, 3], 'empty broadcast with [1,3]');
  t.equal(y.numel, 0);
  y = td.add(e, td.ones([3]));
  t.same(y.shape, [0, 3]);
  y = td.mul(td.zeros([0]), td.ones([1]));
  t.same(y.shape, [0], '[0] with [1]');
  y = td.add(td.zeros([2, 0]), 5);
  t.same(y.shape, [2, 0]);
  y = td.where(td.zeros([0]), td.zeros([0]), 1);
  t.same(y.shape, [0]);
  y = td.gt(td.zeros([0, 1]), td.zeros([4]));
  t.same(y.shape, [0, 4]);
  throwsKind(t, () => td.add(td.zeros([0]), td.zeros([2])), RangeError, '[0] with [2]');
});

t.test('large contiguous and broadcast ops (parallel paths)', async (t) => {
  const n = 300000;
  const av = uniform(77, n, -3, 3), bv = uniform(78, n, -3, 3);
  const a = td.tensor(new Float32Array(av)), b = td.tensor(new Float32Array(bv));
  const A = arr(a), B = arr(b);
  close(t, td.mul(a, b).dataSync(), A.map((x, i) => x * B[i]), 1e-6, 0, 'large mul');
  close(t, td.tanh(a).dataSync(), A.map(Math.tanh), 1e-6, 1e-30, 'large tanh');
  close(t, td.exp(a).dataSync(), A.map(Math.exp), 1e-6, 0, 'large exp');
  const m = a.reshape([600, 500]);
  const r = b.narrow(0, 0, 500);
  const R = B.slice(0, 500);
  close(t, td.sub(m, r).dataSync(), A.map((x, i) => x - R[i % 500]), 1e-6, 1e-7, 'large [600,500] - [500]');
  const mt = m.transpose();
  const mtv = mt.dataSync();
  let ok = true;
  for (let i = 0; i < 500 && ok; i++) for (let j = 0; j < 600; j++) if (mtv[i * 600 + j] !== A[j * 500 + i]) { ok = false; break; }
  t.ok(ok, 'large transposed read');
  close(t, td.add(mt, 1).dataSync(), Array.from(mtv, (x) => x + 1), 1e-6, 1e-7, 'large transposed + 1');
});

t.test('broadcasting fuzz: random shapes up to 6 dims, permuted and stepped operands', async (t) => {
  const r = rng(4242);
  const ri = (n: number) => Math.floor(r() * n);
  let bad = 0, cases = 0;
  const failures: string[] = [];
  for (let it = 0; it < 300; it++) {
    const nd = 1 + ri(6);
    const out = Array.from({ length: nd }, () => 1 + ri(4));
    const mkShape = () => { const k = ri(nd + 1); return out.slice(nd - k).map((s) => (r() < 0.3 ? 1 : s)); };
    const mkT = (shape: number[]): td.Tensor => {
      const n = shape.reduce((a, b) => a * b, 1);
      const vals = (m: number) => Array.from({ length: m }, () => Math.round(r() * 20 - 10) / 4);
      const mode = ri(3);
      if (mode === 0 || shape.length < 2) return td.tensor(vals(n), { shape, dtype: r() < 0.5 ? 'float32' : 'float64' });
      if (mode === 1) {
        const rev = shape.slice().reverse();
        return td.tensor(vals(n), { shape: rev }).permute(rev.map((_, i) => rev.length - 1 - i));
      }
      const big = shape.slice();
      big[0] *= 2;
      return td.tensor(vals(2 * n), { shape: big }).slice(0, 1, undefined, 2);
    };
    const sa = mkShape(), sb = mkShape();
    const a = mkT(sa), b = mkT(sb);
    const A: Arr = { data: Array.from(a.contiguous().dataSync()), shape: sa };
    const B: Arr = { data: Array.from(b.contiguous().dataSync()), shape: sb };
    const want = bcast(A, B, (x, y) => x * y - y);
    const y = td.sub(td.mul(a, b), b);
    cases++;
    const got = y.dataSync();
    if (JSON.stringify(y.shape) !== JSON.stringify(want.shape) || want.data.some((v, i) => v !== got[i])) {
      bad++;
      if (failures.length < 5) failures.push(`[${sa}] with [${sb}]`);
    }
    td.dispose([a, b, y]);
  }
  t.equal(bad, 0, `${cases} random broadcasts (a*b - b) match the JS reference${failures.length ? ': ' + failures.join('; ') : ''}`);
});
