// metrics-frechet.test.ts — td.metrics.frechetDistance against closed forms computed independently
// here (samples built in plain JS with exactly prescribed mean and covariance; the trace of the matrix
// square root from the 2×2 identity tr √P = √(tr P + 2√det P) and from the roots of the 3×3
// characteristic cubic; diagonal and commuting 64-d covariances: Σ(√aᵢ − √bᵢ)²), sampled Gaussians,
// translation and symmetry; the shipped MNIST classifiers' test-split accuracy against the labels;
// mnistFrechet orders real digits far below noise / blurred / pixel-shuffled ones; argument errors;
// no leaked tensors.
import t from 'tap';
import * as td from '../lib/index';
import { frechetDistance, mnistFeatures, mnistClassify, mnistFrechet } from '../lib/metrics';
import { throwsKind, close, rng } from './helpers/check';

type Mat = number[][];

/** n × d standard normals (Box–Muller on the test's own generator). */
function normals(n: number, d: number, seed: number): Mat {
  const r = rng(seed);
  const out: Mat = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    for (let k = 0; k < d; k++) {
      const u = 1 - r(), v = r();
      row.push(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
    }
    out.push(row);
  }
  return out;
}

/** Lower Cholesky factor of an SPD matrix. */
function cholesky(A: Mat): Mat {
  const d = A.length;
  const L: Mat = A.map(() => new Array(d).fill(0));
  for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) {
    let s = A[i][j];
    for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
    L[i][j] = i === j ? Math.sqrt(s) : s / L[j][j];
  }
  return L;
}

/**
 * n rows whose sample mean is exactly mu and whose unbiased sample covariance is exactly F Fᵀ:
 * centred normals are whitened by their own Cholesky factor, then mapped by F.
 */
function exactSample(n: number, mu: number[], F: Mat, seed: number): Mat {
  const d = mu.length;
  const Z = normals(n, d, seed);
  const m = new Array(d).fill(0);
  for (const z of Z) z.forEach((v, k) => (m[k] += v / n));
  for (const z of Z) for (let k = 0; k < d; k++) z[k] -= m[k];
  const C: Mat = Array.from({ length: d }, () => new Array(d).fill(0));
  for (const z of Z) for (let p = 0; p < d; p++) for (let q = 0; q < d; q++) C[p][q] += (z[p] * z[q]) / (n - 1);
  const K = cholesky(C);
  return Z.map((z) => {
    const w = new Array(d).fill(0); // forward solve K w = z
    for (let i = 0; i < d; i++) {
      let s = z[i];
      for (let k = 0; k < i; k++) s -= K[i][k] * w[k];
      w[i] = s / K[i][i];
    }
    return mu.map((mk, i) => mk + F[i].reduce((s, f, k) => s + f * w[k], 0));
  });
}

const toTensor = (X: Mat, dtype: 'float32' | 'float64' = 'float64') => td.tensor(Float64Array.from(X.flat()), { shape: [X.length, X[0].length] }).to(dtype);
const mul = (A: Mat, B: Mat): Mat => A.map((r) => B[0].map((_, j) => r.reduce((s, v, k) => s + v * B[k][j], 0)));
const tr = (A: Mat) => A.reduce((s, r, i) => s + r[i], 0);
const det2 = (A: Mat) => A[0][0] * A[1][1] - A[0][1] * A[1][0];
const det3 = (A: Mat) => A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1]) - A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0]) + A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0]);
const dist2 = (a: number[], b: number[]) => a.reduce((s, v, k) => s + (v - b[k]) ** 2, 0);

/** tr √(Sa Sb) for 2×2: (√λ₁ + √λ₂)² = tr P + 2√det P. */
const trSqrt2 = (Sa: Mat, Sb: Mat) => { const P = mul(Sa, Sb); return Math.sqrt(tr(P) + 2 * Math.sqrt(det2(P))); };

