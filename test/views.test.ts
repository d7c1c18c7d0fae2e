// views.test.ts — reshape / view / transpose / permute / expand / squeeze / unsqueeze / flatten / narrow /
// slice give the right values AND share storage (no new native storage); contiguous() copies only when
// needed; clone / detach; reading views back (toArray, dataSync, item, data()).
import t from 'tap';
import * as td from '../lib/index';
import { type Test, throwsKind, arr, range } from './helpers/check';

/** [2,3,4] float32 with values 0..23. */
const base = () => td.tensor(range(24), { shape: [2, 3, 4] });

/**
 * Runs make() and checks it made no new native storage and that its result shares x's storage.
 * Returns the view.
 */
function zeroCopy(tt: Test, x: td.Tensor, make: () => td.Tensor, what: string): td.Tensor {
  const before = td.memory();
  const y = make();
  const after = td.memory();
  tt.ok(after.storages <= before.storages, `${what}: no new storage (${before.storages} -> ${after.storages})`);
  tt.ok(after.bytes <= before.bytes, `${what}: no new bytes`);
  tt.equal(y._storage, x._storage, `${what}: shares the input's storage`);
  return y;
}

/** Row-major values of x[i0][i1][i2] for a logical index function. */
function gen(shape: number[], f: (...idx: number[]) => number): number[] {
  const out: number[] = [];
  const rec = (d: number, idx: number[]) => {
    if (d === shape.length) { out.push(f(...idx)); return; }
    for (let i = 0; i < shape[d]; i++) rec(d + 1, [...idx, i]);
  };
  rec(0, []);
  return out;
}
const at = (i: number, j: number, k: number) => i * 12 + j * 4 + k; // value of base()[i][j][k]

t.test('reshape', async (t) => {
  const x = base();
  const y = zeroCopy(t, x, () => x.reshape([4, 6]), 'reshape [4,6]');
  t.same(y.shape, [4, 6]);
  t.same(arr(y), range(24));
  t.ok(y.isContiguous());
  const z = zeroCopy(t, x, () => td.reshape(x, [-1, 8]), 'reshape [-1,8]');
  t.same(z.shape, [3, 8], '-1 is inferred');
  const w = zeroCopy(t, x, () => x.reshape([2, -1, 2]), 'reshape [2,-1,2]');
  t.same(w.shape, [2, 6, 2]);
  t.same(w.toArray(), [[[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10, 11]], [[12, 13], [14, 15], [16, 17], [18, 19], [20, 21], [22, 23]]]);
  const flat = zeroCopy(t, x, () => x.reshape([-1]), 'reshape [-1]');
  t.same(flat.shape, [24]);
  const s = td.tensor([5]).reshape([]);
  t.same(s.shape, []);
  t.equal(s.item(), 5);
  t.same(td.zeros([0, 4]).reshape([-1, 2]).shape, [0, 2], 'reshape of empty with -1');
  // reshape of a contiguous view with an offset keeps the offset and stays zero-copy
  const rows = x.narrow(0, 1, 1); // [1,3,4], values 12..23, offset 12
  t.ok(rows.isContiguous());
  const r2 = zeroCopy(t, x, () => rows.reshape([6, 2]), 'reshape of a narrowed (offset) view');
  t.same(arr(r2), range(12).map((v) => v + 12));
  // reshape of a non-contiguous tensor copies and gives the logical order
  const tr = x.transpose(1, 2); // [2,4,3]
  const before = td.memory().storages;
  const c = tr.reshape([8, 3]);
  t.not(c._storage, x._storage, 'reshape of a transposed tensor copies');
  t.equal(td.memory().storages, before + 1, 'reshape of a transposed tensor makes one new storage');
  t.same(arr(c), gen([2, 4, 3], (i, k, j) => at(i, j, k)));
  throwsKind(t, () => x.reshape([5, 5]), RangeError, 'wrong element count');
  throwsKind(t, () => x.reshape([-1, -1]), RangeError, 'two -1');
  throwsKind(t, () => x.reshape([-1, 5]), RangeError, '-1 that does not divide');
  throwsKind(t, () => x.reshape([-2, -12]), RangeError, 'negative dims');
  throwsKind(t, () => x.reshape(24 as unknown as number[]), TypeError, 'shape not an array');
  td.dispose([x, c]);
});

