// metrics.ts — the DisCo-Diff evaluation measures computed on the host in float64:
//   trajectoryCurvature  mean over steps and trajectories of ‖d_i − s‖ / ‖s‖, with d_i = dx/dσ at
//                        the i-th noise level of the sampler's grid and s = (x_end − x_start)/(0 − σ_0)
//                        the slope of the straight line from the start to the end of the trajectory
//                        (the spec's ‖dx/dt − (x_end − x_start)/(t_end − t_start)‖ with t = σ,
//                        relative to the chord's norm so that it is unit-free; 0 for a straight path)
//   mutualInformation    plug-in I(a; b) in bits from the empirical joint of two discrete labellings
//   codeIds              mixed-radix id of each row of codes [N, m] (the latent tuple as one label)

/**
 * Curvature of n trajectories: derivs[i] (n·D values, step i's dx/dσ), the start x_0 (n·D), the
 * end x_N (n·D) and σ_0. Returns mean_i mean_b ‖d_i,b − s_b‖ / ‖s_b‖ with s_b = (x_N,b − x_0,b)/(−σ_0).
 */
export function trajectoryCurvature(derivs: ArrayLike<number>[], xStart: ArrayLike<number>, xEnd: ArrayLike<number>, sigma0: number, n: number): number {
  const op = 'trajectoryCurvature';
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${op}: n must be a positive integer, got ${String(n)}`);
  if (!Array.isArray(derivs) || derivs.length < 1) throw new RangeError(`${op}: derivs must be a non-empty array`);
  const len = xStart.length;
  if (len % n || xEnd.length !== len || derivs.some((d) => d.length !== len))
    throw new RangeError(`${op}: xStart (${len}), xEnd (${xEnd.length}) and every derivs[i] must hold n·D values (n = ${n})`);
  if (!(sigma0 > 0)) throw new RangeError(`${op}: sigma0 must be > 0, got ${sigma0}`);
  const D = len / n;
  let acc = 0;
  for (const d of derivs) {
    for (let b = 0; b < n; b++) {
      let e2 = 0, s2 = 0;
      for (let j = b * D; j < (b + 1) * D; j++) {
        const s = (xEnd[j] - xStart[j]) / -sigma0;
        e2 += (d[j] - s) ** 2;
        s2 += s * s;
      }
      acc += Math.sqrt(e2) / Math.sqrt(s2);
    }
  }
  return acc / (derivs.length * n);
}

/** Mutual information I(a; b) in bits of two equally long integer labellings (plug-in estimate). */
export function mutualInformation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const op = 'mutualInformation';
  if (a.length !== b.length || a.length < 1) throw new RangeError(`${op}: a (${a.length}) and b (${b.length}) must be non-empty and equally long`);
  const n = a.length;
  const joint = new Map<string, number>(), pa = new Map<number, number>(), pb = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    if (!Number.isInteger(a[i]) || !Number.isInteger(b[i])) throw new TypeError(`${op}: labels must be integers, got ${a[i]} and ${b[i]} at ${i}`);
    const key = `${a[i]},${b[i]}`;
    joint.set(key, (joint.get(key) ?? 0) + 1);
    pa.set(a[i], (pa.get(a[i]) ?? 0) + 1);
    pb.set(b[i], (pb.get(b[i]) ?? 0) + 1);
  }
  let mi = 0;
  for (const [key, c] of joint) {
    const [x, y] = key.split(',').map(Number);
    mi += (c / n) * Math.log2((c * n) / (pa.get(x)! * pb.get(y)!));
  }
  return Math.max(0, mi);
}

/** One integer per row of codes (n rows of m entries in [0, k)): Σ_i c_i k^i. */
export function codeIds(codes: ArrayLike<number>, m: number, k: number): number[] {
  if (!Number.isInteger(m) || m < 1 || codes.length % m) throw new RangeError(`codeIds: codes (${codes.length} values) must hold rows of m = ${m}`);
  const out: number[] = [];
  for (let r = 0; r < codes.length / m; r++) {
    let id = 0;
    for (let i = m - 1; i >= 0; i--) id = id * k + codes[r * m + i];
    out.push(id);
  }
  return out;
}
