// autograd.test.ts — the tape: accumulation, zeroGrad, noGrad, detach, broadcast reduction,
// gradients through views, explicit/implicit backward grads, freed graphs, and an MLP vs
// central differences.
import t from 'tap';
import * as td from '../lib/index';

type Tensor = td.Tensor;

const f64 = (data: td.NestedArray, requiresGrad = true) => td.tensor(data, { dtype: 'float64', requiresGrad });
const flat = (x: Tensor) => Array.from(x.dataSync());

/** t.same with a numeric tolerance, element by element. */
function close(tt: tap.Test, got: ArrayLike<number>, want: ArrayLike<number>, msg: string, tol = 1e-12): void {
  let ok = got.length === want.length;
  let worst = '';
  for (let i = 0; ok && i < want.length; i++)
    if (!(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i])))) {
      ok = false;
      worst = `element ${i}: ${got[i]} vs ${want[i]}`;
    }
  tt.ok(ok, msg, { got: Array.from(got), want: Array.from(want), worst });
}

t.test('gradients accumulate across backward() calls', async (t) => {
  const x = f64([1, 2, 3]);
  td.mul(x, x).sum().backward();
  close(t, flat(x.grad!), [2, 4, 6], 'first backward: 2x');
  td.mul(x, 3).sum().backward();
  close(t, flat(x.grad!), [5, 7, 9], 'second backward adds 3');
  t.same(x.grad!.shape, [3]);
  t.equal(x.grad!.dtype, 'float64');
  t.equal(x.grad!.requiresGrad, false, 'the gradient itself does not require grad');
  // the same graph twice with retainGraph
  const y = td.exp(x).sum();
  x.zeroGrad();
  y.backward(null, { retainGraph: true });
  y.backward();
  close(t, flat(x.grad!), [1, 2, 3].map((v) => 2 * Math.exp(v)), 'retained graph run twice doubles the gradient');
  x.dispose();
});

t.test('zeroGrad', async (t) => {
  const x = f64([[1, -2], [3, 4]]);
  td.square(x).sum().backward();
  const g = x.grad!;
  t.ok(g instanceof td.Tensor);
  x.zeroGrad();
  t.equal(x.grad, null, 'grad cleared');
  t.ok(g.isDisposed, 'the old gradient is disposed');
  x.zeroGrad(); // harmless on null
  t.equal(x.grad, null);
  td.mul(x, 2).sum().backward();
  close(t, flat(x.grad!), [2, 2, 2, 2], 'fresh gradient after zeroGrad (no stale accumulation)');
  x.zeroGrad();
  x.dispose();
});

t.test('noGrad records nothing', async (t) => {
  const x = f64([1, 2, 3]);
  t.equal(td.isGradEnabled(), true);
  const { y, inside } = td.noGrad(() => ({ y: td.exp(td.mul(x, 2)), inside: td.isGradEnabled() }));
  t.equal(inside, false, 'grad disabled inside noGrad');
  t.equal(td.isGradEnabled(), true, 'restored after noGrad');
  t.equal(y.requiresGrad, false, 'result does not require grad');
  t.equal(y.gradFn, null, 'no gradFn recorded');
  t.ok(y.isLeaf);
  t.throws(() => y.sum().backward(), /does not require grad/);
  // views, reductions and nn ops too
  const zs = td.noGrad(() => [x.reshape([3, 1]), x.sum(), td.softmax(x), td.cat([x, x]), x.transpose(), x.expand([2, 3])]);
  for (const z of zs) t.equal(z.requiresGrad, false, `noGrad ${z.shape}`);
  // restored after a throw
  t.throws(() => td.noGrad(() => { throw new Error('boom'); }), /boom/);
  t.equal(td.isGradEnabled(), true, 'restored after a throw');
  // enableGrad inside noGrad records again
  const w = td.noGrad(() => td.enableGrad(() => td.mul(x, 2)));
  t.equal(w.requiresGrad, true, 'enableGrad inside noGrad records');
  td.dispose([x, y, zs, w]);
});

