// cld-sampling.test.ts — spec cld.md "What to reproduce" 1 (no training): with the exact score of
// Gaussian-mixture data, SSCS recovers a Gaussian's variance, and on the 'diamond' data with
// quadratic striding SSCS at N = 10 puts ≥ 85% of samples near a mode and beats EM at N = 10 and
// 20 (paper: N=10 EM 0.35, SSCS 0.92; N=20 EM 0.92, SSCS 0.995). Runs on the native cldAffine
// when lib/diffusion/cldKernel.ts exists, else on a pure-TS stand-in defined here.
import t from 'tap';
import * as td from '../lib/index';
import { CLD, CldAffineFn, deriveSeed } from '../lib/diffusion/cld';
import { diamond, gmmScore, modeShare, sampleMixture, eightGaussiansMixture } from '../lib/diffusion/toy';

/**
 * Pure-TS reference of cldAffine: out_x = m00 x + m01 v + m02 s + l11 ξx,
 * out_v = m10 x + m11 v + m12 s + l21 ξx + l22 ξv; coef [9] shared or [B, 9] per sample.
 */
const standInAffine: CldAffineFn = (x, v, s, coef, opts) => {
  const c = coef.dataSync();
  const B = x.shape[0];
  const per = coef.ndim === 2;
  const bshape = [B, ...x.shape.slice(1).map(() => 1)];
  const col = (j: number): td.Tensor | number =>
    per ? td.tensor(Float64Array.from({ length: B }, (_, b) => c[b * 9 + j]), { shape: bshape }).to(x.dtype) : c[j];
  const noise = opts.noise ?? true;
  const seed = opts.seed ?? 0;
  const ex = noise ? td.randn(x.shape, { dtype: x.dtype, seed: deriveSeed(seed, 101) }) : td.zeros(x.shape, { dtype: x.dtype });
  const ev = noise ? td.randn(x.shape, { dtype: x.dtype, seed: deriveSeed(seed, 202) }) : td.zeros(x.shape, { dtype: x.dtype });
  let ox = td.add(td.add(td.mul(x, col(0)), td.mul(v, col(1))), td.mul(ex, col(6)));
  let ov = td.add(td.add(td.add(td.mul(x, col(3)), td.mul(v, col(4))), td.mul(ex, col(7))), td.mul(ev, col(8)));
  if (s) {
    ox = td.add(ox, td.mul(s, col(2)));
    ov = td.add(ov, td.mul(s, col(5)));
  }
  return opts.returnNoise ? { x: ox, v: ov, epsX: ex, epsV: ev } : { x: ox, v: ov };
};

/** The native kernel when its module exists, else null. */
function nativeAffine(): CldAffineFn | null {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return (require('../lib/diffusion/cldKernel') as { cldAffine: CldAffineFn }).cldAffine;
  } catch {
    return null;
  }
}

/** The kernel the tests run on: native when available, else the stand-in. */
const affine: CldAffineFn = nativeAffine() ?? standInAffine;
const usingNative = nativeAffine() !== null;

const cld = new CLD();
const NS = 5000;

t.test('toy data: seeded, shaped, on the modes', async (tt) => {
  const a = diamond(2000, { seed: 1 }), b = diamond(2000, { seed: 1 }), c = diamond(2000, { seed: 2 });
  tt.same(a.data.shape, [2000, 2]);
  tt.equal(a.data.dtype, 'float32');
  tt.equal(a.centers.length, 9);
  tt.same(Array.from(a.data.dataSync()), Array.from(b.data.dataSync()), 'same seed, same data');
  tt.notSame(Array.from(a.data.dataSync().slice(0, 10)), Array.from(c.data.dataSync().slice(0, 10)), 'other seed, other data');
  const r = 3 * 0.04 * Math.SQRT2;
  const share = modeShare(a.data, a.centers, r);
  tt.ok(share > 0.98, `data itself: ${share} within 3·std·√2 of a mode`);
  // rotated grid: the extreme centers lie on the axes at distance 0.5·√2
  tt.ok(a.centers.some(([x, y]) => Math.abs(x) < 1e-12 && Math.abs(y - Math.SQRT1_2) < 1e-12), 'rotated 45°');
  const e = sampleMixture(eightGaussiansMixture(), 1000, 3);
  tt.same(e.shape, [1000, 2]);
  tt.ok(modeShare(e, eightGaussiansMixture().centers, r) > 0.98, '8 Gaussians on their modes');
});

