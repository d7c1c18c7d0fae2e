// nets.ts — the three small conv nets of Unified Latents (and, reused, of the VAE baseline):
//   ULEncoder       x [B, C, S, S] → [B, outC, S/f, S/f], f = 2^downsamples (deterministic; the VAE
//                   uses outC = 2L: mean and log-variance)
//   LatentDenoiser  z_t [B, L, h, w], λ [B] → ε̂ [B, L, h, w] (the diffusion prior / stage-2 base / LDM)
//   ULDecoderNet    x_t [B, C, S, S], λ [B], z₀ [B, L, h, w] → ε̂ [B, C, S, S] (a small U-Net; z₀ is
//                   upsampled to S×S by nearest neighbours and concatenated to x_t on the channel axis)
// Each net is built from a JSON-able config (stored in checkpoints) and a seed, leaving the global
// generator as it was. The noise level enters as a sinusoidal embedding of λ, then Linear–SiLU–Linear.
import { Tensor, checkTensor } from '../../tensor';
import { cat } from '../../ops/indexing';
import { cast } from '../../ops/util';
import { upsampleNearest2d } from '../../ops/pool';
import { shapeStr } from '../../shape';
import { getRngState, manualSeed, setRngState } from '../../random';
import { Module } from '../../nn/module';
import { Linear } from '../../nn/linear';
import { Conv2d } from '../../nn/conv';
import { GroupNorm } from '../../nn/norm';
import { SiLU } from '../../nn/activations';
import { ModuleList } from '../../nn/containers';
import { timestepEmbedding } from '../../nn/embeddings';
import { ResBlock, Downsample, UpsampleConv } from '../../nn/unet';

/** Float parameter dtype of the nets. */
export type NetDType = 'float32' | 'float64';

/** @internal A config validator for one net (names the net in its errors). */
export class Cfg {
  constructor(readonly op: string, readonly c: Record<string, unknown>) {
    if (c === null || typeof c !== 'object') throw new TypeError(`${op}: config must be an object`);
  }
  int(name: string, d: number, min = 1): number {
    const x = this.c[name] === undefined ? d : this.c[name];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min) throw new RangeError(`${this.op}: ${name} must be an integer ≥ ${min}, got ${String(x)}`);
    return x;
  }
  num(name: string, d: number, ok: (x: number) => boolean, what: string): number {
    const x = this.c[name] === undefined ? d : this.c[name];
    if (typeof x !== 'number' || !Number.isFinite(x) || !ok(x)) throw new RangeError(`${this.op}: ${name} must be ${what}, got ${String(x)}`);
    return x;
  }
  dtype(): NetDType {
    const d = this.c.dtype ?? 'float32';
    if (d !== 'float32' && d !== 'float64') throw new TypeError(`${this.op}: dtype must be 'float32' or 'float64', got ${String(d)}`);
    return d;
  }
  seed(): number | null {
    const s = this.c.seed;
    if (s === undefined || s === null) return null;
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 0) throw new RangeError(`${this.op}: seed must be a non-negative integer, got ${String(s)}`);
    return s;
  }
  groups(widths: number[], d: number): number {
    const g = this.int('groups', d);
    for (const w of widths) if (w % g) throw new RangeError(`${this.op}: groups ${g} must divide every width (${widths.join(', ')})`);
    return g;
  }
}

/** @internal Runs `build` with the global generator seeded by `seed` (when not null), then restores it. */
export function seeded<T>(seed: number | null, build: () => T): T {
  const saved = seed === null ? null : getRngState();
  try {
    if (seed !== null) manualSeed(seed);
    return build();
  } finally {
    if (saved) setRngState(saved);
  }
}

/** @internal Checks a float tensor of rank 4 with the given [*, C, H, W] and returns it in dtype `dt`. */
export function image4(op: string, x: unknown, name: string, c: number, h: number, w: number, dt: NetDType, batch?: number): Tensor {
  const t = checkTensor(op, x, name);
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new TypeError(`${op}: ${name} must be float32 or float64, got ${t.dtype} ${shapeStr(t.shape)}`);
  if (t.ndim !== 4 || t.shape[1] !== c || t.shape[2] !== h || t.shape[3] !== w || t.shape[0] < 1 || (batch !== undefined && t.shape[0] !== batch))
    throw new RangeError(`${op}: ${name} must be [${batch ?? 'B'}, ${c}, ${h}, ${w}], got ${shapeStr(t.shape)} ${t.dtype}`);
  return t.dtype === dt ? t : cast(t, dt);
}

