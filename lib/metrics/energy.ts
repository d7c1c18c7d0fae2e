// energy.ts — the energy distance of Székely and Rizzo between two samples:
// D² = 2 E|X − Y| − E|X − X'| − E|Y − Y'| (Euclidean norms), as a V- or U-statistic.
import { Tensor } from '../tensor';
import { checkOptions } from '../data/args';
import { Rows, asRows, checkSameWidth, forEachSqDistChunk, shapesOf } from './pairwise';

/** Options of {@link energyDistance}. */
export interface EnergyDistanceOptions {
  /** Average the within-sample terms over i ≠ j only (U-statistic). Default false (V-statistic, >= 0). */
  unbiased?: boolean;
}

function distSum(a: Rows, b: Rows, same: boolean): number {
  let s = 0;
  forEachSqDistChunk(a, b, (d2, _r0, rows, m) => {
    for (let i = 0; i < rows * m; i++) s += Math.sqrt(d2[i]);
  }, same);
  return s;
}

/**
 * Energy distance D² = 2 E|X − Y| − E|X − X'| − E|Y − Y'| between x [n, ...] and y [m, ...] (rows
 * are points; trailing dims flattened). The V-statistic (default) averages over all pairs, i = j
 * included, and is >= 0; in 1-D it equals 2∫(F_n − G_m)² dt of the empirical CDFs. With
 * `unbiased` the within-sample means skip i = j. Float64; returns a number (not its square root).
 */
export function energyDistance(x: Tensor, y: Tensor, options: EnergyDistanceOptions = {}): number {
  const op = 'energyDistance';
  const a = asRows(op, x, 'x'), b = asRows(op, y, 'y');
  checkSameWidth(op, a, b, shapesOf(x, y));
  const o = checkOptions<EnergyDistanceOptions>(op, options);
  if (o.unbiased !== undefined && typeof o.unbiased !== 'boolean') throw new TypeError(`${op}: unbiased must be a boolean`);
  const unbiased = o.unbiased ?? false;
  if (unbiased && (a.n < 2 || b.n < 2)) throw new RangeError(`${op}: the unbiased estimate needs at least 2 rows in each set, got ${shapesOf(x, y)}`);
  const sxy = distSum(a, b, false), sxx = distSum(a, a, true), syy = distSum(b, b, true);
  const px = unbiased ? a.n * (a.n - 1) : a.n * a.n, py = unbiased ? b.n * (b.n - 1) : b.n * b.n;
  return (2 * sxy) / (a.n * b.n) - sxx / px - syy / py;
}
