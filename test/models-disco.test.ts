// models-disco.test.ts — DisCo-Diff pieces (lib/models/discoDiff) against independent references:
// the Gumbel-softmax relaxation (float64 gradcheck of the relaxation, a plain-JS softmax of
// (logits + g)/τ, the straight-through forward/backward, Gumbel statistics, the Gumbel-max
// frequencies = softmax), the temperature schedule's closed form, the AR prior's causal mask (a
// position's logits never change when a later latent changes) and that it learns a known code
// distribution, the EDM-preconditioned conditioned denoiser and its loss against a plain-JS
// evaluation of the formulas (network re-run from its state dict), the curvature and
// mutual-information measures on hand-computed cases, and argument errors.
import t from 'tap';
import * as td from '../lib/index';
import * as D from '../lib/models/discoDiff';
import { arr, close, throwsKind } from './helpers/check';

td.setNumThreads(1);

t.test('gumbelSoftmax: forward = softmax((logits + g)/τ) in plain JS; gradcheck of the relaxation', (tt) => {
  const B = 3, m = 2, k = 5, tau = 0.7;
  const logits = td.randn([B, m, k], { seed: 1, dtype: 'float64' });
  const g = D.gumbelNoise([B, m, k], { seed: 2, dtype: 'float64' });
  const y = D.gumbelSoftmax(logits, { tau, noise: g });
  const L = arr(logits), G = arr(g), want: number[] = [];
  for (let r = 0; r < B * m; r++) {
    const z = Array.from({ length: k }, (_, j) => (L[r * k + j] + G[r * k + j]) / tau);
    const mx = Math.max(...z), e = z.map((v) => Math.exp(v - mx)), s = e.reduce((a, b) => a + b, 0);
    want.push(...e.map((v) => v / s));
  }
  close(tt, arr(y), want, 1e-12, 1e-14, 'forward');
  const lr = td.randn([B, m, k], { seed: 3, dtype: 'float64' }).requiresGrad_();
  tt.ok(td.gradcheck((l) => D.gumbelSoftmax(l, { tau, noise: g }), [lr]), 'gradcheck (float64 central differences), τ = 0.7');
  tt.ok(td.gradcheck((l) => D.gumbelSoftmax(l, { tau: 2.5, noise: g }), [lr]), 'gradcheck, τ = 2.5');
  // straight-through: forward is the one-hot of the argmax; the gradient is the soft sample's
  const w = td.randn([B, m, k], { seed: 4, dtype: 'float64' });
  const l1 = td.clone(logits).requiresGrad_(), l2 = td.clone(logits).requiresGrad_();
  const h = D.gumbelSoftmax(l1, { tau, noise: g, hard: true });
  const hv = arr(h);
  for (let r = 0; r < B * m; r++) {
    const row = want.slice(r * k, (r + 1) * k), am = row.indexOf(Math.max(...row));
    tt.same(hv.slice(r * k, (r + 1) * k), row.map((_, j) => (j === am ? 1 : 0)), `hard row ${r} is the one-hot of the soft argmax ${am}`);
  }
  td.sum(td.mul(h, w)).backward();
  td.sum(td.mul(D.gumbelSoftmax(l2, { tau, noise: g }), w)).backward();
  close(tt, arr(l1.grad!), arr(l2.grad!), 1e-12, 1e-14, 'straight-through gradient = the soft gradient');
  tt.end();
});

