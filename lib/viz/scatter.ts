// scatter.ts — scatterPlot: 2-D samples [n, 2] (and optional reference points [m, 2], e.g. the
// training data) as a PNG, reference drawn first in blue, samples over it in orange.
import { Tensor } from '../tensor';
import { checkMatrix, checkOptions } from '../data/args';
import { Canvas, PALETTE, RGB, checkColor, checkInt, checkLim, finishPNG } from './canvas';

/** Options of {@link scatterPlot}. */
export interface ScatterPlotOptions {
  /** Points drawn under the samples, in `referenceColor` (e.g. the data the model was trained on). */
  reference?: Tensor;
  /** Write the PNG here (it is returned either way). */
  path?: string;
  /** Image size in pixels (default 512 × 512). */
  width?: number;
  height?: number;
  /** Data range shown (default: the bounding box of all points plus 5% on each side). */
  xlim?: [number, number];
  ylim?: [number, number];
  /** Point radius in pixels (default 1: a 3×3 square); 0 draws single pixels. */
  radius?: number;
  /** Colors (default orange [255, 127, 14] for samples, blue [31, 119, 180] for the reference). */
  color?: [number, number, number];
  referenceColor?: [number, number, number];
}

/** The pixel that scatterPlot maps (x, y) to, for limits xlim, ylim and a width×height image (y up). */
export function scatterPixel(x: number, y: number, xlim: [number, number], ylim: [number, number], width: number, height: number): [number, number] {
  return [Math.round(((x - xlim[0]) / (xlim[1] - xlim[0])) * (width - 1)), Math.round(((ylim[1] - y) / (ylim[1] - ylim[0])) * (height - 1))];
}

function bounds(vals: ArrayLike<number>[], axis: number): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const v of vals) for (let i = axis; i < v.length; i += 2) if (Number.isFinite(v[i])) { lo = Math.min(lo, v[i]); hi = Math.max(hi, v[i]); }
  if (lo === Infinity) return [-1, 1];
  if (lo === hi) return [lo - 1, hi + 1];
  const m = 0.05 * (hi - lo);
  return [lo - m, hi + m];
}

/**
 * Scatter plot of samples [n, 2] on a white background, with light-grey axes through 0 when 0 is in
 * range. Point (x, y) is drawn at pixel (round((x − x0)/(x1 − x0)·(width − 1)),
 * round((y1 − y)/(y1 − y0)·(height − 1))) (see {@link scatterPixel}); points outside the limits and
 * non-finite points are skipped. Returns the PNG bytes; writes them to options.path when given.
 */
export function scatterPlot(samples: Tensor, options: ScatterPlotOptions = {}): Buffer {
  const op = 'scatterPlot';
  checkMatrix(op, samples, 'samples', 2);
  const o = checkOptions<ScatterPlotOptions>(op, options);
  if (o.reference !== undefined) checkMatrix(op, o.reference, 'reference', 2);
  const width = checkInt(op, 'width', o.width, 512, 2, 1 << 14);
  const height = checkInt(op, 'height', o.height, 512, 2, 1 << 14);
  const radius = checkInt(op, 'radius', o.radius, 1, 0, 64);
  const color: RGB = o.color === undefined ? PALETTE[1] : checkColor(op, 'color', o.color);
  const refColor: RGB = o.referenceColor === undefined ? PALETTE[0] : checkColor(op, 'referenceColor', o.referenceColor);
  const s = samples.dataSync();
  const r = o.reference ? o.reference.dataSync() : undefined;
  const all = r ? [s, r] : [s];
  const xlim = checkLim(op, 'xlim', o.xlim) ?? bounds(all, 0);
  const ylim = checkLim(op, 'ylim', o.ylim) ?? bounds(all, 1);
  const canvas = new Canvas(width, height);
  const axis: RGB = [210, 210, 210];
  if (xlim[0] <= 0 && 0 <= xlim[1]) { const [px] = scatterPixel(0, 0, xlim, ylim, width, height); canvas.line(px, 0, px, height - 1, axis); }
  if (ylim[0] <= 0 && 0 <= ylim[1]) { const [, py] = scatterPixel(0, 0, xlim, ylim, width, height); canvas.line(0, py, width - 1, py, axis); }
  const draw = (v: ArrayLike<number>, c: RGB) => {
    for (let i = 0; i + 1 < v.length; i += 2) {
      const x = v[i], y = v[i + 1];
      if (!(x >= xlim[0] && x <= xlim[1] && y >= ylim[0] && y <= ylim[1])) continue;
      const [px, py] = scatterPixel(x, y, xlim, ylim, width, height);
      canvas.disc(px, py, radius, c);
    }
  };
  if (r) draw(r, refColor);
  draw(s, color);
  return finishPNG(op, canvas, o.path);
}
