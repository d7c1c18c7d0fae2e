// ema.ts — an exponential moving average of parameters (the "EMA weights" of diffusion training), with
// the optional decay warm-up of common diffusion code (diffusers' EMAModel), and copyTo / store /
// restore to evaluate with the averaged weights. Per update, for each parameter p and its shadow s:
//   s ← s − (1 − d)(s − p)
// with d = decay, or with warm-up at update count n (k = max(0, n − updateAfterStep − 1)):
//   d = 0 when k = 0, else min(decay, w(k)) floored at minDecay,
//   w(k) = 1 − (1 + k / invGamma)^(−power)   ('power')      or   (1 + k) / (10 + k)   ('simple').
import { noGrad } from '../autograd';
import { keep, tidy } from '../memory';
import { castK } from '../ops/kernel';
import { sameShape, shapeStr } from '../shape';
import { Tensor } from '../tensor';
import { assign, checkCount, checkNum, minus, scaled, tensorList } from './util';

/** Options of {@link EMA}. */
export interface EMAOptions {
  /** The (maximum) decay d in [0, 1] (default 0.9999). */
  decay?: number;
  /** Lower bound of the decay after warm-up starts (default 0). */
  minDecay?: number;
  /** Updates before this count copy the parameters (d = 0) (default 0). */
  updateAfterStep?: number;
  /** 'none' (default): constant decay. 'power': 1 − (1 + k/invGamma)^−power. 'simple': (1 + k)/(10 + k). */
  warmup?: 'none' | 'power' | 'simple';
  /** Warm-up inverse multiplicative factor (default 1). */
  invGamma?: number;
  /** Warm-up exponent (default 2/3; 3/4 suits short runs). */
  power?: number;
}

/** The EMA's state: shadow tensors keyed `shadow.<i>` plus the update count. */
export interface EMAStateDict {
  tensors: Record<string, Tensor>;
  meta: { type: 'EMA'; optimizationStep: number; decay: number };
}

/**
 * Exponential moving average of a list of parameters. Shadows are float copies owned by the EMA
 * (free them with dispose()).
 *
 * @example
 * const ema = new td.optim.EMA(model.parameters(), { decay: 0.999, warmup: 'power' });
 * // after each opt.step(): ema.update();
 * ema.store(); ema.copyTo(); evaluate(model); ema.restore();
 */
export class EMA {
  /** The parameters being averaged. */
  readonly params: Tensor[];
  /** The averaged copies, one per parameter (same shape and dtype). */
  readonly shadow: Tensor[];
  /** Number of update() calls so far. */
  optimizationStep = 0;
  readonly decay: number;
  readonly minDecay: number;
  readonly updateAfterStep: number;
  readonly warmup: 'none' | 'power' | 'simple';
  readonly invGamma: number;
  readonly power: number;
  private stored: Tensor[] | null = null;

  constructor(params: Iterable<Tensor> | Tensor, options: EMAOptions = {}) {
    const op = 'EMA';
    if (options === null || typeof options !== 'object') throw new TypeError(`${op}: options must be an object`);
    this.params = tensorList(op, params);
    if (this.params.length === 0) throw new RangeError(`${op}: got an empty parameter list`);
    this.decay = checkNum(op, 'decay', options.decay ?? 0.9999, 0, 1);
    this.minDecay = checkNum(op, 'minDecay', options.minDecay ?? 0, 0, 1);
    this.updateAfterStep = checkCount(op, 'updateAfterStep', options.updateAfterStep ?? 0);
    const w = options.warmup ?? 'none';
    if (w !== 'none' && w !== 'power' && w !== 'simple') throw new TypeError(`${op}: warmup must be 'none', 'power' or 'simple', got ${JSON.stringify(w)}`);
    this.warmup = w;
    this.invGamma = checkNum(op, 'invGamma', options.invGamma ?? 1, 0);
    if (this.invGamma === 0) throw new RangeError(`${op}: invGamma must be > 0`);
    this.power = checkNum(op, 'power', options.power ?? 2 / 3, 0);
    this.shadow = noGrad(() => this.params.map((p) => keep(castK(p, p.dtype))));
  }

  /** The decay used by the update with count n (n ≥ 1, see the file header). */
  getDecay(n: number): number {
    checkCount('EMA.getDecay', 'n', n);
    if (this.warmup === 'none') return n <= this.updateAfterStep ? 0 : this.decay;
    const k = Math.max(0, n - this.updateAfterStep - 1);
    if (k <= 0) return 0;
    const w = this.warmup === 'power' ? 1 - Math.pow(1 + k / this.invGamma, -this.power) : (1 + k) / (10 + k);
    return Math.max(Math.min(w, this.decay), this.minDecay);
  }

