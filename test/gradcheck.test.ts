// gradcheck.test.ts — autograd gradients of every differentiable op vs float64 central differences
// (td.gradcheck), at several shapes, with broadcast and non-contiguous inputs.
import t from 'tap';
import * as td from '../lib/index';

type Tensor = td.Tensor;
type Fn = (...xs: Tensor[]) => Tensor;

let seedCounter = 1000;
/** A float64 leaf drawn from N(0, 1) that requires grad. */
function rn(shape: number[], seed = seedCounter++): Tensor {
  return td.randn(shape, { dtype: 'float64', seed }).requiresGrad_();
}
/** A float64 leaf with values in [lo, hi) that requires grad. */
function ru(shape: number[], lo: number, hi: number, seed = seedCounter++): Tensor {
  return td.tidy(() => td.add(td.mul(td.rand(shape, { dtype: 'float64', seed }), hi - lo), lo)).requiresGrad_();
}
/** A float64 leaf whose entries are N(0,1) pushed away from 0 (|x| >= 0.2). */
function away0(shape: number[], seed = seedCounter++): Tensor {
  return td.tidy(() => {
    const x = td.randn(shape, { dtype: 'float64', seed });
    return td.add(x, td.mul(td.sign(x), 0.2));
  }).requiresGrad_();
}
/** A float64 constant (no grad). */
function cn(shape: number[], seed = seedCounter++): Tensor {
  return td.randn(shape, { dtype: 'float64', seed });
}
const i32 = (data: td.NestedArray) => td.tensor(data, { dtype: 'int32' });

/** Runs gradcheck, reporting its error message as the failure diagnostic; disposes the inputs. */
function gc(tt: tap.Test, name: string, fn: Fn, inputs: Tensor[], opts?: td.GradcheckOptions): void {
  let ok = false;
  let err = '';
  try {
    ok = td.gradcheck(fn, inputs, opts);
  } catch (e) {
    err = e instanceof Error ? e.message : String(e);
  }
  tt.ok(ok, name, err ? { error: err } : {});
  for (const x of inputs) {
    x.zeroGrad();
    x.dispose();
  }
}

const T = (x: Tensor) => x.transpose(); // non-contiguous view of a 2-D leaf
const S2 = (x: Tensor) => x.slice(0, 0, undefined, 2); // every other row (non-contiguous)

// ---------------------------------------------------------------------------------------------
t.test('gradcheck itself', async (t) => {
  t.test('a hand-derived gradient matches autograd', async (t) => {
    // f(x) = sum(x^2 * sin(x) + exp(-x) / (1 + x^2)), f'(x) = 2x sin x + x^2 cos x - e^-x/(1+x^2) - 2x e^-x/(1+x^2)^2
    const vals = [-1.3, -0.4, 0.1, 0.7, 1.9, 2.5];
    const x = td.tensor(vals, { dtype: 'float64', requiresGrad: true });
    const f = (x: Tensor) => td.add(td.mul(td.square(x), td.sin(x)), td.div(td.exp(td.neg(x)), td.add(td.square(x), 1))).sum();
    const g = td.tidy(() => {
      f(x).backward();
      return x.grad!.dataSync();
    });
    vals.forEach((v, i) => {
      const q = 1 + v * v;
      const expect = 2 * v * Math.sin(v) + v * v * Math.cos(v) - Math.exp(-v) / q - (2 * v * Math.exp(-v)) / (q * q);
      t.ok(Math.abs(g[i] - expect) < 1e-12 * (1 + Math.abs(expect)), `element ${i}: ${g[i]} vs ${expect}`);
    });
    x.zeroGrad();
    t.ok(td.gradcheck(f, [x]));
    x.dispose();
  });

  t.test('a deliberately wrong gradient is caught', async (t) => {
    // d/dx (detach(x) * x) from autograd is x, but the function is x^2 (derivative 2x)
    const x = rn([5]);
    t.throws(() => td.gradcheck((x) => td.mul(x.detach(), x), [x]), /gradcheck: input 0 \[5\] element \d+: analytic .* vs numeric/);
    // a wrong constant factor is caught even with loose tolerances
    t.throws(() => td.gradcheck((x) => td.mul(x.detach(), x).sum(), [x], { atol: 1e-3, rtol: 1e-2 }), /gradcheck/);
    x.zeroGrad();
    x.dispose();
  });

  t.test('argument checks', async (t) => {
    const x32 = td.randn([3], { seed: 1, requiresGrad: true });
    t.throws(() => td.gradcheck((x) => x.mul(2), [x32]), TypeError, 'float32 inputs that require grad are rejected');
    const x = rn([2, 3]);
    const v = x.transpose();
    t.throws(() => td.gradcheck((x) => x.mul(2), [v]), /contiguous/, 'non-contiguous leaves are rejected');
    t.throws(() => td.gradcheck(null as never, [x]), TypeError);
    t.throws(() => td.gradcheck((x) => x, [1 as never]), TypeError);
    const c = cn([3]);
    t.throws(() => td.gradcheck((x) => x.mul(2), [c]), /does not require grad/);
    v.dispose();
    x.dispose();
    x32.dispose();
    c.dispose();
  });
});

