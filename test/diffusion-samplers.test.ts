// diffusion-samplers.test.ts — the samplers of lib/diffusion/samplers.ts driven by EXACT models of
// Gaussian data x ~ N(μ, diag s²) in 2-D (20000 samples): the VP posterior mean
// E[x | z_t] = μ + α s² / (α² s² + σ²) (z − α μ) (returned as ε̂, x̂ or v̂), its VE analogue for EDM,
// the exact flow-matching velocity E[ε − x | z_t] of the linear path z_t = (1 − t) x + t ε, and the
// exact score for Euler–Maruyama. Each sampler must recover the mean within 0.02 and the std within
// 3%. Also: determinism (same seed → identical, other seed → different), ddpm ≡ ddim(η = 1), flat
// memory across steps, `init` left intact, and argument errors.
import t from 'tap';
import * as td from '../lib/index';
import { arr, close, throwsKind } from './helpers/check';

const D = td.diffusion;
// Thousands of small ops ([20000, 2]) gain nothing from the thread pool, and on a shared 2-core
// machine a pool barrier waiting on a descheduled worker made single runs up to 40× slower.
td.setNumThreads(1);
const N = 20000;
const MU = [0.5, -1.0];
const S = [0.5, 0.8];
const shape = [N, 2];

/** pred = z · a + b with per-dim a, b [2] (host float64 → z's dtype). */
function affine(z: td.Tensor, a: number[], b: number[]): td.Tensor {
  const at = td.tensor(Float64Array.from(a)).to(z.dtype), bt = td.tensor(Float64Array.from(b)).to(z.dtype);
  return td.add(td.mul(z, at), bt);
}

/** The exact VP denoiser for N(μ, s²), returning the requested parameterisation. */
function exactVP(kind: 'eps' | 'x' | 'v'): td.diffusion.DenoiseFn {
  return (z, _t, { alpha: al, sigma: sg }) => {
    const V = S.map((s) => al * al * s * s + sg * sg);
    const ax = S.map((s, d) => (al * s * s) / V[d]); // x̂ = ax z + bx
    const bx = MU.map((m, d) => (m * sg * sg) / V[d]);
    const ae = S.map((_s, d) => sg / V[d]); // ε̂ = ae z + be
    const be = MU.map((m, d) => (-al * m * sg) / V[d]);
    if (kind === 'x') return affine(z, ax, bx);
    if (kind === 'eps') return affine(z, ae, be);
    return affine(z, ax.map((_, d) => al * ae[d] - sg * ax[d]), bx.map((_, d) => al * be[d] - sg * bx[d]));
  };
}

/** The exact VE (EDM) denoiser: E[y | y + σ n] = μ + s²/(s² + σ²)(x − μ). */
const exactVE: td.diffusion.EDMDenoiseFn = (x, sigma) => {
  const k = S.map((s) => (s * s) / (s * s + sigma * sigma));
  return affine(x, k, MU.map((m, d) => m * (1 - k[d])));
};

/** The exact velocity of z_t = (1 − t) x + t ε: E[ε − x | z] = (t − (1 − t) s²)/V (z − (1 − t) μ) − μ. */
const exactFlow: td.diffusion.VelocityFn = (z, t) => {
  const V = S.map((s) => (1 - t) ** 2 * s * s + t * t);
  const a = S.map((s, d) => (t - (1 - t) * s * s) / V[d]);
  return affine(z, a, MU.map((m, d) => -a[d] * (1 - t) * m - m));
};

/** Per-dim sample mean and std of [N, 2]. */
function stats(x: td.Tensor): { mean: number[]; std: number[] } {
  const a = arr(x);
  const mean = [0, 0], sq = [0, 0];
  for (let i = 0; i < a.length; i++) mean[i % 2] += a[i] / N;
  for (let i = 0; i < a.length; i++) sq[i % 2] += (a[i] - mean[i % 2]) ** 2 / (N - 1);
  return { mean, std: sq.map(Math.sqrt) };
}

