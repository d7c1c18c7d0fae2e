// models-ul-train.test.ts — Unified Latents training paths (lib/models/ul): a seeded short stage-1
// run lowers both the prior loss and the decoder loss on a fixed held-out batch without leaking
// tensors; stage 2 (a base model on the frozen encoder's latents) trains, samples z₀ and decodes to
// images (shapes, finiteness, [−1, 1], seed determinism, a PNG grid); checkpoint save → load → the
// same outputs and a resumed run reproducing the next steps; the VAE baseline and its LDM train.
import t from 'tap';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as td from '../lib/index';
import * as U from '../lib/models/ul';

td.setNumThreads(1);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'td-ul-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

const tiny = (o: U.ULConfig = {}): U.ULConfig => ({ encoderBase: 8, priorWidth: 16, priorDepth: 1, decoderBase: 8, groups: 4, seed: 1, ...o });
const allFinite = (x: td.Tensor) => Array.from(x.dataSync()).every(Number.isFinite);
const data = td.data.mnist({ size: 16, limit: 512 }).images;
const held = td.data.mnist({ size: 16, split: 'test', limit: 32 }).images;

/** Prior and decoder losses on the held-out batch, averaged over 4 fixed seeds. */
function heldOut(m: U.ULModel): { prior: number; decoder: number } {
  let p = 0, d = 0;
  for (let s = 0; s < 4; s++) {
    td.noGrad(() => td.tidy(() => {
      const zc = m.encode(held);
      p += U.priorLoss(m, zc, { seed: 100 + s }).loss.item();
      d += U.decoderLoss(m, held, m.noisyLatent(zc, 200 + s), { seed: 300 + s }).loss.item();
    }));
  }
  return { prior: p / 4, decoder: d / 4 };
}

t.test('stage 1: a short seeded run lowers both losses and does not leak', async (tt) => {
  const m = new U.ULModel(tiny());
  const tr = new U.ULTrainer(m, data, { seed: 2, batchSize: 16 });
  const before = heldOut(m);
  tr.train(5);
  const live = td.memory().tensors;
  const logs: number[] = [];
  tr.train(35, { logEvery: 20, onLog: (s) => logs.push(s) });
  tt.equal(td.memory().tensors, live, 'live tensor count flat over 35 training steps');
  tt.same(logs, [20, 40], 'onLog called at steps 20 and 40');
  const after = heldOut(m);
  tt.ok(after.prior < 0.7 * before.prior, `held-out prior loss ${before.prior.toFixed(1)} → ${after.prior.toFixed(1)} nats (−30% or more)`);
  tt.ok(after.decoder < 0.7 * before.decoder, `held-out decoder loss ${before.decoder.toFixed(1)} → ${after.decoder.toFixed(1)} (−30% or more)`);
  // checkpoint: save → load gives the same nets; a resumed trainer reproduces the next steps
  const ck = path.join(tmp, 'ul.safetensors');
  const e40 = td.noGrad(() => m.encode(held));
  const d40 = td.noGrad(() => td.tidy(() => U.decoderLoss(m, held, m.noisyLatent(e40, 1), { seed: 2 }).loss.item()));
  U.saveCheckpoint(tr, ck);
  const next = tr.train(2).map((r) => r.loss);
  const re = U.resumeTrainer(ck, data);
  tt.equal(re.step, 40, 'resumed at step 40');
  const again = re.train(2).map((r) => r.loss);
  tt.same(again, next, `resumed run reproduces the next two losses (${next.map((v) => v.toFixed(4)).join(', ')})`);
  const loaded = U.loadModel(ck);
  const el = td.noGrad(() => loaded.encode(held));
  tt.same(Array.from(el.dataSync()), Array.from(e40.dataSync()), 'loadModel: the same encoder outputs as at save time');
  const dl = td.noGrad(() => td.tidy(() => U.decoderLoss(loaded, held, loaded.noisyLatent(el, 1), { seed: 2 }).loss.item()));
  tt.equal(dl, d40, 'loadModel: the same decoder loss as at save time');
  td.dispose([e40, el]);
  loaded.dispose();
  re.dispose();
  re.model.dispose();
  tr.dispose();
  m.dispose();
});

