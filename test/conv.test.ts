// conv.test.ts — conv2d against a naive direct convolution written in plain JS (float64 and float32;
// stride, padding incl. 'same'/'valid', dilation, groups incl. depthwise, non-square kernels,
// batch > 1, non-contiguous input and weight, unbatched input), gradients against float64 central
// differences (td.gradcheck) and against a plain-JS adjoint, argument errors, the native im2col /
// col2im checks (bad calls throw, never crash) and a leak check of a training-like loop.
import t from 'tap';
import * as td from '../lib/index';
import { conv2d, Conv2dOptions, convTuning } from '../lib/ops/conv';
import { native } from '../lib/native';
import { begin, packNum, packView } from '../lib/native';
import { close, throwsKind, uniform } from './helpers/check';

type Tensor = td.Tensor;
type P2 = [number, number];

interface Cfg { x: number[]; w: number[]; bias: boolean; stride: P2; pad: P2; dil: P2; groups: number; name: string }

/** Direct convolution in plain JS: x [N,C,H,W], w [O, C/G, kh, kw] (row-major arrays). padB: bottom/right padding. */
function convRef(x: ArrayLike<number>, xs: number[], w: ArrayLike<number>, ws: number[], b: ArrayLike<number> | null,
  s: P2, p: P2, d: P2, G: number, pEnd: P2 = p): { y: number[]; shape: number[] } {
  const [N, C, H, W] = xs, [O, Cg, kh, kw] = ws;
  const oh = Math.floor((H + p[0] + pEnd[0] - d[0] * (kh - 1) - 1) / s[0]) + 1;
  const ow = Math.floor((W + p[1] + pEnd[1] - d[1] * (kw - 1) - 1) / s[1]) + 1;
  const y = new Array<number>(N * O * oh * ow).fill(0);
  const Og = O / G;
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / Og);
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          let acc = b ? b[o] : 0;
          for (let c = 0; c < Cg; c++)
            for (let ki = 0; ki < kh; ki++)
              for (let kj = 0; kj < kw; kj++) {
                const ih = i * s[0] - p[0] + ki * d[0], iw = j * s[1] - p[1] + kj * d[1];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += x[((n * C + g * Cg + c) * H + ih) * W + iw] * w[((o * Cg + c) * kh + ki) * kw + kj];
              }
          y[((n * O + o) * oh + i) * ow + j] = acc;
        }
    }
  return { y, shape: [N, O, oh, ow] };
}

/** Plain-JS gradients of sum(y * gy) with respect to x, w and b (the adjoint of convRef). */
function convRefGrads(x: ArrayLike<number>, xs: number[], w: ArrayLike<number>, ws: number[], gy: ArrayLike<number>,
  ys: number[], s: P2, p: P2, d: P2, G: number): { gx: number[]; gw: number[]; gb: number[] } {
  const [N, C, H, W] = xs, [O, Cg, kh, kw] = ws, [, , oh, ow] = ys;
  const gx = new Array<number>(x.length).fill(0), gw = new Array<number>(w.length).fill(0), gb = new Array<number>(O).fill(0);
  const Og = O / G;
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / Og);
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          const gv = gy[((n * O + o) * oh + i) * ow + j];
          gb[o] += gv;
          for (let c = 0; c < Cg; c++)
            for (let ki = 0; ki < kh; ki++)
              for (let kj = 0; kj < kw; kj++) {
                const ih = i * s[0] - p[0] + ki * d[0], iw = j * s[1] - p[1] + kj * d[1];
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                const xi = ((n * C + g * Cg + c) * H + ih) * W + iw, wi = ((o * Cg + c) * kh + ki) * kw + kj;
                gx[xi] += gv * w[wi];
                gw[wi] += gv * x[xi];
              }
        }
    }
  return { gx, gw, gb };
}

