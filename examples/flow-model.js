// flow-model.js — the velocity network of `tensordiff demo` (lib/cli/flowDemo.ts) in plain JS, so
// the examples can train it and load the demo's model.safetensors key for key.
// Input: [z (2), t (1), sin(πf·t), cos(πf·t)] for f = 1, 2, 4, ..., 32 → 15 features; output: v̂ [B, 2].
const td = require('..');

const FREQS = [1, 2, 4, 8, 16, 32].map((f) => f * Math.PI);

/** Network input: z [B, 2], t [B, 1] → [B, 15]. */
function features(z, t) {
  const tf = td.mul(t, td.tensor(FREQS)); // [B, 6]
  return td.cat([z, t, tf.sin(), tf.cos()], 1);
}

/** Linear(15, H) → SiLU → Linear(H, H) → SiLU → Linear(H, H) → SiLU → Linear(H, 2). */
function createModel(hidden = 128) {
  const { nn } = td;
  return new nn.Sequential(
    new nn.Linear(15, hidden), new nn.SiLU(),
    new nn.Linear(hidden, hidden), new nn.SiLU(),
    new nn.Linear(hidden, hidden), new nn.SiLU(),
    new nn.Linear(hidden, 2),
  );
}

/** v̂(z, t) for z [B, 2] at one time t (a number) → [B, 2]. */
function velocity(model, z, t) {
  return td.tidy(() => model.forward(features(z, td.full([z.shape[0], 1], t))));
}

module.exports = { features, createModel, velocity };
