// sample.ts — sampling a trained SiT (or any velocity field) from t = 0 (noise) to t = 1 (data), with
// optional classifier-free guidance (spec "Sampling"):
//   'euler' / 'heun'  the ODE dx/dt = v(x, t) on linspace(0, 1, steps + 1) (td.diffusion.flowEuler /
//                     flowHeun; Heun calls the model 2·steps times)
//   'sde'             Euler–Maruyama for dx = [v + w s] dt + √(2w) dW with w(t) = 1 − t and the score of
//                     the linear interpolant s = (t v − x)/(1 − t), so the drift is (1 + t) v − x; on
//                     linspace(0, 1 − lastStepSize, steps), then one noiseless drift step to t = 1
//                     (SiT's "Mean" last step; steps model calls in all)
// Runs under noGrad with the model in eval mode; the noise comes from `seed` (td.diffusion.stepSeed).
import { Tensor } from '../../tensor';
import { full, tensor } from '../../ops/creation';
import { mul, sub } from '../../ops/elementwise';
import { noGrad } from '../../autograd';
import { shapeStr } from '../../shape';
import { flowEuler, flowHeun, eulerMaruyama } from '../../diffusion/samplers';
import { SiT, Seed } from './sit';

/** A velocity field for {@link sample}: x [B, ...], time t (shared), labels y [B] int32 → v [B, ...]. */
export type VelocityField = (x: Tensor, t: number, y: Tensor) => Tensor;

/** The samplers of {@link sample}. */
export type SiTSampler = 'euler' | 'heun' | 'sde';

/** Options of {@link sample}. */
export interface SampleOptions {
  /** Number of samples (default: labels.length, else 16). */
  n?: number;
  /** Class label of each sample (default: b mod numClasses). */
  labels?: readonly number[];
  /** 'euler', 'heun' (default) or 'sde'. */
  method?: SiTSampler;
  /** Solver steps (default 50; 'sde' needs ≥ 2). */
  steps?: number;
  /** Classifier-free guidance scale s (default 1: the conditional model alone). */
  cfgScale?: number;
  /** Seed of the starting noise and the SDE noise (required). */
  seed: Seed;
  /** 'sde': the final noiseless step's size (default 0.04, SiT's). */
  lastStepSize?: number;
  /** The per-sample shape [C, H, W]; required when sampling a {@link VelocityField}, else the model's. */
  shape?: readonly number[];
  /** Number of classes for the default labels of a {@link VelocityField} (default 10). */
  numClasses?: number;
}

/**
 * Draw samples x [n, C, H, W] from a trained SiT (use the EMA weights: trainer.withEma(() => sample(...)))
 * or from a velocity field `(x, t, y) => v`. See the file header for the samplers.
 */
export function sample(model: SiT | VelocityField, o: SampleOptions): Tensor {
  const op = 'layerSync.sample';
  if (!(model instanceof SiT) && typeof model !== 'function') throw new TypeError(`${op}: model must be a SiT or a velocity function (x, t, y) => v`);
  if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object with a seed`);
  if (o.seed === undefined) throw new TypeError(`${op}: options.seed is required`);
  const method = o.method ?? 'heun';
  if (method !== 'euler' && method !== 'heun' && method !== 'sde') throw new TypeError(`${op}: method must be 'euler', 'heun' or 'sde', got ${String(method)}`);
  const steps = o.steps ?? 50;
  if (!Number.isInteger(steps) || steps < (method === 'sde' ? 2 : 1)) throw new RangeError(`${op}: steps must be an integer ≥ ${method === 'sde' ? 2 : 1}, got ${String(steps)}`);
  const cfg = o.cfgScale ?? 1;
  if (typeof cfg !== 'number' || !Number.isFinite(cfg)) throw new TypeError(`${op}: cfgScale must be a finite number, got ${String(cfg)}`);
  const last = o.lastStepSize ?? 0.04;
  if (typeof last !== 'number' || !(last > 0 && last < 1)) throw new RangeError(`${op}: lastStepSize must be in (0, 1), got ${String(last)}`);
  let shape: number[], K: number;
  if (model instanceof SiT) {
    shape = model.dataShape;
    K = model.config.numClasses;
    if (o.shape !== undefined && (o.shape.length !== 3 || o.shape.some((d, i) => d !== shape[i])))
      throw new RangeError(`${op}: shape ${shapeStr(o.shape)} differs from the model's [${shape.join(', ')}]`);
  } else {
    if (!Array.isArray(o.shape) || o.shape.length < 1 || o.shape.some((d) => !Number.isInteger(d) || d < 1))
      throw new RangeError(`${op}: a velocity function needs shape, the per-sample shape (e.g. [1, 16, 16]), got ${JSON.stringify(o.shape)}`);
    shape = [...o.shape];
    K = o.numClasses ?? 10;
    if (!Number.isInteger(K) || K < 1) throw new RangeError(`${op}: numClasses must be a positive integer, got ${String(K)}`);
  }
  let labels: number[];
  if (o.labels !== undefined) {
    if (!Array.isArray(o.labels) || o.labels.length < 1 || o.labels.some((l) => !Number.isInteger(l) || l < 0 || l >= K))
      throw new RangeError(`${op}: labels must be a non-empty array of integers in [0, ${K})`);
    if (o.n !== undefined && o.n !== o.labels.length) throw new RangeError(`${op}: n (${o.n}) differs from labels.length (${o.labels.length})`);
    labels = [...o.labels];
  } else {
    const n = o.n ?? 16;
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`${op}: n must be a positive integer, got ${String(n)}`);
    labels = Array.from({ length: n }, (_, b) => b % K);
  }
  const n = labels.length;
  const y = tensor(Int32Array.from(labels), { shape: [n], dtype: 'int32' });
  const wasTraining = model instanceof SiT ? model.training : false;
  if (model instanceof SiT) model.eval();
  const velocity = (x: Tensor, t: number): Tensor => {
    if (!(model instanceof SiT)) return model(x, t, y);
    const tt = full([n], t, { dtype: model.config.dtype });
    return model.forwardWithCfg(x, tt, y, cfg);
  };
  try {
    return noGrad(() => {
      const fullShape = [n, ...shape];
      if (method === 'euler' || method === 'heun') {
        const f = method === 'euler' ? flowEuler : flowHeun;
        return f({ shape: fullShape, seed: o.seed, steps, tStart: 0, tEnd: 1, velocity: (x, t) => velocity(x, t) });
      }
      const times = [...Array.from({ length: steps }, (_, i) => ((1 - last) * i) / (steps - 1)), 1];
      return eulerMaruyama({
        shape: fullShape,
        seed: o.seed,
        times,
        lastStepNoise: false,
        drift: (x, t) => sub(mul(velocity(x, t), 1 + t), x), // v + (1 − t)·(t v − x)/(1 − t)
        diffusion: (t) => Math.sqrt(2 * (1 - t)),
      });
    });
  } finally {
    y.dispose();
    if (model instanceof SiT && wasTraining) model.train();
  }
}
