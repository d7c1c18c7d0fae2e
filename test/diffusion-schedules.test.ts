// diffusion-schedules.test.ts — lib/diffusion schedules, parameterisations and EDM helpers:
// closed-form dλ/dt against float64 central differences and against autograd, inverses by round
// trip, cosine endpoints and monotonicity, number vs Tensor agreement (float64 and float32), the
// ε / x / v conversions and their squared-error identities on random tensors, the loss weights
// (elboWeight, weightedMseUnfused), and EDM's preconditioning, loss weight, σ sampling and grid.
import t from 'tap';
import * as td from '../lib/index';
import { arr, close, throwsKind, uniform } from './helpers/check';

const D = td.diffusion;

const schedules: [string, td.diffusion.Schedule][] = [
  ['cosine', D.cosineSchedule()],
  ['cosine [-10, 12]', D.cosineSchedule({ lambdaMin: -10, lambdaMax: 12 })],
  ['shifted cosine d=256', D.shiftedCosineSchedule({ resolution: 256 })],
  ['shifted cosine s=1.5', D.shiftedCosineSchedule({ shift: 1.5 })],
  ['linear λ', D.linearLambdaSchedule({ lambdaMin: -12, lambdaMax: 9 })],
  ['edm', D.edmSchedule()],
  ['edm σ∈[0.01,20] ρ=3', D.edmSchedule({ sigmaMin: 0.01, sigmaMax: 20, rho: 3 })],
];

const grid = (n: number, lo = 0, hi = 1) => Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
const f64 = (xs: number[]) => td.tensor(Float64Array.from(xs));
const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

t.test('dλ/dt matches float64 central differences', async (tt) => {
  const ts = grid(97, 0.005, 0.995);
  for (const [name, s] of schedules) {
    let worst = 0;
    for (const x of ts) {
      const h = 1e-6;
      const fd = (s.lambda(x + h) - s.lambda(x - h)) / (2 * h);
      worst = Math.max(worst, Math.abs(s.dlambdaDt(x) - fd) / Math.abs(fd));
    }
    tt.ok(worst < 1e-7, `${name}: max relative error ${worst.toExponential(2)}`);
  }
});

t.test('inverses: t(λ(t)) = t and λ(t(λ)) = λ', async (tt) => {
  for (const [name, s] of schedules) {
    let e1 = 0, e2 = 0;
    for (const x of grid(201)) e1 = Math.max(e1, Math.abs(s.tFromLambda(s.lambda(x)) - x));
    for (const l of grid(201, s.lambdaMin, s.lambdaMax)) e2 = Math.max(e2, relErr(s.lambda(s.tFromLambda(l)), l));
    tt.ok(e1 < 1e-12, `${name}: t round trip ${e1.toExponential(2)}`);
    tt.ok(e2 < 1e-12, `${name}: λ round trip ${e2.toExponential(2)}`);
  }
});

t.test('endpoints, monotonicity, and α, σ', async (tt) => {
  for (const [name, s] of schedules) {
    tt.ok(relErr(s.lambda(0), s.lambdaMax) < 1e-12, `${name}: λ(0) = lambdaMax (${s.lambda(0)})`);
    tt.ok(relErr(s.lambda(1), s.lambdaMin) < 1e-12, `${name}: λ(1) = lambdaMin (${s.lambda(1)})`);
    const ls = grid(2001).map((x) => s.lambda(x));
    tt.ok(ls.every((l, i) => i === 0 || l < ls[i - 1]), `${name}: λ strictly decreasing`);
    tt.ok(grid(101).every((x) => s.dlambdaDt(x) < 0), `${name}: dλ/dt < 0`);
    let e = 0;
    for (const x of grid(51)) {
      const a = s.alpha(x), g = s.sigma(x), l = s.lambda(x);
      e = Math.max(e, relErr(Math.log((a * a) / (g * g)), l));
      if (s.variancePreserving) e = Math.max(e, Math.abs(a * a + g * g - 1));
      else e = Math.max(e, Math.abs(a - 1));
    }
    tt.ok(e < 1e-12, `${name}: log(α²/σ²) = λ and ${s.variancePreserving ? 'α² + σ² = 1' : 'α = 1'} (${e.toExponential(2)})`);
  }
  const c = D.cosineSchedule();
  tt.equal(c.lambdaMax, 15, 'cosine default λmax 15');
  tt.equal(c.lambdaMin, -15, 'cosine default λmin −15');
  tt.ok(Math.abs(c.lambda(0.5)) < 1e-12, 'cosine is symmetric: λ(½) = 0');
  const unclipped = (x: number) => -2 * Math.log(Math.tan((Math.PI * x) / 2));
  const u = (x: number) => c.t0 + (c.t1 - c.t0) * x;
  tt.ok(grid(11, 0.05, 0.95).every((x) => relErr(c.lambda(x), unclipped(u(x))) < 1e-12), 'cosine = −2 log tan(π u/2) at the rescaled time');
  const sc = D.shiftedCosineSchedule({ resolution: 128 });
  tt.ok(Math.abs(sc.shift - 2 * Math.log(0.5)) < 1e-15, 'shift from resolution: 2 log(64/128)');
  tt.ok(grid(11).every((x) => relErr(sc.lambda(x), c.lambda(x) + sc.shift) < 1e-12), 'shifted = cosine + shift');
  const lin = D.linearLambdaSchedule({ lambdaMin: -12, lambdaMax: 9 });
  tt.ok(Math.abs(lin.lambda(0.25) - (9 - 21 * 0.25)) < 1e-12 && lin.dlambdaDt(0.7) === -21, 'linear λ and slope');
  const edm = D.edmSchedule();
  const g = D.edmSigmaGrid(18);
  tt.ok(grid(18).every((x, i) => Math.abs(edm.sigma(1 - x) - g[i]) <= 1e-12 * g[i]), 'EDM σ(1 − i/(N−1)) is the sampling grid');
});

