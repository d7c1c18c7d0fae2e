// dtypes.ts — the safetensors dtype table (names and byte sizes), the mapping to tensordiff dtypes,
// and the exact element conversions done on load: F16 / BF16 -> float32, I64 -> int32 (when every
// value fits), and the byte swap for big-endian hosts.
import { DType } from '../dtype';
import { SafetensorsError } from './errors';

/** Byte size of every dtype name the format defines (sub-byte types such as F4 are rejected as unknown). */
export const DTYPE_SIZES: Readonly<Record<string, number>> = Object.freeze({
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, F8_E8M0: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  F64: 8, I64: 8, U64: 8, C64: 8,
});

/**
 * The reference implementation orders tensors in the data section by this rank, descending (the
 * order of its `Dtype` enum, i.e. increasing alignment), then by name. Only the dtypes we write.
 */
export const WRITE_RANK: Readonly<Record<DType, number>> = Object.freeze({ int32: 9, float32: 11, float64: 12 });

/** The safetensors name of each tensordiff dtype. */
export const WRITE_NAME: Readonly<Record<DType, string>> = Object.freeze({ float32: 'F32', float64: 'F64', int32: 'I32' });

/** The tensordiff dtype a file dtype loads into, or null when it cannot be loaded. */
export function loadDType(st: string): DType | null {
  switch (st) {
    case 'F32': case 'F16': case 'BF16': return 'float32';
    case 'F64': return 'float64';
    case 'I32': case 'I64': return 'int32';
    default: return null;
  }
}

/** True on little-endian hosts (every platform Node ships for today). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the bytes of each `size`-byte element of `b` in place (little-endian file <-> big-endian host). */
export function swapBytes(b: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i + size <= b.length; i += size)
    for (let lo = i, hi = i + size - 1; lo < hi; lo++, hi--) {
      const t = b[lo];
      b[lo] = b[hi];
      b[hi] = t;
    }
}

let f16Table: Float32Array | null = null;

/** The float32 value of an IEEE 754 binary16 bit pattern, exactly (subnormals, ±0, ±inf, NaN). */
export function f16ToF32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero and subnormals: mant · 2^-24
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** F16 bit patterns (little-endian in `bytes`, already host order as Uint16Array) -> float32. */
export function f16ArrayToF32(src: Uint16Array): Float32Array {
  if (!f16Table) {
    // all 65536 values, computed once (256 KiB): every binary16 value is exact in float32
    f16Table = new Float32Array(65536);
    for (let b = 0; b < 65536; b++) f16Table[b] = f16ToF32(b);
  }
  const out = new Float32Array(src.length);
  const tab = f16Table;
  for (let i = 0; i < src.length; i++) out[i] = tab[src[i]];
  return out;
}

/** BF16 bit patterns -> float32: bfloat16 is the top half of a float32, so this is a shift. */
export function bf16ArrayToF32(src: Uint16Array): Float32Array {
  const out = new Uint32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] << 16;
  return new Float32Array(out.buffer);
}

/** I64 values -> Int32Array; throws SafetensorsError naming the tensor if one does not fit in int32. */
export function i64ArrayToI32(name: string, src: BigInt64Array): Int32Array {
  const out = new Int32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    if (v < -2147483648n || v > 2147483647n)
      throw new SafetensorsError(`tensor ${JSON.stringify(name)} (I64): element ${i} = ${v} does not fit in int32, so it cannot be loaded losslessly`);
    out[i] = Number(v);
  }
  return out;
}
