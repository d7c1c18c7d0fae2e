// net.ts — the CLD toy score network: an MLP on [x, v, time features] that outputs α with x's shape.
// Architecture of the official toy model (nv-tlabs/CLD-SGM models/mlp.py, 'mlp'): Linear(in, 128),
// then 4 SiLU-activated hidden layers of width 128 in all (3 more Linear(128, 128)), then
// Linear(128, D). The official model feeds the raw t as one extra input; here t goes through
// Gaussian Fourier features (timeFeatures 'fourier', the default) or raw ('raw', the official way).
import { Tensor, checkTensor } from '../../tensor';
import { cat } from '../../ops/indexing';
import { unsqueeze } from '../../ops/views';
import { cast } from '../../ops/util';
import { shapeStr } from '../../shape';
import { getRngState, manualSeed, setRngState } from '../../random';
import { Module } from '../../nn/module';
import { Linear } from '../../nn/linear';
import { SiLU } from '../../nn/activations';
import { ModuleList } from '../../nn/containers';
import { GaussianFourierEmbedding } from '../../nn/embeddings';

/** Options of {@link CLDToyNet}; the JSON-able config that a checkpoint stores. */
export interface CLDToyNetConfig {
  /** Data dimension D (default 2). */
  dataDim?: number;
  /** Hidden width (default 128). */
  hidden?: number;
  /** Number of SiLU-activated hidden layers (default 4). */
  layers?: number;
  /** 'fourier' (default): Gaussian Fourier features of t; 'raw': t itself (the official model). */
  timeFeatures?: 'fourier' | 'raw';
  /** Number of Fourier features (even; default 16). */
  fourierDim?: number;
  /** Std of the Fourier frequencies (default 2). */
  fourierScale?: number;
  /** Seed of the initial weights and the Fourier frequencies (the global generator is left as it was). */
  seed?: number;
  /** Parameter dtype (default float32). */
  dtype?: 'float32' | 'float64';
}

/** The fully resolved config. */
export type ResolvedNetConfig = Required<Omit<CLDToyNetConfig, 'seed'>> & { seed: number | null };

/** Validate and fill in the defaults of a {@link CLDToyNetConfig}. */
export function resolveNetConfig(c: CLDToyNetConfig = {}): ResolvedNetConfig {
  const op = 'CLDToyNet';
  if (c === null || typeof c !== 'object') throw new TypeError(`${op}: config must be an object`);
  const int = (v: unknown, name: string, d: number, min: number): number => {
    const x = v === undefined ? d : v;
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min) throw new RangeError(`${op}: ${name} must be an integer ≥ ${min}, got ${String(x)}`);
    return x;
  };
  const timeFeatures = c.timeFeatures ?? 'fourier';
  if (timeFeatures !== 'fourier' && timeFeatures !== 'raw') throw new TypeError(`${op}: timeFeatures must be 'fourier' or 'raw', got ${String(timeFeatures)}`);
  const fourierDim = int(c.fourierDim, 'fourierDim', 16, 2);
  if (fourierDim % 2) throw new RangeError(`${op}: fourierDim must be even, got ${fourierDim}`);
  const fourierScale = c.fourierScale ?? 2;
  if (typeof fourierScale !== 'number' || !(fourierScale > 0) || !Number.isFinite(fourierScale)) throw new RangeError(`${op}: fourierScale must be a finite number > 0, got ${String(fourierScale)}`);
  const dtype = c.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') throw new TypeError(`${op}: dtype must be 'float32' or 'float64', got ${String(dtype)}`);
  const seed = c.seed === undefined ? null : c.seed;
  if (seed !== null && (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0)) throw new RangeError(`${op}: seed must be a non-negative integer, got ${String(seed)}`);
  return {
    dataDim: int(c.dataDim, 'dataDim', 2, 1), hidden: int(c.hidden, 'hidden', 128, 1), layers: int(c.layers, 'layers', 4, 1),
    timeFeatures, fourierDim, fourierScale, seed, dtype,
  };
}

/**
 * F(x, v, t) → α: x, v [B, D], t [B] → α [B, D]. Input features cat([x, v, φ(t)], 1) with
 * φ(t) = Fourier features [B, fourierDim] or t itself [B, 1].
 */
export class CLDToyNet extends Module {
  readonly config: ResolvedNetConfig;
  temb: GaussianFourierEmbedding | null;
  main: ModuleList;
  act = new SiLU();

  /** @param config see {@link CLDToyNetConfig}; defaults give the 4×128 SiLU toy model. */
  constructor(config: CLDToyNetConfig = {}) {
    super();
    const c = resolveNetConfig(config);
    this.config = c;
    const saved = c.seed === null ? null : getRngState();
    try {
      if (c.seed !== null) manualSeed(c.seed);
      this.temb = c.timeFeatures === 'fourier'
        ? new GaussianFourierEmbedding(c.fourierDim, { scale: c.fourierScale, dtype: c.dtype, seed: c.seed === null ? undefined : c.seed + 1 })
        : null;
      const tDim = c.timeFeatures === 'fourier' ? c.fourierDim : 1;
      const lins: Linear[] = [new Linear(2 * c.dataDim + tDim, c.hidden, { dtype: c.dtype })];
      for (let i = 1; i < c.layers; i++) lins.push(new Linear(c.hidden, c.hidden, { dtype: c.dtype }));
      lins.push(new Linear(c.hidden, c.dataDim, { dtype: c.dtype }));
      this.main = new ModuleList(lins);
    } finally {
      if (saved) setRngState(saved);
    }
  }

  /** x [B, D], v [B, D], t [B] (any float dtype) → α [B, D]. */
  override forward(x: Tensor, v: Tensor, t: Tensor): Tensor {
    const op = 'CLDToyNet.forward';
    const D = this.config.dataDim;
    checkTensor(op, x, 'x');
    checkTensor(op, v, 'v');
    checkTensor(op, t, 't');
    if (x.ndim !== 2 || x.shape[1] !== D) throw new RangeError(`${op}: x must be [B, ${D}], got ${shapeStr(x.shape)}`);
    if (v.ndim !== 2 || v.shape[0] !== x.shape[0] || v.shape[1] !== D) throw new RangeError(`${op}: v must be ${shapeStr(x.shape)} like x, got ${shapeStr(v.shape)}`);
    if (t.ndim !== 1 || t.shape[0] !== x.shape[0]) throw new RangeError(`${op}: t must be [${x.shape[0]}], got ${shapeStr(t.shape)}`);
    const dt = this.config.dtype;
    const xs = x.dtype === dt ? x : cast(x, dt);
    const vs = v.dtype === dt ? v : cast(v, dt);
    const ts = t.dtype === dt ? t : cast(t, dt);
    const tf = this.temb ? this.temb.forward(ts) : unsqueeze(ts, 1); // [B, tDim]
    let h = cat([xs, vs, tf], 1); // [B, 2D + tDim]
    const lins = [...this.main] as Linear[];
    for (let i = 0; i < lins.length - 1; i++) h = this.act.forward(lins[i].forward(h)); // [B, hidden]
    return lins[lins.length - 1].forward(h); // [B, D]
  }
}
