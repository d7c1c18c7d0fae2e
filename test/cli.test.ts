// cli.test.ts — the tensordiff command end to end (the compiled dist/lib/cli/main.js run with node):
// `info --json` schema, `bench --quick --json` on one fast case, usage errors (exit 2 + usage on
// stderr), `demo` writing PNGs that pngjs decodes and a checkpoint with the network's shapes,
// Ctrl-C during the demo's training (exit 130, files written), and the two examples. Plus the
// argument parser, the table formatter, the progress bar and the command table in process.
import t from 'tap';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Writable } from 'stream';
import * as td from '../lib/index';
import { BLUE, CLI, CLI_ENV, cli, ORANGE, pixels } from './helpers/cli';
import { parseArgs, UsageError } from '../lib/cli/args';
import { formatTable } from '../lib/cli/table';
import { startProgress } from '../lib/cli/progress';
import { registerCommand } from '../lib/cli/commands';
import { main } from '../lib/cli/main';
import { createFlowModel, trainFlow, sampleFlow } from '../lib/cli/flowDemo';

const ROOT = path.join(__dirname, '..', '..');
const EXAMPLES = path.join(ROOT, 'examples');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'td-cli-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ENV = CLI_ENV;
/** Shapes of the demo network (15 inputs, 3 hidden layers of 128, 2 outputs), written out by hand. */
const NET_SHAPES: Record<string, number[]> = {
  '0.weight': [128, 15], '0.bias': [128], '2.weight': [128, 128], '2.bias': [128],
  '4.weight': [128, 128], '4.bias': [128], '6.weight': [2, 128], '6.bias': [2],
};
/** Loss of predicting v = 0 on the checkerboard: E(ε − x)² per element = 1 + 8²/12 (x uniform on [−4, 4]). */
const ZERO_PREDICTOR_LOSS = 1 + 64 / 12;

t.test('parseArgs: values, booleans, --name=value, positionals and errors', async (t) => {
  const specs = [
    { name: 'steps', type: 'int' as const, description: '', default: 10, min: 1 },
    { name: 'lr', type: 'number' as const, description: '' },
    { name: 'out', type: 'string' as const, description: '', default: 'x' },
    { name: 'json', type: 'boolean' as const, description: '' },
    { name: 'mode', type: 'string' as const, description: '', choices: ['a', 'b'] },
  ];
  const r = parseArgs('c', ['p1', '--steps', '7', '--lr=0.5', '--json', '--', '--out'], specs, { min: 0, max: 2 });
  t.same(r.options, { steps: 7, lr: 0.5, out: 'x', json: true, mode: undefined });
  t.same(r.positionals, ['p1', '--out']);
  t.same(parseArgs('c', [], specs).options, { steps: 10, lr: undefined, out: 'x', json: false, mode: undefined });
  const bad: [string[], RegExp][] = [
    [['--nope'], /unknown option '--nope'/],
    [['-s'], /unknown option '-s'/],
    [['--steps'], /--steps needs a value/],
    [['--steps', '2.5'], /--steps expects an integer/],
    [['--steps', 'abc'], /--steps expects a number/],
    [['--steps', '0'], /--steps must be at least 1/],
    [['--mode', 'c'], /--mode must be one of a, b/],
    [['--json=yes'], /--json takes no value/],
    [['extra'], /unexpected argument 'extra'/],
  ];
  for (const [argv, re] of bad) t.throws(() => parseArgs('c', argv, specs), { name: 'UsageError', message: re }, argv.join(' '));
  t.ok(new UsageError('m', 'c') instanceof Error);
  t.throws(() => parseArgs('c', 'x' as unknown as string[], specs), TypeError);
});

t.test('formatTable aligns columns, right-aligns numbers', async (t) => {
  const s = formatTable(['case', 'ms'], [['a', '1.5'], ['long name', '12.25']]);
  t.equal(s, ['case       ms', '---------  -----', 'a            1.5', 'long name  12.25'].join('\n'));
  t.throws(() => formatTable([], []), TypeError);
});

