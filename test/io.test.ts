// io.test.ts — safetensors checkpoints (td.io): round trips of every dtype and shape (0-d, empty,
// non-contiguous views) through memory and files, metadata, exact F16/BF16 decoding against
// independent JS decoders of all 65536 bit patterns, interop with files written by a Python script
// (test/fixtures/make_safetensors.py: values and byte-for-byte layout), hand-made malformed and
// hostile files, argument errors naming save/load, and no leaked tensors.
import t from 'tap';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as td from '../lib/index';
import * as io from '../lib/io';
import { rng } from './helpers/check';

type Tensor = td.Tensor;
const FIX = path.resolve(__dirname, '../../test/fixtures');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-io-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const tmp = (name: string) => path.join(dir, name);

/** Exact equality of two arrays (Object.is: -0 differs from 0; NaN matches NaN). */
function sameBits(tt: tap.Test, got: ArrayLike<number>, want: ArrayLike<number>, msg: string): void {
  if (got.length !== want.length) {
    tt.fail(`${msg}: length ${got.length} vs ${want.length}`);
    return;
  }
  for (let i = 0; i < got.length; i++)
    if (!Object.is(got[i], want[i])) {
      tt.fail(`${msg}: element ${i} is ${got[i]}, expected ${want[i]}`);
      return;
    }
  tt.pass(msg);
}

/** Asserts fn throws SafetensorsError whose message matches every pattern. */
function rejects(tt: tap.Test, fn: () => unknown, patterns: RegExp[], msg: string): void {
  try {
    fn();
    tt.fail(`${msg}: did not throw`);
  } catch (e) {
    const m = (e as Error)?.message ?? String(e);
    tt.ok(e instanceof io.SafetensorsError && patterns.every((p) => p.test(m)), `${msg}: SafetensorsError matching ${patterns.join(' ')}`, { got: `${(e as Error)?.name}: ${m}` });
  }
}

/** Asserts fn throws an instance of cls whose message matches every pattern. */
function throwsKind(tt: tap.Test, fn: () => unknown, cls: Function, patterns: RegExp[], msg: string): void {
  try {
    fn();
    tt.fail(`${msg}: did not throw`);
  } catch (e) {
    const m = (e as Error)?.message ?? String(e);
    tt.ok(e instanceof cls && patterns.every((p) => p.test(m)), `${msg}: ${cls.name} matching ${patterns.join(' ')}`, { got: `${(e as Error)?.name}: ${m}` });
  }
}

/** A safetensors buffer from a header (object or raw JSON text) and a data section. */
function stFile(header: unknown, data: Uint8Array | number = 0, n?: bigint): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const d = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = Buffer.alloc(8 + json.length + d.length);
  out.writeBigUInt64LE(n ?? BigInt(json.length), 0);
  json.copy(out, 8);
  out.set(d, 8 + json.length);
  return out;
}

const disposeAll = (r: Record<string, Tensor>) => Object.values(r).forEach((x) => x.dispose());

// Values with the awkward cases of each dtype.
function valuesFor(dtype: td.DType, n: number, seed: number): number[] {
  const r = rng(seed);
  const special = dtype === 'int32' ? [0, -1, 2147483647, -2147483648, 1] : [0, -0, NaN, Infinity, -Infinity, 1e-45, -1.5e-310, 3.4e38];
  return Array.from({ length: n }, (_, i) => {
    if (i < special.length && r() < 0.7) return special[i];
    if (dtype === 'int32') return Math.floor((r() - 0.5) * 2 ** 32);
    return (r() - 0.5) * 10 ** Math.floor(r() * 10 - 5);
  });
}
const typed = (dtype: td.DType, v: number[]) =>
  dtype === 'float32' ? new Float32Array(v) : dtype === 'float64' ? new Float64Array(v) : new Int32Array(v);

