// data.test.ts — td.data: the 2-D toy distributions against their closed-form statistics (mode
// shares and per-mode std of the mixtures, checkerboard occupancy, swiss-roll radius and noise,
// moon geometry), seeded determinism and argument errors; MNIST from the `mnist` package (shapes,
// ranges, class balance, pixel mapping against the package's JSON read independently, mean-image
// structure of a digit); area resizing against hand computations; the seeded DataLoader.
import t from 'tap';
import { readFileSync } from 'fs';
import * as td from '../lib/index';
import * as data from '../lib/data';
import { throwsKind, close, arr } from './helpers/check';
import type { Test } from './helpers/check';

/** Index of the nearest center for each row of pts [n, 2] (flat). */
function nearest(pts: ArrayLike<number>, centers: number[][]): number[] {
  const out: number[] = [];
  for (let i = 0; i < pts.length / 2; i++) {
    let best = 0, bd = Infinity;
    centers.forEach((c, k) => {
      const d = (pts[2 * i] - c[0]) ** 2 + (pts[2 * i + 1] - c[1]) ** 2;
      if (d < bd) { bd = d; best = k; }
    });
    out.push(best);
  }
  return out;
}

/** Checks an isotropic Gaussian mixture sample: shares ≈ 1/K, per-mode mean ≈ center, per-coordinate std ≈ std. */
function checkMixture(tt: Test & { same(a: unknown, b: unknown, msg: string): unknown }, x: td.Tensor, centers: number[][], std: number, name: string): void {
  tt.same(x.shape, [x.shape[0], 2], `${name}: shape [n, 2]`);
  tt.equal(x.dtype, 'float32', `${name}: float32`);
  const v = x.dataSync(), n = x.shape[0], K = centers.length;
  const lab = nearest(v, centers);
  const cnt = new Array(K).fill(0), s1 = centers.map(() => [0, 0]), s2 = centers.map(() => [0, 0]);
  lab.forEach((k, i) => {
    cnt[k]++;
    for (let d = 0; d < 2; d++) { const e = v[2 * i + d] - centers[k][d]; s1[k][d] += e; s2[k][d] += e * e; }
  });
  const p = 1 / K, se = Math.sqrt((p * (1 - p)) / n);
  close(tt, cnt.map((c) => c / n), new Array(K).fill(p), 0, 4.5 * se, `${name}: every mode has share 1/${K}`);
  const means = s1.flatMap((s, k) => s.map((a) => a / cnt[k]));
  close(tt, means, new Array(2 * K).fill(0), 0, 5 * std / Math.sqrt(n / K), `${name}: per-mode mean is the center`);
  const stds = s2.flatMap((s, k) => s.map((a) => Math.sqrt(a / cnt[k])));
  close(tt, stds, new Array(2 * K).fill(std), 5 / Math.sqrt(2 * n / K), 0, `${name}: per-mode, per-coordinate std is ${std}`);
}

t.test('eightGaussians and diamond: mode shares, centers and per-mode std', async (t) => {
  const c8 = Array.from({ length: 8 }, (_, k) => [Math.cos((Math.PI * k) / 4), Math.sin((Math.PI * k) / 4)]);
  checkMixture(t, data.eightGaussians(16000, { seed: 1 }), c8, 0.04, 'eightGaussians');
  checkMixture(t, data.eightGaussians(16000, { seed: 2, radius: 2, std: 0.1 }), c8.map(([a, b]) => [2 * a, 2 * b]), 0.1, 'eightGaussians radius 2 std 0.1');
  // diamond: the 3×3 grid {-0.5, 0, 0.5}² rotated by 45°
  const cd: number[][] = [];
  for (const a of [-0.5, 0, 0.5]) for (const b of [-0.5, 0, 0.5]) cd.push([(a - b) / Math.SQRT2, (a + b) / Math.SQRT2]);
  checkMixture(t, data.diamond(18000, { seed: 3 }), cd, 0.04, 'diamond');
  // the corner modes of the rotated grid sit on the axes at distance √2/2
  const far = cd.filter(([a, b]) => Math.abs(Math.hypot(a, b) - Math.SQRT1_2) < 1e-12);
  t.equal(far.length, 4, 'diamond: 4 modes at distance √2/2 from the origin');
});

