// models-ul.test.ts — Unified Latents math (lib/models/ul): the fixed encoding noise (σ₀ ≈ 0.082 from
// λ(0) = 5, and the statistics of z₀ given z_clean); the prior's bitrate bound against its closed form
// for Gaussian latents with the exact denoiser (and that it upper-bounds the mutual information);
// gradients reaching the encoder through each loss, and a float64 central finite difference of the
// total loss along its gradient; the VAE loss against a plain-JS recomputation; argument errors.
import t from 'tap';
import * as td from '../lib/index';
import * as U from '../lib/models/ul';
import { throwsKind } from './helpers/check';

td.setNumThreads(1);

const sig = (x: number) => 1 / (1 + Math.exp(-x));
const tiny = (o: U.ULConfig = {}): U.ULConfig => ({ encoderBase: 8, priorWidth: 8, priorDepth: 1, decoderBase: 8, groups: 4, seed: 3, ...o });

t.test('fixed-noise encoding at λ(0) = 5: σ₀ ≈ 0.082, and z₀ | z_clean ~ N(α₀ z_clean, σ₀²)', async (tt) => {
  tt.ok(Math.abs(U.SIGMA0 - 0.0818) < 1e-4, `σ₀ = ${U.SIGMA0} ≈ 0.0818`);
  tt.ok(Math.abs(U.ALPHA0 ** 2 - 0.993307) < 1e-6, `α₀² = ${U.ALPHA0 ** 2} = sigmoid(5) ≈ 0.993307`);
  tt.ok(Math.abs(Math.log(U.ALPHA0 ** 2 / U.SIGMA0 ** 2) - 5) < 1e-12, 'log(α₀²/σ₀²) = 5');
  const m = new U.ULModel(tiny());
  tt.ok(Math.abs(m.priorSchedule.lambda(0) - 5) < 1e-9, 'the prior starts at exactly λ = 5 (prior-aligned)');
  tt.ok(Math.abs(m.priorSchedule.lambda(1) + 10) < 1e-9, 'and ends at λ_min = −10');
  // z_clean = a fixed pattern repeated over 4000 samples: per element, mean α₀ z and std σ₀
  const B = 4000;
  const pattern = Float64Array.from({ length: 64 }, (_, i) => Math.sin(i) * 2);
  const zc = td.tensor(Float64Array.from({ length: B * 64 }, (_, i) => pattern[i % 64]), { shape: [B, 4, 4, 4] });
  const z0 = m.noisyLatent(zc, 11);
  const v = z0.dataSync();
  let worstMean = 0, worstStd = 0;
  for (let j = 0; j < 64; j++) {
    let s = 0, s2 = 0;
    for (let b = 0; b < B; b++) s += v[b * 64 + j];
    const mu = s / B;
    for (let b = 0; b < B; b++) s2 += (v[b * 64 + j] - mu) ** 2;
    const sd = Math.sqrt(s2 / (B - 1));
    worstMean = Math.max(worstMean, Math.abs(mu - U.ALPHA0 * Math.fround(pattern[j])) / (U.SIGMA0 / Math.sqrt(B)));
    worstStd = Math.max(worstStd, Math.abs(sd / U.SIGMA0 - 1));
  }
  tt.ok(worstMean < 4.5, `per-element mean = α₀ z_clean within ${worstMean.toFixed(2)} standard errors (64 elements)`);
  tt.ok(worstStd < 0.06, `per-element std = σ₀ within ${(100 * worstStd).toFixed(1)}% (4000 draws)`);
  const again = m.noisyLatent(zc, 11);
  tt.same(Array.from(again.dataSync().slice(0, 64)), Array.from(v.slice(0, 64)), 'seeded: the same noise for the same seed');
  td.dispose([zc, z0, again]);
  m.dispose();
});

