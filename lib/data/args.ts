// args.ts — argument checks shared by lib/data, lib/viz and lib/metrics: sample counts, seeds,
// option objects and positive numbers, each throwing TypeError/RangeError that names the op.
import { Tensor } from '../tensor';

/** A seed as the library's random ops take it: a non-negative safe integer or a bigint in [0, 2^64). */
export type Seed = number | bigint;

/** Throws unless o is undefined or a plain object; returns it (or {}). */
export function checkOptions<T extends object>(op: string, o: unknown): Partial<T> {
  if (o === undefined) return {};
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new TypeError(`${op}: options must be an object, got ${o === null ? 'null' : Array.isArray(o) ? 'an array' : typeof o}`);
  return o as Partial<T>;
}

/** Throws unless n is an integer >= min. */
export function checkCount(op: string, n: unknown, name = 'n', min = 1): number {
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new TypeError(`${op}: ${name} must be an integer, got ${String(n)}`);
  if (n < min) throw new RangeError(`${op}: ${name} must be >= ${min}, got ${n}`);
  return n;
}

/** Throws unless seed is a non-negative safe integer or a bigint in [0, 2^64). */
export function checkSeed(op: string, seed: unknown): Seed {
  if (typeof seed === 'bigint') {
    if (seed < 0n || seed >= 1n << 64n) throw new RangeError(`${op}: seed must be in [0, 2^64), got ${seed}`);
    return seed;
  }
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0)
    throw new TypeError(`${op}: seed must be a non-negative safe integer or a bigint, got ${String(seed)}`);
  return seed;
}

/** Throws unless v is a finite number (> 0 when positive, >= 0 otherwise); returns v or the default. */
export function checkNum(op: string, name: string, v: unknown, dflt: number, kind: 'positive' | 'nonneg' | 'any' = 'positive'): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${op}: ${name} must be a finite number, got ${String(v)}`);
  if (kind === 'positive' && !(v > 0)) throw new RangeError(`${op}: ${name} must be > 0, got ${v}`);
  if (kind === 'nonneg' && !(v >= 0)) throw new RangeError(`${op}: ${name} must be >= 0, got ${v}`);
  return v;
}

/** Throws unless x is a live Tensor. */
export function checkIsTensor(op: string, x: unknown, name: string): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if (x.isDisposed) throw new Error(`${op}: ${name} has been disposed`);
  return x;
}

/** Throws unless x is a 2-D float or int tensor [n, d] (d given or any); returns its shape. */
export function checkMatrix(op: string, x: unknown, name: string, d?: number): [number, number] {
  const t = checkIsTensor(op, x, name);
  if (t.ndim !== 2 || (d !== undefined && t.shape[1] !== d))
    throw new RangeError(`${op}: ${name} must be [n, ${d ?? 'd'}], got [${t.shape.join(', ')}] (${t.dtype})`);
  if (t.shape[0] < 1) throw new RangeError(`${op}: ${name} must have at least one row, got [${t.shape.join(', ')}]`);
  return [t.shape[0], t.shape[1]];
}

/** Row-major float64 copy of a tensor's values. */
export function hostF64(x: Tensor): Float64Array {
  const d = x.dataSync();
  return d instanceof Float64Array ? d : Float64Array.from(d);
}
