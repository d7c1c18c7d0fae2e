// regularizer.ts — the LayerSync term (LayerSync, arXiv 2510.12581; spec /work/shared/specs/layersync.md):
// from one forward pass take the output z of a weaker, earlier block and g of a deeper guide block
// (residual stream [B, T, D], before the final norm), normalise each token's vector to unit L2 norm,
// stop the gradient through g, and
//     L_reg = − mean over (batch, token) of ⟨ z/‖z‖ , stopgrad(g)/‖g‖ ⟩        (∈ [−1, 1])
// It adds no parameters and works on any model that exposes its block outputs as a list of
// [B, T, D] tensors (SiT.forwardWithBlocks here). Blocks are numbered from 1, as in the paper
// (official pairing for depth 28: block 8 → block 16).
import { Tensor, checkTensor } from '../../tensor';
import { clamp, div, mul, neg } from '../../ops/elementwise';
import { mean, norm, sum } from '../../ops/reduce';
import { detach } from '../../ops/views';
import { noGrad } from '../../autograd';
import { tidy } from '../../memory';
import { shapeStr } from '../../shape';

/** The LayerSync choice: which blocks (1-indexed) and the weight λ. */
export interface LayerSyncOptions {
  /** The weaker, earlier block whose output is pulled towards the guide (default ⌈2·depth/7⌉). */
  weakBlock?: number;
  /** The deeper guide block (default ⌈4·depth/7⌉; must be after weakBlock). */
  guideBlock?: number;
  /** The weight λ of L_reg in L = L_FM + λ L_reg (default 0.2; 0 turns the regulariser off). */
  lambda?: number;
}

/** A resolved {@link LayerSyncOptions}. */
export type ResolvedLayerSync = Required<LayerSyncOptions>;

/**
 * The default pair for a model of `depth` blocks: the paper's 8 → 16 of 28 scaled, i.e.
 * weak = ⌈2·depth/7⌉, guide = ⌈4·depth/7⌉ (depth 6: 2 → 4; 8: 3 → 5; 12: 4 → 7; 28: 8 → 16).
 * Needs depth ≥ 2.
 */
export function defaultLayerSyncPair(depth: number): { weakBlock: number; guideBlock: number } {
  const op = 'defaultLayerSyncPair';
  if (typeof depth !== 'number' || !Number.isInteger(depth)) throw new TypeError(`${op}: depth must be an integer, got ${String(depth)}`);
  if (depth < 2) throw new RangeError(`${op}: depth must be ≥ 2 (two distinct blocks), got ${depth}`);
  const weakBlock = Math.ceil((2 * depth) / 7 - 1e-9);
  const guideBlock = Math.max(weakBlock + 1, Math.ceil((4 * depth) / 7 - 1e-9));
  return { weakBlock, guideBlock };
}

