// nn-ref.ts — plain-JS references for the nn tests (Linear, GELU-tanh, LayerNorm, multi-head
// attention on row-major flat arrays) and randomizeParams, which sets a module's parameters to values
// from the library-independent JS generator. Not a test file itself: it registers no tap tests.
import * as td from '../../lib/index';
import * as nn from '../../lib/nn/index';
import { uniform } from './check';

type Tensor = td.Tensor;

/** Sets every parameter of m to seeded values from the JS generator (independent of the library). */
export function randomizeParams(m: nn.Module, seed: number, scale = 0.5): void {
  const sd: Record<string, Tensor> = {};
  let s = seed;
  for (const [n, p] of m.namedParameters())
    sd[n] = td.tensor(p.dtype === 'float64' ? new Float64Array(uniform(s++, p.numel, -scale, scale)) : new Float32Array(uniform(s++, p.numel, -scale, scale)), { shape: p.shape.slice() });
  m.loadStateDict(sd, false);
  td.dispose(sd);
}

// ---- plain-JS references (row-major flat arrays) ----
export function linearJS(x: number[], rows: number, W: number[], b: number[] | null, nin: number, nout: number): number[] {
  const y = new Array<number>(rows * nout).fill(0);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < nout; o++) {
      let s = b ? b[o] : 0;
      for (let i = 0; i < nin; i++) s += x[r * nin + i] * W[o * nin + i];
      y[r * nout + o] = s;
    }
  return y;
}
export const geluTanhJS = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
export function layerNormJS(x: number[], D: number, w: number[] | null, b: number[] | null, eps: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < x.length / D; r++) {
    const v = x.slice(r * D, (r + 1) * D);
    const m = v.reduce((a, c) => a + c, 0) / D;
    const va = v.reduce((a, c) => a + (c - m) ** 2, 0) / D;
    for (let i = 0; i < D; i++) out.push(((v[i] - m) / Math.sqrt(va + eps)) * (w ? w[i] : 1) + (b ? b[i] : 0));
  }
  return out;
}
/** Multi-head attention in plain JS: x [B, L, E] (self-attention), PyTorch's parameter layout. */
export function mhaJS(x: number[], B: number, L: number, E: number, H: number, Win: number[], bin: number[], Wo: number[], bo: number[], causal: boolean): number[] {
  const Dh = E / H;
  const qkv = linearJS(x, B * L, Win, bin, E, 3 * E); // [B*L, 3E]
  const merged = new Array<number>(B * L * E).fill(0);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < L; i++) {
        const q = (j: number, d: number) => qkv[(b * L + j) * 3 * E + h * Dh + d];
        const k = (j: number, d: number) => qkv[(b * L + j) * 3 * E + E + h * Dh + d];
        const v = (j: number, d: number) => qkv[(b * L + j) * 3 * E + 2 * E + h * Dh + d];
        const s: number[] = [];
        for (let j = 0; j < L; j++) {
          let dot = 0;
          for (let d = 0; d < Dh; d++) dot += q(i, d) * k(j, d);
          s.push(causal && j > i ? -Infinity : dot / Math.sqrt(Dh));
        }
        const mx = Math.max(...s);
        const e = s.map((z) => Math.exp(z - mx));
        const Z = e.reduce((a, c) => a + c, 0);
        for (let d = 0; d < Dh; d++) {
          let acc = 0;
          for (let j = 0; j < L; j++) acc += (e[j] / Z) * v(j, d);
          merged[(b * L + i) * E + h * Dh + d] = acc;
        }
      }
  return linearJS(merged, B * L, Wo, bo, E, E);
}