/** tr √(Sa Sb) for 3×3: the eigenvalues of P = Sa Sb (real, > 0) as roots of its characteristic cubic (trigonometric form). */
function trSqrt3(Sa: Mat, Sb: Mat): number {
  const P = mul(Sa, Sb);
  const c2 = tr(P), c0 = det3(P);
  const c1 = P[0][0] * P[1][1] - P[0][1] * P[1][0] + P[0][0] * P[2][2] - P[0][2] * P[2][0] + P[1][1] * P[2][2] - P[1][2] * P[2][1];
  // λ³ + aλ² + bλ + c with a = −c2, b = c1, c = −c0; λ = s − a/3, s³ + ps + q = 0
  const a = -c2, b = c1, c = -c0;
  const p = b - (a * a) / 3, q = (2 * a ** 3) / 27 - (a * b) / 3 + c;
  const r = 2 * Math.sqrt(-p / 3);
  const phi = Math.acos(Math.max(-1, Math.min(1, ((3 * q) / (2 * p)) * Math.sqrt(-3 / p)))) / 3;
  let s = 0;
  for (let k = 0; k < 3; k++) s += Math.sqrt(r * Math.cos(phi - (2 * Math.PI * k) / 3) - a / 3);
  return s;
}

/** The Fréchet distance of two Gaussians from moments and tr √(Sa Sb). */
const fdClosed = (ma: number[], Sa: Mat, mb: number[], Sb: Mat, trSqrt: number) => dist2(ma, mb) + tr(Sa) + tr(Sb) - 2 * trSqrt;

t.test('frechetDistance: 2×2 and 3×3 non-commuting covariances, exact moments', async (t) => {
  const Sa2: Mat = [[2, 0.6], [0.6, 1]], Sb2: Mat = [[1, -0.4], [-0.4, 3]];
  const ma2 = [0.5, -1], mb2 = [-0.25, 0.75];
  const A2 = exactSample(300, ma2, cholesky(Sa2), 1), B2 = exactSample(200, mb2, cholesky(Sb2), 2);
  const want2 = fdClosed(ma2, Sa2, mb2, Sb2, trSqrt2(Sa2, Sb2));
  close(t, [frechetDistance(toTensor(A2), toTensor(B2))], [want2], 1e-10, 1e-12, `2×2: |Δμ|² + tr(Sa + Sb) − 2√(tr SaSb + 2√(det Sa det Sb)) = ${want2.toFixed(6)}`);

  const Sa3: Mat = [[2, 0.5, -0.3], [0.5, 1.5, 0.2], [-0.3, 0.2, 1]];
  const Sb3: Mat = [[1, -0.6, 0.1], [-0.6, 2.5, 0.7], [0.1, 0.7, 0.8]];
  const ma3 = [1, 0, -2], mb3 = [0, 0.5, -1];
  const A3 = exactSample(400, ma3, cholesky(Sa3), 3), B3 = exactSample(250, mb3, cholesky(Sb3), 4);
  const want3 = fdClosed(ma3, Sa3, mb3, Sb3, trSqrt3(Sa3, Sb3));
  // the cubic's roots cross-check the 2×2 identity on a block-diagonal embedding
  close(t, [trSqrt3([[2, 0.6, 0], [0.6, 1, 0], [0, 0, 1]], [[1, -0.4, 0], [-0.4, 3, 0], [0, 0, 4]])], [trSqrt2(Sa2, Sb2) + 2], 1e-10, 0, 'test reference: cubic roots agree with the 2×2 identity');
  const got3 = frechetDistance(toTensor(A3), toTensor(B3));
  close(t, [got3], [want3], 1e-10, 1e-12, `3×3: closed form from the characteristic cubic = ${want3.toFixed(6)}`);
  close(t, [frechetDistance(toTensor(B3), toTensor(A3))], [got3], 1e-10, 1e-13, 'symmetric in a and b');
  close(t, [frechetDistance(toTensor(A3, 'float32'), toTensor(B3, 'float32'))], [want3], 1e-5, 1e-6, 'float32 inputs');
  close(t, [frechetDistance(toTensor(A3), toTensor(A3))], [0], 0, 1e-10, 'a set with itself: 0');
});

