// checkpoint-sample.js — load a checkpoint (from train-loop.js, or `tensordiff demo`'s model.safetensors),
// sample it, save the samples with td.io and plot them.
// Usage: node examples/checkpoint-sample.js [checkpoint=flow.safetensors] [out=flow-samples.png]
const td = require('..');
const { createModel, velocity } = require('./flow-model');

const file = process.argv[2] ?? 'flow.safetensors', png = process.argv[3] ?? 'flow-samples.png';
const model = createModel();
const sd = td.io.load(file);                                        // { '0.weight': Tensor [128, 15], ... }
model.loadStateDict(sd);                                            // every key and shape must match
td.dispose(Object.values(sd));
const x = td.diffusion.flowHeun({ shape: [2000, 2], seed: 0, steps: 50, velocity: (z, t) => velocity(model, z, t) });
td.io.save({ samples: x }, png.replace(/\.png$/, '') + '.safetensors');   // [2000, 2]
td.viz.scatterPlot(x, { reference: td.data.checkerboard(2000, { seed: 1 }), path: png });
console.log(`wrote ${png} and the ${x.shape.join('x')} samples`);
