// toy2d.ts — seeded 2-D toy distributions for diffusion experiments, each `name(n, {seed, ...})`
// returning a Tensor [n, 2] float32. The two Gaussian mixtures (diamond, eightGaussians) come from
// lib/diffusion/toy.ts, whose mixtures also give exact scores (td.diffusion.gmmScore); the rest
// (checkerboard, swissRoll, twoMoons, multimodalSwissRoll) are drawn here from Philox uniforms
// and normals (td.rand / td.randn with a derived seed per stream), never from Math.random.
import { Tensor } from '../tensor';
import { rand, randn, tensor } from '../ops/creation';
import { deriveSeed } from '../diffusion/cld';
import * as toy from '../diffusion/toy';
import { Seed, checkCount, checkNum, checkOptions, checkSeed } from './args';

/** Options every toy distribution takes: the seed (required: toy data is always reproducible). */
export interface ToySeedOptions { seed: Seed }

/** Float64 host copy of `count` Philox draws from stream k of seed (uniform or normal). */
function draws(kind: 'rand' | 'randn', seed: Seed, k: number, count: number): Float64Array {
  const t = (kind === 'rand' ? rand : randn)([count], { dtype: 'float64', seed: deriveSeed(seed, k) });
  const d = t.dataSync() as Float64Array;
  t.dispose();
  return d;
}

function start(op: string, n: unknown, o: unknown): { n: number; o: Record<string, unknown>; seed: Seed } {
  const nn = checkCount(op, n);
  const oo = checkOptions<Record<string, unknown>>(op, o);
  if (o === undefined || oo.seed === undefined) throw new TypeError(`${op}: options.seed is required`);
  return { n: nn, o: oo, seed: checkSeed(op, oo.seed) };
}

/**
 * 8 Gaussians on a circle: centers radius·(cos 2πk/8, sin 2πk/8), std `std`, equal weights.
 * @returns [n, 2] float32.
 */
export function eightGaussians(n: number, options: ToySeedOptions & { radius?: number; std?: number }): Tensor {
  const { n: N, o, seed } = start('eightGaussians', n, options);
  const radius = checkNum('eightGaussians', 'radius', o.radius, 1);
  const std = checkNum('eightGaussians', 'std', o.std, 0.04, 'nonneg');
  return toy.eightGaussians(N, { seed, radius, std }).data;
}

/**
 * 'diamond' (CLD paper): 9 Gaussians on the 3×3 grid over [−0.5, 0.5]² rotated by 45°, std 0.04,
 * equal weights. The centers are `td.diffusion.diamondMixture().centers`.
 * @returns [n, 2] float32.
 */
export function diamond(n: number, options: ToySeedOptions & { std?: number }): Tensor {
  const { n: N, o, seed } = start('diamond', n, options);
  const std = checkNum('diamond', 'std', o.std, 0.04, 'nonneg');
  return toy.diamond(N, { seed, std }).data;
}

/**
 * Checkerboard: uniform on the 'black' squares of a `cells`×`cells` board covering
 * [−size/2, size/2]². Square (i, j) (i along x, j along y, counted from the lower-left corner) is
 * occupied when i + j is even. Defaults (4 cells, size 8) match FFJORD's toy data.
 * @returns [n, 2] float32.
 */
export function checkerboard(n: number, options: ToySeedOptions & { cells?: number; size?: number }): Tensor {
  const { n: N, o, seed } = start('checkerboard', n, options);
  const cells = o.cells === undefined ? 4 : checkCount('checkerboard', o.cells, 'cells', 2);
  const size = checkNum('checkerboard', 'size', o.size, 8);
  const occupied: [number, number][] = [];
  for (let j = 0; j < cells; j++) for (let i = 0; i < cells; i++) if ((i + j) % 2 === 0) occupied.push([i, j]);
  const u = draws('rand', seed, 0, 3 * N);
  const side = size / cells, lo = -size / 2;
  const out = new Float32Array(2 * N);
  for (let p = 0; p < N; p++) {
    const [i, j] = occupied[Math.min(occupied.length - 1, Math.floor(u[3 * p] * occupied.length))];
    out[2 * p] = lo + (i + u[3 * p + 1]) * side;
    out[2 * p + 1] = lo + (j + u[3 * p + 2]) * side;
  }
  return tensor(out, { shape: [N, 2] });
}

