// cuda.ts — CUDA benchmarks (issue #5), one JSON line per case. Without a usable GPU it prints one
// {"skip": "cuda: <reason>"} line and exits 0. On a GPU it measures, each after a warm-up, timing with
// td.cuda.synchronize() around the loop:
//  * the roofline: device-to-device copy bandwidth (cudaMemcpyAsync of 1 GiB) — the fused kernels are
//    reported as a fraction of it (goal ≥ 85%);
//  * the fused kernels (weightedMse fwd+bwd, sigmoidElbo fwd+bwd, cldAffine with noise, the Adam step)
//    against the same math composed from td's primitive ops, and against PyTorch eager and
//    torch.compile of the same math on the same GPU when `python3 -c "import torch"` works there;
//  * GEMM 4096² float32 GFLOP/s (own tiled kernel) against torch.matmul (TF32 off);
//  * per-op launch overhead: a 1-element add, asynchronous (launch only) and synchronised.
// Usage: node dist/bench/cuda.js [--quick]
import { spawnSync } from 'child_process';
import * as td from '../lib/index';
import { cldAffine } from '../lib/diffusion/cldKernel';
import { sigmoidElbo, weightedMse } from '../lib/diffusion/fused';
import { native } from '../lib/native';

const QUICK = process.argv.includes('--quick');
const out = (o: Record<string, unknown>): void => console.log(JSON.stringify(o));

/** Median ms per call of fn over `reps` synchronised runs (after 2 warm-ups). */
function timeMs(fn: () => void, reps = QUICK ? 5 : 20): number {
  for (let i = 0; i < 2; i++) fn();
  td.cuda.synchronize();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    td.cuda.synchronize();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return ts[ts.length >> 1];
}
const gbs = (bytes: number, ms: number): number => +(bytes / (ms * 1e6)).toFixed(1);

let torchOk: boolean | null = null;
/** Median ms of stmt in PyTorch on the GPU (eager, or torch.compile of `fn` when compiled), or null. */
function torchMs(setup: string, stmt: string, reps = QUICK ? 5 : 20): number | null {
  if (torchOk === false) return null;
  const py = [
    'import torch, time, statistics',
    'torch.backends.cuda.matmul.allow_tf32 = False',
    setup,
    'for _ in range(3):',
    `    ${stmt}`,
    'torch.cuda.synchronize()',
    'ts=[]',
    `for _ in range(${reps}):`,
    '    t0=time.perf_counter()',
    `    ${stmt}`,
    '    torch.cuda.synchronize()',
    '    ts.append(time.perf_counter()-t0)',
    'print(statistics.median(ts)*1e3)',
  ].join('\n');
  const r = spawnSync('python3', ['-c', py], { encoding: 'utf8', timeout: 600000 });
  if (r.status !== 0) {
    if (/No module named|ENOENT/.test(`${r.stderr}${r.error ?? ''}`)) torchOk = false;
    else console.error(`torch snippet failed: ${(r.stderr ?? '').split('\n').slice(-3).join(' ')}`);
    return null;
  }
  torchOk = true;
  return parseFloat(r.stdout.trim());
}

