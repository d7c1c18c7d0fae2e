// cld.test.ts — CLD coefficients against an independent float64 solution of the linear SDE
// (2×2 matrix exponential + quadrature), ε_num's effect on ℓ_t, exact composition of SSCS's A
// half-steps, perturb statistics, fused vs unfused SSCS, and argument checks. Runs on the native
// cldAffine when lib/diffusion/cldKernel.ts exists, else on a pure-TS stand-in defined here.
import t from 'tap';
import * as td from '../lib/index';
import { CLD, CldAffineFn, composeLG, deriveSeed } from '../lib/diffusion/cld';

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

type M2 = [number, number, number, number];
const mm = (a: M2, b: M2): M2 => [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3]];
const tr = (a: M2): M2 => [a[0], a[2], a[1], a[3]];
const addm = (a: M2, b: M2): M2 => [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]];
const scal = (a: M2, k: number): M2 => [a[0] * k, a[1] * k, a[2] * k, a[3] * k];

/** expm(A) for a 2×2 matrix: scale by 2^-s until ‖A‖ < 0.5, 30-term Taylor, square s times. */
function expm2(a: M2): M2 {
  const nrm = Math.max(Math.abs(a[0]) + Math.abs(a[1]), Math.abs(a[2]) + Math.abs(a[3]));
  let s = 0;
  while (nrm / 2 ** s > 0.5) s++;
  const b = scal(a, 1 / 2 ** s);
  let term: M2 = [1, 0, 0, 1];
  let sum: M2 = [1, 0, 0, 1];
  for (let k = 1; k <= 30; k++) {
    term = scal(mm(term, b), 1 / k);
    sum = addm(sum, term);
  }
  for (let i = 0; i < s; i++) sum = mm(sum, sum);
  return sum;
}

/**
 * Mean map and covariance of du = F u dt + G dW over [0, t] for constant F, G = [0, g]:
 * Φ = expm(Ft), Σ = Φ Σ0 Φᵀ + ∫₀ᵗ expm(Fs) GGᵀ expm(Fs)ᵀ ds (composite Simpson, n intervals).
 */
function linearSdeMoments(F: M2, g: number, t: number, S0: M2, n = 4000): { phi: M2; cov: M2 } {
  const phi = expm2(scal(F, t));
  let cov = mm(mm(phi, S0), tr(phi));
  const GG: M2 = [0, 0, 0, g * g];
  const h = t / n;
  let acc: M2 = [0, 0, 0, 0];
  for (let i = 0; i <= n; i++) {
    const e = expm2(scal(F, i * h));
    const w = i === 0 || i === n ? 1 : i % 2 ? 4 : 2;
    acc = addm(acc, scal(mm(mm(e, GG), tr(e)), w));
  }
  cov = addm(cov, scal(acc, h / 3));
  return { phi, cov };
}

// ------------------------------------------------------------------ tests

const near = (a: number, b: number, rtol: number, atol = 0): boolean => Math.abs(a - b) <= atol + rtol * Math.abs(b);
const cld = new CLD();

t.test('defaults follow the spec', async (tt) => {
  tt.equal(cld.M, 0.25);
  tt.equal(cld.Minv, 4);
  tt.equal(cld.Gamma, 1);
  tt.equal(cld.beta(0.3), 4);
  tt.equal(cld.B(0.5), 2);
  tt.ok(near(cld.sv0, 0.01, 1e-15), 'γM = 0.01');
  tt.throws(() => new CLD({ M: 0.25, Gamma: 2 }), RangeError, 'non-critical damping rejected');
  tt.throws(() => new CLD({ beta0: -1 }), RangeError);
});

