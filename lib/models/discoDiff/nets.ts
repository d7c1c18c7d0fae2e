// nets.ts — the raw EDM networks F(c_in x, c_noise, e) of DisCo-Diff, conditioned on the latents'
// embedding e [B, m·d] (m = 0: the unconditioned baseline, the same network without e):
//   DiscoToyNet   vectors: MLP on cat[c_in x, Fourier(c_noise), e] (layers × SiLU hidden) → [B, D]
//   DiscoImageNet images:  a small U-Net (lib/nn/unet.ts ResBlocks) whose conditioning vector is
//                 MLP(Fourier(c_noise)) + Linear(e) ("added conditioning"), → [B, C, S, S]
import { Tensor } from '../../tensor';
import { cat } from '../../ops/indexing';
import { add } from '../../ops/elementwise';
import { Module } from '../../nn/module';
import { Linear } from '../../nn/linear';
import { Conv2d } from '../../nn/conv';
import { GroupNorm } from '../../nn/norm';
import { SiLU } from '../../nn/activations';
import { ModuleList } from '../../nn/containers';
import { GaussianFourierEmbedding } from '../../nn/embeddings';
import { ResBlock, Downsample, UpsampleConv } from '../../nn/unet';

/** A raw conditioned EDM network. */
export interface CondNet extends Module {
  /** xIn [B, ...] (already × c_in), cNoise [B], e [B, condDim] or null → F [B, ...]. */
  forward(xIn: Tensor, cNoise: Tensor, e: Tensor | null): Tensor;
}

/** MLP denoiser for vectors: cat[x, Fourier(c_noise) (16), e] → layers × (Linear, SiLU) → Linear(D). */
export class DiscoToyNet extends Module implements CondNet {
  temb: GaussianFourierEmbedding;
  main: ModuleList;
  act = new SiLU();
  readonly condDim: number;

  /** dataDim D, hidden width, number of hidden layers, conditioning size (0: none), dtype, Fourier seed. */
  constructor(dataDim: number, hidden: number, layers: number, condDim: number, dtype: 'float32' | 'float64', seed?: number) {
    super();
    this.condDim = condDim;
    this.temb = new GaussianFourierEmbedding(16, { scale: 1, dtype, seed: seed === undefined ? undefined : seed + 1 });
    const lins: Linear[] = [new Linear(dataDim + 16 + condDim, hidden, { dtype })];
    for (let i = 1; i < layers; i++) lins.push(new Linear(hidden, hidden, { dtype }));
    lins.push(new Linear(hidden, dataDim, { dtype }));
    this.main = new ModuleList(lins);
  }

  /** xIn [B, D], cNoise [B], e [B, condDim] | null → [B, D]. */
  override forward(xIn: Tensor, cNoise: Tensor, e: Tensor | null): Tensor {
    const parts = [xIn, this.temb.forward(cNoise)];
    if (this.condDim > 0) parts.push(e!);
    let h = cat(parts, 1); // [B, D + 16 + condDim]
    const lins = [...this.main] as Linear[];
    for (let i = 0; i < lins.length - 1; i++) h = this.act.forward(lins[i].forward(h)); // [B, hidden]
    return lins[lins.length - 1].forward(h); // [B, D]
  }
}

/**
 * Small U-Net for images: convIn (C → base); per level ResBlock(→ base·mult) then Downsample (not
 * after the last); two middle ResBlocks; mirror path with skip concatenations; GroupNorm, SiLU,
 * conv (→ C). Every ResBlock adds the conditioning vector emb = MLP(Fourier(c_noise)) [+ Linear(e)].
 */
export class DiscoImageNet extends Module implements CondNet {
  temb: GaussianFourierEmbedding;
  tembMlp: ModuleList; // Linear(32, E), Linear(E, E); E = 4·base
  condProj: Linear | null; // condDim → E
  convIn: Conv2d;
  down: ModuleList;
  mid: ModuleList;
  up: ModuleList;
  normOut: GroupNorm;
  convOut: Conv2d;
  act = new SiLU();
  readonly condDim: number;

  /** channels C, base width, channelMults, GroupNorm groups, conditioning size (0: none), dtype, Fourier seed. */
  constructor(channels: number, base: number, channelMults: number[], groups: number, condDim: number, dtype: 'float32' | 'float64', seed?: number) {
    super();
    this.condDim = condDim;
    const E = 4 * base;
    this.temb = new GaussianFourierEmbedding(32, { scale: 1, dtype, seed: seed === undefined ? undefined : seed + 1 });
    this.tembMlp = new ModuleList([new Linear(32, E, { dtype }), new Linear(E, E, { dtype })]);
    this.condProj = condDim > 0 ? new Linear(condDim, E, { dtype }) : null;
    this.convIn = new Conv2d(channels, base, 3, { padding: 1, dtype });
    const L = channelMults.length;
    const down: Module[] = [], skips: number[] = [base];
    let ch = base;
    for (let i = 0; i < L; i++) {
      const out = base * channelMults[i];
      down.push(new ResBlock(ch, { outChannels: out, tembDim: E, groups, dtype }));
      ch = out;
      skips.push(ch);
      if (i < L - 1) {
        down.push(new Downsample(ch, { dtype }));
        skips.push(ch);
      }
    }
    this.down = new ModuleList(down);
    this.mid = new ModuleList([new ResBlock(ch, { tembDim: E, groups, dtype }), new ResBlock(ch, { tembDim: E, groups, dtype })]);
    const up: Module[] = [];
    for (let i = L - 1; i >= 0; i--) {
      const out = base * channelMults[i];
      for (let r = 0; r < 2; r++) {
        up.push(new ResBlock(ch + skips.pop()!, { outChannels: out, tembDim: E, groups, dtype }));
        ch = out;
      }
      if (i > 0) up.push(new UpsampleConv(ch, { dtype }));
    }
    this.up = new ModuleList(up);
    this.normOut = new GroupNorm(groups, ch, { dtype });
    this.convOut = new Conv2d(ch, channels, 3, { padding: 1, dtype });
  }

  /** xIn [B, C, S, S], cNoise [B], e [B, condDim] | null → [B, C, S, S]. */
  override forward(xIn: Tensor, cNoise: Tensor, e: Tensor | null): Tensor {
    const [l1, l2] = [...this.tembMlp] as Linear[];
    let emb = l2.forward(this.act.forward(l1.forward(this.temb.forward(cNoise)))); // [B, E]
    if (this.condProj) emb = add(emb, this.condProj.forward(e!)); // [B, E]
    let h = this.convIn.forward(xIn); // [B, base, S, S]
    const hs: Tensor[] = [h];
    for (const m of this.down) {
      h = m instanceof ResBlock ? m.forward(h, emb) : m.forward(h);
      hs.push(h);
    }
    for (const m of this.mid) h = (m as ResBlock).forward(h, emb);
    for (const m of this.up) h = m instanceof ResBlock ? m.forward(cat([h, hs.pop()!], 1), emb) : m.forward(h);
    return this.convOut.forward(this.act.forward(this.normOut.forward(h))); // [B, C, S, S]
  }
}
