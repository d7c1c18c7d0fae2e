// dtype.ts — the element types: names, native codes, typed-array constructors and type promotion.

/** Element type of a tensor. Comparisons (gt, eq, ...) return float32 tensors of 1 and 0. */
export type DType = 'float32' | 'float64' | 'int32';
export type TypedArray = Float32Array | Float64Array | Int32Array;

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32'];

/** Native dtype code (native/cpu/view.h). */
export function dtypeCode(d: DType): number {
  return d === 'float32' ? 0 : d === 'float64' ? 1 : 2;
}

export function bytesPer(d: DType): number {
  return d === 'float64' ? 8 : 4;
}

export function typedArrayFor(d: DType): Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor {
  return d === 'float32' ? Float32Array : d === 'float64' ? Float64Array : Int32Array;
}

export function isFloat(d: DType): boolean {
  return d !== 'int32';
}

export function isDType(x: unknown): x is DType {
  return x === 'float32' || x === 'float64' || x === 'int32';
}

/** Result dtype of an op on two tensors: float64 > float32 > int32. */
export function promote(a: DType, b: DType): DType {
  if (a === 'float64' || b === 'float64') return 'float64';
  if (a === 'float32' || b === 'float32') return 'float32';
  return 'int32';
}

/** The dtype of a typed array, or null for other views. */
export function dtypeOfArray(a: unknown): DType | null {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return null;
}