// ---------------------------------------------------------------------------------------------
t.test('binary elementwise', async (t) => {
  const pairs: [number[], number[]][] = [
    [[5], [5]],
    [[3, 4], [3, 4]],
    [[3, 1], [4]],
    [[2, 1, 3], [4, 1]],
    [[], [2, 3]],
  ];
  for (const [sa, sb] of pairs) {
    const tag = `${JSON.stringify(sa)} with ${JSON.stringify(sb)}`;
    gc(t, `add ${tag}`, td.add, [rn(sa), rn(sb)]);
    gc(t, `sub ${tag}`, td.sub, [rn(sa), rn(sb)]);
    gc(t, `mul ${tag}`, td.mul, [rn(sa), rn(sb)]);
    gc(t, `div ${tag}`, td.div, [rn(sa), away0(sb)]);
    gc(t, `pow (positive base) ${tag}`, td.pow, [ru(sa, 0.5, 2), rn(sb)]);
    gc(t, `maximum ${tag}`, td.maximum, [rn(sa), rn(sb)]);
    gc(t, `minimum ${tag}`, td.minimum, [rn(sa), rn(sb)]);
  }
  // only one side requires grad
  {
    const a = ru([3, 4], 0.5, 2), b = cn([4]);
    gc(t, 'pow: only base requires grad', (a) => td.pow(a, b), [a]);
    const e = rn([3, 4]), base = td.tidy(() => td.add(td.rand([4], { dtype: 'float64', seed: 7 }), 0.5));
    gc(t, 'pow: only exponent requires grad', (e) => td.pow(base, e), [e]);
    b.dispose();
    base.dispose();
  }
  // scalars on either side
  gc(t, 'add scalar', (x) => td.add(x, 2.5), [rn([3, 4])]);
  gc(t, 'scalar add', (x) => td.add(-1.5, x), [rn([3, 4])]);
  gc(t, 'sub scalar', (x) => td.sub(x, 2), [rn([4])]);
  gc(t, 'scalar sub', (x) => td.sub(3, x), [rn([2, 3])]);
  gc(t, 'mul scalar', (x) => x.mul(-3), [rn([2, 3])]);
  gc(t, 'div scalar', (x) => x.div(4), [rn([2, 3])]);
  gc(t, 'scalar div', (x) => td.div(2, x), [away0([2, 3])]);
  gc(t, 'pow tensor^3', (x) => td.pow(x, 3), [rn([2, 3])]);
  gc(t, 'pow tensor^2.5 (positive)', (x) => td.pow(x, 2.5), [ru([2, 3], 0.3, 2)]);
  gc(t, 'pow tensor^-1.5 (positive)', (x) => x.pow(-1.5), [ru([4], 0.5, 2)]);
  gc(t, 'pow scalar^tensor', (x) => td.pow(2, x), [rn([2, 3])]);
  gc(t, 'pow 0.7^tensor', (x) => td.pow(0.7, x), [rn([5])]);
  gc(t, 'maximum with scalar (no ties)', (x) => td.maximum(x, 0.05), [rn([3, 4])]);
  gc(t, 'minimum with scalar (no ties)', (x) => td.minimum(x, 0.05), [rn([3, 4])]);
  // non-contiguous inputs
  gc(t, 'add transposed + contiguous', (a, b) => td.add(T(a), b), [rn([4, 3]), rn([3, 4])]);
  gc(t, 'mul sliced * broadcast', (a, b) => td.mul(S2(a), b), [rn([6, 4]), rn([4])]);
  gc(t, 'div transposed / transposed', (a, b) => td.div(T(a), T(b)), [rn([4, 3]), away0([4, 3])]);
  gc(t, 'pow transposed (positive)', (a, b) => td.pow(T(a), b), [ru([4, 3], 0.5, 2), rn([3, 1])]);
  gc(t, 'maximum sliced', (a, b) => td.maximum(S2(a), b), [rn([6, 4]), rn([3, 4])]);
  gc(t, 'minimum transposed', (a, b) => td.minimum(T(a), b), [rn([4, 3]), rn([4])]);
  // the same tensor on both sides
  gc(t, 'mul(x, x)', (x) => td.mul(x, x), [rn([3, 2])]);
  gc(t, 'sub(x, x.transpose())', (x) => td.sub(x, T(x)), [rn([3, 3])]);
});