t.test('round trip: every dtype and shape, in memory and through files', async (t) => {
  const shapes = [[], [0], [0, 3], [3, 0, 2], [1], [7], [2, 3, 4], [1, 2, 1, 2, 1, 2, 1, 2]];
  let seed = 1;
  for (const dtype of ['float32', 'float64', 'int32'] as const) {
    const sd: Record<string, Tensor> = {};
    const want: Record<string, { shape: number[]; v: ArrayLike<number> }> = {};
    for (const shape of shapes) {
      const n = shape.reduce((a, b) => a * b, 1);
      const v = typed(dtype, valuesFor(dtype, n, seed++)); // the source array is the reference
      const name = `${dtype}.${shape.join('x') || 'scalar'}`;
      sd[name] = td.tensor(v, { shape });
      want[name] = { shape, v };
    }
    const check = (got: Record<string, Tensor>, how: string) => {
      t.same(Object.keys(got).sort(), Object.keys(want).sort(), `${dtype} ${how}: names`);
      for (const [k, w] of Object.entries(want)) {
        t.same(got[k].shape, w.shape, `${k} ${how}: shape`);
        t.equal(got[k].dtype, dtype, `${k} ${how}: dtype`);
        sameBits(t, got[k].dataSync(), w.v, `${k} ${how}: values`);
      }
      disposeAll(got);
    };
    check(io.deserialize(io.serialize(sd)), 'serialize/deserialize');
    io.save(sd, tmp(`rt-${dtype}.safetensors`));
    check(io.load(tmp(`rt-${dtype}.safetensors`)), 'save/load');
    await io.saveAsync(sd, tmp(`rt-async-${dtype}.safetensors`));
    check(io.load(tmp(`rt-async-${dtype}.safetensors`)), 'saveAsync/load');
    t.ok(fs.readFileSync(tmp(`rt-${dtype}.safetensors`)).equals(fs.readFileSync(tmp(`rt-async-${dtype}.safetensors`))), `${dtype}: save and saveAsync write the same bytes`);
    disposeAll(sd);
  }
  // Map and [name, tensor] pairs are accepted too
  const a = td.tensor([1, 2, 3]);
  const fromMap = io.deserialize(io.serialize(new Map([['a', a]])));
  const fromPairs = io.deserialize(io.serialize([['a', a]]));
  sameBits(t, fromMap.a.dataSync(), [1, 2, 3], 'Map state dict');
  sameBits(t, fromPairs.a.dataSync(), [1, 2, 3], 'array of pairs state dict');
  disposeAll(fromMap);
  disposeAll(fromPairs);
  a.dispose();
});

t.test('non-contiguous views are written in logical row-major order', async (t) => {
  const src = Array.from({ length: 24 }, (_, i) => i * 1.25 - 7); // [2, 3, 4] row-major
  const at = (i: number, j: number, k: number) => src[i * 12 + j * 4 + k];
  for (const dtype of ['float32', 'float64', 'int32'] as const) {
    const vals = dtype === 'int32' ? src.map((x) => Math.round(x * 4)) : src;
    const atD = (i: number, j: number, k: number) => (dtype === 'int32' ? Math.round(at(i, j, k) * 4) : at(i, j, k));
    const x = td.tensor(typed(dtype, vals), { shape: [2, 3, 4] });
    const cases: [string, Tensor, number[], number[]][] = [];
    {
      // permute(2, 0, 1): out[k][i][j] = x[i][j][k]
      const w: number[] = [];
      for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) w.push(atD(i, j, k));
      cases.push(['permute', td.permute(x, [2, 0, 1]), [4, 2, 3], w]);
    }
    {
      // slice dim 2, start 1, step 2: k in {1, 3}
      const w: number[] = [];
      for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (const k of [1, 3]) w.push(atD(i, j, k));
      cases.push(['slice step 2', td.slice(x, 2, 1, 4, 2), [2, 3, 2], w]);
    }
    {
      // narrow dim 1 from 1, length 2 (non-zero offset), then transpose the last two dims
      const w: number[] = [];
      for (let i = 0; i < 2; i++) for (let k = 0; k < 4; k++) for (const j of [1, 2]) w.push(atD(i, j, k));
      cases.push(['narrow + transpose', td.transpose(td.narrow(x, 1, 1, 2), 1, 2), [2, 4, 2], w]);
    }
    {
      // expand a [3, 1] column to [3, 5] (stride 0)
      const col = td.narrow(td.narrow(x, 0, 1, 1).reshape([3, 4]), 1, 2, 1); // x[1, :, 2:3]
      const w: number[] = [];
      for (let j = 0; j < 3; j++) for (let c = 0; c < 5; c++) w.push(atD(1, j, 2));
      cases.push(['expand', td.expand(col, [3, 5]), [3, 5], w]);
    }
    {
      // a 0-d view at an offset
      cases.push(['0-d view', td.narrow(x.reshape([24]), 0, 17, 1).reshape([]), [], [vals[17]]]);
    }
    const sd: Record<string, Tensor> = {};
    for (const [name, v] of cases) sd[name] = v;
    t.ok(cases.slice(0, 4).every(([, v]) => !v.isContiguous()), `${dtype}: the views are not contiguous`);
    io.save(sd, tmp(`views-${dtype}.safetensors`));
    const got = io.load(tmp(`views-${dtype}.safetensors`));
    for (const [name, , shape, w] of cases) {
      t.same(got[name].shape, shape, `${dtype} ${name}: shape`);
      sameBits(t, got[name].dataSync(), typed(dtype, w), `${dtype} ${name}: values`);
    }
    disposeAll(got);
    x.dispose();
  }
});

