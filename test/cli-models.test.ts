// cli-models.test.ts — `tensordiff train ul|disco|layersync` and `tensordiff sample` on their
// checkpoints, end to end (the compiled dist/lib/cli/main.js run with node, one thread, tiny nets, a
// few steps). Checked against things the command did not compute itself: the checkpoint loads with the
// model's own loadModel and its config carries the flags; the loss history in the metadata, decoded
// here in plain JS, reproduces the report's loss figures; each report obeys its model's loss identity
// (ul: L = L_prior + c·L_dec with the bound in nats = bits·ln 2; layersync: L = L_FM + λ·L_reg); PNG
// sizes follow imageGrid's documented layout; the top row of ul's reconstruction grid is the MNIST test
// digits byte for byte; a disco checkpoint without a prior samples with encoded data; a resumed run
// equals an uninterrupted one bit for bit; usage errors exit 2,
// missing/corrupt checkpoints exit 1 with one line, Ctrl-C exits 130 with a loadable checkpoint; every
// option of `help train` / `help sample` is documented in docs/cli.md.
import t, { Test } from 'tap';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PNG } from 'pngjs';
import * as td from '../lib/index';
import { BLUE, CLI, CLI_ENV, cli, ORANGE, pixels } from './helpers/cli';

td.setNumThreads(1);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'td-cli-models-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

const TINY: Record<string, string[]> = {
  ul: ['ul', '--width', '8', '--depth', '1', '--batch', '4', '--loss-factor', '3', '--bias', '1'],
  disco: ['disco', '--data', 'diamond', '--width', '16', '--depth', '1', '--batch', '32', '--latents', '1', '--codebook', '4', '--prior-steps', '5'],
  discoImage: ['disco', '--data', 'mnist16', '--width', '8', '--batch', '4', '--codebook', '4', '--prior-steps', '3'],
  layersync: ['layersync', '--width', '16', '--depth', '2', '--patch', '4', '--batch', '4', '--lambda', '0.5'],
};
const ckpt = (name: string) => path.join(tmp, name, 'checkpoint.safetensors');

/** The step losses stored in a checkpoint's metadata, decoded independently (float64 LE, base64). */
function storedLosses(file: string): { from: number; losses: number[] } {
  const md = td.io.readHeader(file).metadata ?? {};
  const b = Buffer.from(md.losses ?? '', 'base64');
  const losses: number[] = [];
  for (let i = 0; i + 8 <= b.length; i += 8) losses.push(b.readDoubleLE(i));
  return { from: Number(md.lossesFrom), losses };
}

const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;

/** Checks the report's loss figures against the checkpoint's stored losses (first/last 10%, ≤ 50 chunks). */
function checkLossFigures(t: Test, rep: Record<string, any>, file: string, steps: number): void {
  const h = storedLosses(file);
  t.equal(h.losses.length, steps, `${steps} losses stored`);
  t.equal(h.from, 0);
  t.equal(rep.lossSteps, steps);
  const tenth = Math.max(1, Math.floor(steps / 10));
  t.equal(rep.firstLoss, mean(h.losses.slice(0, tenth)));
  t.equal(rep.finalLoss, mean(h.losses.slice(-tenth)));
  t.same(rep.lossCurve, steps <= 50 ? h.losses : rep.lossCurve, 'one chunk per step for short runs');
  t.ok(h.losses.every(Number.isFinite));
}

/** Common fields of every train report. */
function checkReportBase(t: Test, rep: Record<string, any>, model: string, data: string, steps: number, batch: number): void {
  t.match(rep, { command: 'train', model, data, resumedFrom: null, startStep: 0, step: steps, stepsDone: steps, interrupted: false, batch, seed: 0, threads: 1 });
  for (const k of ['lr', 'parameters', 'trainSeconds', 'stepsPerSecond']) t.ok(Number.isFinite(rep[k]) && rep[k] >= 0, k);
  const png = PNG.sync.read(fs.readFileSync(rep.files.loss));
  t.ok(png.width > 100 && png.height > 100, 'loss.png decodes');
  t.ok(pixels(rep.files.loss).nonWhite > 300, 'the loss plot has lines');
  t.same(fs.readdirSync(path.dirname(rep.files.checkpoint)).sort(), ['checkpoint.safetensors', 'loss.png'], 'no temporary files left');
}