t.test('frechetDistance: diagonal and commuting 64-d covariances; translation adds |d|²', async (t) => {
  // diagonal: FD = |Δμ|² + Σ (√aᵢ − √bᵢ)²
  const a = [0.5, 1, 2, 4], b = [1, 1, 0.25, 9];
  const ma = [0, 1, 2, 3], mb = [1, 1, 1, 1];
  const diag = (v: number[]): Mat => v.map((x, i) => v.map((_, j) => (i === j ? Math.sqrt(x) : 0)));
  const A = exactSample(100, ma, diag(a), 5), B = exactSample(150, mb, diag(b), 6);
  const want = dist2(ma, mb) + a.reduce((s, ai, i) => s + (Math.sqrt(ai) - Math.sqrt(b[i])) ** 2, 0);
  close(t, [frechetDistance(toTensor(A), toTensor(B))], [want], 1e-10, 1e-12, `diagonal: |Δμ|² + Σ(√aᵢ − √bᵢ)² = ${want}`);

  // translation by d: with equal means, FD(a + d, b) = FD(a, b) + |d|²; FD(a + d, a) = |d|²
  const Sa: Mat = [[2, 0.6], [0.6, 1]], Sb: Mat = [[1, -0.4], [-0.4, 3]];
  const P = exactSample(120, [0, 0], cholesky(Sa), 7), Q = exactSample(90, [0, 0], cholesky(Sb), 8);
  const d = [1.5, -2];
  const Pd = P.map((r) => r.map((v, k) => v + d[k]));
  const base = frechetDistance(toTensor(P), toTensor(Q));
  close(t, [frechetDistance(toTensor(Pd), toTensor(Q))], [base + dist2(d, [0, 0])], 1e-10, 1e-12, 'translation adds |d|²');
  close(t, [frechetDistance(toTensor(Pd), toTensor(P))], [dist2(d, [0, 0])], 1e-10, 1e-12, 'a set and its translate: |d|²');

  // 64-d, Sa = U diag(α) Uᵀ, Sb = U diag(β) Uᵀ with a random orthogonal U: FD = Σ(√αᵢ − √βᵢ)²
  const D = 64, r = rng(9);
  const G = normals(D, D, 10);
  const U: Mat = []; // Gram–Schmidt on the columns of G, stored as columns of U
  for (let j = 0; j < D; j++) {
    const v = G.map((row) => row[j]);
    for (let k = 0; k < j; k++) {
      const dot = v.reduce((s, x, i) => s + x * U[i][k], 0);
      for (let i = 0; i < D; i++) v[i] -= dot * U[i][k];
    }
    const nv = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    for (let i = 0; i < D; i++) (U[i] ??= [])[j] = v[i] / nv;
  }
  const alpha = Array.from({ length: D }, () => 0.1 + 3 * r()), beta = Array.from({ length: D }, () => 0.1 + 3 * r());
  const Fa = U.map((row) => row.map((u, k) => u * Math.sqrt(alpha[k]))), Fb = U.map((row) => row.map((u, k) => u * Math.sqrt(beta[k])));
  const zero = new Array(D).fill(0);
  const X = exactSample(200, zero, Fa, 11), Y = exactSample(300, zero, Fb, 12);
  const want64 = alpha.reduce((s, al, i) => s + (Math.sqrt(al) - Math.sqrt(beta[i])) ** 2, 0);
  close(t, [frechetDistance(toTensor(X), toTensor(Y))], [want64], 1e-8, 1e-10, `64-d commuting covariances: Σ(√αᵢ − √βᵢ)² = ${want64.toFixed(4)}`);
});

