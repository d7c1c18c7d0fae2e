// nn-modules.test.ts — td.nn's Module machinery and layers: parameter/buffer/submodule registration
// and naming, stateDict/loadStateDict (round trip, strict errors, atomicity), train/eval, to(dtype),
// Linear/LayerNorm/MLP/MultiheadAttention/Conv2d/norms against plain-JS references, default
// initialisations against their closed-form bounds and variances, gradcheck through a tiny MLP,
// flat memory over a training loop, and argument errors.
import t from 'tap';
import * as td from '../lib/index';
import * as nn from '../lib/nn/index';
import { AdamW, SGD } from '../lib/optim/index';
import { throwsKind, close, arr, uniform } from './helpers/check';
import type { Test } from './helpers/check';
import { randomizeParams, linearJS, geluTanhJS, layerNormJS, mhaJS } from './helpers/nn-ref';

type Tensor = td.Tensor;

class Net extends nn.Module {
  fc1 = new nn.Linear(3, 5);
  body = new nn.Sequential(new nn.ReLU(), new nn.Linear(5, 4, { bias: false }));
  scale = new nn.Parameter(td.ones([4]));
  note = 'not a tensor';
  _private = new nn.Linear(2, 2); // never registered ('_' prefix)
  declare runningMean: Tensor;
  constructor() {
    super();
    this.registerBuffer('runningMean', td.zeros([4]));
    this.registerBuffer('cache', td.zeros([2]), false);
  }
  override forward(x: Tensor): Tensor {
    return td.mul(this.body.forward(this.fc1.forward(x)), this.scale);
  }
}