t.test('where', async (t) => {
  const mask = (shape: number[], seed: number) => {
    const r = td.randn(shape, { seed });
    const m = td.gt(r, 0);
    r.dispose();
    return m;
  };
  const c1 = mask([3, 4], 1), c2 = mask([3, 1], 2), c3 = mask([4], 3);
  gc(t, 'where same shapes', (a, b) => td.where(c1, a, b), [rn([3, 4]), rn([3, 4])]);
  gc(t, 'where broadcast cond [3,1], a [4], b [3,4]', (a, b) => td.where(c2, a, b), [rn([4]), rn([3, 4])]);
  gc(t, 'where broadcast cond [4], a [3,1], b []', (a, b) => td.where(c3, a, b), [rn([3, 1]), rn([])]);
  gc(t, 'where with scalar other', (a) => td.where(c1, a, 0.5), [rn([3, 4])]);
  gc(t, 'where with scalar first', (b) => td.where(c1, -2, b), [rn([4])]);
  gc(t, 'where method, transposed', (a, b) => T(a).where(c1, b), [rn([4, 3]), rn([3, 4])]);
  td.dispose([c1, c2, c3]);
});

t.test('unary elementwise', async (t) => {
  const shapes = [[5], [2, 3], [2, 1, 3]];
  type U = [string, Fn, (s: number[]) => Tensor];
  const ops: U[] = [
    ['neg', td.neg, (s) => rn(s)],
    ['exp', td.exp, (s) => rn(s)],
    ['expm1', td.expm1, (s) => rn(s)],
    ['log', td.log, (s) => ru(s, 0.2, 3)],
    ['log1p', td.log1p, (s) => ru(s, -0.8, 3)],
    ['sqrt', td.sqrt, (s) => ru(s, 0.2, 3)],
    ['rsqrt', td.rsqrt, (s) => ru(s, 0.2, 3)],
    ['abs', td.abs, (s) => away0(s)],
    ['sign', td.sign, (s) => away0(s)],
    ['square', td.square, (s) => rn(s)],
    ['reciprocal', td.reciprocal, (s) => away0(s)],
    ['sin', td.sin, (s) => rn(s)],
    ['cos', td.cos, (s) => rn(s)],
    ['tanh', td.tanh, (s) => rn(s)],
    ['sigmoid', td.sigmoid, (s) => rn(s)],
    ['relu', td.relu, (s) => away0(s)],
    ['gelu', (x) => td.gelu(x), (s) => rn(s)],
    ['gelu none', (x) => td.gelu(x, 'none'), (s) => rn(s)],
    ['gelu tanh', (x) => td.gelu(x, 'tanh'), (s) => rn(s)],
    ['silu', td.silu, (s) => rn(s)],
    ['softplus', td.softplus, (s) => rn(s)],
    ['erf', td.erf, (s) => rn(s)],
    ['clamp [-0.5, 0.5]', (x) => td.clamp(x, -0.5, 0.5), (s) => rn(s)],
    ['clamp min only', (x) => td.clamp(x, 0.1), (s) => rn(s)],
    ['clamp max only', (x) => td.clamp(x, null, -0.1), (s) => rn(s)],
  ];
  for (const [name, fn, make] of ops) {
    for (const s of shapes) gc(t, `${name} ${JSON.stringify(s)}`, fn, [make(s)]);
    gc(t, `${name} 0-d`, fn, [make([])]);
    gc(t, `${name} transposed`, (x) => fn(T(x)), [make([3, 2])]);
    gc(t, `${name} strided slice`, (x) => fn(S2(x)), [make([6, 2])]);
  }
  // large-magnitude inputs where the stable formulations matter
  gc(t, 'softplus at large |x|', td.softplus, [td.tensor([-30, -8, 8, 30], { dtype: 'float64', requiresGrad: true })]);
  gc(t, 'sigmoid at large |x|', td.sigmoid, [td.tensor([-30, -8, 8, 30], { dtype: 'float64', requiresGrad: true })]);
  gc(t, 'methods chain', (x) => x.abs().sqrt().exp().tanh(), [away0([2, 3])]);
});

