// util.ts — helpers shared by the layer files: argument checks and parameter creation.
import { DType } from '../dtype';
import { fullK } from '../ops/kernel';
import { shapeStr } from '../shape';
import { Tensor, checkTensor } from '../tensor';
import { Parameter } from './parameter';

/** Options every layer with parameters accepts. */
export interface LayerOptions {
  /** dtype of the parameters: 'float32' (default) or 'float64'. */
  dtype?: 'float32' | 'float64';
}

/** @internal The float dtype of a layer's options. */
export function layerDtype(op: string, o: unknown): 'float32' | 'float64' {
  if (o === undefined || o === null) return 'float32';
  if (typeof o !== 'object') throw new TypeError(`${op}: options must be an object`);
  const d = (o as LayerOptions).dtype;
  if (d === undefined) return 'float32';
  if (d !== 'float32' && d !== 'float64') throw new TypeError(`${op}: dtype must be 'float32' or 'float64', got ${JSON.stringify(d)}`);
  return d;
}

/** @internal A positive integer argument. */
export function posInt(op: string, v: unknown, name: string, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${op}: ${name} must be an integer, got ${String(v)}`);
  if (v < min) throw new RangeError(`${op}: ${name} must be >= ${min}, got ${v}`);
  return v;
}

/** @internal A number in [lo, hi]. */
export function numIn(op: string, v: unknown, name: string, lo: number, hi: number): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new TypeError(`${op}: ${name} must be a number, got ${String(v)}`);
  if (v < lo || v > hi) throw new RangeError(`${op}: ${name} must be in [${lo}, ${hi}], got ${v}`);
  return v;
}

/** @internal A boolean option with a default. */
export function bool(op: string, v: unknown, name: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new TypeError(`${op}: ${name} must be a boolean, got ${String(v)}`);
  return v;
}

/** @internal A fresh zero Parameter (exempt from tidy) of the given shape, then `init` applied to it. */
export function newParam(shape: readonly number[], dtype: DType, init?: (p: Parameter) => unknown): Parameter {
  const t = fullK(shape, 0, dtype);
  const p = new Parameter(t);
  t.dispose();
  if (init) init(p);
  return p;
}

/** @internal Checks a layer's input tensor: float, and (when given) the size of a dim. */
export function checkInput(op: string, x: unknown, minDims: number, dimSize?: [number, number, string]): Tensor {
  const t = checkTensor(op, x);
  if (t.dtype === 'int32') throw new TypeError(`${op}: input must be float32 or float64, got int32 ${shapeStr(t.shape)}`);
  if (t.ndim < minDims) throw new RangeError(`${op}: input ${shapeStr(t.shape)} needs at least ${minDims} dims`);
  if (dimSize) {
    const [d, n, what] = dimSize;
    const dd = d < 0 ? d + t.ndim : d;
    if (t.shape[dd] !== n) throw new RangeError(`${op}: input ${shapeStr(t.shape)} must have ${n} ${what} in dim ${d}`);
  }
  return t;
}
