// device.test.ts — the device API on any machine (test/cuda/ holds the GPU comparisons): the Device
// names, td.cuda.* without a GPU, creation and to() asking for 'cuda' where it cannot be used (an Error
// with the probe's reason), and the one device check of the ops (a TypeError naming the op, the
// shapes and the devices), exercised with a tensor labelled 'cuda' over host memory.
import t from 'tap';
import * as td from '../lib/index';
import { Storage } from '../lib/memory';
import { native } from '../lib/native';
import { Tensor } from '../lib/tensor';
import { throwsKind } from './helpers/check';

t.test('td.cuda reports availability and memory', async (t) => {
  const info = td.backend.info().cuda;
  t.equal(td.cuda.isAvailable(), info.available, 'isAvailable agrees with backend.info');
  t.equal(td.cuda.deviceCount(), info.deviceCount, 'deviceCount');
  if (!info.available) t.ok(td.cuda.reason().length > 0, `reason: ${td.cuda.reason()}`);
  const m = td.cuda.memory();
  for (const k of ['storages', 'bytes', 'reservedBytes', 'inUseBytes', 'cachedBytes'] as const) t.type(m[k], 'number', k);
  t.same(td.memory().cuda, m, 'td.memory().cuda is the same record');
  td.cuda.emptyCache();
  td.cuda.synchronize();
  t.pass('emptyCache and synchronize are safe without a GPU');
});

t.test("'cuda' where it cannot be used", { skip: td.cuda.isAvailable() ? 'a GPU is present' : false }, async (t) => {
  const re = /not available/;
  for (const [name, fn] of [
    ['zeros', () => td.zeros([2], { device: 'cuda' })],
    ['rand', () => td.rand([2], { device: 'cuda:0' })],
    ['linspace', () => td.linspace(0, 1, 3, { device: 'cuda' })],
    ['eye', () => td.eye(2, 2, { device: 'cuda' })],
  ] as const) {
    try {
      fn();
      t.fail(`${name}: did not throw`);
    } catch (e) {
      t.ok(e instanceof Error, `${name}: Error`);
      t.match((e as Error).message, re, `${name}: ${(e as Error).message}`);
      t.match((e as Error).message, new RegExp(td.cuda.reason().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), `${name}: gives the reason`);
    }
  }
  const x = td.ones([3]);
  throwsKind(t, () => x.to('cuda'), Error, "to('cuda')");
  throwsKind(t, () => x.to('cuda:1' as never), Error, "to('cuda:1')");
  throwsKind(t, () => x.to('tpu' as never), TypeError, "to('tpu') is neither a dtype nor a device");
  t.equal(x.to('cpu'), x, "to('cpu') is a no-op");
  t.equal(x.to('float32'), x, 'to(its dtype) is a no-op');
  x.dispose();
});

// Without a GPU only: a fake 'cuda' tensor must never reach a real CUDA kernel (test/cuda/ covers that).
t.test('ops refuse tensors on different devices, naming op, shapes and devices', { skip: td.cuda.isAvailable() ? 'a GPU is present: test/cuda/ops.test.ts checks this with real tensors' : false }, async (t) => {
  // A tensor labelled 'cuda' over host memory: the TypeScript check must fire before the addon is called.
  const fake = new Tensor(new Storage(native.alloc(0, 6), 6, 'float32', 'cuda'), [2, 3], [3, 1], 0);
  const a = td.ones([2, 3]);
  t.equal(fake.device, 'cuda');
  const cases: [string, () => unknown][] = [
    ['add', () => td.add(a, fake)],
    ['mul', () => td.mul(fake, a)],
    ['where', () => td.where(td.gt(a, 0), a, fake)],
    ['matmul', () => td.matmul(a, td.transpose(fake, 0, 1))],
    ['cat', () => td.cat([a, fake])],
    ['gather', () => td.gather(fake, 1, td.zeros([2, 1], { dtype: 'int32' }))],
  ];
  for (const [name, fn] of cases) {
    try {
      fn();
      t.fail(`${name}: did not throw`);
    } catch (e) {
      t.ok(e instanceof TypeError, `${name}: TypeError (${(e as Error).message})`);
      t.match((e as Error).message, new RegExp(`^${name}: tensors are on different devices`), `${name}: names the op`);
      t.match((e as Error).message, /\[\d+(, \d+)*\] on cpu/, `${name}: names the cpu tensor's shape and device`);
      t.match((e as Error).message, /on cuda/, `${name}: names the cuda device`);
    }
  }
  // An op's output goes to its input's device: here that is a GPU allocation, which fails with the reason.
  throwsKind(t, () => td.neg(fake), Error, 'neg of a cuda tensor allocates its output on cuda');
  td.dispose([a, fake]);
});
