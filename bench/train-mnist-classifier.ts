// train-mnist-classifier.ts — trains the shipped MNIST classifier (lib/metrics/mnistClassifier.ts)
// for one image size on td.data.mnist({ split: 'train', size }) with Adam (seeded; random ±shift
// augmentation), evaluates it on the test split and writes assets/mnist-classifier-<S>.safetensors
// with metadata (size, testAccuracy, steps, seed, ...).
//
// Usage: TENSORDIFF_NUM_THREADS=1 node dist/bench/train-mnist-classifier.js --size 16|28
//        [--epochs E] [--batch B] [--lr LR] [--seed S] [--shift P] [--out FILE]
// Defaults (the shipped weights): batch 64, seed 0, cosine-decayed Adam; size 28: 15 epochs,
// lr 3e-3, shifts up to ±2 px; size 16: 30 epochs, lr 5e-3, shifts up to ±1 px.
import * as path from 'path';
import * as td from '../lib/index';
import { MnistNet, MnistClassifierSize } from '../lib/metrics/mnistClassifier';

interface Args { size: MnistClassifierSize; epochs: number | null; batch: number; lr: number | null; seed: number; shift: number | null; out: string | null }

/** Per-size defaults of the options left unset. */
const DEFAULTS = { 28: { epochs: 15, lr: 3e-3, shift: 2 }, 16: { epochs: 30, lr: 5e-3, shift: 1 } } as const;

function parseArgs(argv: string[]): Args {
  const a: Args = { size: 28, epochs: null, batch: 64, lr: null, seed: 0, shift: null, out: null };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const val = (): string => {
      if (i + 1 >= argv.length) throw new RangeError(`train-mnist-classifier: ${k} needs a value`);
      return argv[++i];
    };
    const num = (s: string, int: boolean): number => {
      const n = Number(s);
      if (!Number.isFinite(n) || n < 0 || (int && !Number.isInteger(n))) throw new RangeError(`train-mnist-classifier: ${k} must be a non-negative ${int ? 'integer' : 'number'}, got ${s}`);
      return n;
    };
    if (k === '--size') {
      const s = num(val(), true);
      if (s !== 16 && s !== 28) throw new RangeError(`train-mnist-classifier: --size must be 16 or 28, got ${s}`);
      a.size = s;
    } else if (k === '--epochs') a.epochs = num(val(), true);
    else if (k === '--batch') a.batch = Math.max(1, num(val(), true));
    else if (k === '--lr') a.lr = num(val(), false);
    else if (k === '--seed') a.seed = num(val(), true);
    else if (k === '--shift') a.shift = num(val(), true);
    else if (k === '--out') a.out = val();
    else throw new RangeError(`train-mnist-classifier: unknown argument ${k} (known: --size, --epochs, --batch, --lr, --seed, --shift, --out)`);
  }
  return a;
}

/** A deterministic PRNG (mulberry32) for the augmentation shifts. */
function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Copies image i of src [N, S·S] into dst at slot j, shifted by (dy, dx) with background −1. */
function shiftInto(dst: Float32Array, j: number, src: Float32Array, i: number, S: number, dy: number, dx: number): void {
  const o = j * S * S, b = i * S * S;
  for (let y = 0; y < S; y++) {
    const sy = y - dy;
    for (let x = 0; x < S; x++) {
      const sx = x - dx;
      dst[o + y * S + x] = sy >= 0 && sy < S && sx >= 0 && sx < S ? src[b + sy * S + sx] : -1;
    }
  }
}

/** Test-split accuracy of net (no gradients). */
function accuracy(net: MnistNet, images: td.Tensor, labels: td.Tensor): number {
  const n = images.shape[0];
  const lab = labels.dataSync() as Int32Array;
  let correct = 0;
  td.noGrad(() => {
    for (let r0 = 0; r0 < n; r0 += 500) {
      const rows = Math.min(500, n - r0);
      td.tidy(() => {
        const pred = td.argmax(net.forward(td.narrow(images, 0, r0, rows)), 1).dataSync();
        for (let i = 0; i < rows; i++) if (pred[i] === lab[r0 + i]) correct++;
      });
    }
  });
  return correct / n;
}