t.test('detach cuts the graph', async (t) => {
  const x = f64([1, 2, 3]);
  const d = x.detach();
  t.equal(d.requiresGrad, false);
  t.equal(d.gradFn, null);
  t.same(flat(d), [1, 2, 3], 'same values');
  const y = td.mul(x, 2);
  const yd = td.detach(y);
  t.equal(yd.requiresGrad, false, 'detached non-leaf');
  // z = x * detach(x)^2 : dz/dx = detach(x)^2 (not 3x^2)
  td.mul(x, td.square(d)).sum().backward();
  close(t, flat(x.grad!), [1, 4, 9], 'gradient treats the detached tensor as a constant');
  x.zeroGrad();
  // a path only through detach gives no gradient at all
  const z = td.add(td.mul(yd, 5), td.mul(x, 0));
  z.sum().backward();
  close(t, flat(x.grad!), [0, 0, 0], 'no gradient through the detached branch');
  x.zeroGrad();
  td.dispose([x, d, y, yd, z]);
});

t.test('broadcasting reduces gradients to the input shape', async (t) => {
  const xv = [[1], [2], [3]];
  const yv = [10, 20, 30, 40];
  const x = f64(xv); // [3,1]
  const y = f64(yv); // [4]
  const s = td.add(x, y);
  t.same(s.shape, [3, 4]);
  s.sum().backward();
  t.same(x.grad!.shape, [3, 1], 'x grad shape [3,1]');
  t.same(y.grad!.shape, [4], 'y grad shape [4]');
  close(t, flat(x.grad!), [4, 4, 4], 'd sum(x+y)/dx = 4 per row');
  close(t, flat(y.grad!), [3, 3, 3, 3], 'd sum(x+y)/dy = 3 per column');
  x.zeroGrad();
  y.zeroGrad();

  // weighted: L = sum(c * x * y) with c[i][j] = i + 10 j
  const cv = [0, 1, 2].map((i) => [0, 1, 2, 3].map((j) => i + 10 * j));
  const c = f64(cv, false);
  td.mul(td.mul(x, y), c).sum().backward();
  const gx = [0, 1, 2].map((i) => yv.reduce((a, yj, j) => a + cv[i][j] * yj, 0));
  const gy = [0, 1, 2, 3].map((j) => xv.reduce((a, xi, i) => a + cv[i][j] * xi[0], 0));
  close(t, flat(x.grad!), gx, 'x grad = sum_j c_ij y_j');
  close(t, flat(y.grad!), gy, 'y grad = sum_i c_ij x_i');
  x.zeroGrad();
  y.zeroGrad();

  // subtraction and division with a 0-d operand, and a leading broadcast dim
  const a = f64(2); // []
  const b = f64([[1, 2], [4, 8]]); // [2,2]
  td.div(a, b).sum().backward();
  t.same(a.grad!.shape, [], '0-d grad shape');
  close(t, flat(a.grad!), [1 + 0.5 + 0.25 + 0.125], 'd/da sum(a/b) = sum(1/b)');
  close(t, flat(b.grad!), [1, 2, 4, 8].map((v) => -2 / (v * v)), 'd/db sum(a/b) = -a/b^2');
  a.zeroGrad();
  const row = f64([[1, 2, 3]]); // [1,3]
  td.sub(f64([[[1, 1, 1]], [[2, 2, 2]]], false), row).sum().backward(); // [2,1,3] - [1,3] -> [2,1,3]
  t.same(row.grad!.shape, [1, 3]);
  close(t, flat(row.grad!), [-2, -2, -2], 'leading broadcast dim summed');
  td.dispose([x, y, s, c, a, b, row]);
});

