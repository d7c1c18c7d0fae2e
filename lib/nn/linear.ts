// linear.ts — Linear (y = x Wᵀ + b over the last dim) and Identity.
import { linear } from '../ops/linalg';
import { Tensor } from '../tensor';
import { defaultLayerInit } from './init';
import { Module } from './module';
import { Parameter } from './parameter';
import { LayerOptions, bool, checkInput, layerDtype, newParam, posInt } from './util';

export interface LinearOptions extends LayerOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

/**
 * y = x Wᵀ + b: x [..., inFeatures] -> y [..., outFeatures]. weight [out, in] and bias [out] get
 * PyTorch's default initialisation, U(−1/√in, 1/√in) (kaiming-uniform with a = √5 for the weight).
 */
export class Linear extends Module {
  weight: Parameter; // [out, in]
  bias: Parameter | null; // [out]
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, o: LinearOptions = {}) {
    super();
    const dt = layerDtype('Linear', o);
    this.inFeatures = posInt('Linear', inFeatures, 'inFeatures');
    this.outFeatures = posInt('Linear', outFeatures, 'outFeatures');
    this.weight = newParam([outFeatures, inFeatures], dt);
    this.bias = bool('Linear', o.bias, 'bias', true) ? newParam([outFeatures], dt) : null;
    defaultLayerInit(this.weight, this.bias);
  }

  /** x [..., in] -> [..., out]. */
  override forward(x: Tensor): Tensor {
    checkInput('Linear', x, 1, [-1, this.inFeatures, 'features']);
    return linear(x, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/** Returns its input unchanged (a placeholder, e.g. for an optional skip projection). */
export class Identity extends Module {
  override forward(x: Tensor): Tensor {
    return x;
  }
}
