// optim.ts — benchmark of the fused Adam step (issue #3): one AdamW step over 16M float32 parameters
// reads p, g, m, v and writes p, m, v (28 bytes/element), reported in GB/s against the machine's STREAM
// bandwidth, against the same update composed from td elementwise ops, and against PyTorch's
// torch.optim.AdamW step when python3 + torch are present. Usage: node dist/bench/optim.js
import * as td from '../lib/index';
import * as optim from '../lib/optim';
import { native } from '../lib/native';
import { LIMITS } from './limits';
import { report, time, torchMs } from './harness';

const info = td.backend.info();
report({ machine: `${info.cpu.threads} threads, adam kernel ${native.optimKernel()}`, streamGBs: LIMITS.streamGBs });

const gbs = (bytes: number, ms: number) => +(bytes / (ms * 1e6)).toFixed(1);

const n = 1 << 24;
const p = td.randn([n], { seed: 1, requiresGrad: true });
p.grad = td.mul(td.randn([n], { seed: 2 }), 1e-2);
const lr = 1e-3, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.01;

// fused: one native pass per step
const opt = new optim.AdamW([p], { lr, betas: [b1, b2], eps, weightDecay: wd });
const rf = time('AdamW fused', () => opt.step(), 3);

// composed from td ops (new state tensors each step; the old ones are freed)
let m = td.zeros([n]), v = td.zeros([n]), q = td.detach(p).clone(), t = 0;
const g = p.grad;
const rc = time('AdamW composed', () => {
  t++;
  const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t;
  const [nq, nm, nv] = td.tidy(() => {
    const pd = td.mul(q, 1 - lr * wd);
    const nm = td.add(td.mul(m, b1), td.mul(g, 1 - b1));
    const nv = td.add(td.mul(v, b2), td.mul(td.square(g), 1 - b2));
    const denom = td.add(td.div(td.sqrt(nv), Math.sqrt(bc2)), eps);
    return [td.sub(pd, td.mul(td.div(nm, denom), lr / bc1)), nm, nv];
  });
  [q, m, v].forEach((x) => x.dispose());
  [q, m, v] = [nq, nm, nv];
}, 3);

const pt = torchMs(`p=torch.randn(${n},requires_grad=True); p.grad=torch.randn(${n})*1e-2; opt=torch.optim.AdamW([p],lr=${lr},weight_decay=${wd})`, 'opt.step()', 5);
report({
  case: `AdamW step [${n}] f32`, ms: +rf.meanMs.toFixed(2), GBs: gbs(28 * n, rf.meanMs), ofStream: +(gbs(28 * n, rf.meanMs) / LIMITS.streamGBs).toFixed(2),
  composedMs: +rc.meanMs.toFixed(2), speedupVsComposed: +(rc.meanMs / rf.meanMs).toFixed(2),
  torchMs: pt, speedupVsTorch: pt ? +(pt / rf.meanMs).toFixed(2) : null,
});
opt.dispose();
[p, m, v, q].forEach((x) => x.dispose());
