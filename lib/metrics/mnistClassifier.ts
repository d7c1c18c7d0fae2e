// mnistClassifier.ts — the small MNIST CNN shipped with the project (one per image size, 16 and 28;
// weights in assets/mnist-classifier-<S>.safetensors, trained by bench/train-mnist-classifier.ts),
// its 64-d penultimate features and logits, and "FID for MNIST": the Fréchet distance between the
// features of two image sets.
import * as fs from 'fs';
import * as path from 'path';
import { Tensor } from '../tensor';
import { tensor } from '../ops/creation';
import { flatten, narrow } from '../ops/views';
import { tidy } from '../memory';
import { noGrad } from '../autograd';
import { checkIsTensor, checkOptions } from '../data/args';
import { Module } from '../nn/module';
import { Conv2d } from '../nn/conv';
import { Linear } from '../nn/linear';
import { AvgPool2d } from '../nn/pool';
import { SiLU } from '../nn/activations';
import { load, readHeader } from '../io/safetensors';
import { frechetDistance } from './frechet';

/** Image sides with a shipped classifier. */
export type MnistClassifierSize = 16 | 28;
/** Width of the penultimate (feature) layer. */
export const MNIST_FEATURE_DIM = 64;

/**
 * The classifier: 3 × (Conv2d 3×3 pad 1 → SiLU → AvgPool2d 2) with 1 → 16 → 32 → 32 channels
 * ([N, 1, S, S] → [N, 32, ⌊S/8⌋, ⌊S/8⌋]: 3×3 at 28, 2×2 at 16), flatten, Linear → 64, SiLU
 * (the features), Linear 64 → 10 (the logits).
 */
export class MnistNet extends Module {
  readonly size: MnistClassifierSize;
  conv1: Conv2d;
  conv2: Conv2d;
  conv3: Conv2d;
  fc1: Linear;
  fc2: Linear;
  act = new SiLU();
  pool = new AvgPool2d(2);

  constructor(size: MnistClassifierSize) {
    super();
    this.size = size;
    this.conv1 = new Conv2d(1, 16, 3, { padding: 1 });
    this.conv2 = new Conv2d(16, 32, 3, { padding: 1 });
    this.conv3 = new Conv2d(32, 32, 3, { padding: 1 });
    const side = Math.floor(Math.floor(Math.floor(size / 2) / 2) / 2);
    this.fc1 = new Linear(32 * side * side, MNIST_FEATURE_DIM);
    this.fc2 = new Linear(MNIST_FEATURE_DIM, 10);
  }

  /** Penultimate features: x [N, 1, S, S] → [N, 64]. */
  features(x: Tensor): Tensor {
    let h = this.pool.forward(this.act.forward(this.conv1.forward(x))); // [N, 16, S/2, S/2]
    h = this.pool.forward(this.act.forward(this.conv2.forward(h))); // [N, 32, S/4, S/4]
    h = this.pool.forward(this.act.forward(this.conv3.forward(h))); // [N, 32, S/8, S/8]
    return this.act.forward(this.fc1.forward(flatten(h, 1))); // [N, 64]
  }

  /** Logits: x [N, 1, S, S] → [N, 10]. */
  override forward(x: Tensor): Tensor {
    return this.fc2.forward(this.features(x));
  }
}

/** The weight file of the shipped classifier for a size (from dist/lib/metrics or lib/metrics). */
export function mnistClassifierPath(size: MnistClassifierSize): string {
  const name = `mnist-classifier-${size}.safetensors`;
  // compiled: dist/lib/metrics → repo root is three levels up; from source (ts-node): two
  const candidates = [path.join(__dirname, '..', '..', '..', 'assets', name), path.join(__dirname, '..', '..', 'assets', name)];
  return candidates.find((p) => fs.existsSync(p)) ?? candidates[0];
}

const cache = new Map<MnistClassifierSize, MnistNet>();

/** The shipped classifier for a size, loaded once (eval mode, no gradients), then cached. */
export function loadMnistClassifier(size: MnistClassifierSize): MnistNet {
  let net = cache.get(size);
  if (net) return net;
  const file = mnistClassifierPath(size);
  if (!fs.existsSync(file))
    throw new Error(`mnistClassifier: the weights of the ${size}×${size} MNIST classifier are missing: ${file}; ` +
      `regenerate them with \`npx tsc -p tsconfig.json && TENSORDIFF_NUM_THREADS=1 node dist/bench/train-mnist-classifier.js --size ${size}\``);
  net = new MnistNet(size);
  const sd = load(file);
  try {
    net.loadStateDict(sd);
  } finally {
    for (const t of Object.values(sd)) t.dispose();
  }
  net.eval().requiresGrad_(false);
  cache.set(size, net);
  return net;
}

/** Metadata of a shipped classifier's weight file (size, testAccuracy, steps, seed, ...). */
export function mnistClassifierInfo(size: MnistClassifierSize): Record<string, string> {
  loadMnistClassifier(size); // throws the helpful error when missing
  return readHeader(mnistClassifierPath(size)).metadata;
}

