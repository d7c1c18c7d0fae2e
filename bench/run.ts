// run.ts — the engine microbenchmarks (issue #2): GEMM GFLOP/s at 128..2048 and batched,
// add/silu GB/s at 16M elements, and per-op overhead on 1-element tensors. Each case prints a JSON
// line with the achieved rate, the fraction of the machine's limit, and PyTorch's figure and the
// ratio when PyTorch is importable. Usage: npm run bench [-- gemm|elementwise|overhead]
import * as td from '../lib/index';
import { report, time, torchMs } from './harness';
import { LIMITS } from './limits';

const which = process.argv[2] ?? 'all';
const info = td.backend.info();
report({ machine: `${info.cpu.threads} threads, gemm ${info.cpu.gemmKernel}`, cuda: info.cuda.available, reason: info.cuda.reason });

function gemm(): void {
  for (const n of [128, 256, 512, 1024, 2048]) {
    const a = td.randn([n, n], { seed: 1 }), b = td.randn([n, n], { seed: 2 });
    const r = time(`matmul ${n}`, () => td.matmul(a, b).dispose(), n >= 1024 ? 4 : 2);
    const gflops = (2 * n * n * n) / (r.meanMs * 1e6);
    const pt = torchMs(`a=torch.randn(${n},${n}); b=torch.randn(${n},${n})`, 'torch.mm(a,b)');
    report({ case: `matmul ${n}x${n}x${n} f32`, ms: +r.meanMs.toFixed(3), gflops: +gflops.toFixed(1), ofPeak: +(gflops / LIMITS.fmaPeakGflops).toFixed(2),
      torchMs: pt, speedupVsTorch: pt ? +(pt / r.meanMs).toFixed(2) : null });
    a.dispose(); b.dispose();
  }
  const a = td.randn([64, 256, 256], { seed: 3 }), b = td.randn([64, 256, 256], { seed: 4 });
  const r = time('bmm 64x256', () => td.bmm(a, b).dispose(), 3);
  const gflops = (2 * 64 * 256 ** 3) / (r.meanMs * 1e6);
  const pt = torchMs('a=torch.randn(64,256,256); b=torch.randn(64,256,256)', 'torch.bmm(a,b)');
  report({ case: 'bmm 64x256x256x256 f32', ms: +r.meanMs.toFixed(3), gflops: +gflops.toFixed(1), ofPeak: +(gflops / LIMITS.fmaPeakGflops).toFixed(2),
    torchMs: pt, speedupVsTorch: pt ? +(pt / r.meanMs).toFixed(2) : null });
  a.dispose(); b.dispose();
}

function elementwise(): void {
  const n = 1 << 24;
  const a = td.randn([n], { seed: 5 }), b = td.randn([n], { seed: 6 });
  const cases: [string, () => td.Tensor, number, string][] = [
    ['add', () => td.add(a, b), 12, 'torch.add(a,b)'],
    ['silu', () => td.silu(a), 8, 'torch.nn.functional.silu(a)'],
    ['gelu', () => td.gelu(a), 8, 'torch.nn.functional.gelu(a)'],
    ['sum', () => td.sum(a), 4, 'torch.sum(a)'],
  ];
  for (const [name, fn, bytes, stmt] of cases) {
    const r = time(`${name} 16M`, () => fn().dispose(), 2);
    const gbs = (bytes * n) / (r.meanMs * 1e6);
    const pt = torchMs(`a=torch.randn(${n}); b=torch.randn(${n})`, stmt);
    report({ case: `${name} 16M f32 (fresh output)`, ms: +r.meanMs.toFixed(3), gbs: +gbs.toFixed(1), ofStream: +(gbs / LIMITS.streamGBs).toFixed(2),
      torchMs: pt, speedupVsTorch: pt ? +(pt / r.meanMs).toFixed(2) : null });
  }
  a.dispose(); b.dispose();
}

function overhead(): void {
  const a = td.tensor([1]), b = td.tensor([2]);
  const r = time('tiny add', () => td.add(a, b).dispose(), 2);
  const pt = torchMs('a=torch.ones(1); b=torch.ones(1)', 'for _ in range(10000): torch.add(a,b)');
  report({ case: 'add on 1-element tensors, per op', us: +(r.meanMs * 1e3).toFixed(3), torchUs: pt ? +(pt / 10).toFixed(3) : null,
    speedupVsTorch: pt ? +((pt / 10) / (r.meanMs * 1e3)).toFixed(2) : null });
  const r2 = time('tiny add in tidy', () => td.tidy(() => { td.add(a, b); }), 2);
  report({ case: 'add on 1-element tensors inside tidy, per op', us: +(r2.meanMs * 1e3).toFixed(3) });
  const r3 = time('tiny mul+sum', () => td.tidy(() => { td.sum(td.mul(a, b)); }), 2);
  report({ case: 'mul+sum on 1-element tensors, per 2 ops', us: +(r3.meanMs * 1e3).toFixed(3) });
}

if (which === 'all' || which === 'overhead') overhead();
if (which === 'all' || which === 'elementwise') elementwise();
if (which === 'all' || which === 'gemm') gemm();