t.test('exact mixture score matches a finite difference of log p_t', async (tt) => {
  const mix = diamond(1, { seed: 0 });
  const score = gmmScore(cld, mix);
  const x = td.tensor([[0.1, -0.2], [0.5, 0.3]], { dtype: 'float64' });
  const v = td.tensor([[0.05, 0.1], [-0.3, 0.2]], { dtype: 'float64' });
  const time = 0.3;
  const s = score(x, v, time).dataSync();
  // log p_t by direct evaluation (per-dim 2×2 Gaussians, product over dims)
  const logp = (xx: number[], vv: number[]): number => {
    const p = cld.meanMap(time);
    let tot = 0;
    mix.centers.forEach((c, k) => {
      const S = cld.cov(time, mix.stds[k] ** 2, cld.sv0, 0), det = S.xx * S.vv - S.xv * S.xv;
      let q = 0;
      for (let d = 0; d < 2; d++) {
        const dx = xx[d] - p[0] * c[d], dv = vv[d] - p[2] * c[d];
        q += (S.vv * dx * dx - 2 * S.xv * dx * dv + S.xx * dv * dv) / det;
      }
      tot += mix.weights[k] * Math.exp(-0.5 * q) / (2 * Math.PI * Math.sqrt(det)) ** 2;
    });
    return Math.log(tot);
  };
  const xs = x.toArray() as number[][], vs = v.toArray() as number[][];
  for (let i = 0; i < 2; i++) for (let d = 0; d < 2; d++) {
    const h = 1e-6, vp = [...vs[i]], vm = [...vs[i]];
    vp[d] += h; vm[d] -= h;
    const fd = (logp(xs[i], vp) - logp(xs[i], vm)) / (2 * h);
    tt.ok(Math.abs(fd - s[i * 2 + d]) < 1e-5 * (1 + Math.abs(fd)), `∂/∂v[${i},${d}]: ${s[i * 2 + d]} vs ${fd}`);
  }
});

t.test('Gaussian data N(0, s²): SSCS with the exact score recovers the variance', async (tt) => {
  const sd = 0.5;
  const mix = { centers: [[0, 0]], stds: [sd], weights: [1] };
  // SSCS is biased low by its step size (measured with 20000 samples: N=50 0.238, N=100 0.244,
  // N=200 0.247 for data variance 0.25), so recovery is checked at N=200.
  const out = cld.sampleSSCS({ shape: [NS, 2], steps: 200, score: gmmScore(cld, mix), seed: 11, affine, striding: 'quadratic' });
  const a = out.x.dataSync();
  let m = 0, q = 0;
  for (const v of a) { m += v; q += v * v; }
  m /= a.length;
  const variance = q / a.length - m * m;
  tt.comment(`SSCS N=200: mean ${m.toFixed(4)}, variance ${variance.toFixed(4)} (data ${sd * sd})`);
  tt.ok(Math.abs(variance / (sd * sd) - 1) < 0.05, `variance ${variance} within 5% of ${sd * sd}`);
  tt.ok(Math.abs(m) < 0.03, `mean ${m} ≈ 0`);
  td.dispose(out);
});

t.test('diamond, exact score, quadratic striding: SSCS beats EM at low NFE', async (tt) => {
  const mix = diamond(1, { seed: 0 });
  const score = gmmScore(cld, mix);
  const r = 3 * 0.04 * Math.SQRT2;
  const shares: Record<string, number> = {};
  for (const N of [10, 20]) {
    for (const kind of ['EM', 'SSCS'] as const) {
      const o = { shape: [NS, 2], steps: N, score, seed: 1234 + N, affine, striding: 'quadratic' as const };
      const out = kind === 'EM' ? cld.sampleEM(o) : cld.sampleSSCS(o);
      shares[`${kind}@${N}`] = modeShare(out.x, mix.centers, r);
      td.dispose(out);
    }
  }
  tt.comment(`mode shares (paper N=10: EM 0.35, SSCS 0.92; N=20: EM 0.92, SSCS 0.995): ${JSON.stringify(shares)}`);
  tt.ok(shares['SSCS@10'] >= 0.85, `SSCS N=10: ${shares['SSCS@10']} ≥ 0.85`);
  tt.ok(shares['SSCS@10'] > shares['EM@10'], `N=10: SSCS ${shares['SSCS@10']} > EM ${shares['EM@10']}`);
  tt.ok(shares['SSCS@20'] > shares['EM@20'], `N=20: SSCS ${shares['SSCS@20']} > EM ${shares['EM@20']}`);
  tt.ok(shares['SSCS@20'] >= 0.95, `SSCS N=20: ${shares['SSCS@20']} ≥ 0.95`);
});
