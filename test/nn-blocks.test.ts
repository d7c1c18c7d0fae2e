// nn-blocks.test.ts — the diffusion building blocks of td.nn: sinusoidal timestep and Gaussian
// Fourier embeddings against their closed formulas, the 2-D sin-cos position embedding, patchify /
// unpatchify (index mapping, inverses), modulate, DiTBlock / FinalLayer (identity / zero at init,
// a plain-JS reference, gradcheck), PatchEmbed = patchify + linear, the U-Net ResBlock and attention
// block (skip at init, gradcheck), flat memory over a DiT-like training loop, and argument errors.
import t from 'tap';
import * as td from '../lib/index';
import * as nn from '../lib/nn/index';
import { AdamW } from '../lib/optim/index';
import { throwsKind, close, arr, uniform } from './helpers/check';
import { randomizeParams, linearJS, geluTanhJS, layerNormJS, mhaJS } from './helpers/nn-ref';

type Tensor = td.Tensor;
const f64 = (v: number[], shape: number[]) => td.tensor(new Float64Array(v), { shape });

t.test('timestepEmbedding against the closed formula', async (t) => {
  const ts = [0, 1, 17.5, 999];
  for (const dim of [8, 7]) {
    for (const sinFirst of [false, true]) {
      const half = Math.floor(dim / 2);
      const want: number[] = [];
      for (const s of ts) {
        const args = Array.from({ length: half }, (_, k) => s * Math.pow(10000, -k / half));
        const c = args.map(Math.cos), sn = args.map(Math.sin);
        want.push(...(sinFirst ? [...sn, ...c] : [...c, ...sn]), ...(dim % 2 ? [0] : []));
      }
      const e = nn.timestepEmbedding(f64(ts, [4]), dim, { sinFirst });
      t.same(e.shape, [4, dim]);
      t.equal(e.dtype, 'float64');
      close(t, e.dataSync(), want, 1e-12, 1e-12, `dim ${dim}, sinFirst ${sinFirst} (float64)`);
      const e32 = nn.timestepEmbedding(td.tensor(ts.map(Math.floor), { dtype: 'int32' }), dim, { sinFirst });
      t.equal(e32.dtype, 'float32', 'int32 steps give float32');
    }
  }
  const mp = nn.timestepEmbedding(td.tensor([3]), 4, { maxPeriod: 100 });
  close(t, mp.dataSync(), [Math.cos(3), Math.cos(3 / 10), Math.sin(3), Math.sin(3 / 10)], 1e-6, 1e-6, 'maxPeriod 100');
  throwsKind(t, () => nn.timestepEmbedding(td.zeros([2, 1]), 4), RangeError, 'a 2-d t');
  throwsKind(t, () => nn.timestepEmbedding(td.zeros([2]), 1), RangeError, 'dim 1');
});

t.test('Gaussian Fourier features', async (t) => {
  const g = new nn.GaussianFourierEmbedding(40000, { scale: 16, seed: 3 });
  t.equal(g.numParameters(), 0, 'the frequencies are not trainable by default');
  t.same(Object.keys(g.stateDict()), ['W'], 'they are a persistent buffer');
  const W = arr(g.W);
  t.equal(W.length, 20000);
  const mean = W.reduce((a, c) => a + c, 0) / W.length;
  const v = W.reduce((a, c) => a + (c - mean) ** 2, 0) / W.length;
  t.ok(Math.abs(v - 256) < 6 * 256 * Math.sqrt(2 / W.length), `W ~ N(0, 16²): variance ${v.toFixed(2)}`);
  const small = new nn.GaussianFourierEmbedding(6, { scale: 2, seed: 4, dtype: 'float64' });
  const w = arr(small.W);
  const xs = [0.1, -1.3];
  const want = xs.flatMap((x) => [...w.map((f) => Math.sin(2 * Math.PI * x * f)), ...w.map((f) => Math.cos(2 * Math.PI * x * f))]);
  close(t, small.forward(f64(xs, [2])).dataSync(), want, 1e-12, 1e-12, '[sin(2πxW), cos(2πxW)]');
  t.same(arr(new nn.GaussianFourierEmbedding(6, { scale: 2, seed: 4, dtype: 'float64' }).W), w, 'seeded');
  const tr = new nn.GaussianFourierEmbedding(6, { trainable: true });
  t.equal(tr.numParameters(), 3, 'trainable frequencies are a parameter');
  throwsKind(t, () => new nn.GaussianFourierEmbedding(5), RangeError, 'an odd dim');
});