t.test('Gumbel noise statistics and Gumbel-max frequencies', (tt) => {
  const n = 40000;
  const g = arr(D.gumbelNoise([n], { seed: 5, dtype: 'float64' }));
  const mean = g.reduce((a, b) => a + b, 0) / n;
  const v = g.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  // Gumbel(0, 1): mean = Euler–Mascheroni γ, variance π²/6; standard errors √(π²/6 / n) ≈ 0.0064 and ≈ 0.02
  tt.ok(Math.abs(mean - 0.5772156649) < 0.03, `mean ${mean.toFixed(4)} ≈ 0.5772`);
  tt.ok(Math.abs(v - Math.PI ** 2 / 6) < 0.1, `variance ${v.toFixed(4)} ≈ π²/6 = 1.6449`);
  // low-temperature hard samples follow softmax(logits) (Gumbel-max trick)
  const lg = [0.5, -1, 1.5, 0];
  const N = 20000;
  const logits = td.tensor(Array.from({ length: N }, () => lg).flat(), { shape: [N, 4] });
  const y = arr(D.gumbelSoftmax(logits, { tau: 0.5, hard: true, seed: 6 }));
  const e = lg.map(Math.exp), s = e.reduce((a, b) => a + b, 0);
  for (let j = 0; j < 4; j++) {
    let c = 0;
    for (let i = 0; i < N; i++) c += y[i * 4 + j];
    const p = e[j] / s, se = Math.sqrt((p * (1 - p)) / N);
    tt.ok(Math.abs(c / N - p) < 5 * se, `class ${j}: frequency ${(c / N).toFixed(4)} ≈ softmax ${p.toFixed(4)}`);
  }
  tt.end();
});

t.test('tauAt: geometric anneal τ0 (τ1/τ0)^(k/K), then constant', (tt) => {
  const s = { tauStart: 2, tauEnd: 0.05, annealSteps: 400 };
  close(tt, [D.tauAt(0, s), D.tauAt(100, s), D.tauAt(200, s), D.tauAt(400, s), D.tauAt(9000, s)],
    [2, 2 * Math.pow(0.025, 0.25), Math.sqrt(2 * 0.05), 0.05, 0.05], 1e-12, 0, 'values');
  tt.equal(D.tauAt(5, { annealSteps: 0, tauEnd: 0.3 }), 0.3, 'annealSteps 0 → tauEnd');
  throwsKind(tt, () => D.tauAt(-1), RangeError, 'negative step');
  throwsKind(tt, () => D.tauAt(1, { tauEnd: 0 }), RangeError, 'tauEnd 0');
  tt.end();
});

t.test('ARPrior: causal mask — position i never sees latents i, i+1, ...', (tt) => {
  const m = 6, k = 7;
  const prior = new D.ARPrior({ latents: m, codebook: k, dim: 32, heads: 4, layers: 2, seed: 3, dtype: 'float64' });
  const base = [[1, 2, 3, 4, 5, 6], [0, 0, 0, 0, 0, 0]];
  const codes = td.tensor(Int32Array.from(base.flat()), { shape: [2, m], dtype: 'int32' });
  const l0 = arr(prior.forward(codes));
  tt.same(prior.forward(codes).shape, [2, m, k], 'logits [B, m, k]');
  for (let j = 0; j < m; j++) {
    const alt = base.map((r) => r.map((c, i) => (i === j ? (c + 3) % k : c)));
    const l1 = arr(prior.forward(td.tensor(Int32Array.from(alt.flat()), { shape: [2, m], dtype: 'int32' })));
    for (let b = 0; b < 2; b++) {
      let maxBefore = 0, maxAfter = 0;
      for (let i = 0; i < m; i++)
        for (let c = 0; c < k; c++) {
          const d = Math.abs(l1[(b * m + i) * k + c] - l0[(b * m + i) * k + c]);
          if (i <= j) maxBefore = Math.max(maxBefore, d);
          else maxAfter = Math.max(maxAfter, d);
        }
      tt.equal(maxBefore, 0, `changing latent ${j} (row ${b}) leaves the logits of positions 0..${j} exactly unchanged`);
      if (j < m - 1) tt.ok(maxAfter > 1e-6, `... and changes a later position (max |Δ| ${maxAfter.toExponential(2)})`);
    }
  }
  // position 0 sees only the start token: the same logits for every input
  const r0 = l0.slice(0, k), r1 = l0.slice(m * k, m * k + k);
  close(tt, r0, r1, 0, 1e-12, 'position 0 logits depend on the start token only');
  prior.dispose();
  tt.end();
});

