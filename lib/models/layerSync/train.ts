// train.ts — LayerSyncTrainer: SiT training with the flow-matching loss plus λ·L_reg (loss.ts), AdamW
// (the reference uses lr 1e-4, no weight decay, at batch 256 for ImageNet; the toy default here is
// lr 5e-4) and an EMA of the weights. Step k draws its batch from deriveSeed(seed, 2k) and its noise,
// times and label dropout from deriveSeed(seed, 2k + 1), so two runs with the same seed see the same
// batches and noise whatever λ is, and a run resumed from a checkpoint continues the same trajectory.
import { Tensor, checkTensor } from '../../tensor';
import { randint } from '../../ops/creation';
import { indexSelect } from '../../ops/indexing';
import { tidy } from '../../memory';
import { shapeStr } from '../../shape';
import { AdamW } from '../../optim/adam';
import { EMA } from '../../optim/ema';
import { clipGradNorm } from '../../optim/clip';
import { deriveSeed } from '../../diffusion/cld';
import { SiT } from './sit';
import { flowMatchingLoss } from './loss';
import { resolveLayerSync } from './regularizer';

/** Labelled training images: images [N, C, H, W] float (e.g. td.data.mnist's, in [−1, 1]) and labels [N] int32. */
export interface LabeledData {
  images: Tensor;
  labels: Tensor;
}

/** The trainer's hyper-parameters (JSON-able; a checkpoint stores them). */
export interface TrainConfig {
  /** AdamW learning rate (default 5e-4). */
  lr?: number;
  /** AdamW decoupled weight decay (default 0, as the reference). */
  weightDecay?: number;
  /** Max global gradient norm (default 0: off, as the reference). */
  gradClip?: number;
  /** EMA decay (default 0.999). */
  emaDecay?: number;
  /** EMA warm-up: 'power' (default; td.optim.EMA's, suits short runs) or 'none' (constant decay, the reference). */
  emaWarmup?: 'none' | 'power';
  /** Batch size (default 64). */
  batchSize?: number;
  /** LayerSync weight λ (default 0.2; 0 is the SiT baseline). */
  lambda?: number;
  /** The weak block, 1-indexed (default ⌈2·depth/7⌉). */
  weakBlock?: number;
  /** The guide block, 1-indexed (default ⌈4·depth/7⌉). */
  guideBlock?: number;
  /** Seed of every batch, noise, time and label-dropout draw (default 0). */
  seed?: number;
}

/** Validate and fill in a {@link TrainConfig} for a model of `depth` blocks. */
export function resolveTrainConfig(c: TrainConfig = {}, depth: number): Required<TrainConfig> {
  const op = 'LayerSyncTrainer';
  if (c === null || typeof c !== 'object') throw new TypeError(`${op}: config must be an object`);
  const num = (v: unknown, name: string, d: number, ok: (x: number) => boolean, what: string): number => {
    const x = v === undefined ? d : v;
    if (typeof x !== 'number') throw new TypeError(`${op}: ${name} must be a number, got ${String(x)}`);
    if (!Number.isFinite(x) || !ok(x)) throw new RangeError(`${op}: ${name} must be ${what}, got ${String(x)}`);
    return x;
  };
  const emaWarmup = c.emaWarmup ?? 'power';
  if (emaWarmup !== 'none' && emaWarmup !== 'power') throw new TypeError(`${op}: emaWarmup must be 'none' or 'power', got ${String(emaWarmup)}`);
  const ls = resolveLayerSync({ lambda: c.lambda, weakBlock: c.weakBlock, guideBlock: c.guideBlock }, depth);
  return {
    lr: num(c.lr, 'lr', 5e-4, (x) => x > 0, '> 0'),
    weightDecay: num(c.weightDecay, 'weightDecay', 0, (x) => x >= 0, '≥ 0'),
    gradClip: num(c.gradClip, 'gradClip', 0, (x) => x >= 0, '≥ 0'),
    emaDecay: num(c.emaDecay, 'emaDecay', 0.999, (x) => x >= 0 && x <= 1, 'in [0, 1]'),
    emaWarmup,
    batchSize: num(c.batchSize, 'batchSize', 64, (x) => Number.isInteger(x) && x >= 1, 'a positive integer'),
    lambda: ls.lambda,
    weakBlock: ls.weakBlock,
    guideBlock: ls.guideBlock,
    seed: num(c.seed, 'seed', 0, (x) => Number.isSafeInteger(x) && x >= 0, 'a non-negative integer'),
  };
}

/** The losses of one training step (host numbers). */
export interface StepLosses {
  /** L = L_FM + λ L_reg. */
  loss: number;
  /** L_FM. */
  fm: number;
  /** L_reg (measured also when λ = 0; NaN for a one-block model). */
  reg: number;
}