t.test('registration and naming', async (t) => {
  td.manualSeed(1);
  const m = new Net();
  t.same(m.namedParameters().map(([n, p]) => [n, p.shape]), [
    ['scale', [4]], ['fc1.weight', [5, 3]], ['fc1.bias', [5]], ['body.1.weight', [4, 5]],
  ], "own parameters first, then the children's, in assignment order, with dotted names (PyTorch's order); _private is skipped");
  t.ok(m.parameters().every((p) => p instanceof nn.Parameter && p.requiresGrad), 'all Parameters requiring grad');
  t.same(m.namedChildren().map(([n]) => n), ['fc1', 'body']);
  t.same(m.namedModules().map(([n]) => n), ['', 'fc1', 'body', 'body.0', 'body.1']);
  t.equal(m.modules().length, 5);
  t.same(m.namedBuffers().map(([n]) => n), ['runningMean', 'cache']);
  t.equal(m.numParameters(), 5 * 3 + 5 + 4 * 5 + 4, 'numParameters = 15 + 5 + 20 + 4');
  t.same(m.namedParameters('', false).map(([n]) => n), ['scale'], 'non-recursive');
  t.same(Object.keys(m.stateDict()), ['scale', 'runningMean', 'fc1.weight', 'fc1.bias', 'body.1.weight'], 'non-persistent buffers stay out of the state dict');
  // shared parameters and modules count once
  const shared = new nn.Linear(2, 2);
  class Tied extends nn.Module {
    a = shared;
    b = shared;
    w = shared.weight;
    override forward(x: Tensor) { return x; }
  }
  const tied = new Tied();
  t.same(tied.namedParameters().map(([n]) => n), ['w', 'a.bias'], 'a shared module and a shared parameter are visited once (own parameters first)');
  t.equal(tied.numParameters(), 6);
  // explicit registration
  class Dyn extends nn.Module {
    constructor() {
      super();
      for (let i = 0; i < 2; i++) this.registerModule(`layer${i}`, new nn.Linear(2, 2));
      this.registerParameter('gain', new nn.Parameter(td.ones([2])));
    }
    override forward(x: Tensor) { return x; }
  }
  t.same(new Dyn().namedParameters().map(([n]) => n), ['gain', 'layer0.weight', 'layer0.bias', 'layer1.weight', 'layer1.bias'], 'registerModule / registerParameter');
  // ModuleList
  const list = new nn.ModuleList([new nn.Linear(2, 3), new nn.Linear(3, 1)]);
  list.append(new nn.Tanh());
  t.equal(list.length, 3);
  t.same(list.namedModules().map(([n]) => n), ['', '0', '1', '2']);
  t.same(list.namedParameters().map(([n]) => n), ['0.weight', '0.bias', '1.weight', '1.bias']);
  t.ok(list.get(-1) instanceof nn.Tanh, 'get(-1)');
  t.same([...list].length, 3, 'iterable');
  throwsKind(t, () => list.forward(td.zeros([1])), Error, 'ModuleList has no forward');
  throwsKind(t, () => list.get(3), RangeError, 'ModuleList.get out of range');
  throwsKind(t, () => new nn.ModuleList([new nn.ReLU(), 3 as unknown as nn.Module]), TypeError, 'ModuleList of a non-module');
  // errors
  class Bad extends nn.Module {
    layers = [new nn.Linear(2, 2)];
    override forward(x: Tensor) { return x; }
  }
  throwsKind(t, () => new Bad().parameters(), TypeError, 'an array of modules in a field');
  throwsKind(t, () => m.registerParameter('a.b', new nn.Parameter(td.ones([1]))), RangeError, 'a dotted name');
  throwsKind(t, () => m.registerParameter('_x', new nn.Parameter(td.ones([1]))), RangeError, 'a reserved name');
  throwsKind(t, () => m.registerParameter('x', td.ones([1]) as nn.Parameter), TypeError, 'registerParameter of a plain tensor');
  throwsKind(t, () => m.registerModule('x', {} as nn.Module), TypeError, 'registerModule of a non-module');
  throwsKind(t, () => m.registerBuffer('x', 3 as unknown as Tensor), TypeError, 'registerBuffer of a non-tensor');
  throwsKind(t, () => new nn.Parameter(td.tensor([1, 2], { dtype: 'int32' })), TypeError, 'an int32 Parameter requiring grad');
  t.equal(new nn.Parameter(td.tensor([1, 2], { dtype: 'int32' }), false).requiresGrad, false, 'an int32 Parameter without grad');
  t.match(m.toString(), /Net\(\n {2}\(fc1\): Linear\(inFeatures=3, outFeatures=5, bias=true\)/, 'toString shows the tree');
});

t.test('parameters survive tidy; dispose frees them', async (t) => {
  const before = td.memory();
  const m = td.tidy(() => new nn.Sequential(new nn.Linear(4, 8), new nn.SiLU(), new nn.Linear(8, 2)));
  t.notOk(m.parameters().some((p) => p.isDisposed), 'a module built inside tidy keeps its parameters');
  const y = td.tidy(() => m.forward(td.ones([1, 4])));
  t.same(y.shape, [1, 2]);
  y.dispose();
  m.dispose();
  t.ok(m.parameters().every((p) => p.isDisposed), 'dispose frees every parameter');
  m.dispose(); // idempotent
  const after = td.memory();
  t.equal(after.tensors, before.tensors, 'no tensor left behind');
  t.equal(after.bytes, before.bytes, 'no bytes left behind');
});

t.test('stateDict / loadStateDict', async (t) => {
  td.manualSeed(2);
  const a = new Net();
  randomizeParams(a, 100);
  const b = new Net();
  const x = td.tensor(new Float32Array(uniform(3, 6 * 3)), { shape: [6, 3] });
  const ya = arr(a.forward(x));
  t.notSame(arr(b.forward(x)), ya, 'differently initialised models differ');
  const pB = b.parameters();
  const res = b.loadStateDict(a.stateDict());
  t.same(res, { missingKeys: [], unexpectedKeys: [] });
  t.same(arr(b.forward(x)), ya, 'after loading, the outputs agree exactly');
  t.ok(b.parameters().every((p, i) => p === pB[i]), 'parameters are updated in place (same objects)');
  // the state dict shares memory and its disposal does not free the parameters
  const sd = a.stateDict();
  t.notOk(sd['fc1.weight'] instanceof nn.Parameter, 'values are detached views');
  t.equal(sd['fc1.weight'].requiresGrad, false);
  td.dispose(sd);
  t.notOk(a.parameters().some((p) => p.isDisposed), 'disposing a state dict leaves the parameters alive');
  // a Map works too
  t.same(b.loadStateDict(new Map(Object.entries(a.stateDict()))), { missingKeys: [], unexpectedKeys: [] }, 'a Map state dict');

  // strict errors, listing the keys; nothing is modified on error
  const snapshot = arr(b.fc1.weight);
  const changed = (sdIn: Record<string, Tensor>) => {
    const s = { ...sdIn };
    s['fc1.weight'] = td.fullLike(s['fc1.weight'], 7);
    return s;
  };
  const missing = changed(a.stateDict());
  delete missing['scale'];
  try {
    b.loadStateDict(missing);
    t.fail('missing key did not throw');
  } catch (e) {
    t.ok(e instanceof RangeError && /missing keys: scale/.test((e as Error).message), `missing key: ${(e as Error).message}`);
  }
  const extra = changed(a.stateDict());
  extra['fc9.weight'] = td.zeros([1]);
  try {
    b.loadStateDict(extra);
    t.fail('unexpected key did not throw');
  } catch (e) {
    t.ok(e instanceof RangeError && /unexpected keys: fc9\.weight/.test((e as Error).message), `unexpected key: ${(e as Error).message}`);
  }
  t.same(arr(b.fc1.weight), snapshot, 'a failed strict load changes nothing');
  const r2 = b.loadStateDict(extra, false);
  t.same(r2, { missingKeys: [], unexpectedKeys: ['fc9.weight'] }, 'strict=false reports unexpected keys');
  t.ok(arr(b.fc1.weight).every((v) => v === 7), 'and loads the rest');
  const r3 = b.loadStateDict(missing, false);
  t.same(r3.missingKeys, ['scale'], 'strict=false reports missing keys');

  const wrongShape = a.stateDict();
  wrongShape['fc1.bias'] = td.zeros([6]);
  try {
    b.loadStateDict(wrongShape);
    t.fail('shape mismatch did not throw');
  } catch (e) {
    t.ok(e instanceof RangeError && /fc1\.bias.*\[6\].*\[5\]/.test((e as Error).message), `shape mismatch: ${(e as Error).message}`);
  }
  const wrongType = a.stateDict();
  wrongType['scale'] = td.ones([4], { dtype: 'float64' });
  try {
    b.loadStateDict(wrongType);
    t.fail('dtype mismatch did not throw');
  } catch (e) {
    t.ok(e instanceof TypeError && /scale.*float64.*float32/.test((e as Error).message), `dtype mismatch: ${(e as Error).message}`);
  }
  throwsKind(t, () => b.loadStateDict({ ...a.stateDict(), scale: [1, 2, 3, 4] as unknown as Tensor }), TypeError, 'a non-tensor value');
  throwsKind(t, () => b.loadStateDict(null as unknown as nn.StateDict), TypeError, 'a null state dict');
  throwsKind(t, () => b.loadStateDict(a.stateDict(), 'yes' as unknown as boolean), TypeError, 'a non-boolean strict');
  // buffers round trip
  const bufSd = a.stateDict();
  bufSd['runningMean'] = td.tensor([1, 2, 3, 4]);
  b.loadStateDict(bufSd);
  t.same(arr(b.runningMean), [1, 2, 3, 4], 'a persistent buffer loads');
});

t.test('train / eval and Dropout', async (t) => {
  const m = new nn.Sequential(new nn.Linear(4, 4), new nn.Sequential(new nn.Dropout(0.5)));
  t.ok(m.modules().every((c) => c.training), 'training by default');
  t.equal(m.eval(), m, 'eval returns the module');
  t.ok(m.modules().every((c) => !c.training), 'eval reaches every descendant');
  m.train();
  t.ok(m.modules().every((c) => c.training), 'train() restores training');
  const drop = new nn.Dropout(0.25);
  const x = td.ones([20000]);
  td.manualSeed(3);
  const y = arr(drop.forward(x));
  const zeros = y.filter((v) => v === 0).length;
  t.ok(y.every((v) => v === 0 || Math.abs(v - 1 / 0.75) < 1e-6), 'kept elements are scaled by 1/(1-p)');
  // zeros ~ Binomial(20000, 0.25): sd 61
  t.ok(Math.abs(zeros - 5000) < 6 * 61, `about a quarter dropped (${zeros} of 20000)`);
  drop.eval();
  t.same(arr(drop.forward(x)), arr(x), 'eval mode is the identity');
  throwsKind(t, () => new nn.Dropout(1.5), RangeError, 'Dropout p > 1');
  throwsKind(t, () => m.train('no' as unknown as boolean), TypeError, 'train with a non-boolean');
});

t.test('to(dtype), to(device), zeroGrad, requiresGrad_', async (t) => {
  td.manualSeed(4);
  const m = new Net();
  const w32 = arr(m.fc1.weight);
  const old = m.fc1.weight;
  t.equal(m.to('cpu'), m, "to('cpu') is a no-op");
  throwsKind(t, () => m.to('cuda:0'), Error, "to('cuda:0') without a CUDA backend");
  throwsKind(t, () => m.to('int32'), TypeError, 'to(int32)');
  m.to('float64');
  t.ok(m.parameters().every((p) => p.dtype === 'float64' && p.requiresGrad), 'parameters are float64');
  t.ok(m.buffers().every((b) => b.dtype === 'float64'), 'buffers are float64');
  t.ok(old.isDisposed, 'the old float32 parameter is freed');
  close(t, arr(m.fc1.weight), w32, 0, 0, 'values are kept exactly');
  const y = m.forward(td.ones([2, 3], { dtype: 'float64' }));
  t.equal(y.dtype, 'float64');
  td.sum(y).backward();
  t.ok(m.parameters().every((p) => p.grad !== null), 'backward fills every grad');
  m.zeroGrad();
  t.ok(m.parameters().every((p) => p.grad === null), 'zeroGrad clears them');
  m.requiresGrad_(false);
  t.equal(m.numParameters(true), 0, 'a frozen module has no trainable parameters');
  t.notOk(td.sum(m.forward(td.ones([2, 3], { dtype: 'float64' }))).requiresGrad, 'and records no graph');
  m.requiresGrad_(true);
  t.equal(m.numParameters(true), m.numParameters());
  m.dispose();
});

t.test('Linear, LayerNorm, MLP against plain JS', async (t) => {
  for (const dtype of ['float32', 'float64'] as const) {
    const tol = dtype === 'float32' ? [2e-5, 2e-6] : [1e-12, 1e-13];
    const mk = (v: number[], shape: number[]) => td.tensor(dtype === 'float32' ? new Float32Array(v) : new Float64Array(v), { shape });
    td.manualSeed(5);
    const lin = new nn.Linear(7, 3, { dtype });
    const xv = uniform(10, 2 * 4 * 7, -2, 2);
    const x = mk(xv, [2, 4, 7]);
    const y = lin.forward(x);
    t.same(y.shape, [2, 4, 3]);
    t.equal(y.dtype, dtype);
    close(t, y.dataSync(), linearJS(arr(x), 8, arr(lin.weight), arr(lin.bias!), 7, 3), tol[0], tol[1], `Linear ${dtype}`);
    const nb = new nn.Linear(7, 3, { bias: false, dtype });
    t.equal(nb.bias, null);
    close(t, nb.forward(x).dataSync(), linearJS(arr(x), 8, arr(nb.weight), null, 7, 3), tol[0], tol[1], `Linear without bias ${dtype}`);

    const ln = new nn.LayerNorm(7, { dtype });
    t.same(arr(ln.weight!), new Array(7).fill(1), 'LayerNorm weight starts at 1');
    t.same(arr(ln.bias!), new Array(7).fill(0), 'LayerNorm bias starts at 0');
    randomizeParams(ln, 20);
    close(t, ln.forward(x).dataSync(), layerNormJS(arr(x), 7, arr(ln.weight!), arr(ln.bias!), 1e-5), tol[0] * 5, tol[1] * 5, `LayerNorm ${dtype}`);
    const ln2 = new nn.LayerNorm([4, 7], { elementwiseAffine: false, eps: 1e-3, dtype });
    t.equal(ln2.numParameters(), 0);
    close(t, ln2.forward(x).dataSync(), layerNormJS(arr(x), 28, null, null, 1e-3), tol[0] * 5, tol[1] * 5, `LayerNorm over two dims without affine ${dtype}`);

    const mlp = new nn.MLP(7, 16, { outFeatures: 5, act: 'gelu_tanh', dtype });
    const h = linearJS(arr(x), 8, arr(mlp.fc1.weight), arr(mlp.fc1.bias!), 7, 16).map(geluTanhJS);
    const want = linearJS(h, 8, arr(mlp.fc2.weight), arr(mlp.fc2.bias!), 16, 5);
    close(t, mlp.forward(x).dataSync(), want, tol[0] * 5, tol[1] * 5, `MLP (gelu tanh) ${dtype}`);
    const relu = new nn.MLP(7, 6, { act: 'relu', dtype });
    const hr = linearJS(arr(x), 8, arr(relu.fc1.weight), arr(relu.fc1.bias!), 7, 6).map((v) => Math.max(v, 0));
    close(t, relu.forward(x).dataSync(), linearJS(hr, 8, arr(relu.fc2.weight), arr(relu.fc2.bias!), 6, 7), tol[0] * 5, tol[1] * 5, `MLP (relu) ${dtype}`);
  }
  // activations
  const xa = td.tensor(uniform(30, 40, -3, 3));
  const X = arr(xa);
  close(t, arr(new nn.SiLU().forward(xa)), X.map((v) => v / (1 + Math.exp(-v))), 1e-5, 1e-6, 'SiLU');
  close(t, arr(new nn.GELU('tanh').forward(xa)), X.map(geluTanhJS), 1e-5, 1e-6, 'GELU tanh');
  close(t, arr(new nn.ReLU().forward(xa)), X.map((v) => Math.max(v, 0)), 0, 0, 'ReLU');
  close(t, arr(new nn.Tanh().forward(xa)), X.map(Math.tanh), 1e-5, 1e-6, 'Tanh');
  close(t, arr(new nn.Sigmoid().forward(xa)), X.map((v) => 1 / (1 + Math.exp(-v))), 1e-5, 1e-6, 'Sigmoid');
});

t.test('MultiheadAttention against plain JS', async (t) => {
  const B = 2, L = 5, E = 8, H = 2;
  td.manualSeed(6);
  for (const causal of [false, true]) {
    const mha = new nn.MultiheadAttention(E, H, { batchFirst: true, dtype: 'float64' });
    randomizeParams(mha, 40);
    const xv = uniform(41, B * L * E, -1, 1);
    const x = td.tensor(new Float64Array(xv), { shape: [B, L, E] });
    const want = mhaJS(xv, B, L, E, H, arr(mha.in_proj_weight), arr(mha.in_proj_bias!), arr(mha.out_proj.weight), arr(mha.out_proj.bias!), causal);
    const y = mha.forward(x, null, null, { isCausal: causal });
    t.same(y.shape, [B, L, E]);
    close(t, y.dataSync(), want, 1e-10, 1e-12, `self-attention, batchFirst, causal=${causal}`);
    // the same with key = value = query passed as separate (non-identical) tensors: the split projection path
    const xk = x.clone();
    close(t, mha.forward(x, xk, xk.clone(), { isCausal: causal }).dataSync(), want, 1e-10, 1e-12, `separate q/k/v projections, causal=${causal}`);
    // sequence-first layout [L, B, E]
    const seqFirst = new nn.MultiheadAttention(E, H, { dtype: 'float64' });
    seqFirst.loadStateDict(mha.stateDict());
    const ys = seqFirst.forward(x.transpose(0, 1), null, null, { isCausal: causal });
    t.same(ys.shape, [L, B, E]);
    close(t, ys.transpose(0, 1).contiguous().dataSync(), want, 1e-10, 1e-12, `batchFirst=false, causal=${causal}`);
    // an additive float mask equal to the causal mask gives the causal result
    if (causal) {
      const m = new Float64Array(L * L);
      for (let i = 0; i < L; i++) for (let j = 0; j < L; j++) m[i * L + j] = j > i ? -Infinity : 0;
      const mask = td.tensor(m, { shape: [L, L] });
      close(t, mha.forward(x, null, null, { attnMask: mask }).dataSync(), want, 1e-10, 1e-12, 'an additive -inf mask [L, S]');
      const keepMask = td.tensor(Array.from({ length: L * L }, (_, k) => (k % L <= Math.floor(k / L) ? 1 : 0)), { shape: [L, L], dtype: 'int32' });
      close(t, mha.forward(x, null, null, { attnMask: keepMask }).dataSync(), want, 1e-10, 1e-12, 'an int32 mask [L, S] (nonzero = attend)');
      const perHead = td.tensor(new Float64Array(B * H * L * L).map((_, k) => m[k % (L * L)]), { shape: [B * H, L, L] });
      close(t, mha.forward(x, null, null, { attnMask: perHead }).dataSync(), want, 1e-10, 1e-12, 'a [B·numHeads, L, S] mask');
    }
  }
  const fresh = new nn.MultiheadAttention(E, H);
  t.same(arr(fresh.in_proj_bias!), new Array(3 * E).fill(0), 'in_proj_bias starts at 0');
  t.same(arr(fresh.out_proj.bias!), new Array(E).fill(0), 'out_proj.bias starts at 0');
  const bound = Math.sqrt(6 / (E + 3 * E));
  t.ok(arr(fresh.in_proj_weight).every((v) => Math.abs(v) <= bound), 'in_proj_weight is Xavier-uniform bounded');
  t.same(Object.keys(fresh.stateDict()), ['in_proj_weight', 'in_proj_bias', 'out_proj.weight', 'out_proj.bias'], "PyTorch's state-dict keys");
  throwsKind(t, () => new nn.MultiheadAttention(6, 4), RangeError, 'embedDim not divisible by numHeads');
  throwsKind(t, () => fresh.forward(td.zeros([2, 3, 5])), RangeError, 'wrong feature size');
  throwsKind(t, () => fresh.forward(td.zeros([3, 8])), RangeError, 'a 2-d input');
});

t.test('Conv2d, GroupNorm, RMSNorm, pooling and Embedding layers', async (t) => {
  td.manualSeed(7);
  // Conv2d against a direct JS loop (stride 2, padding 1, dilation 2, groups 2)
  const conv = new nn.Conv2d(4, 6, 3, { stride: 2, padding: 1, dilation: 2, groups: 2, dtype: 'float64' });
  t.same(conv.weight.shape, [6, 2, 3, 3]);
  const [N, C, Hh, W] = [2, 4, 7, 6];
  const xv = uniform(50, N * C * Hh * W);
  const x = td.tensor(new Float64Array(xv), { shape: [N, C, Hh, W] });
  const w = arr(conv.weight), bb = arr(conv.bias!);
  const Ho = Math.floor((Hh + 2 - 2 * 2 - 1) / 2) + 1, Wo = Math.floor((W + 2 - 2 * 2 - 1) / 2) + 1;
  const want: number[] = [];
  for (let n = 0; n < N; n++)
    for (let o = 0; o < 6; o++)
      for (let i = 0; i < Ho; i++)
        for (let j = 0; j < Wo; j++) {
          let s = bb[o];
          const g = Math.floor(o / 3);
          for (let ci = 0; ci < 2; ci++)
            for (let ki = 0; ki < 3; ki++)
              for (let kj = 0; kj < 3; kj++) {
                const yy = i * 2 - 1 + ki * 2, xx = j * 2 - 1 + kj * 2;
                if (yy < 0 || yy >= Hh || xx < 0 || xx >= W) continue;
                s += xv[((n * C + g * 2 + ci) * Hh + yy) * W + xx] * w[((o * 2 + ci) * 3 + ki) * 3 + kj];
              }
          want.push(s);
        }
  const y = conv.forward(x);
  t.same(y.shape, [N, 6, Ho, Wo]);
  close(t, y.dataSync(), want, 1e-12, 1e-13, 'Conv2d (stride, padding, dilation, groups) against a JS loop');
  t.same(conv.forward(x.narrow(0, 0, 1).squeeze(0)).shape, [6, Ho, Wo], 'Conv2d of an unbatched input');
  throwsKind(t, () => conv.forward(td.zeros([1, 3, 5, 5], { dtype: 'float64' })), RangeError, 'Conv2d with the wrong channel count');
  throwsKind(t, () => new nn.Conv2d(3, 4, 3, { groups: 2 }), RangeError, 'Conv2d channels not divisible by groups');
  throwsKind(t, () => new nn.Conv2d(3, 4, 0), RangeError, 'Conv2d kernel size 0');

  // GroupNorm against JS
  const gn = new nn.GroupNorm(2, 4, { dtype: 'float64' });
  randomizeParams(gn, 60);
  const gw = arr(gn.weight!), gb = arr(gn.bias!);
  const gwant = new Array<number>(xv.length);
  const per = 2 * Hh * W;
  for (let n = 0; n < N; n++)
    for (let g = 0; g < 2; g++) {
      const base = (n * C + g * 2) * Hh * W;
      const v = xv.slice(base, base + per);
      const m = v.reduce((a, c) => a + c, 0) / per;
      const va = v.reduce((a, c) => a + (c - m) ** 2, 0) / per;
      for (let k = 0; k < per; k++) {
        const c = g * 2 + Math.floor(k / (Hh * W));
        gwant[base + k] = ((v[k] - m) / Math.sqrt(va + 1e-5)) * gw[c] + gb[c];
      }
    }
  close(t, gn.forward(x).dataSync(), gwant, 1e-11, 1e-12, 'GroupNorm against JS');
  throwsKind(t, () => new nn.GroupNorm(3, 4), RangeError, 'GroupNorm channels not divisible by groups');

  // RMSNorm against JS
  const rms = new nn.RMSNorm(W, { eps: 1e-6, dtype: 'float64' });
  randomizeParams(rms, 70);
  const rw = arr(rms.weight!);
  const rwant: number[] = [];
  for (let r = 0; r < xv.length / W; r++) {
    const v = xv.slice(r * W, (r + 1) * W);
    const ms = v.reduce((a, c) => a + c * c, 0) / W;
    for (let i = 0; i < W; i++) rwant.push((v[i] / Math.sqrt(ms + 1e-6)) * rw[i]);
  }
  close(t, rms.forward(x).dataSync(), rwant, 1e-11, 1e-12, 'RMSNorm against JS');

  // AvgPool2d and Upsample against JS
  const pool = new nn.AvgPool2d(2);
  const xp = td.tensor(new Float64Array(xv), { shape: [N, C, Hh, W] }).narrow(2, 0, 6); // [N, C, 6, 6]
  const P = arr(xp.contiguous());
  const pwant: number[] = [];
  for (let nc = 0; nc < N * C; nc++)
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let a = 0; a < 2; a++) for (let b2 = 0; b2 < 2; b2++) s += P[nc * 36 + (2 * i + a) * 6 + 2 * j + b2];
        pwant.push(s / 4);
      }
  close(t, pool.forward(xp).dataSync(), pwant, 1e-14, 1e-15, 'AvgPool2d(2) against JS');
  const up = new nn.Upsample({ scaleFactor: 2 });
  const U = arr(up.forward(xp));
  const uwant: number[] = [];
  for (let nc = 0; nc < N * C; nc++) for (let i = 0; i < 12; i++) for (let j = 0; j < 12; j++) uwant.push(P[nc * 36 + (i >> 1) * 6 + (j >> 1)]);
  t.same(U, uwant, 'Upsample(nearest, 2) against JS');
  throwsKind(t, () => new nn.Upsample({ scaleFactor: 2, mode: 'bilinear' as 'nearest' }), TypeError, 'Upsample bilinear');

  // Embedding
  const emb = new nn.Embedding(10, 3, { paddingIdx: 0 });
  t.same(arr(emb.weight).slice(0, 3), [0, 0, 0], 'the padding row starts at zero');
  const idx = td.tensor([[1, 0], [9, 1]], { dtype: 'int32' });
  const e = emb.forward(idx);
  t.same(e.shape, [2, 2, 3]);
  const EW = arr(emb.weight);
  t.same(arr(e), [1, 0, 9, 1].flatMap((i) => EW.slice(i * 3, i * 3 + 3)), 'Embedding picks rows');
  throwsKind(t, () => emb.forward(td.tensor([1.5])), TypeError, 'Embedding with float indices');
});