t.test('ARPrior learns a known code distribution and samples it (c1 = c0, c0 uniform over 4; c2 ~ U{0,1})', (tt) => {
  const m = 3, k = 4, N = 2048;
  const c: number[] = [];
  const u = arr(td.randint(0, 4, [N], { seed: 11 })), v = arr(td.randint(0, 2, [N], { seed: 12 }));
  for (let i = 0; i < N; i++) c.push(u[i], u[i], v[i]);
  const codes = td.tensor(Int32Array.from(c), { shape: [N, m], dtype: 'int32' });
  const prior = new D.ARPrior({ latents: m, codebook: k, dim: 32, heads: 2, layers: 1, seed: 0 });
  const tr = new D.PriorTrainer(prior, codes, { seed: 0, batchSize: 128, lr: 3e-3, decaySteps: 250 });
  const ls = tr.train(250);
  const tail = ls.slice(-25).reduce((a, b) => a + b, 0) / 25;
  // entropy per latent: (ln 4 + 0 + ln 2) / 3
  const H = (Math.log(4) + Math.log(2)) / 3;
  tt.ok(tail < H + 0.08, `cross-entropy ${tail.toFixed(3)} nats/latent ≈ entropy ${H.toFixed(3)}`);
  const s = arr(prior.sample(4000, { seed: 5 }));
  let copy = 0;
  const f0 = [0, 0, 0, 0], f2 = [0, 0, 0, 0];
  for (let i = 0; i < 4000; i++) {
    if (s[3 * i] === s[3 * i + 1]) copy++;
    f0[s[3 * i]]++;
    f2[s[3 * i + 2]]++;
  }
  tt.ok(copy / 4000 > 0.95, `sampled c1 = c0 in ${(100 * copy / 4000).toFixed(1)}% of samples`);
  for (let j = 0; j < 4; j++) tt.ok(Math.abs(f0[j] / 4000 - 0.25) < 0.03, `P(c0 = ${j}) = ${(f0[j] / 4000).toFixed(3)} ≈ 0.25`);
  tt.ok((f2[0] + f2[1]) / 4000 > 0.97, `c2 ∈ {0, 1} in ${(100 * (f2[0] + f2[1]) / 4000).toFixed(1)}%`);
  const a = arr(prior.sample(200, { seed: 8 })), b = arr(prior.sample(200, { seed: 8 })), cdiff = arr(prior.sample(200, { seed: 9 }));
  tt.same(a, b, 'same seed → same codes');
  tt.notSame(a, cdiff, 'another seed → other codes');
  tr.dispose();
  prior.dispose();
  tt.end();
});

/** The toy denoiser's raw network re-run in plain JS from its state dict: cat[x, sin, cos, e] → (Linear, SiLU)×L → Linear. */
function jsRaw(sd: Record<string, td.Tensor>, layers: number, m: number, k: number, d: number) {
  const W = arr(sd['net.temb.W']);
  const lin = Array.from({ length: layers + 1 }, (_, i) => ({ w: sd[`net.main.${i}.weight`], b: arr(sd[`net.main.${i}.bias`]) }));
  const E = m > 0 ? arr(sd['embed.weight']) : [];
  return (x: number[], cNoise: number, codes: number[]): number[] => {
    const e: number[] = [];
    for (let i = 0; i < m; i++) for (let j = 0; j < d; j++) e.push(E[(i * k + codes[i]) * d + j]);
    let h = [...x, ...W.map((w) => Math.sin(2 * Math.PI * cNoise * w)), ...W.map((w) => Math.cos(2 * Math.PI * cNoise * w)), ...e];
    lin.forEach((l, li) => {
      const [o, n] = l.w.shape, wd = l.w.dataSync();
      const y = Array.from({ length: o }, (_, r) => { let s = l.b[r]; for (let c = 0; c < n; c++) s += wd[r * n + c] * h[c]; return s; });
      h = li < layers ? y.map((z) => z / (1 + Math.exp(-z))) : y;
    });
    return h;
  };
}

