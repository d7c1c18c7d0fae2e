// fused.ts — benchmarks of the fused diffusion kernels (issue #4): weightedMse and sigmoidElbo
// forward + backward on [256, 65536] float32 (12 bytes/element: read pred and target, write the
// gradient) and the CLD SSCS-like update on 16M-element x, v, s with in-kernel noise (20
// bytes/element), each against the same math composed from primitive td ops and against the STREAM
// bandwidth of the machine. Usage: node dist/bench/fused.js
import * as td from '../lib/index';
import { weightedMse, sigmoidElbo } from '../lib/diffusion/fused';
import { cldAffine } from '../lib/diffusion/cldKernel';
import { native } from '../lib/native';
import { LIMITS } from './limits';
import { report, time, torchMs } from './harness';

const info = td.backend.info();
report({ machine: `${info.cpu.threads} threads, fused kernels ${native.fusedKernel()}`, streamGBs: LIMITS.streamGBs });

function gbs(bytes: number, ms: number): number {
  return +(bytes / (ms * 1e6)).toFixed(1);
}

function losses(): void {
  const B = 256, N = 65536, n = B * N;
  const p = td.randn([B, N], { seed: 1 }), q = td.randn([B, N], { seed: 2 });
  p.requiresGrad = true;
  const w = td.rand([B], { seed: 3 });
  const lam = td.sub(td.mul(td.rand([B], { seed: 4 }), 30), 15), dl = td.mul(td.rand([B], { seed: 5 }), -10);
  const step = (f: () => td.Tensor) => () => {
    td.tidy(() => {
      f().backward();
    });
    p.grad?.dispose();
    p.grad = null;
  };
  const wcol = td.reshape(w, [B, 1]);
  const cases: [string, () => td.Tensor, () => td.Tensor, string][] = [
    ['weightedMse', () => weightedMse(p, q, w), () => td.mean(td.mul(td.sum(td.square(td.sub(p, q)), 1, true), wcol)),
      'loss=(((p-q)**2).sum(1)*w).mean(); loss.backward(); p.grad=None'],
    ['sigmoidElbo eps', () => sigmoidElbo(p, q, lam, dl), () => {
      const om = td.mul(td.mul(td.sigmoid(td.neg(lam)), td.neg(dl)), 0.5);
      return td.mean(td.mul(td.sum(td.square(td.sub(p, q)), 1), om));
    }, 'om=0.5*torch.sigmoid(-lam)*(-dl); loss=(((p-q)**2).sum(1)*om).mean(); loss.backward(); p.grad=None'],
  ];
  for (const [name, fused, composed, py] of cases) {
    const rf = time(`${name} fused`, step(fused), 3);
    const rc = time(`${name} composed`, step(composed), 3);
    const pt = torchMs(`p=torch.randn(${B},${N},requires_grad=True); q=torch.randn(${B},${N}); w=torch.rand(${B}); lam=torch.rand(${B})*30-15; dl=-10*torch.rand(${B})`, py, 5);
    report({ case: `${name} fwd+bwd [${B}, ${N}] f32`, ms: +rf.meanMs.toFixed(2), GBs: gbs(12 * n, rf.meanMs),
      ofStream: +(gbs(12 * n, rf.meanMs) / LIMITS.streamGBs).toFixed(2), targetMs: 8, composedMs: +rc.meanMs.toFixed(2),
      speedupVsComposed: +(rc.meanMs / rf.meanMs).toFixed(2), torchMs: pt, speedupVsTorch: pt ? +(pt / rf.meanMs).toFixed(2) : null });
  }
  td.dispose([p, q, w, lam, dl, wcol]);
}

function cld(): void {
  const n = 1 << 24;
  const x = td.randn([n], { seed: 6 }), v = td.randn([n], { seed: 7 }), s = td.randn([n], { seed: 8 });
  // SSCS-like coefficients (any dense 2x3 map + a full Cholesky factor)
  const c = [0.9, 0.1, 0.02, -0.3, 0.8, 0.5, 0.05, -0.01, 0.2];
  const coef = td.tensor(c, { dtype: 'float64' });
  let seed = 1;
  const rf = time('cldAffine fused', () => {
    const r = cldAffine(x, v, s, coef, { seed: seed++ });
    r.x.dispose();
    r.v.dispose();
  }, 3);
  const rc = time('cldAffine composed', () => {
    td.tidy(() => {
      const ex = td.randn([n], { seed: seed++ }), ev = td.randn([n], { seed: seed++ });
      const ox = td.add(td.add(td.add(td.mul(x, c[0]), td.mul(v, c[1])), td.mul(s, c[2])), td.mul(ex, c[6]));
      const ov = td.add(td.add(td.add(td.add(td.mul(x, c[3]), td.mul(v, c[4])), td.mul(s, c[5])), td.mul(ex, c[7])), td.mul(ev, c[8]));
      return [ox, ov];
    }).forEach((t) => t.dispose());
  }, 3);
  const pt = torchMs(`x=torch.randn(${n}); v=torch.randn(${n}); s=torch.randn(${n}); c=[${c.join(',')}]`,
    'ex=torch.randn(x.shape); ev=torch.randn(x.shape); ox=c[0]*x+c[1]*v+c[2]*s+c[6]*ex; ov=c[3]*x+c[4]*v+c[5]*s+c[7]*ex+c[8]*ev', 5);
  report({ case: `cldAffine SSCS-like [${n}] f32 with noise`, ms: +rf.meanMs.toFixed(2), GBs: gbs(20 * n, rf.meanMs),
    ofStream: +(gbs(20 * n, rf.meanMs) / LIMITS.streamGBs).toFixed(2), targetMs: 25, composedMs: +rc.meanMs.toFixed(2),
    speedupVsComposed: +(rc.meanMs / rf.meanMs).toFixed(2), torchMs: pt, speedupVsTorch: pt ? +(pt / rf.meanMs).toFixed(2) : null });
  const rn = time('cldAffine no noise', () => {
    const r = cldAffine(x, v, s, coef, { noise: false });
    r.x.dispose();
    r.v.dispose();
  }, 2);
  report({ case: `cldAffine [${n}] f32 noise:false`, ms: +rn.meanMs.toFixed(2), GBs: gbs(20 * n, rn.meanMs), ofStream: +(gbs(20 * n, rn.meanMs) / LIMITS.streamGBs).toFixed(2) });
  td.dispose([x, v, s, coef]);
}

const which = process.argv[2] ?? 'all';
if (which === 'all' || which === 'losses') losses();
if (which === 'all' || which === 'cld') cld();