t.test('TimestepEmbedder', async (t) => {
  td.manualSeed(5);
  const te = new nn.TimestepEmbedder(6, { frequencyEmbeddingSize: 8, dtype: 'float64' });
  t.same(te.namedParameters().map(([n]) => n), ['mlp.0.weight', 'mlp.0.bias', 'mlp.2.weight', 'mlp.2.bias'], "DiT's keys");
  t.same(arr(te.mlp.get(0).parameters()[1]), new Array(6).fill(0), 'biases start at zero');
  randomizeParams(te, 9);
  const [w1, b1, w2, b2] = te.parameters().map(arr);
  const ts = [3, 250];
  const emb = ts.flatMap((s) => {
    const a = Array.from({ length: 4 }, (_, k) => s * Math.pow(10000, -k / 4));
    return [...a.map(Math.cos), ...a.map(Math.sin)];
  });
  const h = linearJS(emb, 2, w1, b1, 8, 6).map((x) => x / (1 + Math.exp(-x)));
  close(t, te.forward(f64(ts, [2])).dataSync(), linearJS(h, 2, w2, b2, 6, 6), 1e-12, 1e-12, 'mlp(timestepEmbedding(t)) against JS');
});

t.test('2-D sin-cos position embedding (MAE / DiT)', async (t) => {
  // the reference code: grid = meshgrid(grid_w, grid_h) (w first); emb_h from grid[0], emb_w from grid[1];
  // each 1-D half is [sin(pos·ω), cos(pos·ω)] with ω_k = 1 / 10000^(k / (D/4))
  const ref = (D: number, h: number, w: number): number[] => {
    const oneD = (dim: number, pos: number[]) => pos.map((p) => {
      const om = Array.from({ length: dim / 2 }, (_, k) => 1 / 10000 ** (k / (dim / 2)));
      return [...om.map((o) => Math.sin(p * o)), ...om.map((o) => Math.cos(p * o))];
    });
    const g0: number[] = [], g1: number[] = [];
    for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) { g0.push(j); g1.push(i); }
    const eh = oneD(D / 2, g0), ew = oneD(D / 2, g1);
    return eh.flatMap((r, k) => [...r, ...ew[k]]);
  };
  for (const [D, gs] of [[16, 4], [8, [2, 3]], [12, 1]] as const) {
    const e = nn.sinCosPosEmbed2d(D, gs as number | [number, number], { dtype: 'float64' });
    const [h, w] = typeof gs === 'number' ? [gs, gs] : gs;
    t.same(e.shape, [h * w, D]);
    close(t, e.dataSync(), ref(D, h, w), 1e-13, 1e-13, `embedDim ${D}, grid ${JSON.stringify(gs)}`);
  }
  const e = arr(nn.sinCosPosEmbed2d(8, 3));
  t.same(e.slice(0, 8), [0, 0, 1, 1, 0, 0, 1, 1], 'token (0, 0) is [sin 0, cos 0, sin 0, cos 0]');
  close(t, e.slice(8, 16), [Math.sin(1), Math.sin(0.01), Math.cos(1), Math.cos(0.01), 0, 0, 1, 1], 1e-6, 1e-7, 'token 1 is row 0, column 1: the first half encodes the column');
  throwsKind(t, () => nn.sinCosPosEmbed2d(6, 2), RangeError, 'embedDim not divisible by 4');
  throwsKind(t, () => nn.sinCosPosEmbed2d(8, [2] as unknown as number), TypeError, 'a bad grid size');
});

