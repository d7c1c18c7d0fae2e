// linalg.test.ts — matmul against a naive JS triple loop: 1-D / 2-D combinations, odd sizes, batched with
// broadcast batch dims, transposed / sliced operands, float32 and float64; bmm; linear; shape errors.
import t from 'tap';
import * as td from '../lib/index';
import { type Test, throwsKind, arr, uniform } from './helpers/check';

type DT = 'float32' | 'float64';
function rand(seed: number, shape: number[], dtype: DT): td.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = uniform(seed, n);
  return td.tensor(dtype === 'float32' ? new Float32Array(v) : new Float64Array(v), { shape });
}

/** C = A @ B for row-major A [M,K], B [K,N]; also returns sum |a||b| per entry (the error scale). */
function mm(A: ArrayLike<number>, B: ArrayLike<number>, M: number, K: number, N: number): { c: number[]; scale: number[] } {
  const c = new Array<number>(M * N).fill(0), scale = new Array<number>(M * N).fill(0);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0, a = 0;
      for (let k = 0; k < K; k++) {
        const p = A[i * K + k] * B[k * N + j];
        s += p;
        a += Math.abs(p);
      }
      c[i * N + j] = s;
      scale[i * N + j] = a;
    }
  return { c, scale };
}

function tol(dtype: DT, K: number): number {
  return dtype === 'float64' ? 1e-12 : 1e-5 * Math.sqrt(Math.max(K, 1));
}

/** |got - want| <= rtol * scale (scale = sum |a_ik b_kj|), one assertion. */
function mmClose(tt: Test, got: ArrayLike<number>, ref: { c: number[]; scale: number[] }, rtol: number, msg: string): void {
  if (got.length !== ref.c.length) {
    tt.fail(`${msg}: ${got.length} values, expected ${ref.c.length}`);
    return;
  }
  let worst = -1, worstRatio = 0;
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - ref.c[i]);
    const ratio = err / (rtol * ref.scale[i] + 1e-300);
    if (!(ratio <= 1) && (worst < 0 || ratio > worstRatio)) { worst = i; worstRatio = ratio; }
  }
  if (worst < 0) tt.pass(msg);
  else tt.fail(`${msg}: element ${worst} got ${got[worst]}, expected ${ref.c[worst]} (error ${worstRatio.toFixed(2)}x the tolerance)`);
}

/** Row-major data of a [R, C] matrix transposed. */
function transposeJS(a: ArrayLike<number>, R: number, C: number): number[] {
  const out = new Array<number>(R * C);
  for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) out[j * R + i] = a[i * C + j];
  return out;
}

const SIZES = [1, 7, 33, 65, 130];

t.test('2-D @ 2-D, all combinations of odd sizes', async (t) => {
  for (const dtype of ['float64', 'float32'] as const) {
    let seed = dtype === 'float64' ? 100 : 200;
    for (const M of SIZES)
      for (const K of SIZES)
        for (const N of SIZES) {
          const a = rand(seed++, [M, K], dtype), b = rand(seed++, [K, N], dtype);
          const c = td.matmul(a, b);
          const what = `${dtype} [${M},${K}] @ [${K},${N}]`;
          if (c.dtype !== dtype || c.shape[0] !== M || c.shape[1] !== N) t.fail(`${what}: got ${c.dtype} [${c.shape}]`);
          mmClose(t, c.dataSync(), mm(a.dataSync(), b.dataSync(), M, K, N), tol(dtype, K), what);
          td.dispose([a, b, c]);
        }
  }
});