t.test('checkerboard: only the (i + j even) squares, each with share 1/8, uniform inside', async (t) => {
  const n = 16000;
  const v = data.checkerboard(n, { seed: 4 }).dataSync();
  let outside = 0, wrong = 0;
  const cnt = new Map<string, number>();
  let fx = 0, fx2 = 0;
  for (let i = 0; i < n; i++) {
    const x = v[2 * i], y = v[2 * i + 1];
    if (!(x >= -4 && x < 4 && y >= -4 && y < 4)) { outside++; continue; }
    const ci = Math.floor((x + 4) / 2), cj = Math.floor((y + 4) / 2);
    if ((ci + cj) % 2 !== 0) wrong++;
    cnt.set(`${ci},${cj}`, (cnt.get(`${ci},${cj}`) ?? 0) + 1);
    const f = (x + 4) / 2 - ci; // position inside the square, U[0, 1)
    fx += f; fx2 += f * f;
  }
  t.equal(outside, 0, 'every point lies in [-4, 4)²');
  t.equal(wrong, 0, 'every point lies on a square with i + j even');
  t.equal(cnt.size, 8, 'all 8 black squares are occupied');
  const se = Math.sqrt((1 / 8) * (7 / 8) / n);
  close(t, [...cnt.values()].map((c) => c / n), new Array(8).fill(1 / 8), 0, 4.5 * se, 'each square holds 1/8 of the points');
  close(t, [fx / n, fx2 / n - (fx / n) ** 2], [0.5, 1 / 12], 0, 0.01, 'the position within a square is uniform (mean 1/2, var 1/12)');
  // other sizes: 3 cells over [-1.5, 1.5]² → 5 of 9 squares
  const w = data.checkerboard(9000, { seed: 5, cells: 3, size: 3 }).dataSync();
  const sq = new Set<string>();
  let bad = 0;
  for (let i = 0; i < 9000; i++) {
    const ci = Math.floor(w[2 * i] + 1.5), cj = Math.floor(w[2 * i + 1] + 1.5);
    if (ci < 0 || ci > 2 || cj < 0 || cj > 2 || (ci + cj) % 2) bad++;
    sq.add(`${ci},${cj}`);
  }
  t.equal(bad, 0, 'cells 3, size 3: only (i + j even) squares of [-1.5, 1.5)²');
  t.equal(sq.size, 5, 'cells 3: 5 occupied squares');
});

t.test('swissRoll: radius range and spiral geometry without noise; noise is N(0, noise²) scaled', async (t) => {
  const n = 8000;
  const clean = data.swissRoll(n, { seed: 6, noise: 0 }).dataSync();
  let minR = Infinity, maxR = -Infinity, worst = 0, rs = 0, below = 0;
  for (let i = 0; i < n; i++) {
    const x = clean[2 * i], y = clean[2 * i + 1];
    const r = Math.hypot(x, y);
    minR = Math.min(minR, r); maxR = Math.max(maxR, r); rs += r;
    if (r < 0.6 * Math.PI) below++;
    const tt = r / 0.2; // on the roll, |p| = 0.2 t and p = 0.2 t (cos t, sin t)
    worst = Math.max(worst, Math.abs(x - 0.2 * tt * Math.cos(tt)), Math.abs(y - 0.2 * tt * Math.sin(tt)));
  }
  t.ok(minR >= 0.3 * Math.PI - 1e-5 && maxR <= 0.9 * Math.PI + 1e-5, `radius within [0.3π, 0.9π] (got [${minR}, ${maxR}])`);
  t.ok(minR < 0.3 * Math.PI + 0.01 && maxR > 0.9 * Math.PI - 0.01, 'the radius range is covered');
  t.ok(worst < 2e-5, `every point lies on the spiral r = 0.2 t (worst ${worst})`);
  close(t, [rs / n, below / n], [0.6 * Math.PI, 0.5], 0, 0.02, 'the radius is uniform (mean 0.6π, half below the middle)');
  // the noisy roll shares the same t draws: (noisy − clean)/(scale·noise) ~ N(0, 1)
  const noisy = data.swissRoll(n, { seed: 6, noise: 0.5, scale: 0.3 }).dataSync();
  const clean3 = data.swissRoll(n, { seed: 6, noise: 0, scale: 0.3 }).dataSync();
  const e = Array.from(noisy, (a, i) => (a - clean3[i]) / 0.15);
  const m = e.reduce((a, b) => a + b, 0) / e.length, s = Math.sqrt(e.reduce((a, b) => a + (b - m) ** 2, 0) / e.length);
  close(t, [m, s], [0, 1], 0, 0.04, 'the noise is N(0, (scale·noise)²) per coordinate');
});

