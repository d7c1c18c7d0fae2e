// ops.test.ts — every op of the engine core on CUDA, compared with the CPU result for the same inputs
// and seed: creation and transfers, elementwise (strided and broadcast), reductions, softmax family,
// indexing, matmul, conv/pool, and autograd through them. Skipped with the reason where CUDA is not
// usable (see helpers.ts).
import * as td from '../../lib/index';
import { close } from '../helpers/check';
import { both, cudaTest, input, vals } from './helpers';

cudaTest('creation on cuda and transfers', (t) => {
  const x = td.tensor([[1, 2, 3], [4, 5, 6]], { device: 'cuda' });
  t.equal(x.device, 'cuda', 'tensor() on cuda');
  t.same(x.toArray(), [[1, 2, 3], [4, 5, 6]], 'round trip through the GPU');
  const y = x.to('cpu');
  t.equal(y.device, 'cpu', "to('cpu')");
  t.same(y.toArray(), [[1, 2, 3], [4, 5, 6]], 'values survive to cpu');
  t.equal(x.to('cuda'), x, "to('cuda') of a cuda tensor is itself");
  const tr = td.transpose(y, 0, 1).to('cuda');
  t.same(tr.toArray(), [[1, 4], [2, 5], [3, 6]], 'a non-contiguous view moves in logical order');
  for (const dt of ['float32', 'float64', 'int32'] as const) {
    both(t, `zeros ${dt}`, (d) => td.zeros([3, 4], { dtype: dt, device: d }), 0, 0);
    both(t, `full ${dt}`, (d) => td.full([5], 2.5, { dtype: dt, device: d }), 0, 0);
    both(t, `arange ${dt}`, (d) => td.arange(0, 37, 3, { dtype: dt, device: d }), 0, 0);
  }
  both(t, 'linspace', (d) => td.linspace(-1, 1, 101, { device: d }), 0, 0);
  both(t, 'eye', (d) => td.eye(5, 7, { device: d }), 0, 0);
  both(t, 'zerosLike keeps the device', (d) => td.onesLike(td.zeros([2, 2], { device: d })), 0, 0);
  for (const n of [1, 3, 4, 5, 1000, 4097]) {
    both(t, `rand [${n}] same numbers`, (d) => td.rand([n], { seed: 42, device: d }), 0, 0);
    both(t, `randint [${n}] same numbers`, (d) => td.randint(-5, 100, [n], { seed: 43, device: d }), 0, 0);
    both(t, `rand f64 [${n}] same numbers`, (d) => td.rand([n], { seed: 44, dtype: 'float64', device: d }), 0, 0);
    // normal samples: only the device logf/sinf/cosf may differ from the host's in the last bits
    both(t, `randn [${n}]`, (d) => td.randn([n], { seed: 45, device: d }), 2e-6, 2e-6);
    both(t, `randn f64 [${n}]`, (d) => td.randn([n], { seed: 46, dtype: 'float64', device: d }), 1e-14, 1e-14);
  }
  td.dispose([x, y, tr]);
});

cudaTest('mixing devices is a clear error, never a copy', (t) => {
  const a = td.ones([2, 3]);
  const b = td.ones([2, 3], { device: 'cuda' });
  for (const [name, fn] of [
    ['add', () => td.add(a, b)],
    ['matmul', () => td.matmul(a, td.transpose(b, 0, 1))],
    ['where', () => td.where(td.gt(a, 0), a, b)],
    ['cat', () => td.cat([a, b])],
  ] as const) {
    try {
      fn();
      t.fail(`${name}: did not throw`);
    } catch (e) {
      t.ok(e instanceof TypeError, `${name}: TypeError`);
      t.match((e as Error).message, /different devices/, `${name}: says the devices differ`);
      t.match((e as Error).message, /cpu/, `${name}: names cpu`);
      t.match((e as Error).message, /cuda/, `${name}: names cuda`);
    }
  }
  td.dispose([a, b]);
});