t.test('patchify / unpatchify', async (t) => {
  const [B, C, H, W, p] = [2, 3, 4, 6, 2];
  const xv = Array.from({ length: B * C * H * W }, (_, i) => i);
  const x = f64(xv, [B, C, H, W]);
  const tok = nn.patchify(x, p);
  const h = H / p, w = W / p;
  t.same(tok.shape, [B, h * w, p * p * C]);
  // hand-computed index mapping: token (row, col), feature (pi·p + pj)·C + c  <-  x[b, c, row·p + pi, col·p + pj]
  const want: number[] = [];
  for (let b = 0; b < B; b++)
    for (let row = 0; row < h; row++)
      for (let col = 0; col < w; col++)
        for (let pi = 0; pi < p; pi++)
          for (let pj = 0; pj < p; pj++)
            for (let c = 0; c < C; c++) want.push(xv[((b * C + c) * H + row * p + pi) * W + col * p + pj]);
  t.same(arr(tok), want, 'patchify follows the (row, col) x (pi, pj, c) mapping');
  t.same(arr(nn.unpatchify(tok, p, C, [h, w])), xv, 'unpatchify ∘ patchify = identity');
  const sq = f64(uniform(2, 1 * 2 * 8 * 8), [1, 2, 8, 8]);
  t.same(arr(nn.unpatchify(nn.patchify(sq, 4), 4, 2)), arr(sq), 'square grids need no gridSize');
  const tk = f64(uniform(3, 2 * 6 * 12), [2, 6, 12]);
  t.same(arr(nn.patchify(nn.unpatchify(tk, 2, 3, [2, 3]), 2)), arr(tk), 'patchify ∘ unpatchify = identity');
  t.ok(td.gradcheck((a) => nn.patchify(a, 2), [f64(uniform(4, 2 * 4 * 4), [1, 2, 4, 4]).requiresGrad_()]), 'gradients pass through patchify');
  throwsKind(t, () => nn.patchify(x, 4), RangeError, 'H not divisible by p');
  throwsKind(t, () => nn.patchify(td.zeros([3, 4, 4]), 2), RangeError, 'a 3-d input');
  throwsKind(t, () => nn.unpatchify(tk, 2, 4, [2, 3]), RangeError, 'the wrong channel count');
  throwsKind(t, () => nn.unpatchify(tk, 2, 3), RangeError, 'a non-square token count without gridSize');
  throwsKind(t, () => nn.unpatchify(tk, 2, 3, [2, 2]), RangeError, 'a grid that does not hold the tokens');
});

t.test('modulate', async (t) => {
  const [B, T, D] = [2, 3, 4];
  const xv = uniform(5, B * T * D), sh = uniform(6, B * D), sc = uniform(7, B * D);
  const want = xv.map((v, i) => {
    const b = Math.floor(i / (T * D)), d = i % D;
    return v * (1 + sc[b * D + d]) + sh[b * D + d];
  });
  close(t, nn.modulate(f64(xv, [B, T, D]), f64(sh, [B, D]), f64(sc, [B, D])).dataSync(), want, 1e-14, 1e-15, 'x·(1 + scale) + shift');
  const x2 = nn.modulate(f64(xv.slice(0, B * D), [B, D]), f64(sh, [B, D]), f64(sc, [B, D]));
  t.same(x2.shape, [B, D], 'x [B, D] works too');
  throwsKind(t, () => nn.modulate(f64(xv, [B, T, D]), f64(sh, [D, B]), f64(sc, [B, D])), RangeError, 'shift of the wrong shape');
});

