// embedding.ts — embedding lookup (rows of a weight table chosen by int32 indices).
import { Tensor } from '../tensor';

/** Rows of weight [num, dim] picked by int32 idx [...] -> [..., dim]; gradients flow into weight. */
export function embedding(idx: Tensor, weight: Tensor): Tensor {
  void idx; void weight;
  throw new Error('embedding: not implemented yet');
}