/** Validate {@link LayerSyncOptions} for a model of `depth` blocks and fill in the defaults. */
export function resolveLayerSync(o: LayerSyncOptions = {}, depth: number): ResolvedLayerSync {
  const op = 'LayerSync';
  if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object`);
  if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`${op}: depth must be a positive integer, got ${String(depth)}`);
  const lambda = o.lambda ?? 0.2;
  if (typeof lambda !== 'number' || !Number.isFinite(lambda) || lambda < 0) throw new RangeError(`${op}: lambda must be a finite number ≥ 0, got ${String(lambda)}`);
  if (depth < 2) {
    if (lambda > 0 || o.weakBlock !== undefined || o.guideBlock !== undefined) throw new RangeError(`${op}: a model of depth ${depth} has no pair of blocks to synchronise`);
    return { lambda, weakBlock: 1, guideBlock: 1 };
  }
  const d = defaultLayerSyncPair(depth);
  const blk = (v: unknown, name: string, dflt: number): number => {
    const x = v === undefined ? dflt : v;
    if (typeof x !== 'number' || !Number.isInteger(x)) throw new TypeError(`${op}: ${name} must be an integer (1-indexed block), got ${String(x)}`);
    if (x < 1 || x > depth) throw new RangeError(`${op}: ${name} ${x} is outside the blocks 1..${depth}`);
    return x;
  };
  const weakBlock = blk(o.weakBlock, 'weakBlock', d.weakBlock);
  const guideBlock = blk(o.guideBlock, 'guideBlock', o.weakBlock !== undefined && o.guideBlock === undefined ? Math.max(d.guideBlock, Math.min(depth, weakBlock + 1)) : d.guideBlock);
  if (guideBlock <= weakBlock) throw new RangeError(`${op}: guideBlock (${guideBlock}) must be deeper than weakBlock (${weakBlock})`);
  return { lambda, weakBlock, guideBlock };
}

/** @internal Check a block output [B, T, D] (float). */
function checkBlock(op: string, x: unknown, name: string): Tensor {
  const t = checkTensor(op, x, name);
  if (t.ndim !== 3) throw new RangeError(`${op}: ${name} must be a block output [B, T, D], got ${shapeStr(t.shape)} ${t.dtype}`);
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new TypeError(`${op}: ${name} must be float32 or float64, got ${t.dtype} ${shapeStr(t.shape)}`);
  return t;
}

/**
 * Each token's vector scaled to unit L2 norm over the last dim: x / max(‖x‖₂, eps) (eps 1e-12, as
 * PyTorch's F.normalize). x [..., D] → [..., D]; differentiable.
 */
export function normalizeTokens(x: Tensor, eps = 1e-12): Tensor {
  const op = 'normalizeTokens';
  const t = checkTensor(op, x, 'x');
  if (t.ndim < 1) throw new RangeError(`${op}: x must have at least 1 dim, got ${shapeStr(t.shape)}`);
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new TypeError(`${op}: x must be float32 or float64, got ${t.dtype} ${shapeStr(t.shape)}`);
  if (typeof eps !== 'number' || !(eps > 0)) throw new RangeError(`${op}: eps must be a number > 0, got ${String(eps)}`);
  return div(t, clamp(norm(t, 2, -1, true), eps));
}

/**
 * The LayerSync regulariser L_reg = −mean_{b,t} ⟨z/‖z‖, sg(g)/‖g‖⟩ for the weak block's output
 * z [B, T, D] and the guide block's output g [B, T, D] (same shape). No gradient reaches g through
 * it. Returns a scalar tensor in [−1, 1] (differentiable in z; call inside tidy()).
 */
export function layerSyncLoss(weak: Tensor, guide: Tensor): Tensor {
  const op = 'layerSyncLoss';
  const z = checkBlock(op, weak, 'weak');
  const g = checkBlock(op, guide, 'guide');
  if (z.shape.some((d, i) => d !== g.shape[i])) throw new RangeError(`${op}: weak ${shapeStr(z.shape)} and guide ${shapeStr(g.shape)} must have the same shape`);
  if (z.dtype !== g.dtype) throw new TypeError(`${op}: weak (${z.dtype}) and guide (${g.dtype}) must have the same dtype`);
  const cos = sum(mul(normalizeTokens(z), normalizeTokens(detach(g))), -1); // [B, T]
  return neg(mean(cos));
}

/**
 * {@link layerSyncLoss} on a model's list of block outputs (blocks[i] is block i + 1), for the pair
 * (weakBlock, guideBlock), 1-indexed.
 */
export function layerSyncFromBlocks(blocks: readonly Tensor[], pair: { weakBlock: number; guideBlock: number }): Tensor {
  const op = 'layerSyncFromBlocks';
  if (!Array.isArray(blocks) || blocks.length < 2) throw new TypeError(`${op}: blocks must be an array of at least 2 block outputs, got ${Array.isArray(blocks) ? blocks.length : typeof blocks}`);
  if (pair === null || typeof pair !== 'object') throw new TypeError(`${op}: pair must be {weakBlock, guideBlock}`);
  const { weakBlock: w, guideBlock: g } = pair;
  for (const [name, v] of [['weakBlock', w], ['guideBlock', g]] as const)
    if (!Number.isInteger(v) || v < 1 || v > blocks.length) throw new RangeError(`${op}: ${name} ${String(v)} is outside the blocks 1..${blocks.length}`);
  if (g <= w) throw new RangeError(`${op}: guideBlock (${g}) must be deeper than weakBlock (${w})`);
  return layerSyncLoss(blocks[w - 1], blocks[g - 1]);
}

/**
 * The cosine alignment of every block to the guide: for each block i, the mean over (batch, token) of
 * cos(h_i, h_guide). blocks: each [B, T, D]; guideBlock 1-indexed. Returns number[] (length =
 * blocks.length; the guide's own entry is 1). No gradients are recorded.
 */
export function layerAlignment(blocks: readonly Tensor[], guideBlock: number): number[] {
  const op = 'layerAlignment';
  if (!Array.isArray(blocks) || blocks.length < 1) throw new TypeError(`${op}: blocks must be a non-empty array of block outputs`);
  if (!Number.isInteger(guideBlock) || guideBlock < 1 || guideBlock > blocks.length) throw new RangeError(`${op}: guideBlock ${String(guideBlock)} is outside the blocks 1..${blocks.length}`);
  return noGrad(() =>
    tidy(() => {
      const g = normalizeTokens(checkBlock(op, blocks[guideBlock - 1], `blocks[${guideBlock - 1}]`));
      return blocks.map((b, i) => {
        const h = checkBlock(op, b, `blocks[${i}]`);
        if (h.shape.some((d, j) => d !== g.shape[j])) throw new RangeError(`${op}: blocks[${i}] ${shapeStr(h.shape)} and the guide ${shapeStr(g.shape)} differ in shape`);
        return mean(sum(mul(normalizeTokens(h), g), -1)).item();
      });
    }),
  );
}
