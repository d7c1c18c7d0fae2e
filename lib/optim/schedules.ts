// schedules.ts — learning-rate schedules as functions of the step count returning a multiplier of each
// group's base lr (like torch.optim.lr_scheduler.LambdaLR), and attachSchedule() which drives an
// optimizer's lr from one:
//   constant:        f(t) = 1
//   linear warm-up:  f(t) = s + (1 − s) · min(t, W) / W             (startFactor s, W warm-up steps)
//   cosine:          f(t) = t / W for t < W, then
//                    m + (1 − m) · ½ (1 + cos(π · min(1, (t − W) / max(1, T − W))))   (min lr = m · base lr)
import { Optimizer, BaseOptions } from './optimizer';
import { checkCount, checkNum } from './util';

/** A schedule: step t (integer ≥ 0) → multiplier of the base lr. */
export interface LrSchedule {
  (step: number): number;
  /** What it is, for logs ('constant', 'linearWarmup', 'cosine'). */
  readonly kind: string;
}

function make(kind: string, f: (t: number) => number): LrSchedule {
  const s = (step: number): number => f(checkCount(`${kind} schedule`, 'step', step));
  return Object.assign(s, { kind });
}

/** f(t) = 1. */
export function constantSchedule(): LrSchedule {
  return make('constant', () => 1);
}

/** Options of {@link linearWarmupSchedule}. */
export interface LinearWarmupOptions {
  /** Number of warm-up steps W (≥ 0). */
  warmupSteps: number;
  /** Multiplier at step 0 (default 0). */
  startFactor?: number;
}

/** Linear warm-up from startFactor to 1 over warmupSteps, then constant 1. */
export function linearWarmupSchedule(options: LinearWarmupOptions): LrSchedule {
  const op = 'linearWarmupSchedule';
  if (options === null || typeof options !== 'object') throw new TypeError(`${op}: options must be an object with warmupSteps`);
  const W = checkCount(op, 'warmupSteps', options.warmupSteps);
  const s = checkNum(op, 'startFactor', options.startFactor ?? 0, 0, 1);
  return make('linearWarmup', (t) => (W === 0 ? 1 : s + (1 - s) * (Math.min(t, W) / W)));
}

/** Options of {@link cosineSchedule}. */
export interface CosineOptions {
  /** Total number of steps T (the cosine reaches its minimum at T, and stays there). */
  totalSteps: number;
  /** Linear warm-up steps W from 0 (default 0; W ≤ T). */
  warmupSteps?: number;
  /** Minimum multiplier m: min lr = m · base lr (default 0). */
  minFactor?: number;
}

/** Linear warm-up, then cosine decay from 1 to minFactor at totalSteps (then flat). */
export function cosineSchedule(options: CosineOptions): LrSchedule {
  const op = 'cosineSchedule';
  if (options === null || typeof options !== 'object') throw new TypeError(`${op}: options must be an object with totalSteps`);
  const T = checkCount(op, 'totalSteps', options.totalSteps);
  const W = checkCount(op, 'warmupSteps', options.warmupSteps ?? 0);
  if (W > T) throw new RangeError(`${op}: warmupSteps ${W} exceeds totalSteps ${T}`);
  const m = checkNum(op, 'minFactor', options.minFactor ?? 0, 0, 1);
  return make('cosine', (t) => {
    if (t < W) return t / W;
    const progress = Math.min(1, (t - W) / Math.max(1, T - W));
    return m + (1 - m) * 0.5 * (1 + Math.cos(Math.PI * progress));
  });
}

/** A schedule attached to an optimizer (see {@link attachSchedule}). */
export class LrScheduler {
  /** Each group's lr when attached (the base the schedule multiplies). */
  readonly baseLrs: number[];
  /** The current step count (0 after attaching). */
  lastStep = 0;

  constructor(
    readonly optimizer: Optimizer<BaseOptions>,
    readonly schedule: LrSchedule,
  ) {
    if (!(optimizer instanceof Optimizer)) throw new TypeError('attachSchedule: optimizer must be a td.optim optimizer');
    if (typeof schedule !== 'function') throw new TypeError('attachSchedule: schedule must be a function of the step');
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
    this.apply();
  }

  /** Advances one step and sets every group's lr to base · schedule(step). Returns the lr of group 0. */
  step(): number {
    this.lastStep++;
    this.apply();
    return this.optimizer.getLr(0);
  }

  /** The current lr of each group. */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** `{ lastStep, baseLrs }` (JSON-able), to resume. */
  stateDict(): { lastStep: number; baseLrs: number[] } {
    return { lastStep: this.lastStep, baseLrs: this.baseLrs.slice() };
  }
  /** Restores a stateDict() and sets the lrs for its step. */
  loadStateDict(sd: { lastStep: number; baseLrs: number[] }): void {
    const op = 'LrScheduler.loadStateDict';
    if (sd === null || typeof sd !== 'object') throw new TypeError(`${op}: expected { lastStep, baseLrs }`);
    const n = checkCount(op, 'lastStep', sd.lastStep);
    if (!Array.isArray(sd.baseLrs) || sd.baseLrs.length !== this.baseLrs.length)
      throw new RangeError(`${op}: baseLrs must have one lr per group (${this.baseLrs.length})`);
    sd.baseLrs.forEach((lr, i) => checkNum(op, `baseLrs[${i}]`, lr, 0));
    this.lastStep = n;
    sd.baseLrs.forEach((lr, i) => (this.baseLrs[i] = lr));
    this.apply();
  }

  private apply(): void {
    const f = this.schedule(this.lastStep);
    checkNum('LrScheduler', `schedule(${this.lastStep})`, f, 0);
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.baseLrs[i] * f));
  }
}

/**
 * Drives `optimizer`'s learning rates from `schedule`: each group's lr becomes its lr at attach time
 * times schedule(t); t starts at 0 (applied now) and advances with `scheduler.step()` (call it after
 * `optimizer.step()`).
 *
 * @example
 * const sched = td.optim.attachSchedule(opt, td.optim.cosineSchedule({ warmupSteps: 100, totalSteps: 10000, minFactor: 0.1 }));
 * // per step: opt.step(); sched.step();
 */
export function attachSchedule<O extends BaseOptions>(optimizer: Optimizer<O>, schedule: LrSchedule | ((step: number) => number)): LrScheduler {
  return new LrScheduler(optimizer as unknown as Optimizer<BaseOptions>, schedule as LrSchedule);
}
