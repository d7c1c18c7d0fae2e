// conv.ts — 2-D convolution (conv2d) as native im2col + GEMM, with its backward (grad input via
// GEMM + native col2im, grad weight via GEMM, grad bias via a sum).
import { Tensor } from '../tensor';

/** A size given once for both spatial dims, or as [height, width]. */
export type Pair = number | readonly [number, number];

export interface Conv2dOptions {
  /** Step of the kernel window (default 1). */
  stride?: Pair;
  /** Implicit zero padding on both sides of each spatial dim (default 0). */
  padding?: Pair;
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Split channels into this many independent groups (default 1). */
  groups?: number;
}

/**
 * 2-D convolution (cross-correlation, PyTorch's conv2d): x [N, Cin, H, W], weight
 * [Cout, Cin/groups, kH, kW], bias [Cout] -> [N, Cout, Ho, Wo].
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  void x; void weight; void bias; void opts;
  throw new Error('conv2d: not implemented yet');
}