const CFGS: Cfg[] = [
  { name: '3x3 pad 1', x: [2, 3, 6, 5], w: [4, 3, 3, 3], bias: true, stride: [1, 1], pad: [1, 1], dil: [1, 1], groups: 1 },
  { name: 'stride 2, no bias', x: [1, 2, 7, 7], w: [3, 2, 3, 3], bias: false, stride: [2, 2], pad: [0, 0], dil: [1, 1], groups: 1 },
  { name: 'non-square kernel, stride (2,1), pad (1,2)', x: [2, 3, 7, 6], w: [5, 3, 3, 2], bias: true, stride: [2, 1], pad: [1, 2], dil: [1, 1], groups: 1 },
  { name: 'dilation (2,3)', x: [2, 2, 9, 10], w: [3, 2, 3, 2], bias: true, stride: [1, 1], pad: [2, 1], dil: [2, 3], groups: 1 },
  { name: 'groups 2, stride 3, dilation 2', x: [3, 4, 11, 9], w: [6, 2, 2, 3], bias: true, stride: [3, 2], pad: [1, 0], dil: [2, 2], groups: 2 },
  { name: 'depthwise (groups = C)', x: [2, 5, 6, 6], w: [5, 1, 3, 3], bias: true, stride: [1, 1], pad: [1, 1], dil: [1, 1], groups: 5 },
  { name: 'depthwise multiplier 2', x: [1, 3, 5, 7], w: [6, 1, 2, 2], bias: false, stride: [1, 2], pad: [0, 1], dil: [1, 1], groups: 3 },
  { name: '1x1', x: [4, 6, 3, 2], w: [5, 6, 1, 1], bias: true, stride: [1, 1], pad: [0, 0], dil: [1, 1], groups: 1 },
  { name: 'kernel = input, large padding', x: [2, 2, 3, 4], w: [3, 2, 3, 4], bias: true, stride: [1, 1], pad: [3, 2], dil: [1, 1], groups: 1 },
  { name: 'window larger than stride gaps (stride 4 > kernel)', x: [1, 2, 10, 9], w: [2, 2, 2, 2], bias: true, stride: [4, 4], pad: [1, 1], dil: [1, 1], groups: 1 },
];

function mk(v: number[], shape: number[], dtype: 'float32' | 'float64'): Tensor {
  return td.tensor(dtype === 'float32' ? new Float32Array(v) : new Float64Array(v), { shape });
}
const optsOf = (c: Cfg): Conv2dOptions => ({ stride: c.stride, padding: c.pad, dilation: c.dil, groups: c.groups });
const numel = (s: number[]) => s.reduce((a, b) => a * b, 1);

t.test('conv2d matches a direct convolution (float64 and float32)', async (t) => {
  let seed = 1;
  for (const c of CFGS) {
    const X = uniform(seed++, numel(c.x)), Wt = uniform(seed++, numel(c.w)), Bv = uniform(seed++, c.w[0]);
    const ref = convRef(X, c.x, Wt, c.w, c.bias ? Bv : null, c.stride, c.pad, c.dil, c.groups);
    for (const dtype of ['float64', 'float32'] as const) {
      td.tidy(() => {
        const y = conv2d(mk(X, c.x, dtype), mk(Wt, c.w, dtype), c.bias ? mk(Bv, [c.w[0]], dtype) : null, optsOf(c));
        t.same(y.shape, ref.shape, `${c.name} ${dtype}: shape`);
        t.equal(y.dtype, dtype);
        close(t, y.dataSync(), ref.y, dtype === 'float64' ? 1e-12 : 1e-5, dtype === 'float64' ? 1e-13 : 1e-5, `${c.name} ${dtype}: values`);
      });
    }
  }
});

