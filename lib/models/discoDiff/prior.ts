// prior.ts — DisCo-Diff's stage 2: an autoregressive transformer prior p(c) = Π_i p(c_i | c_<i)
// over the m discrete latents (k codes each). Input sequence [START, c_1, ..., c_{m−1}] (token k is
// the start token) + learned positions → `layers` pre-LN blocks (causal multi-head self-attention,
// GELU MLP) → LayerNorm → Linear(k): position i predicts c_{i+1} (logits [B, m, k]). Trained with
// cross-entropy on the frozen encoder's argmax codes (PriorTrainer; step k's batch from (seed, k));
// sampled one latent at a time by inverse-CDF draws from seeded uniforms.
import { Tensor, checkTensor } from '../../tensor';
import { rand, randint, tensor } from '../../ops/creation';
import { cat, indexSelect } from '../../ops/indexing';
import { add, div } from '../../ops/elementwise';
import { crossEntropy, softmax } from '../../ops/nn';
import { narrow, reshape, unsqueeze } from '../../ops/views';
import { noGrad } from '../../autograd';
import { tidy } from '../../memory';
import { shapeStr } from '../../shape';
import { getRngState, manualSeed, setRngState } from '../../random';
import { Module } from '../../nn/module';
import { Parameter } from '../../nn/parameter';
import { Linear } from '../../nn/linear';
import { LayerNorm } from '../../nn/norm';
import { MLP } from '../../nn/mlp';
import { Embedding } from '../../nn/embeddings';
import { MultiheadAttention } from '../../nn/attention';
import { ModuleList } from '../../nn/containers';
import { newParam } from '../../nn/util';
import { normal } from '../../nn/init';
import { Adam } from '../../optim/adam';
import { clipGradNorm } from '../../optim/clip';
import { deriveSeed } from './util';

/** Options of {@link ARPrior} (JSON-able). */
export interface ARPriorConfig {
  /** Number of latents m (≥ 1). */
  latents: number;
  /** Codebook size k (≥ 2). */
  codebook: number;
  /** Model width (default 64), heads (default 4), blocks (default 2). */
  dim?: number;
  heads?: number;
  layers?: number;
  /** Seed of the initial weights (the global generator is left as it was). */
  seed?: number;
  /** Parameter dtype (default float32). */
  dtype?: 'float32' | 'float64';
}

/** The resolved prior config. */
export type ResolvedPriorConfig = Required<Omit<ARPriorConfig, 'seed'>> & { seed: number | null };

/** Validate and fill in an {@link ARPriorConfig}. */
export function resolvePriorConfig(c: ARPriorConfig): ResolvedPriorConfig {
  const op = 'ARPrior';
  if (c === null || typeof c !== 'object') throw new TypeError(`${op}: config must be an object with latents and codebook`);
  const int = (v: unknown, name: string, d: number | null, min: number): number => {
    const x = v === undefined ? d : v;
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min) throw new RangeError(`${op}: ${name} must be an integer ≥ ${min}, got ${String(x)}`);
    return x;
  };
  const dim = int(c.dim, 'dim', 64, 1), heads = int(c.heads, 'heads', 4, 1);
  if (dim % heads) throw new RangeError(`${op}: dim ${dim} must be divisible by heads ${heads}`);
  const dtype = c.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') throw new TypeError(`${op}: dtype must be 'float32' or 'float64', got ${String(dtype)}`);
  const seed = c.seed === undefined ? null : c.seed;
  if (seed !== null && (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0)) throw new RangeError(`${op}: seed must be a non-negative integer, got ${String(seed)}`);
  return { latents: int(c.latents, 'latents', null, 1), codebook: int(c.codebook, 'codebook', null, 2), dim, heads, layers: int(c.layers, 'layers', 2, 1), seed, dtype };
}

/** One pre-LN transformer block with causal self-attention: x [B, m, dim] → [B, m, dim]. */
class CausalBlock extends Module {
  ln1: LayerNorm;
  attn: MultiheadAttention;
  ln2: LayerNorm;
  mlp: MLP;
  constructor(dim: number, heads: number, dtype: 'float32' | 'float64') {
    super();
    this.ln1 = new LayerNorm(dim, { dtype });
    this.attn = new MultiheadAttention(dim, heads, { batchFirst: true, dtype });
    this.ln2 = new LayerNorm(dim, { dtype });
    this.mlp = new MLP(dim, 4 * dim, { dtype });
  }
  override forward(x: Tensor): Tensor {
    const h = this.ln1.forward(x);
    const a = add(x, this.attn.forward(h, h, h, { isCausal: true }));
    return add(a, this.mlp.forward(this.ln2.forward(a)));
  }
}

