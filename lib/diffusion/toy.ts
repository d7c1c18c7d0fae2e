// toy.ts — 2-D toy data for diffusion experiments (seeded Gaussian mixtures: CLD's 'diamond' and
// the classic 8 Gaussians), the EXACT CLD score of any isotropic Gaussian mixture (p_t(u) is
// itself a Gaussian mixture in (x, v)), and the mode-share metric used to compare samplers.
import { Tensor } from '../tensor';
import { tensor, rand, randn } from '../ops/creation';
import { CLD, deriveSeed } from './cld';

/** An isotropic Gaussian mixture: component k is N(centers[k], stds[k]² I) with weight weights[k]. */
export interface GaussianMixture {
  /** K centers, each of dimension D. */
  centers: number[][];
  /** Per-component standard deviation (length K). */
  stds: number[];
  /** Mixture weights (length K, summing to 1). */
  weights: number[];
}

/** A drawn toy data set: data [N, D] float32 plus the mixture it was drawn from. */
export interface ToyData extends GaussianMixture { data: Tensor }

/** The 'diamond' mixture: 9 Gaussians on the 3×3 grid over [−0.5, 0.5]², rotated 45°, std 0.04. */
export function diamondMixture(std = 0.04): GaussianMixture {
  const centers: number[][] = [];
  const c = Math.SQRT1_2;
  for (const a of [-0.5, 0, 0.5]) for (const b of [-0.5, 0, 0.5]) centers.push([c * (a - b), c * (a + b)]);
  return { centers, stds: centers.map(() => std), weights: centers.map(() => 1 / 9) };
}

/** 8 Gaussians evenly spaced on a circle of the given radius (default 1), std 0.04 by default. */
export function eightGaussiansMixture(radius = 1, std = 0.04): GaussianMixture {
  const centers: number[][] = [];
  for (let k = 0; k < 8; k++) centers.push([radius * Math.cos((2 * Math.PI * k) / 8), radius * Math.sin((2 * Math.PI * k) / 8)]);
  return { centers, stds: centers.map(() => std), weights: centers.map(() => 1 / 8) };
}

/** Draw n points [n, D] (float32) from a mixture, deterministically from the seed. */
export function sampleMixture(mix: GaussianMixture, n: number, seed: number | bigint): Tensor {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`sampleMixture: n must be a positive integer, got ${n}`);
  const K = mix.centers.length, D = mix.centers[0].length;
  const r = rand([n], { dtype: 'float64', seed: deriveSeed(seed, 1) });
  const rd = r.dataSync();
  r.dispose();
  const cdf: number[] = [];
  let acc = 0;
  for (const w of mix.weights) cdf.push((acc += w / mix.weights.reduce((x, y) => x + y, 0)));
  const comp = Array.from(rd, (u) => {
    let k = 0;
    while (k < K - 1 && u >= cdf[k]) k++;
    return k;
  });
  const e = randn([n, D], { dtype: 'float64', seed: deriveSeed(seed, 2) });
  const ed = e.dataSync();
  e.dispose();
  const out = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const k = comp[i];
    for (let d = 0; d < D; d++) out[i * D + d] = mix.centers[k][d] + mix.stds[k] * ed[i * D + d];
  }
  return tensor(out, { shape: [n, D] });
}

/** Seeded 'diamond' data: [n, 2] float32 plus its mixture (centers = the 9 modes). */
export function diamond(n: number, o: { seed: number | bigint; std?: number }): ToyData {
  const mix = diamondMixture(o.std);
  return { ...mix, data: sampleMixture(mix, n, o.seed) };
}

/** Seeded 8-Gaussians data: [n, 2] float32 plus its mixture. */
export function eightGaussians(n: number, o: { seed: number | bigint; radius?: number; std?: number }): ToyData {
  const mix = eightGaussiansMixture(o.radius, o.std);
  return { ...mix, data: sampleMixture(mix, n, o.seed) };
}

/**
 * The exact CLD velocity score ∇_v log p_t(x, v) for data from an isotropic Gaussian mixture
 * (v₀ ~ N(0, γM)). Component k of p_t has, per data dimension d, the 2×2 Gaussian over
 * (x_d, v_d) with mean Φ_t (c_kd, 0) and covariance Σ(t; sx = σ_k², sv = γM) (+ numEps, default 0).
 * Computed in float64 on the host; returns a callback (x, v, t) → s with x's shape and dtype.
 * x, v: [N, D].
 */
export function gmmScore(cld: CLD, mix: GaussianMixture, o: { numEps?: number } = {}): (x: Tensor, v: Tensor, t: number) => Tensor {
  const K = mix.centers.length, D = mix.centers[0].length;
  const numEps = o.numEps ?? 0;
  return (x: Tensor, v: Tensor, t: number): Tensor => {
    if (x.ndim !== 2 || x.shape[1] !== D) throw new RangeError(`gmmScore: x must be [N, ${D}], got [${x.shape.join(', ')}]`);
    const n = x.shape[0];
    const xd = x.dataSync(), vd = v.dataSync();
    const p = cld.meanMap(t);
    const comps = mix.centers.map((c, k) => {
      const S = cld.cov(t, mix.stds[k] ** 2, cld.sv0, numEps);
      const det = S.xx * S.vv - S.xv * S.xv;
      return { mx: c.map((ci) => p[0] * ci), mv: c.map((ci) => p[2] * ci), S, det, logc: Math.log(mix.weights[k]) - 0.5 * D * Math.log(det) };
    });
    const out = x.dtype === 'float64' ? new Float64Array(n * D) : new Float32Array(n * D);
    const logw = new Float64Array(K);
    const g = new Float64Array(K * D);
    for (let i = 0; i < n; i++) {
      let mx = -Infinity;
      for (let k = 0; k < K; k++) {
        const cp = comps[k];
        let q = 0;
        for (let d = 0; d < D; d++) {
          const dx = xd[i * D + d] - cp.mx[d], dv = vd[i * D + d] - cp.mv[d];
          q += (cp.S.vv * dx * dx - 2 * cp.S.xv * dx * dv + cp.S.xx * dv * dv) / cp.det;
          g[k * D + d] = (cp.S.xv * dx - cp.S.xx * dv) / cp.det;
        }
        logw[k] = cp.logc - 0.5 * q;
        if (logw[k] > mx) mx = logw[k];
      }
      let z = 0;
      for (let k = 0; k < K; k++) z += (logw[k] = Math.exp(logw[k] - mx));
      for (let d = 0; d < D; d++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += logw[k] * g[k * D + d];
        out[i * D + d] = s / z;
      }
    }
    return tensor(out, { shape: [n, D] });
  };
}

/** Share of the rows of samples [N, D] within `radius` of the nearest center. */
export function modeShare(samples: Tensor, centers: number[][], radius: number): number {
  const D = centers[0].length;
  const a = samples.dataSync();
  const n = a.length / D;
  let hit = 0;
  for (let i = 0; i < n; i++) {
    for (const c of centers) {
      let r2 = 0;
      for (let d = 0; d < D; d++) r2 += (a[i * D + d] - c[d]) ** 2;
      if (r2 <= radius * radius) {
        hit++;
        break;
      }
    }
  }
  return hit / n;
}