t.test('frechetDistance: sampled Gaussians', async (t) => {
  const S: Mat = [[1.5, 0.4, 0], [0.4, 1, -0.3], [0, -0.3, 0.7]], L = cholesky(S);
  const draw = (n: number, mu: number[], F: Mat, seed: number) => normals(n, 3, seed).map((z) => mu.map((m, i) => m + F[i].reduce((s, f, k) => s + f * z[k], 0)));
  const n = 20000;
  const same = frechetDistance(toTensor(draw(n, [1, 2, 3], L, 21)), toTensor(draw(n, [1, 2, 3], L, 22)));
  t.ok(same >= 0 && same < 0.01, `two samples of one Gaussian (n = ${n}, D = 3): FD = ${same.toExponential(2)} ≈ 0`);
  const Sb: Mat = [[0.5, -0.2, 0.1], [-0.2, 2, 0.3], [0.1, 0.3, 1.2]];
  const want = fdClosed([1, 2, 3], S, [0, 2.5, 3], Sb, trSqrt3(S, Sb));
  const got = frechetDistance(toTensor(draw(n, [1, 2, 3], L, 23)), toTensor(draw(n, [0, 2.5, 3], cholesky(Sb), 24)));
  close(t, [got], [want], 0.03, 0.01, `sampled N(μa, Sa) vs N(μb, Sb): ${got.toFixed(4)} vs closed form ${want.toFixed(4)}`);
});

t.test('frechetDistance: argument errors', async (t) => {
  const a = td.randn([5, 3], { seed: 1 }), b = td.randn([6, 3], { seed: 2 });
  throwsKind(t, () => frechetDistance(td.randn([5], { seed: 3 }), b), RangeError, '1-D a');
  throwsKind(t, () => frechetDistance(a, td.randn([2, 3, 1], { seed: 3 })), RangeError, '3-D b');
  throwsKind(t, () => frechetDistance(a, td.randn([6, 4], { seed: 3 })), RangeError, 'mismatched D');
  throwsKind(t, () => frechetDistance(td.randn([1, 3], { seed: 3 }), b), RangeError, 'N = 1');
  throwsKind(t, () => frechetDistance(a, td.zeros([6, 3], { dtype: 'int32' })), TypeError, 'int32 b');
  throwsKind(t, () => frechetDistance([[1, 2], [3, 4]] as unknown as td.Tensor, b), TypeError, 'a not a tensor');
  throwsKind(t, () => frechetDistance(td.tensor([[1, 2], [NaN, 4]]), td.tensor([[1, 2], [3, 4]])), RangeError, 'NaN in a');
  try {
    frechetDistance(a, td.randn([6, 4], { seed: 3 }));
  } catch (e) {
    t.match((e as Error).message, /frechetDistance.*\[5, 3\] float32.*\[6, 4\] float32/, 'the message names the op, shapes and dtypes');
  }
  td.dispose([a, b]);
});

const THRESHOLD = { 16: 0.96, 28: 0.97 } as const;

