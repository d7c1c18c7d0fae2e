// safetensors.ts — the public checkpoint API: save / saveAsync (atomic file replacement), load,
// serialize / deserialize (in memory) and readHeader, in the safetensors format.
import { constants as bufferConstants } from 'buffer';
import * as fs from 'fs';
import { Tensor } from '../tensor';
import { atomicWrite, atomicWriteSync, ioError } from './atomic';
import { decodeAll, ReadAt } from './decode';
import { leBytes, plan, StateDict } from './encode';
import { SafetensorsError } from './errors';
import { parseHeader, readHeaderLength, SafetensorsHeader } from './header';

export type { StateDict } from './encode';
export type { SafetensorsHeader, TensorInfo } from './header';

function checkPath(op: string, path: unknown): string {
  if (typeof path !== 'string') throw new TypeError(`${op}: path must be a string, got ${path === null ? 'null' : typeof path}`);
  if (path === '') throw new RangeError(`${op}: path must not be empty`);
  if (path.includes('\0')) throw new RangeError(`${op}: path must not contain NUL characters`);
  return path;
}

function checkBytes(op: string, buf: unknown): Uint8Array {
  if (!(buf instanceof Uint8Array))
    throw new TypeError(`${op}: expected a Buffer or Uint8Array, got ${buf === null ? 'null' : ArrayBuffer.isView(buf) ? buf.constructor.name : typeof buf}`);
  return buf;
}

/**
 * Saves tensors to a safetensors file. The file is written to a temporary file in the same folder,
 * fsynced and renamed over `path`, so a crash mid-save leaves the previous file intact.
 * Tensors keep their dtype (float32 → F32, float64 → F64, int32 → I32); views are written in
 * their logical row-major order.
 * @param stateDict name → tensor (a plain object, a Map, or an array of [name, tensor] pairs)
 * @param path the file to create or replace
 * @param metadata optional string → string map, stored as `__metadata__`
 */
export function save(stateDict: StateDict, path: string, metadata?: Record<string, string>): void {
  checkPath('save', path);
  const p = plan('save', stateDict, metadata);
  atomicWriteSync('save', path, (write) => {
    write(p.head);
    for (const it of p.items) write(leBytes(it.tensor.dataSync()));
  });
}

/**
 * Like save(), but reads tensors back on worker threads and writes with asynchronous file I/O.
 * Do not dispose the tensors before the promise settles.
 */
export async function saveAsync(stateDict: StateDict, path: string, metadata?: Record<string, string>): Promise<void> {
  checkPath('saveAsync', path);
  const p = plan('saveAsync', stateDict, metadata);
  await atomicWrite('saveAsync', path, async (write) => {
    await write(p.head);
    for (const it of p.items) await write(leBytes(await it.tensor.data()));
  });
}

/**
 * The safetensors bytes of a state dict (same layout as save() writes).
 * @param stateDict name → tensor (a plain object, a Map, or an array of [name, tensor] pairs)
 * @param metadata optional string → string map, stored as `__metadata__`
 */
export function serialize(stateDict: StateDict, metadata?: Record<string, string>): Buffer {
  const p = plan('serialize', stateDict, metadata);
  const total = p.head.length + p.dataBytes;
  const max = bufferConstants.MAX_LENGTH;
  if (total > max) throw new RangeError(`serialize: ${total} bytes exceed the largest Buffer (${max}); use save() to write a file`);
  const out = Buffer.allocUnsafe(total);
  p.head.copy(out, 0);
  let pos = p.head.length;
  for (const it of p.items) {
    out.set(leBytes(it.tensor.dataSync()), pos);
    pos += it.bytes;
  }
  return out;
}

function headerOfBytes(buf: Uint8Array, where: string): SafetensorsHeader {
  const n = readHeaderLength(buf.subarray(0, 8), buf.length, where);
  return parseHeader(buf.subarray(8, 8 + n), buf.length - 8 - n, where);
}

/**
 * Tensors from safetensors bytes. F32/F64/I32 keep their type; F16 and BF16 become float32
 * (exactly); I64 becomes int32 when every value fits. Malformed data throws SafetensorsError.
 */
export function deserialize(buf: Uint8Array): Record<string, Tensor> {
  checkBytes('deserialize', buf);
  const h = headerOfBytes(buf, 'deserialize');
  const base = 8 + h.headerBytes;
  return decodeAll(h, (dst, begin) => dst.set(buf.subarray(base + begin, base + begin + dst.length)), 'deserialize');
}

/** Runs fn with an open file, its size, and a reader that fills a buffer from a file position. */
function withFile<T>(op: string, path: string, fn: (size: number, readAt: (dst: Uint8Array, pos: number) => void) => T): T {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    throw ioError(op, 'open', path, e);
  }
  try {
    let size: number;
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile()) throw new SafetensorsError(`${op}: ${JSON.stringify(path)} is not a regular file`);
      size = st.size;
    } catch (e) {
      throw e instanceof SafetensorsError ? e : ioError(op, 'stat', path, e);
    }
    const readAt = (dst: Uint8Array, pos: number) => {
      for (let got = 0; got < dst.length; ) {
        let n: number;
        try {
          n = fs.readSync(fd, dst, got, Math.min(dst.length - got, 1 << 30), pos + got);
        } catch (e) {
          throw ioError(op, 'read', path, e);
        }
        if (n === 0) throw new SafetensorsError(`${op}: ${JSON.stringify(path)} ended early (truncated while being read?)`);
        got += n;
      }
    };
    return fn(size, readAt);
  } finally {
    fs.closeSync(fd);
  }
}

function headerOfFile(op: string, path: string, size: number, readAt: (dst: Uint8Array, pos: number) => void): SafetensorsHeader {
  const where = `${op} ${JSON.stringify(path)}`;
  const first = new Uint8Array(Math.min(8, size));
  readAt(first, 0);
  const n = readHeaderLength(first, size, where); // checks n against the file size before allocating
  const hb = new Uint8Array(n);
  readAt(hb, 8);
  return parseHeader(hb, size - 8 - n, where);
}

/**
 * Loads every tensor of a safetensors file. F32/F64/I32 keep their type; F16 and BF16 become
 * float32 (exactly); I64 becomes int32 when every value fits. Malformed or hostile files throw
 * SafetensorsError; I/O failures throw an Error with the system `code` (e.g. ENOENT).
 */
export function load(path: string): Record<string, Tensor> {
  checkPath('load', path);
  return withFile('load', path, (size, readAt) => {
    const h = headerOfFile('load', path, size, readAt);
    const base = 8 + h.headerBytes;
    const read: ReadAt = (dst, begin) => readAt(dst, base + begin);
    return decodeAll(h, read, `load ${JSON.stringify(path)}`);
  });
}

/**
 * The validated header of a safetensors file (path) or buffer: `__metadata__`, and each tensor's
 * file dtype, shape and data offsets, without reading the tensor data.
 */
export function readHeader(source: string | Uint8Array): SafetensorsHeader {
  if (typeof source === 'string') {
    checkPath('readHeader', source);
    return withFile('readHeader', source, (size, readAt) => headerOfFile('readHeader', source, size, readAt));
  }
  if (!(source instanceof Uint8Array)) throw new TypeError(`readHeader: source must be a path string or a Uint8Array, got ${source === null ? 'null' : typeof source}`);
  return headerOfBytes(source, 'readHeader');
}
