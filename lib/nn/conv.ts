// conv.ts — Conv2d over the functional conv2d (stride, padding, dilation, groups), with PyTorch's
// default initialisation.
import { conv2d, Pair } from '../ops/conv';
import { unsqueeze, squeeze } from '../ops/views';
import { shapeStr } from '../shape';
import { Tensor } from '../tensor';
import { defaultLayerInit } from './init';
import { Module } from './module';
import { Parameter } from './parameter';
import { LayerOptions, bool, checkInput, layerDtype, newParam, posInt } from './util';

export interface Conv2dOptions extends LayerOptions {
  /** Step of the window (default 1). */
  stride?: Pair;
  /** Zero padding on both sides of each spatial dim (default 0). */
  padding?: Pair;
  /** Spacing between kernel taps (default 1). */
  dilation?: Pair;
  /** Independent channel groups (default 1); inChannels and outChannels must be divisible by it. */
  groups?: number;
  /** Learn a per-channel bias (default true). */
  bias?: boolean;
}

/** @internal A [height, width] pair from a number or a pair of integers >= min. */
export function pair(op: string, v: unknown, name: string, min: number): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2) throw new TypeError(`${op}: ${name} must be an integer or a pair [h, w], got ${JSON.stringify(v)}`);
  return [posInt(op, p[0], `${name}[0]`, min), posInt(op, p[1], `${name}[1]`, min)];
}

/**
 * 2-D convolution: x [N, inChannels, H, W] (or unbatched [inChannels, H, W]) -> [N, outChannels, Ho, Wo],
 * Ho = ⌊(H + 2·padding − dilation·(kH − 1) − 1) / stride⌋ + 1. weight [out, in/groups, kH, kW] and
 * bias [out] are initialised like PyTorch's: U(−1/√fanIn, 1/√fanIn), fanIn = in/groups · kH · kW.
 */
export class Conv2d extends Module {
  weight: Parameter; // [out, in/groups, kH, kW]
  bias: Parameter | null; // [out]
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, o: Conv2dOptions = {}) {
    super();
    const op = 'Conv2d';
    const dt = layerDtype(op, o);
    this.inChannels = posInt(op, inChannels, 'inChannels');
    this.outChannels = posInt(op, outChannels, 'outChannels');
    this.kernelSize = pair(op, kernelSize, 'kernelSize', 1);
    this.stride = pair(op, o.stride ?? 1, 'stride', 1);
    this.padding = pair(op, o.padding ?? 0, 'padding', 0);
    this.dilation = pair(op, o.dilation ?? 1, 'dilation', 1);
    this.groups = posInt(op, o.groups ?? 1, 'groups');
    if (inChannels % this.groups || outChannels % this.groups)
      throw new RangeError(`${op}: inChannels (${inChannels}) and outChannels (${outChannels}) must be divisible by groups (${this.groups})`);
    this.weight = newParam([outChannels, inChannels / this.groups, ...this.kernelSize], dt);
    this.bias = bool(op, o.bias, 'bias', true) ? newParam([outChannels], dt) : null;
    defaultLayerInit(this.weight, this.bias);
  }

  override forward(x: Tensor): Tensor {
    const t = checkInput('Conv2d', x, 3);
    if (t.ndim !== 3 && t.ndim !== 4) throw new RangeError(`Conv2d: input ${shapeStr(t.shape)} must be [N, C, H, W] or [C, H, W]`);
    const c = t.shape[t.ndim - 3];
    if (c !== this.inChannels) throw new RangeError(`Conv2d: input ${shapeStr(t.shape)} has ${c} channels, expected ${this.inChannels}`);
    const opts = { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
    if (t.ndim === 3) return squeeze(conv2d(unsqueeze(t, 0), this.weight, this.bias, opts), 0);
    return conv2d(t, this.weight, this.bias, opts);
  }

  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernelSize=${shapeStr(this.kernelSize)}, stride=${shapeStr(this.stride)}, ` +
      `padding=${shapeStr(this.padding)}, dilation=${shapeStr(this.dilation)}, groups=${this.groups}, bias=${this.bias !== null}`;
  }
}
