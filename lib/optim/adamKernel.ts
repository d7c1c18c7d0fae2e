// adamKernel.ts — the launcher of the one fused native Adam/AdamW kernel (native/kernels/adam.h):
// per element it reads p, g, m, v (and v̂ with amsgrad) once and writes p, m, v (and v̂) once, in place.
// The bias corrections 1 − β^t are computed here in float64 and passed as scalars.
import { begin, native, packNum } from '../native';
import { castK, copyInto, h, pack } from '../ops/kernel';
import { sameShape, shapeStr } from '../shape';
import { Tensor } from '../tensor';

/** Hyper-parameters of one fused Adam step. */
export interface AdamStepScalars {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** true: AdamW (decoupled decay p ← p(1 − lr λ)); false: Adam (L2 term g ← g + λ p). */
  decoupled: boolean;
  /** The step count t ≥ 1 (already incremented). */
  step: number;
}

/**
 * @internal One fused Adam/AdamW step, in place, outside autograd. `p` is the parameter (a leaf; any
 * strides: a non-contiguous one is updated through a contiguous copy), `g` its gradient (same shape;
 * copied when strided, of another dtype, or sharing p's storage), `m`, `v`, `vmax` the state: fresh
 * contiguous tensors of p's shape and dtype owned by the optimizer (vmax null without amsgrad).
 */
export function adamStepK(p: Tensor, g: Tensor, m: Tensor, v: Tensor, vmax: Tensor | null, s: AdamStepScalars): void {
  const op = 'adamStep';
  if (!sameShape(p.shape, g.shape))
    throw new RangeError(`${op}: grad ${shapeStr(g.shape)} does not match param ${shapeStr(p.shape)}`);
  for (const [name, t] of [['exp_avg', m], ['exp_avg_sq', v], ['max_exp_avg_sq', vmax]] as const) {
    if (!t) continue;
    if (!sameShape(p.shape, t.shape) || t.dtype !== p.dtype || !t.isContiguous())
      throw new RangeError(`${op}: state ${name} ${shapeStr(t.shape)} ${t.dtype} does not match param ${shapeStr(p.shape)} ${p.dtype}`);
  }
  const temps: Tensor[] = [];
  try {
    let gc = g;
    if (!g.isContiguous() || g.dtype !== p.dtype || g._storage === p._storage) temps.push((gc = castK(g, p.dtype)));
    const pc = p.isContiguous() ? p : castK(p, p.dtype);
    if (pc !== p) temps.push(pc);
    const bc1 = 1 - Math.pow(s.beta1, s.step);
    const bc2 = 1 - Math.pow(s.beta2, s.step);
    begin();
    pack(pc);
    pack(gc);
    pack(m);
    pack(v);
    if (vmax) pack(vmax);
    packNum(s.lr);
    packNum(s.beta1);
    packNum(s.beta2);
    packNum(s.eps);
    packNum(s.weightDecay);
    packNum(s.decoupled ? 1 : 0);
    packNum(bc1);
    packNum(bc2);
    native.adamStep(h(pc), h(gc), h(m), h(v), vmax ? h(vmax) : null);
    if (pc !== p) copyInto(p, pc);
  } finally {
    for (const t of temps) t.dispose();
  }
}