t.test('EDM preconditioning of the conditioned denoiser against the formulas (plain JS)', (tt) => {
  const m = 2, k = 5, d = 3, sd = 0.5;
  const model = new D.DiscoDiffModel({ latents: m, codebook: k, latentDim: d, hidden: 16, layers: 2, seed: 4, dtype: 'float64' });
  const F = jsRaw(model.stateDict(), 2, m, k, d);
  const B = 4;
  const x = td.randn([B, 2], { seed: 9, dtype: 'float64' });
  const codes = td.tensor(Int32Array.from([0, 4, 3, 1, 2, 2, 4, 0]), { shape: [B, m], dtype: 'int32' });
  const xs = arr(x), cs = arr(codes);
  for (const sigma of [0.002, 0.3, 1.7, 80]) {
    const out = arr(model.denoise(x, sigma, codes));
    const cSkip = sd * sd / (sigma * sigma + sd * sd), cOut = sigma * sd / Math.sqrt(sigma * sigma + sd * sd);
    const cIn = 1 / Math.sqrt(sigma * sigma + sd * sd), cNoise = Math.log(sigma) / 4;
    const want: number[] = [];
    for (let b = 0; b < B; b++) {
      const xb = xs.slice(2 * b, 2 * b + 2);
      const f = F(xb.map((v) => v * cIn), cNoise, cs.slice(m * b, m * b + m));
      want.push(...xb.map((v, i) => cSkip * v + cOut * f[i]));
    }
    close(tt, out, want, 1e-10, 1e-12, `D(x, σ = ${sigma}, c) = c_skip x + c_out F(c_in x, ¼ ln σ, e(c))`);
  }
  // one-hot input gives the same as int32 codes; per-sample σ tensor
  const sig = td.tensor([0.1, 0.5, 2, 10], { dtype: 'float64' });
  const a = arr(model.denoise(x, sig, model.oneHot(codes)));
  const rows = [0.1, 0.5, 2, 10].map((s, b) => arr(model.denoise(td.narrow(x, 0, b, 1), s, td.narrow(codes, 0, b, 1))));
  close(tt, a, rows.flat(), 1e-12, 1e-14, 'σ [B] tensor and one-hot latents = row-by-row calls with codes');
  model.dispose();
  tt.end();
});

t.test('discoLoss (baseline, given σ) = mean λ(σ)(D(x + σn, σ) − x)² in plain JS', (tt) => {
  const model = new D.DiscoDiffModel({ latents: 0, hidden: 8, layers: 2, seed: 1, dtype: 'float64' });
  const F = jsRaw(model.stateDict(), 2, 0, 0, 0);
  const B = 5, sd = 0.5, seed = 77;
  const x = td.randn([B, 2], { seed: 3, dtype: 'float64' });
  const sig = [0.01, 0.2, 0.9, 3, 40];
  const loss = D.discoLoss(model, x, { seed, sigma: td.tensor(sig, { dtype: 'float64' }) }).loss.item();
  const n = arr(td.randn([B, 2], { seed: td.diffusion.deriveSeed(seed, 1), dtype: 'float64' })), xs = arr(x);
  let acc = 0;
  for (let b = 0; b < B; b++) {
    const s = sig[b];
    const y = [0, 1].map((i) => xs[2 * b + i] + s * n[2 * b + i]);
    const cIn = 1 / Math.sqrt(s * s + sd * sd), cSkip = sd * sd / (s * s + sd * sd), cOut = s * sd / Math.sqrt(s * s + sd * sd);
    const f = F(y.map((v) => v * cIn), Math.log(s) / 4, []);
    const lam = (s * s + sd * sd) / (s * sd) ** 2;
    for (let i = 0; i < 2; i++) acc += lam * (cSkip * y[i] + cOut * f[i] - xs[2 * b + i]) ** 2;
  }
  close(tt, [loss], [acc / (2 * B)], 1e-9, 0, 'EDM loss');
  // with latents the gradient reaches the encoder through the relaxation
  const mk = new D.DiscoDiffModel({ latents: 2, codebook: 4, hidden: 8, layers: 2, seed: 2, dtype: 'float64' });
  const l = D.discoLoss(mk, x, { seed: 1, tau: 0.5 }).loss;
  l.backward();
  const gEnc = mk.encoder!.parameters().map((p) => Math.max(...arr(p.grad!).map(Math.abs)));
  tt.ok(gEnc.every((v) => v > 0 && Number.isFinite(v)), 'every encoder parameter gets a finite non-zero gradient');
  model.dispose();
  mk.dispose();
  tt.end();
});

