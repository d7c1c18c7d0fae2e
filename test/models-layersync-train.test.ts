// models-layersync-train.test.ts — the LayerSync trainer (lib/models/layerSync/train.ts) and its
// checkpoints on a tiny SiT and synthetic labelled images: seeded determinism; λ = 0 and λ = 0.2 runs
// see the same batches and noise (equal first-step L_FM); λ > 0 raises the weak block's alignment to
// the guide over a short run relative to λ = 0; a short run lowers a held-out loss; save → resume
// continues the uninterrupted trajectory exactly; loadModel gives the EMA weights; no tensor leaks
// per step; argument errors.
import t from 'tap';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as td from '../lib/index';
import * as LS from '../lib/models/layerSync';
import { arr, throwsKind } from './helpers/check';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'td-layersync-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

const TINY: LS.SiTConfig = { inputSize: 8, patchSize: 2, hiddenSize: 32, depth: 4, numHeads: 2, numClasses: 4, seed: 1 };

/** Synthetic labelled 8×8 images: class k is a bright k-th quadrant on a dark background, plus noise. */
function toyData(n: number, seed: number): LS.LabeledData {
  const img = new Float32Array(n * 64), lab = new Int32Array(n);
  const noise = td.randn([n * 64], { seed }).dataSync();
  for (let i = 0; i < n; i++) {
    const k = i % 4;
    lab[i] = k;
    for (let r = 0; r < 8; r++)
      for (let c = 0; c < 8; c++) {
        const q = (r < 4 ? 0 : 2) + (c < 4 ? 0 : 1);
        img[i * 64 + r * 8 + c] = (q === k ? 0.8 : -0.8) + 0.05 * noise[i * 64 + r * 8 + c];
      }
  }
  return { images: td.tensor(img, { shape: [n, 1, 8, 8] }), labels: td.tensor(lab, { shape: [n], dtype: 'int32' }) };
}

const data = toyData(256, 1);
const held = toyData(64, 2);
t.teardown(() => td.dispose([data.images, data.labels, held.images, held.labels]));

/** Every tensor of a equals the one of b element by element. */
function sameAll(a: readonly td.Tensor[], b: readonly td.Tensor[]): boolean {
  return a.length === b.length && a.every((p, i) => {
    const x = arr(p), y = arr(b[i]);
    return x.length === y.length && x.every((v, j) => v === y[j]);
  });
}

/** Held-out L_FM with fixed noise and times (eval mode, no gradients). */
function heldOut(m: LS.SiT): number {
  m.eval();
  const r = td.noGrad(() => td.tidy(() => LS.flowMatchingLoss(m, held.images, held.labels, { seed: 99, layerSync: { lambda: 0 } }).fm.item()));
  m.train();
  return r;
}

/** Mean cosine of the weak block (2) to the guide (3) on the held-out batch at t = 0.5. */
function weakAlignment(m: LS.SiT): number {
  m.eval();
  const a = td.noGrad(() =>
    td.tidy(() => {
      const tt = td.full([64], 0.5);
      const { xt } = LS.interpolant(td.randn([64, 1, 8, 8], { seed: 5 }), held.images, tt);
      return LS.layerAlignment(m.forwardWithBlocks(xt, tt, held.labels).blocks, 3)[1];
    }),
  );
  m.train();
  return a;
}

t.test('seeded determinism; λ = 0 and λ = 0.2 see the same batches and noise', async (tt) => {
  const run = (lambda: number, steps: number) => {
    const m = new LS.SiT(TINY);
    const tr = new LS.LayerSyncTrainer(m, data, { lambda, batchSize: 16, lr: 1e-3, seed: 4 });
    const l = tr.train(steps);
    tr.dispose();
    return { l, m };
  };
  const a = run(0.2, 3), b = run(0.2, 3), c = run(0, 3);
  tt.same(a.l, b.l, 'same seed, same losses');
  tt.same(arr(a.m.parameters()[5]), arr(b.m.parameters()[5]), 'same seed, same weights');
  tt.equal(c.l[0].fm, a.l[0].fm, 'step 0: the same L_FM whatever λ (same batch, noise, times, drops)');
  tt.ok(Math.abs(a.l[0].reg + 1) < 1e-6 && Math.abs(c.l[0].reg + 1) < 1e-6, 'step 0: L_reg = −1 (fresh model) in both runs');
  tt.ok(Math.abs(a.l[0].loss - (a.l[0].fm - 0.2)) < 1e-6, 'λ = 0.2: L = L_FM + 0.2 L_reg');
  tt.equal(c.l[0].loss, c.l[0].fm, 'λ = 0: L = L_FM (L_reg only logged)');
  tt.not(c.l[2].fm, a.l[2].fm, 'the runs diverge once λ has acted');
  for (const r of [a, b, c]) r.m.dispose();
});