/** Sample mean and variance. */
function moments(v: ArrayLike<number>): { mean: number; variance: number; maxAbs: number } {
  let s = 0, m = 0;
  for (let i = 0; i < v.length; i++) { s += v[i]; m = Math.max(m, Math.abs(v[i])); }
  const mean = s / v.length;
  let q = 0;
  for (let i = 0; i < v.length; i++) q += (v[i] - mean) ** 2;
  return { mean, variance: q / v.length, maxAbs: m };
}
/** Checks U(-b, b) statistics: bound, mean (6 sd of the sample mean) and variance b²/3 (6 sd of the sample variance). */
function checkUniform(t: Test, v: ArrayLike<number>, b: number, msg: string): void {
  const n = v.length;
  const { mean, variance, maxAbs } = moments(v);
  t.ok(maxAbs <= b * (1 + 1e-6), `${msg}: |w| <= ${b.toPrecision(4)} (max ${maxAbs.toPrecision(4)})`);
  t.ok(maxAbs > b * 0.99, `${msg}: the bound is nearly reached`);
  t.ok(Math.abs(mean) < 6 * b / Math.sqrt(3 * n), `${msg}: mean ${mean.toExponential(2)} ~ 0`);
  const sdVar = Math.sqrt((4 * b ** 4) / (45 * n));
  t.ok(Math.abs(variance - b * b / 3) < 6 * sdVar, `${msg}: variance ${variance.toExponential(4)} ~ b²/3 = ${(b * b / 3).toExponential(4)}`);
}
function checkNormal(t: Test, v: ArrayLike<number>, std: number, msg: string): void {
  const n = v.length;
  const { mean, variance } = moments(v);
  t.ok(Math.abs(mean) < 6 * std / Math.sqrt(n), `${msg}: mean ${mean.toExponential(2)} ~ 0`);
  t.ok(Math.abs(variance - std * std) < 6 * std * std * Math.sqrt(2 / n), `${msg}: variance ${variance.toExponential(4)} ~ ${(std * std).toExponential(4)}`);
}