t.test('conv2d of non-contiguous input and weight, unbatched input, padding same/valid', async (t) => {
  const c = CFGS[4];
  const X = uniform(101, numel(c.x)), Wt = uniform(102, numel(c.w)), Bv = uniform(103, c.w[0]);
  const ref = convRef(X, c.x, Wt, c.w, Bv, c.stride, c.pad, c.dil, c.groups);
  td.tidy(() => {
    const [N, C, H, W] = c.x;
    // x stored as [H, N, W, C] and permuted back to [N, C, H, W]
    const xs = mk(X, c.x, 'float64').permute([2, 0, 3, 1]).contiguous().permute([1, 3, 0, 2]);
    t.notOk(xs.isContiguous(), 'input is a permuted view');
    // weight stored transposed in its spatial dims
    const ws = mk(Wt, c.w, 'float64').transpose(2, 3).contiguous().transpose(2, 3);
    t.notOk(ws.isContiguous(), 'weight is a transposed view');
    const y = conv2d(xs, ws, mk(Bv, [c.w[0]], 'float64'), optsOf(c));
    close(t, y.dataSync(), ref.y, 1e-12, 1e-13, 'permuted input and weight');
    // a strided slice of a larger tensor: every other column
    const big = td.zeros([N, C, H, 2 * W], { dtype: 'float64' });
    const sl = big.slice(3, 0, 2 * W, 2);
    const filled = td.add(sl, mk(X, c.x, 'float64')); // same values, contiguous
    const view = td.cat([filled.unsqueeze(-1), td.zeros([N, C, H, W, 1], { dtype: 'float64' })], 4).reshape([N, C, H, 2 * W]).slice(3, 0, 2 * W, 2);
    t.notOk(view.isContiguous(), 'input is a strided slice');
    close(t, conv2d(view, mk(Wt, c.w, 'float64'), mk(Bv, [c.w[0]], 'float64'), optsOf(c)).dataSync(), ref.y, 1e-12, 1e-13, 'strided-slice input');
  });
  // unbatched [C, H, W]
  td.tidy(() => {
    const c0 = CFGS[0];
    const X = uniform(104, numel(c0.x)), Wt = uniform(105, numel(c0.w));
    const ref0 = convRef(X.slice(0, numel(c0.x.slice(1))), [1, ...c0.x.slice(1)], Wt, c0.w, null, c0.stride, c0.pad, c0.dil, 1);
    const y = conv2d(mk(X.slice(0, numel(c0.x.slice(1))), c0.x.slice(1), 'float64'), mk(Wt, c0.w, 'float64'), null, optsOf(c0));
    t.same(y.shape, ref0.shape.slice(1), 'unbatched output is [Cout, Ho, Wo]');
    close(t, y.dataSync(), ref0.y, 1e-12, 1e-13, 'unbatched values');
  });
  // padding 'same' (odd and even kernels, dilation) and 'valid'
  for (const [kh, kw, dh, dw] of [[3, 3, 1, 1], [4, 2, 1, 1], [3, 2, 2, 3]]) {
    td.tidy(() => {
      const xs = [2, 3, 7, 8], ws = [2, 3, kh, kw];
      const X = uniform(200 + kh, numel(xs)), Wt = uniform(300 + kw, numel(ws));
      const th = dh * (kh - 1), tw = dw * (kw - 1);
      const lo: P2 = [Math.floor(th / 2), Math.floor(tw / 2)], hi: P2 = [th - lo[0], tw - lo[1]];
      const ref1 = convRef(X, xs, Wt, ws, null, [1, 1], lo, [dh, dw], 1, hi);
      const y = conv2d(mk(X, xs, 'float64'), mk(Wt, ws, 'float64'), null, { padding: 'same', dilation: [dh, dw] });
      t.same(y.shape, [2, 2, 7, 8], `same ${kh}x${kw} dil ${dh}x${dw}: output as large as the input`);
      close(t, y.dataSync(), ref1.y, 1e-12, 1e-13, `same ${kh}x${kw} dil ${dh}x${dw}: values (extra padding at the bottom/right)`);
    });
  }
  td.tidy(() => {
    const xs = [1, 2, 5, 6], ws = [3, 2, 2, 3];
    const X = uniform(400, numel(xs)), Wt = uniform(401, numel(ws));
    close(t, conv2d(mk(X, xs, 'float64'), mk(Wt, ws, 'float64'), null, { padding: 'valid' }).dataSync(),
      convRef(X, xs, Wt, ws, null, [1, 1], [0, 0], [1, 1], 1).y, 1e-12, 1e-13, "padding 'valid'");
  });
});

t.test('conv2d gradients match a plain-JS adjoint (float64 and float32)', async (t) => {
  let seed = 500;
  for (const c of CFGS) {
    const X = uniform(seed++, numel(c.x)), Wt = uniform(seed++, numel(c.w)), Bv = uniform(seed++, c.w[0]);
    const ref = convRef(X, c.x, Wt, c.w, Bv, c.stride, c.pad, c.dil, c.groups);
    const GY = uniform(seed++, ref.y.length);
    const rg = convRefGrads(X, c.x, Wt, c.w, GY, ref.shape, c.stride, c.pad, c.dil, c.groups);
    for (const dtype of ['float64', 'float32'] as const) {
      const x = mk(X, c.x, dtype).requiresGrad_(), w = mk(Wt, c.w, dtype).requiresGrad_(), b = mk(Bv, [c.w[0]], dtype).requiresGrad_();
      td.tidy(() => conv2d(x, w, b, optsOf(c)).backward(mk(GY, ref.shape, dtype)));
      const [rt, at] = dtype === 'float64' ? [1e-11, 1e-12] : [1e-4, 1e-4];
      close(t, x.grad!.dataSync(), rg.gx, rt, at, `${c.name} ${dtype}: grad input`);
      close(t, w.grad!.dataSync(), rg.gw, rt, at, `${c.name} ${dtype}: grad weight`);
      close(t, b.grad!.dataSync(), rg.gb, rt, at, `${c.name} ${dtype}: grad bias`);
      td.dispose([x, w, b, x.grad!, w.grad!, b.grad!]);
    }
  }
});

