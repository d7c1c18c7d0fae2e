// train.ts — DiscoTrainer: stage 1 of DisCo-Diff, the encoder and the conditioned denoiser trained
// jointly on the EDM loss (loss.ts) with Adam, gradient-norm clipping and an EMA of the weights; the
// Gumbel-softmax temperature follows tauAt (gumbel.ts) and switches to straight-through from step
// `hardFrom`. Step k draws its batch from (seed, 2k) and its σ / noise / Gumbel noise from
// (seed, 2k + 1) alone, so a run is reproducible and a resumed run continues it exactly. The same
// trainer trains the baseline (latents: 0) with the same steps and seed.
import { Tensor, checkTensor } from '../../tensor';
import { randint } from '../../ops/creation';
import { indexSelect } from '../../ops/indexing';
import { tidy } from '../../memory';
import { shapeStr } from '../../shape';
import { Adam } from '../../optim/adam';
import { EMA } from '../../optim/ema';
import { clipGradNorm } from '../../optim/clip';
import { DiscoDiffModel } from './model';
import { discoLoss } from './loss';
import { tauAt } from './gumbel';
import { deriveSeed } from './util';

/** Training data: a fixed set [N, ...dataShape] (batches drawn with replacement) or a sampler (n, seed) → [n, ...dataShape]. */
export type DataSource = Tensor | ((n: number, seed: bigint) => Tensor);

/** Stage-1 hyper-parameters (JSON-able; a checkpoint stores them). */
export interface DiscoTrainConfig {
  /** Adam learning rate (default 1e-3). */
  lr?: number;
  /** Max global gradient norm (default 1; 0 = off). */
  gradClip?: number;
  /** EMA decay (default 0.999) with td.optim.EMA's 'power' warm-up (default) or 'none'. */
  emaDecay?: number;
  emaWarmup?: 'none' | 'power';
  /** Batch size (default 256). */
  batchSize?: number;
  /** Gumbel temperature: tauStart (default 1) → tauEnd (default 0.1) geometrically over annealSteps (default 2000). */
  tauStart?: number;
  tauEnd?: number;
  annealSteps?: number;
  /** Straight-through latents from this step on (default -1: never). */
  hardFrom?: number;
  /** Seed of every batch and every noise draw (default 0). */
  seed?: number;
}

/** Validate and fill in a {@link DiscoTrainConfig}. */
export function resolveTrainConfig(c: DiscoTrainConfig = {}): Required<DiscoTrainConfig> {
  const op = 'DiscoTrainer';
  if (c === null || typeof c !== 'object') throw new TypeError(`${op}: config must be an object`);
  const num = (v: unknown, name: string, d: number, ok: (x: number) => boolean, what: string): number => {
    const x = v === undefined ? d : v;
    if (typeof x !== 'number' || !Number.isFinite(x) || !ok(x)) throw new RangeError(`${op}: ${name} must be ${what}, got ${String(x)}`);
    return x;
  };
  const emaWarmup = c.emaWarmup ?? 'power';
  if (emaWarmup !== 'none' && emaWarmup !== 'power') throw new TypeError(`${op}: emaWarmup must be 'none' or 'power', got ${String(emaWarmup)}`);
  const isInt = (x: number) => Number.isInteger(x);
  return {
    lr: num(c.lr, 'lr', 1e-3, (x) => x > 0, '> 0'),
    gradClip: num(c.gradClip, 'gradClip', 1, (x) => x >= 0, '≥ 0'),
    emaDecay: num(c.emaDecay, 'emaDecay', 0.999, (x) => x >= 0 && x <= 1, 'in [0, 1]'),
    emaWarmup,
    batchSize: num(c.batchSize, 'batchSize', 256, (x) => isInt(x) && x >= 1, 'a positive integer'),
    tauStart: num(c.tauStart, 'tauStart', 1, (x) => x > 0, '> 0'),
    tauEnd: num(c.tauEnd, 'tauEnd', 0.1, (x) => x > 0, '> 0'),
    annealSteps: num(c.annealSteps, 'annealSteps', 2000, (x) => isInt(x) && x >= 0, 'a non-negative integer'),
    hardFrom: num(c.hardFrom, 'hardFrom', -1, (x) => isInt(x) && x >= -1, 'an integer ≥ -1'),
    seed: num(c.seed, 'seed', 0, (x) => isInt(x) && x >= 0, 'a non-negative integer'),
  };
}

/** Stage-1 trainer. `trainStep()` does one step; `withEma(fn)` runs fn with the EMA weights swapped in. */
export class DiscoTrainer {
  readonly model: DiscoDiffModel;
  readonly config: Required<DiscoTrainConfig>;
  readonly opt: Adam;
  readonly ema: EMA;
  /** Number of steps taken so far. */
  step = 0;
  private data: DataSource;

