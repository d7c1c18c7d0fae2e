// util.ts — argument helpers shared by the op files: tensor/number checks and dtype casting with autograd.
import { record } from '../autograd';
import { DType, isDType } from '../dtype';
import { Tensor, checkTensor } from '../tensor';
import { castK } from './kernel';

export type TensorOrNumber = Tensor | number;

export { checkTensor };

export function checkNumber(op: string, x: unknown, name = 'value'): number {
  if (typeof x !== 'number') throw new TypeError(`${op}: ${name} must be a number, got ${x === null ? 'null' : typeof x}`);
  return x;
}

export function checkTensorOrNumber(op: string, x: unknown, name: string): TensorOrNumber {
  if (typeof x === 'number') return x;
  return checkTensor(op, x, name);
}

export function checkDType(op: string, d: unknown): DType {
  if (!isDType(d)) throw new TypeError(`${op}: unknown dtype ${JSON.stringify(d)} (expected 'float32', 'float64' or 'int32')`);
  return d;
}

export function checkFloat(op: string, t: Tensor): void {
  if (t.dtype === 'int32') throw new TypeError(`${op}: expected a float32 or float64 tensor, got int32`);
}

/** x converted to dtype (a recorded op, so gradients flow back in x's dtype). */
export function cast(xIn: Tensor, dtype: DType): Tensor {
  const x = checkTensor('cast', xIn);
  checkDType('cast', dtype);
  if (x.dtype === dtype) return x;
  const out = castK(x, dtype);
  if (dtype === 'int32') return out;
  return record(out, 'cast', [x], (g) => [castK(g, x.dtype)]);
}

export function checkIntIn(op: string, x: unknown, name: string, lo: number, hi: number): number {
  if (typeof x !== 'number' || !Number.isInteger(x)) throw new TypeError(`${op}: ${name} must be an integer, got ${String(x)}`);
  if (x < lo || x > hi) throw new RangeError(`${op}: ${name} ${x} is outside [${lo}, ${hi}]`);
  return x;
}