t.test('conv2d chunked over the batch (small im2col budget) gives the same values and gradients', async (t) => {
  const saved = convTuning.chunkBytes;
  let seed = 700;
  for (const [budget, label] of [[1, 'one sample per chunk'], [2 * 8 * 3 * 9 * 30, 'two or three samples per chunk, partial last chunk']] as [number, string][]) {
    convTuning.chunkBytes = budget;
    for (const c of [CFGS[0], CFGS[4], CFGS[5]]) {
      const xs = [5, ...c.x.slice(1)];
      const X = uniform(seed++, numel(xs)), Wt = uniform(seed++, numel(c.w)), Bv = uniform(seed++, c.w[0]);
      const ref = convRef(X, xs, Wt, c.w, Bv, c.stride, c.pad, c.dil, c.groups);
      const GY = uniform(seed++, ref.y.length);
      const rg = convRefGrads(X, xs, Wt, c.w, GY, ref.shape, c.stride, c.pad, c.dil, c.groups);
      const x = mk(X, xs, 'float64').requiresGrad_(), w = mk(Wt, c.w, 'float64').requiresGrad_(), b = mk(Bv, [c.w[0]], 'float64').requiresGrad_();
      td.tidy(() => {
        const y = conv2d(x.permute([0, 1, 3, 2]).contiguous().permute([0, 1, 3, 2]), w, b, optsOf(c));
        close(t, y.dataSync(), ref.y, 1e-12, 1e-13, `${c.name}, N=5, ${label}: values`);
        y.backward(mk(GY, ref.shape, 'float64'));
      });
      close(t, x.grad!.dataSync(), rg.gx, 1e-11, 1e-12, `${c.name}, N=5, ${label}: grad input`);
      close(t, w.grad!.dataSync(), rg.gw, 1e-11, 1e-12, `${c.name}, N=5, ${label}: grad weight`);
      close(t, b.grad!.dataSync(), rg.gb, 1e-11, 1e-12, `${c.name}, N=5, ${label}: grad bias`);
      td.dispose([x, w, b, x.grad!, w.grad!, b.grad!]);
    }
  }
  convTuning.chunkBytes = saved;
});

t.test('conv2d gradcheck (float64 central differences)', async (t) => {
  const small: Cfg[] = [
    { name: 'stride 2 pad 1', x: [2, 2, 5, 4], w: [3, 2, 3, 2], bias: true, stride: [2, 2], pad: [1, 1], dil: [1, 1], groups: 1 },
    { name: 'dilation 2 groups 2', x: [1, 4, 6, 5], w: [2, 2, 2, 2], bias: true, stride: [1, 1], pad: [1, 0], dil: [2, 2], groups: 2 },
    { name: 'depthwise', x: [2, 3, 4, 4], w: [3, 1, 3, 3], bias: false, stride: [1, 2], pad: [1, 1], dil: [1, 1], groups: 3 },
  ];
  let seed = 900;
  for (const c of small) {
    const x = td.randn(c.x, { dtype: 'float64', seed: seed++ }).requiresGrad_();
    const w = td.randn(c.w, { dtype: 'float64', seed: seed++ }).requiresGrad_();
    const b = td.randn([c.w[0]], { dtype: 'float64', seed: seed++ }).requiresGrad_();
    let err = '';
    let ok = false;
    try {
      ok = td.gradcheck((x, w, b) => conv2d(x, w, c.bias ? b : null, optsOf(c)), c.bias ? [x, w, b] : [x, w]);
    } catch (e) { err = (e as Error).message; }
    t.ok(ok, `gradcheck ${c.name}`, err ? { error: err } : {});
    td.dispose([x, w, b]);
  }
  // a non-contiguous (permuted) input and a conv of a conv (the gradient flows through both)
  const x = td.randn([3, 2, 4, 5], { dtype: 'float64', seed: 950 }).requiresGrad_(); // stored [C, N, H, W]
  const w1 = td.randn([2, 3, 2, 2], { dtype: 'float64', seed: 951 }).requiresGrad_();
  const w2 = td.randn([2, 2, 2, 2], { dtype: 'float64', seed: 952 }).requiresGrad_();
  let err = '';
  let ok = false;
  try {
    ok = td.gradcheck((x, w1, w2) => conv2d(td.tanh(conv2d(x.permute([1, 0, 2, 3]), w1, null, { padding: 1 })), w2, null, { stride: 2 }), [x, w1, w2]);
  } catch (e) { err = (e as Error).message; }
  t.ok(ok, 'gradcheck of two stacked convs on a permuted input', err ? { error: err } : {});
});