t.test('Tensor inputs agree with numbers (float64 tight, float32 loose) and keep shape', async (tt) => {
  const ts = [0, 1e-4, 0.013, 0.25, 0.5, 0.77, 0.999, 1];
  for (const [name, s] of schedules) {
    const before = td.memory().tensors;
    const x = f64(ts);
    const lam = ts.map((v) => s.lambda(v));
    const lt = f64(lam);
    const outs = {
      lambda: [s.lambda(x), lam],
      dlambdaDt: [s.dlambdaDt(x), ts.map((v) => s.dlambdaDt(v))],
      alpha: [s.alpha(x), ts.map((v) => s.alpha(v))],
      sigma: [s.sigma(x), ts.map((v) => s.sigma(v))],
      tFromLambda: [s.tFromLambda(lt), ts],
    } as const;
    for (const [k, [y, want]] of Object.entries(outs)) {
      tt.same(y.shape, [ts.length], `${name}.${k}: shape [B]`);
      tt.equal(y.dtype, 'float64', `${name}.${k}: float64 in, float64 out`);
      close(tt, arr(y), want, 1e-12, 1e-13, `${name}.${k}: float64 tensor = number`);
      y.dispose();
    }
    const x32 = td.tensor(Float32Array.from(ts));
    const l32 = s.lambda(x32);
    tt.equal(l32.dtype, 'float32', `${name}: float32 in, float32 out`);
    close(tt, arr(l32), lam, 1e-5, 1e-5, `${name}: float32 λ`);
    const t32 = s.tFromLambda(l32);
    close(tt, arr(t32), ts, 0, 1e-6, `${name}: float32 round trip`);
    const as = s.alphaSigmaFromLambda(lt);
    close(tt, arr(as.alpha), ts.map((v) => s.alpha(v)), 1e-12, 1e-14, `${name}: alphaSigmaFromLambda α`);
    close(tt, arr(as.sigma), ts.map((v) => s.sigma(v)), 1e-12, 1e-14, `${name}: alphaSigmaFromLambda σ`);
    td.dispose([x, lt, x32, l32, t32, as]);
    tt.equal(td.memory().tensors, before, `${name}: intermediates freed`);
  }
  const c = D.cosineSchedule();
  const t2 = td.tensor([[0.1, 0.2], [0.3, 0.4]], { dtype: 'float64' });
  const l2 = c.lambda(t2);
  tt.same(l2.shape, [2, 2], 'any shape is elementwise');
  td.dispose([t2, l2]);
  throwsKind(tt, () => c.lambda('0.5' as unknown as number), TypeError, 'lambda of a string');
  throwsKind(tt, () => D.cosineSchedule({ lambdaMin: 3, lambdaMax: 1 }), RangeError, 'lambdaMin above lambdaMax');
  throwsKind(tt, () => D.edmSchedule({ sigmaMin: 0 }), RangeError, 'sigmaMin 0');
  throwsKind(tt, () => D.shiftedCosineSchedule({ shift: 1, resolution: 32 }), TypeError, 'shift and resolution');
});