/** The acceptance test: mean within 0.02, std within 3%, of N(μ, s²); disposes x. */
function recovers(tt: Pick<typeof t, 'ok' | 'same'>, x: td.Tensor, name: string, tolStd = 0.03): void {
  tt.same(x.shape, shape, `${name}: shape`);
  const { mean, std } = stats(x);
  x.dispose();
  const dm = mean.map((m, d) => Math.abs(m - MU[d]));
  const ds = std.map((s, d) => Math.abs(s / S[d] - 1));
  tt.ok(Math.max(...dm) < 0.02, `${name}: mean ${mean.map((m) => m.toFixed(4))} (error ${Math.max(...dm).toFixed(4)})`);
  tt.ok(Math.max(...ds) < tolStd, `${name}: std ${std.map((s) => s.toFixed(4))} (relative error ${(100 * Math.max(...ds)).toFixed(2)}%)`);
}

const cosine = D.cosineSchedule();

t.test('DDIM / DDPM with the exact VP denoiser recover N(μ, s²)', async (tt) => {
  // Step counts keep the samplers' own first-order variance bias (see the analytic test below:
  // DDIM shrinks the std by ~π²/(8N), ancestral sampling by about twice that) under ~2%.
  recovers(tt, D.ddim({ shape, steps: 100, schedule: cosine, denoise: exactVP('eps'), prediction: 'eps', seed: 1 }), 'ddim η=0 eps, cosine, 100 steps');
  recovers(tt, D.ddim({ shape, steps: 100, schedule: cosine, denoise: exactVP('x'), prediction: 'x', seed: 2 }), 'ddim η=0 x, cosine, 100 steps');
  recovers(tt, D.ddim({ shape, steps: 200, schedule: D.shiftedCosineSchedule({ resolution: 128 }), denoise: exactVP('v'), prediction: 'v', seed: 3 }), 'ddim η=0 v, shifted cosine, 200 steps');
  recovers(tt, D.ddim({ shape, steps: 200, schedule: D.linearLambdaSchedule({ lambdaMin: -12, lambdaMax: 12 }), denoise: exactVP('eps'), prediction: 'eps', seed: 4, spacing: 'lambda' }), 'ddim η=0 eps, linear λ, λ-spacing, 200 steps');
  recovers(tt, D.ddim({ shape, steps: 200, schedule: cosine, denoise: exactVP('eps'), prediction: 'eps', eta: 1, seed: 5 }), 'ddim η=1, 200 steps');
  recovers(tt, D.ddim({ shape, steps: 100, schedule: cosine, denoise: exactVP('x'), prediction: 'x', eta: 0.5, seed: 6 }), 'ddim η=0.5, 100 steps');
  recovers(tt, D.ddpm({ shape, steps: 200, schedule: cosine, denoise: exactVP('eps'), prediction: 'eps', seed: 7 }), 'ddpm eps, 200 steps');
  recovers(tt, D.ddpm({ shape, steps: 200, schedule: cosine, denoise: exactVP('v'), prediction: 'v', seed: 8, dtype: 'float64' }), 'ddpm v, float64, 200 steps');
  // the same samplers on the variance-exploding EDM schedule (α = 1), x-prediction
  const edmVE: td.diffusion.DenoiseFn = (z, _t, { sigma }) => exactVE(z, sigma, { step: 0 });
  recovers(tt, D.ddim({ shape, steps: 200, schedule: D.edmSchedule(), denoise: edmVE, prediction: 'x', seed: 9 }), 'ddim η=0 on the EDM (VE) schedule, 200 steps');
  recovers(tt, D.ddpm({ shape, steps: 400, schedule: D.edmSchedule(), denoise: edmVE, prediction: 'x', seed: 10 }), 'ddpm on the EDM (VE) schedule, 400 steps');
});

t.test('EDM Heun / Euler with the exact VE denoiser', async (tt) => {
  recovers(tt, D.edmHeun({ shape, steps: 32, denoise: exactVE, seed: 11 }), 'edmHeun, 32 levels (63 calls)');
  recovers(tt, D.edmHeun({ shape, steps: 64, denoise: exactVE, seed: 13, sChurn: 40, sTmin: 0.05, sTmax: 50, sNoise: 1 }), 'edmHeun with churn, 64 levels');
  recovers(tt, D.edmEuler({ shape, steps: 200, denoise: exactVE, seed: 14 }), 'edmEuler, 200 levels');
  const calls: number[] = [];
  const out = D.edmHeun({ shape: [4, 2], steps: 5, seed: 1, denoise: (x, s) => { calls.push(s); return exactVE(x, s, { step: 0 }); } });
  out.dispose();
  tt.equal(calls.length, 2 * 5 - 1, 'Heun: 2N − 1 denoiser calls (last step Euler)');
  const g = D.edmSigmaGrid(5);
  tt.ok(Math.abs(calls[0] - 80) < 1e-12 && Math.abs(calls[calls.length - 1] - g[4]) < 1e-15, 'first call at σmax, last at σmin');
});