t.test('perturbation kernel = expm of the linear SDE (constant β)', async (tt) => {
  const M = cld.Minv, G = cld.Gamma, be = cld.beta0;
  const F: M2 = [0, M * be, -be, -G * M * be];
  const g = Math.sqrt(2 * G * be);
  for (const [sx, sv] of [[0, cld.sv0], [0.3, 0.05], [1, 0.25]]) {
    for (const time of [1e-3, 0.01, 0.1, 0.37, 1]) {
      const ref = linearSdeMoments(F, g, time, [sx, 0, 0, sv]);
      const p = cld.meanMap(time);
      for (let i = 0; i < 4; i++) tt.ok(near(p[i], ref.phi[i], 1e-10, 1e-14), `Φ[${i}] t=${time}: ${p[i]} vs ${ref.phi[i]}`);
      const c = cld.cov(time, sx, sv, 0);
      const at = 1e-10 * Math.sqrt(ref.cov[0] * ref.cov[3]) + 1e-18; // quadrature error of the reference
      const ok = near(c.xx, ref.cov[0], 1e-7, at) && near(c.xv, ref.cov[1], 1e-7, at) && near(c.vv, ref.cov[3], 1e-7, at);
      tt.ok(ok, `Σ t=${time} sx=${sx} sv=${sv}: (${c.xx}, ${c.xv}, ${c.vv}) vs (${ref.cov[0]}, ${ref.cov[1]}, ${ref.cov[3]})`);
      tt.ok(near(ref.cov[1], ref.cov[2], 1e-12, 1e-16), 'reference Σ symmetric');
      const e = cld.cov(time, sx, sv);
      tt.ok(near(e.xx - c.xx, 1e-6, 1e-6) && near(e.vv - c.vv, 1e-6, 1e-6) && e.xv === c.xv, 'ε_num added to the diagonals only');
    }
  }
  // μ with v₀ ≠ 0 too: (μx, μv) = Φ (x₀, v₀)
  const p = cld.meanMap(0.2), ref = expm2(scal(F, 0.2));
  tt.ok(near(p[1], ref[1], 1e-10) && near(p[3], ref[3], 1e-10), 'v₀ coefficients');
});

t.test('time-varying β: the kernel depends on B(t) only', async (tt) => {
  const lin = new CLD({ beta0: 0.1, beta1: 19.9 });
  const unit = new CLD({ beta0: 1 });
  // β(t) F₁ commutes with itself, so the flow equals the β = 1 flow run for time B(t).
  for (const time of [0.05, 0.5, 1]) {
    const a = lin.cov(time), b = unit.cov(lin.B(time));
    tt.ok(near(a.xx, b.xx, 1e-12) && near(a.xv, b.xv, 1e-12) && near(a.vv, b.vv, 1e-12), `t=${time}`);
    const F: M2 = [0, 4, -1, -4];
    const ref = linearSdeMoments(F, Math.sqrt(2), lin.B(time), [0, 0, 0, 0.01]);
    const c = lin.cov(time, 0, 0.01, 0);
    tt.ok(near(c.xx, ref.cov[0], 1e-7) && near(c.vv, ref.cov[3], 1e-7), `t=${time} vs expm`);
  }
});

t.test('ℓ_t at small t: ε_num keeps it near 1/sqrt(γM) = 10', async (tt) => {
  const with6 = cld.ell(1e-5);
  const with9 = cld.ell(1e-5, 1e-9);
  const none = cld.ell(1e-5, 0);
  tt.comment(`ℓ(1e-5): ε=1e-6 → ${with6}, ε=1e-9 → ${with9}, ε=0 → ${none}`);
  tt.ok(Math.abs(with6 - 10) < 0.5, `ε=1e-6: ${with6} ≈ 10`);
  tt.ok(with9 > 10 && with9 < 13, `ε=1e-9: ${with9} ≈ 11`);
  tt.ok(none > 100, `ε=0 blows up: ${none} (spec ~194)`);
  tt.ok(Math.abs(cld.ell(1) - 1 / cld.chol(1).l22) < 1e-12 && cld.ell(1) > 0, 'ℓ(1) finite');
  // at t = 1 the kernel is near the prior N(0, I) × N(0, M I)
  const c1 = cld.cov(1);
  tt.ok(Math.abs(c1.xx - 1) < 0.05 && Math.abs(c1.vv - 0.25) < 0.02 && Math.abs(c1.xv) < 0.05, `Σ(1) ≈ diag(1, M): ${JSON.stringify(c1)}`);
});