// ---------------------------------------------------------------------------------------------
t.test('reductions', async (t) => {
  type R = [string, (x: Tensor, dim?: td.Dims, keepdim?: boolean) => Tensor, (s: number[]) => Tensor];
  const reds: R[] = [
    ['sum', td.sum, (s) => rn(s)],
    ['mean', td.mean, (s) => rn(s)],
    ['prod', td.prod, (s) => away0(s)],
    ['amax', td.amax, (s) => rn(s)],
    ['amin', td.amin, (s) => rn(s)],
    ['logsumexp', td.logsumexp, (s) => rn(s)],
  ];
  const cases: [number[], td.Dims, boolean][] = [
    [[5], undefined, false],
    [[3, 4], undefined, false],
    [[3, 4], 0, false],
    [[3, 4], 1, true],
    [[3, 4], -1, false],
    [[2, 3, 4], [0, 2], false],
    [[2, 3, 4], [0, 2], true],
    [[2, 3, 4], [1], true],
    [[2, 3, 4], [0, 1, 2], true],
  ];
  for (const [name, fn, make] of reds) {
    for (const [shape, dim, keep] of cases)
      gc(t, `${name} ${JSON.stringify(shape)} dim=${JSON.stringify(dim)} keepdim=${keep}`, (x) => fn(x, dim, keep), [make(shape)]);
    gc(t, `${name} of a transposed view over dim 0`, (x) => fn(T(x), 0), [make([4, 3])]);
    gc(t, `${name} of a strided slice, keepdim`, (x) => fn(S2(x), 1, true), [make([6, 3])]);
  }
  gc(t, 'sum method with dims', (x) => x.sum([0, 1]), [rn([2, 3, 2])]);
  gc(t, 'mean method keepdim', (x) => x.mean(-1, true), [rn([2, 3])]);

  // var / std
  const vcases: [number[], td.Dims, td.VarOptions][] = [
    [[6], undefined, {}],
    [[3, 4], undefined, { correction: 0 }],
    [[3, 4], 1, {}],
    [[3, 4], 0, { keepdim: true }],
    [[2, 3, 4], [0, 2], { correction: 0, keepdim: true }],
    [[2, 3, 4], -1, { correction: 2 }],
  ];
  for (const [shape, dim, o] of vcases) {
    const tag = `${JSON.stringify(shape)} dim=${JSON.stringify(dim)} ${JSON.stringify(o)}`;
    gc(t, `var ${tag}`, (x) => td.var(x, dim, o), [rn(shape)]);
    gc(t, `std ${tag}`, (x) => td.std(x, dim, o), [rn(shape)]);
  }
  gc(t, 'var of a transposed view', (x) => T(x).var(1), [rn([4, 3])]);
  gc(t, 'std of a strided slice', (x) => S2(x).std(0, { keepdim: true }), [rn([8, 3])]);

  // norm
  for (const p of [1, 2, 3, Infinity]) {
    gc(t, `norm p=${p} all`, (x) => td.norm(x, p), [away0([3, 4])]);
    gc(t, `norm p=${p} dim 1`, (x) => td.norm(x, p, 1), [away0([3, 4])]);
    gc(t, `norm p=${p} dim 0 keepdim`, (x) => td.norm(x, p, 0, true), [away0([3, 4])]);
    gc(t, `norm p=${p} dims [0,2] keepdim`, (x) => td.norm(x, p, [0, 2], true), [away0([2, 3, 2])]);
    gc(t, `norm p=${p} transposed`, (x) => T(x).norm(p, -1), [away0([4, 3])]);
  }
  gc(t, 'norm default p', (x) => td.norm(x), [rn([4])]);
  gc(t, 'norm p=1.5', (x) => td.norm(x, 1.5, 0), [away0([3, 2])]);
});

