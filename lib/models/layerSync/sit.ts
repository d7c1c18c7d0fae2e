// sit.ts — SiT (Ma et al., scalable interpolant transformers; the DiT backbone of Peebles & Xie) for
// the LayerSync model: patchify → linear token embedding + fixed 2-D sin-cos position embedding →
// depth × adaLN-Zero DiT blocks (conditioned on c = time embedding + class embedding) → final adaLN
// layer → unpatchify. Class labels are dropped with probability classDropoutProb during training
// (the null label numClasses) for classifier-free guidance. `forwardWithBlocks` also returns every
// block's output (the residual stream [B, T, D] before the final norm), which is what the LayerSync
// regulariser (regularizer.ts) reads; field names follow the reference SiT code.
import { Tensor, checkTensor } from '../../tensor';
import { rand, tensor } from '../../ops/creation';
import { add, mul, sub } from '../../ops/elementwise';
import { cat, chunk } from '../../ops/indexing';
import { cast } from '../../ops/util';
import { shapeStr } from '../../shape';
import { getRngState, manualSeed, setRngState } from '../../random';
import { Module } from '../../nn/module';
import { ModuleList } from '../../nn/containers';
import { Embedding, TimestepEmbedder } from '../../nn/embeddings';
import { DiTBlock, FinalLayer, PatchEmbed, sinCosPosEmbed2d, unpatchify } from '../../nn/dit';
import { normal } from '../../nn/init';

/** A seed for the label dropout draw: a non-negative safe integer or a bigint below 2^64. */
export type Seed = number | bigint;

/** Options of {@link SiT}; the JSON-able config that a checkpoint stores. */
export interface SiTConfig {
  /** Image side H = W (default 16); divisible by patchSize. */
  inputSize?: number;
  /** Patch size p (default 4: 16 tokens at 16×16). */
  patchSize?: number;
  /** Image channels C (default 1). */
  inChannels?: number;
  /** Token width D (default 128; divisible by 4 for the 2-D position embedding and by numHeads). */
  hiddenSize?: number;
  /** Number of DiT blocks (default 6). */
  depth?: number;
  /** Attention heads (default 4). */
  numHeads?: number;
  /** MLP hidden size as a multiple of D (default 4). */
  mlpRatio?: number;
  /** Number of classes (default 10); the label numClasses is the null (unconditional) label. */
  numClasses?: number;
  /** Probability of replacing a label by the null label during training (default 0.1). */
  classDropoutProb?: number;
  /** Seed of the initial weights (the global generator is left as it was); default: the global generator. */
  seed?: number;
  /** Parameter dtype (default float32). */
  dtype?: 'float32' | 'float64';
}

/** The fully resolved SiT config. */
export type ResolvedSiTConfig = Required<Omit<SiTConfig, 'seed'>> & { seed: number | null };

/** Validate and fill in the defaults of a {@link SiTConfig}. */
export function resolveSiTConfig(c: SiTConfig = {}): ResolvedSiTConfig {
  const op = 'SiT';
  if (c === null || typeof c !== 'object') throw new TypeError(`${op}: config must be an object`);
  const int = (v: unknown, name: string, d: number, min: number): number => {
    const x = v === undefined ? d : v;
    if (typeof x !== 'number' || !Number.isInteger(x)) throw new TypeError(`${op}: ${name} must be an integer, got ${String(x)}`);
    if (x < min) throw new RangeError(`${op}: ${name} must be an integer ≥ ${min}, got ${x}`);
    return x;
  };
  const inputSize = int(c.inputSize, 'inputSize', 16, 1);
  const patchSize = int(c.patchSize, 'patchSize', 4, 1);
  if (inputSize % patchSize) throw new RangeError(`${op}: inputSize ${inputSize} must be divisible by patchSize ${patchSize}`);
  const hiddenSize = int(c.hiddenSize, 'hiddenSize', 128, 4);
  if (hiddenSize % 4) throw new RangeError(`${op}: hiddenSize ${hiddenSize} must be divisible by 4 (2-D sin-cos position embedding)`);
  const numHeads = int(c.numHeads, 'numHeads', 4, 1);
  if (hiddenSize % numHeads) throw new RangeError(`${op}: hiddenSize ${hiddenSize} must be divisible by numHeads ${numHeads}`);
  const mlpRatio = c.mlpRatio ?? 4;
  if (typeof mlpRatio !== 'number' || !Number.isFinite(mlpRatio) || !(mlpRatio > 0)) throw new RangeError(`${op}: mlpRatio must be a finite number > 0, got ${String(mlpRatio)}`);
  const classDropoutProb = c.classDropoutProb ?? 0.1;
  if (typeof classDropoutProb !== 'number' || !(classDropoutProb >= 0 && classDropoutProb < 1))
    throw new RangeError(`${op}: classDropoutProb must be a number in [0, 1), got ${String(classDropoutProb)}`);
  const dtype = c.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') throw new TypeError(`${op}: dtype must be 'float32' or 'float64', got ${String(dtype)}`);
  const seed = c.seed === undefined ? null : c.seed;
  if (seed !== null && (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0)) throw new RangeError(`${op}: seed must be a non-negative integer, got ${String(seed)}`);
  return {
    inputSize, patchSize, inChannels: int(c.inChannels, 'inChannels', 1, 1), hiddenSize,
    depth: int(c.depth, 'depth', 6, 1), numHeads, mlpRatio, numClasses: int(c.numClasses, 'numClasses', 10, 1),
    classDropoutProb, seed, dtype,
  };
}