t.test('twoMoons: even rows on the upper moon, odd rows on the lower, uniform angle', async (t) => {
  const n = 8000;
  const v = data.twoMoons(n, { seed: 7, noise: 0 }).dataSync();
  let worst = 0, sinU = 0, cosU = 0, sinL = 0;
  for (let i = 0; i < n; i++) {
    const x = v[2 * i], y = v[2 * i + 1];
    if (i % 2 === 0) { worst = Math.max(worst, Math.abs(Math.hypot(x, y) - 1), -y); sinU += y; cosU += x; }
    else { worst = Math.max(worst, Math.abs(Math.hypot(x - 1, y - 0.5) - 1), y - 0.5); sinL += 0.5 - y; }
  }
  t.ok(worst < 1e-6, `upper: unit circle, y ≥ 0; lower: unit circle around (1, 0.5), y ≤ 0.5 (worst ${worst})`);
  close(t, [sinU / (n / 2), cosU / (n / 2), sinL / (n / 2)], [2 / Math.PI, 0, 2 / Math.PI], 0, 0.025, 'θ uniform on [0, π]: E sin θ = 2/π, E cos θ = 0');
  const noisy = data.twoMoons(n, { seed: 7, noise: 0.1 }).dataSync();
  const e = Array.from(noisy, (a, i) => (a - v[i]) / 0.1);
  const s = Math.sqrt(e.reduce((a, b) => a + b * b, 0) / e.length);
  close(t, [s], [1], 0, 0.04, 'noise 0.1: per-coordinate std 0.1');
});

t.test('multimodalSwissRoll: 5 rolls at the origin and (±0.8, ±0.8), share 1/5 each', async (t) => {
  const n = 10000;
  const v = data.multimodalSwissRoll(n, { seed: 8, noise: 0 }).dataSync();
  const centers = [[0, 0], [0.8, 0.8], [0.8, -0.8], [-0.8, -0.8], [-0.8, 0.8]];
  const lab = nearest(v, centers);
  const cnt = new Array(5).fill(0);
  let minR = Infinity, maxR = 0;
  lab.forEach((k, i) => {
    cnt[k]++;
    const r = Math.hypot(v[2 * i] - centers[k][0], v[2 * i + 1] - centers[k][1]);
    minR = Math.min(minR, r); maxR = Math.max(maxR, r);
  });
  close(t, cnt.map((c) => c / n), new Array(5).fill(0.2), 0, 4.5 * Math.sqrt(0.16 / n), 'each roll holds 1/5 of the points');
  t.ok(minR >= 0.015 * Math.PI - 1e-6 && maxR <= 0.045 * Math.PI + 1e-6, `each roll's radius is in [0.015π, 0.045π] (got [${minR}, ${maxR}])`);
  const w = data.multimodalSwissRoll(2000, { seed: 8 });
  t.same(w.shape, [2000, 2], 'default noise: shape [n, 2]');
});