/** imageGrid's PNG size: (min(N, nrow)·(S + 2) + 2) × (⌈N / nrow⌉·(S + 2) + 2) for S×S images, padding 2. */
const gridSize = (n: number, nrow: number, s = 16) => [Math.min(n, nrow) * (s + 2) + 2, Math.ceil(n / nrow) * (s + 2) + 2];

t.test('train ul: checkpoint (ul.loadModel), loss.png, bitrate bound obeys L = L_prior + c·L_dec', async (t) => {
  const r = cli(['train', ...TINY.ul, '--steps', '4', '--out', path.join(tmp, 'ul'), '--json']);
  t.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  checkReportBase(t, rep, 'ul', 'mnist16', 4, 4);
  t.equal(rep.lr, 2e-3);
  t.equal(rep.lossFactor, 3);
  t.equal(rep.bias, 1);
  t.equal(rep.latentDim, 4 * 4 * 4, '16×16 → 4×4×4 latents');
  checkLossFigures(t, rep, ckpt('ul'), 4);
  // over the last step (the last 10% of 4 steps): total = prior + c·decoder, prior in nats = bits/image · ln 2
  const priorNats = rep.bitsPerImage * Math.LN2;
  t.ok(Math.abs(rep.finalLoss - (priorNats + 3 * rep.decoderLoss)) < 1e-4 * Math.abs(rep.finalLoss), `${rep.finalLoss} = ${priorNats} + 3·${rep.decoderLoss}`);
  t.ok(Math.abs(rep.bitsPerDim * 64 - rep.bitsPerImage) < 1e-9 * rep.bitsPerImage);
  t.ok(rep.bitsPerDim > 0);
  const md = td.io.readHeader(ckpt('ul')).metadata ?? {};
  t.equal(md.format, 'tensordiff-ul/1');
  t.equal(md.data, 'mnist16');
  t.equal(md.step, '4');
  const m = td.models.ul.loadModel(ckpt('ul'));
  t.match(m.config, { encoderBase: 8, decoderBase: 8, priorWidth: 16, priorDepth: 1, lossFactor: 3, bias: 1, seed: 0 });
  t.equal(rep.parameters, m.encoder.parameters().concat(m.prior.parameters(), m.decoder.parameters()).reduce((s, p) => s + p.numel, 0));
  m.dispose();
});

t.test('sample on a ul checkpoint without a base model: reconstructs test digits (top row = the digits)', async (t) => {
  const out = path.join(tmp, 'ul-rec.png');
  const r = cli(['sample', ckpt('ul'), '--n', '4', '--steps', '2', '--out', out, '--json']);
  t.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  t.match(rep, { command: 'sample', model: 'ul', mode: 'reconstruct', base: null, step: 4, n: 4, steps: 2, file: out });
  t.same(rep.shape, [4, 1, 16, 16]);
  t.ok(Number.isFinite(rep.psnr));
  const png = PNG.sync.read(fs.readFileSync(out));
  t.same([png.width, png.height], gridSize(8, 4), 'two rows of 4');
  // the top row holds the first 4 test digits, mapped v → ⌊255·(v + 1)/2 + 0.5⌋
  const test = td.data.mnist({ size: 16, split: 'test', limit: 4 });
  const x = test.images.dataSync();
  let bad = 0;
  for (let k = 0; k < 4; k++)
    for (let i = 0; i < 16; i++)
      for (let j = 0; j < 16; j++) {
        const v = Math.min(1, Math.max(0, (x[k * 256 + i * 16 + j] + 1) / 2));
        const px = png.data[4 * ((2 + i) * png.width + 2 + k * 18 + j)];
        if (px !== Math.floor(255 * v + 0.5)) bad++;
      }
  t.equal(bad, 0, 'top row = the test digits');
  td.dispose([test.images, test.labels]);
  const plain = cli(['sample', ckpt('ul'), '--n', '2', '--steps', '2', '--out', path.join(tmp, 'ul-rec2.png')]);
  t.equal(plain.code, 0, plain.stderr);
  t.match(plain.stdout, /no stage-2 base model .*reconstructed 2 test digits instead/);
});

