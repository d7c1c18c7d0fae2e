// harness.ts — runs benchmark.js cases and prints one JSON line per case, plus a side-by-side
// PyTorch figure when /usr/bin/python3 can import torch (apt: python3-torch libopenblas0-pthread).
import { spawnSync } from 'child_process';
// eslint-disable-next-line @typescript-eslint/no-var-requires
const Benchmark = require('benchmark');

/** TENSORDIFF_BENCH_QUICK=1 (`tensordiff bench --quick`): 50 ms per case and no PyTorch runs (smoke tests). */
const QUICK = process.env.TENSORDIFF_BENCH_QUICK === '1';

export interface CaseResult {
  name: string;
  meanMs: number;
  rme: number;
  samples: number;
}

/** Time fn with benchmark.js; returns the mean time per call in ms. */
export function time(name: string, fn: () => void, maxTime = 2): CaseResult {
  if (QUICK) maxTime = Math.min(maxTime, 0.05);
  const b = new Benchmark(name, fn, { maxTime, minSamples: 5, initCount: 1 });
  b.run({ async: false });
  if (b.error) throw b.error;
  return { name, meanMs: b.stats.mean * 1e3, rme: b.stats.rme, samples: b.stats.sample.length };
}

let torchOk: boolean | null = null;
/** Run a snippet under PyTorch (2 threads) that prints a number of ms; null when torch is missing. */
export function torchMs(setup: string, stmt: string, reps = 10): number | null {
  if (torchOk === false || QUICK) return null;
  const py = [
    'import torch, time, statistics',
    'torch.set_num_threads(2)',
    setup,
    'for _ in range(2):',
    `    ${stmt}`,
    'ts=[]',
    `for _ in range(${reps}):`,
    '    t0=time.perf_counter()',
    `    ${stmt}`,
    '    ts.append(time.perf_counter()-t0)',
    'print(statistics.median(ts)*1e3)',
  ].join('\n');
  const r = spawnSync('/usr/bin/python3', ['-c', py], { encoding: 'utf8', timeout: 300000 });
  if (r.status !== 0) {
    // torch missing: stop asking; a snippet error: say so and go on
    if (/No module named|ENOENT/.test(`${r.stderr}${r.error ?? ''}`)) torchOk = false;
    else console.error(`torch snippet failed: ${r.stderr.split('\n').slice(-3).join(' ')}`);
    return null;
  }
  torchOk = true;
  return parseFloat(r.stdout.trim());
}

export function report(o: Record<string, unknown>): void {
  console.log(JSON.stringify(o));
}