t.test('toy data: seeded determinism and argument errors', async (t) => {
  const fns = { eightGaussians: data.eightGaussians, diamond: data.diamond, checkerboard: data.checkerboard, swissRoll: data.swissRoll, twoMoons: data.twoMoons, multimodalSwissRoll: data.multimodalSwissRoll } as const;
  for (const [name, f] of Object.entries(fns)) {
    const fn = f as (n: number, o: unknown) => td.Tensor;
    const a = arr(fn(50, { seed: 11 })), b = arr(fn(50, { seed: 11 })), c = arr(fn(50, { seed: 12 }));
    t.same(a, b, `${name}: same seed, same points`);
    t.notSame(a, c, `${name}: another seed, other points`);
    td.manualSeed(123);
    td.randn([3]);
    t.same(arr(fn(50, { seed: 11 })), a, `${name}: independent of the global generator`);
    t.same(arr(fn(50, { seed: 11n })), a, `${name}: a bigint seed equals the number`);
    throwsKind(t, () => fn(0, { seed: 1 }), RangeError, `${name}(0)`);
    throwsKind(t, () => fn(2.5, { seed: 1 }), TypeError, `${name}(2.5)`);
    throwsKind(t, () => fn(5, {}), TypeError, `${name} without a seed`);
    throwsKind(t, () => fn(5, undefined), TypeError, `${name} without options`);
    throwsKind(t, () => fn(5, { seed: -1 }), TypeError, `${name} with seed -1`);
    throwsKind(t, () => fn(5, null), TypeError, `${name} with null options`);
  }
  throwsKind(t, () => data.eightGaussians(5, { seed: 1, std: -1 }), RangeError, 'eightGaussians std -1');
  throwsKind(t, () => data.swissRoll(5, { seed: 1, scale: 0 }), RangeError, 'swissRoll scale 0');
  throwsKind(t, () => data.twoMoons(5, { seed: 1, noise: NaN }), TypeError, 'twoMoons noise NaN');
  throwsKind(t, () => data.checkerboard(5, { seed: 1, cells: 1 }), RangeError, 'checkerboard cells 1');
});

t.test('resizeArea: hand computations', async (t) => {
  // 4×4 → 2×2: means of 2×2 blocks
  const x = td.tensor([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]).reshape([1, 1, 4, 4]);
  const y = data.resizeArea(x, [2, 2]);
  t.same(y.shape, [1, 1, 2, 2]);
  close(t, y.dataSync(), [3.5, 5.5, 11.5, 13.5], 1e-6, 0, '4×4 → 2×2 block means');
  // 3×3 → 2×2: output (0,0) covers [0, 1.5)²: weights 1, 0.5 per axis, over area 2.25
  const z = td.tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]], { dtype: 'float64' });
  const w = (a: number, b: number, c: number, d: number) => (a * 1 + b * 0.5 + c * 0.5 + d * 0.25) / 2.25;
  const hand = [w(1, 2, 4, 5), w(3, 2, 6, 5), w(7, 8, 4, 5), w(9, 8, 6, 5)];
  const zr = data.resizeArea(z, [2, 2]);
  t.equal(zr.dtype, 'float64', 'float64 stays float64');
  close(t, zr.dataSync(), hand, 1e-14, 0, '3×3 → 2×2 overlap-weighted means');
  // non-square target and leading dims kept: [2, 3, 3] → [2, 1, 3]
  const b = td.stack([z, z.mul(2)]).reshape([2, 3, 3]);
  const br = data.resizeArea(b, [1, 3]);
  t.same(br.shape, [2, 1, 3]);
  close(t, br.dataSync(), [4, 5, 6, 8, 10, 12], 1e-14, 0, '3×3 → 1×3: column means');
  // a constant image stays constant under 28 → 16
  close(t, data.resizeArea(td.full([1, 1, 28, 28], 0.3), [16, 16]).dataSync(), new Array(256).fill(0.3), 1e-6, 0, 'constant image stays constant');
  // each row of the weight matrix sums to 1 and spans 1.75 input pixels
  const A = data.areaWeights(16, 28);
  close(t, Array.from({ length: 16 }, (_, i) => A.subarray(i * 28, i * 28 + 28).reduce((p, q) => p + q, 0)), new Array(16).fill(1), 1e-14, 0, 'area weights rows sum to 1');
  throwsKind(t, () => data.resizeArea(td.zeros([4]), [2, 2]), RangeError, 'resizeArea of 1-D');
  throwsKind(t, () => data.resizeArea(td.zeros([4, 4]), [0, 2]), RangeError, 'resizeArea to size 0');
  throwsKind(t, () => data.resizeArea(td.zeros([4, 4]), [2] as unknown as [number, number]), TypeError, 'resizeArea size [2]');
  throwsKind(t, () => data.resizeArea('x' as unknown as td.Tensor, [2, 2]), TypeError, 'resizeArea of a string');
});