t.test('trajectoryCurvature and mutualInformation on hand-computed cases', (tt) => {
  // straight path x(σ) = x0 + (σ0 − σ) s with constant derivative → 0
  const n = 2, s0 = 4;
  const x0 = [4, 0, 0, 8], xe = [0, 0, 0, 0];
  const s = [0, 1, 2, 3].map((i) => (xe[i] - x0[i]) / -s0); // [1, 0, 0, 2]
  tt.equal(D.trajectoryCurvature([s, s, s], x0, xe, s0, n), 0, 'constant velocity along the chord → 0');
  // derivative rotated 90° with the chord's norm at one of two steps → mean ‖d − s‖/‖s‖ = (√2 + 0)/2
  const rot = [0, 1, -2, 0];
  close(tt, [D.trajectoryCurvature([rot, s], x0, xe, s0, n)], [Math.SQRT2 / 2], 1e-12, 0, 'a perpendicular step of equal norm contributes √2');
  // MI: identical uniform labels over 8 → 3 bits; a 2×2 joint [[.4, .1], [.1, .4]] → 1 − H(0.2)
  const a = Array.from({ length: 800 }, (_, i) => i % 8);
  close(tt, [D.mutualInformation(a, a)], [3], 1e-12, 0, 'I(a; a) = H(a) = 3 bits');
  const x: number[] = [], y: number[] = [];
  for (const [p, q, c] of [[0, 0, 40], [0, 1, 10], [1, 0, 10], [1, 1, 40]]) for (let i = 0; i < c; i++) { x.push(p); y.push(q); }
  const h2 = -(0.2 * Math.log2(0.2) + 0.8 * Math.log2(0.8));
  close(tt, [D.mutualInformation(x, y)], [1 - h2], 1e-12, 0, 'binary symmetric joint: 1 − H(0.2)');
  const ind: number[] = [], ind2: number[] = [];
  for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) { ind.push(i); ind2.push(j); }
  close(tt, [D.mutualInformation(ind, ind2)], [0], 0, 1e-12, 'independent product grid → 0');
  tt.same(D.codeIds([1, 2, 0, 3], 2, 4), [1 + 2 * 4, 0 + 3 * 4], 'codeIds: mixed radix');
  throwsKind(tt, () => D.mutualInformation([1, 2], [1]), RangeError, 'MI length mismatch');
  throwsKind(tt, () => D.trajectoryCurvature([[1]], [1, 2], [1, 2], 1, 1), RangeError, 'curvature length mismatch');
  tt.end();
});

