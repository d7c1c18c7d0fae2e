// train.ts — CLDTrainer: HSM training of a CLDScoreModel with Adam, gradient-norm clipping and an
// EMA of the weights (official toy config: Adam lr 1e-3, grad_clip 1, ema_rate 0.999, batch 512,
// reweightedv2). Step k draws its batch and its perturbation noise from seeds derived from
// (seed, k) alone, so a run resumed from a checkpoint (checkpoint.ts) continues the same trajectory.
import { Tensor, checkTensor } from '../../tensor';
import { randint } from '../../ops/creation';
import { indexSelect } from '../../ops/indexing';
import { tidy } from '../../memory';
import { shapeStr } from '../../shape';
import { Adam } from '../../optim/adam';
import { EMA } from '../../optim/ema';
import { clipGradNorm } from '../../optim/clip';
import { deriveSeed } from '../../diffusion/cld';
import { CLDScoreModel } from './model';
import { HSMWeighting, hsmLoss } from './loss';

/**
 * Training data: a fixed set [N, ...dataShape] (batches drawn with replacement) or a sampler
 * (n, seed) → [n, ...dataShape]; dataShape is [D] (toy net) or [C, H, W] (image net).
 */
export type DataSource = Tensor | ((n: number, seed: bigint) => Tensor);

/** The trainer's hyper-parameters (JSON-able; a checkpoint stores them). */
export interface TrainConfig {
  /** Adam learning rate (default 1e-3). */
  lr?: number;
  /** Max global gradient norm (default 1; 0 turns clipping off). */
  gradClip?: number;
  /** EMA decay (default 0.999). */
  emaDecay?: number;
  /** EMA warm-up: 'none' (default, the official constant decay) or 'power' (td.optim.EMA's; suits short runs). */
  emaWarmup?: 'none' | 'power';
  /** Batch size (default 512). */
  batchSize?: number;
  /** HSM weighting (default 'reweightedv2'). */
  weighting?: HSMWeighting;
  /** Seed of every batch and every perturbation (default 0). */
  seed?: number;
}

