// dropout.ts — Dropout: zeroes elements with probability p in training mode, identity in eval mode.
import { dropout } from '../ops/nn';
import { Tensor } from '../tensor';
import { Module } from './module';
import { checkInput, numIn } from './util';

/**
 * In training mode (module.train(), the default) zeroes each element with probability p and scales
 * the rest by 1/(1 − p), drawing the mask from the global Philox generator; in eval mode returns x.
 */
export class Dropout extends Module {
  readonly p: number;
  constructor(p = 0.5) {
    super();
    this.p = numIn('Dropout', p, 'p', 0, 1);
  }
  override forward(x: Tensor): Tensor {
    return dropout(checkInput('Dropout', x, 0), this.p, { training: this.training });
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