/** The autoregressive transformer prior over m latents with k codes each. */
export class ARPrior extends Module {
  readonly config: ResolvedPriorConfig;
  tok: Embedding; // k + 1 tokens (k = START) → dim
  pos: Parameter; // [m, dim]
  blocks: ModuleList;
  lnOut: LayerNorm;
  head: Linear; // dim → k

  /** @param config see {@link ARPriorConfig}. */
  constructor(config: ARPriorConfig) {
    super();
    const c = resolvePriorConfig(config);
    this.config = c;
    const saved = c.seed === null ? null : getRngState();
    try {
      if (c.seed !== null) manualSeed(c.seed);
      const { dim, dtype } = c;
      this.tok = new Embedding(c.codebook + 1, dim, { dtype });
      this.pos = newParam([c.latents, dim], dtype, (p) => normal(p, 0, 0.02));
      this.blocks = new ModuleList(Array.from({ length: c.layers }, () => new CausalBlock(dim, c.heads, dtype)));
      this.lnOut = new LayerNorm(dim, { dtype });
      this.head = new Linear(dim, c.codebook, { dtype });
    } finally {
      if (saved) setRngState(saved);
    }
  }

  /** @internal Throw unless codes is int32 [B, m] with entries in [0, k). */
  checkCodes(op: string, codes: unknown): Tensor {
    const c = checkTensor(op, codes, 'codes');
    const { latents: m, codebook: k } = this.config;
    if (c.dtype !== 'int32' || c.ndim !== 2 || c.shape[1] !== m || c.shape[0] < 1)
      throw new TypeError(`${op}: codes must be int32 [B, ${m}] with B ≥ 1, got ${shapeStr(c.shape)} ${c.dtype}`);
    const d = c.dataSync();
    for (let i = 0; i < d.length; i++) if (!(d[i] >= 0 && d[i] < k)) throw new RangeError(`${op}: code ${d[i]} at flat index ${i} is outside [0, ${k})`);
    return c;
  }

  /**
   * Next-latent logits: codes int32 [B, m] → [B, m, k], where row i is the logits of c_i given
   * c_<i (the input is [START, c_0 .. c_{m−2}], so position i never sees c_i or later).
   */
  override forward(codes: Tensor): Tensor {
    const op = 'ARPrior.forward';
    const c = this.checkCodes(op, codes);
    const { latents: m, codebook: k } = this.config;
    const B = c.shape[0];
    const start = tensor(new Int32Array(B).fill(k), { shape: [B, 1], dtype: 'int32' });
    const inp = m > 1 ? cat([start, narrow(c, 1, 0, m - 1)], 1) : start; // [B, m]
    let h = add(this.tok.forward(inp), unsqueeze(this.pos, 0)); // [B, m, dim]
    for (const b of this.blocks) h = (b as CausalBlock).forward(h);
    return this.head.forward(this.lnOut.forward(h)); // [B, m, k]
  }

  /** Mean cross-entropy (nats per latent) of codes [B, m] under the prior (differentiable). */
  nll(codes: Tensor): Tensor {
    const { latents: m, codebook: k } = this.config;
    const logits = this.forward(codes); // [B, m, k]
    const B = codes.shape[0];
    return crossEntropy(reshape(logits, [B * m, k]), reshape(codes, [B * m]));
  }

  /**
   * Ancestral sampling: c_i ~ softmax(logits_i / temperature) for i = 0..m−1, drawn by inverse CDF
   * from the uniform rand([n], seed stream i) → int32 [n, m]. Deterministic given the seed.
   */
  sample(n: number, o: { seed: number | bigint; temperature?: number }): Tensor {
    const op = 'ARPrior.sample';
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`${op}: n must be a positive integer, got ${String(n)}`);
    if (o === null || typeof o !== 'object' || (typeof o.seed !== 'number' && typeof o.seed !== 'bigint')) throw new TypeError(`${op}: options.seed (number or bigint) is required`);
    const temp = o.temperature ?? 1;
    if (typeof temp !== 'number' || !(temp > 0) || !Number.isFinite(temp)) throw new RangeError(`${op}: temperature must be a finite number > 0, got ${String(temp)}`);
    const { latents: m, codebook: k } = this.config;
    const codes = new Int32Array(n * m);
    noGrad(() => {
      for (let i = 0; i < m; i++) {
        const p = tidy(() => {
          const cur = tensor(codes, { shape: [n, m], dtype: 'int32' });
          const logits = narrow(this.forward(cur), 1, i, 1); // [n, 1, k]
          return softmax(div(reshape(logits, [n, k]), temp), -1).dataSync(); // [n, k]
        });
        const u = rand([n], { seed: deriveSeed(o.seed, i), dtype: 'float64' });
        const ud = u.dataSync();
        u.dispose();
        for (let b = 0; b < n; b++) {
          let acc = 0, j = 0;
          for (; j < k - 1; j++) {
            acc += p[b * k + j];
            if (ud[b] < acc) break;
          }
          codes[b * m + i] = j;
        }
      }
    });
    return tensor(codes, { shape: [n, m], dtype: 'int32' });
  }
}

