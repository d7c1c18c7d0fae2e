// latents.ts — DisCo-Diff's discrete-latent pieces: the encoder q(c | x) that maps a clean sample
// to logits over m latents × k codes (an MLP for vectors [B, D], a small strided CNN for images
// [B, C, H, W]), and the latent embedding: a table of k vectors of size d per latent, read with a
// (relaxed or hard) one-hot [B, m, k] so that gradients reach the encoder through the relaxation.
import { Tensor, checkTensor } from '../../tensor';
import { matmul } from '../../ops/linalg';
import { permute, reshape } from '../../ops/views';
import { cast } from '../../ops/util';
import { shapeStr } from '../../shape';
import { Module } from '../../nn/module';
import { Parameter } from '../../nn/parameter';
import { Linear } from '../../nn/linear';
import { Conv2d } from '../../nn/conv';
import { SiLU } from '../../nn/activations';
import { ModuleList } from '../../nn/containers';
import { newParam } from '../../nn/util';
import { normal } from '../../nn/init';

/** What the encoder reads: vectors [B, D] or images [B, C, S, S]. */
export type EncoderInput = { kind: 'toy'; dataDim: number } | { kind: 'image'; channels: number; size: number };

/**
 * q(c | x) logits: x [B, D] → MLP (2 SiLU hidden layers of `hidden`) → [B, m, k]; or x [B, C, S, S]
 * → Conv(C→hidden/4, 3×3, stride 2) → SiLU → Conv(→hidden/2, 3×3, stride 2) → SiLU → flatten →
 * Linear(→hidden) → SiLU → Linear → [B, m, k].
 */
export class DiscoEncoder extends Module {
  readonly input: EncoderInput;
  readonly m: number;
  readonly k: number;
  convs: ModuleList | null;
  mlp: ModuleList;
  act = new SiLU();

  /** @param input the data kind; m latents over k codes; hidden width; dtype of the parameters. */
  constructor(input: EncoderInput, m: number, k: number, hidden: number, dtype: 'float32' | 'float64' = 'float32') {
    super();
    this.input = input;
    this.m = m;
    this.k = k;
    let flat: number;
    if (input.kind === 'image') {
      const c1 = Math.max(1, hidden >> 2), c2 = Math.max(1, hidden >> 1);
      this.convs = new ModuleList([
        new Conv2d(input.channels, c1, 3, { stride: 2, padding: 1, dtype }),
        new Conv2d(c1, c2, 3, { stride: 2, padding: 1, dtype }),
      ]);
      const s = Math.ceil(Math.ceil(input.size / 2) / 2);
      flat = c2 * s * s;
    } else {
      this.convs = null;
      flat = input.dataDim;
    }
    this.mlp = new ModuleList([new Linear(flat, hidden, { dtype }), new Linear(hidden, hidden, { dtype }), new Linear(hidden, m * k, { dtype })]);
  }

  /** x [B, D] or [B, C, S, S] → logits [B, m, k]. */
  override forward(x: Tensor): Tensor {
    const op = 'DiscoEncoder.forward';
    checkTensor(op, x, 'x');
    const B = x.shape[0];
    let h = x;
    if (this.convs) {
      for (const c of this.convs) h = this.act.forward((c as Conv2d).forward(h)); // [B, c, s, s]
      h = reshape(h, [B, -1]);
    }
    const lins = [...this.mlp] as Linear[];
    h = this.act.forward(lins[0].forward(h));
    h = this.act.forward(lins[1].forward(h));
    return reshape(lins[2].forward(h), [B, this.m, this.k]); // [B, m, k]
  }
}

/**
 * One embedding table per latent, weight [m, k, d] ~ N(0, 1): a (soft) one-hot y [B, m, k] gives
 * e[b, i] = Σ_j y[b, i, j] W[i, j] (for a hard one-hot, row c_i of table i), flattened to [B, m·d].
 */
export class LatentEmbedding extends Module {
  weight: Parameter; // [m, k, d]
  readonly m: number;
  readonly k: number;
  readonly d: number;

  /** m latents, k codes each, embedding size d. */
  constructor(m: number, k: number, d: number, dtype: 'float32' | 'float64' = 'float32') {
    super();
    this.m = m;
    this.k = k;
    this.d = d;
    this.weight = newParam([m, k, d], dtype, (p) => normal(p));
  }

  /** y [B, m, k] (probabilities or one-hot) → [B, m·d]. */
  override forward(y: Tensor): Tensor {
    const op = 'LatentEmbedding.forward';
    checkTensor(op, y, 'y');
    if (y.ndim !== 3 || y.shape[1] !== this.m || y.shape[2] !== this.k)
      throw new RangeError(`${op}: y must be [B, ${this.m}, ${this.k}], got ${shapeStr(y.shape)} ${y.dtype}`);
    const yy = y.dtype === this.weight.dtype ? y : cast(y, this.weight.dtype);
    const e = matmul(permute(yy, [1, 0, 2]), this.weight); // [m, B, d]
    return reshape(permute(e, [1, 0, 2]), [y.shape[0], this.m * this.d]); // [B, m·d]
  }
}
