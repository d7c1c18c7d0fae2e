// train.ts — stage 1 of Unified Latents: ULTrainer trains encoder, prior and decoder jointly on
// L = L_prior + c·L_dec with Adam and global gradient-norm clipping. Step k draws its batch from
// deriveSeed(seed, 2k) and every noise of its loss from deriveSeed(seed, 2k + 1), so a run resumed from
// a checkpoint (checkpoint.ts) continues the same trajectory. Also the small pieces every trainer of
// this folder shares (config validation, batch drawing, the logging loop).
import { Tensor, checkTensor } from '../../tensor';
import { randint } from '../../ops/creation';
import { indexSelect } from '../../ops/indexing';
import { tidy } from '../../memory';
import { shapeStr } from '../../shape';
import { Adam } from '../../optim/adam';
import { clipGradNorm } from '../../optim/clip';
import { deriveSeed } from '../../diffusion/cld';
import { ULModel } from './model';
import { ulLoss } from './loss';

/** Training data: a fixed set [N, ...shape] (batches drawn with replacement) or a sampler (n, seed) → [n, ...shape]. */
export type DataSource = Tensor | ((n: number, seed: bigint) => Tensor);

/** Hyper-parameters shared by the trainers of this folder (JSON-able; checkpoints store them). */
export interface TrainConfig {
  /** Adam learning rate (default 2e-3). */
  lr?: number;
  /** Max global gradient norm (default 1; 0 turns clipping off). */
  gradClip?: number;
  /** Batch size (default 32). */
  batchSize?: number;
  /** Seed of every batch and every noise draw (default 0). */
  seed?: number;
}

