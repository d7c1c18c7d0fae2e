// pairwise.ts — shared pieces of the sample-based metrics: reading an argument as rows [n, d] in
// float64, and streaming the squared Euclidean distances between two row sets in row chunks
// (|x|² + |y|² − 2 x·yᵀ with one float64 matmul per chunk), so memory stays O(chunk · m).
import { Tensor } from '../tensor';
import { tensor } from '../ops/creation';
import { matmul } from '../ops/linalg';
import { transpose } from '../ops/views';
import { tidy } from '../memory';
import { checkIsTensor } from '../data/args';

/** Row-major float64 rows: data [n·d]. */
export interface Rows { n: number; d: number; data: Float64Array }

/** x as rows: [n] → [n, 1], [n, ...rest] → [n, prod(rest)]; float64 host copy. */
export function asRows(op: string, x: unknown, name: string): Rows {
  const t = checkIsTensor(op, x, name);
  if (t.ndim === 0) throw new RangeError(`${op}: ${name} must have a row dim, got a 0-d tensor (${t.dtype})`);
  const n = t.shape[0];
  const d = t.ndim === 1 ? 1 : t.shape.slice(1).reduce((a, b) => a * b, 1);
  if (n < 1 || d < 1) throw new RangeError(`${op}: ${name} is empty: [${t.shape.join(', ')}] (${t.dtype})`);
  const v = t.dataSync();
  const data = v instanceof Float64Array ? v : Float64Array.from(v);
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) throw new RangeError(`${op}: ${name} has a non-finite value at flat index ${i}`);
  return { n, d, data };
}

/** Throws unless a and b have the same row width. */
export function checkSameWidth(op: string, a: Rows, b: Rows, shapes: string): void {
  if (a.d !== b.d) throw new RangeError(`${op}: x and y must have the same number of features per row, got ${a.d} and ${b.d} (${shapes})`);
}

/** Shapes of two tensors for error messages. */
export const shapesOf = (x: Tensor, y: Tensor) => `[${x.shape.join(', ')}] ${x.dtype} and [${y.shape.join(', ')}] ${y.dtype}`;

const CHUNK_ELEMS = 1 << 22;
/** Up to this many features, distances are summed coordinate by coordinate instead of by matmul. */
const DIRECT_MAX_D = 16;

/**
 * Calls visit(d2, r0, rows, m) for successive row chunks of a: d2 [rows, m] row-major holds the
 * squared distances |a_{r0+i} − b_j|² (clamped at 0). With `same` (a === b) the diagonal is exactly 0.
 * d2 is only valid during the call (its buffer is reused).
 */
export function forEachSqDistChunk(a: Rows, b: Rows, visit: (d2: Float64Array, r0: number, rows: number, m: number) => void, same = false): void {
  const aa = new Float64Array(a.n), bb = new Float64Array(b.n);
  for (let i = 0; i < a.n; i++) { let s = 0; for (let k = 0; k < a.d; k++) s += a.data[i * a.d + k] ** 2; aa[i] = s; }
  for (let j = 0; j < b.n; j++) { let s = 0; for (let k = 0; k < b.d; k++) s += b.data[j * b.d + k] ** 2; bb[j] = s; }
  const chunk = Math.max(1, Math.floor(CHUNK_ELEMS / Math.max(b.n, a.d)));
  if (a.d <= DIRECT_MAX_D) {
    // few features: subtract coordinates directly (exact, no cancellation)
    const buf = new Float64Array(Math.min(chunk, a.n) * b.n);
    for (let r0 = 0; r0 < a.n; r0 += chunk) {
      const rows = Math.min(chunk, a.n - r0);
      const d2 = buf.subarray(0, rows * b.n);
      const ad = a.data, bd = b.data, d = a.d, m = b.n;
      for (let i = 0; i < rows; i++) {
        const ai = (r0 + i) * d;
        for (let j = 0; j < m; j++) {
          let s = 0;
          for (let k = 0; k < d; k++) {
            const e = ad[ai + k] - bd[j * d + k];
            s += e * e;
          }
          d2[i * m + j] = s;
        }
      }
      visit(d2, r0, rows, b.n);
    }
    return;
  }
  tidy(() => {
    const bT = transpose(tensor(b.data, { shape: [b.n, b.d] }), 0, 1); // [d, m]
    for (let r0 = 0; r0 < a.n; r0 += chunk) {
      const rows = Math.min(chunk, a.n - r0);
      const d2 = tidy(() => {
        const ac = tensor(a.data.subarray(r0 * a.d, (r0 + rows) * a.d).slice(), { shape: [rows, a.d] });
        return matmul(ac, bT).dataSync() as Float64Array; // [rows, m] = a_i · b_j
      });
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < b.n; j++) {
          const o = i * b.n + j;
          d2[o] = Math.max(0, aa[r0 + i] + bb[j] - 2 * d2[o]);
        }
        if (same) d2[i * b.n + r0 + i] = 0;
      }
      visit(d2, r0, rows, b.n);
    }
  });
}