/** Fills out[2p..2p+1] with scale·((t cos t, t sin t) + noise·ε), t = 1.5π(1 + 2u) (sklearn's roll). */
function rollPoint(out: Float64Array, p: number, u: number, e0: number, e1: number, noise: number, scale: number): void {
  const t = 1.5 * Math.PI * (1 + 2 * u);
  out[2 * p] = scale * (t * Math.cos(t) + noise * e0);
  out[2 * p + 1] = scale * (t * Math.sin(t) + noise * e1);
}

/**
 * Swiss roll: scale·((t cos t, t sin t) + noise·ε) with t uniform on [1.5π, 4.5π] and ε ~ N(0, I₂)
 * (the x–z plane of sklearn's make_swiss_roll). Defaults noise 1, scale 0.2 (FFJORD's toy data),
 * so without noise the radius |x| = 0.2 t is uniform on [0.3π, 0.9π].
 * @returns [n, 2] float32.
 */
export function swissRoll(n: number, options: ToySeedOptions & { noise?: number; scale?: number }): Tensor {
  const { n: N, o, seed } = start('swissRoll', n, options);
  const noise = checkNum('swissRoll', 'noise', o.noise, 1, 'nonneg');
  const scale = checkNum('swissRoll', 'scale', o.scale, 0.2);
  const u = draws('rand', seed, 0, N), e = draws('randn', seed, 1, 2 * N);
  const out = new Float64Array(2 * N);
  for (let p = 0; p < N; p++) rollPoint(out, p, u[p], e[2 * p], e[2 * p + 1], noise, scale);
  return tensor(Float32Array.from(out), { shape: [N, 2] });
}

/**
 * Two interleaving half circles (sklearn's make_moons): even rows lie on the upper moon
 * (cos θ, sin θ), odd rows on the lower moon (1 − cos θ, 0.5 − sin θ), θ uniform on [0, π], plus
 * N(0, noise²) per coordinate (default noise 0.05).
 * @returns [n, 2] float32.
 */
export function twoMoons(n: number, options: ToySeedOptions & { noise?: number }): Tensor {
  const { n: N, o, seed } = start('twoMoons', n, options);
  const noise = checkNum('twoMoons', 'noise', o.noise, 0.05, 'nonneg');
  const u = draws('rand', seed, 0, N), e = draws('randn', seed, 1, 2 * N);
  const out = new Float32Array(2 * N);
  for (let p = 0; p < N; p++) {
    const th = Math.PI * u[p];
    const upper = p % 2 === 0;
    out[2 * p] = (upper ? Math.cos(th) : 1 - Math.cos(th)) + noise * e[2 * p];
    out[2 * p + 1] = (upper ? Math.sin(th) : 0.5 - Math.sin(th)) + noise * e[2 * p + 1];
  }
  return tensor(out, { shape: [N, 2] });
}

/** The four outer offsets of {@link multimodalSwissRoll} (the fifth roll sits at the origin). */
export const MULTIMODAL_SWISS_ROLL_OFFSETS: readonly (readonly [number, number])[] = [[0.8, 0.8], [0.8, -0.8], [-0.8, -0.8], [-0.8, 0.8]];

/**
 * Multimodal swiss roll (CLD paper's toy data): 5 small swiss rolls, chosen with probability 1/5
 * each — one at the origin and one at each of (±0.8, ±0.8) — each roll being
 * scale·((t cos t, t sin t) + noise·ε), t uniform on [1.5π, 4.5π], with scale 0.01 and noise 0.2 by
 * default (so each roll's radius lies in [0.015π, 0.045π] ≈ [0.047, 0.141] before noise).
 * @returns [n, 2] float32.
 */
export function multimodalSwissRoll(n: number, options: ToySeedOptions & { noise?: number; scale?: number }): Tensor {
  const { n: N, o, seed } = start('multimodalSwissRoll', n, options);
  const noise = checkNum('multimodalSwissRoll', 'noise', o.noise, 0.2, 'nonneg');
  const scale = checkNum('multimodalSwissRoll', 'scale', o.scale, 0.01);
  const u = draws('rand', seed, 0, 2 * N), e = draws('randn', seed, 1, 2 * N);
  const out = new Float64Array(2 * N);
  for (let p = 0; p < N; p++) {
    const k = Math.min(4, Math.floor(5 * u[2 * p]));
    rollPoint(out, p, u[2 * p + 1], e[2 * p], e[2 * p + 1], noise, scale);
    if (k > 0) {
      out[2 * p] += MULTIMODAL_SWISS_ROLL_OFFSETS[k - 1][0];
      out[2 * p + 1] += MULTIMODAL_SWISS_ROLL_OFFSETS[k - 1][1];
    }
  }
  return tensor(Float32Array.from(out), { shape: [N, 2] });
}