/** Validate and fill in a {@link TrainConfig}. */
export function resolveTrainConfig(c: TrainConfig = {}): Required<TrainConfig> {
  const op = 'CLDTrainer';
  if (c === null || typeof c !== 'object') throw new TypeError(`${op}: config must be an object`);
  const num = (v: unknown, name: string, d: number, ok: (x: number) => boolean, what: string): number => {
    const x = v === undefined ? d : v;
    if (typeof x !== 'number' || !Number.isFinite(x) || !ok(x)) throw new RangeError(`${op}: ${name} must be ${what}, got ${String(x)}`);
    return x;
  };
  const weighting = c.weighting ?? 'reweightedv2';
  if (weighting !== 'reweightedv2' && weighting !== 'likelihood') throw new TypeError(`${op}: weighting must be 'reweightedv2' or 'likelihood', got ${String(weighting)}`);
  const emaWarmup = c.emaWarmup ?? 'none';
  if (emaWarmup !== 'none' && emaWarmup !== 'power') throw new TypeError(`${op}: emaWarmup must be 'none' or 'power', got ${String(emaWarmup)}`);
  return {
    emaWarmup,
    lr: num(c.lr, 'lr', 1e-3, (x) => x > 0, '> 0'),
    gradClip: num(c.gradClip, 'gradClip', 1, (x) => x >= 0, '≥ 0'),
    emaDecay: num(c.emaDecay, 'emaDecay', 0.999, (x) => x >= 0 && x <= 1, 'in [0, 1]'),
    batchSize: num(c.batchSize, 'batchSize', 512, (x) => Number.isInteger(x) && x >= 1, 'a positive integer'),
    weighting,
    seed: num(c.seed, 'seed', 0, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer'),
  };
}

/**
 * Trains a CLDScoreModel by HSM. `trainStep()` does one step and returns the batch loss;
 * `withEma(fn)` runs fn with the EMA weights swapped in (for sampling), then restores the training weights.
 */
export class CLDTrainer {
  readonly model: CLDScoreModel;
  readonly config: Required<TrainConfig>;
  readonly opt: Adam;
  readonly ema: EMA;
  /** Number of steps taken so far. */
  step = 0;
  private data: DataSource;

  /**
   * @param model the model to train (its parameters are updated in place).
   * @param data  training data [N, D], or a sampler (n, seed) → [n, D].
   * @param config hyper-parameters ({@link TrainConfig}).
   */
  constructor(model: CLDScoreModel, data: DataSource, config: TrainConfig = {}) {
    if (!(model instanceof CLDScoreModel)) throw new TypeError('CLDTrainer: model must be a CLDScoreModel');
    this.config = resolveTrainConfig(config);
    this.data = checkData(data, model.dataShape);
    this.model = model;
    const params = model.net.parameters();
    this.opt = new Adam(params, { lr: this.config.lr });
    this.ema = new EMA(params, { decay: this.config.emaDecay, warmup: this.config.emaWarmup });
  }

  /** The training batch of step k ([batchSize, ...dataShape]). */
  batch(k: number): Tensor {
    const B = this.config.batchSize, seed = deriveSeed(this.config.seed, 2 * k);
    if (typeof this.data === 'function') {
      const x = this.data(B, seed);
      const ds = this.model.dataShape;
      if (!(x instanceof Tensor) || x.ndim !== ds.length + 1 || x.shape[0] !== B || ds.some((d, i) => x.shape[i + 1] !== d))
        throw new TypeError(`CLDTrainer: the data sampler must return a Tensor [${[B, ...ds].join(', ')}], got ${x instanceof Tensor ? shapeStr(x.shape) : typeof x}`);
      return x;
    }
    return tidy(() => indexSelect(this.data as Tensor, 0, randint(0, (this.data as Tensor).shape[0], [B], { seed })));
  }

  /** One HSM step (forward, backward, clip, Adam, EMA); returns the batch loss. */
  trainStep(): number {
    const k = this.step;
    const loss = tidy(() => {
      this.opt.zeroGrad();
      const x0 = this.batch(k);
      const l = hsmLoss(this.model, x0, { seed: deriveSeed(this.config.seed, 2 * k + 1), weighting: this.config.weighting }).loss;
      l.backward();
      return l.item();
    });
    if (this.config.gradClip > 0) clipGradNorm(this.model.net.parameters(), this.config.gradClip);
    this.opt.step();
    this.opt.zeroGrad();
    this.ema.update();
    this.step++;
    return loss;
  }

  /**
   * Runs `steps` training steps. `onLog(step, meanLoss)` is called every `logEvery` steps with the
   * mean loss since the last call. Returns the per-step losses.
   */
  train(steps: number, o: { logEvery?: number; onLog?: (step: number, loss: number) => void } = {}): number[] {
    if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`CLDTrainer.train: steps must be a non-negative integer, got ${String(steps)}`);
    const every = o.logEvery ?? 100;
    if (!Number.isInteger(every) || every < 1) throw new RangeError(`CLDTrainer.train: logEvery must be a positive integer, got ${String(every)}`);
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

/** @internal Validate a data source against the per-sample shape ([D] or [C, H, W]; a number means [D]). */
export function checkData(data: unknown, dataShape: number | readonly number[]): DataSource {
  if (typeof data === 'function') return data as DataSource;
  const ds = typeof dataShape === 'number' ? [dataShape] : dataShape;
  const x = checkTensor('CLDTrainer', data, 'data');
  if (x.ndim !== ds.length + 1 || ds.some((d, i) => x.shape[i + 1] !== d) || x.shape[0] < 1)
    throw new RangeError(`CLDTrainer: data must be [N, ${ds.join(', ')}], got ${shapeStr(x.shape)}`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new TypeError(`CLDTrainer: data must be float32 or float64, got ${x.dtype}`);
  return x;
}
