// norm.ts — normalisation layers: LayerNorm, GroupNorm, RMSNorm (affine parameters initialised to
// weight = 1, bias = 0, like PyTorch).
import { layerNorm } from '../ops/nn';
import { groupNorm, rmsNorm } from '../ops/norm';
import { shapeStr } from '../shape';
import { Tensor } from '../tensor';
import { ones } from './init';
import { Module } from './module';
import { Parameter } from './parameter';
import { LayerOptions, bool, checkInput, layerDtype, newParam, numIn, posInt } from './util';

export interface LayerNormOptions extends LayerOptions {
  /** Small constant added to the variance (default 1e-5). */
  eps?: number;
  /** Learn a per-element weight (and bias) over normalizedShape (default true). */
  elementwiseAffine?: boolean;
  /** Learn the bias too, when elementwiseAffine (default true). */
  bias?: boolean;
}

function normShape(op: string, s: unknown): number[] {
  const arr = typeof s === 'number' ? [s] : s;
  if (!Array.isArray(arr) || arr.length === 0) throw new TypeError(`${op}: normalizedShape must be a positive integer or a non-empty array of them`);
  return arr.map((d, i) => posInt(op, d, `normalizedShape[${i}]`));
}

function checkTrailing(op: string, x: Tensor, shape: readonly number[]): void {
  const n = shape.length;
  if (x.ndim < n || shape.some((d, i) => x.shape[x.ndim - n + i] !== d))
    throw new RangeError(`${op}: input ${shapeStr(x.shape)} must end in normalizedShape ${shapeStr(shape)}`);
}

/** Layer normalisation over the trailing dims normalizedShape: x [..., *normalizedShape] -> same shape. */
export class LayerNorm extends Module {
  weight: Parameter | null; // normalizedShape
  bias: Parameter | null; // normalizedShape
  readonly normalizedShape: number[];
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], o: LayerNormOptions = {}) {
    super();
    const dt = layerDtype('LayerNorm', o);
    this.normalizedShape = normShape('LayerNorm', normalizedShape);
    this.eps = numIn('LayerNorm', o.eps ?? 1e-5, 'eps', 0, Infinity);
    const affine = bool('LayerNorm', o.elementwiseAffine, 'elementwiseAffine', true);
    this.weight = affine ? newParam(this.normalizedShape, dt, ones) : null;
    this.bias = affine && bool('LayerNorm', o.bias, 'bias', true) ? newParam(this.normalizedShape, dt) : null;
  }

  override forward(x: Tensor): Tensor {
    const t = checkInput('LayerNorm', x, this.normalizedShape.length);
    checkTrailing('LayerNorm', t, this.normalizedShape);
    return layerNorm(t, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${shapeStr(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.weight !== null}`;
  }
}

export interface GroupNormOptions extends LayerOptions {
  /** Small constant added to the variance (default 1e-5). */
  eps?: number;
  /** Learn per-channel weight and bias (default true). */
  affine?: boolean;
}

/** Group normalisation: x [N, C, *] with C channels split into numGroups groups -> same shape. */
export class GroupNorm extends Module {
  weight: Parameter | null; // [C]
  bias: Parameter | null; // [C]
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;

  constructor(numGroups: number, numChannels: number, o: GroupNormOptions = {}) {
    super();
    const dt = layerDtype('GroupNorm', o);
    this.numGroups = posInt('GroupNorm', numGroups, 'numGroups');
    this.numChannels = posInt('GroupNorm', numChannels, 'numChannels');
    if (numChannels % numGroups !== 0)
      throw new RangeError(`GroupNorm: numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`);
    this.eps = numIn('GroupNorm', o.eps ?? 1e-5, 'eps', 0, Infinity);
    const affine = bool('GroupNorm', o.affine, 'affine', true);
    this.weight = affine ? newParam([numChannels], dt, ones) : null;
    this.bias = affine ? newParam([numChannels], dt) : null;
  }

  override forward(x: Tensor): Tensor {
    const t = checkInput('GroupNorm', x, 2, [1, this.numChannels, 'channels']);
    return groupNorm(t, this.numGroups, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.weight !== null}`;
  }
}

export interface RMSNormOptions extends LayerOptions {
  /** Added to the mean square; default: the machine epsilon of the input's dtype (PyTorch's None). */
  eps?: number | null;
  /** Learn a per-element weight (default true). */
  elementwiseAffine?: boolean;
}

/** RMS normalisation x / sqrt(mean(x²) + eps) · weight over the trailing dims normalizedShape. */
export class RMSNorm extends Module {
  weight: Parameter | null; // normalizedShape
  readonly normalizedShape: number[];
  readonly eps: number | null;

  constructor(normalizedShape: number | readonly number[], o: RMSNormOptions = {}) {
    super();
    const dt = layerDtype('RMSNorm', o);
    this.normalizedShape = normShape('RMSNorm', normalizedShape);
    this.eps = o.eps === undefined || o.eps === null ? null : numIn('RMSNorm', o.eps, 'eps', 0, Infinity);
    this.weight = bool('RMSNorm', o.elementwiseAffine, 'elementwiseAffine', true) ? newParam(this.normalizedShape, dt, ones) : null;
  }

  override forward(x: Tensor): Tensor {
    const t = checkInput('RMSNorm', x, this.normalizedShape.length);
    checkTrailing('RMSNorm', t, this.normalizedShape);
    return rmsNorm(t, this.normalizedShape, this.weight, this.eps);
  }

  override extraRepr(): string {
    return `${shapeStr(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.weight !== null}`;
  }
}
