// encode.ts — turning a state dict into safetensors bytes: argument checks for save/serialize, the
// header (laid out as the reference implementation does it) and each tensor's little-endian bytes.
//
// Layout, as huggingface/safetensors `prepare()` writes it: tensors ordered by dtype, widest
// alignment first (F64, then F32, then I32), then by name (UTF-8 byte order); data packed
// contiguously in that order; the header is compact JSON with `__metadata__` first (its keys
// sorted here, the reference leaves them in hash order), then the tensors in data order, each as
// {"dtype","shape","data_offsets"}; the JSON is padded with spaces to a multiple of 8 bytes.
import { bytesPer, TypedArray } from '../dtype';
import { checkTensor, Tensor } from '../tensor';
import { LITTLE_ENDIAN, swapBytes, WRITE_NAME, WRITE_RANK } from './dtypes';
import { MAX_HEADER_BYTES } from './header';

/** What save()/serialize() accept: a plain object, a Map, or an array of [name, tensor] pairs. */
export type StateDict = Record<string, Tensor> | Map<string, Tensor> | ReadonlyArray<readonly [string, Tensor]>;

/** One tensor to write. */
export interface PlannedTensor {
  name: string;
  tensor: Tensor;
  /** Byte length of its data. */
  bytes: number;
}

/** A checked, ordered state dict with its encoded header. */
export interface Plan {
  /** The 8-byte length followed by the padded JSON header. */
  head: Buffer;
  items: PlannedTensor[];
  /** Total byte length of the data section. */
  dataBytes: number;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const typeName = (x: unknown) => (x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x);

function checkName(op: string, name: unknown, what: string): string {
  if (typeof name !== 'string') throw new TypeError(`${op}: ${what} names must be strings, got ${typeName(name)}`);
  if (LONE_SURROGATE.test(name)) throw new RangeError(`${op}: ${what} name ${JSON.stringify(name)} is not valid Unicode (lone surrogate), it cannot be written as UTF-8`);
  return name;
}

/** The (name, tensor) pairs of a state dict, checked. */
function entriesOf(op: string, sd: unknown): [string, Tensor][] {
  let pairs: [unknown, unknown][];
  if (sd instanceof Map) pairs = [...sd.entries()];
  else if (Array.isArray(sd)) {
    pairs = sd.map((p, i) => {
      if (!Array.isArray(p) || p.length !== 2) throw new TypeError(`${op}: stateDict[${i}] must be a [name, tensor] pair, got ${typeName(p)}`);
      return [p[0], p[1]];
    });
  } else if (sd !== null && typeof sd === 'object' && !(sd instanceof Tensor) && !ArrayBuffer.isView(sd)) {
    pairs = Object.keys(sd).map((k) => [k, (sd as Record<string, unknown>)[k]]);
  } else {
    throw new TypeError(`${op}: stateDict must be an object (or Map, or array of [name, tensor] pairs) of tensors, got ${sd instanceof Tensor ? 'a Tensor' : typeName(sd)}`);
  }
  const seen = new Set<string>();
  const out: [string, Tensor][] = [];
  for (const [k, v] of pairs) {
    const name = checkName(op, k, 'tensor');
    if (name === '') throw new RangeError(`${op}: tensor names must not be empty`);
    if (name === '__metadata__') throw new RangeError(`${op}: '__metadata__' is reserved by the safetensors format and cannot name a tensor`);
    if (seen.has(name)) throw new RangeError(`${op}: duplicate tensor name ${JSON.stringify(name)}`);
    seen.add(name);
    out.push([name, checkTensor(op, v, `stateDict[${JSON.stringify(name)}]`)]);
  }
  return out;
}

/** The checked metadata map (string -> string), or null. */
function metadataOf(op: string, md: unknown): [string, string][] | null {
  if (md === undefined || md === null) return null;
  if (typeof md !== 'object' || Array.isArray(md) || md instanceof Map)
    throw new TypeError(`${op}: metadata must be a plain object of strings, got ${md instanceof Map ? 'a Map' : typeName(md)}`);
  const out: [string, string][] = [];
  for (const k of Object.keys(md)) {
    checkName(op, k, 'metadata');
    const v = (md as Record<string, unknown>)[k];
    if (typeof v !== 'string') throw new TypeError(`${op}: metadata[${JSON.stringify(k)}] must be a string, got ${typeName(v)}`);
    if (LONE_SURROGATE.test(v)) throw new RangeError(`${op}: metadata[${JSON.stringify(k)}] is not valid Unicode (lone surrogate)`);
    out.push([k, v]);
  }
  return out;
}

const utf8Compare = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

/** Checks the arguments of save/serialize and builds the header. */
export function plan(op: string, stateDict: unknown, metadata: unknown): Plan {
  const entries = entriesOf(op, stateDict);
  const md = metadataOf(op, metadata);
  entries.sort((a, b) => WRITE_RANK[b[1].dtype] - WRITE_RANK[a[1].dtype] || utf8Compare(a[0], b[0]));

  const parts: string[] = [];
  if (md) {
    md.sort((a, b) => utf8Compare(a[0], b[0]));
    parts.push(`"__metadata__":{${md.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  }
  const items: PlannedTensor[] = [];
  let off = 0;
  for (const [name, t] of entries) {
    const bytes = t.numel * bytesPer(t.dtype);
    parts.push(`${JSON.stringify(name)}:{"dtype":"${WRITE_NAME[t.dtype]}","shape":[${t.shape.join(',')}],"data_offsets":[${off},${off + bytes}]}`);
    items.push({ name, tensor: t, bytes });
    off += bytes;
  }
  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const n = Math.ceil(json.length / 8) * 8; // pad with spaces to a multiple of 8
  if (n > MAX_HEADER_BYTES)
    throw new RangeError(`${op}: the header would take ${n} bytes, over the format's limit of ${MAX_HEADER_BYTES} (too many tensors or too much metadata)`);
  const head = Buffer.alloc(8 + n, 0x20);
  head.writeBigUInt64LE(BigInt(n), 0);
  json.copy(head, 8);
  return { head, items, dataBytes: off };
}

/** The little-endian bytes of a typed array (a view when the host is little-endian). */
export function leBytes(a: TypedArray): Uint8Array {
  const u8 = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (LITTLE_ENDIAN) return u8;
  const c = u8.slice();
  swapBytes(c, a.BYTES_PER_ELEMENT);
  return c;
}
