// line.ts — linePlot: training curves (one or more named series of numbers, x = index) as a PNG
// with a black x/y axis, optional log-scale y, each series a 1-pixel polyline in its palette color.
// No text is drawn: series names are only used to check arguments (the caller keeps the legend).
import { checkOptions } from '../data/args';
import { Canvas, PALETTE, RGB, checkColor, checkInt, checkLim, finishPNG } from './canvas';

/** One curve: values[i] is plotted at x = i. */
export interface LineSeries {
  name: string;
  values: readonly number[] | Float32Array | Float64Array;
  /** Default: PALETTE[k] for the k-th series. */
  color?: [number, number, number];
}

/** Options of {@link linePlot}. */
export interface LinePlotOptions {
  /** Write the PNG here (it is returned either way). */
  path?: string;
  /** Image size in pixels (default 640 × 400). */
  width?: number;
  height?: number;
  /** Plot log10 of the values (values <= 0 break the line). Default false. */
  logY?: boolean;
  /** y range shown, in data units (default: min and max of the plotted values). */
  ylim?: [number, number];
  /** Blank pixels around the plot (default 20). */
  margin?: number;
}

/** The plot's pixel frame: data columns [x0, x1], data rows [y0 (top), y1 (bottom)], axes at column ax and row ay. */
export interface LineFrame { x0: number; x1: number; y0: number; y1: number; ax: number; ay: number }

/** The pixel frame linePlot uses for a width×height image with the given margin. */
export function lineFrame(width: number, height: number, margin: number): LineFrame {
  return { ax: margin, ay: height - 1 - margin, x0: margin + 1, x1: width - 1 - margin, y0: margin, y1: height - 2 - margin };
}

/**
 * Line plot of `series` on a white background. With L the longest series and [lo, hi] the y range
 * (log10 units when logY), value v at index i is drawn at column x0 + round(i/(L − 1)·(x1 − x0))
 * and row y0 + round((hi − v)/(hi − lo)·(y1 − y0)) of {@link lineFrame}(width, height, margin);
 * consecutive finite points are joined by Bresenham lines; the axes are black lines along column
 * ax (rows margin..ay) and row ay (columns ax..width − 1 − margin), with small ticks at each power
 * of ten when logY. Returns the PNG bytes; writes them to options.path when given.
 */
export function linePlot(series: readonly LineSeries[], options: LinePlotOptions = {}): Buffer {
  const op = 'linePlot';
  if (!Array.isArray(series) || series.length === 0) throw new TypeError(`${op}: series must be a non-empty array of {name, values}`);
  series.forEach((s, k) => {
    if (s === null || typeof s !== 'object') throw new TypeError(`${op}: series[${k}] must be {name, values}`);
    if (typeof s.name !== 'string') throw new TypeError(`${op}: series[${k}].name must be a string`);
    const v = s.values as unknown;
    if (!(Array.isArray(v) || v instanceof Float32Array || v instanceof Float64Array)) throw new TypeError(`${op}: series[${k}] ('${s.name}') values must be an array of numbers`);
    if ((v as ArrayLike<unknown>).length === 0) throw new RangeError(`${op}: series[${k}] ('${s.name}') has no values`);
    if (Array.isArray(v) && v.some((a) => typeof a !== 'number')) throw new TypeError(`${op}: series[${k}] ('${s.name}') values must all be numbers`);
    if (s.color !== undefined) checkColor(op, `series[${k}].color`, s.color);
  });
  const o = checkOptions<LinePlotOptions>(op, options);
  const width = checkInt(op, 'width', o.width, 640, 8, 1 << 14);
  const height = checkInt(op, 'height', o.height, 400, 8, 1 << 14);
  const margin = checkInt(op, 'margin', o.margin, 20, 0, Math.floor(Math.min(width, height) / 2) - 3);
  if (o.logY !== undefined && typeof o.logY !== 'boolean') throw new TypeError(`${op}: logY must be a boolean`);
  const logY = o.logY ?? false;
  const f = (v: number) => (logY ? (v > 0 ? Math.log10(v) : NaN) : v);
  let ylim = checkLim(op, 'ylim', o.ylim);
  if (ylim && logY) {
    if (!(ylim[0] > 0)) throw new RangeError(`${op}: with logY, ylim must be positive, got [${ylim[0]}, ${ylim[1]}]`);
    ylim = [Math.log10(ylim[0]), Math.log10(ylim[1])];
  }
  if (!ylim) {
    let lo = Infinity, hi = -Infinity;
    for (const s of series) for (const v of s.values) { const y = f(v); if (Number.isFinite(y)) { lo = Math.min(lo, y); hi = Math.max(hi, y); } }
    ylim = lo === Infinity ? [0, 1] : lo === hi ? [lo - (logY ? 0.5 : 1), hi + (logY ? 0.5 : 1)] : [lo, hi];
  }
  const [lo, hi] = ylim;
  const L = Math.max(...series.map((s) => s.values.length));
  const fr = lineFrame(width, height, margin);
  const canvas = new Canvas(width, height);
  const black: RGB = [0, 0, 0];
  canvas.line(fr.ax, margin, fr.ax, fr.ay, black);
  canvas.line(fr.ax, fr.ay, width - 1 - margin, fr.ay, black);
  const row = (y: number) => fr.y0 + Math.round(((hi - y) / (hi - lo)) * (fr.y1 - fr.y0));
  if (logY) for (let d = Math.ceil(lo); d <= Math.floor(hi); d++) canvas.line(fr.ax - 3, row(d), fr.ax - 1, row(d), black);
  series.forEach((s, k) => {
    const c: RGB = s.color ?? PALETTE[k % PALETTE.length];
    let prev: [number, number] | undefined;
    for (let i = 0; i < s.values.length; i++) {
      const y = f(s.values[i]);
      if (!Number.isFinite(y) || y < lo || y > hi) { prev = undefined; continue; }
      const p: [number, number] = [fr.x0 + (L === 1 ? 0 : Math.round((i / (L - 1)) * (fr.x1 - fr.x0))), row(y)];
      if (prev) canvas.line(prev[0], prev[1], p[0], p[1], c);
      else canvas.set(p[0], p[1], c);
      prev = p;
    }
  });
  return finishPNG(op, canvas, o.path);
}
