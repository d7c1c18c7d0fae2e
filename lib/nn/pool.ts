// pool.ts — AvgPool2d and Upsample (nearest) layers over the functional pooling ops.
import { avgPool2d, upsampleNearest2d } from '../ops/pool';
import { shapeStr } from '../shape';
import { Tensor } from '../tensor';
import { pair } from './conv';
import { Module } from './module';
import { checkInput } from './util';
import type { Pair } from '../ops/conv';

function check4d(op: string, x: unknown): Tensor {
  const t = checkInput(op, x, 3);
  if (t.ndim !== 3 && t.ndim !== 4) throw new RangeError(`${op}: input ${shapeStr(t.shape)} must be [N, C, H, W] or [C, H, W]`);
  return t;
}

/** Average over kernel windows: x [N, C, H, W] -> [N, C, Ho, Wo] (stride defaults to the kernel size). */
export class AvgPool2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(kernelSize: Pair, stride?: Pair | null, padding: Pair = 0) {
    super();
    this.kernelSize = pair('AvgPool2d', kernelSize, 'kernelSize', 1);
    this.stride = stride === undefined || stride === null ? this.kernelSize : pair('AvgPool2d', stride, 'stride', 1);
    this.padding = pair('AvgPool2d', padding, 'padding', 0);
    if (this.padding[0] * 2 > this.kernelSize[0] || this.padding[1] * 2 > this.kernelSize[1])
      throw new RangeError(`AvgPool2d: padding ${shapeStr(this.padding)} must be at most half the kernel size ${shapeStr(this.kernelSize)}`);
  }

  override forward(x: Tensor): Tensor {
    return avgPool2d(check4d('AvgPool2d', x), this.kernelSize, this.stride, this.padding);
  }

  override extraRepr(): string {
    return `kernelSize=${shapeStr(this.kernelSize)}, stride=${shapeStr(this.stride)}, padding=${shapeStr(this.padding)}`;
  }
}

export interface UpsampleOptions {
  /** Integer factor for both spatial dims, or [h, w]. */
  scaleFactor: Pair;
  /** Only 'nearest' is supported. */
  mode?: 'nearest';
}

/** Nearest-neighbour upsampling by an integer factor: x [N, C, H, W] -> [N, C, H·s, W·s]. */
export class Upsample extends Module {
  readonly scaleFactor: [number, number];
  readonly mode = 'nearest' as const;

  constructor(o: UpsampleOptions) {
    super();
    if (o === null || typeof o !== 'object') throw new TypeError('Upsample: expected options { scaleFactor, mode }');
    if (o.mode !== undefined && o.mode !== 'nearest') throw new TypeError(`Upsample: only mode 'nearest' is supported, got ${JSON.stringify(o.mode)}`);
    this.scaleFactor = pair('Upsample', o.scaleFactor, 'scaleFactor', 1);
  }

  override forward(x: Tensor): Tensor {
    return upsampleNearest2d(check4d('Upsample', x), this.scaleFactor);
  }

  override extraRepr(): string {
    return `scaleFactor=${shapeStr(this.scaleFactor)}, mode='nearest'`;
  }
}
