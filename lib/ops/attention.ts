// attention.ts — scaled dot-product attention (matmul -> scale (+mask) -> softmax -> matmul).
import { Tensor } from '../tensor';

export interface SdpaOptions {
  /** Boolean-like mask (float32 1/0 or int32; true = attend) or additive float mask, broadcast to [..., L, S]. */
  attnMask?: Tensor | null;
  /** Causal mask aligned to the upper left (query i attends to keys j <= i). */
  isCausal?: boolean;
  /** Scale of q·k (default 1/sqrt(E)). */
  scale?: number | null;
  /** Dropout probability on the attention weights (default 0). */
  dropoutP?: number;
  /** Seed of the dropout mask. */
  seed?: number | bigint;
}

/** Attention: q [..., L, E], k [..., S, E], v [..., S, Ev] -> [..., L, Ev]. */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: SdpaOptions = {}): Tensor {
  void q; void k; void v; void opts;
  throw new Error('scaledDotProductAttention: not implemented yet');
}
