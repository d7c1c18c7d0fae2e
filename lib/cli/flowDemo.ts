// flowDemo.ts — the model behind `tensordiff demo`: a flow-matching MLP on a 2-D toy set.
// Path z_t = (1 − t)·x + t·ε (noise at t = 1), target velocity ε − x, sampled with td.diffusion's
// flowHeun/flowEuler from t = 1 to 0. The network is an nn.Sequential over [z, t, sin(πf t), cos(πf t)]
// (f = 1, 2, ..., 32), so examples/flow-model.js rebuilds it key for key from a checkpoint.
import * as td from '../index';
import { DEMO_DATASETS, DemoDataset } from './toyNames';

type Tensor = td.Tensor;
const { nn, optim, data } = td;

/** Draws n points [n, 2] of a demo toy set (the data depends on the seed alone). */
export function demoData(name: DemoDataset, n: number, seed: number): Tensor {
  switch (name) {
    case 'checkerboard': return data.checkerboard(n, { seed });
    case 'eightGaussians': return data.eightGaussians(n, { seed, radius: 2, std: 0.1 });
    case 'twoMoons': return data.twoMoons(n, { seed });
    case 'swissRoll': return data.swissRoll(n, { seed });
    case 'diamond': return data.diamond(n, { seed, std: 0.05 });
    default: throw new RangeError(`demoData: unknown data set ${JSON.stringify(name)}; one of ${DEMO_DATASETS.join(', ')}`);
  }
}

/** Frequencies (times π) of the time features. */
export const TIME_FREQS = [1, 2, 4, 8, 16, 32];
/** Input width of the network: z (2), t (1), sin and cos of each frequency. */
export const FEATURES = 3 + 2 * TIME_FREQS.length;

/** Network input [z, t, sin(πf·t), cos(πf·t)]: z [B, 2], t [B, 1] → [B, 15]. */
export function flowFeatures(z: Tensor, t: Tensor): Tensor {
  return td.tidy(() => {
    const tf = td.mul(t, td.tensor(TIME_FREQS.map((f) => f * Math.PI))); // [B, 6]
    return td.cat([z, t, td.sin(tf), td.cos(tf)], 1);
  });
}

/** The velocity network: Linear(15, H) → SiLU → Linear(H, H) → SiLU → Linear(H, H) → SiLU → Linear(H, 2). */
export function createFlowModel(hidden = 128): td.nn.Sequential {
  if (!Number.isInteger(hidden) || hidden < 1) throw new RangeError(`createFlowModel: hidden must be a positive integer, got ${hidden}`);
  return new nn.Sequential(
    new nn.Linear(FEATURES, hidden), new nn.SiLU(),
    new nn.Linear(hidden, hidden), new nn.SiLU(),
    new nn.Linear(hidden, hidden), new nn.SiLU(),
    new nn.Linear(hidden, 2),
  );
}

/** v̂(z, t) for a batch z [B, 2] at one time t → [B, 2]. */
export function flowVelocity(model: td.nn.Module, z: Tensor, t: number): Tensor {
  return td.tidy(() => model.forward(flowFeatures(z, td.full([z.shape[0], 1], t))) as Tensor);
}

/** Options of {@link trainFlow}. */
export interface TrainFlowOptions {
  data: DemoDataset;
  steps: number;
  batch: number;
  /** Peak learning rate of AdamW (cosine decay to 5% of it). */
  lr: number;
  /** Data seed base (step k draws its batch with seed + k + 1). */
  seed: number;
  /** Set `stop` to true (e.g. from a SIGINT handler) to end after the current step. */
  signal?: { stop: boolean };
  /** Called after each step with the step count done and that step's loss. */
  onStep?: (done: number, loss: number) => void;
}

/** What {@link trainFlow} did. */
export interface TrainFlowResult {
  losses: number[];
  stepsDone: number;
  interrupted: boolean;
  seconds: number;
}

/**
 * Trains the model with flow matching: t ~ U(0, 1), ε ~ N(0, I), loss ‖model(z_t, t) − (ε − x)‖².
 * Each step runs in a tidy scope; the loop yields to the event loop every step so a SIGINT handler
 * can set signal.stop. The global generator (td.manualSeed) draws t and ε.
 */
export async function trainFlow(model: td.nn.Module, o: TrainFlowOptions): Promise<TrainFlowResult> {
  const opt = new optim.AdamW(model.parameters(), { lr: o.lr, weightDecay: 0 });
  const sched = optim.attachSchedule(opt, optim.cosineSchedule({ totalSteps: o.steps, warmupSteps: Math.min(100, Math.floor(o.steps / 10)), minFactor: 0.05 }));
  const losses: number[] = [];
  const t0 = Date.now();
  let done = 0;
  try {
    for (; done < o.steps; done++) {
      if (o.signal?.stop) break;
      const loss = td.tidy(() => {
        const x = demoData(o.data, o.batch, o.seed + done + 1); // [B, 2]
        const t = td.rand([o.batch, 1]); // [B, 1]
        const eps = td.randn([o.batch, 2]); // [B, 2]
        const zt = td.add(td.mul(td.sub(1, t), x), td.mul(t, eps)); // [B, 2]
        opt.zeroGrad();
        const l = td.mseLoss(model.forward(flowFeatures(zt, t)) as Tensor, td.sub(eps, x));
        l.backward();
        opt.step();
        return l.item();
      });
      sched.step();
      losses.push(loss);
      o.onStep?.(done + 1, loss);
      await new Promise<void>((r) => setImmediate(r));
    }
  } finally {
    opt.zeroGrad();
    opt.dispose(); // Adam's moment tensors
  }
  return { losses, stepsDone: done, interrupted: done < o.steps, seconds: (Date.now() - t0) / 1000 };
}

/** Draws n samples [n, 2] with flowHeun (or flowEuler) in `steps` steps from t = 1 to 0. */
export function sampleFlow(model: td.nn.Module, n: number, o: { steps: number; seed: number; sampler: 'heun' | 'euler' }): Tensor {
  const f = o.sampler === 'euler' ? td.diffusion.flowEuler : td.diffusion.flowHeun;
  return td.noGrad(() => f({ shape: [n, 2], seed: o.seed, steps: o.steps, velocity: (z, t) => flowVelocity(model, z, t) }));
}

/** An exponential moving average of a series (for a readable loss curve). */
export function smooth(values: readonly number[], beta = 0.98): number[] {
  const out: number[] = [];
  let m = 0;
  values.forEach((v, i) => {
    m = beta * m + (1 - beta) * v;
    out.push(m / (1 - beta ** (i + 1)));
  });
  return out;
}

