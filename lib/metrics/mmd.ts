// mmd.ts — squared maximum mean discrepancy with a Gaussian (RBF) kernel
// k(x, y) = exp(−|x − y|² / (2h²)) (or a sum of such kernels over several bandwidths h),
// unbiased (U-statistic) or biased (V-statistic).
import { Tensor } from '../tensor';
import { checkOptions } from '../data/args';
import { Rows, asRows, checkSameWidth, forEachSqDistChunk, shapesOf } from './pairwise';

/** Options of {@link mmd2}. */
export interface MmdOptions {
  /**
   * Kernel bandwidth h (> 0), a list of them (the kernel is then the sum), or 'median' (default):
   * the median distance between distinct points of the first 500 rows of x and of y pooled.
   */
  bandwidth?: number | number[] | 'median';
  /** U-statistic without the i = j terms (default true), else the V-statistic (>= 0). */
  unbiased?: boolean;
}

/** The median heuristic: median pairwise distance among the first 500 rows of each set, pooled. */
export function medianBandwidth(a: Rows, b: Rows): number {
  const na = Math.min(a.n, 500), nb = Math.min(b.n, 500);
  const pool: Rows = { n: na + nb, d: a.d, data: new Float64Array((na + nb) * a.d) };
  pool.data.set(a.data.subarray(0, na * a.d));
  pool.data.set(b.data.subarray(0, nb * b.d), na * a.d);
  const dists: number[] = [];
  forEachSqDistChunk(pool, pool, (d2, r0, rows, m) => {
    for (let i = 0; i < rows; i++) for (let j = r0 + i + 1; j < m; j++) dists.push(Math.sqrt(d2[i * m + j]));
  }, true);
  if (dists.length === 0) return 1;
  dists.sort((p, q) => p - q);
  const h = dists[Math.floor(dists.length / 2)];
  return h > 0 ? h : 1;
}

/** Sum of k over all pairs (a_i, b_j), skipping i = j when `same`. */
function kernelSum(a: Rows, b: Rows, coefs: number[], same: boolean): number {
  let total = 0;
  forEachSqDistChunk(a, b, (d2, r0, rows, m) => {
    for (const c of coefs) {
      let s = 0;
      for (let o = 0; o < rows * m; o++) s += Math.exp(-d2[o] * c);
      // the diagonal of a set with itself is exactly 0 (k = 1): take it out again
      total += same ? s - rows : s;
    }
  }, same);
  return total;
}

/**
 * Squared MMD between the samples x [n, ...] and y [m, ...] (rows are points; trailing dims are
 * flattened) with the RBF kernel exp(−|x − y|²/(2h²)):
 * unbiased: Σ_{i≠j} k(xᵢ,xⱼ)/(n(n−1)) + Σ_{i≠j} k(yᵢ,yⱼ)/(m(m−1)) − 2 Σ k(xᵢ,yⱼ)/(nm);
 * biased: the same with all pairs and 1/n², 1/m². Computed in float64; returns a number.
 */
export function mmd2(x: Tensor, y: Tensor, options: MmdOptions = {}): number {
  const op = 'mmd2';
  const a = asRows(op, x, 'x'), b = asRows(op, y, 'y');
  checkSameWidth(op, a, b, shapesOf(x, y));
  const o = checkOptions<MmdOptions>(op, options);
  if (o.unbiased !== undefined && typeof o.unbiased !== 'boolean') throw new TypeError(`${op}: unbiased must be a boolean`);
  const unbiased = o.unbiased ?? true;
  if (unbiased && (a.n < 2 || b.n < 2)) throw new RangeError(`${op}: the unbiased estimate needs at least 2 rows in each set, got ${shapesOf(x, y)}`);
  const bw = o.bandwidth ?? 'median';
  let hs: number[];
  if (bw === 'median') hs = [medianBandwidth(a, b)];
  else if (typeof bw === 'number') hs = [bw];
  else if (Array.isArray(bw) && bw.length > 0) hs = bw;
  else throw new TypeError(`${op}: bandwidth must be a positive number, a non-empty array of them, or 'median', got ${JSON.stringify(bw)}`);
  for (const h of hs) if (typeof h !== 'number' || !Number.isFinite(h) || !(h > 0)) throw new RangeError(`${op}: bandwidths must be finite and > 0, got ${JSON.stringify(bw)}`);
  const coefs = hs.map((h) => 1 / (2 * h * h));
  const K = hs.length;
  const kxx = kernelSum(a, a, coefs, true), kyy = kernelSum(b, b, coefs, true), kxy = kernelSum(a, b, coefs, false);
  if (unbiased) return kxx / (a.n * (a.n - 1)) + kyy / (b.n * (b.n - 1)) - (2 * kxy) / (a.n * b.n);
  // the diagonal terms k(x, x) = 1 per bandwidth
  return (kxx + K * a.n) / (a.n * a.n) + (kyy + K * b.n) / (b.n * b.n) - (2 * kxy) / (a.n * b.n);
}