t.test('view', async (t) => {
  const x = base();
  const v = zeroCopy(t, x, () => x.view([6, 4]), 'view [6,4]');
  t.same(v.shape, [6, 4]);
  t.same(arr(v), range(24));
  const v2 = zeroCopy(t, x, () => td.view(x, [2, -1]), 'view [2,-1]');
  t.same(v2.shape, [2, 12]);
  const off = zeroCopy(t, x, () => x.narrow(0, 1, 1).view([3, 4]), 'view of a contiguous view with an offset');
  t.same(arr(off), range(12).map((i) => i + 12));
  // a size-1 dim with any stride does not break contiguity
  const u = x.narrow(1, 2, 1).narrow(0, 1, 1); // [1,1,4], offset 20
  t.ok(u.isContiguous());
  t.same(arr(zeroCopy(t, x, () => u.view([4]), 'view of [1,1,4] with odd strides')), [20, 21, 22, 23]);
  throwsKind(t, () => x.transpose().view([24]), RangeError, 'view of a transposed tensor');
  throwsKind(t, () => x.slice(2, 0, 4, 2).view([12]), RangeError, 'view of a stepped slice');
  throwsKind(t, () => x.narrow(2, 1, 2).view([12]), RangeError, 'view of a narrowed inner dim');
  throwsKind(t, () => x.view([5, 5]), RangeError, 'view with the wrong element count');
  // reshape does what view refuses
  t.same(arr(x.narrow(1, 2, 1).reshape([2, 4])), [8, 9, 10, 11, 20, 21, 22, 23]);
  x.dispose();
});

t.test('transpose and permute', async (t) => {
  const x = base();
  const y = zeroCopy(t, x, () => x.transpose(), 'transpose()');
  t.same(y.shape, [2, 4, 3], 'transpose() swaps the last two dims');
  t.same(y.strides, [12, 1, 4]);
  t.notOk(y.isContiguous());
  t.same(arr(y), gen([2, 4, 3], (i, k, j) => at(i, j, k)));
  const z = zeroCopy(t, x, () => td.transpose(x, 0, 2), 'transpose(0, 2)');
  t.same(z.shape, [4, 3, 2]);
  t.same(arr(z), gen([4, 3, 2], (k, j, i) => at(i, j, k)));
  const zn = x.transpose(-1, -3);
  t.same(arr(zn), arr(z), 'negative dims');
  const back = z.transpose(0, 2);
  t.same(arr(back), range(24), 'transposing twice restores the order');
  t.ok(back.isContiguous());
  const p = zeroCopy(t, x, () => x.permute([1, 2, 0]), 'permute [1,2,0]');
  t.same(p.shape, [3, 4, 2]);
  t.same(arr(p), gen([3, 4, 2], (j, k, i) => at(i, j, k)));
  const pn = td.permute(x, [-1, 0, 1]);
  t.same(pn.shape, [4, 2, 3]);
  t.same(arr(pn), gen([4, 2, 3], (k, i, j) => at(i, j, k)));
  const pp = p.permute([2, 0, 1]); // inverse of [1,2,0]
  t.same(arr(pp), range(24));
  const v = td.tensor([1, 2, 3]);
  t.same(v.transpose().shape, [3], 'transpose() of 1-D is itself');
  t.same(arr(v.transpose()), [1, 2, 3]);
  const m = td.tensor([[1, 2, 3], [4, 5, 6]]);
  t.same(m.transpose().toArray(), [[1, 4], [2, 5], [3, 6]]);
  t.same(m.transpose(0, 0).toArray(), [[1, 2, 3], [4, 5, 6]], 'transpose(d, d) is the identity');
  throwsKind(t, () => x.permute([0, 1]), RangeError, 'permute with too few dims');
  throwsKind(t, () => x.permute([0, 1, 1]), RangeError, 'permute repeating a dim');
  throwsKind(t, () => x.permute([0, 1, 3]), RangeError, 'permute dim out of range');
  throwsKind(t, () => x.transpose(0, 3), RangeError, 'transpose dim out of range');
  x.dispose();
});

