// imageNet.ts — the CLD image score network: a small U-Net (DDPM/ADM-style blocks from
// lib/nn/unet.ts) on x and v concatenated on the channel axis, conditioned on t through Gaussian
// Fourier features and a 2-layer MLP. x, v [B, C, H, W], t [B] → α [B, C, H, W].
//
// Layout (levels = channelMults.length, L):
//   convIn: Conv2d(2C → base, 3×3)
//   down:   per level i: numResBlocks × ResBlock(→ base·mult_i) (attention at the lowest level if
//           `attention`), then Downsample (stride-2 conv) except after the last level
//   mid:    ResBlock, ResBlock (attention between them if `attention`)
//   up:     per level (reversed): (numResBlocks + 1) × ResBlock(cat[h, skip] → base·mult_i), then
//           UpsampleConv except after the first (finest) level
//   out:    GroupNorm, SiLU, Conv2d(base → C, 3×3)
// H and W must be equal and divisible by 2^(L − 1).
import { Tensor, checkTensor } from '../../tensor';
import { cat } from '../../ops/indexing';
import { cast } from '../../ops/util';
import { shapeStr } from '../../shape';
import { getRngState, manualSeed, setRngState } from '../../random';
import { Module } from '../../nn/module';
import { Linear } from '../../nn/linear';
import { Conv2d } from '../../nn/conv';
import { GroupNorm } from '../../nn/norm';
import { SiLU } from '../../nn/activations';
import { ModuleList } from '../../nn/containers';
import { GaussianFourierEmbedding } from '../../nn/embeddings';
import { ResBlock, Downsample, UpsampleConv } from '../../nn/unet';

/** Options of {@link CLDImageNet}; the JSON-able config that a checkpoint stores. */
export interface CLDImageNetConfig {
  /** Image channels C (default 1); the net sees 2C input channels ([x, v]). */
  channels?: number;
  /** Image side H = W (default 16); divisible by 2^(levels − 1). */
  size?: number;
  /** Base width (default 32). */
  base?: number;
  /** Width multiplier per resolution level (default [1, 2]: 16×16 at 32, 8×8 at 64). */
  channelMults?: number[];
  /** Residual blocks per level on the way down (default 1). */
  numResBlocks?: number;
  /** Self-attention at the lowest resolution and in the middle (default false). */
  attention?: boolean;
  /** GroupNorm groups (default 8; must divide every width). */
  groups?: number;
  /** Number of Gaussian Fourier features of t (even; default 32). */
  fourierDim?: number;
  /** Std of the Fourier frequencies (default 4). */
  fourierScale?: number;
  /** Seed of the initial weights and the Fourier frequencies (the global generator is left as it was). */
  seed?: number;
  /** Parameter dtype (default float32). */
  dtype?: 'float32' | 'float64';
}

/** The fully resolved image-net config. */
export type ResolvedImageNetConfig = Required<Omit<CLDImageNetConfig, 'seed'>> & { seed: number | null };

/** Validate and fill in the defaults of a {@link CLDImageNetConfig}. */
export function resolveImageNetConfig(c: CLDImageNetConfig = {}): ResolvedImageNetConfig {
  const op = 'CLDImageNet';
  if (c === null || typeof c !== 'object') throw new TypeError(`${op}: config must be an object`);
  const int = (v: unknown, name: string, d: number, min: number): number => {
    const x = v === undefined ? d : v;
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min) throw new RangeError(`${op}: ${name} must be an integer ≥ ${min}, got ${String(x)}`);
    return x;
  };
  const channelMults = c.channelMults ?? [1, 2];
  if (!Array.isArray(channelMults) || channelMults.length < 1 || channelMults.some((m) => !Number.isInteger(m) || m < 1))
    throw new RangeError(`${op}: channelMults must be a non-empty array of positive integers, got ${JSON.stringify(channelMults)}`);
  const size = int(c.size, 'size', 16, 1);
  const f = 2 ** (channelMults.length - 1);
  if (size % f) throw new RangeError(`${op}: size ${size} must be divisible by 2^(levels − 1) = ${f} (channelMults ${JSON.stringify(channelMults)})`);
  const base = int(c.base, 'base', 32, 1);
  const groups = int(c.groups, 'groups', 8, 1);
  for (const m of channelMults) if ((base * m) % groups) throw new RangeError(`${op}: groups ${groups} must divide every width (base ${base} × mult ${m})`);
  const fourierDim = int(c.fourierDim, 'fourierDim', 32, 2);
  if (fourierDim % 2) throw new RangeError(`${op}: fourierDim must be even, got ${fourierDim}`);
  const fourierScale = c.fourierScale ?? 4;
  if (typeof fourierScale !== 'number' || !(fourierScale > 0) || !Number.isFinite(fourierScale)) throw new RangeError(`${op}: fourierScale must be a finite number > 0, got ${String(fourierScale)}`);
  const attention = c.attention ?? false;
  if (typeof attention !== 'boolean') throw new TypeError(`${op}: attention must be a boolean, got ${String(attention)}`);
  const dtype = c.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') throw new TypeError(`${op}: dtype must be 'float32' or 'float64', got ${String(dtype)}`);
  const seed = c.seed === undefined ? null : c.seed;
  if (seed !== null && (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0)) throw new RangeError(`${op}: seed must be a non-negative integer, got ${String(seed)}`);
  return {
    channels: int(c.channels, 'channels', 1, 1), size, base, channelMults: [...channelMults],
    numResBlocks: int(c.numResBlocks, 'numResBlocks', 1, 1), attention, groups, fourierDim, fourierScale, seed, dtype,
  };
}