t.test('default initialisations and nn.init against closed forms', async (t) => {
  td.manualSeed(8);
  const lin = new nn.Linear(300, 4000); // fanIn 300: bound 1/sqrt(300)
  checkUniform(t, lin.weight.dataSync(), 1 / Math.sqrt(300), 'Linear weight U(±1/√in)');
  checkUniform(t, lin.bias!.dataSync(), 1 / Math.sqrt(300), 'Linear bias U(±1/√in)');
  const conv = new nn.Conv2d(32, 512, 3, { groups: 4 }); // fanIn = 8·9 = 72
  checkUniform(t, conv.weight.dataSync(), 1 / Math.sqrt(72), 'Conv2d weight U(±1/√(in/groups·k²))');
  checkUniform(t, conv.bias!.dataSync(), 1 / Math.sqrt(72), 'Conv2d bias');
  const w = td.zeros([600, 200, 3]);
  // fanIn = 600, fanOut = 1800
  nn.init.kaimingUniform(w, { nonlinearity: 'relu', seed: 1 });
  checkUniform(t, w.dataSync(), Math.sqrt(2) * Math.sqrt(3 / 600), 'kaimingUniform relu fanIn');
  nn.init.kaimingUniform(w, { mode: 'fanOut', a: 0.2, seed: 2 });
  checkUniform(t, w.dataSync(), Math.sqrt(2 / 1.04) * Math.sqrt(3 / 1800), 'kaimingUniform leaky_relu(0.2) fanOut');
  nn.init.kaimingNormal(w, { nonlinearity: 'tanh', seed: 3 });
  checkNormal(t, w.dataSync(), (5 / 3) / Math.sqrt(600), 'kaimingNormal tanh');
  nn.init.xavierUniform(w, { gain: 2, seed: 4 });
  checkUniform(t, w.dataSync(), 2 * Math.sqrt(6 / 2400), 'xavierUniform gain 2');
  nn.init.xavierNormal(w, { seed: 5 });
  checkNormal(t, w.dataSync(), Math.sqrt(2 / 2400), 'xavierNormal');
  nn.init.normal(w, 0, 0.02, { seed: 6 });
  checkNormal(t, w.dataSync(), 0.02, 'normal(0, 0.02)');
  const wd = td.zeros([100000], { dtype: 'float64' });
  nn.init.uniform(wd, 2, 5, { seed: 7 });
  const mu = moments(wd.dataSync());
  t.ok(Math.abs(mu.mean - 3.5) < 6 * 3 / Math.sqrt(12 * 1e5) && wd.dataSync().every((v) => v >= 2 && v < 5), 'uniform(2, 5) in float64');
  const a1 = arr(nn.init.normal(td.zeros([50]), 0, 1, { seed: 9 }));
  const a2 = arr(nn.init.normal(td.zeros([50]), 0, 1, { seed: 9 }));
  t.same(a1, a2, 'the same seed gives the same values');
  td.manualSeed(10);
  const g1 = arr(new nn.Linear(5, 5).weight);
  td.manualSeed(10);
  t.same(arr(new nn.Linear(5, 5).weight), g1, 'layers are reproducible under manualSeed');
  t.same(arr(nn.init.ones(td.zeros([3]))), [1, 1, 1]);
  t.same(arr(nn.init.zeros(td.ones([3]))), [0, 0, 0]);
  t.same(arr(nn.init.constant(td.zeros([2]), 2.5)), [2.5, 2.5]);
  t.equal(nn.init.calculateGain('leaky_relu'), Math.sqrt(2 / (1 + 0.0001)));
  t.same(nn.init.calculateFanInAndFanOut([8, 4, 3, 3]), { fanIn: 36, fanOut: 72 });
  throwsKind(t, () => nn.init.xavierUniform(td.zeros([5])), RangeError, 'xavier of a 1-d tensor');
  throwsKind(t, () => nn.init.normal(td.zeros([2], { dtype: 'int32' })), TypeError, 'normal of int32');
  throwsKind(t, () => nn.init.kaimingUniform(td.zeros([2, 2]), { mode: 'fan' as 'fanIn' }), TypeError, 'a bad fan mode');
  throwsKind(t, () => nn.init.uniform(td.zeros([2]), 3, 1), RangeError, 'uniform with b < a');
  throwsKind(t, () => nn.init.calculateGain('swish' as 'relu'), TypeError, 'an unknown nonlinearity');
  lin.dispose();
  conv.dispose();
});