/** @internal Validate labelled data against a model. */
export function checkLabeledData(op: string, data: unknown, model: SiT): LabeledData {
  if (data === null || typeof data !== 'object') throw new TypeError(`${op}: data must be {images, labels}`);
  const d = data as LabeledData;
  const x = checkTensor(op, d.images, 'data.images');
  const y = checkTensor(op, d.labels, 'data.labels');
  const ds = model.dataShape;
  if (x.ndim !== 4 || ds.some((v, i) => x.shape[i + 1] !== v) || x.shape[0] < 1)
    throw new RangeError(`${op}: data.images must be [N, ${ds.join(', ')}], got ${shapeStr(x.shape)}`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new TypeError(`${op}: data.images must be float32 or float64, got ${x.dtype}`);
  if (y.dtype !== 'int32') throw new TypeError(`${op}: data.labels must be int32, got ${y.dtype} ${shapeStr(y.shape)}`);
  if (y.ndim !== 1 || y.shape[0] !== x.shape[0]) throw new RangeError(`${op}: data.labels must be [${x.shape[0]}], got ${shapeStr(y.shape)}`);
  const yd = y.dataSync();
  for (let i = 0; i < yd.length; i++)
    if (yd[i] < 0 || yd[i] >= model.config.numClasses) throw new RangeError(`${op}: data.labels[${i}] = ${yd[i]} is outside [0, ${model.config.numClasses})`);
  return d;
}

/**
 * Trains a {@link SiT} with L = L_FM + λ L_reg. `trainStep()` does one step and returns its losses;
 * `withEma(fn)` runs fn with the EMA weights swapped in (for sampling), then restores the training
 * weights. The trainer does not own the model or the data.
 */
export class LayerSyncTrainer {
  readonly model: SiT;
  readonly config: Required<TrainConfig>;
  readonly opt: AdamW;
  readonly ema: EMA;
  /** Number of steps taken so far. */
  step = 0;
  private data: LabeledData;

  /**
   * @param model the SiT to train (its parameters are updated in place).
   * @param data labelled images ({@link LabeledData}); batches are drawn with replacement.
   * @param config hyper-parameters ({@link TrainConfig}).
   */
  constructor(model: SiT, data: LabeledData, config: TrainConfig = {}) {
    const op = 'LayerSyncTrainer';
    if (!(model instanceof SiT)) throw new TypeError(`${op}: model must be a SiT`);
    this.config = resolveTrainConfig(config, model.config.depth);
    this.data = checkLabeledData(op, data, model);
    this.model = model;
    const params = model.parameters();
    this.opt = new AdamW(params, { lr: this.config.lr, weightDecay: this.config.weightDecay });
    this.ema = new EMA(params, { decay: this.config.emaDecay, warmup: this.config.emaWarmup });
  }

  /** The training batch of step k: images [batchSize, C, H, W] and labels [batchSize] (caller disposes). */
  batch(k: number): LabeledData {
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`LayerSyncTrainer.batch: k must be a non-negative integer, got ${String(k)}`);
    const N = this.data.images.shape[0];
    return tidy(() => {
      const idx = randint(0, N, [this.config.batchSize], { seed: deriveSeed(this.config.seed, 2 * k) });
      return { images: indexSelect(this.data.images, 0, idx), labels: indexSelect(this.data.labels, 0, idx) };
    });
  }

  /** One step (forward, backward, optional clipping, AdamW, EMA); returns the step's losses. */
  trainStep(): StepLosses {
    const k = this.step;
    const c = this.config;
    this.model.train();
    const out = tidy(() => {
      this.opt.zeroGrad();
      const b = this.batch(k);
      const r = flowMatchingLoss(this.model, b.images, b.labels, {
        seed: deriveSeed(c.seed, 2 * k + 1),
        layerSync: { lambda: c.lambda, weakBlock: c.weakBlock, guideBlock: c.guideBlock },
      });
      r.loss.backward();
      return { loss: r.loss.item(), fm: r.fm.item(), reg: r.reg ? r.reg.item() : NaN };
    });
    if (c.gradClip > 0) clipGradNorm(this.model.parameters(), c.gradClip);
    this.opt.step();
    this.opt.zeroGrad();
    this.ema.update();
    this.step++;
    return out;
  }

  /**
   * Runs `steps` training steps. `onLog(step, mean)` is called every `logEvery` steps with the mean
   * losses since the last call; `onStep(step, losses)` after every step. Returns the per-step losses.
   */
  train(steps: number, o: { logEvery?: number; onLog?: (step: number, mean: StepLosses) => void; onStep?: (step: number, l: StepLosses) => void } = {}): StepLosses[] {
    const op = 'LayerSyncTrainer.train';
    if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`${op}: steps must be a non-negative integer, got ${String(steps)}`);
    if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object`);
    const every = o.logEvery ?? 100;
    if (!Number.isInteger(every) || every < 1) throw new RangeError(`${op}: logEvery must be a positive integer, got ${String(every)}`);
    const out: StepLosses[] = [];
    let acc = { loss: 0, fm: 0, reg: 0 }, cnt = 0;
    for (let i = 0; i < steps; i++) {
      const l = this.trainStep();
      out.push(l);
      o.onStep?.(this.step, l);
      acc = { loss: acc.loss + l.loss, fm: acc.fm + l.fm, reg: acc.reg + l.reg };
      cnt++;
      if (o.onLog && this.step % every === 0) {
        o.onLog(this.step, { loss: acc.loss / cnt, fm: acc.fm / cnt, reg: acc.reg / cnt });
        acc = { loss: 0, fm: 0, reg: 0 };
        cnt = 0;
      }
    }
    return out;
  }

  /** Runs fn with the EMA weights in the model (eval mode), then puts the training weights back. */
  withEma<T>(fn: () => T): T {
    this.ema.store();
    this.ema.copyTo();
    const wasTraining = this.model.training;
    this.model.eval();
    try {
      return fn();
    } finally {
      this.ema.restore();
      if (wasTraining) this.model.train();
    }
  }

  /** Frees the optimizer state and the EMA shadows (not the model, not the data). */
  dispose(): void {
    this.opt.dispose();
    this.ema.dispose();
  }
}