t.test('argument errors name the op, shapes and dtypes', (tt) => {
  const model = new D.DiscoDiffModel({ latents: 2, codebook: 4, hidden: 8, layers: 1, seed: 0 });
  const base = new D.DiscoDiffModel({ latents: 0, hidden: 8, layers: 1, seed: 0 });
  const x = td.randn([3, 2], { seed: 0 });
  throwsKind(tt, () => D.gumbelSoftmax(td.tensor([1, 2], { dtype: 'int32' })), TypeError, 'gumbelSoftmax int32 logits');
  throwsKind(tt, () => D.gumbelSoftmax(x, { tau: 0 }), RangeError, 'gumbelSoftmax τ = 0');
  throwsKind(tt, () => D.gumbelSoftmax(x, { noise: td.randn([2, 2]) }), RangeError, 'gumbelSoftmax noise shape');
  throwsKind(tt, () => new D.DiscoDiffModel({ latents: -1 }), RangeError, 'negative latents');
  throwsKind(tt, () => new D.DiscoDiffModel({ kind: 'video' as 'toy' }), TypeError, 'unknown kind');
  throwsKind(tt, () => new D.DiscoDiffModel({ kind: 'image', size: 15 }), RangeError, 'image size not divisible');
  throwsKind(tt, () => model.denoise(td.randn([3, 3]), 1, null), RangeError, 'denoise x [3, 3] for D = 2');
  throwsKind(tt, () => model.denoise(x, 1, null), TypeError, 'denoise without latents on a latent model');
  throwsKind(tt, () => model.denoise(x, 1, td.tensor([[0, 1]], { dtype: 'int32' })), RangeError, 'denoise codes of another batch');
  throwsKind(tt, () => model.oneHot(td.tensor([[0.5, 1]])), TypeError, 'oneHot float codes');
  throwsKind(tt, () => base.logits(x), TypeError, 'baseline has no encoder');
  throwsKind(tt, () => base.denoise(x, 1, td.tensor([[0], [1], [2]], { dtype: 'int32' })), TypeError, 'baseline takes no latents');
  throwsKind(tt, () => D.discoLoss(model, x, {} as D.DiscoLossOptions), TypeError, 'discoLoss without a seed');
  throwsKind(tt, () => D.discoLoss({} as D.DiscoDiffModel, x, { seed: 0 }), TypeError, 'discoLoss non-model');
  throwsKind(tt, () => new D.ARPrior({ latents: 0, codebook: 4 }), RangeError, 'prior with 0 latents');
  throwsKind(tt, () => new D.ARPrior({ latents: 2, codebook: 4, dim: 30, heads: 4 }), RangeError, 'prior dim not divisible by heads');
  const prior = new D.ARPrior({ latents: 2, codebook: 4, dim: 8, heads: 2, layers: 1, seed: 0 });
  throwsKind(tt, () => prior.forward(td.tensor([[0, 4]], { dtype: 'int32' })), RangeError, 'prior code out of range');
  throwsKind(tt, () => prior.forward(td.tensor([[0, 1, 2]], { dtype: 'int32' })), TypeError, 'prior codes [1, 3] for m = 2');
  throwsKind(tt, () => prior.sample(0, { seed: 1 }), RangeError, 'prior.sample n = 0');
  throwsKind(tt, () => D.sample(model, { n: 3, steps: 2, seed: 0 }), TypeError, 'sample without prior or codes');
  throwsKind(tt, () => D.sample(model, { n: 3, steps: 0, seed: 0, prior }), RangeError, 'sample steps 0');
  throwsKind(tt, () => D.sample(model, { n: 3, steps: 2, seed: 0, prior: new D.ARPrior({ latents: 3, codebook: 4, dim: 8, heads: 2, layers: 1 }) }), RangeError, 'prior of another shape');
  throwsKind(tt, () => new D.DiscoTrainer(model, td.randn([10, 3]), {}), RangeError, 'trainer data [10, 3] for D = 2');
  throwsKind(tt, () => new D.DiscoTrainer(model, x, { batchSize: 0 }), RangeError, 'trainer batch 0');
  throwsKind(tt, () => new D.PriorTrainer(prior, td.tensor([[0.5, 1]]), {}), TypeError, 'prior trainer float codes');
  throwsKind(tt, () => D.loadModel('/nonexistent/disco.safetensors'), Error, 'loadModel missing file');
  tt.end();
});
