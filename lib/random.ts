// random.ts — the global Philox generator state: a 64-bit seed and a per-call offset counter.
// Each random op draws from counter block (offset, element block), so the stream depends only on
// (seed, number of random calls so far), never on thread count or backend (DESIGN.md principle 2).

const DEFAULT_SEED = 0x5eed;
let seedLo = DEFAULT_SEED;
let seedHi = 0;
let offset = 0;

function split(op: string, seed: unknown): [number, number] {
  if (typeof seed === 'bigint') {
    if (seed < 0n || seed >= 1n << 64n) throw new RangeError(`${op}: seed must be in [0, 2^64)`);
    return [Number(seed & 0xffffffffn), Number(seed >> 32n)];
  }
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0)
    throw new TypeError(`${op}: seed must be a non-negative safe integer or a bigint, got ${String(seed)}`);
  return [seed % 2 ** 32, Math.floor(seed / 2 ** 32)];
}

/** Seed the global generator (and restart its stream). */
export function manualSeed(seed: number | bigint): void {
  [seedLo, seedHi] = split('manualSeed', seed);
  offset = 0;
}

/** (seedLo, seedHi, offset) for the next random op; advances the stream unless a seed is given. */
export function nextDraw(op: string, seed?: number | bigint): [number, number, number] {
  if (seed !== undefined) {
    const [lo, hi] = split(op, seed);
    return [lo, hi, 0];
  }
  return [seedLo, seedHi, offset++];
}

/** The generator state, to save and restore. */
export function getRngState(): { seed: bigint; offset: number } {
  return { seed: (BigInt(seedHi) << 32n) | BigInt(seedLo), offset };
}
export function setRngState(s: { seed: bigint | number; offset: number }): void {
  [seedLo, seedHi] = split('setRngState', s.seed);
  if (!Number.isSafeInteger(s.offset) || s.offset < 0) throw new TypeError('setRngState: offset must be a non-negative integer');
  offset = s.offset;
}
