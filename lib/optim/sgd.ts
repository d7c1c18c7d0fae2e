// sgd.ts — stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay,
// with PyTorch's semantics (torch.optim.SGD), composed from elementwise kernels and written in place:
//   d ← g + λ p                                       (weightDecay λ)
//   b ← d at the first step, else μ b + (1 − τ) d     (momentum μ, dampening τ)
//   d ← d + μ b (nesterov) or b
//   p ← p − lr d
import { keep } from '../memory';
import { castK } from '../ops/kernel';
import { Tensor } from '../tensor';
import { BaseOptions, Optimizer, ParamGroup, Params, ParamState } from './optimizer';
import { assign, checkBool, checkNum, minus, plus, scaled } from './util';

/** Options of {@link SGD} (PyTorch's names and defaults). */
export interface SGDOptions extends BaseOptions {
  /** Momentum factor μ (default 0). */
  momentum: number;
  /** Dampening τ of the momentum (default 0). */
  dampening: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov: boolean;
  /** L2 penalty λ added to the gradient (default 0). */
  weightDecay: number;
}

/**
 * Stochastic gradient descent (optionally with momentum), like `torch.optim.SGD`.
 *
 * @example
 * const opt = new td.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
 * // per step: loss.backward(); opt.step(); opt.zeroGrad();
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Params<SGDOptions>, options: Partial<SGDOptions> & { lr: number }) {
    if (options === null || typeof options !== 'object') throw new TypeError('SGD: options must be an object with lr');
    super('SGD', params, { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, ...options });
  }

  protected checkOptions(op: string, o: SGDOptions): SGDOptions {
    const r = {
      ...o,
      lr: checkNum(op, 'lr', o.lr, 0),
      momentum: checkNum(op, 'momentum', o.momentum, 0),
      dampening: checkNum(op, 'dampening', o.dampening),
      nesterov: checkBool(op, 'nesterov', o.nesterov),
      weightDecay: checkNum(op, 'weightDecay', o.weightDecay, 0),
    };
    if (r.nesterov && (r.momentum <= 0 || r.dampening !== 0))
      throw new RangeError(`${op}: nesterov momentum requires momentum > 0 and dampening 0 (got momentum ${r.momentum}, dampening ${r.dampening})`);
    return r;
  }
  protected requiredState(group: ParamGroup<SGDOptions>): string[] {
    return group.momentum !== 0 ? ['momentum_buffer'] : [];
  }
  protected allowedState(): string[] {
    return ['momentum_buffer'];
  }

  protected update(p: Tensor, g0: Tensor, o: ParamGroup<SGDOptions>, st: ParamState): void {
    st.step++;
    const g = g0.dtype === p.dtype ? g0 : castK(g0, p.dtype);
    const gd = o.weightDecay !== 0 ? plus(g, scaled(p, o.weightDecay)) : g; // g + λ p
    let d = gd;
    if (o.momentum !== 0) {
      let buf = st.tensors.momentum_buffer;
      if (!buf) st.tensors.momentum_buffer = buf = keep(castK(gd, p.dtype)); // b ← d (a fresh copy)
      else assign(buf, plus(scaled(buf, o.momentum), o.dampening === 0 ? gd : scaled(gd, 1 - o.dampening)));
      d = o.nesterov ? plus(gd, scaled(buf, o.momentum)) : buf;
    }
    assign(p, minus(p, scaled(d, o.lr)));
  }
}
