// cli-train.test.ts — `tensordiff train cld` and `tensordiff sample` end to end (the compiled
// dist/lib/cli/main.js run with node, one thread): a 60-step diamond run writes a checkpoint and a
// loss plot and its loss drops; --resume continues the step count and lands on the same weights as
// an uninterrupted 80-step run, and its loss plot and JSON loss curve equal that run's (the history
// travels in the checkpoint; old checkpoints without it still resume); sample writes a scatter PNG and a JSON summary; a missing or
// corrupt checkpoint exits 1 with one line naming the file; bad arguments exit 2; Ctrl-C exits 130
// with a loadable checkpoint.
import t from 'tap';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as td from '../lib/index';
import { BLUE, CLI, CLI_ENV, cli, ORANGE, pixels } from './helpers/cli';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'td-cli-train-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ENV = CLI_ENV;

/** The tensors of a safetensors file as plain arrays (keys sorted). */
function readAll(file: string): Record<string, number[]> {
  const sd = td.io.load(file);
  const out: Record<string, number[]> = {};
  for (const k of Object.keys(sd).sort()) out[k] = Array.from(sd[k].dataSync());
  td.dispose(Object.values(sd));
  return out;
}

const run1 = path.join(tmp, 'run1');
const ckpt = path.join(run1, 'checkpoint.safetensors');
const run2 = path.join(tmp, 'run2'), full = path.join(tmp, 'full');
/** The JSON reports of the resumed 60 + 20 run and of the uninterrupted 80-step run. */
let resumedRep: Record<string, unknown> | null = null, fullRep: Record<string, unknown> | null = null;

t.test('train cld --data diamond --steps 60 --json: checkpoint, loss.png, loss drops', async (t) => {
  const r = cli(['train', 'cld', '--data', 'diamond', '--steps', '60', '--every', '25', '--seed', '0', '--out', run1, '--json']);
  t.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  t.equal(rep.command, 'train');
  t.equal(rep.data, 'diamond');
  t.equal(rep.kind, 'toy');
  t.equal(rep.step, 60);
  t.equal(rep.stepsDone, 60);
  t.equal(rep.interrupted, false);
  t.equal(rep.batch, 512);
  t.equal(rep.threads, 1);
  // the toy MLP, counted by hand: Linear(2+2+16 → 128) + 3 × Linear(128 → 128) + Linear(128 → 2),
  // with 16 Fourier features of t (the frequencies are a buffer, not a parameter)
  t.equal(rep.parameters, (20 * 128 + 128) + 3 * (128 * 128 + 128) + (128 * 2 + 2));
  t.ok(rep.finalLoss < rep.firstLoss, `loss drops: first ${rep.firstLoss}, final ${rep.finalLoss}`);
  t.ok(rep.lossCurve[0] > rep.lossCurve[rep.lossCurve.length - 1], 'the first chunk is above the last');
  t.ok(rep.lossCurve.every((l: number) => Number.isFinite(l) && l > 0));
  t.equal(rep.files.checkpoint, ckpt);
  const png = pixels(path.join(run1, 'loss.png'));
  t.ok(png.width > 100 && png.height > 100);
  t.ok(png.nonWhite > 500, 'the loss plot has lines');
  const md = td.io.readHeader(ckpt).metadata ?? {};
  t.equal(md.format, 'tensordiff-cld/1');
  t.equal(md.data, 'diamond');
  t.equal(md.step, '60');
  t.same(fs.readdirSync(run1).sort(), ['checkpoint.safetensors', 'loss.png'], 'no temporary files left');
});

t.test('train --resume continues the step count and the trajectory of an uninterrupted run', async (t) => {
  fs.mkdirSync(run2);
  fs.copyFileSync(ckpt, path.join(run2, 'checkpoint.safetensors'));
  const r = cli(['train', 'cld', '--resume', path.join(run2, 'checkpoint.safetensors'), '--steps', '20', '--json']);
  t.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  resumedRep = rep;
  t.equal(rep.startStep, 60);
  t.equal(rep.step, 80);
  t.equal(rep.stepsDone, 20);
  t.equal(rep.data, 'diamond', 'the data set comes from the checkpoint');
  t.equal(rep.files.checkpoint, path.join(run2, 'checkpoint.safetensors'), 'writes next to the checkpoint by default');
  t.equal(td.io.readHeader(rep.files.checkpoint).metadata?.step, '80');
  const u = cli(['train', 'cld', '--data', 'diamond', '--steps', '80', '--seed', '0', '--out', full, '--json']);
  t.equal(u.code, 0, u.stderr);
  fullRep = JSON.parse(u.stdout);
  const a = readAll(rep.files.checkpoint), b = readAll(path.join(full, 'checkpoint.safetensors'));
  t.same(Object.keys(a), Object.keys(b));
  let same = true;
  for (const k of Object.keys(a)) if (a[k].length !== b[k].length || a[k].some((v, i) => v !== b[k][i])) { same = false; t.fail(`tensor ${k} differs`); break; }
  t.ok(same, 'resumed 60 + 20 steps = uninterrupted 80 steps, bit for bit (model, EMA, Adam)');
});