/**
 * For Gaussian data every sampler here is an affine map per dim, z' = A z + b + c ξ: this propagates
 * mean and variance through the discrete DDIM(η) recursion in float64, independently of the library
 * (only the schedule's λ, α, σ numbers are used). @returns predicted final [mean, std] per dim.
 */
function predictDDIM(sched: td.diffusion.Schedule, steps: number, eta: number): { mean: number[]; std: number[] } {
  const ts = Array.from({ length: steps + 1 }, (_, i) => 1 - i / steps);
  const at = (x: number) => ({ l: sched.lambda(x), a: sched.alpha(x), g: sched.sigma(x) });
  return {
    ...MU.reduce((acc, mu, d) => {
      const s = S[d];
      let m = 0, V = at(1).g ** 2;
      for (let i = 0; i < steps; i++) {
        const p = at(ts[i]);
        const k = (p.a * s * s) / (p.a * p.a * s * s + p.g * p.g); // x̂ = k z + μ (1 − k α_t)
        const bx = mu * (1 - k * p.a);
        if (i === steps - 1) { m = k * m + bx; V = k * k * V; break; }
        const q = at(ts[i + 1]);
        const frac = -Math.expm1(p.l - q.l);
        const cn = eta * q.g * Math.sqrt(frac), ec = q.g * Math.sqrt(1 - eta * eta * frac);
        const A = q.a * k + (ec * (1 - p.a * k)) / p.g; // α_s x̂ + ec (z − α_t x̂)/σ_t
        const b = q.a * bx - (ec * p.a * bx) / p.g;
        m = A * m + b;
        V = A * A * V + cn * cn;
      }
      acc.mean.push(m);
      acc.std.push(Math.sqrt(V));
      return acc;
    }, { mean: [] as number[], std: [] as number[] }),
  };
}

/** The same for EDM Heun (no churn): y = x − μ evolves linearly, y_N = A y_0, y_0 ~ N(−μ, σmax²). */
function predictHeun(steps: number): { mean: number[]; std: number[] } {
  const g = D.edmSigmaGrid(steps);
  const A = S.map((s) => {
    let a = 1;
    for (let i = 0; i < steps; i++) {
      const sc = g[i], sn = g[i + 1];
      const f = (sg: number) => (1 - (s * s) / (s * s + sg * sg)) / sg; // d = f(σ) y
      const d1 = f(sc);
      let step = 1 + (sn - sc) * d1;
      if (sn !== 0) step = 1 + ((sn - sc) * (d1 + f(sn) * step)) / 2;
      a *= step;
    }
    return a;
  });
  return { mean: MU.map((mu, d) => mu - A[d] * mu), std: A.map((a) => Math.abs(a) * g[0]) };
}

t.test('at few steps the sample statistics match the discrete sampler\'s analytic prediction', async (tt) => {
  const cases: [string, td.Tensor, { mean: number[]; std: number[] }][] = [
    ['ddim η=0, 10 steps', D.ddim({ shape, steps: 10, schedule: cosine, denoise: exactVP('eps'), prediction: 'eps', seed: 41 }), predictDDIM(cosine, 10, 0)],
    ['ddim η=1, 10 steps', D.ddim({ shape, steps: 10, schedule: cosine, denoise: exactVP('v'), prediction: 'v', eta: 1, seed: 42 }), predictDDIM(cosine, 10, 1)],
    ['ddpm, 10 steps, linear λ', D.ddpm({ shape, steps: 10, schedule: D.linearLambdaSchedule(), denoise: exactVP('x'), prediction: 'x', seed: 43 }), predictDDIM(D.linearLambdaSchedule(), 10, 1)],
    ['edmHeun, 5 levels', D.edmHeun({ shape, steps: 5, denoise: exactVE, seed: 44 }), predictHeun(5)],
    ['ddim η=0.5, 20 steps, EDM (VE) schedule', D.ddim({ shape, steps: 20, schedule: D.edmSchedule(), denoise: (z, _t, i) => exactVE(z, i.sigma, i), prediction: 'x', eta: 0.5, seed: 45 }), predictDDIM(D.edmSchedule(), 20, 0.5)],
  ];
  for (const [name, x, want] of cases) {
    const got = stats(x);
    x.dispose();
    const em = Math.max(...got.mean.map((m, d) => Math.abs(m - want.mean[d]) / Math.max(1, want.std[d])));
    const es = Math.max(...got.std.map((s, d) => Math.abs(s / want.std[d] - 1)));
    tt.ok(em < 0.02, `${name}: mean ${got.mean.map((v) => v.toFixed(4))} vs predicted ${want.mean.map((v) => v.toFixed(4))}`);
    tt.ok(es < 0.015, `${name}: std ${got.std.map((v) => v.toFixed(4))} vs predicted ${want.std.map((v) => v.toFixed(4))}`);
  }
});

