// models-layersync.test.ts — LayerSync on SiT (lib/models/layerSync): the model, the regulariser, the
// flow-matching loss and the samplers, each against something independent:
//   - L_reg = −1 at initialisation (adaLN-Zero: every block the identity, checked element by element);
//   - no gradient reaches the guide through L_reg (leaf tensors and the model's deeper blocks), and the
//     weak side's gradient equals the closed form of −mean cos written out in plain JS;
//   - the interpolant and the loss at t = 0 and t = 1 against plain-JS arithmetic;
//   - the samplers (Euler, Heun ODE, Euler–Maruyama SDE, 0 → 1) on Gaussian data with the exact velocity
//     field of the linear interpolant (closed form) reproduce the data's mean and std;
//   - classifier-free guidance against two separate passes; label dropout statistics; the default pair.
import t from 'tap';
import * as td from '../lib/index';
import * as LS from '../lib/models/layerSync';
import { arr, close, throwsKind, uniform } from './helpers/check';

const f32 = (v: number[], shape: number[]) => td.tensor(Float32Array.from(v), { shape });
const f64 = (v: number[], shape: number[]) => td.tensor(Float64Array.from(v), { shape, dtype: 'float64' });
const labels = (v: number[]) => td.tensor(Int32Array.from(v), { shape: [v.length], dtype: 'int32' });
const SMALL: LS.SiTConfig = { inputSize: 8, patchSize: 2, hiddenSize: 32, depth: 6, numHeads: 4, numClasses: 10, seed: 3 };

/** Plain-JS mean over tokens of cos(a_bt, b_bt) for [B, T, D] row-major arrays. */
function jsMeanCos(a: ArrayLike<number>, b: ArrayLike<number>, D: number): number {
  const n = a.length / D;
  let s = 0;
  for (let r = 0; r < n; r++) {
    let ab = 0, aa = 0, bb = 0;
    for (let d = 0; d < D; d++) {
      const x = a[r * D + d], y = b[r * D + d];
      ab += x * y; aa += x * x; bb += y * y;
    }
    s += ab / Math.sqrt(aa * bb);
  }
  return s / n;
}

/** Give every adaLN modulation a random N(0, 0.3²) weight so that the blocks are no longer the identity. */
function perturb(m: LS.SiT, seed: number): void {
  let k = 0;
  for (const [name, p] of m.namedParameters())
    if (name.includes('adaLN_modulation') || name.startsWith('final_layer.linear')) td.nn.init.normal(p, 0, 0.3, { seed: seed + k++ });
}

t.test('default pair: ⌈2·depth/7⌉ → ⌈4·depth/7⌉ (the paper\'s 8 → 16 of 28)', async (tt) => {
  tt.same(LS.defaultLayerSyncPair(28), { weakBlock: 8, guideBlock: 16 }, 'depth 28: 8 → 16');
  tt.same(LS.defaultLayerSyncPair(6), { weakBlock: 2, guideBlock: 4 }, 'depth 6: 2 → 4');
  tt.same(LS.defaultLayerSyncPair(8), { weakBlock: 3, guideBlock: 5 }, 'depth 8: 3 → 5');
  tt.same(LS.defaultLayerSyncPair(12), { weakBlock: 4, guideBlock: 7 }, 'depth 12: 4 → 7');
  tt.same(LS.defaultLayerSyncPair(2), { weakBlock: 1, guideBlock: 2 }, 'depth 2: 1 → 2');
  tt.same(LS.resolveLayerSync({}, 6), { lambda: 0.2, weakBlock: 2, guideBlock: 4 }, 'λ defaults to 0.2');
  throwsKind(tt, () => LS.resolveLayerSync({ weakBlock: 4, guideBlock: 3 }, 6), RangeError, 'guide before weak');
  throwsKind(tt, () => LS.resolveLayerSync({ guideBlock: 7 }, 6), RangeError, 'guide past the last block');
  throwsKind(tt, () => LS.resolveLayerSync({ lambda: -1 }, 6), RangeError, 'negative λ');
  throwsKind(tt, () => LS.resolveLayerSync({ weakBlock: 1.5 }, 6), TypeError, 'fractional block');
  throwsKind(tt, () => LS.defaultLayerSyncPair(1), RangeError, 'depth 1 has no pair');
});