const UNARY: [string, (x: td.Tensor) => td.Tensor, number][] = [
  ['neg', td.neg, 0], ['exp', td.exp, 2e-6], ['expm1', td.expm1, 2e-6], ['log(|x|)', (x) => td.log(td.abs(x)), 2e-6],
  ['log1p(|x|)', (x) => td.log1p(td.abs(x)), 2e-6], ['sqrt(|x|)', (x) => td.sqrt(td.abs(x)), 1e-6],
  ['rsqrt(|x|)', (x) => td.rsqrt(td.abs(x)), 1e-6], ['abs', td.abs, 0], ['sign', td.sign, 0], ['square', td.square, 0],
  ['reciprocal', td.reciprocal, 1e-6], ['sin', td.sin, 2e-6], ['cos', td.cos, 2e-6], ['tanh', td.tanh, 2e-6],
  ['sigmoid', td.sigmoid, 2e-6], ['relu', td.relu, 0], ['gelu', (x) => td.gelu(x), 2e-6], ['silu', td.silu, 2e-6],
  ['softplus', td.softplus, 2e-6], ['erf', td.erf, 2e-6], ['clamp', (x) => td.clamp(x, -0.5, 0.7), 0],
  ['x + 2', (x) => td.add(x, 2), 0], ['3 - x', (x) => td.sub(3, x), 0], ['x * 1.5', (x) => td.mul(x, 1.5), 0],
  ['2 / x', (x) => td.div(2, x), 1e-6], ['|x| ** 1.7', (x) => td.pow(td.abs(x), 1.7), 2e-6], ['x > 0.1', (x) => td.gt(x, 0.1), 0],
  ['x == 0', (x) => td.eq(x, 0), 0],
];

cudaTest('unary ops (contiguous and strided)', (t) => {
  for (const [name, f, tol] of UNARY) {
    both(t, name, (d) => f(input(d, [33, 65], 1)), tol, tol);
    both(t, `${name} of a transposed view`, (d) => f(td.transpose(input(d, [17, 9, 5], 2), 0, 2)), tol, tol);
    both(t, `${name} f64`, (d) => f(input(d, [257], 3, 'float64')), 1e-13, 1e-13);
  }
});

cudaTest('binary ops with broadcasting, int32 and comparisons', (t) => {
  const ops: [string, (a: td.Tensor, b: td.Tensor) => td.Tensor, number][] = [
    ['add', td.add, 0], ['sub', td.sub, 0], ['mul', td.mul, 0], ['div', td.div, 1e-6], ['maximum', td.maximum, 0],
    ['minimum', td.minimum, 0], ['pow', (a, b) => td.pow(td.abs(a), b), 2e-6], ['gt', td.gt, 0], ['le', td.le, 0], ['ne', td.ne, 0],
  ];
  for (const [name, f, tol] of ops) {
    both(t, `${name} same shape`, (d) => f(input(d, [64, 33], 4), input(d, [64, 33], 5)), tol, tol);
    both(t, `${name} row broadcast`, (d) => f(input(d, [64, 33], 4), input(d, [33], 6)), tol, tol);
    both(t, `${name} outer broadcast`, (d) => f(input(d, [64, 1], 4), input(d, [1, 33], 7)), tol, tol);
    both(t, `${name} strided`, (d) => f(td.slice(input(d, [64, 66], 8), 1, 0, 66, 2), td.transpose(input(d, [33, 64], 9), 0, 1)), tol, tol);
  }
  for (const [name, f] of [['add', td.add], ['sub', td.sub], ['mul', td.mul], ['maximum', td.maximum]] as const)
    both(t, `int32 ${name}`, (d) => f(td.randint(-1000, 1000, [300], { seed: 10, device: d }), td.randint(-1000, 1000, [300], { seed: 11, device: d })), 0, 0);
  both(t, 'int32 wraps like the CPU', (d) => td.mul(td.full([4], 2 ** 20, { dtype: 'int32', device: d }), td.full([4], 2 ** 15, { dtype: 'int32', device: d })), 0, 0);
  both(t, 'where', (d) => td.where(td.gt(input(d, [40, 3], 12), 0), input(d, [40, 3], 13), input(d, [3], 14)), 0, 0);
  both(t, 'cast f32 -> int32 -> f64', (d) => td.cast(td.cast(td.mul(input(d, [100], 15), 100), 'int32'), 'float64'), 0, 0);
});