t.test('SSCS A(h) = expm of its linear SDE; two A(h/2) compose to A(h)', async (tt) => {
  // The reverse drift splits as −f_v + 2Γβs = βx − ΓM⁻¹βv + 2Γβ(s + M⁻¹v): A integrates
  // dx = −M⁻¹βv dτ, dv = (βx − ΓM⁻¹βv) dτ + sqrt(2Γβ) dW exactly; S takes the rest.
  const M = cld.Minv, G = cld.Gamma, be = cld.beta0;
  const Frev: M2 = [0, -M * be, be, -G * M * be];
  const g = Math.sqrt(2 * G * be);
  for (const h of [1e-4, 5e-3, 0.05, 0.3]) {
    const a = cld.stepA(0.8, h);
    const ref = linearSdeMoments(Frev, g, h, [0, 0, 0, 0]);
    for (let i = 0; i < 4; i++) tt.ok(near(a.phi[i], ref.phi[i], 1e-10, 1e-14), `A(${h}) Φ[${i}]`);
    tt.ok(near(a.cov.xx, ref.cov[0], 1e-6, 1e-18) && near(a.cov.xv, ref.cov[1], 1e-6, 1e-18) && near(a.cov.vv, ref.cov[3], 1e-6),
      `A(${h}) Σ: (${a.cov.xx}, ${a.cov.xv}, ${a.cov.vv}) vs (${ref.cov[0]}, ${ref.cov[1]}, ${ref.cov[3]})`);
    const half = cld.stepA(0.8, h / 2);
    const two = composeLG(half, half);
    const ok = two.phi.every((v, i) => near(v, a.phi[i], 1e-12, 1e-15)) &&
      near(two.cov.xx, a.cov.xx, 1e-9, 1e-20) && near(two.cov.xv, a.cov.xv, 1e-9, 1e-20) && near(two.cov.vv, a.cov.vv, 1e-9, 1e-20);
    tt.ok(ok, `A(${h}/2)∘A(${h}/2) = A(${h})`);
  }
});

