// frechet.ts — the Fréchet distance between Gaussians fitted to two row sets (the distance behind
// FID): |μa − μb|² + tr(Σa + Σb − 2 (Σa^½ Σb Σa^½)^½), in float64, with unbiased covariances and
// the matrix square roots taken through cyclic Jacobi symmetric eigendecompositions.
import { Tensor } from '../tensor';
import { checkIsTensor } from '../data/args';

/** Above this many features the O(D³)-per-sweep Jacobi eigensolver is refused. */
const MAX_D = 1024;

/** Row-major float64 [n, d] copy of a 2-D float tensor, validated for frechetDistance. */
function rowsOf(op: string, x: unknown, name: string): { n: number; d: number; data: Float64Array; desc: string } {
  const t = checkIsTensor(op, x, name);
  const desc = `[${t.shape.join(', ')}] ${t.dtype}`;
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new TypeError(`${op}: ${name} must be float32 or float64, got ${desc}`);
  if (t.ndim !== 2) throw new RangeError(`${op}: ${name} must be a 2-D [N, D] tensor, got ${desc}`);
  const [n, d] = t.shape;
  if (n < 2) throw new RangeError(`${op}: ${name} needs at least 2 rows for an unbiased covariance, got ${desc}`);
  if (d < 1) throw new RangeError(`${op}: ${name} has no features: ${desc}`);
  const v = t.dataSync();
  const data = Float64Array.from(v);
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) throw new RangeError(`${op}: ${name} ${desc} has a non-finite value at flat index ${i}`);
  return { n, d, data, desc };
}

/** Mean [d] and unbiased covariance [d, d] (row-major) of rows data [n, d]. */
export function meanCov(data: Float64Array, n: number, d: number): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) mean[k] += data[i * d + k];
  for (let k = 0; k < d; k++) mean[k] /= n;
  const c = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) c[i * d + k] = data[i * d + k] - mean[k];
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    const r = i * d;
    for (let p = 0; p < d; p++) {
      const cp = c[r + p];
      if (cp === 0) continue;
      for (let q = p; q < d; q++) cov[p * d + q] += cp * c[r + q];
    }
  }
  for (let p = 0; p < d; p++) for (let q = p; q < d; q++) {
    const v = cov[p * d + q] / (n - 1);
    cov[p * d + q] = v;
    cov[q * d + p] = v;
  }
  return { mean, cov };
}

/**
 * Eigen-decomposition of a symmetric matrix A [n, n] (row-major, not modified) by cyclic Jacobi
 * rotations: A = V diag(values) Vᵀ, V [n, n] row-major with the eigenvectors as columns.
 */
export function symEig(A: Float64Array, n: number, wantVectors = true): { values: Float64Array; vectors: Float64Array | null } {
  const a = Float64Array.from(A);
  const V = wantVectors ? new Float64Array(n * n) : null;
  if (V) for (let i = 0; i < n; i++) V[i * n + i] = 1;
  let fro = 0;
  for (let i = 0; i < n * n; i++) fro += a[i] * a[i];
  const tol = fro * 1e-30;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off <= tol) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p], aqq = a[q * n + q];
        // skip rotations that cannot change the diagonal in float64
        if (Math.abs(apq) < 1e-18 * (Math.abs(app) + Math.abs(aqq))) { a[p * n + q] = 0; a[q * n + p] = 0; continue; }
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        // A ← Jᵀ A J: columns p, q, then rows p, q
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        a[p * n + q] = 0;
        a[q * n + p] = 0;
        if (V) for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p], vkq = V[k * n + q];
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i];
  return { values, vectors: V };
}

/** Symmetric positive semi-definite square root of S [d, d] (negative eigenvalues clamped to 0). */
export function sqrtPsd(S: Float64Array, d: number): Float64Array {
  const { values, vectors } = symEig(S, d, true);
  const V = vectors as Float64Array;
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const r = Math.sqrt(Math.max(values[k], 0));
    if (r === 0) continue;
    for (let i = 0; i < d; i++) {
      const vik = V[i * d + k] * r;
      if (vik === 0) continue;
      for (let j = 0; j < d; j++) out[i * d + j] += vik * V[j * d + k];
    }
  }
  return out;
}

/** C = A B for row-major [d, d] matrices. */
function matmulSq(A: Float64Array, B: Float64Array, d: number): Float64Array {
  const C = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let k = 0; k < d; k++) {
    const aik = A[i * d + k];
    if (aik === 0) continue;
    for (let j = 0; j < d; j++) C[i * d + j] += aik * B[k * d + j];
  }
  return C;
}

/**
 * Fréchet distance between Gaussians for means/covariances: |μa − μb|² + tr Σa + tr Σb −
 * 2 tr (Σa^½ Σb Σa^½)^½ (float64; clamped at 0 against round-off).
 */
export function frechetFromMoments(muA: Float64Array, covA: Float64Array, muB: Float64Array, covB: Float64Array, d: number): number {
  let dm = 0, tr = 0;
  for (let k = 0; k < d; k++) {
    dm += (muA[k] - muB[k]) ** 2;
    tr += covA[k * d + k] + covB[k * d + k];
  }
  const ra = sqrtPsd(covA, d);
  const M = matmulSq(matmulSq(ra, covB, d), ra, d);
  for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) {
    const v = 0.5 * (M[i * d + j] + M[j * d + i]);
    M[i * d + j] = v;
    M[j * d + i] = v;
  }
  const { values } = symEig(M, d, false);
  let trSqrt = 0;
  for (let k = 0; k < d; k++) trSqrt += Math.sqrt(Math.max(values[k], 0));
  return Math.max(0, dm + tr - 2 * trSqrt);
}

/**
 * Fréchet distance between the Gaussians fitted to the rows of a [N, D] and b [M, D]:
 * |μa − μb|² + tr(Σa + Σb − 2 (Σa^½ Σb Σa^½)^½), with unbiased (1/(N−1)) covariances, computed in
 * float64 (Jacobi eigendecompositions; cost O(N·D² + D³) per sweep, fine for D up to a few hundred).
 * Symmetric in a and b up to round-off. The sample estimate is biased upwards for few rows (see
 * docs/metrics.md).
 * @param a float32/float64 [N, D], N >= 2
 * @param b float32/float64 [M, D], M >= 2, same D
 * @returns the distance (>= 0), a plain number
 */
export function frechetDistance(a: Tensor, b: Tensor): number {
  const op = 'frechetDistance';
  const A = rowsOf(op, a, 'a'), B = rowsOf(op, b, 'b');
  if (A.d !== B.d) throw new RangeError(`${op}: a and b must have the same number of features D, got a ${A.desc} and b ${B.desc}`);
  if (A.d > MAX_D) throw new RangeError(`${op}: D = ${A.d} features exceeds ${MAX_D} (the Jacobi eigensolver is O(D³) per sweep), got a ${A.desc} and b ${B.desc}`);
  const ma = meanCov(A.data, A.n, A.d), mb = meanCov(B.data, B.n, B.d);
  return frechetFromMoments(ma.mean, ma.cov, mb.mean, mb.cov, A.d);
}