/** Options of {@link SiT.forwardWithBlocks}. */
export interface SiTForwardOptions {
  /**
   * Seed of the label-dropout draw (training mode only): label b is replaced by the null label when
   * u_b < classDropoutProb, u = rand([B], {seed}). Without it the global generator is used.
   */
  dropSeed?: Seed;
  /** Per-sample flags [B] (true: use the null label), applied in any mode instead of the random drop. */
  forceDrop?: readonly boolean[];
}

/** What {@link SiT.forwardWithBlocks} returns. */
export interface SiTOutput {
  /** The predicted velocity [B, C, H, W]. */
  velocity: Tensor;
  /** The output of each block, in order (blocks[i] is block i + 1, 1-indexed), each [B, T, D]. */
  blocks: Tensor[];
}

/**
 * Class-label embedding with the extra null label for classifier-free guidance (SiT's LabelEmbedder):
 * a table of numClasses + 1 rows (when classDropoutProb > 0, else numClasses), N(0, 0.02²).
 */
export class LabelEmbedder extends Module {
  embedding_table: Embedding;
  readonly numClasses: number;
  readonly dropoutProb: number;

  /**
   * @param numClasses number of real classes.
   * @param hiddenSize embedding width.
   * @param dropoutProb probability of dropping a label in training (0 turns CFG off: no null row).
   */
  constructor(numClasses: number, hiddenSize: number, dropoutProb: number, o: { dtype?: 'float32' | 'float64' } = {}) {
    super();
    const op = 'LabelEmbedder';
    if (!Number.isInteger(numClasses) || numClasses < 1) throw new RangeError(`${op}: numClasses must be a positive integer, got ${String(numClasses)}`);
    if (typeof dropoutProb !== 'number' || !(dropoutProb >= 0 && dropoutProb < 1)) throw new RangeError(`${op}: dropoutProb must be in [0, 1), got ${String(dropoutProb)}`);
    this.numClasses = numClasses;
    this.dropoutProb = dropoutProb;
    this.embedding_table = new Embedding(numClasses + (dropoutProb > 0 ? 1 : 0), hiddenSize, { dtype: o.dtype });
    normal(this.embedding_table.weight, 0, 0.02);
  }

  /** The labels after dropout: y [B] int32 → [B] int32 (null label = numClasses where dropped). */
  dropLabels(y: Tensor, o: SiTForwardOptions = {}): Tensor {
    const op = 'LabelEmbedder';
    const B = y.shape[0];
    let drop: ArrayLike<boolean | number> | null = null;
    if (o.forceDrop !== undefined) {
      if (!Array.isArray(o.forceDrop) || o.forceDrop.length !== B || o.forceDrop.some((v) => typeof v !== 'boolean'))
        throw new TypeError(`${op}: forceDrop must be an array of ${B} booleans for labels ${shapeStr(y.shape)}`);
      drop = o.forceDrop;
    } else if (this.training && this.dropoutProb > 0) {
      const u = rand([B], { seed: o.dropSeed, dtype: 'float64' });
      const ud = u.dataSync();
      u.dispose();
      drop = Array.from(ud, (v) => v < this.dropoutProb);
    }
    if (drop === null) return y;
    if (this.dropoutProb === 0 && Array.from(drop).some(Boolean)) throw new RangeError(`${op}: cannot drop labels: the model has no null label (classDropoutProb 0)`);
    const yd = y.dataSync();
    const out = new Int32Array(B);
    for (let b = 0; b < B; b++) out[b] = drop[b] ? this.numClasses : yd[b];
    return tensor(out, { shape: [B], dtype: 'int32' });
  }

