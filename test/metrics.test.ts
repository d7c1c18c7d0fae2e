// metrics.test.ts — td.metrics against closed forms and independent plain-JS references:
// 1-D Wasserstein (hand cases, Gaussians W₂ = √((m₁−m₂)² + (s₁−s₂)²)), sliced Wasserstein of
// isotropic Gaussians (SW₂² = |Δμ|²/d + (s₁−s₂)²), RBF MMD² of Gaussians (closed form) and on small
// sets (pairwise sums in JS), energy distance (point masses, 1-D CDF integral, Gaussians), PSNR of
// known noise; identical sets give 0; argument errors.
import t from 'tap';
import * as td from '../lib/index';
import * as metrics from '../lib/metrics';
import { throwsKind, close, uniform } from './helpers/check';

/** Standard normal CDF via erf (Abramowitz–Stegun 7.1.26, |error| < 1.5e-7). */
function Phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2, u = 1 / (1 + 0.3275911 * z);
  const erf = 1 - (((((1.061405429 * u - 1.453152027) * u) + 1.421413741) * u - 0.284496736) * u + 0.254829592) * u * Math.exp(-z * z);
  return 0.5 * (1 + (x >= 0 ? erf : -erf));
}

/** E|Z| for Z ~ N(mu, s²). */
const absMean = (mu: number, s: number) => s * Math.sqrt(2 / Math.PI) * Math.exp(-(mu * mu) / (2 * s * s)) + mu * (1 - 2 * Phi(-mu / s));

/** Rows of a flat array [n·d]. */
const rowsOf = (v: number[], d: number) => Array.from({ length: v.length / d }, (_, i) => v.slice(i * d, i * d + d));
const dist2 = (a: number[], b: number[]) => a.reduce((s, ai, k) => s + (ai - b[k]) ** 2, 0);

/** Plain-JS MMD² with the sum of RBF kernels over hs. */
function mmdJS(X: number[][], Y: number[][], hs: number[], unbiased: boolean): number {
  const k = (a: number[], b: number[]) => hs.reduce((s, h) => s + Math.exp(-dist2(a, b) / (2 * h * h)), 0);
  const mean = (A: number[][], B: number[][], skipDiag: boolean) => {
    let s = 0, c = 0;
    A.forEach((a, i) => B.forEach((b, j) => { if (skipDiag && i === j) return; s += k(a, b); c++; }));
    return s / c;
  };
  return mean(X, X, unbiased) + mean(Y, Y, unbiased) - 2 * mean(X, Y, false);
}

/** Plain-JS energy distance. */
function energyJS(X: number[][], Y: number[][], unbiased: boolean): number {
  const mean = (A: number[][], B: number[][], skipDiag: boolean) => {
    let s = 0, c = 0;
    A.forEach((a, i) => B.forEach((b, j) => { if (skipDiag && i === j) return; s += Math.sqrt(dist2(a, b)); c++; }));
    return s / c;
  };
  return 2 * mean(X, Y, false) - mean(X, X, unbiased) - mean(Y, Y, unbiased);
}

t.test('wasserstein1d: hand cases and Gaussians', async (t) => {
  // equal sizes: sorted matching
  const a = [3, -1, 2, 0.5], b = [0, 0, 4, 1];
  const sa = [...a].sort((p, q) => p - q), sb = [...b].sort((p, q) => p - q);
  close(t, [metrics.wasserstein1d(a, b, 1), metrics.wasserstein1d(a, b, 2)], [sa.reduce((s, v, i) => s + Math.abs(v - sb[i]), 0) / 4, Math.sqrt(sa.reduce((s, v, i) => s + (v - sb[i]) ** 2, 0) / 4)], 1e-14, 0, 'equal sizes: mean over sorted pairs');
  // unequal sizes: {0, 1} vs {0, 0.5, 1}: quantiles differ by 0.5 on u ∈ [1/3, 2/3) → W₁ = 1/6, W₂² = 1/12
  close(t, [metrics.wasserstein1d([0, 1], [0, 0.5, 1], 1), metrics.wasserstein1dPow([0, 1], [0, 0.5, 1], 2)], [1 / 6, 1 / 12], 1e-14, 0, 'unequal sizes: hand-computed quantile integral');
  close(t, [metrics.wasserstein1d([1, 2, 3], [3.5, 4.5, 5.5, 1.5 + 3, 2.5 + 3, 3.5 + 3].slice(0, 3), 2)], [2.5], 1e-14, 0, 'a shift by c gives |c|');
  t.equal(metrics.wasserstein1d(a, a), 0, 'identical samples: 0');
  // N(1, 2²) vs N(−0.5, 1): W₂ = √(1.5² + 1²)
  const n = 20000;
  const x = td.randn([n], { seed: 1, dtype: 'float64' }).mul(2).add(1), y = td.randn([n], { seed: 2, dtype: 'float64' }).add(-0.5);
  close(t, [metrics.wasserstein1d(x, y)], [Math.sqrt(1.5 ** 2 + 1)], 0.02, 0, 'Gaussians: W₂ = √((m₁−m₂)² + (s₁−s₂)²)');
  throwsKind(t, () => metrics.wasserstein1d([], [1]), RangeError, 'empty sample');
  throwsKind(t, () => metrics.wasserstein1d([1], [1], 0.5), RangeError, 'p 0.5');
});

