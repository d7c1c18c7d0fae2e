// viz.test.ts — td.viz: the PNGs written by imageGrid, scatterPlot and linePlot are decoded with
// pngjs and their pixels checked against the documented layout (a known value at a known grid
// position, padding, a scatter point's color at its expected pixel, a line's pixels, axes).
// Files go to a fresh directory under os.tmpdir() only.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { PNG } from 'pngjs';
import * as td from '../lib/index';
import * as viz from '../lib/viz';
import { throwsKind } from './helpers/check';

const dir = mkdtempSync(join(tmpdir(), 'td-viz-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** Decoded PNG: size and a pixel reader. */
function decode(buf: Buffer) {
  const png = PNG.sync.read(buf);
  return {
    width: png.width,
    height: png.height,
    px: (x: number, y: number) => { const o = (y * png.width + x) * 4; return [png.data[o], png.data[o + 1], png.data[o + 2]]; },
  };
}

t.test('imageGrid: layout, value mapping, padding, RGB, file and buffer', async (t) => {
  // 3 grey images [3, 1, 2, 3]; image k has value (k·6 + i·3 + j)/17 at (i, j), range [0, 1]
  const vals = Array.from({ length: 18 }, (_, q) => q / 17);
  const x = td.tensor(vals, { shape: [3, 1, 2, 3] });
  const path = join(dir, 'grid.png');
  const buf = viz.imageGrid(x, path, { nrow: 2, padding: 1, range: [0, 1] });
  t.same(readFileSync(path), buf, 'the file holds the returned PNG');
  const img = decode(readFileSync(path));
  t.same([img.width, img.height], [2 * (3 + 1) + 1, 2 * (2 + 1) + 1], 'size: 2 columns × 2 rows of 3×2 images, padding 1');
  const q = (v: number) => Math.floor(255 * v + 0.5);
  for (let k = 0; k < 3; k++) {
    const x0 = 1 + (k % 2) * 4, y0 = 1 + Math.floor(k / 2) * 3;
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) {
      const g = q((k * 6 + i * 3 + j) / 17);
      t.same(img.px(x0 + j, y0 + i), [g, g, g], `image ${k} pixel (${i}, ${j}) at (${x0 + j}, ${y0 + i})`);
    }
  }
  t.same(img.px(0, 0), [0, 0, 0], 'padding is black');
  t.same(img.px(4, 1), [0, 0, 0], 'padding between columns');
  t.same(img.px(6, 5), [0, 0, 0], 'the empty 4th slot is padding');
  // RGB, clamping, default range [-1, 1], options form, padValue
  const rgb = td.tensor([[[[-1, 3]], [[0, 0.5]], [[1, -5]]]]); // [1, 3, 1, 2]
  const b2 = viz.imageGrid(rgb, { padding: 2, padValue: 1 });
  const im2 = decode(b2);
  t.same([im2.width, im2.height], [2 + 4, 1 + 4]);
  t.same(im2.px(2, 2), [0, q(0.5), 255], 'RGB pixel (0, 0): (−1, 0, 1) → (0, 128, 255)');
  t.same(im2.px(3, 2), [255, q(0.75), 0], 'RGB pixel (0, 1): (3 clamped, 0.5, −5 clamped)');
  t.same(im2.px(0, 0), [255, 255, 255], 'padValue 1 is white');
  throwsKind(t, () => viz.imageGrid(td.zeros([2, 2, 4, 4])), RangeError, 'C = 2');
  throwsKind(t, () => viz.imageGrid(td.zeros([4, 4])), RangeError, '2-D input');
  throwsKind(t, () => viz.imageGrid(td.zeros([1, 1, 4, 4]), { nrow: 0 }), RangeError, 'nrow 0');
  throwsKind(t, () => viz.imageGrid(td.zeros([1, 1, 4, 4]), { range: [1, 1] }), RangeError, 'range [1, 1]');
  throwsKind(t, () => viz.imageGrid(td.zeros([1, 1, 4, 4]), { padValue: 2 }), RangeError, 'padValue 2');
  throwsKind(t, () => viz.imageGrid(td.zeros([1, 1, 4, 4]), { path: '' }), TypeError, 'empty path');
  throwsKind(t, () => viz.imageGrid([1, 2] as unknown as td.Tensor), TypeError, 'not a tensor');
});

t.test('scatterPlot: points at their pixels, reference under samples, axes, clipping', async (t) => {
  const W = 101, H = 81;
  const xlim: [number, number] = [-1, 1], ylim: [number, number] = [-2, 2];
  const samples = td.tensor([[0.5, 1], [-0.5, -1], [0.9, 1.9], [5, 0]]);
  const reference = td.tensor([[-0.5, 1], [-0.5, -1]]);
  const path = join(dir, 'scatter.png');
  viz.scatterPlot(samples, { reference, path, width: W, height: H, xlim, ylim, radius: 0 });
  const img = decode(readFileSync(path));
  t.same([img.width, img.height], [W, H]);
  // (x, y) → (round((x + 1)/2·100), round((2 − y)/4·80))
  const orange = [255, 127, 14], blue = [31, 119, 180], white = [255, 255, 255], grey = [210, 210, 210];
  t.same(img.px(75, 20), orange, 'sample (0.5, 1) at pixel (75, 20)');
  t.same(img.px(95, 2), orange, 'sample (0.9, 1.9) at pixel (95, 2)');
  t.same(img.px(25, 20), blue, 'reference (−0.5, 1) at pixel (25, 20)');
  t.same(img.px(25, 60), orange, 'a sample drawn over a reference point at the same pixel');
  t.same(img.px(76, 20), white, 'radius 0: the neighbour stays white');
  t.same(img.px(50, 10), grey, 'the y axis (x = 0) at column 50');
  t.same(img.px(10, 40), grey, 'the x axis (y = 0) at row 40');
  t.same(img.px(100, 40), grey, 'the out-of-range sample (5, 0) is not drawn (axis shows)');
  t.same(img.px(10, 10), white, 'background');
  t.same(viz.scatterPixel(0.5, 1, xlim, ylim, W, H), [75, 20], 'scatterPixel agrees');
  // radius 1 (default): a 3×3 square; custom colors; default limits contain every point
  const b = decode(viz.scatterPlot(td.tensor([[0, 0], [1, 1]]), { width: 50, height: 50, color: [1, 2, 3] }));
  // default limits: [−0.05, 1.05]²: (0, 0) → (round(0.05/1.1·49), round(1.05/1.1·49)) = (2, 47)
  for (const [dx, dy] of [[0, 0], [1, 1], [-1, -1], [1, -1]]) t.same(b.px(2 + dx, 47 + dy), [1, 2, 3], `default radius 1 covers (${2 + dx}, ${47 + dy})`);
  t.same(b.px(47, 2), [1, 2, 3], 'point (1, 1) at (47, 2)');
  throwsKind(t, () => viz.scatterPlot(td.zeros([3, 3])), RangeError, 'samples [3, 3]');
  throwsKind(t, () => viz.scatterPlot(td.zeros([3, 2]), { reference: td.zeros([3]) }), RangeError, 'reference [3]');
  throwsKind(t, () => viz.scatterPlot(td.zeros([3, 2]), { xlim: [1, 0] }), RangeError, 'xlim [1, 0]');
  throwsKind(t, () => viz.scatterPlot(td.zeros([3, 2]), { width: 1 }), RangeError, 'width 1');
  throwsKind(t, () => viz.scatterPlot(td.zeros([3, 2]), { color: [0, 0, 256] }), TypeError, 'color out of range');
});

t.test('linePlot: axes, a constant and a linear series, log scale', async (t) => {
  const W = 100, H = 60, m = 10;
  const fr = viz.lineFrame(W, H, m);
  t.same(fr, { ax: 10, ay: 49, x0: 11, x1: 89, y0: 10, y1: 48 }, 'frame of a 100×60 plot with margin 10');
  const path = join(dir, 'line.png');
  viz.linePlot([{ name: 'up', values: [0, 1, 2, 3, 4] }, { name: 'flat', values: [4, 4, 4, 4, 4] }], { path, width: W, height: H, margin: m });
  const img = decode(readFileSync(path));
  t.same([img.width, img.height], [W, H]);
  const blue = [31, 119, 180], orange = [255, 127, 14], black = [0, 0, 0], white = [255, 255, 255];
  t.same(img.px(10, 30), black, 'y axis at column 10');
  t.same(img.px(50, 49), black, 'x axis at row 49');
  // 'flat' (drawn second, on top) is the top row y0 = 10 from column 11 to 89
  let flatOk = 0;
  for (let x = 11; x <= 89; x++) if (img.px(x, 10).join() === orange.join()) flatOk++;
  t.equal(flatOk, 79, "the constant series 4 fills row 10, columns 11..89");
  t.same(img.px(90, 10), white, 'nothing right of the frame');
  // 'up' goes from (11, 48) to (89, 10): every column has a blue pixel within 1 row of the straight line
  let worst = 0;
  for (let x = 11; x <= 88; x++) {
    const yLine = 48 + ((x - 11) / 78) * (10 - 48);
    let best = Infinity;
    for (let y = 0; y < H; y++) if (img.px(x, y).join() === blue.join()) best = Math.min(best, Math.abs(y - yLine));
    worst = Math.max(worst, best);
  }
  t.ok(worst <= 1, `the linear series is a straight line from (11, 48) to (89, 10) (worst row distance ${worst})`);
  t.same(img.px(11, 48), blue, 'first point of the linear series');
  t.same(img.px(30, 20), white, 'background away from the lines');
  // log scale: [1, 10, 100] → rows y0, middle, y1; ticks at the decades
  const lg = decode(viz.linePlot([{ name: 'l', values: [1, 10, 100], color: [9, 9, 9] }], { width: W, height: H, margin: m, logY: true }));
  t.same(lg.px(11, 48), [9, 9, 9], '1 at the bottom row');
  t.same(lg.px(50, 29), [9, 9, 9], '10 in the middle row');
  t.same(lg.px(89, 10), [9, 9, 9], '100 at the top row');
  t.same(lg.px(8, 29), black, 'tick at 10');
  // non-positive values break a log line
  const br = decode(viz.linePlot([{ name: 'b', values: [1, 0, 100] }], { width: W, height: H, margin: m, logY: true }));
  t.same(br.px(30, 29), white, 'a value <= 0 breaks the line under logY');
  throwsKind(t, () => viz.linePlot([]), TypeError, 'no series');
  throwsKind(t, () => viz.linePlot([{ name: 'x', values: [] }]), RangeError, 'empty series');
  throwsKind(t, () => viz.linePlot([{ name: 'x', values: ['a'] as unknown as number[] }]), TypeError, 'non-number values');
  throwsKind(t, () => viz.linePlot([{ name: 3 as unknown as string, values: [1] }]), TypeError, 'name 3');
  throwsKind(t, () => viz.linePlot([{ name: 'x', values: [1] }], { logY: true, ylim: [0, 1] }), RangeError, 'logY with ylim from 0');
  throwsKind(t, () => viz.linePlot([{ name: 'x', values: [1] }], { margin: 300 }), RangeError, 'margin 300 on a 640×400 plot');
});