t.test('gradients flow through views', async (t) => {
  // x = [[0,1,2],[3,4,5]]
  const x = f64([[0, 1, 2], [3, 4, 5]]);
  // narrow: columns 1..2, weighted by w
  td.mul(x.narrow(1, 1, 2), f64([[1, 2], [3, 4]], false)).sum().backward();
  close(t, flat(x.grad!), [0, 1, 2, 0, 3, 4], 'narrow scatters into the selected columns');
  x.zeroGrad();

  // transpose: x^T [3,2] weighted by c
  td.mul(x.transpose(), f64([[1, 2], [3, 4], [5, 6]], false)).sum().backward();
  close(t, flat(x.grad!), [1, 3, 5, 2, 4, 6], 'transpose gradient is c^T');
  x.zeroGrad();

  // expand: r [2,1] expanded to [2,3], weighted by x's values
  const r = f64([[1], [2]]);
  td.mul(r.expand([2, 3]), x.detach()).sum().backward();
  close(t, flat(r.grad!), [0 + 1 + 2, 3 + 4 + 5], 'expand gradient sums over the expanded dim');
  r.zeroGrad();
  // expand with a new leading dim: [3] -> [2,3]
  const v = f64([1, 1, 1]);
  td.mul(v.expand([2, 3]), x.detach()).sum().backward();
  close(t, flat(v.grad!), [3, 5, 7], 'expand with a new leading dim');

  // reshape: [2,3] -> [3,2] weighted by c (c is read row-major)
  td.mul(x.reshape([3, 2]), f64([[1, 2], [3, 4], [5, 6]], false)).sum().backward();
  close(t, flat(x.grad!), [1, 2, 3, 4, 5, 6], 'reshape gradient is c reshaped back');
  x.zeroGrad();

  // slice with step: rows 0 and 2 of a [3,2]
  const m = f64([[1, 2], [3, 4], [5, 6]]);
  td.square(m.slice(0, 0, undefined, 2)).sum().backward();
  close(t, flat(m.grad!), [2, 4, 0, 0, 10, 12], 'strided slice: 2x on selected rows, 0 elsewhere');
  m.zeroGrad();

  // a chain: transpose -> narrow -> unsqueeze -> expand -> reshape
  // x^T = [[0,3],[1,4],[2,5]]; narrow(0,1,2) = [[1,4],[2,5]]; unsqueeze(0).expand([3,2,2]); reshape([12]); * arange
  const w = td.arange(12, undefined, 1, { dtype: 'float64' });
  td.mul(x.transpose().narrow(0, 1, 2).unsqueeze(0).expand([3, 2, 2]).reshape([12]), w).sum().backward();
  // element (i,j) of the narrowed [2,2] appears at flat positions k*4 + i*2 + j, k = 0..2
  const gn = [0, 1, 2, 3].map((p) => [0, 1, 2].reduce((a, k) => a + k * 4 + p, 0)); // [12, 15, 18, 21]
  // narrowed[i][j] = x^T[1+i][j] = x[j][1+i]
  const want = [0, 0, 0, 0, 0, 0];
  for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) want[j * 3 + 1 + i] += gn[i * 2 + j];
  close(t, flat(x.grad!), want, 'chain of views');
  x.zeroGrad();

  // views of views sharing one leaf: both halves used
  const [lo, hi] = td.split(x, [1, 1], 0);
  td.add(td.mul(lo, 2), td.mul(hi, 3)).sum().backward();
  close(t, flat(x.grad!), [2, 2, 2, 3, 3, 3], 'split pieces route gradients to their rows');
  x.zeroGrad();
  td.dispose([x, r, v, m, w]);
});

t.test('backward(grad) for non-scalar outputs', async (t) => {
  const x = f64([1, 2, 3]);
  const y = td.mul(x, x); // dy/dx = 2x
  y.backward(f64([1, 10, 100], false), { retainGraph: true });
  close(t, flat(x.grad!), [2, 40, 600], 'vector-Jacobian product');
  x.zeroGrad();
  // a float32 grad for a float64 output is converted
  td.backward(y, td.tensor([1, 1, 1]));
  close(t, flat(x.grad!), [2, 4, 6], 'float32 grad accepted for a float64 root');
  x.zeroGrad();

  const z = td.mul(x, 2);
  t.throws(() => z.backward(), RangeError, 'implicit grad on a non-scalar output is a RangeError');
  t.throws(() => z.backward(), /backward: grad can be implicit only for one-element tensors, got shape \[3\]/);
  t.throws(() => z.backward(f64([1, 2], false)), RangeError, 'grad of the wrong shape');
  t.throws(() => z.backward(f64([1, 2], false)), /\[2\].*\[3\]/);
  t.throws(() => z.backward([1, 2, 3] as never), TypeError, 'grad must be a Tensor');
  // a one-element non-0-d output may use the implicit grad
  const one = td.mul(x, 1).sum(0, true); // [1]
  one.backward();
  close(t, flat(x.grad!), [1, 1, 1], 'implicit grad on a [1] output');
  x.zeroGrad();
  td.dispose([x, y, z, one]);
});

t.test('backward on a tensor that does not require grad throws', async (t) => {
  const a = td.tensor([1, 2, 3]);
  const s = a.sum();
  t.throws(() => s.backward(), { name: 'Error', message: /backward: tensor does not require grad/ });
  t.throws(() => td.backward(a, td.ones([3])), /does not require grad/);
  const x = f64([1, 2]);
  const d = x.detach().sum();
  t.throws(() => d.backward(), /does not require grad/);
  t.equal(x.grad, null, 'nothing accumulated');
  const dd = td.mul(x, 2).sum();
  dd.dispose();
  t.throws(() => dd.backward(), /backward.*disposed/, 'backward on a disposed tensor');
  td.dispose([a, s, x, d]);
});