t.test('progress bar: value, total and rate on the given stream; a no-op when disabled', async (t) => {
  let text = '';
  const stream = new Writable({ write(c, _e, cb) { text += String(c); cb(); } });
  const prev = process.env.TENSORDIFF_PROGRESS;
  process.env.TENSORDIFF_PROGRESS = '1';
  try {
    const bar = startProgress('train', 100, true, { stream });
    bar.update(40, 0.5);
    bar.stop();
    bar.stop();
  } finally {
    if (prev === undefined) delete process.env.TENSORDIFF_PROGRESS; else process.env.TENSORDIFF_PROGRESS = prev;
  }
  t.match(text, /train \[.*\] 40% \| 40\/100 \| [0-9.-]+ steps\/s \| ETA .* \| loss 0\.500/);
  let quiet = '';
  const q = new Writable({ write(c, _e, cb) { quiet += String(c); cb(); } });
  const off = startProgress('x', 10, false, { stream: q });
  off.update(5);
  off.stop();
  t.equal(quiet, '');
  t.throws(() => startProgress('x', 0, false), RangeError);
});

t.test('the command table: a registered command runs, gets parsed options, shows in help', async (t) => {
  let seen: unknown = null;
  registerCommand({
    name: 'zz-test', summary: 'a test command', args: '<x>', positionals: { min: 1, max: 1 },
    options: [{ name: 'n', type: 'int', default: 3, description: 'n' }],
    run(args, ctx) { seen = { ...args.options, pos: args.positionals, json: ctx.json }; return 7; },
  });
  const sink = () => { const s = { text: '', stream: new Writable({ write(c, _e, cb) { s.text += String(c); cb(); } }) }; return s; };
  let out = sink(), err = sink();
  t.equal(await main(['zz-test', 'a', '--n', '5', '--json'], { stdout: out.stream, stderr: err.stream }), 7);
  t.same(seen, { n: 5, json: true, help: false, pos: ['a'] });
  out = sink(); err = sink();
  t.equal(await main(['zz-test'], { stdout: out.stream, stderr: err.stream }), 2);
  t.match(err.text, /tensordiff zz-test: expected at least 1 argument.*\nusage: tensordiff zz-test <x> \[options\]/s);
  out = sink();
  t.equal(await main(['help'], { stdout: out.stream, stderr: err.stream }), 0);
  t.match(out.text, /zz-test\s+a test command/);
  t.throws(() => registerCommand({ name: 'Bad Name', summary: '', options: [], run: () => 0 }), TypeError);
  t.throws(() => registerCommand({ name: 'x', summary: '', options: [{ name: 'json', type: 'boolean', description: '' }], run: () => 0 }), TypeError);
});

t.test('the demo model learns eight Gaussians, and training does not leak tensors', async (t) => {
  const threads = td.getNumThreads();
  td.setNumThreads(1);
  t.teardown(() => td.setNumThreads(threads));
  td.manualSeed(3);
  const model = createFlowModel(128);
  const before = td.memory();
  const r = await trainFlow(model, { data: 'eightGaussians', steps: 3000, batch: 256, lr: 2e-3, seed: 3 });
  const after = td.memory();
  t.equal(r.stepsDone, 3000);
  t.equal(after.tensors, before.tensors, 'live tensors unchanged by 3000 steps (optimizer state freed)');
  t.equal(after.storages, before.storages, 'live storages unchanged');
  const x = sampleFlow(model, 1000, { steps: 30, seed: 1, sampler: 'heun' }); // [1000, 2]
  const v = x.dataSync();
  x.dispose();
  model.dispose();
  // plain-JS count: a sample is "on a mode" within 0.3 (3 std) of one of 8 centres 2·(cos 2πk/8, sin 2πk/8)
  const near = (px: number, py: number) =>
    Array.from({ length: 8 }, (_, k) => Math.hypot(px - 2 * Math.cos((2 * Math.PI * k) / 8), py - 2 * Math.sin((2 * Math.PI * k) / 8))).some((d) => d < 0.3);
  const modes = new Set<number>();
  let on = 0;
  for (let i = 0; i < 1000; i++) {
    const px = v[2 * i], py = v[2 * i + 1];
    if (near(px, py)) {
      on++;
      modes.add(Math.round(((Math.atan2(py, px) / (2 * Math.PI)) * 8 + 8)) % 8);
    }
  }
  // N(0, I) puts about 8 · π0.3² · e^(−2)/(2π) ≈ 5% of its mass there, the data (std 0.1) 98.9%
  t.ok(on / 1000 > 0.7, `${on} of 1000 samples on a mode`);
  t.equal(modes.size, 8, 'every mode is reached');
});

