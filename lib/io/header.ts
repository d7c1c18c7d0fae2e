// header.ts — reading and validating a safetensors header against the size of the data section.
// Everything here works on untrusted input: sizes are checked before anything is allocated from
// them, and every failure is a SafetensorsError saying what is wrong and where.
//
// Layout: [u64 LE header length N][N bytes of UTF-8 JSON][data section], offsets in the JSON are
// relative to the first byte of the data section, and must tile it exactly (no holes, no overlap).
import { MAX_DIMS } from '../shape';
import { DTYPE_SIZES } from './dtypes';
import { SafetensorsError } from './errors';

/** Largest header accepted (the reference implementation's limit): 100 MB. */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor's entry in the header, validated. */
export interface TensorInfo {
  /** The file's dtype name: 'F32', 'BF16', ... */
  dtype: string;
  shape: number[];
  /** Number of elements. */
  numel: number;
  /** [begin, end) in bytes, relative to the start of the data section. */
  dataOffsets: [number, number];
}

/** A validated header. */
export interface SafetensorsHeader {
  /** The `__metadata__` map ({} when absent). */
  metadata: Record<string, string>;
  /** Tensor entries by name, in data-section order. */
  tensors: Map<string, TensorInfo>;
  /** N: the length in bytes of the JSON header. */
  headerBytes: number;
  /** Byte length of the data section (file size - 8 - N). */
  dataBytes: number;
}

const q = (s: string) => JSON.stringify(s.length > 200 ? s.slice(0, 200) + '...' : s);
const show = (v: unknown): string => {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 100 ? s.slice(0, 100) + '...' : s;
};

/**
 * Reads N from the first 8 bytes and checks it against the total length (file size or buffer
 * length). Returns N as a number.
 */