t.test('layout: header padded with spaces to 8 bytes, offsets tile the data, dtype order', async (t) => {
  const sd = { b: td.tensor([1, 2, 3], { dtype: 'int32' }), a: td.tensor([0.5]), c: td.tensor(new Float64Array([2])) };
  const buf = io.serialize(sd);
  const n = Number(buf.readBigUInt64LE(0));
  t.equal(n % 8, 0, 'header length is a multiple of 8');
  const text = buf.subarray(8, 8 + n).toString('utf8');
  t.match(text, /^\{.*\} *$/, 'JSON object then spaces only');
  t.equal(text, '{"c":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},"b":{"dtype":"I32","shape":[3],"data_offsets":[12,24]}}'.padEnd(n, ' '),
    'compact JSON, widest dtype first, as the reference implementation writes it');
  t.equal(buf.length, 8 + n + 24, 'data section is exactly the tensors');
  t.equal(buf.readDoubleLE(8 + n), 2, 'F64 data first');
  t.equal(buf.readFloatLE(8 + n + 8), 0.5, 'then F32');
  t.same([0, 1, 2].map((i) => buf.readInt32LE(8 + n + 12 + 4 * i)), [1, 2, 3], 'then I32, little-endian');
  // the reference's own unit test (safetensors/src/tensor.rs test_empty): an empty dict is {} + 6 spaces
  t.same([...io.serialize({})], [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32], 'empty state dict, byte for byte');
  disposeAll(sd);
});

t.test('metadata round trip', async (t) => {
  const md = { format: 'pt', 'step': '1200', 'unicode ✓': 'naïve "quotes" \\ \n tab\t', empty: '' };
  const x = td.tensor([[1, 2], [3, 4]]);
  io.save({ x }, tmp('md.safetensors'), md);
  t.same(io.readHeader(tmp('md.safetensors')).metadata, md, 'readHeader(path).metadata');
  const buf = io.serialize({ x }, md);
  t.same(io.readHeader(buf).metadata, md, 'readHeader(buffer).metadata');
  t.same(io.readHeader(io.serialize({ x })).metadata, {}, 'no metadata: {}');
  const h = io.readHeader(buf);
  t.same([...h.tensors.keys()], ['x'], 'header tensors');
  t.same(h.tensors.get('x'), { dtype: 'F32', shape: [2, 2], numel: 4, dataOffsets: [0, 16] }, 'tensor info');
  const back = io.load(tmp('md.safetensors'));
  sameBits(t, back.x.dataSync(), [1, 2, 3, 4], 'tensor next to metadata');
  disposeAll(back);
  x.dispose();
});

// ---- F16 / BF16: all 65536 bit patterns against independent decoders ----

