// memory.test.ts — deterministic memory: dispose, views sharing storage, tidy/keep, `using`,
// a 10,000-iteration training loop with flat memory, and async data().
import t from 'tap';
import * as td from '../lib/index';

type Tensor = td.Tensor;
const mem = () => td.memory();

t.test('dispose frees storage', async (t) => {
  const m0 = mem();
  const x = td.zeros([100]); // float32: 400 bytes
  const m1 = mem();
  t.equal(m1.storages, m0.storages + 1, 'one more storage');
  t.equal(m1.tensors, m0.tensors + 1, 'one more tensor');
  t.ok(m1.bytes >= m0.bytes + 400, `bytes grew by at least 400 (${m1.bytes - m0.bytes})`);
  const y = td.ones([10, 10], { dtype: 'float64' });
  t.ok(mem().bytes >= m1.bytes + 800, 'float64 [10,10] holds at least 800 bytes');
  x.dispose();
  t.ok(x.isDisposed);
  const m2 = mem();
  t.equal(m2.storages, m1.storages, 'x freed, y alive');
  t.equal(m2.tensors, m1.tensors);
  y.dispose();
  const m3 = mem();
  t.equal(m3.storages, m0.storages, 'storages back to baseline');
  t.equal(m3.bytes, m0.bytes, 'bytes back to baseline');
  t.equal(m3.tensors, m0.tensors, 'tensors back to baseline');
  t.ok(m1.bytes > m3.bytes, 'bytes went down');
});

t.test('double dispose is harmless', async (t) => {
  const m0 = mem();
  const x = td.randn([3, 3], { seed: 1 });
  const keepAlive = td.zeros([2]);
  x.dispose();
  const m1 = mem();
  t.doesNotThrow(() => x.dispose(), 'second dispose does not throw');
  t.doesNotThrow(() => td.dispose(x), 'td.dispose on a disposed tensor does not throw');
  t.doesNotThrow(() => x[Symbol.dispose](), 'Symbol.dispose on a disposed tensor does not throw');
  t.same(mem(), m1, 'counts unchanged by the extra disposes');
  t.equal(mem().tensors, m0.tensors + 1, 'only keepAlive remains');
  t.same(keepAlive.toArray(), [0, 0], 'other tensors unaffected');
  keepAlive.dispose();
  t.match(String(x), /disposed/, 'toString of a disposed tensor');
});

t.test('using a disposed tensor throws an Error naming the op', async (t) => {
  const x = td.tensor([1, 2, 3]);
  const y = td.tensor([4, 5, 6]);
  x.dispose();
  const cases: [string, () => unknown][] = [
    ['add', () => td.add(x, y)],
    ['add', () => td.add(y, x)],
    ['exp', () => td.exp(x)],
    ['sum', () => x.sum()],
    ['matmul', () => td.matmul(x, y)],
    ['reshape', () => x.reshape([3, 1])],
    ['transpose', () => x.transpose()],
    ['cat', () => td.cat([y, x])],
    ['softmax', () => td.softmax(x)],
    ['dataSync', () => x.dataSync()],
    ['item', () => x.item()],
    ['to', () => x.to('float64')],
    ['backward', () => x.backward()],
    ['where', () => td.where(x, y, y)],
  ];
  for (const [op, fn] of cases)
    t.throws(fn, { message: new RegExp(`^${op}\\b.*disposed`) }, `${op} on a disposed tensor`);
  t.throws(() => x.toArray(), /disposed/);
  await t.rejects(async () => x.data(), /data.*disposed/, 'data() on a disposed tensor rejects');
  t.throws(() => td.exp(x), Error);
  y.dispose();
});