t.test('autograd through λ(t) gives the closed-form dλ/dt', async (tt) => {
  const ts = [0.02, 0.3, 0.5, 0.8, 0.97];
  for (const [name, s] of schedules) {
    const x = f64(ts).requiresGrad_();
    const l = s.lambda(x);
    l.sum().backward();
    close(tt, arr(x.grad!), ts.map((v) => s.dlambdaDt(v)), 1e-9, 1e-9, `${name}: ∂λ/∂t by autograd`);
    const y = f64([0.3, 0.6]).requiresGrad_();
    const lt = s.lambda(y).detach();
    const back = s.tFromLambda(lt.requiresGrad_());
    back.sum().backward();
    close(tt, arr(lt.grad!), [0.3, 0.6].map((v) => 1 / s.dlambdaDt(v)), 1e-8, 1e-12, `${name}: ∂t/∂λ = 1/(dλ/dt)`);
    td.dispose([x, l, y, lt, back]);
  }
});

// ---- parameterisations -------------------------------------------------------------------------------

/** Random x, ε [B, 3, 4] float64 and per-sample λ ∈ [−8, 8] with VP α, σ as [B] tensors. */
function batch(seed: number, B = 6) {
  const shape = [B, 3, 4];
  const x = td.randn(shape, { seed, dtype: 'float64' });
  const eps = td.randn(shape, { seed: seed + 1, dtype: 'float64' });
  const lam = uniform(seed, B, -8, 8);
  const al = lam.map((l) => Math.sqrt(1 / (1 + Math.exp(-l))));
  const sg = lam.map((l) => Math.sqrt(1 / (1 + Math.exp(l))));
  return { x, eps, lam, al, sg, alpha: f64(al), sigma: f64(sg), lamT: f64(lam) };
}

/** Per-sample Σ_i (a − b)², [B]. */
const rowSq = (a: td.Tensor, b: td.Tensor) => arr(td.sub(a, b).square().sum([1, 2]));

t.test('parameterisation round trips', async (tt) => {
  const { x, eps, alpha, sigma, al, sg } = batch(11);
  const z = D.qSample(x, eps, alpha, sigma);
  const xa = arr(x), ea = arr(eps);
  const v = D.vFromEpsX(eps, x, alpha, sigma);
  close(tt, arr(z), xa.map((xi, i) => al[Math.floor(i / 12)] * xi + sg[Math.floor(i / 12)] * ea[i]), 1e-12, 1e-12, 'qSample = α x + σ ε per sample');
  close(tt, arr(D.xFromEps(z, eps, alpha, sigma)), xa, 1e-9, 1e-9, 'x from ε');
  close(tt, arr(D.epsFromX(z, x, alpha, sigma)), ea, 1e-9, 1e-9, 'ε from x');
  close(tt, arr(D.xFromV(z, v, alpha, sigma)), xa, 1e-9, 1e-9, 'x from v');
  close(tt, arr(D.epsFromV(z, v, alpha, sigma)), ea, 1e-9, 1e-9, 'ε from v');
  const preds = { eps, x, v } as const;
  for (const from of ['eps', 'x', 'v'] as const)
    for (const to of ['eps', 'x', 'v'] as const)
      close(tt, arr(D.convertPrediction(preds[from], from, to, z, alpha, sigma)), arr(preds[to]), 1e-9, 1e-9, `convert ${from} → ${to}`);
  // numbers broadcast too
  const z1 = D.qSample(x, eps, 0.6, 0.8);
  close(tt, arr(D.xFromEps(z1, eps, 0.6, 0.8)), xa, 1e-12, 1e-12, 'scalar α, σ');
  // a float64 [B] coefficient against float32 data keeps float32
  const x32 = x.float();
  const y32 = D.qSample(x32, eps.float(), alpha, sigma);
  tt.equal(y32.dtype, 'float32', 'coefficients are cast to the data dtype');
  const p = D.perSample(alpha, x) as td.Tensor;
  tt.same(p.shape, [6, 1, 1], 'perSample: [B] → [B, 1, 1]');
  throwsKind(tt, () => D.perSample(f64([1, 2, 3]), x), RangeError, 'perSample with the wrong batch size');
  throwsKind(tt, () => D.xFromEps(z, x.narrow(0, 0, 2), alpha, sigma), RangeError, 'mismatched shapes');
  throwsKind(tt, () => D.toX(x, 'score' as never, z, alpha, sigma), TypeError, 'unknown prediction');
});