t.test('conv2d argument errors name the op, shapes and dtypes', async (t) => {
  const x = td.zeros([1, 4, 5, 5]), w = td.zeros([2, 4, 3, 3]);
  const msg = (fn: () => unknown, kind: Function, re: RegExp, m: string) => {
    throwsKind(t, fn, kind, m);
    try { fn(); } catch (e) { t.match((e as Error).message, re, `${m}: message`); }
  };
  msg(() => conv2d(td.zeros([1, 4, 5, 5], { dtype: 'int32' }), w), TypeError, /conv2d.*int32/, 'int32 input');
  msg(() => conv2d(x, td.zeros([2, 4, 3, 3], { dtype: 'float64' })), TypeError, /conv2d: weight dtype float64 differs from input dtype float32/, 'dtype mismatch');
  msg(() => conv2d(x, w, td.zeros([2], { dtype: 'float64' })), TypeError, /conv2d: bias dtype/, 'bias dtype mismatch');
  msg(() => conv2d(null as unknown as Tensor, w), TypeError, /conv2d: input must be a Tensor/, 'not a tensor');
  msg(() => conv2d(td.zeros([4, 5]), w), RangeError, /conv2d: input must be \[N, Cin, H, W\].*\[4, 5\]/, '2-d input');
  msg(() => conv2d(x, td.zeros([2, 4, 3])), RangeError, /conv2d: weight must be.*\[2, 4, 3\]/, '3-d weight');
  msg(() => conv2d(x, td.zeros([2, 3, 3, 3])), RangeError, /conv2d: input \[1, 4, 5, 5\] and weight \[2, 3, 3, 3\] do not fit groups=1/, 'channel mismatch');
  msg(() => conv2d(x, td.zeros([3, 2, 3, 3]), null, { groups: 2 }), RangeError, /groups=2/, 'Cout not divisible by groups');
  msg(() => conv2d(x, w, null, { groups: 0 }), RangeError, /conv2d: groups/, 'groups 0');
  msg(() => conv2d(x, w, td.zeros([3])), RangeError, /conv2d: bias \[3\] must be \[2\]/, 'bias shape');
  msg(() => conv2d(x, td.zeros([2, 4, 7, 3])), RangeError, /conv2d: input \[1, 4, 5, 5\] is too small for kernel 7x3/, 'kernel too large');
  msg(() => conv2d(x, w, null, { stride: 0 }), RangeError, /conv2d: stride/, 'stride 0');
  msg(() => conv2d(x, w, null, { stride: [1, 1, 1] as unknown as [number, number] }), TypeError, /conv2d: stride must be an integer or a pair/, 'stride triple');
  msg(() => conv2d(x, w, null, { padding: -1 }), RangeError, /conv2d: padding/, 'negative padding');
  msg(() => conv2d(x, w, null, { padding: 1.5 }), TypeError, /conv2d: padding/, 'fractional padding');
  msg(() => conv2d(x, w, null, { dilation: 0 }), RangeError, /conv2d: dilation/, 'dilation 0');
  msg(() => conv2d(x, w, null, { padding: 'same', stride: 2 }), RangeError, /conv2d: padding 'same' needs stride 1/, 'same with stride 2');
  const d = td.zeros([1, 4, 5, 5]);
  d.dispose();
  msg(() => conv2d(d, w), Error, /conv2d.*disposed/, 'disposed input');
});