/** F16 -> float32 by building the float32 bit pattern (rebias the exponent, normalise subnormals). */
function f16ViaBits(h: number): number {
  const sign = (h >> 15) << 31;
  let exp = (h >> 10) & 31;
  let mant = h & 0x3ff;
  let bits: number;
  if (exp === 31) bits = sign | 0x7f800000 | (mant << 13); // inf / nan (payload kept)
  else if (exp === 0 && mant === 0) bits = sign;
  else {
    if (exp === 0) {
      // subnormal: shift until the implicit bit appears
      exp = 1;
      while (!(mant & 0x400)) { mant <<= 1; exp--; }
      mant &= 0x3ff;
    }
    bits = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  }
  return new Float32Array(new Uint32Array([bits >>> 0]).buffer)[0];
}
/** BF16 -> number by the textbook formula. */
function bf16ViaFormula(b: number): number {
  const s = b & 0x8000 ? -1 : 1, e = (b >> 7) & 0xff, m = b & 0x7f;
  if (e === 255) return m ? NaN : s * Infinity;
  if (e === 0) return s * (m / 128) * 2 ** -126;
  return s * (1 + m / 128) * 2 ** (e - 127);
}

t.test('F16 and BF16 load as float32, exactly, for all 65536 bit patterns', async (t) => {
  const bits = new Uint16Array(65536).map((_, i) => i);
  const data = new Uint8Array(bits.buffer.slice(0));
  const both = new Uint8Array(2 * data.length);
  both.set(data, 0);
  both.set(data, data.length);
  const r = io.deserialize(stFile({ h: { dtype: 'F16', shape: [256, 256], data_offsets: [0, 131072] }, b: { dtype: 'BF16', shape: [65536], data_offsets: [131072, 262144] } }, both));
  t.equal(r.h.dtype, 'float32', 'F16 -> float32');
  t.equal(r.b.dtype, 'float32', 'BF16 -> float32');
  t.same(r.h.shape, [256, 256], 'F16 shape');
  const h = r.h.dataSync(), b = r.b.dataSync();
  let badH = -1, badB = -1;
  for (let i = 0; i < 65536; i++) {
    const wh = f16ViaBits(i), wb = bf16ViaFormula(i);
    if (!(Object.is(h[i], wh) || (Number.isNaN(h[i]) && Number.isNaN(wh)))) { badH = i; break; }
  }
  for (let i = 0; i < 65536; i++) {
    const wb = bf16ViaFormula(i);
    if (!(Object.is(b[i], wb) || (Number.isNaN(b[i]) && Number.isNaN(wb)))) { badB = i; break; }
  }
  t.equal(badH, -1, `F16 pattern ${badH >= 0 ? badH.toString(16) + ': got ' + h[badH] + ', expected ' + f16ViaBits(badH) : 'none'} differs`);
  t.equal(badB, -1, `BF16 pattern ${badB >= 0 ? badB.toString(16) + ': got ' + b[badB] + ', expected ' + bf16ViaFormula(badB) : 'none'} differs`);
  // spot checks with known values
  t.equal(h[0x0001], 2 ** -24, 'smallest F16 subnormal');
  t.equal(h[0x7bff], 65504, 'largest F16');
  t.equal(b[0x3f80], 1, 'BF16 1.0');
  t.ok(Number.isNaN(b[0x7fc0]), 'BF16 nan');
  disposeAll(r);
});

// ---- interop with the Python-written fixtures ----

type Expected = { metadata: Record<string, string>; tensors: Record<string, { dtype: string; shape: number[]; values: (number | string)[] }>; i64_fits: { shape: number[]; values: number[] } };
const decodeJson = (v: number | string) => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v === '-0' ? -0 : (v as number));