/** @internal Checks a noise-level vector λ [B] and returns it in dtype `dt`. */
function levels(op: string, l: unknown, B: number, dt: NetDType): Tensor {
  const t = checkTensor(op, l, 'lambda');
  if (t.ndim !== 1 || t.shape[0] !== B) throw new RangeError(`${op}: lambda must be [${B}], got ${shapeStr(t.shape)} ${t.dtype}`);
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new TypeError(`${op}: lambda must be float32 or float64, got ${t.dtype}`);
  return t.dtype === dt ? t : cast(t, dt);
}

/** λ [B] → sinusoidal features (16 frequencies, periods up to 1000) → Linear–SiLU–Linear → [B, dim]. */
export class LambdaEmbed extends Module {
  l1: Linear;
  l2: Linear;
  act = new SiLU();
  constructor(dim: number, dtype: NetDType) {
    super();
    this.l1 = new Linear(32, dim, { dtype });
    this.l2 = new Linear(dim, dim, { dtype });
  }
  override forward(lambda: Tensor): Tensor {
    return this.l2.forward(this.act.forward(this.l1.forward(timestepEmbedding(lambda, 32, { maxPeriod: 1000 }))));
  }
}

// ---- encoder ------------------------------------------------------------------------------------------

/** Options of {@link ULEncoder} (JSON-able; a checkpoint stores them). */
export interface EncoderConfig {
  /** Image channels C (default 1). */
  channels?: number;
  /** Image side S (default 16); divisible by 2^downsamples. */
  size?: number;
  /** Latent channels L (default 4). */
  latentChannels?: number;
  /** Stride-2 stages (default 2: 16×16 → 4×4, 28×28 → 7×7). */
  downsamples?: number;
  /** Width of the first stage (default 32; doubled once after the first downsample). */
  base?: number;
  /** Output maps per latent channel: 1 (UL: z_clean) or 2 (VAE: mean and log-variance). Default 1. */
  outputsPerChannel?: number;
  /** Seed of the initial weights (the global generator is left as it was). */
  seed?: number | null;
  /** Parameter dtype (default float32). */
  dtype?: NetDType;
}

/** A fully resolved {@link EncoderConfig}. */
export type ResolvedEncoderConfig = Required<EncoderConfig>;

/** Validate and fill in an {@link EncoderConfig}. */
export function resolveEncoderConfig(c: EncoderConfig = {}): ResolvedEncoderConfig {
  const v = new Cfg('ULEncoder', c as Record<string, unknown>);
  const downsamples = v.int('downsamples', 2);
  const size = v.int('size', 16);
  if (size % 2 ** downsamples) throw new RangeError(`ULEncoder: size ${size} must be divisible by 2^downsamples = ${2 ** downsamples}`);
  const outputsPerChannel = v.int('outputsPerChannel', 1);
  if (outputsPerChannel > 2) throw new RangeError(`ULEncoder: outputsPerChannel must be 1 or 2, got ${outputsPerChannel}`);
  return {
    channels: v.int('channels', 1), size, latentChannels: v.int('latentChannels', 4), downsamples,
    base: v.int('base', 32), outputsPerChannel, seed: v.seed(), dtype: v.dtype(),
  };
}

/**
 * The deterministic encoder: conv 3×3 (C → base), then per stage SiLU + stride-2 conv 3×3 and SiLU +
 * conv 3×3 (width 2·base after the first stage), then SiLU + conv 1×1 to L·outputsPerChannel maps.
 * x [B, C, S, S] → [B, L·outputsPerChannel, S/2^d, S/2^d].
 */
export class ULEncoder extends Module {
  readonly config: ResolvedEncoderConfig;
  convIn: Conv2d;
  stages: ModuleList;
  convOut: Conv2d;
  act = new SiLU();

  /** @param config see {@link EncoderConfig}; defaults: 1 channel, 16×16 → 4×4×4, base 32. */
  constructor(config: EncoderConfig = {}) {
    super();
    const c = (this.config = resolveEncoderConfig(config));
    const dtype = c.dtype;
    const built = seeded(c.seed, () => {
      const convIn = new Conv2d(c.channels, c.base, 3, { padding: 1, dtype });
      const mods: Module[] = [];
      let ch = c.base;
      for (let i = 0; i < c.downsamples; i++) {
        const out = 2 * c.base;
        mods.push(new Conv2d(ch, out, 3, { stride: 2, padding: 1, dtype }), new Conv2d(out, out, 3, { padding: 1, dtype }));
        ch = out;
      }
      return { convIn, stages: new ModuleList(mods), convOut: new Conv2d(ch, c.latentChannels * c.outputsPerChannel, 1, { dtype }) };
    });
    this.convIn = built.convIn;
    this.stages = built.stages;
    this.convOut = built.convOut;
  }

  /** Latent grid side S / 2^downsamples. */
  get latentSize(): number {
    return this.config.size / 2 ** this.config.downsamples;
  }

