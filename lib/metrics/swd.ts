// swd.ts — Wasserstein-p between 1-D empirical distributions (exact, by matching quantile
// functions) and the sliced Wasserstein distance: the same along seeded random unit directions,
// SW_p = (mean over directions θ of W_p^p(θ·X, θ·Y))^(1/p).
import { Tensor } from '../tensor';
import { randn } from '../ops/creation';
import { checkCount, checkNum, checkOptions, checkSeed, Seed } from '../data/args';
import { asRows, checkSameWidth, shapesOf } from './pairwise';

/**
 * W_p^p between the empirical distributions of a and b (uniform weights, any sizes):
 * ∫₀¹ |F_a⁻¹(u) − F_b⁻¹(u)|^p du, exact for the step quantile functions. Sorts copies of a and b.
 */
export function wasserstein1dPow(a: ArrayLike<number>, b: ArrayLike<number>, p = 2): number {
  const op = 'wasserstein1d';
  if (a.length < 1 || b.length < 1) throw new RangeError(`${op}: both samples need at least one value, got ${a.length} and ${b.length}`);
  if (!(typeof p === 'number' && p >= 1 && Number.isFinite(p))) throw new RangeError(`${op}: p must be a finite number >= 1, got ${String(p)}`);
  const sa = Float64Array.from(a).sort(), sb = Float64Array.from(b).sort();
  const n = sa.length, m = sb.length;
  let i = 0, j = 0, u = 0, acc = 0;
  while (i < n && j < m) {
    const ui = (i + 1) / n, uj = (j + 1) / m;
    const next = Math.min(ui, uj);
    acc += Math.abs(sa[i] - sb[j]) ** p * (next - u);
    u = next;
    if (ui <= next) i++;
    if (uj <= next) j++;
  }
  return acc;
}

/** W_p between two 1-D samples: {@link wasserstein1dPow}^(1/p). */
export function wasserstein1d(a: ArrayLike<number> | Tensor, b: ArrayLike<number> | Tensor, p = 2): number {
  const va = a instanceof Tensor ? a.dataSync() : a, vb = b instanceof Tensor ? b.dataSync() : b;
  return wasserstein1dPow(va, vb, p) ** (1 / p);
}

/** Options of {@link slicedWasserstein}. */
export interface SlicedWassersteinOptions {
  /** Number of random directions (default 128). */
  projections?: number;
  /** Seed of the directions (default 0): the same seed gives the same directions. */
  seed?: Seed;
  /** Order p >= 1 (default 2). */
  p?: number;
}

/**
 * Sliced Wasserstein distance between x [n, ...] and y [m, ...] (rows are points; trailing dims
 * flattened): directions θ_l = g_l/|g_l| with g_l ~ N(0, I) from Philox(seed), and
 * SW_p = ((1/L) Σ_l W_p^p(θ_l·X, θ_l·Y))^(1/p), each 1-D W_p exact ({@link wasserstein1dPow}).
 * For isotropic Gaussians N(μ₁, s₁²I), N(μ₂, s₂²I) in d dims, SW₂² → |μ₁ − μ₂|²/d + (s₁ − s₂)².
 */
export function slicedWasserstein(x: Tensor, y: Tensor, options: SlicedWassersteinOptions = {}): number {
  const op = 'slicedWasserstein';
  const a = asRows(op, x, 'x'), b = asRows(op, y, 'y');
  checkSameWidth(op, a, b, shapesOf(x, y));
  const o = checkOptions<SlicedWassersteinOptions>(op, options);
  const L = o.projections === undefined ? 128 : checkCount(op, o.projections, 'projections');
  const seed = checkSeed(op, o.seed ?? 0);
  const p = checkNum(op, 'p', o.p, 2);
  if (p < 1) throw new RangeError(`${op}: p must be >= 1, got ${p}`);
  const d = a.d;
  const g = randn([L, d], { dtype: 'float64', seed });
  const theta = g.dataSync() as Float64Array; // [L, d]
  g.dispose();
  const pa = new Float64Array(a.n), pb = new Float64Array(b.n);
  let acc = 0;
  for (let l = 0; l < L; l++) {
    let nrm = 0;
    for (let k = 0; k < d; k++) nrm += theta[l * d + k] ** 2;
    nrm = Math.sqrt(nrm) || 1;
    for (let i = 0; i < a.n; i++) { let s = 0; for (let k = 0; k < d; k++) s += a.data[i * d + k] * theta[l * d + k]; pa[i] = s / nrm; }
    for (let i = 0; i < b.n; i++) { let s = 0; for (let k = 0; k < d; k++) s += b.data[i * d + k] * theta[l * d + k]; pb[i] = s / nrm; }
    acc += wasserstein1dPow(pa, pb, p);
  }
  return (acc / L) ** (1 / p);
}