t.test('transposed and sliced operands', async (t) => {
  for (const dtype of ['float64', 'float32'] as const) {
    for (const [M, K, N] of [[7, 33, 65], [130, 65, 7], [33, 1, 33], [65, 130, 1], [1, 7, 130]]) {
      const at = rand(M * 7 + K, [K, M], dtype); // stored transposed
      const bt = rand(N * 5 + K, [N, K], dtype);
      const A = transposeJS(at.dataSync(), K, M), B = transposeJS(bt.dataSync(), N, K);
      const ref = mm(A, B, M, K, N);
      const aT = at.transpose(), bT = bt.transpose();
      t.notOk(M > 1 && K > 1 && aT.isContiguous(), 'a transposed operand is a strided view');
      const a = td.tensor(dtype === 'float32' ? new Float32Array(A) : new Float64Array(A), { shape: [M, K] });
      const b = td.tensor(dtype === 'float32' ? new Float32Array(B) : new Float64Array(B), { shape: [K, N] });
      const what = `${dtype} [${M},${K}] @ [${K},${N}]`;
      mmClose(t, td.matmul(aT, b).dataSync(), ref, tol(dtype, K), `${what} with A transposed`);
      mmClose(t, td.matmul(a, bT).dataSync(), ref, tol(dtype, K), `${what} with B transposed`);
      mmClose(t, aT.matmul(bT).dataSync(), ref, tol(dtype, K), `${what} with both transposed`);
      // (B^T A^T)^T = A B
      const ct = td.matmul(bt, at).transpose();
      mmClose(t, ct.dataSync(), ref, tol(dtype, K), `${what} as (B^T A^T)^T`);
    }
    // operands sliced with a step and narrowed (offset) views
    const big = rand(9, [40, 66], dtype);
    const bv = big.dataSync();
    const a = big.slice(0, 1, 40, 3).slice(1, 0, 66, 2); // [13, 33]
    const A: number[] = [];
    for (let i = 1; i < 40; i += 3) for (let k = 0; k < 66; k += 2) A.push(bv[i * 66 + k]);
    const b = rand(10, [50, 20], dtype).narrow(0, 17, 33); // [33, 20], offset
    const ref = mm(A, b.contiguous().dataSync(), 13, 33, 20);
    mmClose(t, td.matmul(a, b).dataSync(), ref, tol(dtype, 33), `${dtype} stepped-slice @ narrowed operands`);
  }
});

t.test('1-D operands', async (t) => {
  for (const dtype of ['float64', 'float32'] as const) {
    for (const K of SIZES) {
      const u = rand(K, [K], dtype), v = rand(K + 1000, [K], dtype);
      const d = td.matmul(u, v);
      t.same(d.shape, [], `1-D @ 1-D is 0-d (K=${K})`);
      mmClose(t, [d.item()], mm(u.dataSync(), v.dataSync(), 1, K, 1), tol(dtype, K), `${dtype} dot K=${K}`);
      for (const N of [1, 7, 65]) {
        const B = rand(K * N, [K, N], dtype);
        const y = td.matmul(u, B);
        t.same(y.shape, [N], `[${K}] @ [${K},${N}] -> [${N}]`);
        mmClose(t, y.dataSync(), mm(u.dataSync(), B.dataSync(), 1, K, N), tol(dtype, K), `${dtype} vec @ mat K=${K} N=${N}`);
        const A = rand(K * N + 1, [N, K], dtype);
        const z = td.matmul(A, v);
        t.same(z.shape, [N], `[${N},${K}] @ [${K}] -> [${N}]`);
        mmClose(t, z.dataSync(), mm(A.dataSync(), v.dataSync(), N, K, 1), tol(dtype, K), `${dtype} mat @ vec N=${N} K=${K}`);
      }
      // batched matrix @ vector and vector @ batched matrix
      const Bb = rand(K + 7, [3, K, 5], dtype);
      const yb = td.matmul(u, Bb);
      t.same(yb.shape, [3, 5], '[K] @ [3,K,5] -> [3,5]');
      const Bv = Bb.dataSync();
      for (let p = 0; p < 3; p++)
        mmClose(t, Array.from(yb.dataSync()).slice(p * 5, p * 5 + 5), mm(u.dataSync(), Bv.slice(p * K * 5, (p + 1) * K * 5), 1, K, 5),
          tol(dtype, K), `${dtype} vec @ batch ${p} K=${K}`);
      const Ab = rand(K + 8, [2, 4, K], dtype);
      const zb = td.matmul(Ab, v);
      t.same(zb.shape, [2, 4], '[2,4,K] @ [K] -> [2,4]');
      mmClose(t, zb.dataSync(), mm(Ab.dataSync(), v.dataSync(), 8, K, 1), tol(dtype, K), `${dtype} batch @ vec K=${K}`);
    }
  }
});

