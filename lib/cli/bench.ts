// bench.ts — `tensordiff bench [suite[:case]...]`: runs the benchmark files compiled under
// dist/bench (run, fused, nn-ops, optim, models) in child processes, collects their JSON lines and
// prints a table per suite, or the JSON lines (each with its suite) under --json. --quick sets
// TENSORDIFF_BENCH_QUICK=1 (50 ms per case, no PyTorch comparison) for smoke tests.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ParsedArgs, UsageError } from './args';
import { CommandContext } from './commands';
import { startProgress } from './progress';
import { formatTable } from './table';

/** The bench files and the cases each accepts as its first argument ([] = no selection). */
export const SUITES: Readonly<Record<string, readonly string[]>> = {
  run: ['overhead', 'elementwise', 'gemm'],
  fused: ['losses', 'cld'],
  'nn-ops': [],
  optim: [],
  models: ['mlp', 'block'],
};

/** One benchmark to run: a suite and optionally one of its cases. */
export interface BenchJob {
  suite: string;
  case?: string;
}

/** Turns `run`, `fused:cld` or a bare case name (`gemm`) into jobs. @throws UsageError */
export function resolveJobs(specs: readonly string[]): BenchJob[] {
  if (specs.length === 0) return Object.keys(SUITES).map((suite) => ({ suite }));
  const all = Object.entries(SUITES).map(([s, cs]) => (cs.length ? `${s} (${cs.join(', ')})` : s)).join('; ');
  return specs.map((spec) => {
    const [suite, c, extra] = spec.split(':');
    if (extra === undefined && suite in SUITES) {
      if (c === undefined) return { suite };
      if (SUITES[suite].includes(c)) return { suite, case: c };
      throw new UsageError(`suite '${suite}' has no case '${c}'; cases: ${SUITES[suite].join(', ') || 'none'}`, 'bench');
    }
    if (c === undefined) {
      const owner = Object.keys(SUITES).find((s) => SUITES[s].includes(suite));
      if (owner) return { suite: owner, case: suite };
    }
    throw new UsageError(`unknown benchmark '${spec}'; suites (cases): ${all}`, 'bench');
  });
}

/** Where the compiled bench files live (dist/bench next to dist/lib). */
export function benchDir(): string {
  return path.join(__dirname, '..', '..', 'bench');
}

function runJob(job: BenchJob, quick: boolean, onLine: (o: Record<string, unknown>) => void, stderr: NodeJS.WritableStream): Promise<number> {
  const file = path.join(benchDir(), `${job.suite}.js`);
  if (!fs.existsSync(file))
    throw new Error(`the benchmarks are not part of this install (${file} is missing); run from a source checkout after \`npm run build:ts\``);
  const env = { ...process.env };
  if (quick) env.TENSORDIFF_BENCH_QUICK = '1';
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...(job.case ? [job.case] : [])], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        try {
          onLine(JSON.parse(line) as Record<string, unknown>);
        } catch {
          stderr.write(`${job.suite}: ${line}\n`);
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => stderr.write(d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
  });
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const KNOWN = new Set(['case', 'suite', 'ms', 'us', 'gflops', 'gbs', 'GBs', 'ofPeak', 'ofStream', 'torchMs', 'torchUs', 'speedupVsTorch']);

/** One table row of a case line: case, time, rate, of limit, PyTorch, vs PyTorch, other fields. */
export function caseRow(o: Record<string, unknown>): string[] {
  const ms = num(o.ms), us = num(o.us);
  const time = ms !== undefined ? `${ms} ms` : us !== undefined ? `${us} us` : '';
  const gf = num(o.gflops), gb = num(o.gbs) ?? num(o.GBs);
  const rate = gf !== undefined ? `${gf} GFLOP/s` : gb !== undefined ? `${gb} GB/s` : '';
  const op = num(o.ofPeak), os = num(o.ofStream);
  const limit = op !== undefined ? `${Math.round(op * 100)}% FMA peak` : os !== undefined ? `${Math.round(os * 100)}% STREAM` : '';
  const tm = num(o.torchMs), tu = num(o.torchUs);
  const torch = tm !== undefined ? `${tm.toPrecision(3)} ms` : tu !== undefined ? `${tu} us` : '';
  const sp = num(o.speedupVsTorch);
  const rest = Object.entries(o)
    .filter(([k, v]) => !KNOWN.has(k) && v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return [String(o.case), time, rate, limit, torch, sp !== undefined ? `${sp}x` : '', rest];
}

/** Runs `tensordiff bench`; returns the exit code (1 when a suite failed, 130 when interrupted). */
export async function runBench(args: ParsedArgs, ctx: CommandContext): Promise<number> {
  const jobs = resolveJobs(args.positionals);
  const quick = args.options.quick === true;
  const bar = startProgress('bench', jobs.length, ctx.progress, { unit: 'suites' });
  const out: string[] = [];
  let failed = 0;
  try {
    for (let j = 0; j < jobs.length; j++) {
      const job = jobs[j];
      const name = job.case ? `${job.suite}:${job.case}` : job.suite;
      const cases: Record<string, unknown>[] = [];
      const notes: string[] = [];
      const code = await runJob(job, quick, (o) => {
        if (ctx.json) ctx.stdout.write(JSON.stringify({ suite: name, ...o }) + '\n');
        else if (typeof o.case === 'string') cases.push(o);
        else notes.push(Object.entries(o).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' '));
      }, ctx.stderr);
      if (code === 130) return 130;
      if (code !== 0) {
        failed++;
        ctx.stderr.write(`tensordiff bench: ${name} exited with code ${code}\n`);
      }
      // the tables are printed at the end so they do not break the progress bar
      out.push(`== ${name}${quick ? ' (quick: rough figures)' : ''}`, ...notes.map((n) => `   ${n}`));
      if (cases.length) {
        const header = ['case', 'time', 'rate', 'of limit', 'PyTorch', 'vs PyTorch', 'other'];
        const rows = cases.map(caseRow);
        const keep = header.map((_, i) => i === 0 || rows.some((r) => r[i] !== '')); // drop empty columns
        out.push(formatTable(header.filter((_, i) => keep[i]), rows.map((r) => r.filter((_, i) => keep[i]))));
      }
      out.push('');
      bar.update(j + 1);
    }
  } finally {
    bar.stop();
  }
  if (!ctx.json) ctx.stdout.write(out.join('\n'));
  return failed ? 1 : 0;
}