t.test('info --json: schema and values from the backend', async (t) => {
  const r = cli(['info', '--json']);
  t.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  t.equal(j.name, 'tensordiff');
  t.equal(j.version, pkg.version);
  t.equal(j.node, process.version);
  t.equal(j.cpu.threads, 1, 'TENSORDIFF_NUM_THREADS=1 is honoured');
  t.ok(Number.isInteger(j.cpu.cores) && j.cpu.cores >= 1);
  t.type(j.cpu.openmp, 'boolean');
  for (const k of ['gemmKernel', 'fusedKernel']) t.ok(['avx2-fma', 'portable'].includes(j.cpu[k]), `${k} ${j.cpu[k]}`);
  t.ok(['avx2', 'portable'].includes(j.cpu.optimKernel));
  t.type(j.cuda.compiled, 'boolean');
  t.type(j.cuda.available, 'boolean');
  t.ok(Number.isInteger(j.cuda.deviceCount));
  if (!j.cuda.available) t.ok(typeof j.cuda.reason === 'string' && j.cuda.reason.length > 0, 'says why CUDA is unavailable');
  const h = cli(['info']);
  t.equal(h.code, 0);
  t.match(h.stdout, new RegExp(`^tensordiff ${pkg.version.replace(/\./g, '\\.')} .*\nCPU +1 threads.*\nSIMD +GEMM .*\nCUDA +`));
  t.equal(cli(['--version']).stdout, `${pkg.version}\n`);
});

t.test('bench --quick --json run:overhead: JSON lines with the suite; the table', async (t) => {
  const r = cli(['bench', '--quick', '--json', 'run:overhead']);
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.ok(lines.every((l) => l.suite === 'run:overhead'));
  const cases = lines.filter((l) => typeof l.case === 'string');
  t.equal(cases.length, 3);
  t.ok(cases.every((c) => Number.isFinite(c.us) && c.us > 0), 'every case has a positive time in us');
  t.ok(cases.every((c) => c.torchUs === undefined || c.torchUs === null), 'no PyTorch run under --quick');
  const h = cli(['bench', '--quick', 'overhead']);
  t.equal(h.code, 0, h.stderr);
  t.match(h.stdout, /== run:overhead \(quick/);
  t.match(h.stdout, /case +time\n-+ +-+\nadd on 1-element tensors, per op +[0-9.]+ us/);
});

t.test('bad arguments: usage on stderr, exit code 2, nothing on stdout', async (t) => {
  const cases: [string[], RegExp][] = [
    [[], /no command given[\s\S]*usage: tensordiff <command>/],
    [['nosuch'], /unknown command 'nosuch'[\s\S]*commands:/],
    [['demo', '--steps', '0'], /tensordiff demo: --steps must be at least 1, got 0\nusage: tensordiff demo \[options\]/],
    [['demo', '--steps'], /--steps needs a value/],
    [['demo', '--data', 'mnist'], /--data must be one of checkerboard/],
    [['demo', '--bogus'], /unknown option '--bogus'/],
    [['demo', 'extra'], /unexpected argument 'extra'/],
    [['info', '--json=maybe'], /--json takes no value/],
    [['bench', 'nosuch'], /unknown benchmark 'nosuch'; suites \(cases\): run \(overhead/],
    [['bench', 'run:nope'], /suite 'run' has no case 'nope'/],
    [['help', 'nosuch'], /unknown command 'nosuch'/],
  ];
  for (const [args, re] of cases) {
    const r = cli(args);
    t.equal(r.code, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, re, `${args.join(' ')}: message`);
    t.equal(r.stdout, '', `${args.join(' ')}: stdout empty`);
  }
  const h = cli(['demo', '--help']);
  t.equal(h.code, 0);
  t.match(h.stdout, /usage: tensordiff demo \[options\][\s\S]*--steps STEPS +training steps \(default/);
});

t.test('demo --steps 50 --json: report, decodable PNGs, checkpoint with the network shapes', async (t) => {
  const out = path.join(tmp, 'demo');
  const env: NodeJS.ProcessEnv = { ...ENV };
  delete env.TENSORDIFF_NUM_THREADS; // the demo's own default (1 thread)
  const r = cli(['demo', '--steps', '50', '--json', '--out', out, '--samples', '500'], env);
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  t.equal(lines.length, 1, 'one JSON object on stdout');
  const j = JSON.parse(lines[0]);
  t.match(j, { command: 'demo', data: 'checkerboard', steps: 50, stepsDone: 50, interrupted: false, batch: 512, seed: 0, threads: 1, sampler: 'heun', samples: 500 });
  t.equal(j.parameters, Object.values(NET_SHAPES).reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0));
  t.ok(j.finalLoss > 0 && j.finalLoss < ZERO_PREDICTOR_LOSS, `loss ${j.finalLoss} below the zero predictor's ${ZERO_PREDICTOR_LOSS.toFixed(3)}`);
  for (const k of ['trainSeconds', 'stepsPerSecond', 'slicedWasserstein', 'noiseSlicedWasserstein', 'seconds']) t.ok(Number.isFinite(j[k]) && j[k] >= 0, k);
  t.same(j.files, { samples: path.join(out, 'samples.png'), loss: path.join(out, 'loss.png'), checkpoint: path.join(out, 'model.safetensors') });
  const s = pixels(j.files.samples);
  t.same([s.width, s.height], [512, 512]);
  t.ok(s.count(ORANGE) > 100, 'samples drawn in orange');
  t.ok(s.count(BLUE) > 100, 'reference points drawn in blue');
  const l = pixels(j.files.loss);
  t.same([l.width, l.height], [640, 400]);
  t.ok(l.nonWhite > 200, 'the loss curve is drawn');
  const sd = td.io.load(j.files.checkpoint);
  t.same(Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, v.shape])), NET_SHAPES);
  td.dispose(Object.values(sd));
});