  /**
   * @param model  the model (its parameters are updated in place).
   * @param data   training data [N, ...dataShape] or a sampler (n, seed) → [n, ...dataShape].
   * @param config hyper-parameters ({@link DiscoTrainConfig}).
   */
  constructor(model: DiscoDiffModel, data: DataSource, config: DiscoTrainConfig = {}) {
    if (!(model instanceof DiscoDiffModel)) throw new TypeError('DiscoTrainer: model must be a DiscoDiffModel');
    this.config = resolveTrainConfig(config);
    this.data = checkData(data, model.dataShape);
    this.model = model;
    const params = model.parameters();
    this.opt = new Adam(params, { lr: this.config.lr });
    this.ema = new EMA(params, { decay: this.config.emaDecay, warmup: this.config.emaWarmup });
  }

  /** The Gumbel temperature of step k. */
  tau(k: number): number {
    return tauAt(k, this.config);
  }

  /** The training batch of step k ([batchSize, ...dataShape]). */
  batch(k: number): Tensor {
    const B = this.config.batchSize, seed = deriveSeed(this.config.seed, 2 * k);
    const ds = this.model.dataShape;
    if (typeof this.data === 'function') {
      const x = this.data(B, seed);
      if (!(x instanceof Tensor) || x.ndim !== ds.length + 1 || x.shape[0] !== B || ds.some((d, i) => x.shape[i + 1] !== d))
        throw new TypeError(`DiscoTrainer: the data sampler must return a Tensor [${[B, ...ds].join(', ')}], got ${x instanceof Tensor ? shapeStr(x.shape) : typeof x}`);
      return x;
    }
    const data = this.data;
    return tidy(() => indexSelect(data, 0, randint(0, data.shape[0], [B], { seed })));
  }

  /** One step (forward, backward, clip, Adam, EMA); returns the batch loss. */
  trainStep(): number {
    const k = this.step;
    const loss = tidy(() => {
      this.opt.zeroGrad();
      const x0 = this.batch(k);
      const hard = this.config.hardFrom >= 0 && k >= this.config.hardFrom;
      const l = discoLoss(this.model, x0, { seed: deriveSeed(this.config.seed, 2 * k + 1), tau: this.tau(k), hard }).loss;
      l.backward();
      return l.item();
    });
    if (this.config.gradClip > 0) clipGradNorm(this.model.parameters(), this.config.gradClip);
    this.opt.step();
    this.opt.zeroGrad();
    this.ema.update();
    this.step++;
    return loss;
  }

  /** Runs `steps` steps; `onLog(step, meanLoss)` every `logEvery` steps. Returns the per-step losses. */
  train(steps: number, o: { logEvery?: number; onLog?: (step: number, loss: number) => void } = {}): number[] {
    if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`DiscoTrainer.train: steps must be a non-negative integer, got ${String(steps)}`);
    const every = o.logEvery ?? 100;
    if (!Number.isInteger(every) || every < 1) throw new RangeError(`DiscoTrainer.train: logEvery must be a positive integer, got ${String(every)}`);
    const losses: number[] = [];
    let acc = 0, cnt = 0;
    for (let i = 0; i < steps; i++) {
      const l = this.trainStep();
      losses.push(l);
      acc += l;
      cnt++;
      if (o.onLog && this.step % every === 0) {
        o.onLog(this.step, acc / cnt);
        acc = 0;
        cnt = 0;
      }
    }
    return losses;
  }

  /** Runs fn with the EMA weights in the model, then puts the training weights back. */
  withEma<T>(fn: () => T): T {
    this.ema.store();
    this.ema.copyTo();
    try {
      return fn();
    } finally {
      this.ema.restore();
    }
  }

  /** Frees the optimizer state and the EMA shadows (not the model). */
  dispose(): void {
    this.opt.dispose();
    this.ema.dispose();
  }
}

/** @internal Validate a data source against the per-sample shape. */
export function checkData(data: unknown, ds: readonly number[]): DataSource {
  if (typeof data === 'function') return data as DataSource;
  const x = checkTensor('DiscoTrainer', data, 'data');
  if (x.ndim !== ds.length + 1 || ds.some((d, i) => x.shape[i + 1] !== d) || x.shape[0] < 1)
    throw new RangeError(`DiscoTrainer: data must be [N, ${ds.join(', ')}], got ${shapeStr(x.shape)} ${x.dtype}`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new TypeError(`DiscoTrainer: data must be float32 or float64, got ${x.dtype} ${shapeStr(x.shape)}`);
  return x;
}
