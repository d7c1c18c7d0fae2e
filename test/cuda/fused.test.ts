// fused.test.ts — the fused kernels' CUDA launchers (native/cuda/fused.cu, optim.cu over the shared math
// of native/kernels/) against the CPU: weighted MSE and sigmoid ELBO (loss, per-sample, gradient),
// the CLD affine step with its in-kernel Philox noise, and the Adam/AdamW step. Skipped with the reason
// where CUDA is not usable.
import * as td from '../../lib/index';
import { both, cudaTest, input } from './helpers';

const { weightedMse, sigmoidElbo, cldAffine } = td.diffusion;

cudaTest('weightedMse and sigmoidElbo: loss, perSample, gradient', (t) => {
  for (const dt of ['float32', 'float64'] as const) {
    const tol = dt === 'float32' ? 1e-5 : 1e-12;
    for (const shape of [[4, 3, 8, 8], [2, 70000], [1, 5]]) {
      const B = shape[0];
      both(t, `weightedMse ${dt} ${JSON.stringify(shape)}`, (d) => {
        const p = input(d, shape, 1, dt).requiresGrad_();
        const q = input(d, shape, 2, dt);
        const w = td.abs(input(d, [B], 3, dt));
        const mask = td.cast(td.gt(input(d, shape, 4, dt), -0.5), dt);
        const r = weightedMse(p, q, w, { mask, perSample: true });
        r.loss.backward();
        return [r.loss, r.perSample, p.grad!];
      }, tol, tol);
      both(t, `sigmoidElbo ${dt} ${JSON.stringify(shape)}`, (d) => {
        const p = input(d, shape, 5, dt).requiresGrad_();
        const q = input(d, shape, 6, dt);
        const lam = input(d, [B], 7, dt);
        const dlam = td.neg(td.abs(input(d, [B], 8, dt)));
        const r = sigmoidElbo(p, q, lam, dlam, { bias: 1, parameterization: 'v', perSample: true, reduction: 'sum' });
        r.loss.backward();
        return [r.loss, r.perSample, p.grad!];
      }, tol, tol);
    }
  }
});

cudaTest('cldAffine: same noise as the CPU for a seed', (t) => {
  for (const dt of ['float32', 'float64'] as const) {
    for (const shape of [[3, 5], [4, 2, 33, 7]]) {
      const B = shape[0];
      const tag = `${dt} ${JSON.stringify(shape)}`;
      both(t, `cldAffine shared coef ${tag}`, (d) => {
        const coef = td.tensor([0.9, 0.1, 0.05, -0.2, 0.8, 0.01, 0.3, 0.02, 0.4], { dtype: 'float64', device: d });
        const r = cldAffine(input(d, shape, 10, dt), input(d, shape, 11, dt), input(d, shape, 12, dt), coef, { seed: 7, returnNoise: true });
        return [r.x, r.v, r.epsX!, r.epsV!];
      }, dt === 'float32' ? 3e-6 : 1e-13, dt === 'float32' ? 3e-6 : 1e-13);
      both(t, `cldAffine per-sample coef, no noise ${tag}`, (d) => {
        const coef = td.cast(td.rand([B, 9], { seed: 13, device: d }), 'float64');
        const r = cldAffine(input(d, shape, 14, dt), input(d, shape, 15, dt), null, coef, { noise: false });
        return [r.x, r.v];
      }, dt === 'float32' ? 1e-6 : 1e-14, dt === 'float32' ? 1e-6 : 1e-14);
    }
  }
});

cudaTest('Adam / AdamW steps', (t) => {
  for (const [name, make] of [
    ['Adam', (ps: td.Tensor[]) => new td.optim.Adam(ps, { lr: 0.05, weightDecay: 0.01 })],
    ['AdamW amsgrad', (ps: td.Tensor[]) => new td.optim.AdamW(ps, { lr: 0.05, amsgrad: true })],
  ] as const) {
    for (const dt of ['float32', 'float64'] as const) {
      both(t, `${name} ${dt}`, (d) => {
        const w = input(d, [300, 7], 20, dt).requiresGrad_();
        const opt = make([w as never] as never);
        for (let i = 0; i < 5; i++) {
          opt.zeroGrad();
          td.sum(td.square(td.sub(w, 1))).backward();
          opt.step();
        }
        return [w.detach()];
      }, dt === 'float32' ? 1e-5 : 1e-12, dt === 'float32' ? 1e-5 : 1e-12);
    }
  }
});