t.test('L_reg = −1 exactly at initialisation: adaLN-Zero makes every block the identity', async (tt) => {
  for (const dtype of ['float32', 'float64'] as const) {
    const m = new LS.SiT({ ...SMALL, dtype });
    const B = 3, x = td.randn([B, 1, 8, 8], { seed: 1, dtype }), tv = td.tensor([0, 0.4, 1], { dtype }), y = labels([1, 5, 9]);
    td.tidy(() => {
      const out = m.forwardWithBlocks(x, tv, y);
      const h0 = arr(td.add(m.x_embedder.forward(x), m.pos_embed)); // the embedded tokens
      out.blocks.forEach((b, i) => tt.same(arr(b), h0, `${dtype}: block ${i + 1} output = its input (identity)`));
      tt.ok(arr(out.velocity).every((v) => v === 0), `${dtype}: the zero-initialised final layer outputs v = 0`);
      const reg = LS.layerSyncFromBlocks(out.blocks, LS.defaultLayerSyncPair(6)).item();
      const tol = dtype === 'float32' ? 1e-6 : 1e-12;
      tt.ok(Math.abs(reg + 1) <= tol, `${dtype}: L_reg = ${reg} (−1 within ${tol})`);
      const r = LS.flowMatchingLoss(m, x, y, { seed: 2 });
      tt.ok(Math.abs(r.reg!.item() + 1) <= tol, `${dtype}: the loss's L_reg = −1 too`);
    });
    td.dispose([x, tv, y]);
    m.dispose();
  }
});

t.test('layerSyncLoss against plain JS; its gradient reaches the weak side only, in closed form', async (tt) => {
  const B = 2, T = 3, D = 5;
  const zv = uniform(11, B * T * D), gv = uniform(12, B * T * D);
  const z = f64(zv, [B, T, D]).requiresGrad_(), g = f64(gv, [B, T, D]).requiresGrad_();
  const L = td.tidy(() => {
    const l = LS.layerSyncLoss(z, g);
    l.backward();
    return l.item();
  });
  tt.ok(Math.abs(L + jsMeanCos(zv, gv, D)) < 1e-12, `L_reg = −mean cos (${L})`);
  tt.ok(g.grad === null || arr(g.grad).every((v) => v === 0), 'no gradient reaches the guide');
  // d/dz of −(1/BT) Σ ⟨ẑ, ĝ⟩ = −(1/BT) (ĝ − ⟨ẑ, ĝ⟩ ẑ)/‖z‖ per token
  const want: number[] = [];
  for (let r = 0; r < B * T; r++) {
    const zr = zv.slice(r * D, (r + 1) * D), gr = gv.slice(r * D, (r + 1) * D);
    const nz = Math.hypot(...zr), ng = Math.hypot(...gr);
    const c = zr.reduce((s, v, i) => s + (v / nz) * (gr[i] / ng), 0);
    for (let d = 0; d < D; d++) want.push(-(gr[d] / ng - c * (zr[d] / nz)) / nz / (B * T));
  }
  close(tt, arr(z.grad!), want, 1e-9, 1e-12, 'the weak side gets the closed-form gradient');
  tt.ok(td.gradcheck((a) => LS.layerSyncLoss(a, g.detach()), [f64(zv, [B, T, D]).requiresGrad_()]), 'gradcheck in z');
  // identical inputs: −1; opposite: +1
  tt.ok(Math.abs(td.tidy(() => LS.layerSyncLoss(g.detach(), g.detach()).item()) + 1) < 1e-12, 'z = g gives −1');
  tt.ok(Math.abs(td.tidy(() => LS.layerSyncLoss(td.neg(g.detach()), g.detach()).item()) - 1) < 1e-12, 'z = −g gives +1');
  throwsKind(tt, () => LS.layerSyncLoss(z, f64([1, 2], [1, 1, 2])), RangeError, 'shape mismatch');
  throwsKind(tt, () => LS.layerSyncLoss(f64([1, 2], [2]), f64([1, 2], [2])), RangeError, 'not [B, T, D]');
  throwsKind(tt, () => LS.layerSyncLoss(z, td.tensor(Int32Array.from(new Array(B * T * D).fill(1)), { shape: [B, T, D], dtype: 'int32' })), TypeError, 'int32 guide');
  td.dispose([z, g]);
});