/** The DiT block in plain JS: params by name, x [B, T, D], c [B, D]. */
function ditBlockJS(P: Record<string, number[]>, x: number[], c: number[], B: number, T: number, D: number, H: number): number[] {
  const mod = linearJS(c.map((v) => v / (1 + Math.exp(-v))), B, P['adaLN_modulation.1.weight'], P['adaLN_modulation.1.bias'], D, 6 * D);
  const part = (k: number, b: number, d: number) => mod[b * 6 * D + k * D + d];
  const modul = (h: number[], ks: number, kc: number) => h.map((v, i) => {
    const b = Math.floor(i / (T * D)), d = i % D;
    return v * (1 + part(kc, b, d)) + part(ks, b, d);
  });
  const gate = (y: number[], kg: number, res: number[]) => res.map((v, i) => v + part(kg, Math.floor(i / (T * D)), i % D) * y[i]);
  const a = mhaJS(modul(layerNormJS(x, D, null, null, 1e-6), 0, 1), B, T, D, H, P['attn.in_proj_weight'], P['attn.in_proj_bias'], P['attn.out_proj.weight'], P['attn.out_proj.bias'], false);
  const x1 = gate(a, 2, x);
  const m2 = modul(layerNormJS(x1, D, null, null, 1e-6), 3, 4);
  const hid = P['mlp.fc1.bias'].length;
  const f1 = linearJS(m2, B * T, P['mlp.fc1.weight'], P['mlp.fc1.bias'], D, hid).map(geluTanhJS);
  const f2 = linearJS(f1, B * T, P['mlp.fc2.weight'], P['mlp.fc2.bias'], hid, D);
  return gate(f2, 5, x1);
}

t.test('DiTBlock and FinalLayer', async (t) => {
  const [B, T, D, H] = [2, 4, 8, 2];
  td.manualSeed(13);
  const blk = new nn.DiTBlock(D, H, { dtype: 'float64' });
  t.same(blk.namedParameters().map(([n]) => n), [
    'attn.in_proj_weight', 'attn.in_proj_bias', 'attn.out_proj.weight', 'attn.out_proj.bias',
    'mlp.fc1.weight', 'mlp.fc1.bias', 'mlp.fc2.weight', 'mlp.fc2.bias', 'adaLN_modulation.1.weight', 'adaLN_modulation.1.bias',
  ], 'parameter names (the norms have no affine parameters)');
  t.same(blk.mlp.fc1.weight.shape, [4 * D, D], 'mlpRatio 4');
  const x = f64(uniform(20, B * T * D, -2, 2), [B, T, D]);
  const c = f64(uniform(21, B * D, -2, 2), [B, D]);
  t.same(arr(blk.forward(x, c)), arr(x), 'adaLN-Zero: a fresh block is exactly the identity');
  const fin = new nn.FinalLayer(D, 2, 3, { dtype: 'float64' });
  const fo = fin.forward(x, c);
  t.same(fo.shape, [B, T, 2 * 2 * 3]);
  t.ok(arr(fo).every((v) => v === 0), 'a fresh FinalLayer outputs zeros');
  // with random parameters, against plain JS
  randomizeParams(blk, 30, 0.4);
  const P: Record<string, number[]> = {};
  for (const [n, p] of blk.namedParameters()) P[n] = arr(p);
  const want = ditBlockJS(P, arr(x), arr(c), B, T, D, H);
  close(t, blk.forward(x, c).dataSync(), want, 1e-10, 1e-11, 'DiTBlock against a plain-JS reference');
  // gradients reach every parameter, and agree with finite differences
  const small = new nn.DiTBlock(4, 2, { mlpRatio: 2, dtype: 'float64' });
  randomizeParams(small, 40, 0.5);
  const xs = f64(uniform(41, 2 * 3 * 4), [2, 3, 4]).requiresGrad_();
  const cs = f64(uniform(42, 2 * 4), [2, 4]).requiresGrad_();
  t.ok(td.gradcheck((a, b) => small.forward(a, b), [xs, cs, ...small.parameters()]), 'gradcheck of DiTBlock w.r.t. x, c and every parameter');
  td.sum(td.square(small.forward(xs, cs))).backward();
  t.ok(small.parameters().every((p) => p.grad !== null && arr(p.grad).some((v) => v !== 0)), 'every parameter gets a nonzero gradient');
  // errors
  throwsKind(t, () => blk.forward(x, f64(uniform(1, 3 * D), [3, D])), RangeError, 'c with another batch size');
  throwsKind(t, () => blk.forward(x, f64(uniform(1, B * 4), [B, 4])), RangeError, 'c with the wrong width');
  throwsKind(t, () => new nn.DiTBlock(8, 3), RangeError, 'hidden size not divisible by the heads');
});