t.test('slicedWasserstein: isotropic Gaussians, d = 1 equals W, seeds, identical sets', async (t) => {
  const n = 8000;
  // x ~ N((1, −1), 0.5² I), y ~ N(0, 1.5² I): SW₂² = |Δμ|²/2 + (0.5 − 1.5)² = 2
  const x = td.randn([n, 2], { seed: 3 }).mul(0.5).add(td.tensor([1, -1])), y = td.randn([n, 2], { seed: 4 }).mul(1.5);
  close(t, [metrics.slicedWasserstein(x, y, { projections: 400, seed: 1 })], [Math.SQRT2], 0.03, 0, 'SW₂ of isotropic Gaussians in 2-D = √(|Δμ|²/d + (s₁−s₂)²)');
  // 5-D, equal spreads: SW₂² = |Δμ|²/5
  const x5 = td.randn([4000, 5], { seed: 5 }).add(td.tensor([2, 0, 1, 0, 0])), y5 = td.randn([4000, 5], { seed: 6 });
  close(t, [metrics.slicedWasserstein(x5, y5, { projections: 600 })], [Math.sqrt(5 / 5)], 0.04, 0, 'SW₂ in 5-D = |Δμ|/√5');
  // SW₁ of two point masses in 2-D: E|θ·Δ| = |Δ|·E|cos φ| = 2|Δ|/π
  const pa = td.zeros([3, 2]), pb = td.full([2, 2], 1);
  close(t, [metrics.slicedWasserstein(pa, pb, { projections: 4000, p: 1 })], [(2 * Math.SQRT2) / Math.PI], 0.03, 0, 'SW₁ of point masses = 2|Δ|/π');
  // d = 1: every direction is ±1, so SW = W exactly
  const a1 = td.tensor(uniform(1, 37, -2, 2), { shape: [37, 1] }), b1 = td.tensor(uniform(2, 23, -1, 3), { shape: [23, 1] });
  close(t, [metrics.slicedWasserstein(a1, b1, { projections: 3 })], [metrics.wasserstein1d(a1, b1)], 1e-12, 0, 'd = 1: SW₂ = W₂');
  t.equal(metrics.slicedWasserstein(x, x), 0, 'identical sets: 0');
  const s1 = metrics.slicedWasserstein(x5, y5, { projections: 16, seed: 9 });
  t.equal(metrics.slicedWasserstein(x5, y5, { projections: 16, seed: 9 }), s1, 'same seed, same value');
  t.not(metrics.slicedWasserstein(x5, y5, { projections: 16, seed: 10 }), s1, 'another seed, other directions');
  throwsKind(t, () => metrics.slicedWasserstein(x, x5), RangeError, 'feature counts differ');
  throwsKind(t, () => metrics.slicedWasserstein(x, y, { projections: 0 }), RangeError, 'projections 0');
  throwsKind(t, () => metrics.slicedWasserstein(x, y, { p: 0.5 }), RangeError, 'p 0.5');
  throwsKind(t, () => metrics.slicedWasserstein(x, y, { seed: -1 }), TypeError, 'seed -1');
  throwsKind(t, () => metrics.slicedWasserstein(x, 3 as unknown as td.Tensor), TypeError, 'y not a tensor');
  throwsKind(t, () => metrics.slicedWasserstein(td.tensor([[NaN, 1]]), y), RangeError, 'NaN input');
});