t.test('perturb: per-sample statistics and the Cholesky identity', async (tt) => {
  const times = [0.002, 0.05, 0.3, 1];
  const B = times.length, D = 20000;
  const x0v = [0.7, -1.2, 0.4, 2];
  const x0 = td.tensor(Float32Array.from({ length: B * D }, (_, i) => x0v[Math.floor(i / D)]), { shape: [B, D] });
  const r = cld.perturb(x0, times, { seed: 17, affine });
  tt.same(r.xt.shape, [B, D]);
  tt.same(r.vt.shape, [B, D]);
  tt.same(r.epsV.shape, [B, D]);
  tt.equal(r.xt.dtype, 'float32');
  const xs = r.xt.dataSync(), vs = r.vt.dataSync(), es = r.epsV.dataSync();
  for (let b = 0; b < B; b++) {
    const p = cld.meanMap(times[b]), c = cld.cov(times[b]), l = cld.chol(times[b]);
    const mx = p[0] * x0v[b], mv = p[2] * x0v[b];
    let sx = 0, sv = 0, sxx = 0, sxv = 0, svv = 0, se = 0, see = 0, maxId = 0;
    for (let i = b * D; i < (b + 1) * D; i++) {
      const dx = xs[i] - mx, dv = vs[i] - mv;
      sx += dx; sv += dv; sxx += dx * dx; sxv += dx * dv; svv += dv * dv; se += es[i]; see += es[i] * es[i];
      // v_t − μ_v − L₂₂ ε_v = L₂₁ ε_x = (L₂₁/L₁₁)(x_t − μ_x)
      maxId = Math.max(maxId, Math.abs(dv - l.l22 * es[i] - (l.l21 / l.l11) * dx) / (Math.sqrt(c.vv) + Math.abs(mv)));
    }
    const se5 = (v: number) => 5 * Math.sqrt(v / D);
    tt.ok(Math.abs(sx / D) < se5(c.xx), `t=${times[b]} mean x ${sx / D} (±${se5(c.xx)})`);
    tt.ok(Math.abs(sv / D) < se5(c.vv), `t=${times[b]} mean v ${sv / D}`);
    tt.ok(Math.abs(sxx / D - c.xx) < 5 * c.xx * Math.sqrt(2 / D), `t=${times[b]} var x ${sxx / D} vs ${c.xx}`);
    tt.ok(Math.abs(svv / D - c.vv) < 5 * c.vv * Math.sqrt(2 / D), `t=${times[b]} var v ${svv / D} vs ${c.vv}`);
    tt.ok(Math.abs(sxv / D - c.xv) < 5 * Math.sqrt((c.xx * c.vv + c.xv * c.xv) / D), `t=${times[b]} cov xv ${sxv / D} vs ${c.xv}`);
    tt.ok(Math.abs(se / D) < 5 / Math.sqrt(D) && Math.abs(see / D - 1) < 5 * Math.sqrt(2 / D), `t=${times[b]} ε_v ~ N(0, 1)`);
    tt.ok(maxId < 1e-4, `t=${times[b]} Cholesky identity (max rel err ${maxId})`);
    tt.ok(near(r.ell[b], 1 / l.l22, 1e-15), 'ell = 1/L22');
  }
  td.dispose([x0, r.xt, r.vt, r.epsV]);
  // same seed → same draw; different seed → different
  const y0 = td.ones([3, 5]);
  const a = cld.perturb(y0, [0.1, 0.2, 0.3], { seed: 5, affine }), b2 = cld.perturb(y0, [0.1, 0.2, 0.3], { seed: 5, affine });
  tt.same(Array.from(a.xt.dataSync()), Array.from(b2.xt.dataSync()), 'deterministic given the seed');
  tt.throws(() => cld.perturb(y0, [0.1, 0.2], { seed: 1, affine }), RangeError, 't length checked');
  tt.throws(() => cld.perturb(y0, [0.1, 0.2, 2], { seed: 1, affine }), RangeError, 't range checked');
  const w = cld.hsmWeights([0.1, 0.5], 'likelihood');
  tt.ok(near(w[0], 4 * cld.ell(0.1) ** 2, 1e-12) && cld.hsmWeights([0.3])[0] === 1, 'HSM weights');
  const al = td.ones([3, 5]);
  tt.ok(near(cld.scoreFromOutput(al, 0.4).dataSync()[0], -cld.ell(0.4), 1e-6), 's = −ℓ α');
  tt.ok(near(cld.scoreFromOutput(al, 0.4, { mixed: true, v: al }).dataSync()[0], -cld.ell(0.4) - 1 / cld.mixedVar(0.4), 1e-6), 'mixed score');
  const h = cld.hsmInputs(y0, { seed: 9, affine });
  tt.same(h.input.shape, [3, 10], 'HSM input = cat([x_t, v_t], 1)');
  tt.same(h.target.shape, [3, 5]);
  tt.same(h.t.shape, [3]);
  tt.ok(Array.from(h.tHost).every((v) => v >= 1e-5 && v <= 1), 't ~ U[1e-5, 1]');
  tt.ok(h.ell.every((v, i) => near(v, cld.ell(h.tHost[i]), 1e-12)), 'ℓ_t per sample');
});

