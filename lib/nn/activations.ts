// activations.ts — element-wise activation layers: SiLU, GELU (exact or tanh), ReLU, Tanh, Sigmoid.
import { gelu, relu, sigmoid, silu, tanh } from '../ops/elementwise';
import { Tensor } from '../tensor';
import { Module } from './module';
import { checkInput } from './util';

/** x · sigmoid(x) (a.k.a. swish). Any shape. */
export class SiLU extends Module {
  override forward(x: Tensor): Tensor {
    return silu(checkInput('SiLU', x, 0));
  }
}

/** GELU, exact (erf, the default) or with the tanh approximation (`new GELU('tanh')`). Any shape. */
export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';
  constructor(approximate: 'none' | 'tanh' = 'none') {
    super();
    if (approximate !== 'none' && approximate !== 'tanh')
      throw new TypeError(`GELU: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
    this.approximate = approximate;
  }
  override forward(x: Tensor): Tensor {
    return gelu(checkInput('GELU', x, 0), this.approximate);
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/** max(x, 0). Any shape. */
export class ReLU extends Module {
  override forward(x: Tensor): Tensor {
    return relu(checkInput('ReLU', x, 0));
  }
}

/** tanh(x). Any shape. */
export class Tanh extends Module {
  override forward(x: Tensor): Tensor {
    return tanh(checkInput('Tanh', x, 0));
  }
}

/** 1 / (1 + exp(−x)). Any shape. */
export class Sigmoid extends Module {
  override forward(x: Tensor): Tensor {
    return sigmoid(checkInput('Sigmoid', x, 0));
  }
}

/** The activations MLP and the blocks accept by name. */
export type ActivationName = 'gelu' | 'gelu_tanh' | 'silu' | 'relu' | 'tanh';

/** @internal A fresh activation module by name. */
export function activationByName(op: string, name: unknown): Module {
  switch (name) {
    case 'gelu': return new GELU();
    case 'gelu_tanh': return new GELU('tanh');
    case 'silu': return new SiLU();
    case 'relu': return new ReLU();
    case 'tanh': return new Tanh();
    default: throw new TypeError(`${op}: activation must be 'gelu', 'gelu_tanh', 'silu', 'relu' or 'tanh', got ${JSON.stringify(name)}`);
  }
}