t.test('Ctrl-C during demo training: stops, writes the files, exits 130', async (t) => {
  const out = path.join(tmp, 'sigint');
  const env: NodeJS.ProcessEnv = { ...ENV };
  delete env.TENSORDIFF_NUM_THREADS;
  const child = spawn(process.execPath, [CLI, 'demo', '--steps', '10000000', '--out', out, '--samples', '300'], { env });
  let stdout = '', stderr = '', sent = false;
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!sent && /training a flow-matching MLP/.test(stdout)) {
        sent = true;
        setTimeout(() => child.kill('SIGINT'), 500);
      }
    });
    child.on('close', (c) => resolve(c));
  });
  t.equal(code, 130, stderr);
  t.match(stderr, /interrupted; stopping after this step/);
  t.match(stdout, /stopped after \d+ steps/);
  t.ok(pixels(path.join(out, 'samples.png')).count(ORANGE) > 10);
  t.ok(pixels(path.join(out, 'loss.png')).nonWhite > 0);
  const sd = td.io.load(path.join(out, 'model.safetensors'));
  t.same(Object.keys(sd).sort(), Object.keys(NET_SHAPES).sort());
  td.dispose(Object.values(sd));
});

t.test('examples: train-loop.js trains and saves, checkpoint-sample.js loads and samples', async (t) => {
  const ckpt = path.join(tmp, 'flow.safetensors'), png = path.join(tmp, 'flow-samples.png');
  const a = spawnSync(process.execPath, [path.join(EXAMPLES, 'train-loop.js'), '200', ckpt], { encoding: 'utf8', env: ENV, cwd: tmp, timeout: 120000 });
  t.equal(a.status, 0, a.stderr);
  const m = /step 200 loss ([0-9.]+)\nsaved /.exec(a.stdout);
  t.ok(m, a.stdout);
  t.ok(m && Number(m[1]) < ZERO_PREDICTOR_LOSS, 'the loss fell below the zero predictor');
  const sd = td.io.load(ckpt);
  t.same(Object.fromEntries(Object.entries(sd).map(([k, v]) => [k, v.shape])), NET_SHAPES);
  td.dispose(Object.values(sd));
  const b = spawnSync(process.execPath, [path.join(EXAMPLES, 'checkpoint-sample.js'), ckpt, png], { encoding: 'utf8', env: ENV, cwd: tmp, timeout: 120000 });
  t.equal(b.status, 0, b.stderr);
  t.match(b.stdout, /wrote .*flow-samples\.png and the 2000x2 samples/);
  t.ok(pixels(png).count(ORANGE) > 100);
  const x = td.io.load(path.join(tmp, 'flow-samples.safetensors')).samples;
  t.same(x.shape, [2000, 2]);
  t.ok(Array.from(x.dataSync()).every(Number.isFinite));
  x.dispose();
  const c = spawnSync(process.execPath, [path.join(EXAMPLES, 'checkpoint-sample.js'), path.join(tmp, 'missing.safetensors'), png], { encoding: 'utf8', env: ENV, cwd: tmp });
  t.not(c.status, 0, 'a missing checkpoint fails');
});
