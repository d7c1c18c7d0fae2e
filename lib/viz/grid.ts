// grid.ts — imageGrid: a batch of images [N, C, H, W] (C = 1 grey or 3 RGB) tiled into one PNG,
// laid out like torchvision's make_grid (nrow images per row, `padding` pixels around each).
import { Tensor } from '../tensor';
import { checkIsTensor, checkOptions } from '../data/args';
import { Canvas, checkInt, checkLim, finishPNG } from './canvas';

/** Options of {@link imageGrid}. */
export interface ImageGridOptions {
  /** Write the PNG here (it is returned either way). */
  path?: string;
  /** Images per row (default 8). */
  nrow?: number;
  /** Pixels between and around the images (default 2). */
  padding?: number;
  /** Values mapped to black and white (default [-1, 1]); values outside are clamped. */
  range?: [number, number];
  /** Grey level of the padding, 0..1 (default 0, black). */
  padValue?: number;
}

/**
 * Tiles x [N, C, H, W] (C = 1 or 3) into a PNG: image k goes to row ⌊k / nrow⌋, column k mod nrow,
 * its top-left pixel at (padding + col·(W + padding), padding + row·(H + padding)); the PNG is
 * (min(N, nrow)·(W + padding) + padding) × (⌈N / nrow⌉·(H + padding) + padding). A value v becomes
 * ⌊255·clamp((v − lo)/(hi − lo), 0, 1) + 0.5⌋ (NaN → 0). Returns the PNG bytes; writes them to
 * `path` (second argument or options.path) when given.
 */
export function imageGrid(x: Tensor, pathOrOptions?: string | ImageGridOptions, options?: ImageGridOptions): Buffer {
  const op = 'imageGrid';
  checkIsTensor(op, x, 'x');
  let o: Partial<ImageGridOptions>;
  let path: unknown;
  if (typeof pathOrOptions === 'string') {
    o = checkOptions<ImageGridOptions>(op, options);
    path = pathOrOptions;
  } else {
    if (options !== undefined) throw new TypeError(`${op}: pass options as the second argument, or a path then options`);
    o = checkOptions<ImageGridOptions>(op, pathOrOptions);
    path = o.path;
  }
  if (x.ndim !== 4 || (x.shape[1] !== 1 && x.shape[1] !== 3))
    throw new RangeError(`${op}: x must be [N, C, H, W] with C = 1 or 3, got [${x.shape.join(', ')}] (${x.dtype})`);
  const [N, C, H, W] = x.shape;
  if (N < 1 || H < 1 || W < 1) throw new RangeError(`${op}: x is empty: [${x.shape.join(', ')}]`);
  const nrow = checkInt(op, 'nrow', o.nrow, 8, 1, 1 << 16);
  const pad = checkInt(op, 'padding', o.padding, 2, 0, 1 << 10);
  const [lo, hi] = checkLim(op, 'range', o.range) ?? [-1, 1];
  const pv = o.padValue ?? 0;
  if (typeof pv !== 'number' || !(pv >= 0 && pv <= 1)) throw new RangeError(`${op}: padValue must be in [0, 1], got ${String(pv)}`);
  const cols = Math.min(N, nrow), rows = Math.ceil(N / nrow);
  const width = cols * (W + pad) + pad, height = rows * (H + pad) + pad;
  if (width * height > 1 << 28) throw new RangeError(`${op}: the grid would be ${width}×${height} pixels, too large`);
  const g = Math.floor(255 * pv + 0.5);
  const canvas = new Canvas(width, height, [g, g, g]);
  const v = x.dataSync(); // [N, C, H, W] row-major
  const q = (a: number) => {
    const u = (a - lo) / (hi - lo);
    return Number.isNaN(u) ? 0 : Math.floor(255 * Math.min(1, Math.max(0, u)) + 0.5);
  };
  for (let k = 0; k < N; k++) {
    const x0 = pad + (k % nrow) * (W + pad), y0 = pad + Math.floor(k / nrow) * (H + pad);
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < W; j++) {
        const base = k * C * H * W + i * W + j;
        const r = q(v[base]);
        canvas.set(x0 + j, y0 + i, C === 1 ? [r, r, r] : [r, q(v[base + H * W]), q(v[base + 2 * H * W])]);
      }
    }
  }
  return finishPNG(op, canvas, path);
}