/** Stage-2 hyper-parameters. */
export interface PriorTrainConfig {
  /** Adam learning rate (default 1e-3), batch size (default 256), grad clip (default 1; 0 = off), seed (default 0). */
  lr?: number;
  /**
   * Cosine decay of the learning rate to 0 over this many steps (default 0: constant). Without it
   * the minibatch noise keeps the prior's probabilities a few percent off the codes' frequencies.
   */
  decaySteps?: number;
  batchSize?: number;
  gradClip?: number;
  seed?: number;
}

/**
 * Trains an ARPrior by cross-entropy on fixed codes [N, m] (the frozen encoder's argmax codes of
 * the training data) with Adam (optionally cosine-decayed); step k's batch is drawn with
 * replacement from (seed, k).
 */
export class PriorTrainer {
  readonly prior: ARPrior;
  readonly codes: Tensor;
  readonly opt: Adam;
  readonly config: Required<PriorTrainConfig>;
  step = 0;

  /** @param prior the prior; codes int32 [N, m]; config {@link PriorTrainConfig}. */
  constructor(prior: ARPrior, codes: Tensor, config: PriorTrainConfig = {}) {
    const op = 'PriorTrainer';
    if (!(prior instanceof ARPrior)) throw new TypeError(`${op}: prior must be an ARPrior`);
    this.codes = prior.checkCodes(op, codes);
    if (config === null || typeof config !== 'object') throw new TypeError(`${op}: config must be an object`);
    const num = (v: unknown, name: string, d: number, ok: (x: number) => boolean): number => {
      const x = v === undefined ? d : v;
      if (typeof x !== 'number' || !Number.isFinite(x) || !ok(x)) throw new RangeError(`${op}: ${name} out of range, got ${String(x)}`);
      return x;
    };
    this.config = {
      lr: num(config.lr, 'lr', 1e-3, (x) => x > 0),
      batchSize: num(config.batchSize, 'batchSize', 256, (x) => Number.isInteger(x) && x >= 1),
      gradClip: num(config.gradClip, 'gradClip', 1, (x) => x >= 0),
      seed: num(config.seed, 'seed', 0, (x) => Number.isInteger(x) && x >= 0),
      decaySteps: num(config.decaySteps, 'decaySteps', 0, (x) => Number.isInteger(x) && x >= 0),
    };
    this.prior = prior;
    this.opt = new Adam(prior.parameters(), { lr: this.config.lr });
  }

  /** One step; returns the batch cross-entropy (nats per latent). */
  trainStep(): number {
    const k = this.step;
    const l = tidy(() => {
      this.opt.zeroGrad();
      const idx = randint(0, this.codes.shape[0], [this.config.batchSize], { seed: deriveSeed(this.config.seed, k) });
      const loss = this.prior.nll(indexSelect(this.codes, 0, idx));
      loss.backward();
      return loss.item();
    });
    if (this.config.gradClip > 0) clipGradNorm(this.prior.parameters(), this.config.gradClip);
    const K = this.config.decaySteps;
    if (K > 0) this.opt.setLr(this.config.lr * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, k / K))));
    this.opt.step();
    this.opt.zeroGrad();
    this.step++;
    return l;
  }

  /** Runs `steps` steps; returns the per-step losses. */
  train(steps: number): number[] {
    if (!Number.isInteger(steps) || steps < 0) throw new RangeError(`PriorTrainer.train: steps must be a non-negative integer, got ${String(steps)}`);
    const out: number[] = [];
    for (let i = 0; i < steps; i++) out.push(this.trainStep());
    return out;
  }

  /** Frees the optimizer state (not the prior or the codes). */
  dispose(): void {
    this.opt.dispose();
  }
}