/** A copy of a checkpoint with its metadata changed (keys set to undefined are dropped). */
function withMetadata(src: string, dst: string, change: Record<string, string | undefined>): void {
  const md: Record<string, string> = { ...(td.io.readHeader(src).metadata ?? {}) };
  for (const [k, v] of Object.entries(change)) if (v === undefined) delete md[k]; else md[k] = v;
  const sd = td.io.load(src);
  td.io.save(sd, dst, md);
  td.dispose(Object.values(sd));
}

t.test('train --resume keeps the loss history: loss.png and the JSON loss curve equal the uninterrupted run', async (t) => {
  if (!resumedRep || !fullRep) return t.fail('the --resume test did not produce its reports');
  const a = resumedRep, b = fullRep;
  t.equal(a.lossFrom, 0, 'the curve starts at step 0');
  t.equal(a.lossSteps, 80, 'all 60 + 20 steps');
  t.equal(b.lossSteps, 80);
  // the trajectories are bit-identical (previous test), so the losses stored in the checkpoint must
  // reproduce the uninterrupted run's curve exactly
  t.same(a.lossCurve, b.lossCurve, 'lossCurve equals the uninterrupted run');
  t.equal(a.firstLoss, b.firstLoss, 'firstLoss: the first 10% of all 80 steps');
  t.equal(a.finalLoss, b.finalLoss);
  const pa = fs.readFileSync(path.join(run2, 'loss.png')), pb = fs.readFileSync(path.join(full, 'loss.png'));
  t.ok(pa.equals(pb), 'loss.png after the resume is the uninterrupted run\'s plot, byte for byte');
  t.ok(pixels(path.join(run2, 'loss.png')).nonWhite > 500);
  const md = td.io.readHeader(path.join(run2, 'checkpoint.safetensors')).metadata ?? {};
  t.equal(md.lossesFrom, '0');
  t.equal(Buffer.from(md.losses ?? '', 'base64').length, 80 * 8, '80 float64 losses in the metadata');
});

t.test('train --resume from a checkpoint without a loss history (or a broken one): resumes, the curve starts at its step', async (t) => {
  const old = path.join(tmp, 'old');
  fs.mkdirSync(old);
  const file = path.join(old, 'checkpoint.safetensors');
  withMetadata(ckpt, file, { losses: undefined, lossesFrom: undefined });
  const r = cli(['train', 'cld', '--resume', file, '--steps', '5', '--json']);
  t.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  t.equal(rep.step, 65);
  t.equal(rep.lossFrom, 60, 'no history: the curve starts at the resumed step');
  t.equal(rep.lossSteps, 5);
  t.equal(td.io.readHeader(file).metadata?.lossesFrom, '60', 'the new checkpoint starts its history there');
  const again = cli(['train', 'cld', '--resume', file, '--steps', '5', '--json']);
  t.equal(again.code, 0, again.stderr);
  const rep2 = JSON.parse(again.stdout);
  t.equal(rep2.lossFrom, 60);
  t.equal(rep2.lossSteps, 10, 'a second resume keeps the 5 steps of the first');
  t.same(rep2.lossCurve.slice(0, 5), rep.lossCurve, 'the first 5 chunks are the first resume\'s steps');

  const broken = path.join(tmp, 'broken');
  fs.mkdirSync(broken);
  const bf = path.join(broken, 'checkpoint.safetensors');
  withMetadata(ckpt, bf, { lossesFrom: '3' }); // 60 losses from step 3 do not end at step 60
  const b = cli(['train', 'cld', '--resume', bf, '--steps', '2']);
  t.equal(b.code, 0, b.stderr);
  t.match(b.stdout, /loss history .* does not end at its step 60: ignored/);
  t.equal(td.io.readHeader(bf).metadata?.lossesFrom, '60');
});

