// decode.ts — building tensors from a validated header: checks every dtype can be loaded, reads
// each tensor's bytes into a fresh aligned buffer (sized from offsets already checked against the
// real data length), converts F16/BF16/I64, and disposes what it made if anything fails.
import { DType, TypedArray } from '../dtype';
import { tensor } from '../ops/creation';
import { Tensor } from '../tensor';
import { bf16ArrayToF32, DTYPE_SIZES, f16ArrayToF32, i64ArrayToI32, LITTLE_ENDIAN, loadDType, swapBytes } from './dtypes';
import { SafetensorsError } from './errors';
import { SafetensorsHeader, TensorInfo } from './header';

/** Largest element count a tensordiff tensor holds. */
const MAX_NUMEL = 2 ** 31 - 1;

/** Fills `dst` with the data-section bytes starting at `begin`. */
export type ReadAt = (dst: Uint8Array, begin: number) => void;

/** Throws unless every tensor of the header can be loaded. */
export function checkLoadable(h: SafetensorsHeader, where: string): void {
  for (const [name, info] of h.tensors) {
    if (loadDType(info.dtype) === null)
      throw new SafetensorsError(
        `${where}: tensor ${JSON.stringify(name)} has dtype ${info.dtype}, which tensordiff cannot load (supported: F32, F64, I32; F16 and BF16 load as float32; I64 as int32 when every value fits)`,
      );
    if (info.numel > MAX_NUMEL)
      throw new SafetensorsError(`${where}: tensor ${JSON.stringify(name)} has ${info.numel} elements; tensordiff tensors hold at most 2^31-1`);
  }
}

/** The element values of one tensor, converted to its tensordiff dtype. */
function decodeOne(name: string, info: TensorInfo, raw: Uint8Array): TypedArray {
  const size = DTYPE_SIZES[info.dtype];
  if (!LITTLE_ENDIAN) swapBytes(raw, size);
  const buf = raw.buffer, n = info.numel;
  switch (info.dtype) {
    case 'F32': return new Float32Array(buf, 0, n);
    case 'F64': return new Float64Array(buf, 0, n);
    case 'I32': return new Int32Array(buf, 0, n);
    case 'F16': return f16ArrayToF32(new Uint16Array(buf, 0, n));
    case 'BF16': return bf16ArrayToF32(new Uint16Array(buf, 0, n));
    case 'I64': return i64ArrayToI32(name, new BigInt64Array(buf, 0, n));
    default: throw new SafetensorsError(`tensor ${JSON.stringify(name)}: cannot load dtype ${info.dtype}`);
  }
}

/**
 * The tensors of a validated header, in data order, as a plain object. Names are defined as own
 * properties (so a hostile name such as `__proto__` is just a key).
 */
export function decodeAll(h: SafetensorsHeader, readAt: ReadAt, where: string): Record<string, Tensor> {
  checkLoadable(h, where);
  const out: Record<string, Tensor> = {};
  const made: Tensor[] = [];
  try {
    for (const [name, info] of h.tensors) {
      const [b, e] = info.dataOffsets;
      const raw = new Uint8Array(e - b); // e - b <= dataBytes, checked against the real length
      readAt(raw, b);
      let values: TypedArray;
      try {
        values = decodeOne(name, info, raw);
      } catch (err) {
        throw err instanceof SafetensorsError ? new SafetensorsError(`${where}: ${err.message}`) : err;
      }
      const t = tensor(values, { shape: info.shape, dtype: loadDType(info.dtype) as DType });
      made.push(t);
      Object.defineProperty(out, name, { value: t, enumerable: true, writable: true, configurable: true });
    }
  } catch (err) {
    for (const t of made) t.dispose();
    throw err;
  }
  return out;
}
