// unet.ts — the building blocks of a small diffusion U-Net (DDPM / ADM style): ResBlock (GroupNorm,
// SiLU, 3×3 convs, time-embedding injection, optional self-attention), AttentionBlock2d,
// Downsample and UpsampleConv.
import { add } from '../ops/elementwise';
import { reshape, transpose, unsqueeze } from '../ops/views';
import { shapeStr } from '../shape';
import { Tensor } from '../tensor';
import { SiLU } from './activations';
import { MultiheadAttention } from './attention';
import { Conv2d } from './conv';
import { Dropout } from './dropout';
import { Identity, Linear } from './linear';
import { zeros } from './init';
import { Module } from './module';
import { GroupNorm } from './norm';
import { AvgPool2d, Upsample } from './pool';
import { LayerOptions, bool, checkInput, numIn, posInt } from './util';

function check4d(op: string, x: unknown, c: number): Tensor {
  const t = checkInput(op, x, 4, [1, c, 'channels']);
  if (t.ndim !== 4) throw new RangeError(`${op}: input ${shapeStr(t.shape)} must be [B, ${c}, H, W]`);
  return t;
}

export interface AttentionBlock2dOptions extends LayerOptions {
  /** Attention heads (default 1); channels must be divisible by it. */
  numHeads?: number;
  /** GroupNorm groups (default 32, or fewer when channels is smaller). */
  groups?: number;
}

/**
 * Self-attention over the H·W positions of a feature map, with a residual: x [B, C, H, W] ->
 * x + attn(norm(x)) as tokens [B, H·W, C]. The output projection starts at zero, so a fresh block is
 * the identity.
 */
export class AttentionBlock2d extends Module {
  norm: GroupNorm;
  attn: MultiheadAttention;
  readonly channels: number;

  constructor(channels: number, o: AttentionBlock2dOptions = {}) {
    super();
    this.channels = posInt('AttentionBlock2d', channels, 'channels');
    this.norm = new GroupNorm(o.groups ?? Math.min(32, channels), channels, { dtype: o.dtype });
    this.attn = new MultiheadAttention(channels, o.numHeads ?? 1, { batchFirst: true, dtype: o.dtype });
    zeros(this.attn.out_proj.weight);
  }

  override forward(x: Tensor): Tensor {
    const t = check4d('AttentionBlock2d', x, this.channels);
    const [B, C, H, W] = t.shape;
    const tokens = transpose(reshape(this.norm.forward(t), [B, C, H * W]), 1, 2); // [B, HW, C]
    const y = transpose(this.attn.forward(tokens), 1, 2); // [B, C, HW]
    return add(t, reshape(y, [B, C, H, W]));
  }
}

export interface ResBlockOptions extends LayerOptions {
  /** Output channels (default inChannels). */
  outChannels?: number;
  /** Size of the time embedding it is conditioned on; omit for an unconditioned block. */
  tembDim?: number;
  /** GroupNorm groups (default 32, or fewer when a channel count is smaller). */
  groups?: number;
  /** Dropout before the second convolution (default 0). */
  dropout?: number;
  /** Follow the residual block with an AttentionBlock2d (default false). */
  attention?: boolean;
  /** Heads of that attention block (default 1). */
  numHeads?: number;
}

/**
 * A residual block: h = conv1(SiLU(norm1(x))) + tembProj(SiLU(temb))[:, :, None, None];
 * h = conv2(dropout(SiLU(norm2(h)))); y = skip(x) + h, then the optional attention block.
 * x [B, Cin, H, W], temb [B, tembDim] -> [B, Cout, H, W]. conv2 starts at zero (ADM), so a fresh block
 * is skip(x); skip is a 1×1 conv when Cin ≠ Cout, else the identity.
 */
export class ResBlock extends Module {
  norm1: GroupNorm;
  act: SiLU;
  conv1: Conv2d;
  tembProj: Linear | null;
  norm2: GroupNorm;
  dropout: Dropout;
  conv2: Conv2d;
  skip: Module;
  attn: AttentionBlock2d | null;
  readonly inChannels: number;
  readonly outChannels: number;

