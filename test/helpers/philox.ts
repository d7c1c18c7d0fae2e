// philox.ts — an independent JS implementation of Philox 4x32-10 (Random123's reference function,
// exact 32-bit arithmetic via 16-bit limbs) and of the counter layout of native/kernels/philox.h, so
// that tests can check the native generators' bit layout. Not a test file itself.

export const M0 = 0xd2511f53, M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9, W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two uint32 (exact, via 16-bit limbs). */
export function mulhi32(a: number, b: number): number {
  const al = a & 0xffff, ah = a >>> 16, bl = b & 0xffff, bh = b >>> 16;
  const ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
  const cross = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  return (hh + (lh >>> 16) + (hl >>> 16) + Math.floor(cross / 65536)) >>> 0;
}
export function mulhi32Big(a: number, b: number): number {
  return Number((BigInt(a) * BigInt(b)) >> 32n);
}

/** Random123 philox4x32 with 10 rounds: counter c[4], key k[2] -> 4 words. */
export function philox4x32_10(ctr: readonly number[], key: readonly number[]): number[] {
  let c0 = ctr[0] >>> 0, c1 = ctr[1] >>> 0, c2 = ctr[2] >>> 0, c3 = ctr[3] >>> 0;
  let k0 = key[0] >>> 0, k1 = key[1] >>> 0;
  for (let r = 0; r < 10; r++) {
    if (r > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulhi32(M0, c0), lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi32(M1, c2), lo1 = Math.imul(M1, c2) >>> 0;
    const n0 = (hi1 ^ c1 ^ k0) >>> 0, n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
  }
  return [c0, c1, c2, c3];
}

export function splitSeed(seed: number | bigint): [number, number] {
  const s = BigInt(seed);
  return [Number(s & 0xffffffffn), Number((s >> 32n) & 0xffffffffn)];
}

/** The four words of counter block `block` for (seed, offset), per native/kernels/philox.h. */
export function block(seed: number | bigint, offset: number, blk: number): number[] {
  const [s0, s1] = splitSeed(seed);
  return philox4x32_10([blk % 2 ** 32, Math.floor(blk / 2 ** 32), offset % 2 ** 32, Math.floor(offset / 2 ** 32)], [s0, s1]);
}