t.test('bitrate bound: Gaussian latents with the exact denoiser match the closed form', async (tt) => {
  // z_clean ~ N(0, s²) per dim; z_t = α z + σ ε; E[ε | z_t] = σ z_t / (α² s² + σ²).
  // Diffusion term per dim: ½ ∫_{λmin}^{5} e^λ s²/(1 + s² e^λ) dλ = ½ log((1 + s² e^5)/(1 + s² e^{λmin}));
  // terminal KL per dim: ½ (σ₁² + α₁² s² − 1 − log σ₁²) at λmin. Mutual information I(z; z₀) = ½ log(1 + s² e^5);
  // the bound exceeds it by KL(N(0, α₁²s² + σ₁²) ‖ N(0, 1)) per dim (the prior's Gaussian mismatch at λmin).
  const D = 16, B = 8192;
  const exactEps = (s: number): U.EpsFn => (zt, lam) => {
    const l = lam.dataSync();
    const c = Float64Array.from(l, (li) => Math.sqrt(sig(-li)) / (sig(li) * s * s + sig(-li)));
    return td.mul(zt, td.tensor(c, { shape: [l.length, 1, 1, 1], dtype: 'float64' }));
  };
  for (const [s, lmin] of [[1.5, -10], [5, -2]]) {
    const sched = td.diffusion.cosineSchedule({ lambdaMin: lmin, lambdaMax: 5 });
    const a1 = sig(lmin), s1 = sig(-lmin);
    const perDim = 0.5 * Math.log((1 + s * s * Math.exp(5)) / (1 + s * s * Math.exp(lmin))) + 0.5 * (s1 + a1 * s * s - 1 - Math.log(s1));
    const exact = D * perDim;
    const mi = D * 0.5 * Math.log(1 + s * s * Math.exp(5));
    const v1 = a1 * s * s + s1, gap = D * 0.5 * (v1 - 1 - Math.log(v1));
    const z = td.mul(td.randn([B, 4, 2, 2], { seed: 5, dtype: 'float64' }), s);
    const r = td.tidy(() => {
      const q = U.priorBound(exactEps(s), z, sched, { seed: 7 });
      return { l: q.loss.item(), p: Array.from(q.perSample.dataSync()) };
    });
    const tag = `s = ${s}, λmin = ${lmin}`;
    tt.ok(Math.abs(r.l / exact - 1) < 0.01, `${tag}: Monte-Carlo bound ${r.l.toFixed(3)} nats vs closed form ${exact.toFixed(3)} (within 1%)`);
    tt.ok(Math.abs(exact - mi - gap) < 1e-9 * exact, `${tag}: closed form − I(z; z₀) = the terminal Gaussian mismatch ${gap.toFixed(3)}`);
    if (gap > 0.1 * mi) tt.ok(r.l > mi, `${tag}: the bound ${r.l.toFixed(2)} exceeds I(z; z₀) = ${mi.toFixed(2)} nats`);
    tt.ok(Math.abs(r.p.reduce((a, b) => a + b, 0) / B - r.l) < 1e-9 * Math.abs(r.l), `${tag}: mean of perSample = loss`);
    const worse = td.tidy(() => U.priorBound((zt) => td.zerosLike(zt), z, sched, { seed: 7 }).loss.item());
    tt.ok(worse > r.l, `${tag}: a worse denoiser (ε̂ = 0) gives a larger bound (${worse.toFixed(2)} > ${r.l.toFixed(2)})`);
    z.dispose();
  }
  const bits = U.bitsOf(100, 64);
  tt.ok(Math.abs(bits.bitsPerImage - 100 / Math.log(2)) < 1e-12 && Math.abs(bits.bitsPerDim - 100 / Math.log(2) / 64) < 1e-12, 'bitsOf: nats / ln 2, and per dimension');
});

t.test('gradients reach the encoder through the prior loss and through the decoder loss', async (tt) => {
  const m = new U.ULModel(tiny({ dtype: 'float64' }));
  const x = td.cast(td.data.mnist({ size: 16, limit: 4 }).images, 'float64');
  const enc = m.encoder.parameters();
  const gradNorm2 = () => enc.reduce((acc, p) => acc + (p.grad ? td.tidy(() => td.sum(td.square(p.grad!)).item()) : 0), 0);
  for (const which of ['prior', 'decoder'] as const) {
    for (const mod of m.modules()) mod.zeroGrad();
    td.tidy(() => {
      const zc = m.encode(x);
      const l = which === 'prior' ? U.priorLoss(m, zc, { seed: 1 }).loss : U.decoderLoss(m, x, m.noisyLatent(zc, 2), { seed: 3 }).loss;
      l.backward();
    });
    const g = gradNorm2();
    tt.ok(Number.isFinite(g) && g > 0, `${which} loss alone: encoder gradient norm² ${g.toExponential(3)} > 0`);
    tt.ok(enc.every((p) => p.grad !== null && p.grad !== undefined), `${which} loss alone: every encoder parameter has a gradient`);
  }
  // the total loss: central finite difference along the gradient direction of the encoder parameters
  for (const mod of m.modules()) mod.zeroGrad();
  const L = (o = 0.5) => td.tidy(() => U.ulLoss(m, x, { seed: 9, lossFactor: o }).loss.item());
  const grads = td.tidy(() => {
    U.ulLoss(m, x, { seed: 9, lossFactor: 0.5 }).loss.backward();
    return enc.map((p) => td.clone(p.grad!));
  });
  const gnorm = Math.sqrt(grads.reduce((a, g) => a + td.tidy(() => td.sum(td.square(g)).item()), 0));
  const dirs = grads.map((g) => td.div(g, gnorm));
  const h = 1e-5;
  const named = m.encoder.namedParameters();
  const live = m.encoder.stateDict();
  const base: Record<string, td.Tensor> = {}; // copies: the state dict's tensors share the parameters' storage
  for (const [k, v] of Object.entries(live)) base[k] = td.clone(v);
  td.dispose(live);
  const at = (e: number) => {
    const sd: Record<string, td.Tensor> = {};
    named.forEach(([name], i) => { sd[name] = td.add(base[name], td.mul(dirs[i], e)); });
    m.encoder.loadStateDict(sd, false);
    td.dispose(sd);
    return td.noGrad(() => L());
  };
  const lp = at(h), lm = at(-h);
  m.encoder.loadStateDict(base);
  td.dispose(base);
  const fd = (lp - lm) / (2 * h);
  tt.ok(Math.abs(fd - gnorm) < 1e-4 * gnorm + 1e-6, `directional derivative: finite difference ${fd.toFixed(6)} vs autograd ${gnorm.toFixed(6)}`);
  td.dispose([x, grads, dirs]);
  m.dispose();
});

