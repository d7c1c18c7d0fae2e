// io-fuzz.test.ts — seeded fuzzing of the safetensors reader: 20,000 mutated buffers through
// deserialize() and 400 through real files with load(): byte flips (header or data), truncations
// and extensions, header-length edits, structured header edits (numbers changed, offsets swapped,
// huge values, dtypes and shapes replaced, fields deleted, entries duplicated), random JSON
// headers and garbage. Every case must either return tensors matching the header (F32/F64/I32
// values equal to the bytes read with a DataView) or throw a SafetensorsError: nothing else, and
// never a crash. Every kind is rejected sometimes; some cases of most kinds still load.
import t from 'tap';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as td from '../lib/index';
import * as io from '../lib/io';
import { rng } from './helpers/check';

const SEED = 20240611;
const N_MEMORY = 20000;
const N_FILES = 400;

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];

/** A safetensors buffer from a header (object or raw JSON text), a data section and an optional forced length. */
function stFile(header: unknown, data: Uint8Array, n?: bigint, pad = true): Buffer {
  let json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  if (pad && json.length % 8) json = Buffer.concat([json, Buffer.alloc(8 - (json.length % 8), 0x20)]);
  const out = Buffer.alloc(8 + json.length + data.length);
  out.writeBigUInt64LE(n ?? BigInt(json.length), 0);
  json.copy(out, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** Valid starting files: written by serialize(), and hand-made ones with F16 / BF16 / I64 data. */
function baseFiles(): Buffer[] {
  const out: Buffer[] = [];
  const a = td.tensor([[1, 2, 3], [4, 5, 6]]), b = td.tensor(new Float64Array([Math.PI]), { shape: [] });
  const c = td.arange(12).reshape([3, 2, 2]), e = td.zeros([0, 4]);
  out.push(io.serialize({ a, b, c, e }, { framework: 'td', note: 'fuzz' }));
  out.push(io.serialize({ 'layer.0.weight': a, 'layer.0.bias': td.tensor([0.5, -0.5]) }));
  out.push(io.serialize({ only: b }));
  out.push(io.serialize({}));
  const half = new Uint8Array(new Uint16Array([0x3c00, 0x7c00, 0x0001, 0xfc00, 0x7e00, 0x8000]).buffer);
  const i64 = new Uint8Array(new BigInt64Array([1n, -2n, 2147483647n]).buffer);
  const data = new Uint8Array(half.length * 2 + i64.length);
  data.set(half, 0);
  data.set(half, half.length);
  data.set(i64, 2 * half.length);
  out.push(stFile({
    h: { dtype: 'F16', shape: [2, 3], data_offsets: [0, 12] },
    bf: { dtype: 'BF16', shape: [6], data_offsets: [12, 24] },
    ids: { dtype: 'I64', shape: [3], data_offsets: [24, 48] },
  }, data));
  for (const x of [a, b, c, e]) x.dispose();
  return out;
}

const SPECIAL_NUMBERS = [0, 1, -1, 2, 3, 4, 7, 8, 12, 24, 255, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e20, 1e300, 1.5, -0.5, 100_000_000];
const DTYPES = ['F32', 'F64', 'I32', 'F16', 'BF16', 'I64', 'U8', 'BOOL', 'F8_E4M3', 'U64', 'F128', '', 'f32'];
const KEYS = ['dtype', 'shape', 'data_offsets', '__metadata__', '__proto__', 'constructor', 'a', 'b', 'x'];

/** A random JSON value (depth-limited). */
function randomJson(r: Rand, depth = 0): unknown {
  const k = int(r, depth > 3 ? 4 : 7);
  switch (k) {
    case 0: return pick(r, SPECIAL_NUMBERS) * (r() < 0.2 ? -1 : 1);
    case 1: return pick(r, [...DTYPES, 'hello', '\u00e9\u4e2d', '']);
    case 2: return pick(r, [true, false, null]);
    case 3: return int(r, 100);
    case 4: case 5: return Array.from({ length: int(r, 4) }, () => randomJson(r, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = int(r, 4); i > 0; i--) Object.defineProperty(o, pick(r, KEYS), { value: randomJson(r, depth + 1), enumerable: true, writable: true, configurable: true });
      return o;
    }
  }
}

function headerOf(buf: Buffer): { json: Record<string, Record<string, unknown>>; data: Uint8Array } {
  const n = Number(buf.readBigUInt64LE(0));
  return { json: JSON.parse(buf.subarray(8, 8 + n).toString('utf8')), data: buf.subarray(8 + n) };
}

/** One structured edit of a parsed header (in place). */
function editHeader(r: Rand, h: Record<string, Record<string, unknown>>): void {
  const names = Object.keys(h).filter((k) => k !== '__metadata__');
  if (!names.length || r() < 0.1) {
    h[pick(r, KEYS)] = randomJson(r) as Record<string, unknown>;
    return;
  }
  const name = pick(r, names), e = h[name];
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObj(e)) {
    h[name] = { dtype: 'F32', shape: [int(r, 3)], data_offsets: [0, 4 * int(r, 3)] }; // an earlier edit broke it: make a new entry
    return;
  }
  const k = int(r, 12);
  const offs = Array.isArray(e.data_offsets) ? (e.data_offsets as unknown[]) : null;
  const shape = Array.isArray(e.shape) ? (e.shape as unknown[]) : null;
  switch (k) {
    case 0: if (offs) offs[int(r, 2)] = pick(r, SPECIAL_NUMBERS); break; // change an offset
    case 1: if (offs) offs[int(r, 2)] = (offs[int(r, 2)] as number) + pick(r, [-4, -2, -1, 1, 2, 4, 8]); break; // nudge
    case 2: { // swap the offsets of two tensors
      const other = h[pick(r, names)];
      if (!isObj(other)) break;
      const tmp = e.data_offsets;
      e.data_offsets = other.data_offsets;
      other.data_offsets = tmp;
      break;
    }
    case 3: if (offs) offs.reverse(); break; // end < begin
    case 4: if (shape) shape[int(r, Math.max(1, shape.length))] = pick(r, SPECIAL_NUMBERS) * (r() < 0.2 ? -1 : 1); break;
    case 5: if (shape) r() < 0.5 ? shape.push(pick(r, [0, 1, 2, 2 ** 30])) : shape.pop(); break;
    case 6: e.dtype = pick(r, DTYPES); break;
    case 7: delete e[pick(r, ['dtype', 'shape', 'data_offsets'])]; break;
    case 8: e[pick(r, ['dtype', 'shape', 'data_offsets'])] = randomJson(r); break;
    case 9: h[name + '_copy'] = JSON.parse(JSON.stringify(e)); break; // duplicate entry -> overlap
    case 10: h[name] = randomJson(r) as Record<string, unknown>; break;
    default: e.shape = []; e.data_offsets = [0, pick(r, [0, 1, 2, 4, 8])]; break;
  }
}

const KINDS = ['flip', 'dataFlip', 'truncate', 'extend', 'length', 'edit', 'edit+len', 'randomJson', 'garbage'] as const;
type Kind = (typeof KINDS)[number];

/** A mutated file of the given kind from a base file. */
function mutate(r: Rand, base: Buffer, kind: Kind): Buffer {
  switch (kind) {
    case 'flip': { // flip 1-8 bytes, mostly in the length and the header
      const b = Buffer.from(base);
      const n = Number(b.readBigUInt64LE(0));
      for (let i = 1 + int(r, 8); i > 0; i--) {
        const pos = r() < 0.8 ? int(r, Math.min(b.length, 8 + n)) : int(r, b.length);
        b[pos] ^= 1 << int(r, 8);
      }
      return b;
    }
    case 'dataFlip': { // flip bits in the data section only: still valid, new bit patterns for the decoders
      const b = Buffer.from(base);
      const start = 8 + Number(b.readBigUInt64LE(0));
      if (b.length > start) for (let i = 1 + int(r, 16); i > 0; i--) b[start + int(r, b.length - start)] ^= 1 << int(r, 8);
      else b[int(r, b.length)] ^= 1 << int(r, 8);
      return b;
    }
    case 'truncate': return base.subarray(0, int(r, base.length));
    case 'extend': return Buffer.concat([base, Buffer.from(Array.from({ length: 1 + int(r, 16) }, () => int(r, 256)))]);
    case 'length': { // replace the header length
      const b = Buffer.from(base);
      const n = b.readBigUInt64LE(0);
      b.writeBigUInt64LE(pick(r, [0n, 1n, 2n, n - 1n, n + 1n, n + 8n, BigInt(b.length), 100_000_000n, 100_000_001n, 2n ** 63n, 2n ** 64n - 1n].filter((v) => v >= 0n && v < 2n ** 64n)), 0);
      return b;
    }
    case 'edit': case 'edit+len': {
      const { json, data } = headerOf(base);
      for (let i = 1 + int(r, 3); i > 0; i--) editHeader(r, json);
      const d = kind === 'edit+len' && r() < 0.5 ? data.subarray(0, int(r, data.length + 1)) : data;
      return stFile(json, d, kind === 'edit+len' && r() < 0.5 ? BigInt(int(r, 400)) : undefined, r() < 0.8);
    }
    case 'randomJson': {
      const j = randomJson(r);
      const text = r() < 0.7 ? JSON.stringify(j) ?? 'null' : JSON.stringify(j)?.slice(0, int(r, 40)) ?? '';
      return stFile(text, new Uint8Array(int(r, 3) * 4), undefined, r() < 0.5);
    }
    default: return Buffer.from(Array.from({ length: int(r, 64) }, () => int(r, 256))); // garbage
  }
}

/** Runs one case: 'ok' when the tensors match the header, 'rejected' on SafetensorsError, else a failure text. */
function runOne(load: () => Record<string, td.Tensor>, header: () => io.SafetensorsHeader, bytes?: Buffer): string {
  let got: Record<string, td.Tensor>;
  try {
    got = load();
  } catch (e) {
    if (e instanceof io.SafetensorsError) return 'rejected';
    return `threw ${(e as Error)?.name ?? typeof e}: ${(e as Error)?.message ?? String(e)}`;
  }
  try {
    const h = header(); // the same bytes must also pass header validation
    const names = Object.keys(got);
    if (names.length !== h.tensors.size) return `loaded ${names.length} tensors, header lists ${h.tensors.size}`;
    for (const name of names) {
      const x = got[name], info = h.tensors.get(name);
      if (!(x instanceof td.Tensor) || !info) return `bad entry ${JSON.stringify(name)}`;
      if (x.shape.join(',') !== info.shape.join(',') || x.numel !== info.numel) return `${JSON.stringify(name)}: shape ${x.shape} vs header ${info.shape}`;
      const v = x.dataSync();
      if (v.length !== info.numel) return `${JSON.stringify(name)}: ${v.length} values for ${info.numel} elements`;
      const get = info.dtype === 'F32' ? 'getFloat32' : info.dtype === 'F64' ? 'getFloat64' : info.dtype === 'I32' ? 'getInt32' : null;
      if (bytes && get) {
        // the values are the little-endian elements at 8 + N + begin (read independently with a DataView)
        const dv = new DataView(bytes.buffer, bytes.byteOffset + 8 + h.headerBytes + info.dataOffsets[0]);
        const size = info.dtype === 'F64' ? 8 : 4;
        for (let k = 0; k < v.length; k++) {
          const w = dv[get](k * size, true);
          if (!Object.is(v[k], w) && !(Number.isNaN(v[k]) && Number.isNaN(w))) return `${JSON.stringify(name)}[${k}] = ${v[k]}, bytes say ${w}`;
        }
      }
    }
    return 'ok';
  } catch (e) {
    return `loaded, but readHeader threw ${(e as Error)?.message}`;
  } finally {
    for (const x of Object.values(got)) x.dispose();
  }
}

t.test(`fuzz: ${N_MEMORY} mutated buffers through deserialize()`, async (t) => {
  const r = rng(SEED);
  const bases = baseFiles();
  const memBefore = td.memory().tensors;
  const stats = new Map<Kind, { ok: number; rejected: number }>(KINDS.map((k) => [k, { ok: 0, rejected: 0 }]));
  const failures: string[] = [];
  for (let i = 0; i < N_MEMORY; i++) {
    const kind = KINDS[i % KINDS.length];
    const buf = mutate(r, pick(r, bases), kind);
    const res = runOne(() => io.deserialize(buf), () => io.readHeader(buf), buf);
    if (res === 'ok' || res === 'rejected') stats.get(kind)![res]++;
    else if (failures.length < 10) failures.push(`case ${i} (${kind}, ${buf.length} bytes, base64 ${buf.toString('base64').slice(0, 200)}): ${res}`);
  }
  t.same(failures, [], 'every case returned matching tensors or threw SafetensorsError');
  for (const [kind, s] of stats) {
    if (kind === 'dataFlip') t.ok(s.ok > 0, `${kind}: ${s.ok} loaded, ${s.rejected} rejected (I64 values beyond int32)`);
    else t.ok(s.rejected > 0, `${kind}: ${s.rejected} rejected, ${s.ok} loaded`);
  }
  const loaded = [...stats.values()].reduce((a, s) => a + s.ok, 0);
  t.ok(loaded > 100, `some mutations still load (${loaded} of ${N_MEMORY}): the fuzz reaches the decoders`);
  t.equal(td.memory().tensors, memBefore, 'no tensors leaked');
});

t.test(`fuzz: ${N_FILES} mutated files through load()`, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-io-fuzz-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const r = rng(SEED + 1);
  const bases = baseFiles();
  const failures: string[] = [];
  let ok = 0, rejected = 0, named = 0;
  for (let i = 0; i < N_FILES; i++) {
    const kind = KINDS[i % KINDS.length];
    const buf = mutate(r, pick(r, bases), kind);
    const p = path.join(dir, `case-${i % 8}.safetensors`);
    fs.writeFileSync(p, buf);
    const res = runOne(() => io.load(p), () => io.readHeader(p));
    if (res === 'ok') ok++;
    else if (res === 'rejected') {
      rejected++;
      try { io.load(p); } catch (e) { if ((e as Error).message.startsWith(`load ${JSON.stringify(p)}: `)) named++; }
    } else if (failures.length < 10) failures.push(`case ${i} (${kind}): ${res}`);
  }
  t.same(failures, [], 'every file loaded matching tensors or threw SafetensorsError');
  t.ok(ok > 0 && rejected > 0, `${ok} loaded, ${rejected} rejected`);
  t.equal(named, rejected, 'every rejection names load and the file');
});