t.test('flow matching: Euler and Heun with the exact velocity', async (tt) => {
  recovers(tt, D.flowEuler({ shape, steps: 100, velocity: exactFlow, seed: 21 }), 'flowEuler, 100 steps, t: 1 → 0');
  recovers(tt, D.flowHeun({ shape, steps: 30, velocity: exactFlow, seed: 22 }), 'flowHeun, 30 steps, t: 1 → 0');
  // the other convention: noise at t = 0, data at t = 1 (z_t = t x + (1 − t) ε): v'(z, t) = −v(z, 1 − t)
  const flipped: td.diffusion.VelocityFn = (z, t, i) => exactFlow(z, 1 - t, i).neg();
  recovers(tt, D.flowHeun({ shape, steps: 30, velocity: flipped, seed: 23, tStart: 0, tEnd: 1 }), 'flowHeun, t: 0 → 1 convention');
  const lin = D.samplingTimes(8, { spacing: 'lambda', schedule: cosine });
  const dl = Array.from(lin).map((x) => cosine.lambda(x));
  tt.ok(dl.every((l, i) => i === 0 || Math.abs(l - dl[i - 1] - 30 / 8) < 1e-9), 'samplingTimes λ-spacing: equal λ increments');
  tt.same(Array.from(D.samplingTimes(4)), [1, 0.75, 0.5, 0.25, 0], 'samplingTimes: uniform from 1 to 0');
  const ts: number[] = [];
  D.flowEuler({ shape: [2, 2], steps: 4, seed: 1, velocity: (z, t) => { ts.push(t); return td.zerosLike(z); } }).dispose();
  tt.same(ts, [1, 0.75, 0.5, 0.25], 'Euler evaluates at t_0 = 1, ..., t_{N−1}');
});

t.test('Euler–Maruyama: OU process and the reverse VE SDE with the exact score', async (tt) => {
  // OU: dx = −θ x dt + g dW from x0 = 1.5 over [0, 1]: mean x0 e^{−θ}, variance g²/(2θ)(1 − e^{−2θ})
  const theta = 2, g = 1;
  const x0 = td.full(shape, 1.5);
  const ou = D.eulerMaruyama({ init: x0, steps: 400, tStart: 0, tEnd: 1, seed: 31, drift: (x) => td.mul(x, -theta), diffusion: () => g });
  tt.notOk(x0.isDisposed, 'init is not disposed');
  tt.same(arr(x0).slice(0, 2), [1.5, 1.5], 'init is not modified');
  const st = stats(ou);
  ou.dispose();
  x0.dispose();
  const m = 1.5 * Math.exp(-theta), sd = Math.sqrt((g * g) / (2 * theta) * (1 - Math.exp(-2 * theta)));
  tt.ok(st.mean.every((v) => Math.abs(v - m) < 0.02), `OU mean ${st.mean.map((v) => v.toFixed(4))} vs ${m.toFixed(4)}`);
  tt.ok(st.std.every((v) => Math.abs(v / sd - 1) < 0.03), `OU std ${st.std.map((v) => v.toFixed(4))} vs ${sd.toFixed(4)}`);
  // reverse time: forward x_σ = y + σ n with σ(t) = t (g² = 2t); reverse drift −g² ∇log p_t = 2t (x − μ)/(s² + t²)
  const T = 5;
  const init = td.tidy(() => affine(td.randn(shape, { seed: 32 }), S.map((s) => Math.sqrt(s * s + T * T)), MU));
  const rev = D.eulerMaruyama({
    init, times: D.edmSigmaGrid(300, { sigmaMax: T }), seed: 33, lastStepNoise: false,
    drift: (x, t) => { const k = S.map((s) => (2 * t) / (s * s + t * t)); return affine(x, k, MU.map((mu, d) => -k[d] * mu)); },
    diffusion: (t) => Math.sqrt(2 * t),
  });
  init.dispose();
  recovers(tt, rev, 'reverse VE SDE, EM on the ρ-grid');
});

