// check.ts — helpers shared by the test files: assertion helpers (throwsKind, close), reading a tensor
// back (arr), a seeded JS input generator independent of the library (rng, uniform), and row-major
// shape arithmetic (stridesOf, numelOf, range). Not a test file itself: it registers no tap tests.
import type { Tensor } from '../../lib/index';

/** The assertion methods the helpers use (satisfied by t and by every subtest). */
export interface Test { ok(v: unknown, msg: string): unknown; equal(a: unknown, b: unknown, msg: string): unknown; pass(msg: string): unknown; fail(msg: string): unknown }

/** One assertion: fn throws an instance of `kind` (the message names what was thrown instead). */
export function throwsKind(tt: Test, fn: () => unknown, kind: Function, msg: string): void {
  try {
    fn();
    tt.fail(`${msg}: did not throw`);
  } catch (e) {
    tt.ok(e instanceof kind, `${msg}: throws ${kind.name} (got ${(e as Error)?.constructor?.name}: ${(e as Error)?.message})`);
  }
}

/** The tensor's values as a plain array, in row-major (logical) order. */
export const arr = (x: Tensor): number[] => Array.from(x.dataSync());

/** [from, from + 1, ..., from + n - 1]. */
export const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => i + from);

/** One assertion for a whole array: |got - want| <= rtol |want| + atol (NaN matches NaN, inf matches inf). */
export function close(tt: Test, got: ArrayLike<number>, want: ArrayLike<number>, rtol: number, atol: number, msg: string): void {
  if (got.length !== want.length) {
    tt.fail(`${msg}: length ${got.length} vs ${want.length}`);
    return;
  }
  let worst = -1, worstExcess = 0;
  for (let i = 0; i < got.length; i++) {
    const g = got[i], w = want[i];
    if (Number.isNaN(w) || !Number.isFinite(w)) {
      if (!Object.is(g, w) && !(Number.isNaN(g) && Number.isNaN(w))) { worst = i; worstExcess = Infinity; break; }
      continue;
    }
    const excess = Math.abs(g - w) - (rtol * Math.abs(w) + atol);
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess)) { worst = i; worstExcess = excess; }
  }
  if (worst < 0) tt.pass(msg);
  else tt.fail(`${msg}: element ${worst} got ${got[worst]}, expected ${want[worst]} (rtol ${rtol}, atol ${atol})`);
}

/** mulberry32: a tiny seeded JS generator for inputs (independent of the library). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let z = a;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  };
}

/** n values uniform in [lo, hi) from rng(seed). */
export function uniform(seed: number, n: number, lo = -1, hi = 1): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/** Row-major (contiguous) strides of shape, in elements. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
  return s;
}

/** Number of elements of shape (1 for []). */
export const numelOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