t.test('interop: files written by test/fixtures/make_safetensors.py (struct + json only)', async (t) => {
  const exp = JSON.parse(fs.readFileSync(path.join(FIX, 'interop.json'), 'utf8')) as Expected;
  const got = io.load(path.join(FIX, 'interop.safetensors'));
  t.same(Object.keys(got).sort(), Object.keys(exp.tensors).sort(), 'same tensor names');
  for (const [name, e] of Object.entries(exp.tensors)) {
    const x = got[name];
    t.same(x.shape, e.shape, `${name}: shape ${JSON.stringify(e.shape)}`);
    t.equal(x.dtype, e.dtype === 'F64' ? 'float64' : e.dtype === 'I32' ? 'int32' : 'float32', `${name}: ${e.dtype} -> ${x.dtype}`);
    const v = x.dataSync();
    const w = e.values.map(decodeJson);
    let bad = -1;
    for (let i = 0; i < w.length; i++) if (!(Object.is(v[i], w[i]) || (Number.isNaN(v[i]) && Number.isNaN(w[i])))) { bad = i; break; }
    t.ok(v.length === w.length && bad < 0, `${name}: values equal Python's`, { bad, got: v[bad], want: w[bad] });
  }
  t.same(io.readHeader(path.join(FIX, 'interop.safetensors')).metadata, exp.metadata, 'metadata equals Python\'s');

  // save() of the same F32/F64/I32 tensors writes the bytes Python wrote (reference layout)
  const sd: Record<string, Tensor> = {};
  for (const [name, e] of Object.entries(exp.tensors)) {
    if (e.dtype !== 'F32' && e.dtype !== 'F64' && e.dtype !== 'I32') continue;
    const dtype = e.dtype === 'F32' ? 'float32' : e.dtype === 'F64' ? 'float64' : 'int32';
    sd[name] = td.tensor(typed(dtype, e.values.map(decodeJson)), { shape: e.shape });
  }
  io.save(sd, tmp('interop-ours.safetensors'), exp.metadata);
  const ours = fs.readFileSync(tmp('interop-ours.safetensors'));
  const theirs = fs.readFileSync(path.join(FIX, 'interop_f32_f64_i32.safetensors'));
  let firstDiff = -1;
  for (let i = 0; i < Math.max(ours.length, theirs.length); i++) if (ours[i] !== theirs[i]) { firstDiff = i; break; }
  t.equal(firstDiff, -1, `save() bytes equal Python's (${ours.length} vs ${theirs.length} bytes)`);
  t.ok(io.serialize(sd, exp.metadata).equals(theirs), 'serialize() bytes equal Python\'s');
  disposeAll(sd);
  disposeAll(got);

  // I64 -> int32 when it fits; clear errors otherwise
  const i64 = io.load(path.join(FIX, 'i64_fits.safetensors'));
  t.equal(i64.ids.dtype, 'int32', 'I64 loads as int32');
  t.same(i64.ids.shape, exp.i64_fits.shape, 'I64 shape');
  sameBits(t, i64.ids.dataSync(), exp.i64_fits.values, 'I64 values');
  disposeAll(i64);
  rejects(t, () => io.load(path.join(FIX, 'i64_overflow.safetensors')), [/"ids"/, /I64/, /2147483648/, /int32/], 'I64 beyond int32');
  rejects(t, () => io.load(path.join(FIX, 'u8.safetensors')), [/"mask"/, /U8/, /cannot load/], 'U8 unsupported');
});

// ---- malformed and hostile data ----