/** Validate and fill in a {@link TrainConfig} (`op` names the trainer in errors). */
export function resolveTrainConfig(c: TrainConfig = {}, op = 'ULTrainer'): Required<TrainConfig> {
  if (c === null || typeof c !== 'object') throw new TypeError(`${op}: config must be an object`);
  const num = (v: unknown, name: string, d: number, ok: (x: number) => boolean, what: string): number => {
    const x = v === undefined ? d : v;
    if (typeof x !== 'number' || !Number.isFinite(x) || !ok(x)) throw new RangeError(`${op}: ${name} must be ${what}, got ${String(x)}`);
    return x;
  };
  return {
    lr: num(c.lr, 'lr', 2e-3, (x) => x > 0, '> 0'),
    gradClip: num(c.gradClip, 'gradClip', 1, (x) => x >= 0, '≥ 0'),
    batchSize: num(c.batchSize, 'batchSize', 32, (x) => Number.isInteger(x) && x >= 1, 'a positive integer'),
    seed: num(c.seed, 'seed', 0, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer'),
  };
}

/** @internal Validate a data source against the per-sample shape. */
export function checkData(op: string, data: unknown, shape: readonly number[]): DataSource {
  if (typeof data === 'function') return data as DataSource;
  const x = checkTensor(op, data, 'data');
  if (x.ndim !== shape.length + 1 || shape.some((d, i) => x.shape[i + 1] !== d) || x.shape[0] < 1)
    throw new RangeError(`${op}: data must be [N, ${shape.join(', ')}], got ${shapeStr(x.shape)} ${x.dtype}`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new TypeError(`${op}: data must be float32 or float64, got ${x.dtype}`);
  return x;
}

/** @internal The batch of B rows drawn with `seed` from a data source (checked against shape). */
export function drawBatch(op: string, data: DataSource, B: number, seed: bigint, shape: readonly number[]): Tensor {
  if (typeof data === 'function') {
    const x = data(B, seed);
    if (!(x instanceof Tensor) || x.ndim !== shape.length + 1 || x.shape[0] !== B || shape.some((d, i) => x.shape[i + 1] !== d))
      throw new TypeError(`${op}: the data sampler must return a Tensor [${[B, ...shape].join(', ')}], got ${x instanceof Tensor ? shapeStr(x.shape) : typeof x}`);
    return x;
  }
  return tidy(() => indexSelect(data, 0, randint(0, data.shape[0], [B], { seed })));
}

/** Options of the trainers' `train(steps, options)`. */
export interface TrainLoopOptions<M> {
  /** Call onLog every this many steps (default 100). */
  logEvery?: number;
  /** Called with the step count and the mean of each metric since the last call. */
  onLog?: (step: number, metrics: M) => void;
}

/** @internal Runs `steps` calls of `stepFn` with the logging of {@link TrainLoopOptions}; returns every step's metrics. */
export function trainLoop<M extends Record<string, number>>(op: string, steps: number, o: TrainLoopOptions<M>, stepFn: () => M, stepNow: () => number): M[] {
  if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`${op}: steps must be a non-negative integer, got ${String(steps)}`);
  if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object`);
  const every = o.logEvery ?? 100;
  if (!Number.isInteger(every) || every < 1) throw new RangeError(`${op}: logEvery must be a positive integer, got ${String(every)}`);
  if (o.onLog !== undefined && typeof o.onLog !== 'function') throw new TypeError(`${op}: onLog must be a function`);
  const out: M[] = [];
  let acc: Record<string, number> = {}, cnt = 0;
  for (let i = 0; i < steps; i++) {
    const m = stepFn();
    out.push(m);
    for (const [k, v] of Object.entries(m)) acc[k] = (acc[k] ?? 0) + v;
    cnt++;
    if (o.onLog && stepNow() % every === 0) {
      const mean = {} as Record<string, number>;
      for (const [k, v] of Object.entries(acc)) mean[k] = v / cnt;
      o.onLog(stepNow(), mean as M);
      acc = {};
      cnt = 0;
    }
  }
  return out;
}

/** The metrics of one stage-1 step. */
export interface ULStepMetrics {
  /** L_prior + c·L_dec. */
  [k: string]: number;
  loss: number;
  /** L_prior in nats per image (the latent bitrate bound). */
  prior: number;
  /** L_dec (sigmoid-weighted). */
  decoder: number;
}

/**
 * Stage 1 of Unified Latents: encoder, prior and decoder trained jointly on L_prior + c·L_dec
 * (c and b from the model's config). `trainStep()` does one step; `train(n)` runs n.
 */
export class ULTrainer {
  readonly model: ULModel;
  readonly config: Required<TrainConfig>;
  readonly opt: Adam;
  /** Number of steps taken so far. */
  step = 0;
  private data: DataSource;

  /**
   * @param model  the model (its parameters are updated in place)
   * @param data   images [N, C, S, S] in [−1, 1], or a sampler (n, seed) → [n, C, S, S]
   * @param config {@link TrainConfig}
   */
  constructor(model: ULModel, data: DataSource, config: TrainConfig = {}) {
    if (!(model instanceof ULModel)) throw new TypeError('ULTrainer: model must be a ULModel');
    this.config = resolveTrainConfig(config, 'ULTrainer');
    this.data = checkData('ULTrainer', data, model.dataShape);
    this.model = model;
    this.opt = new Adam(model.parameters(), { lr: this.config.lr });
  }

  /** The training batch of step k ([batchSize, C, S, S]). */
  batch(k: number): Tensor {
    return drawBatch('ULTrainer', this.data, this.config.batchSize, deriveSeed(this.config.seed, 2 * k), this.model.dataShape);
  }

  /** One step (forward, backward, clip, Adam); returns the batch's loss, prior and decoder terms. */
  trainStep(): ULStepMetrics {
    const k = this.step;
    const m = tidy(() => {
      this.opt.zeroGrad();
      const r = ulLoss(this.model, this.batch(k), { seed: deriveSeed(this.config.seed, 2 * k + 1) });
      r.loss.backward();
      return { loss: r.loss.item(), prior: r.prior.item(), decoder: r.decoder.item() };
    });
    if (!Number.isFinite(m.loss)) throw new Error(`ULTrainer: the loss became ${m.loss} at step ${k} (prior ${m.prior}, decoder ${m.decoder}); lower lr`);
    if (this.config.gradClip > 0) clipGradNorm(this.model.parameters(), this.config.gradClip);
    this.opt.step();
    this.opt.zeroGrad();
    this.step++;
    return m;
  }

  /** Runs `steps` steps; `onLog(step, means)` every `logEvery` steps. Returns every step's metrics. */
  train(steps: number, o: TrainLoopOptions<ULStepMetrics> = {}): ULStepMetrics[] {
    return trainLoop('ULTrainer.train', steps, o, () => this.trainStep(), () => this.step);
  }

  /** Frees the optimizer state (not the model). */
  dispose(): void {
    this.opt.dispose();
  }
}