function main(): void {
  const parsed = parseArgs(process.argv.slice(2));
  const dflt = DEFAULTS[parsed.size];
  const a = { ...parsed, epochs: parsed.epochs ?? dflt.epochs, lr: parsed.lr ?? dflt.lr, shift: parsed.shift ?? dflt.shift };
  const S = a.size;
  td.manualSeed(a.seed);
  const train = td.data.mnist({ split: 'train', size: S });
  const test = td.data.mnist({ split: 'test', size: S });
  const N = train.images.shape[0];
  const src = train.images.dataSync() as Float32Array; // [N, S·S]
  const lab = train.labels.dataSync() as Int32Array;
  const net = new MnistNet(S);
  const opt = new td.optim.Adam(net.parameters(), { lr: a.lr });
  const stepsPerEpoch = Math.ceil(N / a.batch);
  const total = a.epochs * stepsPerEpoch;
  const rnd = mulberry32(a.seed + 1);
  const xb = new Float32Array(a.batch * S * S);
  const yb = new Int32Array(a.batch);
  const t0 = Date.now();
  let step = 0;
  console.log(`train-mnist-classifier: size ${S}, ${N} train / ${test.images.shape[0]} test images, ${net.numParameters()} parameters, ${a.epochs} epochs × ${stepsPerEpoch} steps`);
  for (let ep = 0; ep < a.epochs; ep++) {
    // Fisher–Yates permutation per epoch
    const perm = Array.from({ length: N }, (_, i) => i);
    for (let i = N - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    let lossSum = 0;
    for (let r0 = 0; r0 < N; r0 += a.batch) {
      const rows = Math.min(a.batch, N - r0);
      for (let j = 0; j < rows; j++) {
        const i = perm[r0 + j];
        const dy = Math.floor(rnd() * (2 * a.shift + 1)) - a.shift, dx = Math.floor(rnd() * (2 * a.shift + 1)) - a.shift;
        shiftInto(xb, j, src, i, S, dy, dx);
        yb[j] = lab[i];
      }
      // cosine learning-rate decay to 0
      opt.setLr(0.5 * a.lr * (1 + Math.cos((Math.PI * step) / total)));
      lossSum += td.tidy(() => {
        const x = td.tensor(xb.slice(0, rows * S * S), { shape: [rows, 1, S, S] });
        const y = td.tensor(yb.slice(0, rows), { shape: [rows] });
        const loss = td.crossEntropy(net.forward(x), y);
        opt.zeroGrad();
        loss.backward();
        opt.step();
        return loss.item();
      });
      step++;
    }
    const acc = accuracy(net, test.images, test.labels);
    console.log(`epoch ${ep + 1}/${a.epochs}: mean loss ${(lossSum / stepsPerEpoch).toFixed(4)}, test accuracy ${(100 * acc).toFixed(2)}%, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  const acc = accuracy(net, test.images, test.labels);
  const out = a.out ?? path.join(__dirname, '..', '..', 'assets', `mnist-classifier-${S}.safetensors`);
  const meta: Record<string, string> = {
    model: 'tensordiff MnistNet (lib/metrics/mnistClassifier.ts)',
    size: String(S),
    testAccuracy: acc.toFixed(4),
    testImages: String(test.images.shape[0]),
    trainImages: String(N),
    steps: String(step),
    epochs: String(a.epochs),
    batch: String(a.batch),
    lr: String(a.lr),
    shift: String(a.shift),
    seed: String(a.seed),
    trainedBy: 'bench/train-mnist-classifier.ts',
  };
  td.io.save(net.stateDict(), out, meta);
  console.log(JSON.stringify({ model: 'mnist-classifier', size: S, testAccuracy: acc, steps: step, seed: a.seed, file: out, seconds: (Date.now() - t0) / 1000 }));
}

main();