  /** One EMA update from the parameters' current values; returns the decay used. */
  update(): number {
    this.live('update');
    this.optimizationStep++;
    const d = this.getDecay(this.optimizationStep);
    noGrad(() =>
      tidy(() => {
        this.params.forEach((p, i) => {
          p._live('EMA.update');
          const s = this.shadow[i];
          if (d === 0) assign(s, p);
          else assign(s, minus(s, scaled(minus(s, p), 1 - d))); // s − (1 − d)(s − p)
        });
      }),
    );
    return d;
  }
  /** Alias of update(). */
  step(): number {
    return this.update();
  }

  /** Copies the averaged weights into `params` (default: the averaged parameters), in place. */
  copyTo(params?: Iterable<Tensor> | Tensor): void {
    this.live('copyTo');
    const ps = params === undefined ? this.params : this.matching('copyTo', params);
    noGrad(() => ps.forEach((p, i) => assign(p, this.shadow[i])));
  }

  /** Saves copies of the parameters' current values (to restore() after evaluating with copyTo()). */
  store(params?: Iterable<Tensor> | Tensor): void {
    this.live('store');
    const ps = params === undefined ? this.params : this.matching('store', params);
    this.stored?.forEach((t) => t.dispose());
    this.stored = noGrad(() => ps.map((p) => keep(castK(p, p.dtype))));
  }

  /** Writes the values saved by store() back into the parameters and frees the copies. */
  restore(params?: Iterable<Tensor> | Tensor): void {
    this.live('restore');
    if (!this.stored) throw new Error('EMA.restore: nothing stored (call store() first)');
    const ps = params === undefined ? this.params : this.matching('restore', params);
    const st = this.stored;
    noGrad(() => ps.forEach((p, i) => assign(p, st[i])));
    st.forEach((t) => t.dispose());
    this.stored = null;
  }

  /** Copies of the shadows (`shadow.<i>`) and the update count; dispose the tensors when done. */
  stateDict(): EMAStateDict {
    this.live('stateDict');
    const tensors: Record<string, Tensor> = {};
    noGrad(() => this.shadow.forEach((s, i) => (tensors[`shadow.${i}`] = castK(s, s.dtype))));
    return { tensors, meta: { type: 'EMA', optimizationStep: this.optimizationStep, decay: this.decay } };
  }

  /** Loads shadows and the update count (shapes must match the parameters; dtypes are cast). */
  loadStateDict(sd: EMAStateDict): void {
    const op = 'EMA.loadStateDict';
    this.live('loadStateDict');
    if (sd === null || typeof sd !== 'object' || typeof sd.tensors !== 'object' || sd.tensors === null || typeof sd.meta !== 'object' || sd.meta === null)
      throw new TypeError(`${op}: expected { tensors, meta } as made by stateDict()`);
    const n = checkCount(op, 'meta.optimizationStep', sd.meta.optimizationStep);
    const src = this.params.map((p, i) => {
      const t = sd.tensors[`shadow.${i}`];
      if (!(t instanceof Tensor)) throw new TypeError(`${op}: missing tensor 'shadow.${i}'`);
      t._live(op);
      if (!sameShape(t.shape, p.shape)) throw new RangeError(`${op}: 'shadow.${i}' ${shapeStr(t.shape)} does not match parameter ${i} ${shapeStr(p.shape)}`);
      if (t.dtype === 'int32') throw new TypeError(`${op}: 'shadow.${i}' is int32, expected a float tensor`);
      return t;
    });
    noGrad(() => src.forEach((t, i) => assign(this.shadow[i], t)));
    this.optimizationStep = n;
  }

  /** Frees the shadows and any stored copies. */
  dispose(): void {
    this.shadow.forEach((t) => t.dispose());
    this.stored?.forEach((t) => t.dispose());
    this.stored = null;
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  private live(op: string): void {
    if (this.shadow.some((t) => t.isDisposed)) throw new Error(`EMA.${op}: the EMA was disposed`);
  }
  private matching(op: string, params: Iterable<Tensor> | Tensor): Tensor[] {
    const ps = tensorList(`EMA.${op}`, params);
    if (ps.length !== this.params.length) throw new RangeError(`EMA.${op}: got ${ps.length} parameters, the EMA has ${this.params.length}`);
    ps.forEach((p, i) => {
      if (!sameShape(p.shape, this.params[i].shape))
        throw new RangeError(`EMA.${op}: parameter ${i} ${shapeStr(p.shape)} does not match the EMA's ${shapeStr(this.params[i].shape)}`);
    });
    return ps;
  }
}