t.test('batched matmul with broadcast batch dims', async (t) => {
  for (const dtype of ['float64', 'float32'] as const) {
    // [2,1,3,4] @ [5,4,6] -> [2,5,3,6]
    const a = rand(1, [2, 1, 3, 4], dtype), b = rand(2, [5, 4, 6], dtype);
    const c = td.matmul(a, b);
    t.same(c.shape, [2, 5, 3, 6], `${dtype} [2,1,3,4] @ [5,4,6] shape`);
    const A = a.dataSync(), B = b.dataSync(), C = Array.from(c.dataSync());
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 5; j++) {
        const ref = mm(A.slice(i * 12, i * 12 + 12), B.slice(j * 24, j * 24 + 24), 3, 4, 6);
        const off = (i * 5 + j) * 18;
        mmClose(t, C.slice(off, off + 18), ref, tol(dtype, 4), `${dtype} batch (${i},${j})`);
      }
    // [3,K,N] @ [N... ] with a broadcast 2-D operand on either side
    const x = rand(3, [4, 33, 7], dtype), w = rand(4, [7, 65], dtype);
    const y = td.matmul(x, w);
    t.same(y.shape, [4, 33, 65]);
    mmClose(t, y.dataSync(), mm(x.dataSync(), w.dataSync(), 4 * 33, 7, 65), tol(dtype, 7), `${dtype} [4,33,7] @ [7,65]`);
    const l = rand(5, [1, 7], dtype), r = rand(6, [3, 7, 2], dtype);
    const lr = td.matmul(l, r);
    t.same(lr.shape, [3, 1, 2]);
    const R = r.dataSync(), LR = Array.from(lr.dataSync());
    for (let p = 0; p < 3; p++)
      mmClose(t, LR.slice(p * 2, p * 2 + 2), mm(l.dataSync(), R.slice(p * 14, p * 14 + 14), 1, 7, 2), tol(dtype, 7), `${dtype} [1,7] @ [3,7,2] batch ${p}`);
    // batched with transposed (non-contiguous) batches: x.transpose(-1,-2) of [2,3,K,M]
    const xt = rand(7, [2, 3, 9, 5], dtype); // logical a = xt^T per batch: [2,3,5,9]
    const yb = rand(8, [3, 9, 4], dtype);
    const out = td.matmul(xt.transpose(-1, -2), yb);
    t.same(out.shape, [2, 3, 5, 4]);
    const XT = xt.dataSync(), YB = yb.dataSync(), O = Array.from(out.dataSync());
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++) {
        const Ab = transposeJS(XT.slice((i * 3 + j) * 45, (i * 3 + j + 1) * 45), 9, 5);
        const ref = mm(Ab, YB.slice(j * 36, j * 36 + 36), 5, 9, 4);
        const off = (i * 3 + j) * 20;
        mmClose(t, O.slice(off, off + 20), ref, tol(dtype, 9), `${dtype} transposed batch (${i},${j})`);
      }
    // permuted batch dims (batch strides not mergeable)
    const pb = rand(11, [4, 2, 3, 5], dtype).permute([1, 0, 2, 3]); // [2,4,3,5]
    const q = rand(12, [5, 2], dtype);
    const pq = td.matmul(pb, q);
    t.same(pq.shape, [2, 4, 3, 2]);
    const PB = pb.contiguous().dataSync();
    mmClose(t, pq.dataSync(), mm(PB, q.dataSync(), 24, 5, 2), tol(dtype, 5), `${dtype} permuted batch dims`);
  }
});