t.test('mmd2: small sets against plain JS, Gaussians against the closed form', async (t) => {
  for (const d of [3, 20]) { // 20 > 16 takes the matmul path
    const X = rowsOf(uniform(10 + d, 7 * d, -1, 1), d), Y = rowsOf(uniform(20 + d, 5 * d, -0.5, 1.5), d);
    const x = td.tensor(X, { dtype: 'float64' }), y = td.tensor(Y, { dtype: 'float64' });
    for (const unbiased of [true, false]) {
      for (const hs of [[0.7], [0.5, 2]]) {
        close(t, [metrics.mmd2(x, y, { bandwidth: hs.length === 1 ? hs[0] : hs, unbiased })], [mmdJS(X, Y, hs, unbiased)], 1e-10, 1e-13, `d ${d}, ${unbiased ? 'unbiased' : 'biased'}, h = ${hs.join(',')}`);
      }
    }
    // median heuristic: the median distance among the pooled rows (all of them here: fewer than 500)
    const Z = [...X, ...Y], ds: number[] = [];
    for (let i = 0; i < Z.length; i++) for (let j = i + 1; j < Z.length; j++) ds.push(Math.sqrt(dist2(Z[i], Z[j])));
    ds.sort((p, q) => p - q);
    close(t, [metrics.mmd2(x, y)], [mmdJS(X, Y, [ds[Math.floor(ds.length / 2)]], true)], 1e-10, 1e-13, `d ${d}: default bandwidth is the median distance`);
  }
  // Gaussians: N(μ₁, s₁²I), N(μ₂, s₂²I) in d dims with k = exp(−|x−y|²/(2h²)):
  // E k(X, Y) = (h²/(h² + s₁² + s₂²))^{d/2} exp(−|Δ|²/(2(h² + s₁² + s₂²)))
  const d = 2, h = 1, s1 = 1, s2 = 0.7, delta2 = 0.8 ** 2;
  const ek = (v: number, dd: number) => (h * h / (h * h + v)) ** (d / 2) * Math.exp(-dd / (2 * (h * h + v)));
  const want = ek(2 * s1 * s1, 0) + ek(2 * s2 * s2, 0) - 2 * ek(s1 * s1 + s2 * s2, delta2);
  const n = 3000;
  const x = td.randn([n, 2], { seed: 7 }), y = td.randn([n, 2], { seed: 8 }).mul(s2).add(td.tensor([0.8, 0]));
  close(t, [metrics.mmd2(x, y, { bandwidth: h })], [want], 0, 0.006, `Gaussians: unbiased MMD² ≈ closed form ${want.toFixed(4)}`);
  // same distribution: unbiased ≈ 0, biased > 0; identical sets: biased = 0
  const x2 = td.randn([n, 2], { seed: 9 });
  const u0 = metrics.mmd2(x, x2, { bandwidth: 1 });
  t.ok(Math.abs(u0) < 0.002, `same distribution: unbiased MMD² ≈ 0 (${u0})`);
  t.ok(metrics.mmd2(x, x2, { bandwidth: 1, unbiased: false }) > 0, 'same distribution: biased MMD² > 0');
  close(t, [metrics.mmd2(x, x, { bandwidth: 1, unbiased: false })], [0], 0, 1e-12, 'identical sets: biased MMD² = 0');
  throwsKind(t, () => metrics.mmd2(x, y, { bandwidth: 0 }), RangeError, 'bandwidth 0');
  throwsKind(t, () => metrics.mmd2(x, y, { bandwidth: [] }), TypeError, 'bandwidth []');
  throwsKind(t, () => metrics.mmd2(x, y, { bandwidth: 'mean' as 'median' }), TypeError, "bandwidth 'mean'");
  throwsKind(t, () => metrics.mmd2(x, td.zeros([4, 3])), RangeError, 'feature counts differ');
  throwsKind(t, () => metrics.mmd2(td.zeros([1, 2]), y), RangeError, 'unbiased with one row');
  throwsKind(t, () => metrics.mmd2(x, y, { unbiased: 1 as unknown as boolean }), TypeError, 'unbiased 1');
});