t.test('gradcheck through a tiny MLP (float64), gradients reach every parameter', async (t) => {
  td.manualSeed(11);
  const mlp = new nn.Sequential(new nn.Linear(3, 4, { dtype: 'float64' }), new nn.Tanh(), new nn.MLP(4, 5, { act: 'gelu', outFeatures: 2, dtype: 'float64' }),
    new nn.LayerNorm(2, { dtype: 'float64' }));
  randomizeParams(mlp, 80, 0.8);
  const x = td.tensor(new Float64Array(uniform(81, 6 * 3, -1, 1)), { shape: [2, 3, 3] });
  const params = mlp.parameters();
  t.ok(td.gradcheck(() => mlp.forward(x), params), 'gradcheck of the output with respect to every parameter');
  const loss = td.sum(td.square(mlp.forward(x)));
  loss.backward();
  t.ok(params.every((p) => p.grad !== null && arr(p.grad).some((v) => v !== 0)), 'every parameter gets a nonzero gradient');
  mlp.zeroGrad();
  mlp.dispose();
});

t.test('memory stays flat over 200 training iterations', async (t) => {
  td.manualSeed(12);
  const model = new nn.Sequential(new nn.Linear(8, 32), new nn.SiLU(), new nn.Dropout(0.1), new nn.LayerNorm(32), new nn.Linear(32, 1));
  const opt = new SGD(model.parameters(), { lr: 0.05 });
  const x = td.randn([64, 8]);
  const y = td.tidy(() => td.sum(td.mul(x, td.linspace(-1, 1, 8)), 1, true));
  const step = () => td.tidy(() => {
    opt.zeroGrad();
    const loss = td.mseLoss(model.forward(x), y);
    loss.backward();
    opt.step();
    return loss.item();
  });
  for (let i = 0; i < 10; i++) step();
  const before = td.memory();
  let first = 0, last = 0;
  for (let i = 0; i < 200; i++) {
    const l = step();
    if (i === 0) first = l;
    last = l;
  }
  const after = td.memory();
  t.equal(after.tensors, before.tensors, `live tensors flat (${before.tensors} -> ${after.tensors})`);
  t.equal(after.bytes, before.bytes, `native bytes flat (${before.bytes} -> ${after.bytes})`);
  t.ok(last < first, `the loss decreases (${first.toFixed(4)} -> ${last.toFixed(4)})`);
  model.dispose();
});