t.test('sample <checkpoint>: scatter PNG over the data and a JSON summary', async (t) => {
  const out = path.join(tmp, 'samples.png');
  const r = cli(['sample', ckpt, '--n', '500', '--steps', '20', '--sampler', 'sscs', '--seed', '3', '--out', out, '--json']);
  t.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  t.equal(rep.n, 500);
  t.same(rep.shape, [500, 2]);
  t.equal(rep.kind, 'toy');
  t.equal(rep.data, 'diamond');
  t.equal(rep.step, 60);
  t.equal(rep.nfe, 20);
  t.equal(rep.file, out);
  t.ok(Number.isFinite(rep.slicedWasserstein));
  const png = pixels(out);
  t.ok(png.count(ORANGE) > 50, 'samples drawn in orange');
  t.ok(png.count(BLUE) > 50, 'reference points drawn in blue');
  for (const sampler of ['em', 'ode']) {
    const s = cli(['sample', ckpt, '--n', '100', '--steps', '5', '--sampler', sampler, '--striding', 'linear', '--out', path.join(tmp, `${sampler}.png`), '--json']);
    t.equal(s.code, 0, s.stderr);
    t.equal(JSON.parse(s.stdout).nfe, sampler === 'ode' ? 2 * 5 - 1 : 5, `${sampler} nfe`);
  }
  const plain = cli(['sample', ckpt, '--n', '100', '--steps', '5', '--out', path.join(tmp, 'plain.png')]);
  t.equal(plain.code, 0, plain.stderr);
  t.match(plain.stdout, /sampled 100 points \[100, 2\]/);
});

t.test('train cld --data mnist16 (image U-Net) and sample: an image grid', async (t) => {
  const out = path.join(tmp, 'mnist');
  const r = cli(['train', 'cld', '--data', 'mnist16', '--steps', '2', '--batch', '4', '--out', out, '--json']);
  t.equal(r.code, 0, r.stderr);
  const rep = JSON.parse(r.stdout);
  t.equal(rep.kind, 'image');
  t.equal(rep.step, 2);
  const s = cli(['sample', path.join(out, 'checkpoint.safetensors'), '--steps', '3', '--out', path.join(out, 'grid.png'), '--json']);
  t.equal(s.code, 0, s.stderr);
  const sr = JSON.parse(s.stdout);
  t.equal(sr.n, 64, 'default 64 images');
  t.same(sr.shape, [64, 1, 16, 16]);
  t.equal(sr.slicedWasserstein, null);
  const png = pixels(path.join(out, 'grid.png'));
  t.ok(png.width >= 8 * 16 && png.height >= 8 * 16, `${png.width}x${png.height}`);
  t.ok(png.nonWhite > 0);
});

t.test('missing and corrupt checkpoints: exit 1, one line naming the file, no stack', async (t) => {
  const missing = path.join(tmp, 'no-such.safetensors');
  const garbage = path.join(tmp, 'garbage.safetensors');
  fs.writeFileSync(garbage, Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) % 256)));
  const truncated = path.join(tmp, 'truncated.safetensors');
  fs.writeFileSync(truncated, fs.readFileSync(ckpt).subarray(0, 5000));
  for (const [file, re] of [[missing, /no such file/], [garbage, /cannot read checkpoint/], [truncated, /cannot read checkpoint/]] as const) {
    for (const args of [['sample', file], ['train', 'cld', '--resume', file, '--steps', '1', '--out', path.join(tmp, 'x')]]) {
      const r = cli(args);
      t.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      t.equal(lines.length, 1, `one line: ${r.stderr}`);
      t.ok(lines[0].includes(path.basename(file)), 'names the file');
      t.match(lines[0], re);
      t.notMatch(r.stderr, /\bat .*\.js:\d+/, 'no stack trace');
    }
  }
});

t.test('bad arguments: usage on stderr, exit 2', async (t) => {
  const bad = [
    ['train'],
    ['train', 'gan'],
    ['train', 'cld', '--data', 'spiral'],
    ['train', 'cld', '--steps', '0'],
    ['train', 'cld', '--lr', 'fast'],
    ['train', 'cld', '--resume', ckpt, '--seed', '1'],
    ['sample'],
    ['sample', ckpt, '--sampler', 'ddim'],
    ['sample', ckpt, '--striding', 'cubic'],
    ['sample', ckpt, '--n', '-5'],
    ['sample', ckpt, '--steps', '1'],
  ];
  for (const args of bad) {
    const r = cli(args);
    t.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.match(r.stderr, /usage: tensordiff (train|sample)/, args.join(' '));
    t.equal(r.stdout, '');
  }
  const h = cli(['help', 'train']);
  t.equal(h.code, 0);
  t.match(h.stdout, /--resume/);
});

t.test('Ctrl-C during training: exit 130 and a loadable checkpoint', async (t) => {
  const out = path.join(tmp, 'sigint');
  let stdout = '', stderr = '', sent = false;
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [CLI, 'train', 'cld', '--data', 'diamond', '--steps', '1000000', '--every', '1000000', '--out', out], { env: ENV });
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!sent && /training CLD/.test(stdout)) {
        sent = true;
        setTimeout(() => child.kill('SIGINT'), 500);
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
  const model = td.models.cld.loadModel(file);
  t.same(model.dataShape, [2]);
  model.dispose();
  t.ok(pixels(path.join(out, 'loss.png')).nonWhite > 0);
});