t.test('stage 2: base model on frozen latents, two-stage sampling, PNG grid', async (tt) => {
  const m = new U.ULModel(tiny({ seed: 4 }));
  const tr = new U.ULTrainer(m, data, { seed: 3, batchSize: 16 });
  tr.train(10);
  const zc = td.noGrad(() => m.encode(data)); // frozen encoder: latents computed once
  const base = new U.LatentDiffusion({ net: { width: 16, depth: 2, groups: 4, seed: 5 }, lambdaMin: m.config.priorLambdaMin, lambdaMax: 5, output: 'noisy' });
  const bt = new U.LatentTrainer(base, zc, { seed: 6, batchSize: 32, lr: 3e-3 });
  const l0 = td.noGrad(() => td.tidy(() => [0, 1, 2].reduce((s, k) => s + base.loss(td.narrow(zc, 0, 0, 128), { seed: 50 + k }).loss.item(), 0)));
  bt.train(40);
  const l1 = td.noGrad(() => td.tidy(() => [0, 1, 2].reduce((s, k) => s + base.loss(td.narrow(zc, 0, 0, 128), { seed: 50 + k }).loss.item(), 0)));
  tt.ok(l1 < l0, `base-model loss on 128 latents ${(l0 / 3).toFixed(2)} → ${(l1 / 3).toFixed(2)}`);
  const s1 = U.sample(m, base, { n: 6, baseSteps: 8, decoderSteps: 8, seed: 9 });
  const s2 = U.sample(m, base, { n: 6, baseSteps: 8, decoderSteps: 8, seed: 9 });
  tt.same(s1.z0.shape, [6, 4, 4, 4], 'z₀ [6, 4, 4, 4]');
  tt.same(s1.x.shape, [6, 1, 16, 16], 'images [6, 1, 16, 16]');
  tt.ok(allFinite(s1.x) && allFinite(s1.z0), 'finite');
  tt.ok(Array.from(s1.x.dataSync()).every((v) => v >= -1 && v <= 1), 'images in [−1, 1] (x̂ clipped)');
  tt.same(Array.from(s2.x.dataSync()), Array.from(s1.x.dataSync()), 'same seed, same images');
  const png = path.join(tmp, 'samples.png');
  td.viz.imageGrid(s1.x, png, { nrow: 3 });
  tt.ok(fs.statSync(png).size > 50, 'sample grid PNG written');
  const rec = U.reconstruct(m, td.narrow(held, 0, 0, 4), { steps: 6, seed: 1 });
  tt.same(rec.shape, [4, 1, 16, 16], 'reconstruction shape');
  tt.ok(Number.isFinite(td.metrics.psnr(rec, td.narrow(held, 0, 0, 4))), 'reconstruction PSNR finite');
  // the latent model round-trips through its checkpoint
  const lp = path.join(tmp, 'base.safetensors');
  U.saveLatentModel(base, lp);
  const base2 = U.loadLatentModel(lp);
  const za = base.sample({ n: 3, steps: 5, seed: 2 }), zb = base2.sample({ n: 3, steps: 5, seed: 2 });
  tt.same(Array.from(zb.dataSync()), Array.from(za.dataSync()), 'saved and loaded base model sample identically');
  td.dispose([zc, s1.x, s1.z0, s2.x, s2.z0, rec, za, zb]);
  base2.dispose();
  bt.dispose();
  base.dispose();
  tr.dispose();
  m.dispose();
});

t.test('VAE baseline: training lowers the loss; posterior sampler; LDM samples decode', async (tt) => {
  const v = new U.VAEModel({ encoderBase: 8, decoderBase: 8, beta: 1, seed: 7 });
  const tr = new U.VAETrainer(v, data, { seed: 1, batchSize: 16 });
  const ev = () => td.noGrad(() => td.tidy(() => U.vaeLoss(v, held, { seed: 5 }).loss.item()));
  const e0 = ev();
  tr.train(1); // the first step allocates Adam's state
  const live0 = td.memory().tensors;
  tr.train(39);
  tt.equal(td.memory().tensors, live0, 'live tensor count flat over 40 VAE steps');
  const e1 = ev();
  tt.ok(e1 < 0.7 * e0, `held-out VAE loss ${e0.toFixed(1)} → ${e1.toFixed(1)}`);
  const ps = U.posteriorSampler(v, data);
  const z = ps.sample(8, 3n);
  tt.same(z.shape, [8, 4, 4, 4], 'posterior samples [8, 4, 4, 4]');
  const ldm = new U.LatentDiffusion({ net: { width: 16, depth: 1, groups: 4, seed: 2 } });
  const lt = new U.LatentTrainer(ldm, ps.sample, { seed: 2, batchSize: 16 });
  lt.train(5);
  const zs = ldm.sample({ n: 4, steps: 6, seed: 1 });
  const xs = td.noGrad(() => v.decode(zs));
  tt.same(xs.shape, [4, 1, 16, 16], 'LDM samples decode to [4, 1, 16, 16]');
  tt.ok(allFinite(xs), 'finite');
  const r = v.reconstruct(held);
  tt.same(r.shape, held.shape, 'deterministic reconstruction shape');
  td.dispose([z, zs, xs, r]);
  ps.dispose();
  lt.dispose();
  ldm.dispose();
  tr.dispose();
  v.dispose();
});
