// io-atomic.test.ts — crash safety of td.io.save / saveAsync: a child process saving a large
// checkpoint over a good one is SIGKILLed once it has started writing, several times; the
// previous checkpoint must still load with its old values, and the temporary files left behind
// must not get in the way of later loads and saves.
import t from 'tap';
import * as cp from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as td from '../lib/index';
import * as io from '../lib/io';
import { rng } from './helpers/check';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-io-atomic-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const target = path.join(dir, 'ckpt.safetensors');
const CHILD = path.join(__dirname, 'helpers', 'io-save-child.js');
const NUMEL = 24 * 2 ** 20; // 96 MiB of float32: slow enough to be caught mid-write
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const temps = () => fs.readdirSync(dir).filter((f) => f.startsWith('.ckpt.safetensors.') && f.endsWith('.tmp'));

/** Writes the "old" checkpoint of round i. */
function saveOld(i: number): void {
  const w = td.tensor([1, 2, 3]), round = td.tensor([i], { dtype: 'int32' });
  io.save({ w, round }, target, { gen: 'old' });
  w.dispose();
  round.dispose();
}

/** Every file of the folder with its size. */
function snapshot(): Map<string, number> {
  const m = new Map<string, number>();
  for (const f of fs.readdirSync(dir)) {
    try { m.set(f, fs.statSync(path.join(dir, f)).size); } catch { /* renamed meanwhile */ }
  }
  return m;
}

/** Loads the target and says which checkpoint it holds ('old i', 'new' or a description of the damage). */
function whatIsThere(): string {
  let r: Record<string, td.Tensor>;
  try {
    r = io.load(target);
  } catch (e) {
    return `damaged: ${(e as Error).message}`;
  }
  try {
    const names = Object.keys(r).sort().join(',');
    const md = io.readHeader(target).metadata.gen;
    if (names === 'round,w' && md === 'old' && r.w.toArray().toString() === '1,2,3') return `old ${r.round.item()}`;
    if (names === 'big,w' && md === 'new' && r.w.toArray().toString() === '4,5,6' && r.big.numel === NUMEL && r.big.min().item() === 7 && r.big.max().item() === 7) return 'new';
    return `unexpected: ${names} ${md}`;
  } finally {
    Object.values(r).forEach((x) => x.dispose());
  }
}

t.test('SIGKILL mid-save leaves the previous checkpoint intact', async (t) => {
  const r = rng(7);
  let caught = 0;
  const rounds = 6;
  for (let i = 0; i < rounds; i++) {
    saveOld(i);
    const before = new Set(temps());
    const sizes = snapshot();
    const mode = i % 2 ? 'async' : 'sync';
    const child = cp.spawn(process.execPath, [CHILD, target, String(NUMEL), mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('exit', (code, signal) => res({ code, signal })));
    let exitedEarly = false;
    void exited.then(() => (exitedEarly = true));
    // wait until the child has started writing: some file in the folder (its temporary file, or the
    // target itself if a save were not atomic) is new or changed size
    let writing: string | null = null;
    for (let spins = 0; spins < 20000 && !exitedEarly && writing === null; spins++) {
      for (const [f, size] of snapshot()) if (size > 0 && sizes.get(f) !== size) writing = f;
      if (writing === null) await sleep(1);
    }
    const tmpName = writing !== null && !before.has(writing) && writing !== path.basename(target) ? writing : null;
    if (writing) await sleep(Math.floor(r() * 20)); // land the kill at a seeded point of the write
    child.kill('SIGKILL');
    const { code, signal } = await exited;
    const state = whatIsThere();
    if (signal === 'SIGKILL' && !out.includes('done')) {
      const left = tmpName !== null && fs.existsSync(path.join(dir, tmpName));
      // killed before the rename: the old file is there, whole; after it: the new one, whole
      t.ok(state === `old ${i}` || (state === 'new' && !left), `round ${i} (${mode}): killed mid-save, target holds ${state}`, { left, err });
      if (state === `old ${i}` && left) caught++;
    } else {
      t.equal(state, 'new', `round ${i} (${mode}): the child finished (code ${code}) before the kill; target holds the new checkpoint`, { err });
    }
  }
  t.ok(caught >= 1, `at least one kill landed mid-write with the old checkpoint intact (${caught} of ${rounds})`);

  // the leftovers are incomplete files with distinct names; they do not affect the target
  const left = temps();
  t.ok(left.length >= caught, `temporary files left behind: ${left.length}`);
  for (const f of left) {
    let verdict: string;
    try {
      const got = io.load(path.join(dir, f));
      verdict = Object.keys(got).sort().join(',') === 'big,w' ? 'complete' : 'wrong';
      Object.values(got).forEach((x) => x.dispose());
    } catch (e) {
      verdict = e instanceof io.SafetensorsError ? 'rejected' : `crashed: ${e}`;
    }
    t.ok(verdict === 'rejected' || verdict === 'complete', `leftover ${f}: ${verdict} (a torn file is rejected, not loaded)`);
  }
  t.match(whatIsThere(), /^old \d$/, 'the target still loads with the old values');
  // a later save goes through with the leftovers still present, and replaces the target
  const w = td.tensor([9, 8, 7]);
  io.save({ w }, target);
  await io.saveAsync({ w }, target);
  const back = io.load(target);
  t.same(back.w.toArray(), [9, 8, 7], 'a save after the crashes replaces the target');
  t.same(Object.keys(back), ['w'], 'and holds only the new tensors');
  back.w.dispose();
  w.dispose();
  t.same(temps().sort(), left.sort(), 'successful saves leave no temporary file of their own');
});