t.test('energyDistance: point masses, 1-D CDF identity, Gaussians, JS reference', async (t) => {
  // point masses at a and b: 2|a − b|
  const pa = td.tensor([[1, 2], [1, 2], [1, 2]]), pb = td.tensor([[4, 6], [4, 6]]);
  close(t, [metrics.energyDistance(pa, pb)], [10], 1e-14, 0, 'point masses: 2|a − b|');
  // 1-D: the V-statistic equals 2∫(F_n − G_m)² of the empirical CDFs
  const A = uniform(3, 41, -1, 2), B = uniform(4, 29, 0, 3);
  const pts = [...A.map((v) => [v, 0]), ...B.map((v) => [v, 1])].sort((p, q) => p[0] - q[0]);
  let F = 0, G = 0, integral = 0;
  for (let i = 0; i + 1 < pts.length; i++) {
    if (pts[i][1] === 0) F += 1 / A.length; else G += 1 / B.length;
    integral += (F - G) ** 2 * (pts[i + 1][0] - pts[i][0]);
  }
  close(t, [metrics.energyDistance(td.tensor(A, { dtype: 'float64' }), td.tensor(B, { dtype: 'float64' }))], [2 * integral], 1e-12, 0, '1-D: equals 2∫(F_n − G_m)²');
  // against a plain-JS reference in 3-D and 20-D, V and U
  for (const d of [3, 20]) {
    const X = rowsOf(uniform(30 + d, 6 * d), d), Y = rowsOf(uniform(40 + d, 9 * d, 0, 2), d);
    for (const unbiased of [false, true])
      close(t, [metrics.energyDistance(td.tensor(X, { dtype: 'float64' }), td.tensor(Y, { dtype: 'float64' }), { unbiased })], [energyJS(X, Y, unbiased)], 1e-9, 1e-12, `d ${d}, ${unbiased ? 'U' : 'V'}-statistic vs JS`);
  }
  // 1-D Gaussians N(0, 1) vs N(1, 1): 2 E|N(−1, 2)| − 2 E|N(0, 2)|
  const n = 4000;
  const want = 2 * absMean(1, Math.SQRT2) - 2 * absMean(0, Math.SQRT2);
  const gx = td.randn([n, 1], { seed: 11 }), gy = td.randn([n, 1], { seed: 12 }).add(1);
  close(t, [metrics.energyDistance(gx, gy, { unbiased: true })], [want], 0, 0.03, `Gaussians: energy distance ≈ ${want.toFixed(4)}`);
  t.equal(metrics.energyDistance(gx, gx), 0, 'identical sets: 0');
  throwsKind(t, () => metrics.energyDistance(gx, td.zeros([3, 2])), RangeError, 'feature counts differ');
  throwsKind(t, () => metrics.energyDistance(td.zeros([1, 1]), gy, { unbiased: true }), RangeError, 'unbiased with one row');
  throwsKind(t, () => metrics.energyDistance(td.tensor(3), gy), RangeError, '0-d input');
});

t.test('psnr: known noise levels, per sample, identical images', async (t) => {
  const x = td.tensor(uniform(5, 2 * 3 * 8 * 8, -1, 1), { shape: [2, 3, 8, 8] });
  // a constant offset c: MSE = c², PSNR = 10 log10(R²/c²)
  close(t, [metrics.psnr(x, x.add(0.1))], [10 * Math.log10(4 / 0.01)], 1e-6, 0, 'offset 0.1, range 2: 26.02 dB');
  close(t, [metrics.psnr(x, x.add(0.1), { dataRange: 1 })], [20], 1e-6, 0, 'offset 0.1, range 1: 20 dB');
  // Gaussian noise of std σ: PSNR ≈ 10 log10(R²/σ²)
  const big = td.zeros([64, 1, 32, 32]);
  const noisy = big.add(td.randn([64, 1, 32, 32], { seed: 13 }).mul(0.05));
  close(t, [metrics.psnr(noisy, big)], [10 * Math.log10(4 / 0.0025)], 0, 0.05, 'noise σ = 0.05, range 2: ≈ 32.04 dB');
  t.equal(metrics.psnr(x, x), Infinity, 'identical: +Infinity');
  // per sample: sample k offset by 0.1·(k + 1)
  const off = td.tensor([0.1, 0.2]).reshape([2, 1, 1, 1]);
  close(t, metrics.psnrPerSample(x.add(off), x), [10 * Math.log10(4 / 0.01), 10 * Math.log10(4 / 0.04)], 1e-6, 0, 'per sample: each offset');
  throwsKind(t, () => metrics.psnr(x, td.zeros([2, 3, 8, 7])), RangeError, 'shapes differ');
  throwsKind(t, () => metrics.psnr(x, x, { dataRange: 0 }), RangeError, 'dataRange 0');
  throwsKind(t, () => metrics.psnr(x, 'y' as unknown as td.Tensor), TypeError, 'y a string');
  throwsKind(t, () => metrics.psnrPerSample(td.tensor(1), td.tensor(2)), RangeError, 'per sample of 0-d');
});