t.test('sample on a ul checkpoint with --base (a stage-2 model written by ul.saveLatentModel): an image grid', async (t) => {
  const ul = td.models.ul;
  const m = ul.loadModel(ckpt('ul'));
  const base = new ul.LatentDiffusion({ net: { latentChannels: 4, latentSize: 4, width: 8, depth: 1, groups: 4, seed: 0 }, lambdaMin: -10, lambdaMax: ul.LAMBDA0, output: 'noisy' });
  const file = path.join(tmp, 'ul-base.safetensors');
  ul.saveLatentModel(base, file);
  base.dispose();
  m.dispose();
  const out = path.join(tmp, 'ul-samples.png');
  const r = cli(['sample', ckpt('ul'), '--base', file, '--n', '3', '--steps', '2', '--out', out, '--json']);
  t.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  t.match(rep, { model: 'ul', mode: 'sample', base: file, n: 3, psnr: null });
  t.same(rep.shape, [3, 1, 16, 16]);
  const png = PNG.sync.read(fs.readFileSync(out));
  t.same([png.width, png.height], gridSize(3, 3));
  const direct = cli(['sample', file]);
  t.equal(direct.code, 1);
  t.match(direct.stderr, /stage-2 base model: sample the stage-1 checkpoint with --base/);
});

t.test('train disco (toy): stage 1 + AR prior; checkpoint (discoDiff.loadModel with prior); sample scatter', async (t) => {
  const r = cli(['train', ...TINY.disco, '--steps', '6', '--out', path.join(tmp, 'disco'), '--json']);
  t.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  checkReportBase(t, rep, 'disco', 'diamond', 6, 32);
  t.match(rep, { kind: 'toy', latents: 1, codebook: 4, priorSteps: 5 });
  t.ok(Number.isFinite(rep.priorLoss) && rep.priorLoss > 0);
  t.ok(Number.isInteger(rep.codesUsed) && rep.codesUsed >= 1 && rep.codesUsed <= 4, `codes used ${rep.codesUsed} of 4`);
  checkLossFigures(t, rep, ckpt('disco'), 6);
  t.equal(td.io.readHeader(ckpt('disco')).metadata?.format, 'tensordiff-disco/1');
  const { model, prior } = td.models.discoDiff.loadModel(ckpt('disco'));
  t.match(model.config, { kind: 'toy', latents: 1, codebook: 4, hidden: 16, layers: 1 });
  t.ok(prior !== null, 'the checkpoint carries the prior');
  t.match(prior?.config, { latents: 1, codebook: 4 });
  t.equal(rep.parameters, model.parameters().reduce((s, p) => s + p.numel, 0));
  model.dispose();
  prior?.dispose();

  const out = path.join(tmp, 'disco.png');
  const s = cli(['sample', ckpt('disco'), '--n', '300', '--steps', '3', '--seed', '2', '--out', out, '--json']);
  t.equal(s.code, 0, s.stderr);
  const sr = JSON.parse(s.stdout);
  t.match(sr, { model: 'disco', kind: 'toy', data: 'diamond', step: 6, n: 300, steps: 3, nfe: 5, codes: 'prior', file: out });
  t.same(sr.shape, [300, 2]);
  t.ok(Number.isFinite(sr.slicedWasserstein));
  const png = pixels(out);
  t.ok(png.count(ORANGE) > 30 && png.count(BLUE) > 30, 'samples over reference points');
});

