// canvas.ts — a tiny RGB raster for the PNG writers: pixels, filled rectangles, discs and
// Bresenham lines, encoded to PNG (8-bit RGB) with pngjs and optionally written to a file.
import { writeFileSync } from 'fs';
import { PNG } from 'pngjs';

/** An RGB color, each channel 0..255. */
export type RGB = readonly [number, number, number];

/** The tab10 palette (matplotlib's default cycle). */
export const PALETTE: readonly RGB[] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];

/** Throws unless c is an [r, g, b] triple of integers 0..255. */
export function checkColor(op: string, name: string, c: unknown): RGB {
  if (!Array.isArray(c) || c.length !== 3 || c.some((v) => typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255))
    throw new TypeError(`${op}: ${name} must be [r, g, b] with integers 0..255, got ${JSON.stringify(c)}`);
  return c as unknown as RGB;
}

/** A width×height RGBA raster (alpha always 255), origin at the top-left. */
export class Canvas {
  readonly data: Buffer;

  constructor(readonly width: number, readonly height: number, background: RGB = [255, 255, 255]) {
    this.data = Buffer.alloc(width * height * 4);
    this.fillRect(0, 0, width, height, background);
  }

  /** Sets pixel (x, y) when it is inside the canvas (x, y rounded to integers). */
  set(x: number, y: number, c: RGB): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const o = (y * this.width + x) * 4;
    this.data[o] = c[0];
    this.data[o + 1] = c[1];
    this.data[o + 2] = c[2];
    this.data[o + 3] = 255;
  }

  /** The [r, g, b] of pixel (x, y). */
  get(x: number, y: number): RGB {
    const o = (y * this.width + x) * 4;
    return [this.data[o], this.data[o + 1], this.data[o + 2]];
  }

  /** Fills the w×h rectangle whose top-left pixel is (x, y). */
  fillRect(x: number, y: number, w: number, h: number, c: RGB): void {
    for (let j = Math.max(0, y); j < Math.min(this.height, y + h); j++) for (let i = Math.max(0, x); i < Math.min(this.width, x + w); i++) this.set(i, j, c);
  }

  /** A filled disc of radius r around pixel (x, y): every (dx, dy) with dx² + dy² <= r² + r. */
  disc(x: number, y: number, r: number, c: RGB): void {
    for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) if (dx * dx + dy * dy <= r * r + r) this.set(x + dx, y + dy, c);
  }

  /** A 1-pixel line from (x0, y0) to (x1, y1) (integer pixels, Bresenham; both ends drawn). */
  line(x0: number, y0: number, x1: number, y1: number, c: RGB): void {
    x0 = Math.round(x0); y0 = Math.round(y0); x1 = Math.round(x1); y1 = Math.round(y1);
    const dx = Math.abs(x1 - x0), dy = -Math.abs(y1 - y0);
    const sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    let err = dx + dy;
    for (let guard = 0; guard <= dx - dy + 1; guard++) {
      this.set(x0, y0, c);
      if (x0 === x1 && y0 === y1) break;
      const e2 = 2 * err;
      if (e2 >= dy) { err += dy; x0 += sx; }
      if (e2 <= dx) { err += dx; y0 += sy; }
    }
  }

  /** The PNG encoding (8-bit RGB, no alpha). */
  toPNG(): Buffer {
    const png = new PNG({ width: this.width, height: this.height });
    this.data.copy(png.data);
    return PNG.sync.write(png, { colorType: 2 });
  }
}

/** Encodes the canvas; writes the PNG to `path` when one is given. Returns the PNG bytes. */
export function finishPNG(op: string, canvas: Canvas, path: unknown): Buffer {
  const buf = canvas.toPNG();
  if (path !== undefined) {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError(`${op}: path must be a non-empty string, got ${String(path)}`);
    writeFileSync(path, buf);
  }
  return buf;
}

/** Throws unless v is an integer in [lo, hi]; returns v or the default. */
export function checkInt(op: string, name: string, v: unknown, dflt: number, lo: number, hi: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TypeError(`${op}: ${name} must be an integer, got ${String(v)}`);
  if (v < lo || v > hi) throw new RangeError(`${op}: ${name} must be in [${lo}, ${hi}], got ${v}`);
  return v;
}

/** Throws unless v is [lo, hi] with finite lo < hi; returns v or undefined. */
export function checkLim(op: string, name: string, v: unknown): [number, number] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.length !== 2 || !v.every((a) => typeof a === 'number' && Number.isFinite(a)))
    throw new TypeError(`${op}: ${name} must be [lo, hi] (finite numbers), got ${JSON.stringify(v)}`);
  if (!(v[0] < v[1])) throw new RangeError(`${op}: ${name} must have lo < hi, got [${v[0]}, ${v[1]}]`);
  return [v[0], v[1]];
}