t.test('VAE loss: KL and reconstruction against a plain-JS recomputation', async (tt) => {
  const v = new U.VAEModel({ encoderBase: 8, decoderBase: 8, seed: 2, beta: 0.7, dtype: 'float64' });
  const x = td.cast(td.data.mnist({ size: 16, limit: 3 }).images, 'float64');
  const r = td.noGrad(() => td.tidy(() => {
    const q = U.vaeLoss(v, x, { seed: 4 });
    return { loss: q.loss.item(), recon: q.recon.item(), kl: q.kl.item() };
  }));
  const { mu, lv, xh } = td.noGrad(() => td.tidy(() => {
    const p = v.encode(x);
    const eps = td.randn(p.mean.shape, { seed: td.diffusion.deriveSeed(4, 0), dtype: 'float64' });
    const z = td.add(p.mean, td.mul(td.exp(td.mul(p.logvar, 0.5)), eps));
    return { mu: p.mean.dataSync(), lv: p.logvar.dataSync(), xh: v.decode(z).dataSync() };
  }));
  let kl = 0;
  for (let i = 0; i < mu.length; i++) kl += 0.5 * (mu[i] * mu[i] + Math.exp(lv[i]) - 1 - lv[i]);
  kl /= 3;
  const xd = x.dataSync();
  let rec = 0;
  for (let i = 0; i < xd.length; i++) rec += (xd[i] - xh[i]) ** 2;
  rec /= 3;
  tt.ok(Math.abs(r.kl - kl) < 1e-9 * Math.max(1, kl), `KL ${r.kl} = ½Σ(μ² + σ² − 1 − log σ²) ${kl}`);
  tt.ok(Math.abs(r.recon - rec) < 1e-9 * Math.max(1, rec), `recon ${r.recon} = Σ(x − x̂)² ${rec}`);
  tt.ok(Math.abs(r.loss - (rec + 0.7 * kl)) < 1e-9 * Math.max(1, r.loss), 'loss = recon + β KL');
  x.dispose();
  v.dispose();
});

t.test('argument errors', async (tt) => {
  throwsKind(tt, () => new U.ULModel({ size: 15 }), RangeError, 'size not divisible by 2^downsamples');
  throwsKind(tt, () => new U.ULModel({ lossFactor: -1 }), RangeError, 'negative loss factor');
  throwsKind(tt, () => new U.ULModel({ priorLambdaMin: 6 }), RangeError, 'λ_min above λ(0)');
  throwsKind(tt, () => new U.ULModel({ dtype: 'int32' as never }), TypeError, 'int32 dtype');
  throwsKind(tt, () => new U.ULModel({ groups: 5 }), RangeError, 'groups not dividing the widths');
  const m = new U.ULModel(tiny());
  const bad = td.zeros([2, 1, 8, 8]);
  throwsKind(tt, () => m.encode(bad), RangeError, 'encode of an [2, 1, 8, 8] image');
  throwsKind(tt, () => m.encode(td.zeros([2, 1, 16, 16], { dtype: 'int32' })), TypeError, 'encode of int32 images');
  throwsKind(tt, () => U.ulLoss(m, td.zeros([2, 1, 16, 16]), {} as never), TypeError, 'ulLoss without a seed');
  throwsKind(tt, () => U.ulLoss(m, td.zeros([2, 1, 16, 16]), { seed: 1, lossFactor: 0 }), RangeError, 'ulLoss with c = 0');
  throwsKind(tt, () => U.priorLoss({} as never, td.zeros([2, 4, 4, 4]), { seed: 1 }), TypeError, 'priorLoss without a model');
  throwsKind(tt, () => U.decoderLoss(m, td.zeros([2, 1, 16, 16]), td.zeros([3, 4, 4, 4]), { seed: 1 }), RangeError, 'decoderLoss with mismatched z0 batch');
  throwsKind(tt, () => U.decode(m, td.zeros([2, 3, 4, 4]), { seed: 1 }), RangeError, 'decode of [2, 3, 4, 4] latents');
  throwsKind(tt, () => new U.ULTrainer(m, td.zeros([4, 1, 8, 8])), RangeError, 'trainer data of the wrong shape');
  throwsKind(tt, () => new U.ULTrainer(m, td.zeros([4, 1, 16, 16]), { batchSize: 0 }), RangeError, 'batch size 0');
  throwsKind(tt, () => U.bitsOf(1, 0), RangeError, 'bitsOf with 0 dims');
  throwsKind(tt, () => new U.LatentDiffusion({ lambdaMin: 3, lambdaMax: 1 }), RangeError, 'latent model with λmax < λmin');
  throwsKind(tt, () => new U.LatentDiffusion({ output: 'x' as never }), TypeError, 'latent model with a bad output');
  throwsKind(tt, () => U.loadModel('/nonexistent/ul.safetensors'), Error, 'loadModel of a missing file');
  bad.dispose();
  m.dispose();
});