t.test('in the model, L_reg trains the blocks up to the weak one and nothing deeper', async (tt) => {
  const m = new LS.SiT({ ...SMALL, dtype: 'float64' });
  perturb(m, 100);
  const x = td.randn([4, 1, 8, 8], { seed: 5, dtype: 'float64' }), y = labels([0, 1, 2, 3]);
  const tv = td.tensor([0.1, 0.3, 0.6, 0.9], { dtype: 'float64' });
  m.eval();
  td.tidy(() => {
    const out = m.forwardWithBlocks(x, tv, y);
    const reg = LS.layerSyncFromBlocks(out.blocks, { weakBlock: 2, guideBlock: 4 });
    tt.ok(reg.item() > -0.999, `the perturbed blocks are not aligned (L_reg ${reg.item().toFixed(4)})`);
    reg.backward();
  });
  const nonzero = (prefix: string) => m.namedParameters().filter(([n]) => n.startsWith(prefix)).some(([, p]) => p.grad !== null && arr(p.grad).some((v) => v !== 0));
  for (const b of [0, 1]) tt.ok(nonzero(`blocks.${b}.`), `block ${b + 1} (≤ weak) gets a gradient from L_reg`);
  for (const b of [2, 3, 4, 5]) tt.notOk(nonzero(`blocks.${b}.`), `block ${b + 1} (after the weak block, guide included) gets none`);
  tt.notOk(nonzero('final_layer.'), 'the final layer gets none');
  tt.ok(nonzero('x_embedder.') && nonzero('t_embedder.') && nonzero('y_embedder.'), 'the embedders feed z and get a gradient');
  td.dispose([x, y, tv]);
  m.dispose();
});

t.test('layerAlignment: each block\'s mean cosine to the guide, against plain JS', async (tt) => {
  const m = new LS.SiT(SMALL);
  perturb(m, 200);
  m.eval();
  const x = td.randn([2, 1, 8, 8], { seed: 6 }), y = labels([3, 4]), tv = td.tensor([0.2, 0.7]);
  td.noGrad(() =>
    td.tidy(() => {
      const out = m.forwardWithBlocks(x, tv, y);
      const got = LS.layerAlignment(out.blocks, 4);
      const g = out.blocks[3].dataSync();
      const want = out.blocks.map((b) => jsMeanCos(b.dataSync(), g, 32));
      close(tt, got, want, 1e-5, 1e-5, 'alignment per block');
      tt.ok(Math.abs(got[3] - 1) < 1e-5, 'the guide aligns with itself');
      throwsKind(tt, () => LS.layerAlignment(out.blocks, 7), RangeError, 'guide out of range');
    }),
  );
  td.dispose([x, y, tv]);
  m.dispose();
});

t.test('flow-matching target: x_t = x₀ at t = 0, x₁ at t = 1, u = x₁ − x₀; the loss against plain JS', async (tt) => {
  const B = 2, n = 1 * 8 * 8;
  const x0v = uniform(21, B * n, -2, 2), x1v = uniform(22, B * n);
  const x0 = f32(x0v, [B, 1, 8, 8]), x1 = f32(x1v, [B, 1, 8, 8]);
  td.tidy(() => {
    const { xt, ut } = LS.interpolant(x0, x1, td.tensor([0, 1]));
    const xa = arr(xt), ua = arr(ut);
    close(tt, xa.slice(0, n), x0v.slice(0, n), 0, 1e-7, 't = 0: x_t = x₀ (noise)');
    close(tt, xa.slice(n), x1v.slice(n), 0, 1e-7, 't = 1: x_t = x₁ (data)');
    close(tt, ua, x1v.map((v, i) => v - x0v[i]), 1e-6, 1e-6, 'u = x₁ − x₀ at both ends');
    const mid = arr(LS.interpolant(x0, x1, td.tensor([0.25, 0.25])).xt);
    close(tt, mid, x1v.map((v, i) => 0.25 * v + 0.75 * x0v[i]), 1e-6, 1e-6, 't = 0.25: x_t = t x₁ + (1 − t) x₀');
  });
  const m = new LS.SiT(SMALL);
  const y = labels([2, 7]);
  // fresh model: v = 0, so L_FM = mean (x₁ − x₀)² whatever t
  const fresh = td.tidy(() => LS.flowMatchingLoss(m, x1, y, { seed: 1, t: [0, 1], noise: x0, layerSync: { lambda: 0.2 } }));
  const mse0 = x1v.reduce((s, v, i) => s + (v - x0v[i]) ** 2, 0) / (B * n);
  tt.ok(Math.abs(fresh.fm.item() - mse0) < 1e-5 * mse0, `fresh model: L_FM = mean (x₁ − x₀)² (${fresh.fm.item()} vs ${mse0})`);
  tt.ok(Math.abs(fresh.loss.item() - (mse0 - 0.2)) < 1e-5 * mse0 + 1e-6, 'L = L_FM + 0.2·(−1)');
  td.dispose([fresh.loss, fresh.fm, fresh.reg!]);
  // perturbed model: L_FM = mean (v(x_t) − u)² with x_t built here (x₀ for sample 0 at t = 0, x₁ for sample 1 at t = 1)
  perturb(m, 300);
  m.eval();
  const got = td.tidy(() => LS.flowMatchingLoss(m, x1, y, { seed: 1, t: [0, 1], noise: x0, layerSync: { lambda: 0 } }).fm.item());
  const xtJs = f32([...x0v.slice(0, n), ...x1v.slice(n)], [B, 1, 8, 8]);
  const v = td.noGrad(() => td.tidy(() => arr(m.forward(xtJs, td.tensor([0, 1]), y))));
  const want = v.reduce((s, vi, i) => s + (vi - (x1v[i] - x0v[i])) ** 2, 0) / (B * n);
  tt.ok(Math.abs(got - want) < 1e-5 * want, `perturbed model: L_FM at t ∈ {0, 1} matches (${got} vs ${want})`);
  throwsKind(tt, () => LS.flowMatchingLoss(m, x1, y, { seed: 1, t: [0, 1.5] }), RangeError, 't outside [0, 1]');
  throwsKind(tt, () => LS.flowMatchingLoss(m, x1, y, {} as LS.FlowLossOptions), TypeError, 'no seed');
  throwsKind(tt, () => LS.interpolant(x0, f32([1], [1]), td.tensor([0, 1])), RangeError, 'interpolant shape mismatch');
  td.dispose([x0, x1, y, xtJs]);
  m.dispose();
});