// ---------------------------------------------------------------------------------------------
t.test('linear algebra', async (t) => {
  const mm: [number[], number[]][] = [
    [[4], [4]],
    [[3, 4], [4]],
    [[4], [4, 5]],
    [[3, 4], [4, 5]],
    [[1, 4], [4, 1]],
    [[2, 3, 4], [4, 5]],
    [[3, 4], [2, 4, 5]],
    [[2, 3, 4], [2, 4, 5]],
    [[2, 1, 3, 4], [5, 4, 2]],
    [[4], [2, 4, 3]],
    [[2, 3, 4], [4]],
  ];
  for (const [sa, sb] of mm) gc(t, `matmul ${JSON.stringify(sa)} @ ${JSON.stringify(sb)}`, td.matmul, [rn(sa), rn(sb)]);
  gc(t, 'matmul transposed @ transposed', (a, b) => td.matmul(T(a), T(b)), [rn([4, 3]), rn([5, 4])]);
  gc(t, 'matmul batched permuted', (a, b) => td.matmul(a.permute([1, 0, 2]), b), [rn([3, 2, 4]), rn([2, 4, 3])]);
  gc(t, 'matmul sliced rows', (a, b) => td.matmul(S2(a), b), [rn([6, 4]), rn([4, 2])]);
  gc(t, 'matmul expanded batch', (a, b) => td.matmul(a.expand([3, 2, 4]), b), [rn([2, 4]), rn([3, 4, 2])]);
  const c = cn([2, 4]);
  gc(t, 'matmul method, only b requires grad', (b) => c.matmul(b), [rn([4, 3])]);

  gc(t, 'bmm', td.bmm, [rn([2, 3, 4]), rn([2, 4, 5])]);
  gc(t, 'bmm [1,1,1]', td.bmm, [rn([1, 1, 1]), rn([1, 1, 1])]);
  gc(t, 'bmm transposed operands', (a, b) => td.bmm(a.transpose(1, 2), b), [rn([3, 4, 2]), rn([3, 4, 2])]);

  gc(t, 'linear with bias', td.linear, [rn([3, 4]), rn([5, 4]), rn([5])]);
  gc(t, 'linear batched with bias', td.linear, [rn([2, 3, 4]), rn([5, 4]), rn([5])]);
  gc(t, 'linear without bias', (x, w) => td.linear(x, w), [rn([3, 4]), rn([2, 4])]);
  gc(t, 'linear 1-D input', td.linear, [rn([4]), rn([3, 4]), rn([3])]);
  gc(t, 'linear transposed input', (x, w, b) => td.linear(T(x), w, b), [rn([4, 3]), rn([2, 4]), rn([2])]);
  c.dispose();
});