t.test('views keep storage alive until all are disposed', async (t) => {
  const m0 = mem();
  const a = td.arange(12, undefined, 1, { dtype: 'float32' });
  const x = a.reshape([3, 4]); // a view of a's storage
  const m1 = mem();
  t.equal(m1.storages, m0.storages + 1, 'one storage for a tensor and its reshape view');
  t.equal(m1.tensors, m0.tensors + 2, 'two tensors');
  const v1 = x.transpose();
  const v2 = x.narrow(0, 1, 2);
  const v3 = v1.slice(0, 0, undefined, 2);
  t.equal(mem().storages, m1.storages, 'views allocate no storage');
  t.equal(mem().tensors, m1.tensors + 3, 'but count as tensors');
  a.dispose();
  x.dispose();
  t.equal(mem().storages, m1.storages, 'storage alive while views exist');
  t.equal(mem().bytes, m1.bytes);
  t.same(v2.toArray(), [[4, 5, 6, 7], [8, 9, 10, 11]], 'view still reads the data');
  v1.dispose();
  v2.dispose();
  t.equal(mem().storages, m1.storages, 'still alive through v3');
  t.same(v3.toArray(), [[0, 4, 8], [2, 6, 10]]);
  v3.dispose();
  t.equal(mem().storages, m0.storages, 'freed with the last view');
  t.equal(mem().bytes, m0.bytes);
  t.equal(mem().tensors, m0.tensors);

  const view = td.tidy(() => {
    const b = td.zeros([5]);
    return b.unsqueeze(0); // the view is returned; its base b is disposed by tidy
  });
  t.equal(mem().storages, m0.storages + 1, 'returned view keeps its base storage alive');
  t.equal(mem().tensors, m0.tensors + 1, 'the base tensor itself was disposed');
  t.same(view.toArray(), [[0, 0, 0, 0, 0]]);
  view.dispose();
  t.equal(mem().storages, m0.storages, 'freed with the last view');
});

t.test('tidy frees intermediates and keeps results', async (t) => {
  const m0 = mem();
  const x = td.randn([4, 4], { seed: 3 });
  const y = td.tidy(() => {
    const a = td.mul(x, 2);
    const b = td.exp(a);
    const c = td.sum(b, 1);
    return td.add(c, 1);
  });
  t.equal(mem().tensors, m0.tensors + 2, 'x and y alive, intermediates freed');
  t.equal(mem().storages, m0.storages + 2);
  t.ok(!y.isDisposed);
  t.equal(y.shape.length, 1);

  // arrays and objects of tensors
  const arr = td.tidy(() => [td.mul(x, 3), td.neg(td.exp(x)), 5]);
  t.equal(mem().tensors, m0.tensors + 4, 'array result: both tensors kept');
  const obj = td.tidy(() => ({ p: td.abs(td.neg(x)), q: { r: td.sqrt(td.abs(x)) }, s: 'str' }));
  t.equal(mem().tensors, m0.tensors + 6, 'object result: nested tensors kept');
  t.ok(!obj.p.isDisposed && !obj.q.r.isDisposed);
  t.equal(obj.s, 'str');
  const sp = td.tidy(() => td.split(td.mul(x, 1), 2)); // views of a temporary
  t.equal(sp.length, 2);
  t.same(sp[0].toArray(), td.tidy(() => x.narrow(0, 0, 2).toArray()), 'split views keep their (freed-by-tidy) base storage alive');
  const nonTensor = td.tidy(() => td.sum(td.mul(x, x)).item());
  t.type(nonTensor, 'number');
  t.equal(mem().tensors, m0.tensors + 8);

  // errors: everything created inside is disposed and the error propagates
  const before = mem();
  t.throws(() => td.tidy(() => {
    td.mul(x, 2);
    td.exp(x);
    throw new Error('inside tidy');
  }), /inside tidy/);
  t.same(mem(), before, 'nothing leaked from a throwing tidy');
  t.throws(() => td.tidy(null as never), TypeError);

  td.dispose([x, y, arr, obj, sp]);
  t.equal(mem().tensors, m0.tensors, 'all disposed');
  t.equal(mem().storages, m0.storages);
});

t.test('nested tidy', async (t) => {
  const m0 = mem();
  let inner: Tensor | null = null;
  let innerTemp: Tensor | null = null;
  const outer = td.tidy(() => {
    const a = td.ones([3]);
    inner = td.tidy(() => {
      innerTemp = td.mul(a, 5);
      return td.add(innerTemp, 1);
    });
    t.ok(innerTemp!.isDisposed, 'inner temporaries disposed when the inner tidy ends');
    t.ok(!inner!.isDisposed, 'inner result alive in the outer scope');
    const b = td.mul(inner!, 2);
    return b;
  });
  t.ok(inner!.isDisposed, 'inner result disposed by the outer tidy (not returned)');
  t.same(outer.toArray(), [12, 12, 12]);
  t.equal(mem().tensors, m0.tensors + 1);
  // inner result returned through both levels
  const both = td.tidy(() => td.tidy(() => td.tidy(() => td.full([2], 7))));
  t.same(both.toArray(), [7, 7]);
  t.equal(mem().tensors, m0.tensors + 2);
  td.dispose([outer, both]);
  t.equal(mem().tensors, m0.tensors);
  t.equal(mem().storages, m0.storages);
});