/** The exact velocity of x_t = t x₁ + (1 − t) x₀ for x₁ ~ N(μ, σ²), x₀ ~ N(0, 1), per element. */
function gaussVelocity(mu: number, sigma: number): LS.VelocityField {
  return (x, tt) => {
    const s2 = tt * tt * sigma * sigma + (1 - tt) * (1 - tt);
    const k = (tt * sigma * sigma - (1 - tt)) / s2;
    return td.add(td.mul(td.sub(x, tt * mu), k), mu); // μ + k (x − tμ)
  };
}

t.test('samplers go from noise (t = 0) to data (t = 1): exact Gaussian velocity field', async (tt) => {
  const mu = 1.5, sigma = 0.5, n = 4000;
  const cases: [LS.SiTSampler, number, number][] = [['euler', 100, 0.03], ['heun', 20, 0.02], ['sde', 200, 0.04]];
  for (const [method, steps, tol] of cases) {
    const x = LS.sample(gaussVelocity(mu, sigma), { n, shape: [1, 2, 2], method, steps, seed: 7 });
    tt.same(x.shape, [n, 1, 2, 2], `${method}: shape`);
    const v = arr(x);
    const m = v.reduce((s, a) => s + a, 0) / v.length;
    const sd = Math.sqrt(v.reduce((s, a) => s + (a - m) ** 2, 0) / v.length);
    tt.ok(Math.abs(m - mu) < tol, `${method} ${steps} steps: mean ${m.toFixed(4)} ≈ ${mu}`);
    tt.ok(Math.abs(sd - sigma) < 2 * tol, `${method} ${steps} steps: std ${sd.toFixed(4)} ≈ ${sigma}`);
    const again = LS.sample(gaussVelocity(mu, sigma), { n, shape: [1, 2, 2], method, steps, seed: 7 });
    tt.same(arr(again), v, `${method}: deterministic given the seed`);
    td.dispose([x, again]);
  }
  // the SDE's noise matters: with few steps it differs from the ODE with the same start
  const a = LS.sample(gaussVelocity(mu, sigma), { n: 8, shape: [1, 2, 2], method: 'sde', steps: 5, seed: 1 });
  const b = LS.sample(gaussVelocity(mu, sigma), { n: 8, shape: [1, 2, 2], method: 'euler', steps: 5, seed: 1 });
  tt.notSame(arr(a), arr(b), 'SDE and ODE paths differ');
  td.dispose([a, b]);
  throwsKind(tt, () => LS.sample(gaussVelocity(0, 1), { n: 2, method: 'heun', steps: 2, seed: 1 }), RangeError, 'a velocity function needs shape');
  throwsKind(tt, () => LS.sample(gaussVelocity(0, 1), { n: 2, shape: [1], method: 'sde', steps: 1, seed: 1 }), RangeError, 'sde needs ≥ 2 steps');
  throwsKind(tt, () => LS.sample(gaussVelocity(0, 1), { n: 2, shape: [1], method: 'rk4' as LS.SiTSampler, seed: 1 }), TypeError, 'unknown method');
});