t.test('second backward through a freed graph', async (t) => {
  const x = f64([0.5, -1]);
  const y = td.sin(td.mul(x, x)).sum();
  y.backward();
  const g1 = flat(x.grad!);
  close(t, g1, [0.5, -1].map((v) => 2 * v * Math.cos(v * v)), 'first backward');
  t.throws(() => y.backward(), /already freed.*retainGraph/, 'second backward throws');
  close(t, flat(x.grad!), g1, 'the failed backward did not change .grad');
  x.zeroGrad();

  // a graph sharing a freed subgraph also throws
  const h = td.exp(x);
  const l1 = h.sum();
  l1.backward();
  const l2 = td.mul(h, 2).sum();
  t.throws(() => l2.backward(), /already freed/, 'a new graph through a freed node throws');
  x.zeroGrad();

  // with retainGraph the second pass works and accumulates
  const z = td.sin(td.mul(x, x)).sum();
  z.backward(null, { retainGraph: true });
  z.backward(null, { retainGraph: true });
  z.backward();
  close(t, flat(x.grad!), [0.5, -1].map((v) => 3 * 2 * v * Math.cos(v * v)), 'three passes accumulate');
  t.throws(() => z.backward(), /already freed/, 'freed after a pass without retainGraph');
  x.zeroGrad();
  td.dispose([x, y, h, l1, l2, z]);
});

t.test('requiresGrad_ and leaves', async (t) => {
  const x = td.zeros([2], { dtype: 'float64' });
  t.equal(x.requiresGrad, false);
  t.equal(x.requiresGrad_(), x, 'returns this');
  t.equal(x.requiresGrad, true);
  const y = td.mul(x, 2);
  t.equal(y.isLeaf, false);
  t.equal(y.requiresGrad, true);
  t.throws(() => y.requiresGrad_(false), /only leaf tensors/);
  x.requiresGrad_(false);
  t.equal(td.mul(x, 2).requiresGrad, false);
  t.throws(() => td.zeros([2], { dtype: 'int32' }).requiresGrad_(), TypeError);
  // non-leaf tensors do not keep .grad
  x.requiresGrad_();
  const h = td.mul(x, 3);
  td.square(h).sum().backward();
  t.equal(h.grad, null, 'intermediate tensors get no .grad');
  t.ok(x.grad);
  x.zeroGrad();
  td.dispose([x, y, h]);
});

t.test('2-layer MLP gradient vs manual central differences', async (t) => {
  const seed = 77;
  const X = td.randn([6, 3], { dtype: 'float64', seed });
  const Y = td.randn([6, 2], { dtype: 'float64', seed: seed + 1 });
  const params = {
    W1: td.randn([5, 3], { dtype: 'float64', seed: seed + 2 }).requiresGrad_(),
    b1: td.randn([5], { dtype: 'float64', seed: seed + 3 }).requiresGrad_(),
    W2: td.randn([2, 5], { dtype: 'float64', seed: seed + 4 }).requiresGrad_(),
    b2: td.randn([2], { dtype: 'float64', seed: seed + 5 }).requiresGrad_(),
  };
  type P = typeof params;
  const loss = (p: P) => td.mseLoss(td.linear(td.tanh(td.linear(X, p.W1, p.b1)), p.W2, p.b2), Y);

  const L = loss(params);
  L.backward();
  t.equal(L.shape.length, 0, 'scalar loss');

  // central differences, one parameter element at a time, with fresh tensors (no in-place writes)
  const eps = 1e-6;
  const names = Object.keys(params) as (keyof P)[];
  for (const name of names) {
    const p = params[name];
    const base = Float64Array.from(p.dataSync());
    const analytic = p.grad!.dataSync();
    const numeric = new Float64Array(base.length);
    for (let i = 0; i < base.length; i++) {
      const f = (delta: number) =>
        td.tidy(() =>
          td.noGrad(() => {
            const v = Float64Array.from(base);
            v[i] += delta;
            const q = { ...params, [name]: td.tensor(v, { shape: p.shape.slice() }) };
            return loss(q).item();
          }),
        );
      numeric[i] = (f(eps) - f(-eps)) / (2 * eps);
    }
    close(t, analytic, numeric, `d loss / d ${name} (${p.shape})`, 1e-6);
  }
  for (const p of Object.values(params)) {
    p.zeroGrad();
    p.dispose();
  }
  td.dispose([X, Y, L]);
});
