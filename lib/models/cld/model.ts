// model.ts — CLDScoreModel: a CLD process (lib/diffusion/cld.ts) plus a score network F(x, v, t) → α.
// The velocity score is s = −ℓ_t α ("plain"), or s = −v / Σvvᴺ(t) − ℓ_t α ("mixed"; Σvvᴺ is Σvv
// with sₓ = 1, s_v = γM), spec /work/shared/specs/cld.md "Score model and HSM loss".
import { Tensor, checkTensor } from '../../tensor';
import { full } from '../../ops/creation';
import { mul, sub } from '../../ops/elementwise';
import { noGrad } from '../../autograd';
import { tidy } from '../../memory';
import { shapeStr } from '../../shape';
import { cast } from '../../ops/util';
import { CLD, CLDOptions } from '../../diffusion/cld';
import { CLDToyNet, CLDToyNetConfig } from './net';
import { CLDImageNet, CLDImageNetConfig } from './imageNet';

/** A velocity-score callback: x, v [B, ...], forward time t (shared) → s [B, ...]. */
export type ScoreFn = (x: Tensor, v: Tensor, t: number) => Tensor;

/** The fully resolved CLD process options (what a checkpoint stores). */
export type CLDConfig = Required<Omit<CLDOptions, 'Gamma'>>;

/** Options of {@link CLDScoreModel}. */
export interface CLDScoreModelOptions {
  /** The toy network's config (default: the 4×128 SiLU toy MLP on 2-D data). */
  net?: CLDToyNetConfig;
  /** Use the image U-Net ({@link CLDImageNet}) with this config instead of the toy MLP (data [B, C, H, W]). */
  imageNet?: CLDImageNetConfig;
  /** The CLD process options (default: the official toy configuration, ε_num = 1e-6). */
  cld?: CLDOptions;
  /** Use the mixed score s = −v/Σvvᴺ − ℓ_t α (default false: s = −ℓ_t α). */
  mixed?: boolean;
}

/** The resolved CLD options of a process. */
export function cldConfigOf(c: CLD): CLDConfig {
  return { M: c.M, beta0: c.beta0, beta1: c.beta1, gamma: c.gamma, numEps: c.numEps, T: c.T };
}

/**
 * The CLD score model: `net` outputs α [B, D] from (x, v, t); `score(x, v, t)` turns it into the
 * velocity score. Dispose with `dispose()`.
 */
export class CLDScoreModel {
  readonly cld: CLD;
  readonly net: CLDToyNet | CLDImageNet;
  readonly mixed: boolean;

  /** @param o network config, CLD options, mixed flag (see {@link CLDScoreModelOptions}). */
  constructor(o: CLDScoreModelOptions = {}) {
    if (o === null || typeof o !== 'object') throw new TypeError('CLDScoreModel: options must be an object');
    if (o.mixed !== undefined && typeof o.mixed !== 'boolean') throw new TypeError(`CLDScoreModel: mixed must be a boolean, got ${String(o.mixed)}`);
    if (o.imageNet !== undefined && o.net !== undefined) throw new TypeError('CLDScoreModel: give net (toy MLP) or imageNet (U-Net), not both');
    this.cld = new CLD(o.cld ?? {});
    this.net = o.imageNet !== undefined ? new CLDImageNet(o.imageNet) : new CLDToyNet(o.net ?? {});
    this.mixed = o.mixed ?? false;
  }

  /** Data dimension D (toy net) or C·H·W (image net). */
  get dataDim(): number {
    return this.net instanceof CLDImageNet ? this.dataShape.reduce((a, b) => a * b, 1) : this.net.config.dataDim;
  }

  /** The per-sample data shape: [D] (toy net) or [C, H, W] (image net). */
  get dataShape(): number[] {
    return this.net instanceof CLDImageNet ? this.net.dataShape : [this.net.config.dataDim];
  }

  /** The network output α [B, ...dataShape] for x, v [B, ...dataShape] and per-sample times t [B] (differentiable). */
  alpha(x: Tensor, v: Tensor, t: Tensor): Tensor {
    return this.net.forward(x, v, t);
  }

  /**
   * The velocity score s [B, D] at a time t shared by the batch, without gradients:
   * s = −ℓ_t α, or −v/Σvvᴺ(t) − ℓ_t α when mixed. x, v: [B, D], float32 or float64; s has x's dtype.
   */
  score(x: Tensor, v: Tensor, t: number): Tensor {
    return noGrad(() => tidy(() => this.scoreDiff(x, v, t)));
  }

  /**
   * {@link score} with gradients recorded (w.r.t. v, x and the parameters, as they require). Its
   * intermediates stay in the caller's scope (the graph needs them): call it inside tidy().
   */
  scoreDiff(x: Tensor, v: Tensor, t: number): Tensor {
    const op = 'CLDScoreModel.score';
    checkTensor(op, x, 'x');
    checkTensor(op, v, 'v');
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > this.cld.T)
      throw new RangeError(`${op}: t must be a number in [0, ${this.cld.T}], got ${String(t)}`);
    const ds = this.dataShape;
    if (x.ndim !== ds.length + 1 || ds.some((d, i) => x.shape[i + 1] !== d))
      throw new RangeError(`${op}: x must be [B, ${ds.join(', ')}], got ${shapeStr(x.shape)} ${x.dtype}`);
    const tt = full([x.shape[0]], t, { dtype: this.net.config.dtype }); // [B]
    let a = this.alpha(x, v, tt); // [B, D]
    if (a.dtype !== x.dtype) a = cast(a, x.dtype);
    // s = −ℓ_t α (− v/Σvvᴺ when mixed). Written out rather than through CLD.scoreFromOutput, which
    // disposes its intermediate −ℓα and so silently cuts the gradient through α in the mixed case.
    const s = mul(a, -this.cld.ell(t));
    return this.mixed ? sub(s, mul(v, 1 / this.cld.mixedVar(t))) : s;
  }

  /** `score` as a plain callback, for the samplers. */
  scoreFn(): ScoreFn {
    return (x, v, t) => this.score(x, v, t);
  }

  /** The JSON-able description a checkpoint stores (net config, CLD options, mixed). */
  describe(): { net?: CLDToyNetConfig; imageNet?: CLDImageNetConfig; cld: CLDConfig; mixed: boolean } {
    if (this.net instanceof CLDImageNet) {
      const { seed, ...imageNet } = this.net.config;
      return { imageNet: seed === null ? imageNet : { ...imageNet, seed }, cld: cldConfigOf(this.cld), mixed: this.mixed };
    }
    const { seed, ...net } = this.net.config;
    return { net: seed === null ? net : { ...net, seed }, cld: cldConfigOf(this.cld), mixed: this.mixed };
  }

  /** Frees the network's parameters. */
  dispose(): void {
    this.net.dispose();
  }
}