t.test('malformed and hostile files are rejected with a clear SafetensorsError', async (t) => {
  const ok = (o: object = {}) => ({ dtype: 'F32', shape: [2], data_offsets: [0, 8], ...o });
  const cases: [string, Buffer, RegExp[]][] = [
    ['empty file', Buffer.alloc(0), [/too short/]],
    ['5 bytes', Buffer.alloc(5), [/5 bytes is too short/]],
    ['header length beyond the file', stFile({ a: ok() }, 8, 1000n), [/header length 1000 runs past the end/]],
    ['header length 2^64-1', stFile({}, 0, 2n ** 64n - 1n), [/exceeds the limit of 100000000/]],
    ['header length 100 MB + 1', stFile({}, 0, 100_000_001n), [/exceeds the limit/]],
    ['header length 0', stFile('', 0), [/too short to hold a JSON object/]],
    ['not UTF-8', Buffer.concat([stFile('{"a":1}').subarray(0, 8), Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x20, 0x20, 0x20])]).subarray(0, 8 + 7), [/UTF-8/]],
    ['not JSON', stFile('{"a": [1, 2'), [/not valid JSON/]],
    ['JSON array', stFile('[1,2,3]'), [/must be a JSON object, got an array/]],
    ['JSON number', stFile('12345678'), [/must be a JSON object/]],
    ['JSON null', stFile('null'), [/must be a JSON object/]],
    ['entry not an object', stFile({ a: 5 }), [/"a"/, /entry must be an object/]],
    ['entry an array', stFile({ a: [1] }), [/"a"/, /entry must be an object/]],
    ['missing dtype', stFile({ a: { shape: [2], data_offsets: [0, 8] } }, 8), [/"a"/, /missing 'dtype'/]],
    ['missing shape', stFile({ a: { dtype: 'F32', data_offsets: [0, 8] } }, 8), [/missing 'shape'/]],
    ['missing data_offsets', stFile({ a: { dtype: 'F32', shape: [2] } }, 8), [/missing 'data_offsets'/]],
    ['dtype not a string', stFile({ a: ok({ dtype: 4 }) }, 8), [/dtype must be a string/]],
    ['unknown dtype', stFile({ a: ok({ dtype: 'F128' }) }, 8), [/"a"/, /unknown dtype "F128"/]],
    ['shape not an array', stFile({ a: ok({ shape: 2 }) }, 8), [/shape must be an array/]],
    ['negative dim', stFile({ a: ok({ shape: [-2] }) }, 8), [/non-negative integers/]],
    ['non-integer dim', stFile({ a: ok({ shape: [1.5] }) }, 8), [/non-negative integers/]],
    ['string dim', stFile({ a: ok({ shape: ['2'] }) }, 8), [/non-negative integers/]],
    ['9 dims', stFile({ a: ok({ shape: [1, 1, 1, 1, 1, 1, 1, 1, 2] }) }, 8), [/9 dims/, /at most 8/]],
    ['shape product overflow', stFile({ a: ok({ shape: [2 ** 30, 2 ** 30, 2 ** 30] }) }, 8), [/overflows/]],
    ['huge dim', stFile({ a: ok({ shape: [1e300] }) }, 8), [/overflows|non-negative integers/]],
    ['shape beyond the data', stFile({ a: ok({ shape: [1000000], data_offsets: [0, 8] }) }, 8), [/span 8 bytes/, /needs 1000000 × 4/]],
    ['data_offsets not an array', stFile({ a: ok({ data_offsets: 8 }) }, 8), [/data_offsets must be an array/]],
    ['data_offsets of 3', stFile({ a: ok({ data_offsets: [0, 4, 8] }) }, 8), [/data_offsets must be an array \[begin, end\]/]],
    ['data_offsets not integers', stFile({ a: ok({ data_offsets: [0, 7.5] }) }, 8), [/non-negative integers/]],
    ['data_offsets negative', stFile({ a: ok({ data_offsets: [-8, 0] }) }, 8), [/non-negative integers/]],
    ['data_offsets beyond 2^53', stFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551615]}}', 8), [/non-negative integers/]],
    ['end < begin', stFile({ a: ok({ data_offsets: [8, 0] }) }, 8), [/end before they begin/]],
    ['beyond the data section', stFile({ a: ok({ data_offsets: [8, 16] }) }, 8), [/run past the end of the data section \(8 bytes\)/]],
    ['byte length != numel × size', stFile({ a: ok({ shape: [3] }) }, 8), [/span 8 bytes/, /needs 3 × 4 = 12/]],
    ['overlap', stFile({ a: ok({ data_offsets: [0, 8] }), b: ok({ data_offsets: [4, 12] }) }, 12), [/overlap/, /"a"/, /"b"/]],
    ['same offsets twice', stFile({ a: ok(), b: ok() }, 8), [/overlap/]],
    ['hole', stFile({ a: ok({ shape: [1], data_offsets: [0, 4] }), b: ok({ data_offsets: [8, 16] }) }, 16), [/hole/, /\[4, 8\)/]],
    ['not starting at 0', stFile({ a: ok({ data_offsets: [4, 12] }) }, 12), [/hole/, /\[0, 4\)/]],
    ['trailing bytes', stFile({ a: ok() }, 12), [/4 trailing bytes/]],
    ['data but no tensors', stFile({}, 4), [/4 trailing bytes/]],
    ['__metadata__ not an object', stFile({ __metadata__: 'x' }), [/__metadata__ must be an object/]],
    ['__metadata__ non-string value', stFile({ __metadata__: { step: 3 } }), [/__metadata__\["step"\] must be a string/]],
    ['unsupported dtype U8', stFile({ m: ok({ dtype: 'U8', shape: [8] }) }, 8), [/"m"/, /dtype U8/, /cannot load/]],
    ['unsupported dtype BOOL', stFile({ m: ok({ dtype: 'BOOL', shape: [8] }) }, 8), [/"m"/, /BOOL/]],
  ];
  for (const [name, buf, pats] of cases) {
    rejects(t, () => io.deserialize(buf), [/^deserialize: /, ...pats], `deserialize: ${name}`);
    if (/unsupported/.test(name)) {
      // a valid file with a dtype we cannot load: its header still reads
      t.equal(io.readHeader(buf).tensors.get('m')?.dtype, name.split(' ').pop(), `readHeader: ${name} reads`);
    } else rejects(t, () => io.readHeader(buf), [/^readHeader: /, ...pats], `readHeader: ${name}`);
  }
  // the same through real files: messages name load and the path
  for (const [name, buf, pats] of cases.filter((_, i) => i % 4 === 0)) {
    const p = tmp(`bad-${name.replace(/\W+/g, '_')}.safetensors`);
    fs.writeFileSync(p, buf);
    rejects(t, () => io.load(p), [/^load "/, new RegExp(path.basename(p)), ...pats], `load: ${name}`);
  }
  // allowed: reference-style trailing spaces, a null __metadata__, empty tensors anywhere, extra fields
  const fine = io.deserialize(stFile('{"__metadata__":null,"e":{"dtype":"F32","shape":[0],"data_offsets":[8,8]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}}   ', new Uint8Array(new Float32Array([1, 2]).buffer)));
  t.same(Object.keys(fine).sort(), ['a', 'e'], 'valid odd file loads');
  sameBits(t, fine.a.dataSync(), [1, 2], 'its values');
  disposeAll(fine);
  // a hostile name is just a key: no prototype pollution
  const proto = io.deserialize(stFile('{"__proto__":{"dtype":"I32","shape":[],"data_offsets":[0,4]}}', new Uint8Array(4)));
  t.ok(Object.prototype.hasOwnProperty.call(proto, '__proto__') && proto['__proto__'] instanceof td.Tensor, '"__proto__" is an own key holding a tensor');
  t.equal(Object.getPrototypeOf(proto), Object.prototype, 'the result\'s prototype is untouched');
  disposeAll(proto);
  // unaligned data (header length not a multiple of 8) still loads
  const un = io.deserialize(stFile('{"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}', new Uint8Array(new Float64Array([Math.PI]).buffer)));
  t.equal(un.a.item(), Math.PI, 'F64 data at an unaligned file offset');
  disposeAll(un);
  // a directory is not a checkpoint
  throwsKind(t, () => io.load(dir), Error, [/^load/], 'load of a directory');
});