/**
 * F(x, v, t) → α for images: x, v [B, C, H, W], t [B] → α [B, C, H, W] (a small U-Net on the
 * 2C-channel input cat([x, v], 1); see the file header for the layout).
 */
export class CLDImageNet extends Module {
  readonly config: ResolvedImageNetConfig;
  temb: GaussianFourierEmbedding;
  tembMlp: ModuleList; // Linear(fourierDim, E), Linear(E, E); E = 4·base
  convIn: Conv2d;
  down: ModuleList; // ResBlock | Downsample, in order
  mid: ModuleList; // 2 × ResBlock
  up: ModuleList; // ResBlock | UpsampleConv, in order
  normOut: GroupNorm;
  convOut: Conv2d;
  act = new SiLU();

  /** @param config see {@link CLDImageNetConfig}; defaults: 1 channel, 16×16, base 32, mults [1, 2]. */
  constructor(config: CLDImageNetConfig = {}) {
    super();
    const c = resolveImageNetConfig(config);
    this.config = c;
    const saved = c.seed === null ? null : getRngState();
    try {
      if (c.seed !== null) manualSeed(c.seed);
      const dtype = c.dtype, groups = c.groups, E = 4 * c.base;
      this.temb = new GaussianFourierEmbedding(c.fourierDim, { scale: c.fourierScale, dtype, seed: c.seed === null ? undefined : c.seed + 1 });
      this.tembMlp = new ModuleList([new Linear(c.fourierDim, E, { dtype }), new Linear(E, E, { dtype })]);
      this.convIn = new Conv2d(2 * c.channels, c.base, 3, { padding: 1, dtype });
      const L = c.channelMults.length;
      const down: Module[] = [], skips: number[] = [c.base];
      let ch = c.base;
      for (let i = 0; i < L; i++) {
        const out = c.base * c.channelMults[i];
        for (let r = 0; r < c.numResBlocks; r++) {
          down.push(new ResBlock(ch, { outChannels: out, tembDim: E, groups, dtype, attention: c.attention && i === L - 1 }));
          ch = out;
          skips.push(ch);
        }
        if (i < L - 1) {
          down.push(new Downsample(ch, { dtype }));
          skips.push(ch);
        }
      }
      this.down = new ModuleList(down);
      this.mid = new ModuleList([
        new ResBlock(ch, { tembDim: E, groups, dtype, attention: c.attention }),
        new ResBlock(ch, { tembDim: E, groups, dtype }),
      ]);
      const up: Module[] = [];
      for (let i = L - 1; i >= 0; i--) {
        const out = c.base * c.channelMults[i];
        for (let r = 0; r < c.numResBlocks + 1; r++) {
          up.push(new ResBlock(ch + skips.pop()!, { outChannels: out, tembDim: E, groups, dtype, attention: c.attention && i === L - 1 }));
          ch = out;
        }
        if (i > 0) up.push(new UpsampleConv(ch, { dtype }));
      }
      this.up = new ModuleList(up);
      this.normOut = new GroupNorm(groups, ch, { dtype });
      this.convOut = new Conv2d(ch, c.channels, 3, { padding: 1, dtype });
    } finally {
      if (saved) setRngState(saved);
    }
  }

  /** The per-sample data shape [C, H, W]. */
  get dataShape(): number[] {
    return [this.config.channels, this.config.size, this.config.size];
  }

  /** x [B, C, H, W], v [B, C, H, W], t [B] (any float dtype) → α [B, C, H, W] in the net's dtype. */
  override forward(x: Tensor, v: Tensor, t: Tensor): Tensor {
    const op = 'CLDImageNet.forward';
    const { channels: C, size: S } = this.config;
    checkTensor(op, x, 'x');
    checkTensor(op, v, 'v');
    checkTensor(op, t, 't');
    if (x.ndim !== 4 || x.shape[1] !== C || x.shape[2] !== S || x.shape[3] !== S)
      throw new RangeError(`${op}: x must be [B, ${C}, ${S}, ${S}], got ${shapeStr(x.shape)} ${x.dtype}`);
    if (v.ndim !== 4 || v.shape.some((d, i) => d !== x.shape[i])) throw new RangeError(`${op}: v must be ${shapeStr(x.shape)} like x, got ${shapeStr(v.shape)} ${v.dtype}`);
    if (t.ndim !== 1 || t.shape[0] !== x.shape[0]) throw new RangeError(`${op}: t must be [${x.shape[0]}], got ${shapeStr(t.shape)}`);
    for (const [name, a] of [['x', x], ['v', v], ['t', t]] as const)
      if (a.dtype !== 'float32' && a.dtype !== 'float64') throw new TypeError(`${op}: ${name} must be float32 or float64, got ${a.dtype} ${shapeStr(a.shape)}`);
    const dt = this.config.dtype;
    const xs = x.dtype === dt ? x : cast(x, dt);
    const vs = v.dtype === dt ? v : cast(v, dt);
    const ts = t.dtype === dt ? t : cast(t, dt);
    const [l1, l2] = [...this.tembMlp] as Linear[];
    const emb = l2.forward(this.act.forward(l1.forward(this.temb.forward(ts)))); // [B, E]
    let h = this.convIn.forward(cat([xs, vs], 1)); // [B, base, S, S]
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