  /** y [B] int32 in [0, numClasses] (numClasses = null label) → [B, D], after label dropout. */
  override forward(y: Tensor, o: SiTForwardOptions = {}): Tensor {
    return this.embedding_table.forward(this.dropLabels(y, o));
  }
}

/**
 * The SiT velocity network v_θ(x_t, t, y): x [B, C, H, W], t [B] in [0, 1], y [B] int32 → [B, C, H, W].
 * Every block starts as the identity (adaLN-Zero) and the final layer starts at zero. Dispose with
 * `dispose()`.
 */
export class SiT extends Module {
  readonly config: ResolvedSiTConfig;
  x_embedder: PatchEmbed;
  t_embedder: TimestepEmbedder;
  y_embedder: LabelEmbedder;
  blocks: ModuleList; // depth × DiTBlock
  final_layer: FinalLayer;
  pos_embed!: Tensor; // [T, D] fixed (buffer)

  /** @param config see {@link SiTConfig}; defaults: 16×16×1, patch 4, width 128, depth 6, 4 heads, 10 classes. */
  constructor(config: SiTConfig = {}) {
    super();
    const c = resolveSiTConfig(config);
    this.config = c;
    const saved = c.seed === null ? null : getRngState();
    try {
      if (c.seed !== null) manualSeed(c.seed);
      const { hiddenSize: D, dtype } = c;
      this.x_embedder = new PatchEmbed(c.patchSize, c.inChannels, D, { dtype });
      this.t_embedder = new TimestepEmbedder(D, { dtype });
      this.y_embedder = new LabelEmbedder(c.numClasses, D, c.classDropoutProb, { dtype });
      this.blocks = new ModuleList(Array.from({ length: c.depth }, () => new DiTBlock(D, c.numHeads, { mlpRatio: c.mlpRatio, dtype })));
      this.final_layer = new FinalLayer(D, c.patchSize, c.inChannels, { dtype });
      this.registerBuffer('pos_embed', sinCosPosEmbed2d(D, c.inputSize / c.patchSize, { dtype }));
    } finally {
      if (saved) setRngState(saved);
    }
  }

  /** The per-sample data shape [C, H, W]. */
  get dataShape(): number[] {
    return [this.config.inChannels, this.config.inputSize, this.config.inputSize];
  }

  /** Number of tokens T = (H/p)². */
  get numTokens(): number {
    return (this.config.inputSize / this.config.patchSize) ** 2;
  }

  /** @internal Check x [B, C, H, W], t [B], y [B] and cast x, t to the parameter dtype. */
  private inputs(op: string, x: unknown, t: unknown, y: unknown): [Tensor, Tensor, Tensor] {
    const { inChannels: C, inputSize: S, numClasses: K, dtype } = this.config;
    const xs = checkTensor(op, x, 'x'), ts = checkTensor(op, t, 't'), ys = checkTensor(op, y, 'y');
    if (xs.ndim !== 4 || xs.shape[1] !== C || xs.shape[2] !== S || xs.shape[3] !== S)
      throw new RangeError(`${op}: x must be [B, ${C}, ${S}, ${S}], got ${shapeStr(xs.shape)} ${xs.dtype}`);
    const B = xs.shape[0];
    if (ts.ndim !== 1 || ts.shape[0] !== B) throw new RangeError(`${op}: t must be [${B}], got ${shapeStr(ts.shape)} for x ${shapeStr(xs.shape)}`);
    if (ys.ndim !== 1 || ys.shape[0] !== B) throw new RangeError(`${op}: y must be [${B}], got ${shapeStr(ys.shape)} for x ${shapeStr(xs.shape)}`);
    for (const [name, a] of [['x', xs], ['t', ts]] as const)
      if (a.dtype !== 'float32' && a.dtype !== 'float64') throw new TypeError(`${op}: ${name} must be float32 or float64, got ${a.dtype} ${shapeStr(a.shape)}`);
    if (ys.dtype !== 'int32') throw new TypeError(`${op}: y must be int32 class labels, got ${ys.dtype} ${shapeStr(ys.shape)}`);
    const yd = ys.dataSync();
    const maxLabel = this.config.classDropoutProb > 0 ? K : K - 1;
    for (let b = 0; b < B; b++)
      if (yd[b] < 0 || yd[b] > maxLabel) throw new RangeError(`${op}: label ${yd[b]} at ${b} is outside [0, ${maxLabel}] (${K} classes${maxLabel === K ? ` + the null label ${K}` : ''})`);
    return [xs.dtype === dtype ? xs : cast(xs, dtype), ts.dtype === dtype ? ts : cast(ts, dtype), ys];
  }

