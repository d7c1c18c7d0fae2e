// mlp.ts — MLP: Linear -> activation -> (dropout) -> Linear, the transformer feed-forward block
// (timm's Mlp: fields fc1, act, drop, fc2).
import { Tensor } from '../tensor';
import { ActivationName, activationByName } from './activations';
import { Dropout } from './dropout';
import { Linear } from './linear';
import { Module } from './module';
import { LayerOptions, bool, numIn, posInt } from './util';

export interface MLPOptions extends LayerOptions {
  /** Output features (default inFeatures). */
  outFeatures?: number;
  /** Activation between the two layers (default 'gelu'; DiT uses 'gelu_tanh'). */
  act?: ActivationName;
  /** Dropout probability after the activation and after fc2 (default 0). */
  dropout?: number;
  /** Biases in both Linear layers (default true). */
  bias?: boolean;
}

/** x [..., in] -> fc2(drop(act(fc1(x)))) [..., out], with hiddenFeatures in between. */
export class MLP extends Module {
  fc1: Linear;
  act: Module;
  drop: Dropout;
  fc2: Linear;

  constructor(inFeatures: number, hiddenFeatures: number, o: MLPOptions = {}) {
    super();
    posInt('MLP', inFeatures, 'inFeatures');
    posInt('MLP', hiddenFeatures, 'hiddenFeatures');
    const out = o.outFeatures === undefined ? inFeatures : posInt('MLP', o.outFeatures, 'outFeatures');
    const bias = bool('MLP', o.bias, 'bias', true);
    this.fc1 = new Linear(inFeatures, hiddenFeatures, { bias, dtype: o.dtype });
    this.act = activationByName('MLP', o.act ?? 'gelu');
    this.drop = new Dropout(numIn('MLP', o.dropout ?? 0, 'dropout', 0, 1));
    this.fc2 = new Linear(hiddenFeatures, out, { bias, dtype: o.dtype });
  }

  override forward(x: Tensor): Tensor {
    const h = this.drop.forward(this.act.forward(this.fc1.forward(x)));
    return this.drop.forward(this.fc2.forward(h));
  }
}