  /** x [B, C, S, S] (float32/64) → [B, L·outputsPerChannel, h, h] in the net's dtype. */
  override forward(x: Tensor): Tensor {
    const c = this.config;
    let h = this.convIn.forward(image4('ULEncoder.forward', x, 'x', c.channels, c.size, c.size, c.dtype));
    for (const m of this.stages) h = (m as Conv2d).forward(this.act.forward(h));
    return this.convOut.forward(this.act.forward(h));
  }
}

// ---- latent denoiser ----------------------------------------------------------------------------------

/** Options of {@link LatentDenoiser}. */
export interface LatentDenoiserConfig {
  /** Latent channels L (default 4). */
  latentChannels?: number;
  /** Latent side h = w (default 4). */
  latentSize?: number;
  /** Width (default 64). */
  width?: number;
  /** Residual blocks (default 2). */
  depth?: number;
  /** GroupNorm groups (default 8; must divide width). */
  groups?: number;
  /** Seed of the initial weights. */
  seed?: number | null;
  /** Parameter dtype (default float32). */
  dtype?: NetDType;
}

/** A fully resolved {@link LatentDenoiserConfig}. */
export type ResolvedLatentDenoiserConfig = Required<LatentDenoiserConfig>;

/** Validate and fill in a {@link LatentDenoiserConfig}. */
export function resolveLatentDenoiserConfig(c: LatentDenoiserConfig = {}): ResolvedLatentDenoiserConfig {
  const v = new Cfg('LatentDenoiser', c as Record<string, unknown>);
  const width = v.int('width', 64);
  return {
    latentChannels: v.int('latentChannels', 4), latentSize: v.int('latentSize', 4), width, depth: v.int('depth', 2),
    groups: v.groups([width], 8), seed: v.seed(), dtype: v.dtype(),
  };
}

/**
 * ε-prediction network on a latent grid: conv 3×3 (L → width), `depth` ResBlocks conditioned on the
 * λ embedding (4·width), GroupNorm, SiLU, conv 3×3 (→ L). z_t [B, L, h, h], λ [B] → ε̂ [B, L, h, h].
 */
export class LatentDenoiser extends Module {
  readonly config: ResolvedLatentDenoiserConfig;
  emb: LambdaEmbed;
  convIn: Conv2d;
  blocks: ModuleList;
  normOut: GroupNorm;
  convOut: Conv2d;
  act = new SiLU();

  /** @param config see {@link LatentDenoiserConfig}; defaults 4×4×4 latents, width 64, 2 blocks. */
  constructor(config: LatentDenoiserConfig = {}) {
    super();
    const c = (this.config = resolveLatentDenoiserConfig(config));
    const dtype = c.dtype, E = 4 * c.width;
    const b = seeded(c.seed, () => ({
      emb: new LambdaEmbed(E, dtype),
      convIn: new Conv2d(c.latentChannels, c.width, 3, { padding: 1, dtype }),
      blocks: new ModuleList(Array.from({ length: c.depth }, () => new ResBlock(c.width, { tembDim: E, groups: c.groups, dtype }))),
      normOut: new GroupNorm(c.groups, c.width, { dtype }),
      convOut: new Conv2d(c.width, c.latentChannels, 3, { padding: 1, dtype }),
    }));
    this.emb = b.emb;
    this.convIn = b.convIn;
    this.blocks = b.blocks;
    this.normOut = b.normOut;
    this.convOut = b.convOut;
  }

  /** z [B, L, h, h], λ [B] → ε̂ [B, L, h, h] (net dtype). */
  override forward(z: Tensor, lambda: Tensor): Tensor {
    const op = 'LatentDenoiser.forward', c = this.config;
    const zs = image4(op, z, 'z', c.latentChannels, c.latentSize, c.latentSize, c.dtype);
    const e = this.emb.forward(levels(op, lambda, zs.shape[0], c.dtype));
    let h = this.convIn.forward(zs);
    for (const m of this.blocks) h = (m as ResBlock).forward(h, e);
    return this.convOut.forward(this.act.forward(this.normOut.forward(h)));
  }
}

// ---- decoder ------------------------------------------------------------------------------------------

/** Options of {@link ULDecoderNet}. */
export interface DecoderNetConfig {
  /** Image channels C (default 1). */
  channels?: number;
  /** Image side S (default 16, even). */
  size?: number;
  /** Latent channels L (default 4). */
  latentChannels?: number;
  /** Latent side h (default 4); S must be a multiple of it. */
  latentSize?: number;
  /** Base width (default 32; 2·base at S/2). */
  base?: number;
  /** GroupNorm groups (default 8). */
  groups?: number;
  /** Seed of the initial weights. */
  seed?: number | null;
  /** Parameter dtype (default float32). */
  dtype?: NetDType;
}