t.test('mnist: what the package ships, split, limit, pixel mapping, digit structure', async (t) => {
  // read the package's JSON independently of lib/data/mnist.ts
  const shipped = Array.from({ length: 10 }, (_, d) => (JSON.parse(readFileSync(require.resolve(`mnist/src/digits/${d}.json`), 'utf8')).data as number[]));
  const counts = shipped.map((a) => a.length / 784);
  t.equal(counts.reduce((a, b) => a + b, 0), 10000, 'the package ships 10000 digits');
  const all = data.mnist({ split: 'all' });
  t.same(all.images.shape, [10000, 1, 28, 28], 'all: images [10000, 1, 28, 28]');
  t.same(all.labels.shape, [10000], 'labels [10000]');
  t.equal(all.images.dtype, 'float32');
  t.equal(all.labels.dtype, 'int32');
  const v = all.images.dataSync(), l = all.labels.dataSync();
  let lo = Infinity, hi = -Infinity;
  for (const a of v) { lo = Math.min(lo, a); hi = Math.max(hi, a); }
  t.ok(lo >= -1 && hi <= 1 && lo < -0.99 && hi > 0.99, `values span [-1, 1] (got [${lo}, ${hi}])`);
  const cnt = new Array(10).fill(0);
  for (const c of l) cnt[c]++;
  t.same(cnt, counts, 'class counts are those shipped');
  t.ok(cnt.every((c) => c / 10000 > 0.08 && c / 10000 < 0.12), `classes are balanced within 8–12% (${cnt.join(', ')})`);
  // class-interleaved order: row 10·j + d is the j-th shipped image of digit d (while all classes last)
  for (const [row, d, j] of [[0, 0, 0], [1, 1, 0], [37, 7, 3], [8609, 9, 860]]) {
    t.equal(l[row], d, `row ${row} is a ${d}`);
    close(t, v.subarray(row * 784, row * 784 + 784), shipped[d].slice(j * 784, j * 784 + 784).map((p) => 2 * p - 1), 1e-6, 1e-6, `row ${row}: pixels are 2p − 1 of shipped image ${j} of digit ${d}`);
  }
  // splits
  const train = data.mnist(), test = data.mnist({ split: 'test' });
  const nTest = counts.reduce((a, c) => a + Math.floor(c / 6), 0);
  t.equal(test.labels.shape[0], nTest, `test: Σ⌊count/6⌋ = ${nTest} images`);
  t.equal(train.labels.shape[0], 10000 - nTest, 'train: the rest');
  const first7test = counts[7] - Math.floor(counts[7] / 6);
  close(t, test.images.dataSync().subarray(7 * 784, 8 * 784), shipped[7].slice(first7test * 784, first7test * 784 + 784).map((p) => 2 * p - 1), 1e-6, 1e-6, 'test row 7 is the first test image of digit 7');
  // limit: class-balanced prefix
  const lim = data.mnist({ limit: 100 });
  const lc = new Array(10).fill(0);
  for (const c of lim.labels.dataSync()) lc[c]++;
  t.same(lc, new Array(10).fill(10), 'limit 100: 10 of each digit');
  // digit structure in the mean images: ink in the middle, blank border; a 0 has a hole, a 1 does not
  const mean = (c: number) => {
    const a = new Float64Array(784);
    let k = 0;
    for (let i = 0; i < l.length; i++) if (c < 0 || l[i] === c) { k++; for (let p = 0; p < 784; p++) a[p] += v[i * 784 + p]; }
    return a.map((x) => x / k);
  };
  const region = (a: Float64Array, f: (i: number, j: number) => boolean) => {
    let s = 0, k = 0;
    for (let i = 0; i < 28; i++) for (let j = 0; j < 28; j++) if (f(i, j)) { s += a[i * 28 + j]; k++; }
    return s / k;
  };
  const mAll = mean(-1);
  const centre = region(mAll, (i, j) => i >= 10 && i < 18 && j >= 10 && j < 18), border = region(mAll, (i, j) => i < 3 || i >= 25 || j < 3 || j >= 25);
  t.ok(border < -0.97, `mean image: the 3-pixel border is background (${border.toFixed(3)})`);
  t.ok(centre > border + 0.5, `mean image: the centre is much brighter than the border (${centre.toFixed(3)} vs ${border.toFixed(3)})`);
  const ring = (i: number, j: number) => { const r = Math.hypot(i - 13.5, j - 13.5); return r >= 6 && r < 9; };
  const mid = (i: number, j: number) => i >= 12 && i < 16 && j >= 12 && j < 16;
  const m0 = mean(0), m1 = mean(1);
  t.ok(region(m0, ring) > region(m0, mid) + 0.5, 'mean 0: a bright ring around a dark centre');
  t.ok(region(m1, mid) > region(m1, ring) + 0.5, 'mean 1: a bright centre, dark ring');
  // 16×16: the area resize of the 28×28 images
  const s16 = data.mnist({ limit: 20, size: 16 });
  t.same(s16.images.shape, [20, 1, 16, 16], 'size 16: [N, 1, 16, 16]');
  const ref = data.resizeArea(data.mnist({ limit: 20 }).images, [16, 16]);
  close(t, s16.images.dataSync(), ref.dataSync(), 1e-6, 1e-6, 'size 16 = resizeArea of the 28×28 images');
  const r16 = s16.images.dataSync();
  t.ok(r16.every((a) => a >= -1 - 1e-6 && a <= 1 + 1e-6), 'size 16 stays in [-1, 1]');
  throwsKind(t, () => data.mnist({ split: 'val' as 'test' }), RangeError, "mnist split 'val'");
  throwsKind(t, () => data.mnist({ size: 20 as 16 }), RangeError, 'mnist size 20');
  throwsKind(t, () => data.mnist({ limit: 0 }), RangeError, 'mnist limit 0');
  throwsKind(t, () => data.mnist(7 as unknown as data.MnistOptions), TypeError, 'mnist(7)');
  for (const x of [all, train, test, lim, s16]) { x.images.dispose(); x.labels.dispose(); }
});