t.test('train disco --data mnist16 (U-Net) and sample: an image grid', async (t) => {
  const r = cli(['train', ...TINY.discoImage, '--steps', '2', '--out', path.join(tmp, 'discoI'), '--json']);
  t.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  checkReportBase(t, rep, 'disco', 'mnist16', 2, 4);
  t.match(rep, { kind: 'image', latents: 1, codebook: 4, priorSteps: 3 });
  const { model, prior } = td.models.discoDiff.loadModel(ckpt('discoI'));
  t.match(model.config, { kind: 'image', base: 8, size: 16 });
  model.dispose();
  prior?.dispose();
  const out = path.join(tmp, 'discoI.png');
  const s = cli(['sample', ckpt('discoI'), '--n', '5', '--steps', '2', '--out', out, '--json']);
  t.equal(s.code, 0, s.stderr);
  const sr = JSON.parse(s.stdout);
  t.match(sr, { kind: 'image', n: 5, slicedWasserstein: null });
  t.same(sr.shape, [5, 1, 16, 16]);
  const png = PNG.sync.read(fs.readFileSync(out));
  t.same([png.width, png.height], gridSize(5, 8));
});

t.test('disco without a prior (--prior-steps 0) samples with encoded data; the baseline (--latents 0) has no codes', async (t) => {
  const base = TINY.disco.filter((a, i, all) => a !== '--prior-steps' && all[i - 1] !== '--prior-steps');
  const np = cli(['train', ...base, '--prior-steps', '0', '--steps', '2', '--out', path.join(tmp, 'disco-np'), '--json']);
  t.equal(np.code, 0, np.stderr);
  t.match(JSON.parse(np.stdout), { priorSteps: 0, priorLoss: null });
  const { model, prior } = td.models.discoDiff.loadModel(ckpt('disco-np'));
  t.equal(prior, null, 'no prior in the checkpoint');
  model.dispose();
  const s = cli(['sample', ckpt('disco-np'), '--n', '50', '--steps', '2', '--out', path.join(tmp, 'disco-np.png')]);
  t.equal(s.code, 0, s.stderr);
  t.match(s.stdout, /no prior: the latents are the encoder's codes of fresh diamond points/);
  const bl = cli(['train', ...base.map((a, i, all) => (all[i - 1] === '--latents' ? '0' : a)), '--steps', '2', '--out', path.join(tmp, 'disco-0'), '--json']);
  t.equal(bl.code, 0, bl.stderr);
  t.match(JSON.parse(bl.stdout), { latents: 0, priorSteps: 0, codesUsed: null });
  const sb = cli(['sample', ckpt('disco-0'), '--n', '50', '--steps', '2', '--out', path.join(tmp, 'disco-0.png'), '--json']);
  t.equal(sb.code, 0, sb.stderr);
  t.equal(JSON.parse(sb.stdout).codes, 'none');
});

t.test('train layersync: checkpoint (layerSync.loadModel), L = L_FM + λ·L_reg; sample --labels --cfg', async (t) => {
  const r = cli(['train', ...TINY.layersync, '--steps', '3', '--out', path.join(tmp, 'ls'), '--json']);
  t.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  checkReportBase(t, rep, 'layersync', 'mnist16', 3, 4);
  t.match(rep, { lambda: 0.5, depth: 2, width: 16, patch: 4, lr: 5e-4 });
  checkLossFigures(t, rep, ckpt('ls'), 3);
  t.ok(Math.abs(rep.finalLoss - (rep.fmLoss + 0.5 * rep.regLoss)) < 1e-5, `${rep.finalLoss} = ${rep.fmLoss} + 0.5·${rep.regLoss}`);
  t.ok(rep.regLoss >= -1 - 1e-5 && rep.regLoss <= 1 + 1e-5, 'L_reg is a negative mean cosine');
  t.equal(td.io.readHeader(ckpt('ls')).metadata?.format, 'tensordiff-layersync/1');
  const m = td.models.layerSync.loadModel(ckpt('ls'));
  t.match(m.config, { depth: 2, hiddenSize: 16, patchSize: 4, seed: 0 });
  t.equal(rep.parameters, m.parameters().reduce((s, p) => s + p.numel, 0));
  m.dispose();

  const out = path.join(tmp, 'ls.png');
  const s = cli(['sample', ckpt('ls'), '--labels', '7,1,3', '--n', '6', '--cfg', '2', '--steps', '2', '--sampler', 'euler', '--out', out, '--json']);
  t.equal(s.code, 0, s.stderr);
  const sr = JSON.parse(s.stdout);
  t.match(sr, { model: 'layersync', n: 6, cfg: 2, sampler: 'euler', steps: 2, step: 3, data: 'mnist16' });
  t.same(sr.labels, [7, 1, 3, 7, 1, 3], 'labels cycled over --n');
  t.same(sr.shape, [6, 1, 16, 16]);
  const png = PNG.sync.read(fs.readFileSync(out));
  t.same([png.width, png.height], gridSize(6, 3), 'one row per label list');
  const d = cli(['sample', ckpt('ls'), '--steps', '2', '--out', path.join(tmp, 'ls2.png'), '--json']);
  t.equal(d.code, 0, d.stderr);
  const dr = JSON.parse(d.stdout);
  t.equal(dr.sampler, 'heun');
  t.same(dr.labels, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 'default: 20 digits, 0..9 twice');
});

/** Every tensor of two safetensors files, bit for bit. */
function sameTensors(t: Test, a: string, b: string, what: string): void {
  const x = td.io.load(a), y = td.io.load(b);
  t.same(Object.keys(x).sort(), Object.keys(y).sort(), `${what}: same keys`);
  const diff = Object.keys(y).filter((k) => {
    const p = x[k]?.dataSync(), q = y[k].dataSync();
    return !p || p.length !== q.length || p.some((v, i) => v !== q[i]);
  });
  t.same(diff, [], `${what}: resumed 3 + 2 steps = uninterrupted 5 steps, bit for bit`);
  td.dispose([...Object.values(x), ...Object.values(y)]);
}

t.test('--resume continues exactly (model, EMA, optimizer, prior) and keeps the loss history', async (t) => {
  for (const name of ['ul', 'disco', 'layersync']) {
    const a = path.join(tmp, `${name}-r`), b = path.join(tmp, `${name}-u`);
    const first = cli(['train', ...TINY[name], '--steps', '3', '--out', a]);
    t.equal(first.code, 0, first.stderr);
    const extra = name === 'disco' ? ['--prior-steps', '5'] : [];
    const res = cli(['train', name, '--resume', path.join(a, 'checkpoint.safetensors'), '--steps', '2', ...extra, '--json']);
    t.equal(res.code, 0, res.stderr);
    const rr = JSON.parse(res.stdout);
    t.match(rr, { startStep: 3, step: 5, stepsDone: 2, lossFrom: 0, lossSteps: 5, resumedFrom: path.join(a, 'checkpoint.safetensors') });
    const full = cli(['train', ...TINY[name], '--steps', '5', '--out', b, '--json']);
    t.equal(full.code, 0, full.stderr);
    const fr = JSON.parse(full.stdout);
    sameTensors(t, path.join(a, 'checkpoint.safetensors'), path.join(b, 'checkpoint.safetensors'), name);
    t.same(rr.lossCurve, fr.lossCurve, `${name}: the loss curve equals the uninterrupted run's`);
  }
});

t.test('bad arguments: usage on stderr, exit 2', async (t) => {
  const bad = [
    ['train', 'ul', '--data', 'diamond'],
    ['train', 'layersync', '--data', 'eightGaussians'],
    ['train', 'disco', '--data', 'checkerboard'],
    ['train', 'ul', '--latents', '2'],
    ['train', 'disco', '--lambda', '0.1'],
    ['train', 'cld', '--loss-factor', '2'],
    ['train', 'layersync', '--width', '10'],
    ['train', 'layersync', '--patch', '3'],
    ['train', 'disco', '--codebook', '1'],
    ['train', 'ul', '--loss-factor', 'big'],
    ['train', 'ul', '--resume', ckpt('ul'), '--loss-factor', '2'],
    ['sample', ckpt('ul'), '--labels', '1'],
    ['sample', ckpt('disco'), '--cfg', '2'],
    ['sample', ckpt('ls'), '--labels', '1,x'],
    ['sample', ckpt('ls'), '--labels', '10'],
    ['sample', ckpt('ls'), '--sampler', 'sscs'],
    ['sample', ckpt('ls'), '--base', ckpt('ul')],
  ];
  for (const args of bad) {
    const r = cli(args);
    t.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.match(r.stderr, /usage: tensordiff (train|sample)/, args.join(' '));
    t.equal(r.stdout, '');
  }
});

t.test('missing, corrupt and mismatched checkpoints: exit 1, one line naming the file', async (t) => {
  const missing = path.join(tmp, 'nothing.safetensors');
  const truncated = path.join(tmp, 'truncated-ls.safetensors');
  fs.writeFileSync(truncated, fs.readFileSync(ckpt('ls')).subarray(0, 4000));
  const cases: [string[], string, RegExp][] = [
    [['sample', missing], missing, /no such file/],
    [['sample', truncated], truncated, /cannot read checkpoint/],
    [['train', 'layersync', '--resume', truncated, '--steps', '1', '--out', path.join(tmp, 'x1')], truncated, /cannot (read|resume from) checkpoint/],
    [['train', 'ul', '--resume', missing, '--steps', '1'], missing, /no such file/],
    [['train', 'ul', '--resume', ckpt('disco'), '--steps', '1', '--out', path.join(tmp, 'x2')], ckpt('disco'), /cannot resume from checkpoint .*not a UL checkpoint/],
  ];
  for (const [args, file, re] of cases) {
    const r = cli(args);
    t.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    t.equal(lines.length, 1, `one line: ${r.stderr}`);
    t.ok(lines[0].includes(path.basename(file)), 'names the file');
    t.match(lines[0], re);
  }
});

t.test('Ctrl-C during train ul: exit 130, a loadable checkpoint at the step reached', async (t) => {
  const out = path.join(tmp, 'ul-int');
  let stdout = '', stderr = '', sent = false;
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [CLI, 'train', ...TINY.ul, '--steps', '1000000', '--every', '1000000', '--out', out], { env: CLI_ENV });
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!sent && /training UL stage 1/.test(stdout)) {
        sent = true;
        setTimeout(() => child.kill('SIGINT'), 300);
      }
    });
    child.on('close', (c) => resolve(c));
  });
  t.equal(code, 130, stderr);
  t.match(stderr, /interrupted; stopping after this step/);
  const m = /stopped after (\d+) steps \(now at step (\d+)\)/.exec(stdout);
  t.ok(m, stdout);
  const file = path.join(out, 'checkpoint.safetensors');
  t.equal(td.io.readHeader(file).metadata?.step, m?.[2]);
  t.equal(storedLosses(file).losses.length, Number(m?.[2]), 'one stored loss per step');
  const model = td.models.ul.loadModel(file);
  t.same(model.dataShape, [1, 16, 16]);
  model.dispose();
});

t.test('help text: every train and sample option is documented in docs/cli.md', async (t) => {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'cli.md'), 'utf8');
  for (const cmd of ['train', 'sample']) {
    const h = cli(['help', cmd]);
    t.equal(h.code, 0);
    const names = [...h.stdout.matchAll(/^ {2}--([a-z-]+)/gm)].map((m) => m[1]);
    t.ok(names.length > 8, `${cmd}: ${names.length} options`);
    for (const n of names) t.ok(doc.includes(`--${n}`), `docs/cli.md mentions ${cmd} --${n}`);
  }
  const h = cli(['help', 'train']);
  for (const m of ['ul', 'disco', 'layersync']) t.match(h.stdout, new RegExp(`Models: .*${m}`), `help train lists ${m}`);
});
