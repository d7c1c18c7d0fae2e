// backend.test.ts — the op table agrees on both sides of the addon boundary (DESIGN.md, 10), the
// backend reports what it was built with, and thread control works.
import t from 'tap';
import * as td from '../lib/index';
import { native } from '../lib/native';
import { BINARY_OPS, REDUCE_OPS, UNARY_OPS } from '../lib/ops/opTable';

t.test('the TypeScript op table matches the native one', async (t) => {
  const n = native.opTable();
  t.same(n.unary, [...UNARY_OPS]);
  t.same(n.binary, [...BINARY_OPS]);
  t.same(n.reduce, [...REDUCE_OPS]);
});

t.test('backend.info reports CPU facts and why CUDA is unavailable', async (t) => {
  const info = td.backend.info();
  t.ok(info.cpu.threads >= 1);
  t.ok(['avx2-fma', 'portable'].includes(info.cpu.gemmKernel), info.cpu.gemmKernel);
  t.type(info.cuda.available, 'boolean');
  if (!info.cuda.available) t.ok(info.cuda.reason.length > 0, `reason: ${info.cuda.reason}`);
});

t.test('setNumThreads changes the thread count and results do not depend on it', async (t) => {
  const before = td.getNumThreads();
  const x = td.randn([300, 200], { seed: 3 });
  const w = td.randn([200, 100], { seed: 4 });
  const a = td.matmul(x, w).dataSync();
  const s1 = td.sum(x, 0).dataSync();
  td.setNumThreads(1);
  t.equal(td.getNumThreads(), 1);
  const b = td.matmul(x, w).dataSync();
  const s2 = td.sum(x, 0).dataSync();
  td.setNumThreads(before);
  t.equal(td.getNumThreads(), before);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  t.ok(worst < 1e-4, `matmul differs by ${worst}`);
  let worstS = 0;
  for (let i = 0; i < s1.length; i++) worstS = Math.max(worstS, Math.abs(s1[i] - s2[i]));
  t.ok(worstS < 1e-4, `sum differs by ${worstS}`);
  t.throws(() => td.setNumThreads(0), RangeError);
  t.throws(() => td.setNumThreads(1.5 as number), RangeError);
});

t.test('the native side rejects forged or stale handles without crashing', async (t) => {
  const x = td.zeros([4]);
  const h = (x as unknown as { _storage: { handle: number } })._storage.handle;
  x.dispose();
  t.throws(() => native.read(h as never, 0, 4), /disposed/);
  t.throws(() => native.read(123456789 as never, 0, 1), /disposed|invalid/);
  t.throws(() => native.read(-1 as never, 0, 1), TypeError);
  const y = td.zeros([4]);
  const hy = (y as unknown as { _storage: { handle: number } })._storage.handle;
  t.throws(() => native.read(hy as never, 2, 4), RangeError);
  y.dispose();
});

t.test('measureLimits (bench roofline) returns finite positive rates and rejects bad sizes', async (t) => {
  const m = native.measureLimits(1 << 20, 2);
  for (const k of ['copyGBs', 'triadGBs', 'fmaGflops'] as const) t.ok(Number.isFinite(m[k]) && m[k] > 0, `${k} = ${m[k]}`);
  t.equal(m.threads, td.getNumThreads(), 'measured over the backend threads');
  t.ok(['avx2-fma', 'portable'].includes(m.fmaIsa), `isa ${m.fmaIsa}`);
  t.throws(() => native.measureLimits(0, 1), RangeError);
  t.throws(() => native.measureLimits(1 << 20, 0), RangeError);
});