cudaTest('reductions, small and large (two-pass)', (t) => {
  const shapes: [number[], number[] | undefined][] = [
    [[7, 5, 3], [2]], [[7, 5, 3], [0]], [[7, 5, 3], [0, 2]], [[7, 5, 3], undefined], [[3, 200000], [1]], [[3000000], undefined],
    [[1000, 20], [1]], [[20, 1000], [0]], [[300, 5000], [0]], [[4, 64, 4096], [0, 1]],
  ];
  for (const [shape, dims] of shapes) {
    const tag = `${JSON.stringify(shape)} dims ${JSON.stringify(dims)}`;
    both(t, `sum ${tag}`, (d) => td.sum(input(d, shape, 20), dims), 1e-5, 1e-4);
    both(t, `mean ${tag}`, (d) => td.mean(input(d, shape, 21), dims), 1e-5, 1e-6);
    both(t, `amax ${tag}`, (d) => td.amax(input(d, shape, 22), dims), 0, 0);
    both(t, `amin ${tag}`, (d) => td.amin(input(d, shape, 23), dims), 0, 0);
    if (dims && dims.length === 1) {
      both(t, `argmax ${tag}`, (d) => td.argmax(input(d, shape, 24), dims[0]), 0, 0);
      both(t, `argmin ${tag}`, (d) => td.argmin(input(d, shape, 25), dims[0]), 0, 0);
    }
  }
  both(t, 'prod', (d) => td.prod(td.add(td.mul(input(d, [6, 40], 26), 0.1), 1), 1), 1e-5, 1e-6);
  both(t, 'sum of a transposed view', (d) => td.sum(td.transpose(input(d, [300, 70], 27), 0, 1), 1), 1e-5, 1e-4);
  both(t, 'int32 sum', (d) => td.sum(td.randint(-100, 100, [5, 999], { seed: 28, device: d }), 1), 0, 0);
  both(t, 'argmax ties take the first', (d) => td.argmax(td.tensor([[1, 3, 3, 2], [0, 0, 0, 0]], { device: d }), 1), 0, 0);
  both(t, 'var / std / logsumexp / norm', (d) => {
    const x = input(d, [16, 300], 29);
    return [td.var(x, 1), td.std(x, 1), td.logsumexp(x, 1), td.norm(x)];
  }, 1e-5, 1e-5);
});

cudaTest('softmax, logSoftmax, layerNorm, crossEntropy', (t) => {
  for (const shape of [[4, 7], [64, 1000], [3, 100000]]) {
    both(t, `softmax ${JSON.stringify(shape)}`, (d) => td.softmax(input(d, shape, 30)), 1e-5, 1e-7);
    both(t, `logSoftmax ${JSON.stringify(shape)}`, (d) => td.logSoftmax(input(d, shape, 31)), 1e-5, 1e-5);
  }
  both(t, 'softmax over dim 0', (d) => td.softmax(input(d, [50, 6], 32), 0), 1e-5, 1e-7);
  both(t, 'layerNorm', (d) => td.layerNorm(input(d, [8, 16, 64], 33), [64], input(d, [64], 34), input(d, [64], 35)), 1e-4, 1e-5);
  both(t, 'crossEntropy', (d) => td.crossEntropy(input(d, [32, 10], 36), td.randint(0, 10, [32], { seed: 37, device: d })), 1e-5, 1e-6);
});

cudaTest('gather, scatterAdd, indexSelect, cat, oneHot', (t) => {
  both(t, 'gather', (d) => td.gather(input(d, [6, 9], 40), 1, td.randint(0, 9, [6, 4], { seed: 41, device: d })), 0, 0);
  both(t, 'indexSelect', (d) => td.indexSelect(input(d, [10, 5], 42), 0, td.tensor([3, 3, 0, 9], { dtype: 'int32', device: d })), 0, 0);
  both(t, 'scatterAdd', (d) => td.scatterAdd(td.zeros([5, 4], { device: d }), 0, td.randint(0, 5, [30, 4], { seed: 43, device: d }), input(d, [30, 4], 44)), 1e-5, 1e-6);
  both(t, 'cat', (d) => td.cat([input(d, [2, 3], 45), input(d, [4, 3], 46)], 0), 0, 0);
  both(t, 'oneHot', (d) => td.oneHot(td.tensor([0, 2, 1], { dtype: 'int32', device: d }), 4), 0, 0);
  const x = td.zeros([3], { device: 'cuda' });
  try {
    td.gather(x, 0, td.tensor([5], { dtype: 'int32', device: 'cuda' }));
    t.fail('a bad index did not throw');
  } catch (e) {
    t.ok(e instanceof RangeError, 'a bad index is a RangeError');
    t.match((e as Error).message, /index 5 is out of range/, 'naming the index');
  }
  t.same(vals(td.add(x, 1)), [1, 1, 1], 'the process and the device go on after it');
  x.dispose();
});