t.test('DataLoader: each index once per epoch, determinism, dropLast, structures', async (t) => {
  const N = 10;
  const x = td.arange(N, undefined, 1, { dtype: 'float32' });
  const L = new data.DataLoader(x, { batchSize: 3, shuffle: true, seed: 5 });
  t.equal(L.length, 4, '⌈10/3⌉ = 4 batches');
  const epochs: number[][] = [];
  for (let e = 0; e < 4; e++) {
    const seen: number[] = [], sizes: number[] = [];
    for (const b of L) { seen.push(...arr(b)); sizes.push(b.shape[0]); b.dispose(); }
    t.same(sizes, [3, 3, 3, 1], `epoch ${e}: batch sizes`);
    t.same([...seen].sort((a, b) => a - b), Array.from({ length: N }, (_, i) => i), `epoch ${e}: every index exactly once`);
    epochs.push(seen);
  }
  t.notSame(epochs[0], epochs[1], 'epochs 0 and 1 differ');
  t.notSame(epochs[0], Array.from({ length: N }, (_, i) => i), 'shuffled');
  const L2 = new data.DataLoader(x, { batchSize: 3, shuffle: true, seed: 5 });
  for (let e = 0; e < 4; e++) {
    const s: number[] = [];
    for (const b of L2) s.push(...arr(b));
    t.same(s, epochs[e], `a second loader with the same seed replays epoch ${e}`);
  }
  const replay: number[] = [];
  for (const b of L.epoch(2)) replay.push(...arr(b));
  t.same(replay, epochs[2], 'epoch(2) replays epoch 2');
  const other: number[] = [];
  for (const b of new data.DataLoader(x, { batchSize: 3, shuffle: true, seed: 6 })) other.push(...arr(b));
  t.notSame(other, epochs[0], 'another seed, another order');
  // dropLast
  const D = new data.DataLoader(x, { batchSize: 3, shuffle: true, seed: 5, dropLast: true });
  t.equal(D.length, 3);
  const dl: number[] = [];
  for (const b of D) { t.equal(b.shape[0], 3, 'dropLast: full batches only'); dl.push(...arr(b)); }
  t.equal(new Set(dl).size, 9, 'dropLast: 9 distinct rows');
  t.same(dl, epochs[0].slice(0, 9), 'dropLast: the same permutation, last row dropped');
  // no shuffle: rows in order
  const plain: number[] = [];
  for (const b of new data.DataLoader(x, { batchSize: 4 })) plain.push(...arr(b));
  t.same(plain, Array.from({ length: N }, (_, i) => i), 'no shuffle: rows in order');
  // records and arrays keep rows aligned
  const y = x.mul(2).reshape([N, 1]);
  for (const b of new data.DataLoader({ a: x, b: y }, { batchSize: 4, shuffle: true, seed: 1 })) {
    t.same(arr(b.b), arr(b.a).map((v) => 2 * v), 'record batch: rows aligned');
    t.same(b.b.shape, [b.a.shape[0], 1]);
  }
  for (const [a, b] of new data.DataLoader([x, y], { batchSize: 4, shuffle: true, seed: 1 })) t.same(arr(b), arr(a).map((v) => 2 * v), 'array batch: rows aligned');
  // uniform permutations: the position of row 0 over 2000 epochs of 5 rows
  const U = new data.DataLoader(td.arange(5, undefined, 1, { dtype: 'float32' }), { batchSize: 5, shuffle: true, seed: 9 });
  const pos = new Array(5).fill(0);
  for (let e = 0; e < 2000; e++) pos[Array.from(U.order(e)).indexOf(0)]++;
  close(t, pos, new Array(5).fill(400), 0, 4.5 * Math.sqrt(2000 * 0.2 * 0.8), 'row 0 lands in each position 1/5 of the time');
  // no leak over epochs inside tidy
  const before = td.memory().tensors;
  for (let e = 0; e < 3; e++) for (const b of L) td.tidy(() => { b.add(1); b.dispose(); });
  t.equal(td.memory().tensors, before, 'no tensors left behind over epochs');
  throwsKind(t, () => new data.DataLoader([x, td.zeros([3])], { batchSize: 2 }), RangeError, 'first dims differ');
  throwsKind(t, () => new data.DataLoader(x, { batchSize: 0 }), RangeError, 'batchSize 0');
  throwsKind(t, () => new data.DataLoader(x, { batchSize: 2.5 }), TypeError, 'batchSize 2.5');
  throwsKind(t, () => new data.DataLoader(x, { batchSize: 2, seed: -3 }), TypeError, 'seed -3');
  throwsKind(t, () => new data.DataLoader(x, { batchSize: 2, shuffle: 1 as unknown as boolean }), TypeError, 'shuffle 1');
  throwsKind(t, () => new data.DataLoader(x, { batchSize: 11, dropLast: true }), RangeError, 'dropLast with batchSize > N');
  throwsKind(t, () => new data.DataLoader(5 as unknown as td.Tensor, { batchSize: 2 }), TypeError, 'data 5');
  throwsKind(t, () => new data.DataLoader([], { batchSize: 2 }), RangeError, 'no tensors');
  throwsKind(t, () => new data.DataLoader(x, undefined as unknown as data.DataLoaderOptions), TypeError, 'no options');
});