// ---------------------------------------------------------------------------------------------
t.test('views and copies', async (t) => {
  // apply a nonlinearity after the view so gradients depend on position
  const sq = td.square;
  gc(t, 'reshape', (x) => sq(x.reshape([4, 3])), [rn([2, 6])]);
  gc(t, 'reshape -1', (x) => sq(td.reshape(x, [-1])), [rn([2, 3, 2])]);
  gc(t, 'reshape of transposed (copy)', (x) => sq(T(x).reshape([6])), [rn([2, 3])]);
  gc(t, 'reshape to 0-d', (x) => sq(x.reshape([])), [rn([1, 1])]);
  gc(t, 'view', (x) => sq(td.view(x, [3, 2])), [rn([6])]);
  gc(t, 'transpose default', (x) => sq(x.transpose()), [rn([3, 4])]);
  gc(t, 'transpose dims 0,2', (x) => sq(td.transpose(x, 0, 2)), [rn([2, 3, 4])]);
  gc(t, 'transpose of 1-D', (x) => sq(x.transpose()), [rn([4])]);
  gc(t, 'permute', (x) => sq(x.permute([2, 0, 1])), [rn([2, 3, 4])]);
  gc(t, 'permute negative', (x) => sq(td.permute(x, [-1, 0])), [rn([2, 3])]);
  gc(t, 'expand [3,1] -> [2,3,4]', (x) => sq(x.expand([2, 3, 4])), [rn([3, 1])]);
  gc(t, 'expand -1', (x) => sq(x.expand([2, -1])), [rn([3])]);
  gc(t, 'broadcastTo', (x) => sq(td.broadcastTo(x, [2, 3])), [rn([1, 3])]);
  const cpos = cn([3, 4]);
  gc(t, 'expand then mul by position', (x) => td.mul(x.expand([3, 4]), cpos), [rn([3, 1])]);
  gc(t, 'squeeze all', (x) => sq(x.squeeze()), [rn([3, 1, 2, 1])]);
  gc(t, 'squeeze dim', (x) => sq(td.squeeze(x, 1)), [rn([3, 1, 2])]);
  gc(t, 'unsqueeze 0', (x) => sq(x.unsqueeze(0)), [rn([3, 2])]);
  gc(t, 'unsqueeze -1', (x) => sq(td.unsqueeze(x, -1)), [rn([3, 2])]);
  gc(t, 'unsqueeze of transposed', (x) => sq(T(x).unsqueeze(1)), [rn([3, 2])]);
  gc(t, 'flatten', (x) => sq(x.flatten()), [rn([2, 3, 2])]);
  gc(t, 'flatten 1..2', (x) => sq(td.flatten(x, 1, 2)), [rn([2, 3, 2, 2])]);
  gc(t, 'flatten of transposed', (x) => sq(T(x).flatten()), [rn([2, 3])]);
  gc(t, 'narrow dim 0', (x) => sq(x.narrow(0, 1, 2)), [rn([4, 3])]);
  gc(t, 'narrow dim -1, negative start', (x) => sq(td.narrow(x, -1, -2, 2)), [rn([3, 4])]);
  gc(t, 'narrow of transposed', (x) => sq(T(x).narrow(1, 1, 2)), [rn([4, 3])]);
  gc(t, 'slice step 2', (x) => sq(x.slice(1, 0, undefined, 2)), [rn([3, 5])]);
  gc(t, 'slice step 2 offset 1', (x) => sq(td.slice(x, 0, 1, 6, 2)), [rn([6, 2])]);
  gc(t, 'slice step 3 negative start', (x) => sq(x.slice(0, -5, undefined, 3)), [rn([7])]);
  gc(t, 'slice of slice', (x) => sq(x.slice(0, 1).slice(1, 0, undefined, 2)), [rn([4, 5])]);
  gc(t, 'contiguous of transposed', (x) => sq(T(x).contiguous()), [rn([3, 4])]);
  gc(t, 'contiguous of slice', (x) => sq(td.contiguous(S2(x))), [rn([6, 2])]);
  gc(t, 'clone', (x) => sq(x.clone()), [rn([3, 2])]);
  gc(t, 'clone of transposed', (x) => sq(td.clone(T(x))), [rn([3, 2])]);
  gc(t, 'chain of views', (x) => sq(x.permute([1, 0, 2]).reshape([3, 4]).narrow(1, 1, 3).unsqueeze(0).expand([2, 3, 3])), [rn([2, 3, 2])]);
  cpos.dispose();
});

