// memory.test.ts — the CUDA caching allocator and its errors: memory() counters, emptyCache(), reuse of
// freed blocks, and out-of-memory as a catchable error after which the process goes on (allocate until
// it fails, catch, free, allocate again). Skipped with the reason where CUDA is not usable.
import * as td from '../../lib/index';
import { cudaTest, vals } from './helpers';

cudaTest('memory() follows GPU storages; emptyCache returns idle blocks', (t) => {
  td.cuda.emptyCache();
  const m0 = td.cuda.memory();
  const x = td.zeros([1 << 20], { device: 'cuda' });
  const m1 = td.cuda.memory();
  t.equal(m1.storages, m0.storages + 1, 'one more GPU storage');
  t.equal(m1.bytes - m0.bytes, 4 << 20, 'its bytes');
  t.ok(m1.inUseBytes >= m0.inUseBytes + (4 << 20), 'in use grows by at least the request');
  x.dispose();
  const m2 = td.cuda.memory();
  t.equal(m2.storages, m0.storages, 'freed');
  t.ok(m2.cachedBytes >= 4 << 20, 'the block stays cached');
  const y = td.zeros([1 << 20], { device: 'cuda' });
  t.equal(td.cuda.memory().reservedBytes, m2.reservedBytes, 'and is reused without a new cudaMalloc');
  y.dispose();
  td.cuda.emptyCache();
  t.equal(td.cuda.memory().cachedBytes, 0, 'emptyCache leaves nothing cached');
  t.equal(td.memory().storages, td.memory().storages, 'host counters unaffected');
});

cudaTest('out of memory is a catchable error; the process goes on', (t) => {
  const held: td.Tensor[] = [];
  let err: unknown = null;
  const chunk = 1 << 30; // 4 GiB of float32 per tensor
  for (let i = 0; i < 1024 && !err; i++) {
    try {
      held.push(td.zeros([chunk], { device: 'cuda' }));
    } catch (e) {
      err = e;
    }
  }
  t.ok(err instanceof Error, `allocation failed after ${held.length} x 4 GiB`);
  t.match((err as Error).message, /out of memory/i, 'the error says out of memory');
  td.dispose(held);
  td.cuda.emptyCache();
  const z = td.ones([1 << 20], { device: 'cuda' });
  t.equal(vals(td.sum(z))[0], 1 << 20, 'allocating and computing work again');
  z.dispose();
});

cudaTest('an unusable device index is an Error, and the process goes on', (t) => {
  const x = td.zeros([1], { device: 'cuda' });
  try {
    x.to('cuda:3' as never);
    t.fail('cuda:3 did not throw');
  } catch (e) {
    t.ok(e instanceof Error, `cuda:3: ${(e as Error).message}`);
  }
  t.same(vals(td.add(x, 1)), [1], 'the process and the device go on');
  x.dispose();
});