t.test('keep()', async (t) => {
  const m0 = mem();
  let kept: Tensor | null = null;
  let dropped: Tensor | null = null;
  const r = td.tidy(() => {
    kept = td.keep(td.full([2], 3));
    dropped = td.full([2], 4);
    td.tidy(() => {
      td.keep(td.full([1], 9)).dispose(); // kept then disposed explicitly
    });
    return 1;
  });
  t.equal(r, 1);
  t.ok(!kept!.isDisposed, 'kept tensor survives the tidy');
  t.ok(dropped!.isDisposed, 'other tensor disposed');
  t.same(kept!.toArray(), [3, 3]);
  // kept inside a nested tidy survives both levels
  let deep: Tensor | null = null;
  td.tidy(() => td.tidy(() => { deep = td.keep(td.zeros([1])); }));
  t.ok(!deep!.isDisposed);
  t.equal(mem().tensors, m0.tensors + 2);
  kept!.dispose();
  deep!.dispose();
  t.equal(mem().tensors, m0.tensors);
  t.equal(mem().storages, m0.storages);
});

t.test('`using` disposes at the end of the block', async (t) => {
  const m0 = mem();
  let seen: Tensor | null = null;
  {
    using x = td.zeros([4]);
    seen = x;
    t.equal(mem().tensors, m0.tensors + 1, 'alive inside the block');
    t.same(x.toArray(), [0, 0, 0, 0]);
  }
  t.ok(seen!.isDisposed, 'disposed at block exit');
  t.equal(mem().tensors, m0.tensors);
  t.equal(mem().storages, m0.storages);
  // also on a throw
  let y: Tensor | null = null;
  t.throws(() => {
    using z = td.ones([2]);
    y = z;
    throw new Error('exit early');
  }, /exit early/);
  t.ok(y!.isDisposed, 'disposed on an exception');
  // explicit Symbol.dispose
  const w = td.ones([3]);
  w[Symbol.dispose]();
  t.ok(w.isDisposed);
  t.equal(mem().storages, m0.storages);
});

t.test('10,000-iteration training loop keeps memory flat', async (t) => {
  const X = td.randn([8, 4], { seed: 11 });
  const Wtrue = td.randn([3, 4], { seed: 12 });
  const Y = td.tidy(() => td.relu(td.linear(X, Wtrue)));
  let W = td.randn([3, 4], { seed: 13 }).requiresGrad_();
  let b = td.zeros([3], { requiresGrad: true });
  const lr = 0.05;
  let at100: td.MemoryInfo | null = null;
  let firstLoss = NaN;
  let lastLoss = NaN;
  const N = 10_000;
  for (let it = 1; it <= N; it++) {
    const next = td.tidy(() => {
      const pred = td.relu(td.linear(X, W, b));
      const loss = td.mseLoss(pred, Y);
      loss.backward();
      const l = loss.item();
      const upd = td.noGrad(() => ({
        W: td.sub(W, td.mul(W.grad!, lr)).requiresGrad_(),
        b: td.sub(b, td.mul(b.grad!, lr)).requiresGrad_(),
      }));
      W.zeroGrad();
      b.zeroGrad();
      W.dispose();
      b.dispose();
      return { ...upd, l };
    });
    W = next.W;
    b = next.b;
    if (it === 1) firstLoss = next.l;
    lastLoss = next.l;
    if (it === 100) at100 = mem();
  }
  const atN = mem();
  t.ok(at100, 'sampled at iteration 100');
  t.equal(atN.tensors, at100!.tensors, `tensors flat: ${at100!.tensors} at 100, ${atN.tensors} at ${N}`);
  t.equal(atN.bytes, at100!.bytes, `bytes flat: ${at100!.bytes} at 100, ${atN.bytes} at ${N}`);
  t.equal(atN.storages, at100!.storages, 'storages flat');
  t.ok(Number.isFinite(lastLoss), 'loss finite');
  t.ok(lastLoss < firstLoss, `the model trained (loss ${firstLoss} -> ${lastLoss})`);
  t.ok(W.requiresGrad && W.isLeaf && W.grad === null, 'parameters are fresh leaves');
  td.dispose([X, Wtrue, Y, W, b]);
});

