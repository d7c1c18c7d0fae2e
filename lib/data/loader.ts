// loader.ts — DataLoader: seeded shuffling mini-batches over one tensor, an array of tensors or a
// record of tensors that share their first dim. Epoch e's order is a permutation drawn from
// (seed, e) alone (Fisher–Yates over Philox uniforms), so any epoch can be replayed.
import { Tensor } from '../tensor';
import { rand, tensor } from '../ops/creation';
import { indexSelect } from '../ops/indexing';
import { tidy } from '../memory';
import { deriveSeed } from '../diffusion/cld';
import { Seed, checkCount, checkIsTensor, checkOptions, checkSeed } from './args';

/** What a DataLoader iterates over: a tensor, an array of tensors or a record of tensors. */
export type Dataset = Tensor | readonly Tensor[] | { readonly [key: string]: Tensor };

/** Options of {@link DataLoader}. */
export interface DataLoaderOptions {
  /** Rows per batch (required). */
  batchSize: number;
  /** Draw a new permutation each epoch (default false: rows in order). */
  shuffle?: boolean;
  /** Seed of the permutations (default 0). */
  seed?: Seed;
  /** Drop the last, smaller batch of an epoch (default false). */
  dropLast?: boolean;
}

/** A batch has the dataset's structure: a tensor, an array of tensors or a record of tensors. */
export type Batch<D extends Dataset> = D extends Tensor ? Tensor : D extends readonly Tensor[] ? Tensor[] : { [K in keyof D]: Tensor };

/**
 * Seeded mini-batch iterator. `for (const batch of loader)` runs the next epoch (0, 1, 2, … on
 * successive loops); `loader.epoch(e)` replays epoch e. Each batch holds new tensors (rows gathered
 * with indexSelect) that the caller owns: dispose them, or consume them inside `tidy`.
 *
 * ```ts
 * const loader = new td.data.DataLoader({ x, y }, { batchSize: 128, shuffle: true, seed: 1 });
 * for (let ep = 0; ep < 10; ep++) for (const { x, y } of loader) td.tidy(() => step(x, y));
 * ```
 */
export class DataLoader<D extends Dataset> implements Iterable<Batch<D>> {
  /** Number of rows (the shared first dim). */
  readonly size: number;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: Seed;
  readonly dropLast: boolean;
  /** The epoch that the next `for … of` runs. */
  nextEpoch = 0;
  private readonly data: D;
  private readonly tensors: Tensor[];

  constructor(data: D, options: DataLoaderOptions) {
    const op = 'DataLoader';
    let tensors: Tensor[];
    if (data instanceof Tensor) tensors = [data];
    else if (Array.isArray(data)) tensors = data.map((t, i) => checkIsTensor(op, t, `data[${i}]`));
    else if (data !== null && typeof data === 'object') tensors = Object.entries(data).map(([k, t]) => checkIsTensor(op, t, `data.${k}`));
    else throw new TypeError(`${op}: data must be a Tensor, an array of Tensors or a record of Tensors, got ${data === null ? 'null' : typeof data}`);
    if (tensors.length === 0) throw new RangeError(`${op}: data holds no tensor`);
    checkIsTensor(op, tensors[0], 'data');
    for (const t of tensors) if (t.ndim === 0) throw new RangeError(`${op}: every tensor needs a first (row) dim, got a 0-d tensor`);
    const n = tensors[0].shape[0];
    if (tensors.some((t) => t.shape[0] !== n))
      throw new RangeError(`${op}: all tensors must share their first dim, got shapes ${tensors.map((t) => `[${t.shape.join(', ')}]`).join(', ')}`);
    if (n < 1) throw new RangeError(`${op}: data has no rows`);
    const o = checkOptions<DataLoaderOptions>(op, options);
    if (options === undefined) throw new TypeError(`${op}: options with batchSize are required`);
    this.batchSize = checkCount(op, o.batchSize, 'batchSize');
    if (o.shuffle !== undefined && typeof o.shuffle !== 'boolean') throw new TypeError(`${op}: shuffle must be a boolean`);
    if (o.dropLast !== undefined && typeof o.dropLast !== 'boolean') throw new TypeError(`${op}: dropLast must be a boolean`);
    this.shuffle = o.shuffle ?? false;
    this.dropLast = o.dropLast ?? false;
    this.seed = checkSeed(op, o.seed ?? 0);
    if (this.dropLast && n < this.batchSize) throw new RangeError(`${op}: dropLast with batchSize ${this.batchSize} > ${n} rows leaves no batch`);
    this.size = n;
    this.data = data;
    this.tensors = tensors;
  }

  /** Batches per epoch. */
  get length(): number {
    return this.dropLast ? Math.floor(this.size / this.batchSize) : Math.ceil(this.size / this.batchSize);
  }

  /** The row order of epoch e: the identity without shuffle, else a permutation drawn from (seed, e). */
  order(e: number): Int32Array {
    checkCount('DataLoader.order', e, 'epoch', 0);
    const n = this.size;
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    if (!this.shuffle) return idx;
    const u = rand([n], { dtype: 'float64', seed: deriveSeed(this.seed, e) });
    const ud = u.dataSync();
    u.dispose();
    for (let i = n - 1; i > 0; i--) {
      const j = Math.min(i, Math.floor(ud[i] * (i + 1)));
      const tmp = idx[i];
      idx[i] = idx[j];
      idx[j] = tmp;
    }
    return idx;
  }

  /** The batches of epoch e, in order (replayable: depends only on seed and e). */
  *epoch(e: number): Generator<Batch<D>> {
    const idx = this.order(e);
    const nb = this.length;
    for (let b = 0; b < nb; b++) {
      const rows = idx.slice(b * this.batchSize, Math.min(this.size, (b + 1) * this.batchSize));
      // the index tensor and indexSelect's intermediate views are freed here; the batch is kept
      yield tidy(() => this.gather(tensor(rows, { shape: [rows.length] }))); // rows: [B] int32
    }
  }

  /** Runs epoch `nextEpoch` and advances it. */
  [Symbol.iterator](): Iterator<Batch<D>> {
    return this.epoch(this.nextEpoch++);
  }

  private gather(sel: Tensor): Batch<D> {
    const d = this.data as Dataset;
    if (d instanceof Tensor) return indexSelect(d, 0, sel) as Batch<D>;
    if (Array.isArray(d)) return d.map((t: Tensor) => indexSelect(t, 0, sel)) as Batch<D>;
    const out: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(d)) out[k] = indexSelect(t, 0, sel);
    return out as Batch<D>;
  }
}