t.test('SSCS: fused and unfused passes give the same means; EM/SSCS deterministic', async (tt) => {
  // a linear score (the exact score of N(0, 0.3²) data, via Σ with sx = 0.09) keeps it simple
  const score = (x: td.Tensor, v: td.Tensor, time: number): td.Tensor => {
    const c = cld.cov(time, 0.09, cld.sv0, 0), det = c.xx * c.vv - c.xv * c.xv;
    return td.sub(td.mul(x, c.xv / det), td.mul(v, c.xx / det));
  };
  const base = { shape: [64, 3], steps: 12, score, seed: 3, dtype: 'float64' as const, affine, striding: 'quadratic' as const };
  // noise off (fused and unfused runs draw different streams): the prior is 0, so shift the score
  // to make the trajectory nontrivial.
  const shifted = (x: td.Tensor, v: td.Tensor, time: number): td.Tensor => td.add(score(x, v, time), 0.5);
  const f = cld.sampleSSCS({ ...base, score: shifted, noNoise: true });
  const u = cld.sampleSSCS({ ...base, score: shifted, noNoise: true, fuse: false });
  const fa = f.x.dataSync(), ua = u.x.dataSync();
  let md = 0;
  for (let i = 0; i < fa.length; i++) md = Math.max(md, Math.abs(fa[i] - ua[i]));
  tt.ok(md < 1e-12 && Math.abs(fa[0]) > 1e-3, `fused = unfused (max |Δ| ${md}, x ${fa[0]})`);
  const a1 = cld.sampleSSCS(base), a2 = cld.sampleSSCS(base), e1 = cld.sampleEM(base), e2 = cld.sampleEM(base);
  tt.same(Array.from(a1.x.dataSync()), Array.from(a2.x.dataSync()), 'SSCS deterministic given the seed');
  tt.same(Array.from(e1.x.dataSync()), Array.from(e2.x.dataSync()), 'EM deterministic given the seed');
  tt.same(a1.x.shape, [64, 3]);
  tt.equal(a1.x.dtype, 'float64');
  const live = td.memory();
  const a3 = cld.sampleSSCS({ ...base, dtype: 'float32' });
  a3.x.dispose();
  a3.v.dispose();
  tt.ok(td.memory().tensors <= live.tensors, `no leaked tensors (${live.tensors} → ${td.memory().tensors})`);
});

t.test('sampler argument checks', async (tt) => {
  const score = (x: td.Tensor): td.Tensor => td.zerosLike(x);
  const ok = { shape: [4, 2], steps: 5, score, seed: 1, affine };
  tt.throws(() => cld.sampleSSCS({ ...ok, steps: 1 }), RangeError);
  tt.throws(() => cld.sampleEM({ ...ok, steps: 2.5 }), RangeError);
  tt.throws(() => cld.sampleSSCS({ ...ok, eps_s: 0 }), RangeError);
  tt.throws(() => cld.sampleSSCS({ ...ok, striding: 'cubic' as 'linear' }), TypeError);
  tt.throws(() => cld.sampleEM({ ...ok, score: (x: td.Tensor) => td.zeros([4, 3]) }), TypeError, 'score shape checked');
  tt.throws(() => cld.sampleEM({ ...ok, score: null as unknown as typeof score }), TypeError);
  tt.ok(typeof deriveSeed(1, 2) === 'bigint' && deriveSeed(1, 2) !== deriveSeed(1, 3), 'distinct stream seeds');
});

t.test('native kernel (when present) matches the stand-in without noise', { skip: !usingNative && 'cldKernel.ts not built yet' }, async (tt) => {
  const x = td.randn([6, 7], { seed: 1 }), v = td.randn([6, 7], { seed: 2 }), s = td.randn([6, 7], { seed: 3 });
  const coef = td.tensor(Float64Array.from({ length: 54 }, (_, i) => Math.sin(i + 1)), { shape: [6, 9], dtype: 'float64' });
  const a = affine(x, v, s, coef, { seed: 4, noise: false });
  const b = standInAffine(x, v, s, coef, { seed: 4, noise: false });
  const ax = a.x.dataSync(), bx = b.x.dataSync(), av = a.v.dataSync(), bv = b.v.dataSync();
  let md = 0;
  for (let i = 0; i < ax.length; i++) md = Math.max(md, Math.abs(ax[i] - bx[i]), Math.abs(av[i] - bv[i]));
  tt.ok(md < 1e-5, `max |Δ| ${md}`);
});

t.test('scoreFromOutput: gradients reach alpha through the plain and the mixed score', async (tt) => {
  const cld = new CLD();
  const a = td.randn([3, 2], { dtype: 'float64', seed: 21 });
  a.requiresGrad = true;
  const v = td.randn([3, 2], { dtype: 'float64', seed: 22 });
  for (const mixed of [false, true]) {
    // d/dα Σ s(α)² against central differences: s = −ℓα (− v/Σvv for the mixed score)
    const ok = td.gradcheck((al) => td.sum(td.square(cld.scoreFromOutput(al, 0.3, { mixed, v }))), [a]);
    tt.ok(ok, `gradcheck mixed=${mixed}`);
  }
  td.dispose([a, v]);
});