t.test('expanded (stride-0) operands and many small batches', async (t) => {
  for (const dtype of ['float64', 'float32'] as const) {
    const row = rand(51, [300], dtype);
    const A = row.expand([20, 300]); // every row the same, row stride 0
    const B = rand(52, [300, 15], dtype);
    const Ac = A.contiguous().dataSync();
    mmClose(t, td.matmul(A, B).dataSync(), mm(Ac, B.dataSync(), 20, 300, 15), tol(dtype, 300), `${dtype} expanded rows @ matrix`);
    const col = rand(53, [300, 1], dtype).expand([300, 15]); // column stride 0
    mmClose(t, td.matmul(A, col).dataSync(), mm(Ac, col.contiguous().dataSync(), 20, 300, 15), tol(dtype, 300), `${dtype} expanded @ expanded`);
    const Bb = rand(54, [1, 300, 15], dtype).expand([4, 300, 15]); // batch stride 0
    const Ab = rand(55, [4, 8, 300], dtype);
    const Cb = Array.from(td.matmul(Ab, Bb).dataSync()), AA = Ab.dataSync(), BB = Bb.contiguous().dataSync().slice(0, 4500);
    for (let p = 0; p < 4; p++)
      mmClose(t, Cb.slice(p * 120, (p + 1) * 120), mm(AA.slice(p * 2400, (p + 1) * 2400), BB, 8, 300, 15), tol(dtype, 300), `${dtype} expanded batch ${p}`);
    const P = rand(56, [500, 5, 7], dtype), Q = rand(57, [500, 7, 3], dtype);
    const R = Array.from(td.matmul(P, Q).dataSync()), PP = P.dataSync(), QQ = Q.dataSync();
    let bad = 0;
    for (let p = 0; p < 500; p++) {
      const ref = mm(PP.slice(p * 35, p * 35 + 35), QQ.slice(p * 21, p * 21 + 21), 5, 7, 3);
      for (let k = 0; k < 15; k++) if (Math.abs(R[p * 15 + k] - ref.c[k]) > tol(dtype, 7) * ref.scale[k]) bad++;
    }
    t.equal(bad, 0, `${dtype} 500 batches of [5,7] @ [7,3]`);
  }
});

t.test('bmm', async (t) => {
  for (const dtype of ['float64', 'float32'] as const) {
    const a = rand(21, [4, 7, 33], dtype), b = rand(22, [4, 33, 5], dtype);
    const c = td.bmm(a, b);
    t.same(c.shape, [4, 7, 5]);
    const A = a.dataSync(), B = b.dataSync(), C = Array.from(c.dataSync());
    for (let p = 0; p < 4; p++)
      mmClose(t, C.slice(p * 35, p * 35 + 35), mm(A.slice(p * 231, p * 231 + 231), B.slice(p * 165, p * 165 + 165), 7, 33, 5),
        tol(dtype, 33), `${dtype} bmm batch ${p}`);
    t.same(arr(a.bmm(b)), arr(c), 'x.bmm(y) equals td.bmm(x, y)');
  }
  throwsKind(t, () => td.bmm(td.zeros([2, 3]), td.zeros([3, 2])), RangeError, 'bmm of 2-D tensors');
  throwsKind(t, () => td.bmm(td.zeros([2, 3, 4]), td.zeros([3, 4, 5])), RangeError, 'bmm batch mismatch');
  throwsKind(t, () => td.bmm(td.zeros([2, 3, 4]), td.zeros([2, 5, 5])), RangeError, 'bmm inner mismatch');
  throwsKind(t, () => td.bmm(td.zeros([1, 3, 4]), td.zeros([2, 4, 5])), RangeError, 'bmm does not broadcast');
});

t.test('linear', async (t) => {
  for (const dtype of ['float64', 'float32'] as const) {
    const x = rand(31, [2, 3, 7], dtype), W = rand(32, [5, 7], dtype), b = rand(33, [5], dtype);
    const y = td.linear(x, W, b);
    t.same(y.shape, [2, 3, 5]);
    const ref = mm(x.dataSync(), transposeJS(W.dataSync(), 5, 7), 6, 7, 5);
    const B = b.dataSync();
    const withBias = { c: ref.c.map((v, i) => v + B[i % 5]), scale: ref.scale.map((v, i) => v + Math.abs(B[i % 5])) };
    mmClose(t, y.dataSync(), withBias, tol(dtype, 8), `${dtype} linear with bias`);
    const y2 = td.linear(x, W);
    mmClose(t, y2.dataSync(), ref, tol(dtype, 7), `${dtype} linear without bias`);
    const y3 = td.linear(x, W, null);
    t.same(arr(y3), arr(y2), 'null bias is no bias');
    const v = rand(34, [7], dtype);
    const yv = td.linear(v, W, b);
    t.same(yv.shape, [5], 'linear of a vector');
    const rv = mm(v.dataSync(), transposeJS(W.dataSync(), 5, 7), 1, 7, 5);
    mmClose(t, yv.dataSync(), { c: rv.c.map((q, i) => q + B[i]), scale: rv.scale.map((q, i) => q + Math.abs(B[i])) }, tol(dtype, 8), `${dtype} linear of a vector`);
  }
  const x = td.zeros([2, 7]), W = td.zeros([5, 7]);
  throwsKind(t, () => td.linear(x, td.zeros([7, 5])), RangeError, 'weight [in, out] instead of [out, in]');
  throwsKind(t, () => td.linear(x, W, td.zeros([7])), RangeError, 'bias of the wrong size');
  throwsKind(t, () => td.linear(x, W, td.zeros([1, 5])), RangeError, 'bias of the wrong rank');
  throwsKind(t, () => td.linear(x, td.zeros([5, 7, 1])), RangeError, '3-D weight');
  throwsKind(t, () => td.linear(td.tensor(1), W), RangeError, '0-d input');
});

