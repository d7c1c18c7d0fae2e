// norm.ts — group normalisation and RMS normalisation, composed of primitive ops.
import { Tensor } from '../tensor';

/** Group normalisation: x [N, C, ...] split into `groups` channel groups, weight/bias [C]. */
export function groupNorm(x: Tensor, groups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  void x; void groups; void weight; void bias; void eps;
  throw new Error('groupNorm: not implemented yet');
}

/** RMS normalisation over the trailing dims normalizedShape; weight has shape normalizedShape. */
export function rmsNorm(x: Tensor, normalizedShape: readonly number[], weight?: Tensor | null, eps?: number | null): Tensor {
  void x; void normalizedShape; void weight; void eps;
  throw new Error('rmsNorm: not implemented yet');
}