cudaTest('matmul (own tiled kernel), float32 and float64', (t) => {
  for (const [m, k, n] of [[1, 1, 1], [3, 5, 7], [64, 64, 64], [65, 129, 33], [512, 256, 384]]) {
    both(t, `matmul ${m}x${k}x${n}`, (d) => td.matmul(input(d, [m, k], 50), input(d, [k, n], 51)), 1e-4, 1e-4);
    both(t, `matmul f64 ${m}x${k}x${n}`, (d) => td.matmul(input(d, [m, k], 52, 'float64'), input(d, [k, n], 53, 'float64')), 1e-12, 1e-12);
  }
  both(t, 'matmul of transposed views', (d) => td.matmul(td.transpose(input(d, [40, 30], 54), 0, 1), td.transpose(input(d, [20, 40], 55), 0, 1)), 1e-4, 1e-4);
  both(t, 'batched matmul with a broadcast operand', (d) => td.matmul(input(d, [4, 3, 16, 8], 56), input(d, [8, 12], 57)), 1e-4, 1e-4);
  both(t, 'bmm', (d) => td.bmm(input(d, [5, 7, 9], 58), input(d, [5, 9, 2], 59)), 1e-4, 1e-4);
  both(t, 'linear', (d) => td.linear(input(d, [10, 6], 60), input(d, [4, 6], 61), input(d, [4], 62)), 1e-4, 1e-5);
});

cudaTest('conv2d and pooling', (t) => {
  both(t, 'conv2d', (d) => td.conv2d(input(d, [2, 3, 12, 12], 70), input(d, [5, 3, 3, 3], 71), input(d, [5], 72), { padding: 1, stride: 2 }), 1e-4, 1e-5);
  both(t, 'avgPool2d', (d) => td.avgPool2d(input(d, [2, 3, 8, 8], 73), 2), 1e-6, 1e-6);
  both(t, 'upsampleNearest2d', (d) => td.upsampleNearest2d(input(d, [1, 2, 4, 4], 74), 2), 0, 0);
});

cudaTest('autograd on cuda matches the CPU', (t) => {
  both(t, 'MLP gradients', (d) => {
    const x = input(d, [16, 8], 80);
    const w1 = input(d, [8, 32], 81).requiresGrad_();
    const b1 = input(d, [32], 82).requiresGrad_();
    const w2 = input(d, [32, 4], 83).requiresGrad_();
    const y = td.matmul(td.gelu(td.add(td.matmul(x, w1), b1)), w2);
    const loss = td.crossEntropy(y, td.randint(0, 4, [16], { seed: 84, device: d }));
    loss.backward();
    return [loss, w1.grad!, b1.grad!, w2.grad!];
  }, 1e-4, 1e-5);
  both(t, "to() carries the gradient back", (d) => {
    const x = input('cpu', [5], 85).requiresGrad_();
    const y = td.sum(td.square(x.to(d)));
    y.backward();
    t.equal(x.grad!.device, 'cpu', 'the leaf gradient is on the leaf device');
    return [y, x.grad!.to(d)];
  }, 1e-6, 1e-6);
  const x = input('cuda', [3, 3], 86);
  const r = td.conv2d(td.reshape(x, [1, 1, 3, 3]), td.ones([1, 1, 2, 2], { device: 'cuda' }));
  close(t, vals(r), vals(td.conv2d(td.reshape(x.to('cpu'), [1, 1, 3, 3]), td.ones([1, 1, 2, 2]))), 1e-5, 1e-6, 'conv of a moved tensor');
});

cudaTest('await data() synchronises off the main thread', async (t) => {
  const x = td.randn([1 << 20], { seed: 90, device: 'cuda' });
  const y = td.mul(x, 2);
  const got = await y.data();
  const want = td.mul(td.randn([1 << 20], { seed: 90 }), 2).dataSync();
  close(t, got, want, 2e-6, 2e-6, 'await data() of a cuda tensor');
  td.dispose([x, y]);
});