// ---------------------------------------------------------------------------------------------
t.test('joining, splitting, indexing', async (t) => {
  const sq = td.square;
  gc(t, 'cat dim 0', (a, b) => sq(td.cat([a, b])), [rn([2, 3]), rn([1, 3])]);
  gc(t, 'cat dim 1 (3 inputs)', (a, b, c) => sq(td.cat([a, b, c], 1)), [rn([2, 3]), rn([2, 1]), rn([2, 2])]);
  gc(t, 'cat dim -1 with a transposed input', (a, b) => sq(td.cat([T(a), b], -1)), [rn([3, 2]), rn([2, 4])]);
  const cc = cn([2, 2]);
  gc(t, 'cat with a constant input', (a) => sq(td.cat([cc, a], 0)), [rn([1, 2])]);
  gc(t, 'cat same tensor twice', (a) => sq(td.cat([a, a], 1)), [rn([2, 2])]);
  gc(t, 'stack dim 0', (a, b) => sq(td.stack([a, b])), [rn([2, 3]), rn([2, 3])]);
  gc(t, 'stack dim 1', (a, b, c) => sq(td.stack([a, b, c], 1)), [rn([2, 3]), rn([2, 3]), rn([2, 3])]);
  gc(t, 'stack dim -1 (new last)', (a, b) => sq(td.stack([a, T(b)], -1)), [rn([2, 3]), rn([3, 2])]);
  gc(t, 'stack 1-D', (a, b) => sq(td.stack([a, b], 1)), [rn([4]), rn([4])]);
  gc(t, 'split by size', (x) => {
    const [a, b, c] = td.split(x, 2, 1); // [3,2] [3,2] [3,1]
    return td.cat([c.mul(3), a.mul(b)], 1);
  }, [rn([3, 5])]);
  gc(t, 'split by sections', (x) => {
    const [a, b] = x.split([1, 3], 0);
    return td.add(a.exp(), b.sin()); // [1,2] + [3,2]
  }, [rn([4, 2])]);
  gc(t, 'split unused piece has zero grad', (x) => td.split(x, 2)[1].square(), [rn([5])]);
  gc(t, 'chunk', (x) => {
    const p = td.chunk(x, 3, 0); // [2,2] [2,2] [1,2]
    return td.cat([p[0].mul(p[1]), p[2].square()], 0);
  }, [rn([5, 2])]);
  gc(t, 'chunk of transposed', (x) => {
    const [a, b] = T(x).chunk(2, 1);
    return td.sub(a, b.square());
  }, [rn([4, 3])]);

  const idx1 = i32([[0, 3], [1, 1], [2, 0]]);
  gc(t, 'gather dim 1 with repeated indices', (x) => sq(td.gather(x, 1, idx1)), [rn([3, 4])]);
  const idx0 = i32([[2, 0, 1, 2], [0, 0, 2, 1]]);
  gc(t, 'gather dim 0', (x) => sq(x.gather(0, idx0)), [rn([3, 4])]);
  gc(t, 'gather dim -1 of transposed', (x) => sq(td.gather(T(x), -1, idx1)), [rn([4, 3])]);
  const idx3 = i32([[[1], [0]], [[2], [2]]]);
  gc(t, 'gather 3-D dim 2', (x) => sq(td.gather(x, 2, idx3)), [rn([2, 2, 3])]);
  const sel = i32([2, 0, 2]);
  gc(t, 'indexSelect dim 0 (repeats)', (x) => sq(td.indexSelect(x, 0, sel)), [rn([3, 4])]);
  gc(t, 'indexSelect dim 1', (x) => sq(x.indexSelect(1, sel)), [rn([2, 3])]);
  gc(t, 'indexSelect of transposed', (x) => sq(td.indexSelect(T(x), 0, sel)), [rn([2, 3])]);
  const sidx = i32([[0, 0], [3, 1], [2, 2]]);
  gc(t, 'scatterAdd dim 1 (both inputs)', (x, s) => sq(td.scatterAdd(x, 1, sidx, s)), [rn([3, 4]), rn([3, 2])]);
  const sidx0 = i32([[1, 0, 1], [1, 2, 0]]);
  gc(t, 'scatterAdd dim 0', (x, s) => sq(x.scatterAdd(0, sidx0, s)), [rn([3, 3]), rn([2, 3])]);
  const cx = cn([3, 4]);
  gc(t, 'scatterAdd only src requires grad', (s) => sq(td.scatterAdd(cx, 1, sidx, s)), [rn([3, 2])]);
  const csrc = cn([3, 2]);
  gc(t, 'scatterAdd only input requires grad', (x) => sq(td.scatterAdd(x, 1, sidx, csrc)), [rn([3, 4])]);
  td.dispose([cc, cx, csrc, idx0, idx1, idx3, sel, sidx, sidx0]);
});

