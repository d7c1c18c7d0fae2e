// index.ts — `td.viz`: PNG pictures without a browser: image grids, 2-D scatter plots and line
// plots, encoded with pngjs. User guide: docs/data.md.
export { imageGrid } from './grid';
export type { ImageGridOptions } from './grid';
export { scatterPlot, scatterPixel } from './scatter';
export type { ScatterPlotOptions } from './scatter';
export { linePlot, lineFrame } from './line';
export type { LineSeries, LinePlotOptions, LineFrame } from './line';
export { Canvas, PALETTE } from './canvas';
export type { RGB } from './canvas';
