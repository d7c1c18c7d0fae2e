// adam.ts — Adam (L2 weight decay) and AdamW (decoupled weight decay), PyTorch's semantics
// (torch.optim.Adam / AdamW, optional amsgrad). Each parameter's update is ONE fused native kernel
// (native/kernels/adam.h) that reads p, g, m, v and writes p, m, v in place; see adamKernel.ts.
import { keep } from '../memory';
import { fullK } from '../ops/kernel';
import { Tensor } from '../tensor';
import { adamStepK } from './adamKernel';
import { BaseOptions, Optimizer, ParamGroup, Params, ParamState } from './optimizer';
import { checkBool, checkNum } from './util';

/** Options of {@link Adam} and {@link AdamW} (PyTorch's names; betas as a pair). */
export interface AdamOptions extends BaseOptions {
  /** (β1, β2), each in [0, 1). Default [0.9, 0.999]. */
  betas: [number, number];
  /** ε added to √v̂ (default 1e-8). */
  eps: number;
  /** Weight decay λ: an L2 term g + λp for Adam, decoupled p(1 − lr λ) for AdamW. Default 0 (Adam), 0.01 (AdamW). */
  weightDecay: number;
  /** Use the running maximum of v (AMSGrad). Default false. */
  amsgrad: boolean;
}

abstract class AdamBase extends Optimizer<AdamOptions> {
  private readonly decoupled: boolean;

  protected constructor(name: string, decoupled: boolean, params: Params<AdamOptions>, options: Partial<AdamOptions>) {
    if (options === undefined) options = {};
    if (options === null || typeof options !== 'object') throw new TypeError(`${name}: options must be an object`);
    super(name, params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: decoupled ? 1e-2 : 0, amsgrad: false, ...options });
    this.decoupled = decoupled;
  }

  protected checkOptions(op: string, o: AdamOptions): AdamOptions {
    const b = o.betas as unknown;
    if (!Array.isArray(b) || b.length !== 2) throw new TypeError(`${op}: betas must be a pair [beta1, beta2], got ${JSON.stringify(b)}`);
    return {
      ...o,
      lr: checkNum(op, 'lr', o.lr, 0),
      betas: [checkNum(op, 'betas[0]', b[0], 0, 1, true), checkNum(op, 'betas[1]', b[1], 0, 1, true)],
      eps: checkNum(op, 'eps', o.eps, 0),
      weightDecay: checkNum(op, 'weightDecay', o.weightDecay, 0),
      amsgrad: checkBool(op, 'amsgrad', o.amsgrad),
    };
  }
  protected requiredState(group: ParamGroup<AdamOptions>): string[] {
    return group.amsgrad ? ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] : ['exp_avg', 'exp_avg_sq'];
  }
  protected allowedState(): string[] {
    return ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'];
  }

  protected update(p: Tensor, g: Tensor, o: ParamGroup<AdamOptions>, st: ParamState): void {
    const s = st.tensors;
    const zeros = () => keep(fullK(p.shape, 0, p.dtype, p.device));
    if (!s.exp_avg) s.exp_avg = zeros();
    if (!s.exp_avg_sq) s.exp_avg_sq = zeros();
    if (o.amsgrad && !s.max_exp_avg_sq) s.max_exp_avg_sq = zeros();
    adamStepK(p, g, s.exp_avg, s.exp_avg_sq, o.amsgrad ? s.max_exp_avg_sq : null, {
      lr: o.lr, beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weightDecay,
      decoupled: this.decoupled, step: st.step + 1,
    });
    st.step++;
  }

  override stateDict() {
    const sd = super.stateDict();
    // betas travel as two numbers (the meta holds numbers and booleans only)
    sd.meta.paramGroups.forEach((mg, i) => {
      mg.beta1 = this.paramGroups[i].betas[0];
      mg.beta2 = this.paramGroups[i].betas[1];
    });
    return sd;
  }
  override loadStateDict(sd: Parameters<Optimizer<AdamOptions>['loadStateDict']>[0]): void {
    if (sd && typeof sd === 'object' && sd.meta && Array.isArray(sd.meta.paramGroups)) {
      const groups = sd.meta.paramGroups.map((mg) => {
        if (mg === null || typeof mg !== 'object' || !('beta1' in mg)) return mg;
        const { beta1, beta2, ...rest } = mg;
        return { ...rest, betas: [beta1, beta2] } as unknown as typeof mg;
      });
      sd = { ...sd, meta: { ...sd.meta, paramGroups: groups } };
    }
    super.loadStateDict(sd);
  }
}

/**
 * Adam (Kingma & Ba) with PyTorch's semantics; weightDecay adds λp to the gradient (L2).
 *
 * @example
 * const opt = new td.optim.Adam(model.parameters(), { lr: 1e-3, betas: [0.9, 0.999] });
 */
export class Adam extends AdamBase {
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super('Adam', false, params, options);
  }
}

/**
 * AdamW (Loshchilov & Hutter): Adam with decoupled weight decay p ← p(1 − lr λ), default λ = 0.01.
 *
 * @example
 * const opt = new td.optim.AdamW(model.parameters(), { lr: 3e-4, weightDecay: 0.01 });
 */
export class AdamW extends AdamBase {
  constructor(params: Params<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super('AdamW', true, params, options);
  }
}