t.test('bad arguments throw TypeError / RangeError naming save / load', async (t) => {
  const x = td.tensor([1, 2]);
  const p = tmp('args.safetensors');
  throwsKind(t, () => io.save(x as never, p), TypeError, [/^save: stateDict must be an object/, /a Tensor/], 'save(tensor)');
  throwsKind(t, () => io.save(null as never, p), TypeError, [/^save: stateDict/, /null/], 'save(null)');
  throwsKind(t, () => io.save({ a: 1 } as never, p), TypeError, [/^save: stateDict\["a"\] must be a Tensor, got number/], 'value not a tensor');
  throwsKind(t, () => io.save({ a: [1, 2] } as never, p), TypeError, [/^save: stateDict\["a"\] must be a Tensor/], 'value an array');
  throwsKind(t, () => io.save({ x }, 42 as never), TypeError, [/^save: path must be a string, got number/], 'path not a string');
  throwsKind(t, () => io.save({ x }, ''), RangeError, [/^save: path must not be empty/], 'empty path');
  throwsKind(t, () => io.save({ x }, p, { a: 1 } as never), TypeError, [/^save: metadata\["a"\] must be a string, got number/], 'non-string metadata value');
  throwsKind(t, () => io.save({ x }, p, ['a'] as never), TypeError, [/^save: metadata must be a plain object/], 'metadata an array');
  throwsKind(t, () => io.save({ x }, p, 'md' as never), TypeError, [/^save: metadata must be a plain object/], 'metadata a string');
  throwsKind(t, () => io.save({ __metadata__: x }, p), RangeError, [/^save: '__metadata__' is reserved/], 'reserved name');
  throwsKind(t, () => io.save({ '': x }, p), RangeError, [/^save: tensor names must not be empty/], 'empty name');
  throwsKind(t, () => io.save({ ['a\ud800']: x }, p), RangeError, [/^save: tensor name /, /lone surrogate/], 'lone surrogate in a name');
  throwsKind(t, () => io.save([['a', x], ['a', x]], p), RangeError, [/^save: duplicate tensor name "a"/], 'duplicate names');
  throwsKind(t, () => io.save(new Map([[3 as never, x]]), p), TypeError, [/^save: tensor names must be strings, got number/], 'non-string Map key');
  throwsKind(t, () => io.save([x] as never, p), TypeError, [/^save: stateDict\[0\] must be a \[name, tensor\] pair/], 'array of tensors');
  throwsKind(t, () => io.serialize({ a: 'x' } as never), TypeError, [/^serialize: stateDict\["a"\] must be a Tensor/], 'serialize names itself');
  await t.rejects(io.saveAsync({ a: 2 } as never, p), TypeError, 'saveAsync rejects bad values');
  await t.rejects(io.saveAsync({ x }, 7 as never), { name: 'TypeError', message: /^saveAsync: path must be a string/ }, 'saveAsync names itself');
  const gone = td.tensor([1]);
  gone.dispose();
  throwsKind(t, () => io.save({ gone }, p), Error, [/^save: .*disposed/], 'disposed tensor');
  t.notOk(fs.existsSync(p), 'nothing written by the failed calls');
  t.same(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary files left by failed calls');

  throwsKind(t, () => io.load(42 as never), TypeError, [/^load: path must be a string, got number/], 'load(number)');
  throwsKind(t, () => io.load(undefined as never), TypeError, [/^load: path must be a string, got undefined/], 'load()');
  throwsKind(t, () => io.load(''), RangeError, [/^load: path must not be empty/], 'load(\'\')');
  try {
    io.load(tmp('missing.safetensors'));
    t.fail('missing file: did not throw');
  } catch (e) {
    t.ok(e instanceof Error && /^load: cannot open ".*missing\.safetensors"/.test(e.message) && (e as NodeJS.ErrnoException).code === 'ENOENT', 'missing file: Error naming load and the path, code ENOENT', { got: String(e) });
  }
  throwsKind(t, () => io.deserialize('abc' as never), TypeError, [/^deserialize: expected a Buffer or Uint8Array, got string/], 'deserialize(string)');
  throwsKind(t, () => io.deserialize(new Float32Array(4) as never), TypeError, [/^deserialize: .*Float32Array/], 'deserialize(Float32Array)');
  throwsKind(t, () => io.readHeader(5 as never), TypeError, [/^readHeader: source must be/], 'readHeader(number)');
  // save into a missing folder: an Error naming save and the path
  throwsKind(t, () => io.save({ x }, tmp('no/such/dir/x.safetensors')), Error, [/^save: cannot create a temporary file beside ".*x\.safetensors"/], 'missing folder');
  x.dispose();
});

t.test('no leaks: load/deserialize loops and failures leave no tensors behind', async (t) => {
  const sd = { a: td.randn([16, 16], { seed: 1 }), b: td.arange(10) };
  const buf = io.serialize(sd);
  io.save(sd, tmp('leak.safetensors'));
  // a file whose second tensor fails to convert: the first must be disposed
  const bad = stFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, z: { dtype: 'I64', shape: [1], data_offsets: [4, 12] } },
    new Uint8Array([0, 0, 128, 63, 0, 0, 0, 0, 1, 0, 0, 0]));
  const before = td.memory().tensors;
  for (let i = 0; i < 200; i++) {
    disposeAll(io.deserialize(buf));
    disposeAll(io.load(tmp('leak.safetensors')));
    td.tidy(() => { io.deserialize(buf); });
    try { io.deserialize(bad); } catch { /* expected */ }
  }
  t.equal(td.memory().tensors, before, 'tensor count unchanged after 800 loads and 200 failures');
  rejects(t, () => io.deserialize(bad), [/"z"/, /I64/, /does not fit in int32/], 'the failing file fails for the right reason');
  disposeAll(sd);
});