/** A fully resolved {@link DecoderNetConfig}. */
export type ResolvedDecoderNetConfig = Required<DecoderNetConfig>;

/** Validate and fill in a {@link DecoderNetConfig}. */
export function resolveDecoderNetConfig(c: DecoderNetConfig = {}): ResolvedDecoderNetConfig {
  const v = new Cfg('ULDecoderNet', c as Record<string, unknown>);
  const size = v.int('size', 16), latentSize = v.int('latentSize', 4), base = v.int('base', 32);
  if (size % 2) throw new RangeError(`ULDecoderNet: size must be even, got ${size}`);
  if (size % latentSize) throw new RangeError(`ULDecoderNet: size ${size} must be a multiple of latentSize ${latentSize}`);
  return {
    channels: v.int('channels', 1), size, latentChannels: v.int('latentChannels', 4), latentSize, base,
    groups: v.groups([base, 2 * base], 8), seed: v.seed(), dtype: v.dtype(),
  };
}

/**
 * The conditional decoder network D(x_t, λ, z₀) → ε̂: a two-level U-Net. Input cat([x_t, up(z₀)], 1)
 * [B, C + L, S, S] → conv 3×3 (base) → ResBlock(base) → Downsample → ResBlock(2·base) → mid
 * ResBlock(2·base) → UpsampleConv → ResBlock(cat[h, skip] → base) → GroupNorm, SiLU, conv 3×3 (→ C).
 * Every ResBlock adds the λ embedding (4·base).
 */
export class ULDecoderNet extends Module {
  readonly config: ResolvedDecoderNetConfig;
  emb: LambdaEmbed;
  convIn: Conv2d;
  down1: ResBlock;
  downsample: Downsample;
  down2: ResBlock;
  mid: ResBlock;
  upsample: UpsampleConv;
  up1: ResBlock;
  normOut: GroupNorm;
  convOut: Conv2d;
  act = new SiLU();

  /** @param config see {@link DecoderNetConfig}; defaults 16×16×1 images, 4×4×4 latents, base 32. */
  constructor(config: DecoderNetConfig = {}) {
    super();
    const c = (this.config = resolveDecoderNetConfig(config));
    const dtype = c.dtype, B = c.base, E = 4 * B, groups = c.groups;
    const b = seeded(c.seed, () => ({
      emb: new LambdaEmbed(E, dtype),
      convIn: new Conv2d(c.channels + c.latentChannels, B, 3, { padding: 1, dtype }),
      down1: new ResBlock(B, { tembDim: E, groups, dtype }),
      downsample: new Downsample(B, { dtype }),
      down2: new ResBlock(B, { outChannels: 2 * B, tembDim: E, groups, dtype }),
      mid: new ResBlock(2 * B, { tembDim: E, groups, dtype }),
      upsample: new UpsampleConv(2 * B, { dtype }),
      up1: new ResBlock(3 * B, { outChannels: B, tembDim: E, groups, dtype }),
      normOut: new GroupNorm(groups, B, { dtype }),
      convOut: new Conv2d(B, c.channels, 3, { padding: 1, dtype }),
    }));
    this.emb = b.emb;
    this.convIn = b.convIn;
    this.down1 = b.down1;
    this.downsample = b.downsample;
    this.down2 = b.down2;
    this.mid = b.mid;
    this.upsample = b.upsample;
    this.up1 = b.up1;
    this.normOut = b.normOut;
    this.convOut = b.convOut;
  }

  /** x_t [B, C, S, S], λ [B], z₀ [B, L, h, h] → ε̂ [B, C, S, S] (net dtype). */
  override forward(x: Tensor, lambda: Tensor, z0: Tensor): Tensor {
    const op = 'ULDecoderNet.forward', c = this.config;
    const xs = image4(op, x, 'x', c.channels, c.size, c.size, c.dtype);
    const B = xs.shape[0];
    const zs = image4(op, z0, 'z0', c.latentChannels, c.latentSize, c.latentSize, c.dtype, B);
    const e = this.emb.forward(levels(op, lambda, B, c.dtype));
    const f = c.size / c.latentSize;
    const h0 = this.convIn.forward(cat([xs, f === 1 ? zs : upsampleNearest2d(zs, f)], 1)); // [B, base, S, S]
    const h1 = this.down1.forward(h0, e); // [B, base, S, S]
    let h = this.down2.forward(this.downsample.forward(h1), e); // [B, 2base, S/2, S/2]
    h = this.mid.forward(h, e);
    h = this.up1.forward(cat([this.upsample.forward(h), h1], 1), e); // [B, base, S, S]
    return this.convOut.forward(this.act.forward(this.normOut.forward(h)));
  }
}
