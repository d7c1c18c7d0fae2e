// util.ts — small helpers of the optimizers: argument checks that name the op, and in-place tensor
// arithmetic outside autograd (every result is written into an existing tensor with copyInto, so the
// parameters and the optimizer state keep their identity and storage).
import { binaryK, copyInto, unaryK } from '../ops/kernel';
import { B, U } from '../ops/opTable';
import { shapeStr } from '../shape';
import { Tensor } from '../tensor';

/** A finite number in [lo, hi] (hiOpen: [lo, hi)), else TypeError / RangeError naming op and name. */
export function checkNum(op: string, name: string, x: unknown, lo = -Infinity, hi = Infinity, hiOpen = false): number {
  if (typeof x !== 'number' || Number.isNaN(x)) throw new TypeError(`${op}: ${name} must be a number, got ${x === null ? 'null' : typeof x === 'number' ? 'NaN' : typeof x}`);
  if (!Number.isFinite(x) || x < lo || x > hi || (hiOpen && x === hi))
    throw new RangeError(`${op}: ${name} must be in [${lo}, ${hi}${hiOpen ? ')' : ']'}, got ${x}`);
  return x;
}

/** A non-negative integer. */
export function checkCount(op: string, name: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isInteger(x)) throw new TypeError(`${op}: ${name} must be an integer, got ${String(x)}`);
  if (x < 0) throw new RangeError(`${op}: ${name} must be >= 0, got ${x}`);
  return x;
}

/** A boolean. */
export function checkBool(op: string, name: string, x: unknown): boolean {
  if (typeof x !== 'boolean') throw new TypeError(`${op}: ${name} must be a boolean, got ${x === null ? 'null' : typeof x}`);
  return x;
}

/** The tensors of `params` (a tensor or an iterable of tensors), each live and floating point. */
export function tensorList(op: string, params: unknown): Tensor[] {
  if (params instanceof Tensor) params = [params];
  if (params === null || typeof params !== 'object' || typeof (params as Iterable<unknown>)[Symbol.iterator] !== 'function')
    throw new TypeError(`${op}: params must be a Tensor or an iterable of Tensors, got ${params === null ? 'null' : typeof params}`);
  const out: Tensor[] = [];
  let i = 0;
  for (const p of params as Iterable<unknown>) {
    if (!(p instanceof Tensor)) throw new TypeError(`${op}: params[${i}] must be a Tensor, got ${p === null ? 'null' : typeof p}`);
    p._live(op);
    if (p.dtype === 'int32') throw new TypeError(`${op}: params[${i}] ${shapeStr(p.shape)} is int32; only float32/float64 tensors can be optimized`);
    out.push(p);
    i++;
  }
  return out;
}

/** The gradient of p when it has a live one (PyTorch skips parameters whose grad is None). */
export function gradOf(p: Tensor): Tensor | null {
  return p.grad && !p.grad.isDisposed ? p.grad : null;
}

/** x * s (fresh). */
export const scaled = (x: Tensor, s: number): Tensor => unaryK(U.MUL_S, x, s);
/** a + b, same shapes and dtypes (fresh). */
export const plus = (a: Tensor, b: Tensor): Tensor => binaryK(B.ADD, a, b, a.shape);
/** a − b, same shapes and dtypes (fresh). */
export const minus = (a: Tensor, b: Tensor): Tensor => binaryK(B.SUB, a, b, a.shape);
/** Writes src into the existing tensor dst (any strides), in place. */
export const assign = (dst: Tensor, src: Tensor): void => copyInto(dst, src);