t.test('PatchEmbed = patchify + linear', async (t) => {
  td.manualSeed(14);
  const [C, p, D] = [3, 2, 5];
  const pe = new nn.PatchEmbed(p, C, D, { dtype: 'float64' });
  t.same(Object.keys(pe.stateDict()), ['proj.weight', 'proj.bias'], "timm's keys");
  const a = Math.sqrt(6 / (C * p * p + D));
  const wv = arr(pe.proj.weight);
  t.ok(wv.every((v) => Math.abs(v) <= a) && wv.some((v) => Math.abs(v) > 0.5 * a), 'Xavier-uniform over the flattened [D, C·p·p] weight');
  t.same(arr(pe.proj.bias!), new Array(D).fill(0), 'zero bias');
  randomizeParams(pe, 50);
  const x = f64(uniform(51, 2 * C * 4 * 6), [2, C, 4, 6]);
  // conv weight [D, C, p, p] -> [D, p, p, C] flattened matches patchify's (pi, pj, c) feature order
  const Wf = pe.proj.weight.permute([0, 2, 3, 1]).reshape([D, p * p * C]);
  const want = linearJS(arr(nn.patchify(x, p)), 2 * 6, arr(Wf), arr(pe.proj.bias!), p * p * C, D);
  const y = pe.forward(x);
  t.same(y.shape, [2, 6, D]);
  close(t, y.dataSync(), want, 1e-12, 1e-13, 'PatchEmbed(x) = patchify(x) W_flatᵀ + b');
  throwsKind(t, () => pe.forward(f64(uniform(1, 2 * C * 5 * 6), [2, C, 5, 6])), RangeError, 'H not divisible by the patch size');
});

t.test('U-Net ResBlock and AttentionBlock2d', async (t) => {
  td.manualSeed(15);
  const x = f64(uniform(60, 2 * 4 * 3 * 3), [2, 4, 3, 3]);
  const temb = f64(uniform(61, 2 * 5), [2, 5]);
  const same = new nn.ResBlock(4, { tembDim: 5, groups: 2, dtype: 'float64' });
  t.same(arr(same.forward(x, temb)), arr(x), 'a fresh ResBlock (conv2 zero, Cin = Cout) is the identity');
  const grow = new nn.ResBlock(4, { outChannels: 6, tembDim: 5, groups: 2, attention: true, dtype: 'float64' });
  t.ok(grow.skip instanceof nn.Conv2d, 'Cin ≠ Cout: a 1×1 conv skip');
  const skipped = grow.skip.forward(x);
  close(t, grow.forward(x, temb).dataSync(), skipped.dataSync(), 0, 1e-15, 'a fresh ResBlock with attention is skip(x)');
  const attn = new nn.AttentionBlock2d(4, { numHeads: 2, groups: 2, dtype: 'float64' });
  t.same(arr(attn.forward(x)), arr(x), 'a fresh AttentionBlock2d is the identity');
  // gradcheck of a small block (all parameters random) with attention and time conditioning
  const rb = new nn.ResBlock(2, { outChannels: 4, tembDim: 3, groups: 2, attention: true, numHeads: 2, dtype: 'float64' });
  randomizeParams(rb, 70, 0.6);
  const xs = f64(uniform(71, 1 * 2 * 3 * 3), [1, 2, 3, 3]).requiresGrad_();
  const es = f64(uniform(72, 3), [1, 3]).requiresGrad_();
  t.ok(td.gradcheck((a, b) => rb.forward(a, b), [xs, es, ...rb.parameters()]), 'gradcheck of ResBlock + attention w.r.t. x, temb and every parameter');
  td.sum(td.square(rb.forward(xs, es))).backward();
  t.ok(rb.parameters().every((p) => p.grad !== null && arr(p.grad).some((v) => v !== 0)), 'every parameter gets a nonzero gradient');
  // Downsample / UpsampleConv shapes
  const xd = td.zeros([1, 4, 8, 8]);
  t.same(new nn.Downsample(4).forward(xd).shape, [1, 4, 4, 4], 'Downsample (conv)');
  t.same(new nn.Downsample(4, { useConv: false }).forward(xd).shape, [1, 4, 4, 4], 'Downsample (avg pool)');
  t.same(new nn.UpsampleConv(4).forward(xd).shape, [1, 4, 16, 16], 'UpsampleConv');
  throwsKind(t, () => same.forward(x), TypeError, 'a conditioned block without temb');
  throwsKind(t, () => new nn.ResBlock(4).forward(x, temb), TypeError, 'temb given to an unconditioned block');
  throwsKind(t, () => same.forward(x, f64(uniform(1, 2 * 4), [2, 4])), RangeError, 'temb of the wrong width');
  throwsKind(t, () => same.forward(td.zeros([2, 3, 3, 3], { dtype: 'float64' }), temb), RangeError, 'the wrong channel count');
});