t.test('determinism: same seed → identical samples, other seed → different', async (tt) => {
  const small = [64, 2];
  const runs: [string, (seed: number) => td.Tensor][] = [
    ['ddim η=1', (seed) => D.ddim({ shape: small, steps: 20, schedule: cosine, denoise: exactVP('eps'), prediction: 'eps', eta: 1, seed })],
    ['ddim η=0', (seed) => D.ddim({ shape: small, steps: 20, schedule: cosine, denoise: exactVP('eps'), prediction: 'eps', seed })],
    ['ddpm', (seed) => D.ddpm({ shape: small, steps: 20, schedule: cosine, denoise: exactVP('x'), prediction: 'x', seed })],
    ['edmHeun churn', (seed) => D.edmHeun({ shape: small, steps: 10, denoise: exactVE, seed, sChurn: 10 })],
    ['flowHeun', (seed) => D.flowHeun({ shape: small, steps: 10, velocity: exactFlow, seed })],
    ['eulerMaruyama', (seed) => D.eulerMaruyama({ shape: small, steps: 10, seed, drift: (x) => x.neg(), diffusion: () => 1 })],
  ];
  for (const [name, run] of runs) {
    const a = run(7), b = run(7), c = run(8);
    tt.same(arr(a), arr(b), `${name}: same seed, identical`);
    tt.notSame(arr(a), arr(c), `${name}: other seed, different`);
    td.dispose([a, b, c]);
  }
  const big = D.ddim({ shape: small, steps: 5, schedule: cosine, denoise: exactVP('eps'), prediction: 'eps', eta: 1, seed: 2n ** 64n - 1n });
  tt.equal(big.shape[0], 64, 'a 64-bit bigint seed works');
  big.dispose();
  tt.not(D.stepSeed(1, 0), D.stepSeed(1, 1), 'step seeds differ by step');
  tt.not(D.stepSeed(1, 1), D.stepSeed(2, 1), 'step seeds differ by seed');
  // denoiseFinal: false steps to z(0) = α_0 x̂ + σ_0 ε̂ instead of returning x̂ (σ_0 ≈ 5.5e-4 for the cosine)
  const fa = D.ddim({ shape: small, steps: 20, schedule: cosine, denoise: exactVP('eps'), prediction: 'eps', seed: 4, dtype: 'float64' });
  const fb = D.ddim({ shape: small, steps: 20, schedule: cosine, denoise: exactVP('eps'), prediction: 'eps', seed: 4, dtype: 'float64', denoiseFinal: false });
  const gap = Math.max(...arr(td.sub(fa, fb).abs()));
  tt.ok(gap > 0 && gap < 0.01, `denoiseFinal: false differs from x̂ only at the σ(0) level (${gap.toExponential(2)})`);
  td.dispose([fa, fb]);
  // ddpm is ddim with η = 1 on the same noise stream
  for (const kind of ['eps', 'x', 'v'] as const) {
    const p = D.ddpm({ shape: small, steps: 30, schedule: cosine, denoise: exactVP(kind), prediction: kind, seed: 3, dtype: 'float64' });
    const q = D.ddim({ shape: small, steps: 30, schedule: cosine, denoise: exactVP(kind), prediction: kind, seed: 3, eta: 1, dtype: 'float64' });
    close(tt, arr(p), arr(q), 1e-7, 1e-7, `ddpm ≡ ddim(η = 1), prediction ${kind}`);
    td.dispose([p, q]);
  }
});