for (const size of [16, 28] as const) {
  t.test(`shipped ${size}×${size} classifier: test-split accuracy, features, mnistFrechet ordering`, async (t) => {
    const test = td.data.mnist({ split: 'test', size });
    const logits = mnistClassify(test.images);
    t.same(logits.shape, [test.images.shape[0], 10], 'logits [N, 10]');
    const pred = td.argmax(logits, 1).dataSync(), lab = test.labels.dataSync();
    let ok = 0;
    for (let i = 0; i < lab.length; i++) if (pred[i] === lab[i]) ok++;
    const acc = ok / lab.length;
    t.ok(acc >= THRESHOLD[size], `test accuracy ${(100 * acc).toFixed(2)}% on ${lab.length} held-out digits >= ${100 * THRESHOLD[size]}%`);

    const held = td.tensor(Float32Array.from(test.images.dataSync().subarray(0, 500 * size * size)), { shape: [500, 1, size, size] });
    const before = td.memory().tensors;
    const few = td.narrow(held, 0, 0, 150);
    const f = mnistFeatures(few, { batch: 37 });
    t.same([f.shape, f.dtype], [[150, 64], 'float32'], 'features [N, 64] float32');
    const f2 = mnistFeatures(few);
    close(t, f.dataSync(), f2.dataSync(), 1e-5, 1e-5, 'features do not depend on the batch size');
    td.dispose([f, f2, few]);
    t.equal(td.memory().tensors, before, 'mnistFeatures leaks no tensor');

    const ref = td.data.mnist({ split: 'train', size, limit: 500 });
    const real = mnistFrechet(held, ref.images);
    const fRef = mnistFeatures(ref.images);
    close(t, [td.tidy(() => frechetDistance(mnistFeatures(held), fRef))], [real], 1e-9, 0, 'mnistFrechet = frechetDistance of the features');
    // degraded sets: uniform noise, a 5×5 box blur, each image's pixels shuffled by one fixed permutation
    const noise = td.rand([500, 1, size, size], { seed: 31 }).mul(2).sub(1);
    const blurred = td.avgPool2d(td.avgPool2d(held, 3, 1, 1), 3, 1, 1).clamp(-1, 1);
    const r = rng(32), P = size * size, perm = Array.from({ length: P }, (_, i) => i);
    for (let i = P - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [perm[i], perm[j]] = [perm[j], perm[i]]; }
    const hv = held.dataSync(), sv = new Float32Array(hv.length);
    for (let n = 0; n < 500; n++) for (let p = 0; p < P; p++) sv[n * P + p] = hv[n * P + perm[p]];
    const shuffled = td.tensor(sv, { shape: [500, 1, size, size] });
    const fd = (x: td.Tensor) => td.tidy(() => frechetDistance(mnistFeatures(x), fRef));
    const fdNoise = fd(noise), fdBlur = fd(blurred), fdShuf = fd(shuffled);
    t.ok(fdNoise > 10 * real, `noise FD ${fdNoise.toFixed(2)} > 10 × test-vs-train FD ${real.toFixed(2)}`);
    t.ok(fdShuf > 10 * real, `shuffled-pixel FD ${fdShuf.toFixed(2)} > 10 × test-vs-train FD ${real.toFixed(2)}`);
    t.ok(fdBlur > 3 * real, `blurred FD ${fdBlur.toFixed(2)} > 3 × test-vs-train FD ${real.toFixed(2)}`);
    td.dispose([test.images, test.labels, logits, ref.images, ref.labels, held, noise, blurred, shuffled, fRef]);
  });
}

t.test('mnistFeatures / mnistClassify / mnistFrechet: argument errors', async (t) => {
  const ok = td.zeros([4, 1, 16, 16]);
  throwsKind(t, () => mnistFeatures(td.zeros([4, 16, 16])), RangeError, 'rank 3');
  throwsKind(t, () => mnistFeatures(td.zeros([4, 3, 16, 16])), RangeError, '3 channels');
  throwsKind(t, () => mnistFeatures(td.zeros([4, 1, 20, 20])), RangeError, 'size 20');
  throwsKind(t, () => mnistFeatures(td.zeros([4, 1, 16, 28])), RangeError, 'non-square');
  throwsKind(t, () => mnistClassify(td.zeros([4, 1, 16, 16], { dtype: 'float64' })), TypeError, 'float64');
  throwsKind(t, () => mnistClassify(td.zeros([4, 1, 16, 16], { dtype: 'int32' })), TypeError, 'int32');
  throwsKind(t, () => mnistFeatures(ok, { batch: 0 }), RangeError, 'batch 0');
  throwsKind(t, () => mnistFeatures('x' as unknown as td.Tensor), TypeError, 'not a tensor');
  throwsKind(t, () => mnistFrechet(ok, td.zeros([4, 1, 28, 28])), RangeError, 'mnistFrechet: 16 vs 28');
  throwsKind(t, () => mnistFrechet(td.zeros([1, 1, 16, 16]), ok), RangeError, 'mnistFrechet: one image');
  try {
    mnistFeatures(td.zeros([4, 3, 16, 16]));
  } catch (e) {
    t.match((e as Error).message, /mnistFeatures.*\[4, 3, 16, 16\] float32/, 'the message names the op, shape and dtype');
  }
  ok.dispose();
});