export function readHeaderLength(first8: Uint8Array, totalBytes: number, where: string): number {
  if (totalBytes < 8 || first8.length < 8)
    throw new SafetensorsError(`${where}: ${totalBytes} bytes is too short for a safetensors file (the 8-byte header length is missing)`);
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES))
    throw new SafetensorsError(`${where}: header length ${n} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  const len = Number(n);
  if (len > totalBytes - 8)
    throw new SafetensorsError(`${where}: header length ${len} runs past the end of the data (${totalBytes} bytes in all, ${totalBytes - 8} after the length)`);
  if (len < 2) throw new SafetensorsError(`${where}: header length ${len} is too short to hold a JSON object`);
  return len;
}

/** Validates a shape; returns its element count. */
function checkShapeOf(name: string, shape: unknown, where: string): number {
  if (!Array.isArray(shape)) throw new SafetensorsError(`${where}: tensor ${q(name)}: shape must be an array, got ${show(shape)}`);
  if (shape.length > MAX_DIMS)
    throw new SafetensorsError(`${where}: tensor ${q(name)}: shape has ${shape.length} dims; tensordiff supports at most ${MAX_DIMS}`);
  let prod = 1, zero = false;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0)
      throw new SafetensorsError(`${where}: tensor ${q(name)}: shape ${show(shape)} must hold non-negative integers`);
    if (d === 0) zero = true;
    else {
      prod *= d;
      if (prod > Number.MAX_SAFE_INTEGER)
        throw new SafetensorsError(`${where}: tensor ${q(name)}: shape ${show(shape)} overflows (more than 2^53 elements)`);
    }
  }
  return zero ? 0 : prod;
}

/**
 * Parses and validates the JSON header bytes against `dataBytes`, the length of the data section.
 * Checks: UTF-8, a JSON object, `__metadata__` a string-to-string object, each entry an object
 * with a known dtype, a shape of non-negative integers (at most MAX_DIMS, product < 2^53),
 * integer data_offsets [begin, end] with begin <= end <= dataBytes and end - begin equal to
 * numel × dtype size, and the offsets tiling [0, dataBytes) with no overlap and no hole.
 */
export function parseHeader(bytes: Uint8Array, dataBytes: number, where: string): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new SafetensorsError(`${where}: header is not valid UTF-8`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(`${where}: header is not valid JSON (${(e as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new SafetensorsError(`${where}: header must be a JSON object, got ${Array.isArray(json) ? 'an array' : show(json)}`);

  const metadata: Record<string, string> = {};
  const entries: [string, TensorInfo][] = [];
  for (const name of Object.keys(json)) {
    const v = (json as Record<string, unknown>)[name];
    if (name === '__metadata__') {
      if (v === null) continue;
      if (typeof v !== 'object' || Array.isArray(v))
        throw new SafetensorsError(`${where}: __metadata__ must be an object of strings, got ${show(v)}`);
      for (const k of Object.keys(v)) {
        const s = (v as Record<string, unknown>)[k];
        if (typeof s !== 'string') throw new SafetensorsError(`${where}: __metadata__[${q(k)}] must be a string, got ${show(s)}`);
        Object.defineProperty(metadata, k, { value: s, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw new SafetensorsError(`${where}: tensor ${q(name)}: entry must be an object {dtype, shape, data_offsets}, got ${show(v)}`);
    const e = v as Record<string, unknown>;
    for (const field of ['dtype', 'shape', 'data_offsets'])
      if (!Object.prototype.hasOwnProperty.call(e, field)) throw new SafetensorsError(`${where}: tensor ${q(name)}: entry is missing '${field}'`);
    const dtype = e.dtype;
    if (typeof dtype !== 'string') throw new SafetensorsError(`${where}: tensor ${q(name)}: dtype must be a string, got ${show(dtype)}`);
    if (!Object.prototype.hasOwnProperty.call(DTYPE_SIZES, dtype))
      throw new SafetensorsError(`${where}: tensor ${q(name)}: unknown dtype ${q(dtype)}`);
    const numel = checkShapeOf(name, e.shape, where);
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2)
      throw new SafetensorsError(`${where}: tensor ${q(name)}: data_offsets must be an array [begin, end], got ${show(off)}`);
    const [b, en] = off as unknown[];
    if (typeof b !== 'number' || typeof en !== 'number' || !Number.isSafeInteger(b) || !Number.isSafeInteger(en) || b < 0 || en < 0)
      throw new SafetensorsError(`${where}: tensor ${q(name)}: data_offsets ${show(off)} must be non-negative integers`);
    if (en < b) throw new SafetensorsError(`${where}: tensor ${q(name)}: data_offsets ${show(off)} end before they begin`);
    if (en > dataBytes)
      throw new SafetensorsError(`${where}: tensor ${q(name)}: data_offsets ${show(off)} run past the end of the data section (${dataBytes} bytes)`);
    const size = DTYPE_SIZES[dtype];
    if (en - b !== numel * size)
      throw new SafetensorsError(
        `${where}: tensor ${q(name)}: data_offsets ${show(off)} span ${en - b} bytes, but shape ${show(e.shape)} of ${dtype} needs ${numel} × ${size} = ${numel * size}`,
      );
    entries.push([name, { dtype, shape: (e.shape as number[]).slice(), numel, dataOffsets: [b, en] }]);
  }

  // The offsets must tile the data section: sorted by (begin, end), each starts where the last ended.
  entries.sort((x, y) => x[1].dataOffsets[0] - y[1].dataOffsets[0] || x[1].dataOffsets[1] - y[1].dataOffsets[1]);
  let pos = 0;
  let prev: string | null = null;
  for (const [name, info] of entries) {
    const [b, en] = info.dataOffsets;
    if (b < pos)
      throw new SafetensorsError(`${where}: tensor ${q(name)}: data_offsets [${b}, ${en}] overlap those of tensor ${q(prev!)} (which end at ${pos})`);
    if (b > pos)
      throw new SafetensorsError(`${where}: tensor ${q(name)}: data_offsets [${b}, ${en}] leave a hole: bytes [${pos}, ${b}) of the data section belong to no tensor`);
    pos = en;
    prev = name;
  }
  if (pos !== dataBytes)
    throw new SafetensorsError(`${where}: the data section has ${dataBytes} bytes but the tensors cover only [0, ${pos}): ${dataBytes - pos} trailing bytes belong to no tensor`);
  return { metadata, tensors: new Map(entries), headerBytes: bytes.length, dataBytes };
}