/** Options of {@link mnistFeatures} and {@link mnistClassify}. */
export interface MnistFeatureOptions {
  /** Images per forward pass (default 500). */
  batch?: number;
}

function checkImages(op: string, x: unknown, name = 'images'): { t: Tensor; size: MnistClassifierSize } {
  const t = checkIsTensor(op, x, name);
  const desc = `[${t.shape.join(', ')}] ${t.dtype}`;
  if (t.dtype !== 'float32') throw new TypeError(`${op}: ${name} must be float32 images in [-1, 1], got ${desc}`);
  if (t.ndim !== 4) throw new RangeError(`${op}: ${name} must be [N, 1, S, S] with S = 16 or 28, got ${desc}`);
  const [n, c, h, w] = t.shape;
  if (c !== 1) throw new RangeError(`${op}: ${name} must have 1 channel ([N, 1, S, S]), got ${desc}`);
  if (h !== w || (h !== 16 && h !== 28)) throw new RangeError(`${op}: ${name} must be 16×16 or 28×28 ([N, 1, S, S]), got ${desc}`);
  if (n < 1) throw new RangeError(`${op}: ${name} holds no image: ${desc}`);
  return { t, size: h as MnistClassifierSize };
}

function checkBatch(op: string, o: unknown): number {
  const opts = checkOptions<MnistFeatureOptions>(op, o ?? {});
  const b = opts.batch ?? 500;
  if (typeof b !== 'number' || !Number.isInteger(b) || b < 1) throw new RangeError(`${op}: batch must be a positive integer, got ${JSON.stringify(b)}`);
  return b;
}

/** Runs fn on successive row batches of x under noGrad, concatenating the [rows, width] results. */
function batched(x: Tensor, batch: number, width: number, fn: (xb: Tensor) => Tensor): Tensor {
  const n = x.shape[0];
  const out = new Float32Array(n * width);
  noGrad(() => {
    for (let r0 = 0; r0 < n; r0 += batch) {
      const rows = Math.min(batch, n - r0);
      tidy(() => {
        const y = fn(narrow(x, 0, r0, rows));
        out.set(y.dataSync() as Float32Array, r0 * width);
      });
    }
  });
  return tensor(out, { shape: [n, width] });
}

/**
 * Penultimate-layer features of the shipped MNIST classifier for the images' size.
 * @param images [N, 1, S, S] float32 in [-1, 1] (as td.data.mnist returns), S = 16 or 28
 * @param o batch: images per forward pass (default 500)
 * @returns [N, 64] float32 (a new tensor the caller owns); computed without gradients
 */
export function mnistFeatures(images: Tensor, o: MnistFeatureOptions = {}): Tensor {
  const op = 'mnistFeatures';
  const { t, size } = checkImages(op, images);
  const batch = checkBatch(op, o);
  const net = loadMnistClassifier(size);
  return batched(t, batch, MNIST_FEATURE_DIM, (xb) => net.features(xb));
}

/**
 * Logits of the shipped MNIST classifier for the images' size (argmax = predicted digit).
 * @param images [N, 1, S, S] float32 in [-1, 1], S = 16 or 28
 * @param o batch: images per forward pass (default 500)
 * @returns [N, 10] float32 logits (a new tensor the caller owns); computed without gradients
 */
export function mnistClassify(images: Tensor, o: MnistFeatureOptions = {}): Tensor {
  const op = 'mnistClassify';
  const { t, size } = checkImages(op, images);
  const batch = checkBatch(op, o);
  const net = loadMnistClassifier(size);
  return batched(t, batch, 10, (xb) => net.forward(xb));
}

/**
 * "FID for MNIST": frechetDistance(mnistFeatures(generated), mnistFeatures(reference)).
 * Both sets must have the same image size (16 or 28) and at least 2 images. Lower is better;
 * with few images the value is biased upwards (docs/metrics.md gives the figures).
 * @param generated [N, 1, S, S] float32 in [-1, 1]
 * @param reference [M, 1, S, S] float32 in [-1, 1]
 */
export function mnistFrechet(generated: Tensor, reference: Tensor): number {
  const op = 'mnistFrechet';
  const g = checkImages(op, generated, 'generated'), r = checkImages(op, reference, 'reference');
  if (g.size !== r.size)
    throw new RangeError(`${op}: generated and reference must have the same image size, got [${g.t.shape.join(', ')}] ${g.t.dtype} and [${r.t.shape.join(', ')}] ${r.t.dtype}`);
  if (g.t.shape[0] < 2 || r.t.shape[0] < 2)
    throw new RangeError(`${op}: need at least 2 images in each set, got [${g.t.shape.join(', ')}] ${g.t.dtype} and [${r.t.shape.join(', ')}] ${r.t.dtype}`);
  const fg = mnistFeatures(g.t), fr = mnistFeatures(r.t);
  try {
    return frechetDistance(fg, fr);
  } finally {
    fg.dispose();
    fr.dispose();
  }
}