t.test('classifier-free guidance = v(∅) + s·(v(y) − v(∅)) from two separate passes; sampling a SiT', async (tt) => {
  const m = new LS.SiT(SMALL);
  perturb(m, 400);
  m.eval();
  const B = 3, x = td.randn([B, 1, 8, 8], { seed: 8 }), tv = td.tensor([0.1, 0.5, 0.9]), y = labels([0, 4, 9]);
  td.noGrad(() =>
    td.tidy(() => {
      const cond = arr(m.forward(x, tv, y, { forceDrop: [false, false, false] }));
      const unc = arr(m.forward(x, tv, y, { forceDrop: [true, true, true] }));
      tt.notSame(cond, unc, 'the label matters');
      for (const s of [1, 4]) {
        const got = arr(m.forwardWithCfg(x, tv, y, s));
        close(tt, got, cond.map((c, i) => unc[i] + s * (c - unc[i])), 1e-4, 1e-5, `cfg scale ${s}`);
      }
    }),
  );
  for (const method of ['euler', 'heun', 'sde'] as const) {
    const s = LS.sample(m, { n: 4, method, steps: 3, cfgScale: 2, seed: 3 });
    tt.same(s.shape, [4, 1, 8, 8], `${method}: samples [n, C, H, W]`);
    tt.ok(arr(s).every(Number.isFinite), `${method}: finite`);
    s.dispose();
  }
  throwsKind(tt, () => LS.sample(m, { labels: [10], seed: 1 }), RangeError, 'label out of range');
  throwsKind(tt, () => m.forwardWithCfg(x, tv, y, NaN), TypeError, 'NaN cfg scale');
  td.dispose([x, tv, y]);
  m.dispose();
});

t.test('label dropout: p = 0.1 in training mode, seeded; none in eval mode', async (tt) => {
  const m = new LS.SiT(SMALL);
  const N = 4000;
  const y = labels(Array.from({ length: N }, (_, i) => i % 10));
  const a = arr(m.y_embedder.dropLabels(y, { dropSeed: 11 }));
  const frac = a.filter((v) => v === 10).length / N;
  const se = Math.sqrt(0.1 * 0.9 / N);
  tt.ok(Math.abs(frac - 0.1) < 4 * se, `dropped share ${frac} ≈ 0.1`);
  tt.ok(a.every((v, i) => v === 10 || v === i % 10), 'kept labels are unchanged');
  tt.same(arr(m.y_embedder.dropLabels(y, { dropSeed: 11 })), a, 'same seed, same drops');
  m.eval();
  tt.same(arr(m.y_embedder.dropLabels(y, { dropSeed: 11 })), arr(y), 'eval mode keeps every label');
  const noCfg = new LS.SiT({ ...SMALL, classDropoutProb: 0 });
  tt.equal(noCfg.y_embedder.embedding_table.numEmbeddings, 10, 'no null row without dropout');
  throwsKind(tt, () => noCfg.forwardWithCfg(td.zeros([1, 1, 8, 8]), td.zeros([1]), labels([0]), 3), RangeError, 'CFG needs the null label');
  y.dispose();
  noCfg.dispose();
  m.dispose();
});

t.test('SiT argument validation', async (tt) => {
  throwsKind(tt, () => new LS.SiT({ inputSize: 10, patchSize: 4 }), RangeError, 'size not divisible by the patch');
  throwsKind(tt, () => new LS.SiT({ hiddenSize: 30 }), RangeError, 'width not divisible by 4');
  throwsKind(tt, () => new LS.SiT({ hiddenSize: 36, numHeads: 8 }), RangeError, 'width not divisible by the heads');
  throwsKind(tt, () => new LS.SiT({ depth: 0 }), RangeError, 'depth 0');
  throwsKind(tt, () => new LS.SiT({ classDropoutProb: 1 }), RangeError, 'dropout 1');
  throwsKind(tt, () => new LS.SiT({ dtype: 'int32' as 'float32' }), TypeError, 'int32 parameters');
  const m = new LS.SiT(SMALL);
  const x = td.zeros([2, 1, 8, 8]), tv = td.zeros([2]);
  throwsKind(tt, () => m.forward(td.zeros([2, 1, 16, 16]), tv, labels([0, 1])), RangeError, 'wrong image size');
  throwsKind(tt, () => m.forward(x, td.zeros([3]), labels([0, 1])), RangeError, 't of the wrong length');
  throwsKind(tt, () => m.forward(x, tv, td.zeros([2])), TypeError, 'float labels');
  throwsKind(tt, () => m.forward(x, tv, labels([0, 11])), RangeError, 'label past the null label');
  throwsKind(tt, () => m.forward(x, tv, labels([0, 1]), { forceDrop: [true] }), TypeError, 'forceDrop of the wrong length');
  td.dispose([x, tv]);
  m.dispose();
});