t.test('memory stays flat over 200 DiT-like training iterations', async (t) => {
  td.manualSeed(16);
  const D = 16, p = 2, C = 2;
  class TinyDiT extends nn.Module {
    xEmb = new nn.PatchEmbed(p, C, D);
    tEmb = new nn.TimestepEmbedder(D, { frequencyEmbeddingSize: 16 });
    blocks = new nn.ModuleList([new nn.DiTBlock(D, 2), new nn.DiTBlock(D, 2)]);
    final = new nn.FinalLayer(D, p, C);
    declare pos: Tensor;
    constructor() {
      super();
      this.registerBuffer('pos', nn.sinCosPosEmbed2d(D, 4));
    }
    override forward(x: Tensor, tt: Tensor): Tensor {
      let h = td.add(this.xEmb.forward(x), this.pos); // [B, 16, D]
      const c = this.tEmb.forward(tt);
      for (const b of this.blocks) h = (b as nn.DiTBlock).forward(h, c);
      return nn.unpatchify(this.final.forward(h, c), p, C);
    }
  }
  const model = new TinyDiT();
  t.equal(model.numParameters(), model.parameters().reduce((a, q) => a + q.numel, 0));
  t.notOk(model.parameters().includes(model.pos as nn.Parameter), 'the position embedding is a buffer, not a parameter');
  const opt = new AdamW(model.parameters(), { lr: 1e-3 });
  const x0 = td.randn([4, C, 8, 8]);
  const step = () => td.tidy(() => {
    opt.zeroGrad();
    const tt = td.rand([4]);
    const noise = td.randn(x0.shape);
    const xt = td.add(td.mul(x0, td.sub(1, tt).reshape([4, 1, 1, 1])), td.mul(noise, tt.reshape([4, 1, 1, 1])));
    const loss = td.mseLoss(model.forward(xt, td.mul(tt, 1000)), td.sub(noise, x0));
    loss.backward();
    opt.step();
    return loss.item();
  });
  for (let i = 0; i < 5; i++) step();
  const before = td.memory();
  for (let i = 0; i < 200; i++) step();
  const after = td.memory();
  t.equal(after.tensors, before.tensors, `live tensors flat (${before.tensors} -> ${after.tensors})`);
  t.equal(after.bytes, before.bytes, `native bytes flat (${before.bytes} -> ${after.bytes})`);
  model.dispose();
});