t.test('matmul dtypes, empty dims and shape errors', async (t) => {
  const ai = td.tensor([[1, 2], [3, 4]], { dtype: 'int32' });
  const bi = td.tensor([[5, 6], [7, 8]], { dtype: 'int32' });
  const ci = td.matmul(ai, bi);
  t.equal(ci.dtype, 'int32', 'int32 @ int32 is int32');
  t.same(ci.toArray(), [[19, 22], [43, 50]]);
  const mixed = td.matmul(ai, td.tensor([[0.5], [0.25]], { dtype: 'float64' }));
  t.equal(mixed.dtype, 'float64', 'int32 @ float64 is float64');
  t.same(mixed.toArray(), [[1], [2.5]]);
  const m32 = td.matmul(td.tensor([[1, 2]]), td.tensor([[1], [1]], { dtype: 'float64' }));
  t.equal(m32.dtype, 'float64', 'float32 @ float64 is float64');
  t.same(m32.toArray(), [[3]]);
  // exact small products
  const e = td.matmul(td.eye(3), td.tensor([[1, 2], [3, 4], [5, 6]]));
  t.same(e.toArray(), [[1, 2], [3, 4], [5, 6]], 'eye @ X = X');
  // empty dims
  const z0 = td.matmul(td.zeros([0, 3]), td.ones([3, 4]));
  t.same(z0.shape, [0, 4], '[0,3] @ [3,4] -> [0,4]');
  const zk = td.matmul(td.ones([2, 0]), td.ones([0, 3]));
  t.same(zk.shape, [2, 3], '[2,0] @ [0,3] -> [2,3]');
  t.same(arr(zk), [0, 0, 0, 0, 0, 0], 'an empty inner dim gives zeros');
  const zb = td.matmul(td.ones([0, 2, 3]), td.ones([3, 4]));
  t.same(zb.shape, [0, 2, 4], 'empty batch');
  // shape errors are RangeErrors
  throwsKind(t, () => td.matmul(td.zeros([2, 3]), td.zeros([4, 5])), RangeError, '[2,3] @ [4,5]');
  throwsKind(t, () => td.matmul(td.zeros([3]), td.zeros([4])), RangeError, '[3] @ [4]');
  throwsKind(t, () => td.matmul(td.zeros([3]), td.zeros([4, 2])), RangeError, '[3] @ [4,2]');
  throwsKind(t, () => td.matmul(td.zeros([2, 3]), td.zeros([2])), RangeError, '[2,3] @ [2]');
  throwsKind(t, () => td.matmul(td.zeros([2, 2, 3]), td.zeros([3, 3, 4])), RangeError, 'batch dims 2 vs 3');
  throwsKind(t, () => td.matmul(td.tensor(2), td.zeros([2])), RangeError, '0-d operand');
  throwsKind(t, () => td.matmul(td.zeros([2]), td.tensor(2)), RangeError, '0-d right operand');
  throwsKind(t, () => td.matmul(td.zeros([2, 2]), [[1, 2], [3, 4]] as unknown as td.Tensor), TypeError, 'a plain array');
});

t.test('matmul is independent of the thread count', async (t) => {
  const a = rand(41, [130, 65], 'float32'), b = rand(42, [65, 130], 'float32');
  const threads = td.getNumThreads();
  const c1 = arr(td.matmul(a, b));
  td.setNumThreads(1);
  const c2 = arr(td.matmul(a, b));
  td.setNumThreads(threads);
  t.same(c2, c1, 'same result with 1 thread');
});