t.test('squared-error identities: ‖ε−ε̂‖² = e^λ ‖x−x̂‖² = α² ‖v−v̂‖²', async (tt) => {
  const { x, eps, alpha, sigma, lam, lamT } = batch(21, 8);
  const z = D.qSample(x, eps, alpha, sigma);
  const v = D.vFromEpsX(eps, x, alpha, sigma);
  const xHat = td.add(x, td.randn(x.shape, { seed: 99, dtype: 'float64' }).mul(0.3)); // any estimate
  const eHat = D.epsFromX(z, xHat, alpha, sigma);
  const vHat = D.toV(xHat, 'x', z, alpha, sigma);
  const ee = rowSq(eps, eHat), ex = rowSq(x, xHat), ev = rowSq(v, vHat);
  close(tt, ee, ex.map((e, b) => Math.exp(lam[b]) * e), 1e-9, 1e-12, '‖ε−ε̂‖² = e^λ ‖x−x̂‖²');
  close(tt, ee, ev.map((e, b) => e / (1 + Math.exp(-lam[b]))), 1e-9, 1e-12, '‖ε−ε̂‖² = sigmoid(λ) ‖v−v̂‖² (= α²)');
  close(tt, arr(D.predictionErrorFactor(lamT, 'x')), lam.map(Math.exp), 1e-12, 0, 'error factor x = e^λ');
  close(tt, arr(D.predictionErrorFactor(lamT, 'v')), lam.map((l) => 1 / (1 + Math.exp(-l))), 1e-12, 0, 'error factor v = sigmoid(λ)');
  close(tt, arr(D.predictionErrorFactor(lamT, 'eps')), lam.map(() => 1), 0, 0, 'error factor eps = 1');
  tt.equal(D.predictionErrorFactor(2, 'x'), Math.exp(2), 'numbers too');
  // the weighted losses agree across parameterisations, sample by sample
  const s = D.cosineSchedule();
  const tb = lam.map((l) => s.tFromLambda(Math.max(-14, Math.min(14, l))));
  const dl = f64(tb.map((v) => s.dlambdaDt(v)));
  for (const weighting of ['elbo', 'sigmoid'] as const) {
    const o = { weighting, bias: 1.5 };
    const wE = arr(D.elboWeight(lamT, dl, { ...o, parameterization: 'eps' }));
    const wX = arr(D.elboWeight(lamT, dl, { ...o, parameterization: 'x' }));
    const wV = arr(D.elboWeight(lamT, dl, { ...o, parameterization: 'v' }));
    const dla = arr(dl);
    const w = lam.map((l) => (weighting === 'elbo' ? 1 : 1 / (1 + Math.exp(-(1.5 - l)))));
    close(tt, wE, lam.map((_, b) => 0.5 * w[b] * -dla[b]), 1e-12, 0, `${weighting}: ω_eps = ½ w (−dλ/dt)`);
    close(tt, wX.map((o2, b) => o2 * ex[b]), wE.map((o2, b) => o2 * ee[b]), 1e-9, 1e-12, `${weighting}: ω_x ‖x−x̂‖² = ω_eps ‖ε−ε̂‖²`);
    close(tt, wV.map((o2, b) => o2 * ev[b]), wE.map((o2, b) => o2 * ee[b]), 1e-9, 1e-12, `${weighting}: ω_v ‖v−v̂‖² = ω_eps ‖ε−ε̂‖²`);
    const nums = lam.map((l, b) => D.elboWeight(l, dla[b], { ...o, parameterization: 'v' }));
    close(tt, nums, wV, 1e-12, 0, `${weighting}: numbers = tensors`);
  }
  // weightedMseUnfused: (1/B) Σ_b ω_b Σ_i (pred − target)², and its gradient
  const om = f64(lam.map((_, b) => 0.1 + b));
  const pred = xHat.detach().requiresGrad_();
  const loss = D.weightedMseUnfused(pred, x, om);
  const want = ex.reduce((acc, e, b) => acc + (0.1 + b) * e, 0) / ex.length;
  tt.ok(Math.abs(loss.item() - want) < 1e-9 * want, `weightedMseUnfused value ${loss.item()} vs ${want}`);
  loss.backward();
  const g = arr(pred.grad!), d = arr(td.sub(xHat, x));
  close(tt, g, d.map((di, i) => (2 / 8) * (0.1 + Math.floor(i / 12)) * di), 1e-9, 1e-12, 'gradient (2/B) ω_b (pred − target)');
  throwsKind(tt, () => D.elboWeight(lamT, dl, { weighting: 'karras' as never }), TypeError, 'unknown weighting');
});

// ---- EDM -------------------------------------------------------------------------------------------