t.test('a short run lowers the held-out loss; λ = 0.2 keeps the weak block closer to the guide than λ = 0', async (tt) => {
  const res: Record<string, { before: number; after: number; align: number }> = {};
  for (const lambda of [0, 0.2]) {
    const m = new LS.SiT(TINY);
    const before = heldOut(m);
    const tr = new LS.LayerSyncTrainer(m, data, { lambda, batchSize: 32, lr: 2e-3, seed: 2 });
    const n0 = td.memory().tensors;
    tr.trainStep();
    const n1 = td.memory().tensors;
    tr.train(59);
    tt.equal(td.memory().tensors, n1, `λ ${lambda}: no tensors leak per step (${n0} → ${n1} after the first step creates the optimizer state)`);
    res[lambda] = { before, after: heldOut(m), align: weakAlignment(m) };
    tr.dispose();
    m.dispose();
  }
  for (const lambda of [0, 0.2]) tt.ok(res[lambda].after < 0.7 * res[lambda].before, `λ ${lambda}: held-out L_FM ${res[lambda].before.toFixed(3)} → ${res[lambda].after.toFixed(3)}`);
  tt.ok(res[0.2].align > res[0].align, `weak-block alignment to the guide: λ 0.2 ${res[0.2].align.toFixed(4)} > λ 0 ${res[0].align.toFixed(4)}`);
});

t.test('checkpoint: resume continues the same trajectory; loadModel gives the EMA weights', async (tt) => {
  const cfg = { lambda: 0.2, batchSize: 8, lr: 1e-3, seed: 6, emaDecay: 0.9 };
  const ref = new LS.SiT(TINY);
  const trRef = new LS.LayerSyncTrainer(ref, data, cfg);
  const lRef = trRef.train(6);
  const m = new LS.SiT(TINY);
  const tr = new LS.LayerSyncTrainer(m, data, cfg);
  tr.train(3);
  const file = path.join(tmp, 'ls.safetensors');
  LS.saveCheckpoint(tr, file);
  const resumed = LS.resumeTrainer(file, data);
  tt.equal(resumed.step, 3, 'resumed at step 3');
  tt.same(resumed.config, tr.config, 'the train config (λ and the pair) comes back');
  const lRes = resumed.train(3);
  tt.same(lRes, lRef.slice(3), 'steps 4–6 after resuming equal the uninterrupted run');
  const names = ref.namedParameters().map(([n]) => n);
  const pr = ref.parameters(), pq = resumed.model.parameters();
  tt.ok(sameAll(pr, pq), `identical weights after 6 steps (${names.length} parameters)`);
  // loadModel: EMA weights by default, training weights with ema: false
  LS.saveCheckpoint(resumed, file);
  const emaM = LS.loadModel(file), rawM = LS.loadModel(file, { ema: false });
  tt.notOk(emaM.training, 'loaded in eval mode');
  const sh = resumed.ema.shadow;
  tt.ok(sameAll(emaM.parameters(), sh), 'loadModel = the EMA shadows');
  tt.ok(sameAll(rawM.parameters(), pq), 'ema: false = the training weights');
  tt.same(arr(emaM.pos_embed), arr(ref.pos_embed), 'the fixed position embedding round-trips');
  fs.writeFileSync(path.join(tmp, 'bad.safetensors'), Buffer.from([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]));
  throwsKind(tt, () => LS.loadModel(path.join(tmp, 'bad.safetensors')), TypeError, 'not a LayerSync checkpoint');
  for (const x of [ref, m, resumed.model, emaM, rawM]) x.dispose();
  for (const x of [trRef, tr, resumed]) x.dispose();
});

t.test('trainer argument validation', async (tt) => {
  const m = new LS.SiT(TINY);
  throwsKind(tt, () => new LS.LayerSyncTrainer({} as LS.SiT, data), TypeError, 'not a SiT');
  throwsKind(tt, () => new LS.LayerSyncTrainer(m, { images: data.images, labels: data.images }), TypeError, 'float labels');
  throwsKind(tt, () => new LS.LayerSyncTrainer(m, { images: td.zeros([4, 1, 16, 16]), labels: data.labels }), RangeError, 'wrong image size');
  const bad = td.tensor(Int32Array.from([0, 1, 2, 7]), { shape: [4], dtype: 'int32' });
  throwsKind(tt, () => new LS.LayerSyncTrainer(m, { images: td.zeros([4, 1, 8, 8]), labels: bad }), RangeError, 'label ≥ numClasses');
  throwsKind(tt, () => new LS.LayerSyncTrainer(m, data, { lr: -1 }), RangeError, 'negative lr');
  throwsKind(tt, () => new LS.LayerSyncTrainer(m, data, { lambda: 0.2, weakBlock: 3, guideBlock: 2 }), RangeError, 'guide before weak');
  throwsKind(tt, () => new LS.LayerSyncTrainer(m, data, { batchSize: 0 }), RangeError, 'batch 0');
  throwsKind(tt, () => new LS.LayerSyncTrainer(m, data, { emaWarmup: 'x' as 'none' }), TypeError, 'bad warm-up');
  const tr = new LS.LayerSyncTrainer(m, data);
  tt.same({ lambda: tr.config.lambda, weakBlock: tr.config.weakBlock, guideBlock: tr.config.guideBlock }, { lambda: 0.2, weakBlock: 2, guideBlock: 3 }, 'defaults for depth 4: λ 0.2, block 2 → 3');
  throwsKind(tt, () => tr.train(-1), RangeError, 'negative steps');
  throwsKind(tt, () => LS.saveCheckpoint({} as LS.LayerSyncTrainer, 'x'), TypeError, 'saveCheckpoint of a non-trainer');
  tr.dispose();
  bad.dispose();
  m.dispose();
});