t.test('expand and broadcastTo', async (t) => {
  const x = td.tensor([[1], [2], [3]]); // [3,1]
  const e = zeroCopy(t, x, () => x.expand([3, 4]), 'expand [3,4]');
  t.same(e.shape, [3, 4]);
  t.same(e.strides, [1, 0], 'expanded dim has stride 0');
  t.same(e.toArray(), [[1, 1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3]]);
  const e2 = zeroCopy(t, x, () => td.expand(x, [2, -1, 2]), 'expand [2,-1,2]');
  t.same(e2.shape, [2, 3, 2]);
  t.same(e2.toArray(), [[[1, 1], [2, 2], [3, 3]], [[1, 1], [2, 2], [3, 3]]]);
  t.equal(x.expand([3, 1]), x, 'expand to the same shape returns the input');
  const s = td.tensor(7);
  const se = zeroCopy(t, s, () => s.expand([2, 3]), 'expand a 0-d tensor');
  t.same(se.toArray(), [[7, 7, 7], [7, 7, 7]]);
  const b = zeroCopy(t, x, () => td.broadcastTo(x, [2, 3, 5]), 'broadcastTo');
  t.same(b.shape, [2, 3, 5]);
  t.same(arr(b), gen([2, 3, 5], (_i, j) => j + 1));
  // expand of a transposed tensor
  const m = td.tensor([[1, 2], [3, 4]]).transpose().unsqueeze(0); // [1,2,2] = [[[1,3],[2,4]]]
  t.same(m.expand([2, 2, 2]).toArray(), [[[1, 3], [2, 4]], [[1, 3], [2, 4]]]);
  // a contiguous copy of an expanded tensor
  const c = e.contiguous();
  t.ok(c.isContiguous());
  t.not(c._storage, x._storage);
  t.same(arr(c), [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
  throwsKind(t, () => x.expand([3, 4, 5]), RangeError, 'expand [3,1] to [3,4,5]');
  throwsKind(t, () => x.expand([4]), RangeError, 'expand to fewer dims');
  throwsKind(t, () => x.expand([6, 1]), RangeError, 'expand a non-1 dim');
  x.dispose();
});

t.test('squeeze and unsqueeze', async (t) => {
  const x = td.tensor(range(6), { shape: [1, 2, 1, 3] });
  const s = zeroCopy(t, x, () => x.squeeze(), 'squeeze()');
  t.same(s.shape, [2, 3]);
  t.same(arr(s), range(6));
  const s0 = zeroCopy(t, x, () => td.squeeze(x, 0), 'squeeze(0)');
  t.same(s0.shape, [2, 1, 3]);
  const s2 = x.squeeze(-2);
  t.same(s2.shape, [1, 2, 3]);
  t.equal(x.squeeze(1), x, 'squeezing a non-1 dim is a no-op');
  const u = zeroCopy(t, s, () => s.unsqueeze(0), 'unsqueeze(0)');
  t.same(u.shape, [1, 2, 3]);
  t.same(s.unsqueeze(1).shape, [2, 1, 3]);
  t.same(s.unsqueeze(2).shape, [2, 3, 1]);
  t.same(s.unsqueeze(-1).shape, [2, 3, 1], 'unsqueeze(-1) appends');
  t.same(s.unsqueeze(-3).shape, [1, 2, 3]);
  t.same(s.unsqueeze(1).toArray(), [[[0, 1, 2]], [[3, 4, 5]]]);
  t.same(s.unsqueeze(2).toArray(), [[[0], [1], [2]], [[3], [4], [5]]]);
  // unsqueeze of a non-contiguous tensor
  const tr = s.transpose(); // [3,2]
  const tu = tr.unsqueeze(1); // [3,1,2]
  t.same(tu.toArray(), [[[0, 3]], [[1, 4]], [[2, 5]]]);
  t.same(tu.contiguous().toArray(), [[[0, 3]], [[1, 4]], [[2, 5]]]);
  t.same(td.unsqueeze(td.tensor(4), 0).shape, [1], 'unsqueeze a 0-d tensor');
  t.same(td.tensor([[5]]).squeeze().shape, [], 'squeeze to 0-d');
  throwsKind(t, () => s.unsqueeze(3), RangeError, 'unsqueeze dim out of range');
  throwsKind(t, () => s.unsqueeze(-4), RangeError, 'unsqueeze negative dim out of range');
  throwsKind(t, () => s.squeeze(2), RangeError, 'squeeze dim out of range');
  x.dispose();
});

t.test('flatten', async (t) => {
  const x = base();
  const f = zeroCopy(t, x, () => x.flatten(), 'flatten()');
  t.same(f.shape, [24]);
  t.same(arr(f), range(24));
  t.same(zeroCopy(t, x, () => td.flatten(x, 1), 'flatten(1)').shape, [2, 12]);
  t.same(x.flatten(0, 1).shape, [6, 4]);
  t.same(x.flatten(-2, -1).shape, [2, 12]);
  t.same(x.flatten(1, 1).shape, [2, 3, 4]);
  t.same(td.tensor(3).flatten().shape, [1], 'flatten of 0-d is [1]');
  const tf = x.transpose(0, 2).flatten(); // copy
  t.same(arr(tf), gen([4, 3, 2], (k, j, i) => at(i, j, k)), 'flatten of a transposed tensor');
  throwsKind(t, () => x.flatten(2, 1), RangeError, 'start after end');
  x.dispose();
});

t.test('narrow', async (t) => {
  const x = base();
  const n = zeroCopy(t, x, () => x.narrow(1, 1, 2), 'narrow(1, 1, 2)');
  t.same(n.shape, [2, 2, 4]);
  t.same(arr(n), gen([2, 2, 4], (i, j, k) => at(i, j + 1, k)));
  const n2 = zeroCopy(t, x, () => td.narrow(x, -1, 1, 3), 'narrow(-1, 1, 3)');
  t.same(arr(n2), gen([2, 3, 3], (i, j, k) => at(i, j, k + 1)));
  const n3 = x.narrow(0, -1, 1); // negative start
  t.same(arr(n3), range(12).map((v) => v + 12), 'negative start counts from the end');
  const n0 = x.narrow(2, 4, 0);
  t.same(n0.shape, [2, 3, 0], 'zero-length narrow at the end');
  const nn = n.narrow(2, 2, 2); // narrow of a narrow
  t.same(arr(nn), gen([2, 2, 2], (i, j, k) => at(i, j + 1, k + 2)));
  throwsKind(t, () => x.narrow(1, 2, 2), RangeError, 'narrow past the end');
  throwsKind(t, () => x.narrow(1, 0, -1), RangeError, 'negative length');
  throwsKind(t, () => x.narrow(1, 0.5, 1), TypeError, 'fractional start');
  x.dispose();
});

t.test('slice with step', async (t) => {
  const v = td.tensor(range(10));
  const s = zeroCopy(t, v, () => v.slice(0, 1, 8, 3), 'slice(0, 1, 8, 3)');
  t.same(arr(s), [1, 4, 7]);
  t.same(s.strides, [3]);
  t.same(arr(td.slice(v, 0, 0, undefined, 2)), [0, 2, 4, 6, 8], 'end defaults to the size');
  t.same(arr(v.slice(0, -3)), [7, 8, 9], 'negative start');
  t.same(arr(v.slice(0, 2, -2)), [2, 3, 4, 5, 6, 7], 'negative end');
  t.same(arr(v.slice(0, 5, 100)), [5, 6, 7, 8, 9], 'end past the size is clamped');
  t.same(arr(v.slice(0, -100, 2)), [0, 1], 'start before 0 is clamped');
  t.same(v.slice(0, 6, 3).shape, [0], 'end before start is empty');
  t.same(arr(v.slice(0, 0, 10, 4)), [0, 4, 8]);
  t.same(arr(v.slice(0, 9, 10, 5)), [9]);
  t.same(arr(v.slice(0)), range(10), 'slice(dim) is the whole dim');
  const x = base();
  const s2 = zeroCopy(t, x, () => x.slice(2, 1, 4, 2), 'slice(2, 1, 4, 2)');
  t.same(s2.shape, [2, 3, 2]);
  t.same(arr(s2), gen([2, 3, 2], (i, j, k) => at(i, j, 1 + 2 * k)));
  const s3 = s2.slice(1, 0, 3, 2); // [2,2,2]: rows 0 and 2
  t.same(arr(s3), gen([2, 2, 2], (i, j, k) => at(i, 2 * j, 1 + 2 * k)), 'slice of a slice');
  const s4 = x.transpose(0, 2).slice(0, 1, undefined, 2); // [2,3,2], k = 1, 3
  t.same(arr(s4), gen([2, 3, 2], (k, j, i) => at(i, j, 1 + 2 * k)), 'slice of a transposed view');
  throwsKind(t, () => v.slice(0, 0, 5, 0), RangeError, 'step 0');
  throwsKind(t, () => v.slice(0, 0, 5, -1), RangeError, 'negative step');
  throwsKind(t, () => v.slice(1), RangeError, 'dim out of range');
  td.dispose([v, x]);
});

t.test('contiguous copies only when needed', async (t) => {
  const x = base();
  t.equal(x.contiguous(), x, 'contiguous() of a contiguous tensor is the tensor itself');
  const n = x.narrow(0, 1, 1);
  t.ok(n.isContiguous(), 'a narrow along dim 0 is contiguous');
  t.equal(n.contiguous(), n, 'contiguous() of a contiguous view is the view');
  const tr = x.transpose();
  const before = td.memory();
  const c = td.contiguous(tr);
  const after = td.memory();
  t.not(c, tr);
  t.not(c._storage, x._storage, 'a non-contiguous tensor is copied');
  t.ok(after.storages === before.storages + 1, `one new storage (${before.storages} -> ${after.storages})`);
  t.ok(c.isContiguous());
  t.same(c.strides, [12, 3, 1]);
  t.same(arr(c), arr(tr));
  t.same(c.toArray(), tr.toArray());
  const e = td.tensor([1, 2]).unsqueeze(1).expand([2, 3]);
  const ec = e.contiguous();
  t.same(arr(ec), [1, 1, 1, 2, 2, 2]);
  td.dispose([x, c, e, ec]);
});

t.test('clone and detach', async (t) => {
  const x = td.tensor([[1, 2], [3, 4]], { requiresGrad: true });
  const c = x.clone();
  t.not(c._storage, x._storage, 'clone makes a new storage');
  t.same(c.toArray(), [[1, 2], [3, 4]]);
  t.ok(c.requiresGrad, 'clone stays in the graph');
  const ct = td.clone(x.transpose());
  t.ok(ct.isContiguous());
  t.same(ct.toArray(), [[1, 3], [2, 4]]);
  const d = zeroCopy(t, x, () => x.detach(), 'detach');
  t.notOk(d.requiresGrad, 'detach is out of the graph');
  t.equal(d.gradFn, null);
  t.same(d.toArray(), [[1, 2], [3, 4]]);
  const dv = td.detach(x.transpose());
  t.same(dv.toArray(), [[1, 3], [2, 4]], 'detach of a view keeps its layout');
  // disposing the original keeps views alive (reference-counted storage)
  const y = td.tensor([9, 8, 7]);
  const yv = y.slice(0, 1);
  const storagesBefore = td.memory().storages;
  y.dispose();
  t.equal(td.memory().storages, storagesBefore, 'the storage lives while a view holds it');
  t.same(arr(yv), [8, 7], 'a view outlives its base');
  yv.dispose();
  t.equal(td.memory().storages, storagesBefore - 1, 'the storage is freed with the last view');
  td.dispose([x, c, ct, d, dv]);
});

t.test('reading views back', async (t) => {
  const x = base();
  const tr = x.permute([2, 0, 1]); // [4,2,3]
  const want = gen([4, 2, 3], (k, i, j) => at(i, j, k));
  t.same(Array.from(tr.dataSync()), want, 'dataSync of a permuted view');
  t.same(Array.from(await tr.data()), want, 'data() of a permuted view');
  const nested = tr.toArray() as number[][][];
  t.equal(nested.length, 4);
  t.equal(nested[3][1][2], at(1, 2, 3), 'toArray of a permuted view');
  const el = x.narrow(0, 1, 1).narrow(1, 2, 1).narrow(2, 3, 1);
  t.equal(el.item(), at(1, 2, 3), 'item() of a one-element view with an offset');
  const el2 = x.slice(2, 1, 2).transpose(0, 2).narrow(2, 1, 1).narrow(1, 2, 1);
  t.same(el2.shape, [1, 1, 1]);
  t.equal(el2.item(), at(1, 2, 1), 'item() of a transposed one-element view');
  const ex = td.tensor([1, 2, 3]).expand([2, 3]);
  t.same(ex.toArray(), [[1, 2, 3], [1, 2, 3]], 'toArray of an expanded view');
  t.same(Array.from(await ex.data()), [1, 2, 3, 1, 2, 3], 'data() of an expanded view');
  const sl = x.slice(1, 0, 3, 2).slice(2, 3, 4); // [2,2,1]
  t.same(sl.toArray(), [[[3], [11]], [[15], [23]]], 'toArray of stepped slices');
  const d64 = td.tensor(range(6), { dtype: 'float64', shape: [2, 3] }).transpose();
  const dd = d64.dataSync();
  t.ok(dd instanceof Float64Array, 'a float64 view reads back as Float64Array');
  t.same(Array.from(dd), [0, 3, 1, 4, 2, 5]);
  const i32 = td.tensor(range(6), { dtype: 'int32', shape: [3, 2] }).slice(0, 0, 3, 2);
  t.ok(i32.dataSync() instanceof Int32Array);
  t.same(i32.toArray(), [[0, 1], [4, 5]]);
  // reading a view makes no lasting storage
  const before = td.memory().storages;
  for (let i = 0; i < 5; i++) tr.dataSync();
  t.equal(td.memory().storages, before, 'dataSync of a view frees its temporary copy');
  x.dispose();
});

t.test('views inside tidy() are released with the scope', async (t) => {
  const x = base();
  const before = td.memory();
  const out = td.tidy(() => {
    const a = x.transpose().reshape([8, 3]); // one copy
    const b = a.narrow(0, 0, 4).unsqueeze(0).expand([2, 4, 3]);
    return b.sum(0);
  });
  const after = td.memory();
  t.same(out.shape, [4, 3]);
  t.equal(after.storages, before.storages + 1, 'only the result keeps a storage');
  t.equal(after.tensors, before.tensors + 1, 'only the result tensor stays alive');
  const want = gen([4, 3], (r, c) => 2 * at(0, c, r)); // rows r < 4 of x.transpose() flattened are x[0][:, r]
  t.same(arr(out), want);
  td.dispose([x, out]);
});