function main(): void {
  if (!td.cuda.isAvailable()) {
    out({ skip: `cuda: ${td.cuda.reason()}` });
    return;
  }
  const info = td.backend.info().cuda;
  out({ device: info.deviceName, computeCapability: info.computeCapability, gemmKernel: info.gemmKernel, runtimeVersion: info.runtimeVersion });

  // ---- roofline: device-to-device copy -------------------------------------------------------------
  const NC = QUICK ? 1 << 26 : 1 << 28; // float32 elements (1 GiB)
  const a = td.zeros([NC], { device: 'cuda' }), b = td.zeros([NC], { device: 'cuda' });
  const ha = a._storage!.handle!, hb = b._storage!.handle!;
  const copyMs = timeMs(() => native.copy(hb, 0, ha, 0, NC));
  const copyGBs = gbs(2 * 4 * NC, copyMs);
  out({ case: 'd2d copy (cudaMemcpyAsync)', bytes: 8 * NC, ms: +copyMs.toFixed(3), GBs: copyGBs });
  const cloneMs = timeMs(() => td.tidy(() => void td.clone(a)));
  out({ case: 'clone (copy kernel)', ms: +cloneMs.toFixed(3), GBs: gbs(8 * NC, cloneMs), ofCopy: +(gbs(8 * NC, cloneMs) / copyGBs).toFixed(3) });
  td.dispose([a, b]);

  const fused = (name: string, bytes: number, fusedFn: () => void, composedFn: () => void, torchSetup: string, torchStmt: string, compileStmt: string) => {
    const ms = timeMs(fusedFn);
    const cms = timeMs(composedFn);
    const te = torchMs(torchSetup, torchStmt);
    const tc = torchMs(`${torchSetup}\nf = torch.compile(lambda: ${compileStmt})`, 'f()');
    out({
      case: name, ms: +ms.toFixed(3), GBs: gbs(bytes, ms), ofCopy: +(gbs(bytes, ms) / copyGBs).toFixed(3),
      composedMs: +cms.toFixed(3), vsComposed: +(cms / ms).toFixed(2),
      torchEagerMs: te, vsTorchEager: te ? +(te / ms).toFixed(2) : null,
      torchCompileMs: tc, vsTorchCompile: tc ? +(tc / ms).toFixed(2) : null,
    });
  };

  // ---- fused losses: [256, 65536] float32, forward + backward (read pred, target; write grad) -------
  const B = 256, N = QUICK ? 16384 : 65536;
  const p = td.randn([B, N], { seed: 1, device: 'cuda' }).requiresGrad_();
  const q = td.randn([B, N], { seed: 2, device: 'cuda' });
  const w = td.rand([B], { seed: 3, device: 'cuda' });
  const lam = td.sub(td.mul(td.rand([B], { seed: 4, device: 'cuda' }), 30), 15);
  const dl = td.mul(td.rand([B], { seed: 5, device: 'cuda' }), -10);
  const step = (f: () => td.Tensor) => () => {
    td.tidy(() => f().backward());
    p.grad?.dispose();
    p.grad = null;
  };
  const tset = `B, N = ${B}, ${N}\np = torch.randn(B, N, device='cuda', requires_grad=True)\nq = torch.randn(B, N, device='cuda')\nw = torch.rand(B, device='cuda')`;
  const wm = '((w[:, None] * (p - q) ** 2).sum(1)).mean()';
  fused('weightedMse fwd+bwd', 12 * B * N, step(() => weightedMse(p, q, w)),
    step(() => td.mean(td.sum(td.mul(td.unsqueeze(w, 1), td.square(td.sub(p, q))), 1))),
    tset, `${wm}.backward(); p.grad = None`, `torch.autograd.grad(${wm}, p)`);
  const el = 'torch.sigmoid(1 - lam) * (-dl) * 0.5'; // the ω of the sigmoid weighting (ε-parameterisation)
  const tsetE = `${tset}\nlam = torch.rand(B, device='cuda') * 30 - 15\ndl = torch.rand(B, device='cuda') * -10`;
  fused('sigmoidElbo fwd+bwd', 12 * B * N, step(() => sigmoidElbo(p, q, lam, dl, { bias: 1 })),
    step(() => td.mean(td.sum(td.mul(td.unsqueeze(td.mul(td.mul(td.sigmoid(td.sub(1, lam)), td.neg(dl)), 0.5), 1), td.square(td.sub(p, q))), 1))),
    tsetE, `((${el})[:, None] * (p - q) ** 2).sum(1).mean().backward(); p.grad = None`,
    `torch.autograd.grad(((${el})[:, None] * (p - q) ** 2).sum(1).mean(), p)`);
  td.dispose([p, q, w, lam, dl]);

  // ---- CLD affine with noise: 16M elements x, v, s -> x', v' (20 bytes/element) ---------------------
  const n = QUICK ? 1 << 22 : 1 << 24;
  const x = td.randn([n], { seed: 6, device: 'cuda' }), v = td.randn([n], { seed: 7, device: 'cuda' }), s = td.randn([n], { seed: 8, device: 'cuda' });
  const coef = td.tensor([0.9, 0.1, 0.05, -0.2, 0.8, 0.01, 0.3, 0.02, 0.4], { dtype: 'float64', device: 'cuda' });
  const cf = [0.9, 0.1, 0.05, -0.2, 0.8, 0.01, 0.3, 0.02, 0.4];
  fused('cldAffine with noise', 20 * n,
    () => td.tidy(() => void cldAffine(x, v, s, coef, { seed: 9 })),
    () => td.tidy(() => {
      const zx = td.randn([n], { device: 'cuda' }), zv = td.randn([n], { device: 'cuda' });
      void td.add(td.add(td.add(td.mul(x, cf[0]), td.mul(v, cf[1])), td.mul(s, cf[2])), td.mul(zx, cf[6]));
      void td.add(td.add(td.add(td.add(td.mul(x, cf[3]), td.mul(v, cf[4])), td.mul(s, cf[5])), td.mul(zx, cf[7])), td.mul(zv, cf[8]));
    }),
    `n = ${n}\nx, v, s = (torch.randn(n, device='cuda') for _ in range(3))\nc = ${JSON.stringify(cf)}`,
    'zx = torch.randn(n, device="cuda"); zv = torch.randn(n, device="cuda"); ox = c[0]*x + c[1]*v + c[2]*s + c[6]*zx; ov = c[3]*x + c[4]*v + c[5]*s + c[7]*zx + c[8]*zv',
    '(lambda zx, zv: (c[0]*x + c[1]*v + c[2]*s + c[6]*zx, c[3]*x + c[4]*v + c[5]*s + c[7]*zx + c[8]*zv))(torch.randn(n, device="cuda"), torch.randn(n, device="cuda"))');
  td.dispose([x, v, s, coef]);

  // ---- Adam step: 16M float32 parameters (read p, g, m, v; write p, m, v: 28 bytes/element) ---------
  const wp = td.randn([n], { seed: 10, device: 'cuda' }).requiresGrad_();
  wp.grad = td.randn([n], { seed: 11, device: 'cuda' });
  const opt = new td.optim.Adam([wp], { lr: 1e-3 });
  fused('Adam step', 28 * n, () => opt.step(), () => td.tidy(() => {
    void td.add(td.mul(wp.grad!, 0.1), td.mul(wp.grad!, 0.9));
    void td.add(td.mul(td.square(wp.grad!), 0.001), td.mul(wp.grad!, 0.999));
    void td.sub(wp, td.div(td.mul(wp.grad!, 1e-3), td.add(td.sqrt(td.abs(wp.grad!)), 1e-8)));
  }), `n = ${n}\np = torch.randn(n, device='cuda', requires_grad=True)\np.grad = torch.randn(n, device='cuda')\nopt = torch.optim.Adam([p], lr=1e-3, foreach=False, fused=False)`,
  'opt.step()', 'opt.step()');
  wp.grad.dispose();
  wp.dispose();

  // ---- GEMM 4096² float32 -------------------------------------------------------------------------
  const G = QUICK ? 2048 : 4096;
  const ga = td.randn([G, G], { seed: 12, device: 'cuda' }), gb = td.randn([G, G], { seed: 13, device: 'cuda' });
  const gms = timeMs(() => td.tidy(() => void td.matmul(ga, gb)), QUICK ? 3 : 10);
  const tms = torchMs(`a = torch.randn(${G}, ${G}, device='cuda'); b = torch.randn(${G}, ${G}, device='cuda')`, 'c = a @ b');
  const gf = (ms: number) => +((2 * G ** 3) / (ms * 1e6)).toFixed(0);
  out({ case: `matmul ${G}x${G} float32`, ms: +gms.toFixed(3), GFLOPs: gf(gms), torchMs: tms, torchGFLOPs: tms ? gf(tms) : null, ofTorch: tms ? +(tms / gms).toFixed(3) : null });
  td.dispose([ga, gb]);

  // ---- launch overhead ------------------------------------------------------------------------------
  const t1 = td.ones([1], { device: 'cuda' });
  const K = 20000;
  td.cuda.synchronize();
  let t0 = performance.now();
  for (let i = 0; i < K; i++) td.add(t1, t1).dispose();
  const launchUs = ((performance.now() - t0) * 1000) / K;
  td.cuda.synchronize();
  t0 = performance.now();
  for (let i = 0; i < 2000; i++) {
    const y = td.add(t1, t1);
    td.cuda.synchronize();
    y.dispose();
  }
  const syncUs = ((performance.now() - t0) * 1000) / 2000;
  const tl = torchMs("x = torch.ones(1, device='cuda')", 'y = x + x', 2000);
  out({ case: 'add [1] per op', asyncUs: +launchUs.toFixed(2), syncedUs: +syncUs.toFixed(2), torchSyncedUs: tl ? +(tl * 1000).toFixed(2) : null });
  t1.dispose();
  out({ memory: td.cuda.memory() });
}

main();