// ---------------------------------------------------------------------------------------------
t.test('neural-network functions', async (t) => {
  for (const dim of [0, 1, 2, -1]) {
    gc(t, `softmax dim ${dim}`, (x) => td.softmax(x, dim), [rn([2, 3, 4])]);
    gc(t, `logSoftmax dim ${dim}`, (x) => td.logSoftmax(x, dim), [rn([2, 3, 4])]);
  }
  gc(t, 'softmax default dim, 1-D', (x) => td.softmax(x), [rn([5])]);
  gc(t, 'logSoftmax 1-D', (x) => x.logSoftmax(0), [rn([5])]);
  gc(t, 'softmax of transposed', (x) => td.softmax(T(x), 1), [rn([4, 3])]);
  gc(t, 'logSoftmax of slice, dim 0', (x) => td.logSoftmax(S2(x), 0), [rn([6, 3])]);
  gc(t, 'softmax method', (x) => x.softmax(0).mul(x), [rn([3, 2])]);
  gc(t, 'softmax large logits', (x) => td.softmax(x.mul(30)), [rn([2, 4])]);

  gc(t, 'layerNorm [4] with weight and bias', (x, w, b) => td.layerNorm(x, [4], w, b), [rn([2, 3, 4]), rn([4]), rn([4])]);
  gc(t, 'layerNorm [3,4] with weight and bias', (x, w, b) => td.layerNorm(x, [3, 4], w, b), [rn([2, 3, 4]), rn([3, 4]), rn([3, 4])]);
  gc(t, 'layerNorm without affine', (x) => td.layerNorm(x, [5]), [rn([3, 5])]);
  gc(t, 'layerNorm weight only, eps 1e-3', (x, w) => td.layerNorm(x, [4], w, null, 1e-3), [rn([3, 4]), rn([4])]);
  gc(t, 'layerNorm of transposed', (x, w, b) => td.layerNorm(T(x), [3], w, b), [rn([3, 4]), rn([3]), rn([3])]);

  const tgt = i32([1, 0, 4, 2]);
  gc(t, 'crossEntropy mean', (x) => td.crossEntropy(x, tgt), [rn([4, 5])]);
  gc(t, 'crossEntropy sum', (x) => td.crossEntropy(x, tgt, { reduction: 'sum' }), [rn([4, 5])]);
  gc(t, 'crossEntropy none', (x) => td.crossEntropy(x, tgt, { reduction: 'none' }), [rn([4, 5])]);
  gc(t, 'crossEntropy labelSmoothing 0.1', (x) => td.crossEntropy(x, tgt, { labelSmoothing: 0.1 }), [rn([4, 5])]);
  gc(t, 'crossEntropy labelSmoothing 0.3 none', (x) => td.crossEntropy(x, tgt, { labelSmoothing: 0.3, reduction: 'none' }), [rn([4, 5])]);
  gc(t, 'crossEntropy of transposed logits', (x) => td.crossEntropy(T(x), tgt), [rn([5, 4])]);
  const t0 = td.tensor(2, { dtype: 'int32' });
  gc(t, 'crossEntropy unbatched [C] with []', (x) => td.crossEntropy(x, t0), [rn([5])]);
  gc(t, 'crossEntropy unbatched with smoothing', (x) => td.crossEntropy(x, t0, { labelSmoothing: 0.2 }), [rn([5])]);

  gc(t, 'mseLoss', (a, b) => td.mseLoss(a, b), [rn([3, 4]), rn([3, 4])]);
  gc(t, 'mseLoss broadcast target', (a, b) => td.mseLoss(a, b), [rn([3, 4]), rn([4])]);
  gc(t, 'mseLoss sum', (a, b) => td.mseLoss(a, b, { reduction: 'sum' }), [rn([5]), rn([5])]);
  gc(t, 'mseLoss none, transposed', (a, b) => td.mseLoss(T(a), b, { reduction: 'none' }), [rn([4, 3]), rn([3, 4])]);
  td.dispose([tgt, t0]);
});

t.test('cast', async (t) => {
  gc(t, 'cast float64 -> float64', (x) => td.cast(x, 'float64').square(), [rn([3, 2])]);
  gc(t, 'to("float64") / double()', (x) => x.to('float64').mul(x.double()), [rn([4])]);
  const n = td.tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'int32' });
  gc(t, 'int32 constant promoted to float64 (recorded cast)', (x) => td.mul(x, n).add(n), [rn([2, 3])]);
  const f32 = td.ones([3]);
  gc(t, 'float32 constant promoted to float64', (x) => td.add(x, f32), [rn([2, 3])]);
  n.dispose();
  f32.dispose();
});

t.test('composite functions', async (t) => {
  // a small attention-like block
  gc(t, 'softmax(q k^T / sqrt(d)) v', (q, k, v) => td.matmul(td.softmax(td.div(td.matmul(q, k.transpose()), Math.sqrt(4)), -1), v),
    [rn([2, 3, 4]), rn([2, 3, 4]), rn([2, 3, 2])]);
  gc(t, 'mlp with gelu and layerNorm', (x, w1, b1, w2) => td.layerNorm(td.linear(td.gelu(td.linear(x, w1, b1)), w2), [2]).sum(),
    [rn([3, 4]), rn([5, 4]), rn([5]), rn([2, 5])]);
  gc(t, 'x reused many times', (x) => td.mul(td.exp(x), td.sin(x)).add(x.sum()).div(td.add(td.square(x), 1)), [rn([3])]);
});

t.test('no memory leaked by gradcheck', async (t) => {
  const before = td.memory();
  gc(t, 'one more gradcheck', (a, b) => td.matmul(a, b).softmax(), [rn([2, 3]), rn([3, 2])]);
  const after = td.memory();
  t.equal(after.tensors, before.tensors, 'tensor count back to baseline');
  t.equal(after.storages, before.storages, 'storage count back to baseline');
});