t.test('EDM preconditioning, loss weight, training pair', async (tt) => {
  const sd = 0.5;
  for (const s of [0.002, 0.1, 0.5, 1.7, 80]) {
    const c = D.edmPrecond(s);
    const r = Math.sqrt(s * s + sd * sd);
    close(tt, [c.cSkip, c.cOut, c.cIn, c.cNoise], [sd * sd / (r * r), (s * sd) / r, 1 / r, Math.log(s) / 4], 1e-14, 0, `σ = ${s}: closed forms`);
    tt.ok(Math.abs(D.edmLossWeight(s) * c.cOut * c.cOut - 1) < 1e-12, `σ = ${s}: λ(σ) c_out² = 1`);
    // with Var x = σ_d²: Var(x − c_skip (x + σ n)) = (1 − c_skip)² σ_d² + c_skip² σ² = c_out², so the target has unit variance
    tt.ok(Math.abs(c.cSkip * c.cSkip * (sd * sd + s * s) - 2 * c.cSkip * sd * sd + sd * sd - c.cOut * c.cOut) < 1e-12, `σ = ${s}: unit-variance target`);
  }
  const half = D.edmPrecond(0.5);
  tt.ok(Math.abs(half.cSkip - 0.5) < 1e-15 && Math.abs(half.cOut - 0.5 / Math.SQRT2) < 1e-15, 'σ = σ_d: c_skip ½, c_out σ_d/√2');
  const sig = f64([0.01, 0.3, 2, 50]);
  const ct = D.edmPrecond(sig);
  for (const k of ['cSkip', 'cOut', 'cIn', 'cNoise'] as const)
    close(tt, arr(ct[k]), [0.01, 0.3, 2, 50].map((s) => D.edmPrecond(s)[k]), 1e-12, 1e-15, `tensor ${k} = number`);
  close(tt, arr(D.edmLossWeight(sig)), [0.01, 0.3, 2, 50].map((s) => D.edmLossWeight(s)), 1e-12, 0, 'tensor loss weight');
  // the denoiser wrapper and the training pair: λ(σ)‖D − x‖² = ‖F − target‖² per sample
  const x = td.randn([4, 5], { seed: 3, dtype: 'float64' });
  const n = td.randn([4, 5], { seed: 4, dtype: 'float64' });
  const net: td.diffusion.EDMNetwork = (xin, cn) => td.mul(td.tanh(xin), D.perSample(td.add(cn, 1), xin));
  const Dn = D.edmDenoiser(net);
  const y = td.add(x, td.mul(n, D.perSample(sig, x)));
  const den = Dn(y, sig);
  const pair = D.edmTrainingPair(x, n, sig);
  const F = net(pair.input, pair.cNoise);
  const lw = arr(D.edmLossWeight(sig));
  const lhs = arr(td.sub(den, x).square().sum(1)).map((e, b) => lw[b] * e);
  close(tt, arr(td.sub(F, pair.target).square().sum(1)), lhs, 1e-9, 1e-12, 'λ(σ)‖D − x‖² = ‖F − target‖²');
  // sampling σ: seeded, ln σ ~ N(−1.2, 1.2²)
  const a = D.edmSampleSigma(20000, { seed: 5, dtype: 'float64' });
  const b = D.edmSampleSigma(20000, { seed: 5, dtype: 'float64' });
  tt.same(arr(a), arr(b), 'same seed, same σ');
  const ln = arr(a).map(Math.log);
  const m = ln.reduce((p, q) => p + q, 0) / ln.length;
  const sdv = Math.sqrt(ln.reduce((p, q) => p + (q - m) ** 2, 0) / (ln.length - 1));
  tt.ok(Math.abs(m + 1.2) < 0.03, `mean ln σ ${m.toFixed(4)} ≈ −1.2`);
  tt.ok(Math.abs(sdv - 1.2) < 0.03, `std ln σ ${sdv.toFixed(4)} ≈ 1.2`);
  // the sampling grid
  const g = D.edmSigmaGrid(10);
  tt.equal(g.length, 11, 'N + 1 values');
  tt.ok(Math.abs(g[0] - 80) < 1e-12 && Math.abs(g[9] - 0.002) < 1e-15 && g[10] === 0, 'σmax … σmin, then 0');
  tt.ok(Array.from(g).every((v, i) => i === 0 || v < g[i - 1]), 'decreasing');
  const rho = 7, i = 4;
  tt.ok(Math.abs(g[i] - (80 ** (1 / rho) + (i / 9) * (0.002 ** (1 / rho) - 80 ** (1 / rho))) ** rho) < 1e-12, 'ρ formula');
  tt.same(Array.from(D.edmSigmaGrid(1)), [80, 0], 'one step: [σmax, 0]');
  throwsKind(tt, () => D.edmSigmaGrid(0), RangeError, 'zero steps');
  throwsKind(tt, () => D.edmPrecond(-1), RangeError, 'negative σ');
});
