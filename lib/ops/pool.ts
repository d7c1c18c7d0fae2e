// pool.ts — 2-D average pooling and nearest-neighbour upsampling, with their backward rules.
import { Tensor } from '../tensor';
import type { Pair } from './conv';

/** Average pooling over kH×kW windows: x [N, C, H, W] (or [C, H, W]) -> [N, C, Ho, Wo]. */
export function avgPool2d(x: Tensor, kernel: Pair, stride?: Pair | null, padding: Pair = 0): Tensor {
  void x; void kernel; void stride; void padding;
  throw new Error('avgPool2d: not implemented yet');
}

/** Nearest-neighbour upsampling by an integer factor: x [N, C, H, W] -> [N, C, H*s, W*s]. */
export function upsampleNearest2d(x: Tensor, scale: Pair): Tensor {
  void x; void scale;
  throw new Error('upsampleNearest2d: not implemented yet');
}