t.test('native im2col / col2im reject bad calls without crashing', async (t) => {
  const x = td.zeros([1, 2, 4, 4]), cols = td.zeros([1, 18, 16]), i32c = td.zeros([1, 18, 16], { dtype: 'int32' });
  const hx = (x as unknown as { _storage: { handle: never } })._storage.handle;
  const hc = (cols as unknown as { _storage: { handle: never } })._storage.handle;
  const hi = (i32c as unknown as { _storage: { handle: never } })._storage.handle;
  const call = (fn: 'im2col' | 'col2im', a: never, b: never, va: [number[], number[], number], vb: [number[], number[], number], geom: number[]) => () => {
    begin();
    packView(...va);
    packView(...vb);
    for (const g of geom) packNum(g);
    native[fn](a, b);
  };
  const X: [number[], number[], number] = [[1, 2, 4, 4], [32, 16, 4, 1], 0];
  const COLS: [number[], number[], number] = [[1, 18, 16], [288, 16, 1], 0];
  const good = [3, 3, 1, 1, 1, 1, 1, 1, 4, 4];
  call('im2col', hc, hx, COLS, X, good)();
  t.pass('a valid im2col call runs');
  call('col2im', hx, hc, X, COLS, good)();
  t.pass('a valid col2im call runs');
  t.throws(call('im2col', hc, hx, COLS, X, [3, 3, 1, 1, 1, 1, 1, 1, 5, 4]), TypeError, 'cols shape disagrees with the output size');
  t.throws(call('im2col', hc, hx, COLS, X, [3, 3, 0, 1, 1, 1, 1, 1, 4, 4]), RangeError, 'stride 0');
  t.throws(call('im2col', hc, hx, COLS, X, [3, 3, 1, 1, -1, 1, 1, 1, 4, 4]), RangeError, 'negative padding');
  t.throws(call('im2col', hc, hx, COLS, X, [3, 3, 1, 1, 1, 1, 1, 1.5, 4, 4]), TypeError, 'fractional dilation');
  t.throws(call('im2col', hc, hx, COLS, X, [3, 3, 1, 1, 1, 1, 1, 1, 4, NaN]), TypeError, 'NaN output width');
  t.throws(call('im2col', hc, hx, COLS, [[1, 2, 4, 5], [32, 16, 4, 1], 0], good), RangeError, 'input view beyond its storage');
  t.throws(call('im2col', hc, hx, [[1, 18, 16], [288, 1, 18], 0], X, good), TypeError, 'non-contiguous cols');
  t.throws(call('im2col', hx, hx, X, X, good), TypeError, 'aliasing');
  t.throws(call('im2col', hi, hx, COLS, X, good), TypeError, 'int32 cols');
  t.throws(call('col2im', hi, hc, COLS, COLS, good), TypeError, 'col2im of a 3-d output');
  t.throws(call('col2im', hx, hc, [[1, 2, 4, 4], [32, 1, 8, 2], 0], COLS, good), TypeError, 'non-contiguous col2im output');
  t.throws(call('im2col', hc, hx, COLS, X, [3, 2 ** 31, 1, 1, 1, 1, 1, 1, 4, 4]), RangeError, 'kernel width out of range');
  t.throws(() => native.im2col(12345 as never, hx), Error, 'forged handle');
  td.dispose([x, cols, i32c]);
});

t.test('a conv training loop does not leak', async (t) => {
  const w = td.randn([4, 3, 3, 3], { seed: 7 }).requiresGrad_();
  const b = td.zeros([4]).requiresGrad_();
  const x = td.randn([2, 3, 8, 8], { seed: 8 });
  const step = () => td.tidy(() => {
    const y = conv2d(x, w, b, { padding: 1, stride: 2 });
    const l = td.mean(td.square(y));
    l.backward();
    td.noGrad(() => {
      const nw = td.sub(w, td.mul(w.grad!, 0.01));
      nw.dispose();
    });
    w.zeroGrad();
    b.zeroGrad();
  });
  for (let i = 0; i < 5; i++) step();
  const before = td.memory();
  for (let i = 0; i < 50; i++) step();
  const after = td.memory();
  t.equal(after.tensors, before.tensors, 'tensor count is flat');
  t.equal(after.storages, before.storages, 'storage count is flat');
});
