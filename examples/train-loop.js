// train-loop.js — tensordiff inside another Node program: a flow-matching training loop on the
// checkerboard, then a checkpoint. Usage: node examples/train-loop.js [steps=2000] [out=flow.safetensors]
const td = require('..');
const { createModel, features } = require('./flow-model');

const steps = Number(process.argv[2] ?? 2000), file = process.argv[3] ?? 'flow.safetensors';
td.manualSeed(0);                                                   // initial weights, t and noise
const model = createModel();
const opt = new td.optim.AdamW(model.parameters(), { lr: 2e-3, weightDecay: 0 });
const B = 512;
for (let step = 1; step <= steps; step++) {
  const loss = td.tidy(() => {                                      // frees every intermediate
    const x = td.data.checkerboard(B, { seed: step });              // data [B, 2]
    const t = td.rand([B, 1]), eps = td.randn([B, 2]);              // time [B, 1], noise [B, 2]
    const zt = td.sub(1, t).mul(x).add(t.mul(eps));                 // z_t = (1 - t) x + t eps
    opt.zeroGrad();
    const l = td.mseLoss(model.forward(features(zt, t)), eps.sub(x)); // target velocity eps - x
    l.backward();
    opt.step();
    return l.item();
  });
  if (step % 500 === 0 || step === steps) console.log(`step ${step} loss ${loss.toFixed(4)}`);
}
td.io.save(model.stateDict(), file, { model: 'flow-mlp-128', steps: String(steps) });
console.log(`saved ${file}`);
opt.dispose();
model.dispose();