  /**
   * The velocity and every block's output (differentiable; call inside tidy()). Labels are dropped
   * as in training when the module is in training mode (see {@link SiTForwardOptions}).
   */
  forwardWithBlocks(x: Tensor, t: Tensor, y: Tensor, o: SiTForwardOptions = {}): SiTOutput {
    const op = 'SiT.forward';
    if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object`);
    const [xs, ts, ys] = this.inputs(op, x, t, y);
    const h0 = add(this.x_embedder.forward(xs), this.pos_embed); // [B, T, D]
    const c = add(this.t_embedder.forward(ts), this.y_embedder.forward(ys, o)); // [B, D]
    const blocks: Tensor[] = [];
    let h = h0;
    for (const blk of this.blocks) {
      h = (blk as DiTBlock).forward(h, c); // [B, T, D]
      blocks.push(h);
    }
    const out = this.final_layer.forward(h, c); // [B, T, p·p·C]
    return { velocity: unpatchify(out, this.config.patchSize, this.config.inChannels), blocks };
  }

  /** v_θ(x, t, y): x [B, C, H, W], t [B], y [B] int32 → [B, C, H, W] (differentiable). */
  override forward(x: Tensor, t: Tensor, y: Tensor, o: SiTForwardOptions = {}): Tensor {
    return this.forwardWithBlocks(x, t, y, o).velocity;
  }

  /**
   * Classifier-free guidance: v = v(x, t, ∅) + s·(v(x, t, y) − v(x, t, ∅)), computed as one batch of
   * 2B (conditional rows, then null-label rows). s = 1 is the conditional model alone (one pass of
   * B). Applied to all channels. x [B, C, H, W], t [B], y [B] → [B, C, H, W].
   */
  forwardWithCfg(x: Tensor, t: Tensor, y: Tensor, cfgScale: number): Tensor {
    const op = 'SiT.forwardWithCfg';
    if (typeof cfgScale !== 'number' || !Number.isFinite(cfgScale)) throw new TypeError(`${op}: cfgScale must be a finite number, got ${String(cfgScale)}`);
    if (cfgScale === 1) return this.forward(x, t, y, { forceDrop: new Array<boolean>(checkTensor(op, x, 'x').shape[0]).fill(false) });
    if (this.config.classDropoutProb === 0) throw new RangeError(`${op}: cfgScale ${cfgScale} needs the null label; this model has classDropoutProb 0`);
    const B = checkTensor(op, x, 'x').shape[0];
    checkTensor(op, t, 't');
    checkTensor(op, y, 'y');
    const flags = [...new Array<boolean>(B).fill(false), ...new Array<boolean>(B).fill(true)];
    const both = this.forward(cat([x, x], 0), cat([t, t], 0), cat([y, y], 0), { forceDrop: flags }); // [2B, C, H, W]
    const [cond, uncond] = chunk(both, 2, 0);
    return add(uncond, mul(sub(cond, uncond), cfgScale));
  }

  /** The JSON-able config a checkpoint stores. */
  describe(): SiTConfig {
    const { seed, ...rest } = this.config;
    return seed === null ? rest : { ...rest, seed };
  }
}

