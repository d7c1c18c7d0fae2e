// nll.ts — the CLD negative log-likelihood bound of data x₀ through the probability-flow ODE
// (spec /work/shared/specs/cld.md; paper Sec. 3 / App. E). With the velocity v₀ ~ q = N(0, γM I),
//   −log p(x₀) ≤ E_q[ −log p_ε(x₀, v₀) + log q(v₀) ],
// and log p_ε(u_ε) = log p_T(u_T) + ∫_ε^T div f̃(u_t, t) dt along the forward-time ODE
//   dx/dt = M⁻¹β v,   dv/dt = −βx − ΓM⁻¹β v − Γβ s(x, v, t),
// whose divergence is −D·ΓM⁻¹β − Γβ·tr(∂s/∂v) (x's drift does not depend on x). The trace is
// estimated with Hutchinson's estimator zᵀ(∂s/∂v)z, z Rademacher (one backward pass), or computed
// exactly with D backward passes. Heun's method on a quadratic (default) or linear t grid from ε to T; p_T is the prior
// N(0, I) × N(0, M I). The state moves with the fused cldAffine pass (noise off).
import { Tensor, checkTensor } from '../../tensor';
import { randn, rand, tensor, zeros } from '../../ops/creation';
import { mul, sub, sign, add } from '../../ops/elementwise';
import { sum } from '../../ops/reduce';
import { detach } from '../../ops/views';
import { backward, noGrad, enableGrad } from '../../autograd';
import { tidy } from '../../memory';
import { shapeStr } from '../../shape';
import { CLD, deriveSeed } from '../../diffusion/cld';
import { cldAffine } from '../../diffusion/cldKernel';
import { CLDScoreModel, ScoreFn } from './model';

/** Options of {@link nllBound}. */
export interface NLLOptions {
  /** Heun steps from ε to T (default 100; 2 score+trace evaluations each). */
  steps?: number;
  /** Seed of v₀ and of the Hutchinson probes. */
  seed: number | bigint;
  /** 'hutchinson' (default; Rademacher probes) or 'exact' (D backward passes per evaluation). */
  trace?: 'hutchinson' | 'exact';
  /** Time grid from ε to T: 'quadratic' (default; t_k = ε + (T − ε)(k/n)², small steps where the ODE is stiff) or 'linear'. */
  striding?: 'linear' | 'quadratic';
  /** Start time ε of the ODE (default 1e-5). */
  eps?: number;
  /** State dtype (default float64: the log-density is accumulated over many steps). */
  dtype?: 'float32' | 'float64';
  /** The CLD process when `source` is a bare callback (default `new CLD()`). */
  cld?: CLD;
}

/** Per-sample results (nats): the bound, its two parts, and the v₀ drawn. */
export interface NLLResult {
  /** −log p_ε(x₀, v₀) + log q(v₀), per sample [B] (an upper bound on −log p(x₀) in expectation over v₀). */
  nll: Float64Array;
  /** log p_ε(x₀, v₀) per sample. */
  logpJoint: Float64Array;
  /** log q(v₀) per sample. */
  logq: Float64Array;
  /** Mean of nll over the batch. */
  mean: number;
  /** The velocities v₀ [B, D] drawn from q. */
  v0: Tensor;
}

/** Sum over all dims but the first, as float64 host values. */
function rowSums(x: Tensor): Float64Array {
  const d = x.dataSync();
  const B = x.shape[0], n = d.length / B;
  const out = new Float64Array(B);
  for (let b = 0; b < B; b++) for (let i = 0; i < n; i++) out[b] += d[b * n + i];
  return out;
}

/** log N(y; 0, var·I) per row of y [B, D]. */
function logNormalRows(y: Tensor, variance: number): Float64Array {
  const d = y.dataSync();
  const B = y.shape[0], n = d.length / B;
  const out = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let q = 0;
    for (let i = 0; i < n; i++) q += d[b * n + i] ** 2;
    out[b] = -0.5 * q / variance - 0.5 * n * Math.log(2 * Math.PI * variance);
  }
  return out;
}