  constructor(inChannels: number, o: ResBlockOptions = {}) {
    super();
    const op = 'ResBlock';
    const dtype = o.dtype;
    this.inChannels = posInt(op, inChannels, 'inChannels');
    const out = (this.outChannels = o.outChannels === undefined ? inChannels : posInt(op, o.outChannels, 'outChannels'));
    const g = (c: number) => (o.groups === undefined ? Math.min(32, c) : posInt(op, o.groups, 'groups'));
    this.norm1 = new GroupNorm(g(inChannels), inChannels, { dtype });
    this.act = new SiLU();
    this.conv1 = new Conv2d(inChannels, out, 3, { padding: 1, dtype });
    this.tembProj = o.tembDim === undefined ? null : new Linear(posInt(op, o.tembDim, 'tembDim'), out, { dtype });
    this.norm2 = new GroupNorm(g(out), out, { dtype });
    this.dropout = new Dropout(numIn(op, o.dropout ?? 0, 'dropout', 0, 1));
    this.conv2 = new Conv2d(out, out, 3, { padding: 1, dtype });
    zeros(this.conv2.weight);
    zeros(this.conv2.bias!);
    this.skip = out === inChannels ? new Identity() : new Conv2d(inChannels, out, 1, { dtype });
    this.attn = bool(op, o.attention, 'attention', false) ? new AttentionBlock2d(out, { numHeads: o.numHeads, groups: o.groups, dtype }) : null;
  }

  override forward(x: Tensor, temb?: Tensor | null): Tensor {
    const op = 'ResBlock';
    const t = check4d(op, x, this.inChannels);
    let h = this.conv1.forward(this.act.forward(this.norm1.forward(t)));
    if (this.tembProj) {
      if (temb === undefined || temb === null) throw new TypeError(`${op}: this block is conditioned on a time embedding; pass temb [B, ${this.tembProj.inFeatures}]`);
      const e = checkInput(op, temb, 2, [-1, this.tembProj.inFeatures, 'features']);
      if (e.ndim !== 2 || e.shape[0] !== t.shape[0])
        throw new RangeError(`${op}: temb ${shapeStr(e.shape)} must be [${t.shape[0]}, ${this.tembProj.inFeatures}]`);
      const proj = this.tembProj.forward(this.act.forward(e)); // [B, Cout]
      h = add(h, unsqueeze(unsqueeze(proj, 2), 3));
    } else if (temb !== undefined && temb !== null) {
      throw new TypeError(`${op}: temb given, but the block was built without tembDim`);
    }
    h = this.conv2.forward(this.dropout.forward(this.act.forward(this.norm2.forward(h))));
    const y = add(this.skip.forward(t), h);
    return this.attn ? this.attn.forward(y) : y;
  }
}

export interface DownsampleOptions extends LayerOptions {
  /** A learned 3×3 stride-2 conv (default true) or 2×2 average pooling. */
  useConv?: boolean;
}

/** Halves H and W: [B, C, H, W] -> [B, C, H/2, W/2], by a 3×3 stride-2 conv (padding 1) or 2×2 average pooling. */
export class Downsample extends Module {
  op: Module;
  readonly channels: number;
  constructor(channels: number, o: DownsampleOptions = {}) {
    super();
    this.channels = posInt('Downsample', channels, 'channels');
    this.op = bool('Downsample', o.useConv, 'useConv', true)
      ? new Conv2d(channels, channels, 3, { stride: 2, padding: 1, dtype: o.dtype })
      : new AvgPool2d(2);
  }
  override forward(x: Tensor): Tensor {
    return this.op.forward(check4d('Downsample', x, this.channels));
  }
}

/** Doubles H and W: nearest upsampling then a 3×3 conv: [B, C, H, W] -> [B, C, 2H, 2W]. */
export class UpsampleConv extends Module {
  up: Upsample;
  conv: Conv2d;
  readonly channels: number;
  constructor(channels: number, o: LayerOptions = {}) {
    super();
    this.channels = posInt('UpsampleConv', channels, 'channels');
    this.up = new Upsample({ scaleFactor: 2 });
    this.conv = new Conv2d(channels, channels, 3, { padding: 1, dtype: o.dtype });
  }
  override forward(x: Tensor): Tensor {
    return this.conv.forward(this.up.forward(check4d('UpsampleConv', x, this.channels)));
  }
}