t.test('await x.data()', async (t) => {
  const x = td.tensor([1.5, 2.5, -3, 4], { dtype: 'float64' });
  let ticked = false;
  setImmediate(() => {
    ticked = true;
  });
  const p = x.data();
  t.ok(p instanceof Promise, 'data() returns a Promise');
  const v = await p;
  t.ok(v instanceof Float64Array, 'a Float64Array');
  t.same(Array.from(v), [1.5, 2.5, -3, 4], 'right values');
  // the event loop keeps turning while reads are pending (no ordering asserted)
  await new Promise<void>((r) => setImmediate(r));
  t.ok(ticked, 'setImmediate callbacks run alongside data()');

  // non-contiguous view
  const m = td.arange(6, undefined, 1, { dtype: 'int32' }).reshape([2, 3]);
  const mt = m.transpose();
  const tv = await mt.data();
  t.ok(tv instanceof Int32Array);
  t.same(Array.from(tv), [0, 3, 1, 4, 2, 5], 'transposed view read in logical order');
  const sl = m.slice(1, 1, undefined, 1);
  t.same(Array.from(await sl.data()), [1, 2, 4, 5], 'sliced view');

  // many reads in flight at once
  const parts = [td.full([1000], 1), td.full([1000], 2, { dtype: 'float64' }), td.full([3], 7, { dtype: 'int32' })];
  const all = await Promise.all(parts.map((p) => p.data()));
  const every = (a: ArrayLike<number>, v: number) => Array.from(a).every((e) => e === v);
  t.ok(every(all[0], 1) && every(all[1], 2) && every(all[2], 7), 'concurrent reads');
  td.dispose([x, m, mt, sl, parts]);
});

t.test('data() on a tensor disposed right after the call', async (t) => {
  const m0 = mem();
  const x = td.arange(100000, undefined, 1, { dtype: 'float64' });
  const p = x.data();
  x.dispose();
  t.ok(x.isDisposed);
  const v = await p;
  t.equal(v.length, 100000);
  let ok = true;
  for (let i = 0; i < v.length; i++) if (v[i] !== i) { ok = false; break; }
  t.ok(ok, 'values intact although the tensor was disposed');
  t.equal(mem().storages, m0.storages, 'storage freed once the read completed');
  t.equal(mem().tensors, m0.tensors);

  // a view disposed together with its base right after the call
  const base = td.randn([50, 40], { seed: 9 });
  const want = td.tidy(() => base.transpose().dataSync());
  const view = base.transpose();
  const q = view.data();
  view.dispose();
  base.dispose();
  t.same(Array.from(await q), Array.from(want), 'transposed view disposed right after data()');
  t.equal(mem().storages, m0.storages);

  // dispose inside a tidy right after starting the read
  let inner: Tensor | null = null;
  const r = td.tidy(() => {
    inner = td.full([16], 3);
    return { p: inner.data() };
  });
  t.ok(inner!.isDisposed, 'tidy disposed the tensor');
  t.same(Array.from(await r.p), new Array(16).fill(3), 'data() started inside tidy resolves after tidy disposed the tensor');
  t.equal(mem().storages, m0.storages);
});

t.test('emptyCache and cachedBytes', async (t) => {
  const x = td.zeros([4096]);
  x.dispose();
  t.ok(mem().cachedBytes >= 0);
  td.emptyCache();
  t.equal(mem().cachedBytes, 0, 'emptyCache returns idle buffers');
});

// last in the file: a leaked tensor would be collected by the FinalizationRegistry at a random time later
t.test('tidy(fn) where fn returns a Promise throws and leaks nothing', async (t) => {
  const x = td.ones([3]);
  const m0 = mem();
  t.throws(() => td.tidy((async () => td.mul(x, 2)) as never), { name: 'TypeError', message: /tidy: fn must be synchronous/ });
  t.equal(mem().tensors, m0.tensors, 'the tensor created before the first await is disposed');
  t.equal(mem().storages, m0.storages);
  x.dispose();
});