/**
 * The NLL bound (nats per sample) of data x₀ [B, D] under a CLD score model, or under a
 * differentiable score callback (x, v, t) → s (called with gradients on; v requires grad).
 * Parameters of a model get no gradient from this.
 */
export function nllBound(source: CLDScoreModel | ScoreFn, x0: Tensor, o: NLLOptions): NLLResult {
  const op = 'nllBound';
  let cld: CLD, score: ScoreFn;
  let model: CLDScoreModel | null = null;
  if (source instanceof CLDScoreModel) {
    model = source;
    cld = source.cld;
    score = (x, v, t) => source.scoreDiff(x, v, t);
  } else if (typeof source === 'function') {
    if (o?.cld !== undefined && !(o.cld instanceof CLD)) throw new TypeError(`${op}: cld must be a CLD`);
    cld = o?.cld ?? new CLD();
    score = source;
  } else throw new TypeError(`${op}: source must be a CLDScoreModel or a score callback (x, v, t) => Tensor`);
  checkTensor(op, x0, 'x0');
  if (model && model.dataShape.length !== 1)
    throw new TypeError(`${op}: only toy models on [B, D] data are supported; this model takes images [B, ${model.dataShape.join(', ')}] (x0 ${shapeStr(x0.shape)})`);
  if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object`);
  if (x0.ndim !== 2 || x0.shape[0] < 1) throw new RangeError(`${op}: x0 must be [B, D] with B ≥ 1, got ${shapeStr(x0.shape)}`);
  if (model && x0.shape[1] !== model.dataDim) throw new RangeError(`${op}: x0 must be [B, ${model.dataDim}], got ${shapeStr(x0.shape)}`);
  const steps = o.steps ?? 100;
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`${op}: steps must be a positive integer, got ${String(steps)}`);
  const traceKind = o.trace ?? 'hutchinson';
  if (traceKind !== 'hutchinson' && traceKind !== 'exact') throw new TypeError(`${op}: trace must be 'hutchinson' or 'exact', got ${String(traceKind)}`);
  const eps = o.eps ?? 1e-5;
  if (typeof eps !== 'number' || !(eps > 0 && eps < cld.T)) throw new RangeError(`${op}: eps must be in (0, T), got ${String(eps)}`);
  if (typeof o.seed !== 'number' && typeof o.seed !== 'bigint') throw new TypeError(`${op}: seed must be a number or bigint`);
  const striding = o.striding ?? 'quadratic';
  if (striding !== 'linear' && striding !== 'quadratic') throw new TypeError(`${op}: striding must be 'linear' or 'quadratic', got ${String(striding)}`);
  const dtype = o.dtype ?? 'float64';
  if (dtype !== 'float32' && dtype !== 'float64') throw new TypeError(`${op}: dtype must be 'float32' or 'float64', got ${String(dtype)}`);
  const [B, D] = x0.shape;
  const params = model ? model.net.parameters() : [];
  const wasTrainable = params.map((p) => p.requiresGrad);
  params.forEach((p) => (p.requiresGrad = false));
  let probe = 2;
  /** s and tr(∂s/∂v) per sample at (x, v, t): the score [B, D] (no grad) and the trace [B]. */
  const scoreAndTrace = (x: Tensor, v: Tensor, t: number): { s: Tensor; tr: Float64Array } => tidy(() => {
    const vl = detach(v);
    vl.requiresGrad = true;
    const s = enableGrad(() => score(x, vl, t));
    if (!(s instanceof Tensor) || s.ndim !== 2 || s.shape[0] !== B || s.shape[1] !== D)
      throw new TypeError(`${op}: score must return a Tensor of shape [${B}, ${D}]`);
    if (!s.requiresGrad) throw new TypeError(`${op}: the score does not depend on v through differentiable ops`);
    const tr = new Float64Array(B);
    const probes: Tensor[] = traceKind === 'exact'
      ? Array.from({ length: D }, (_, d) => tensor(Float64Array.from({ length: B * D }, (_, i) => (i % D === d ? 1 : 0)), { shape: [B, D], dtype: s.dtype }))
      : [sign(sub(rand([B, D], { dtype: s.dtype, seed: deriveSeed(o.seed, probe++) }), 0.5))];
    probes.forEach((z, k) => {
      vl.grad?.dispose();
      vl.grad = null;
      backward(enableGrad(() => sum(mul(s, z))), null, { retainGraph: k + 1 < probes.length });
      const g = vl.grad as Tensor | null;
      if (!g) throw new TypeError(`${op}: the score does not depend on v through differentiable ops`);
      const r = rowSums(mul(g, z));
      for (let b = 0; b < B; b++) tr[b] += r[b];
    });
    vl.grad?.dispose();
    vl.grad = null;
    return { s: detach(s), tr };
  });
  try {
    return noGrad(() => {
      const v0 = tidy(() => mul(randn([B, D], { dtype, seed: deriveSeed(o.seed, 1) }), Math.sqrt(cld.sv0)));
      let x = tidy(() => (x0.dtype === dtype ? add(x0, 0) : add(zeros([B, D], { dtype }), x0)));
      let v = add(v0, 0);
      const logdet = new Float64Array(B); // ∫ div f̃ dt
      const grid = Float64Array.from({ length: steps + 1 }, (_, k) => (k === steps ? cld.T : eps + (cld.T - eps) * (striding === 'quadratic' ? (k / steps) ** 2 : k / steps)));
      /** Forward Euler move of the ODE with score s at time t; returns the new (x, v). */
      const move = (xa: Tensor, va: Tensor, s: Tensor, t: number, dt: number) => {
        const be = cld.beta(t);
        const c = tensor(new Float64Array([1, dt * cld.Minv * be, 0, -dt * be, 1 - dt * cld.Gamma * cld.Minv * be, -dt * cld.Gamma * be, 0, 0, 0]), { dtype: 'float64' });
        const r = cldAffine(xa, va, s, c, { noise: false });
        c.dispose();
        return r;
      };
      const div = (tr: Float64Array, t: number): Float64Array => {
        const be = cld.beta(t);
        return Float64Array.from(tr, (q) => -D * cld.Gamma * cld.Minv * be - cld.Gamma * be * q);
      };
      for (let k = 0; k < steps; k++) {
        const t0 = grid[k], t1 = grid[k + 1];
        const next = tidy(() => {
          const a = scoreAndTrace(x, v, t0);
          const d0 = div(a.tr, t0);
          const p = move(x, v, a.s, t0, t1 - t0); // Euler predictor
          const b = scoreAndTrace(p.x, p.v, t1);
          const d1 = div(b.tr, t1);
          for (let i = 0; i < B; i++) logdet[i] += 0.5 * (t1 - t0) * (d0[i] + d1[i]);
          const q = move(p.x, p.v, b.s, t1, t1 - t0);
          return { x: mul(add(x, q.x), 0.5), v: mul(add(v, q.v), 0.5) }; // Heun: ½(u + u' + h f̃(u', t1))
        });
        x.dispose();
        v.dispose();
        x = next.x;
        v = next.v;
      }
      const lpx = logNormalRows(x, 1), lpv = logNormalRows(v, cld.M), lq = logNormalRows(v0, cld.sv0);
      x.dispose();
      v.dispose();
      const logpJoint = Float64Array.from(logdet, (ld, i) => lpx[i] + lpv[i] + ld);
      const nll = Float64Array.from(logpJoint, (lp, i) => -lp + lq[i]);
      return { nll, logpJoint, logq: lq, mean: nll.reduce((s, y) => s + y, 0) / B, v0 };
    });
  } finally {
    params.forEach((p, i) => (p.requiresGrad = wasTrainable[i]));
  }
}