t.test('memory stays flat across steps; results are owned by the caller', async (tt) => {
  const before = td.memory().tensors;
  const seen: number[] = [];
  const den = exactVP('eps');
  const out = D.ddpm({ shape, steps: 40, schedule: cosine, prediction: 'eps', seed: 1, denoise: (z, t, i) => { seen.push(td.memory().tensors); return den(z, t, i); } });
  tt.equal(Math.max(...seen) - Math.min(...seen), 0, `live tensors at each model call: ${Math.min(...seen)}..${Math.max(...seen)}`);
  tt.equal(td.memory().tensors, before + 1, 'only the result survives');
  out.dispose();
  const seenH: number[] = [];
  const h = D.edmHeun({ shape, steps: 20, seed: 1, denoise: (x, s, i) => { seenH.push(td.memory().tensors); return exactVE(x, s, i); } });
  const first = seenH.filter((_, i) => i % 2 === 0), second = seenH.filter((_, i) => i % 2 === 1);
  tt.ok(Math.max(...first) === Math.min(...first) && Math.max(...second) === Math.min(...second), 'Heun: flat at both calls of every step');
  tt.equal(td.memory().tensors, before + 1, 'Heun: only the result survives');
  h.dispose();
  // x-prediction returning the model output at the last step: the result is a copy the caller owns
  const constant = td.full([3, 2], 0.25);
  const r = D.ddim({ shape: [3, 2], steps: 3, schedule: cosine, prediction: 'x', seed: 1, denoise: () => constant });
  tt.not(r, constant, 'the result is not the model output tensor');
  r.dispose();
  tt.notOk(constant.isDisposed, 'the model output survives');
  constant.dispose();
  // under an enclosing tidy the result is returned like any op result, and grad stays off
  const inTidy = td.tidy(() => D.flowEuler({ shape: [5, 2], steps: 3, velocity: exactFlow, seed: 1 }));
  tt.notOk(inTidy.isDisposed, 'survives an enclosing tidy it is returned from');
  tt.notOk(inTidy.requiresGrad, 'no graph is recorded');
  inTidy.dispose();
  tt.equal(td.memory().tensors, before, 'nothing leaks');
});

t.test('argument errors', async (tt) => {
  const base = { shape: [4, 2], steps: 5, schedule: cosine, denoise: exactVP('eps'), prediction: 'eps' as const, seed: 1 };
  throwsKind(tt, () => D.ddim({ ...base, seed: undefined as never }), TypeError, 'missing seed');
  throwsKind(tt, () => D.ddim({ ...base, seed: -1 }), TypeError, 'negative seed');
  throwsKind(tt, () => D.ddim({ ...base, prediction: 'score' as never }), TypeError, 'unknown prediction');
  throwsKind(tt, () => D.ddim({ ...base, steps: 0 }), RangeError, 'zero steps');
  throwsKind(tt, () => D.ddim({ ...base, eta: 2 }), RangeError, 'eta above 1');
  throwsKind(tt, () => D.ddim({ ...base, tStart: 0, tEnd: 1 }), RangeError, 'tEnd above tStart');
  throwsKind(tt, () => D.ddim({ ...base, schedule: {} as never }), TypeError, 'not a schedule');
  throwsKind(tt, () => D.ddim({ ...base, schedule: D.edmSchedule(), prediction: 'v' }), TypeError, 'v-prediction on a VE schedule');
  throwsKind(tt, () => D.ddpm({ ...base, denoise: () => td.zeros([4, 3]) }), RangeError, 'denoiser returns the wrong shape');
  throwsKind(tt, () => D.ddpm({ ...base, shape: undefined }), TypeError, 'no shape and no init');
  throwsKind(tt, () => D.edmHeun({ shape: [4, 2], seed: 1, denoise: exactVE, sigmas: [3, 2, 1] }), RangeError, 'sigmas not ending in 0');
  throwsKind(tt, () => D.flowEuler({ shape: [4, 2], steps: 3, seed: 1, velocity: 3 as never }), TypeError, 'velocity not a function');
  const before = td.memory().tensors;
  try {
    D.ddim({ ...base, denoise: (z, _t, i) => { if (i.step === 2) throw new Error('model failed'); return td.zerosLike(z); } });
  } catch (e) {
    tt.equal((e as Error).message, 'model failed', 'a model error propagates');
  }
  tt.equal(td.memory().tensors, before, 'and leaves no tensor behind');
});