t.test('argument errors', async (t) => {
  throwsKind(t, () => new nn.Linear(0, 3), RangeError, 'Linear with 0 inputs');
  throwsKind(t, () => new nn.Linear(2.5, 3), TypeError, 'Linear with a fractional size');
  throwsKind(t, () => new nn.Linear(2, 3, { dtype: 'int32' as 'float32' }), TypeError, 'Linear with an int32 dtype');
  throwsKind(t, () => new nn.Linear(2, 3, { bias: 1 as unknown as boolean }), TypeError, 'Linear with a non-boolean bias');
  const lin = new nn.Linear(2, 3);
  throwsKind(t, () => lin.forward(td.zeros([4, 3])), RangeError, 'Linear with the wrong feature size');
  throwsKind(t, () => lin.forward(td.zeros([4, 2], { dtype: 'int32' })), TypeError, 'Linear of int32');
  throwsKind(t, () => lin.forward([1, 2] as unknown as Tensor), TypeError, 'Linear of an array');
  try {
    lin.forward(td.zeros([4, 3]));
  } catch (e) {
    t.match((e as Error).message, /Linear.*\[4, ?3\].*2/, 'the message names the layer and the shapes');
  }
  throwsKind(t, () => new nn.LayerNorm([]), TypeError, 'LayerNorm with an empty shape');
  throwsKind(t, () => new nn.LayerNorm(4).forward(td.zeros([2, 5])), RangeError, 'LayerNorm with the wrong trailing dim');
  throwsKind(t, () => new nn.MLP(4, 8, { act: 'swish' as 'silu' }), TypeError, 'MLP with an unknown activation');
  throwsKind(t, () => new nn.GELU('fast' as 'tanh'), TypeError, 'GELU with an unknown approximation');
  throwsKind(t, () => new nn.Embedding(4, 2, { paddingIdx: 4 }), RangeError, 'Embedding paddingIdx out of range');
  lin.dispose();
  throwsKind(t, () => lin.forward(td.zeros([1, 2])), Error, 'a disposed module');
});

t.test('the docs/nn.md example trains', async (t) => {
  class Net2 extends nn.Module {
    fc1 = new nn.Linear(2, 32);
    act = new nn.SiLU();
    fc2 = new nn.Linear(32, 1);
    override forward(x: Tensor): Tensor {
      return this.fc2.forward(this.act.forward(this.fc1.forward(x)));
    }
  }
  td.manualSeed(0);
  const model = new Net2();
  const opt = new AdamW(model.parameters(), { lr: 1e-2 });
  const x = td.randn([64, 2]);
  const y = td.tidy(() => x.sum(1, true).sin());
  const losses: number[] = [];
  for (let step = 0; step < 100; step++) {
    losses.push(td.tidy(() => {
      opt.zeroGrad();
      const l = td.mseLoss(model.forward(x), y);
      l.backward();
      opt.step();
      return l.item();
    }));
  }
  t.ok(losses[99] < 0.2 * losses[0], `the loss falls (${losses[0].toFixed(4)} -> ${losses[99].toFixed(4)})`);
  model.eval();
  const pred = td.noGrad(() => model.forward(x));
  t.notOk(pred.requiresGrad);
  t.same(Object.keys(model.stateDict()), ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
  model.dispose();
});
