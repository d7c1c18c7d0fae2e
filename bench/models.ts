// models.ts — whole-model benchmarks of the nn + optim layers (issue #3): one training step of the MLP
// 2→256→256→256→2 (SiLU, MSE, AdamW) at batch 4096 and 64, and forward + backward of one pre-LN
// transformer block (32 × 64 tokens × 256, 4 heads, MLP 4× with GELU) on mean(out²). The same models
// run under PyTorch (eager, 2 threads) in the same run when it is importable, and the FLOP rate is
// reported against the machine's FMA peak. Usage: node dist/bench/models.js [mlp|block]
import * as td from '../lib/index';
import { report, time, torchMs } from './harness';
import { LIMITS } from './limits';

const { nn, optim } = td;
const which = process.argv[2] ?? 'all';
const info = td.backend.info();
report({ machine: `${info.cpu.threads} threads, gemm ${info.cpu.gemmKernel}` });

class Mlp extends nn.Module {
  l1 = new nn.Linear(2, 256);
  l2 = new nn.Linear(256, 256);
  l3 = new nn.Linear(256, 256);
  l4 = new nn.Linear(256, 2);
  override forward(x: td.Tensor): td.Tensor { // [B, 2] -> [B, 2]
    const h1 = td.silu(this.l1.forward(x));
    const h2 = td.silu(this.l2.forward(h1));
    const h3 = td.silu(this.l3.forward(h2));
    return this.l4.forward(h3);
  }
}

function mlp(): void {
  const torchModel = [
    'm=torch.nn.Sequential(torch.nn.Linear(2,256),torch.nn.SiLU(),torch.nn.Linear(256,256),torch.nn.SiLU(),',
    'torch.nn.Linear(256,256),torch.nn.SiLU(),torch.nn.Linear(256,2)); opt=torch.optim.AdamW(m.parameters(),lr=1e-3)',
  ].join('');
  for (const [B, target, maxTime] of [[4096, 30, 3], [64, 1.0, 2]] as const) {
    td.manualSeed(0);
    const model = new Mlp();
    const opt = new optim.AdamW(model.parameters(), { lr: 1e-3 });
    const x = td.randn([B, 2], { seed: 1 }), y = td.randn([B, 2], { seed: 2 });
    const step = () => td.tidy(() => {
      opt.zeroGrad();
      td.mseLoss(model.forward(x), y).backward();
      opt.step();
    });
    const r = time(`mlp step B=${B}`, step, maxTime);
    // FLOPs: 3 GEMMs per Linear (forward, grad input, grad weight), 2·B·in·out each
    const macs = 2 * 256 + 256 * 256 * 2 + 256 * 2;
    const gflops = (3 * 2 * B * macs) / (r.meanMs * 1e6);
    const pt = torchMs(`${torchModel}; x=torch.randn(${B},2); y=torch.randn(${B},2)`,
      'opt.zero_grad(); torch.nn.functional.mse_loss(m(x),y).backward(); opt.step()', B > 1000 ? 20 : 200);
    report({ case: `MLP 2-256-256-256-2 SiLU AdamW train step, batch ${B}`, ms: +r.meanMs.toFixed(3), targetMs: target,
      gflops: +gflops.toFixed(1), ofPeak: +(gflops / LIMITS.fmaPeakGflops).toFixed(2), torchMs: pt,
      speedupVsTorch: pt ? +(pt / r.meanMs).toFixed(2) : null });
    model.dispose();
    td.dispose([x, y]);
  }
}

class Block extends nn.Module {
  ln1 = new nn.LayerNorm(256);
  attn = new nn.MultiheadAttention(256, 4, { batchFirst: true });
  ln2 = new nn.LayerNorm(256);
  mlp = new nn.MLP(256, 1024, { act: 'gelu' });
  override forward(x: td.Tensor): td.Tensor { // [B, T, D] -> [B, T, D]
    const h = td.add(x, this.attn.forward(this.ln1.forward(x)));
    return td.add(h, this.mlp.forward(this.ln2.forward(h)));
  }
}

function block(): void {
  const [B, T, D] = [32, 64, 256];
  td.manualSeed(0);
  const model = new Block();
  const x = td.randn([B, T, D], { seed: 3 });
  const step = () => td.tidy(() => {
    model.zeroGrad();
    td.mean(td.square(model.forward(x))).backward();
  });
  const r = time('transformer block fwd+bwd', step, 3);
  // FLOPs of the GEMMs: qkv 3D², out D², mlp 8D² per token (×3 for fwd+bwd) + attention 2·T·D per token ×2 (×3)
  const tokens = B * T;
  const flops = 3 * 2 * tokens * (12 * D * D + 2 * T * D);
  const gflops = flops / (r.meanMs * 1e6);
  const pt = torchMs([
    'class Blk(torch.nn.Module):',
    '    def __init__(s):',
    '        super().__init__(); s.ln1=torch.nn.LayerNorm(256); s.attn=torch.nn.MultiheadAttention(256,4,batch_first=True)',
    '        s.ln2=torch.nn.LayerNorm(256); s.mlp=torch.nn.Sequential(torch.nn.Linear(256,1024),torch.nn.GELU(),torch.nn.Linear(1024,256))',
    '    def forward(s,x):',
    '        h=s.ln1(x); h=x+s.attn(h,h,h,need_weights=False)[0]',
    '        return h+s.mlp(s.ln2(h))',
    `m=Blk(); x=torch.randn(${B},${T},${D})`,
  ].join('\n'), 'm.zero_grad(); (m(x)**2).mean().backward()', 10);
  report({ case: `transformer block fwd+bwd ${B}x${T}x${D}, 4 heads, MLP 4x`, ms: +r.meanMs.toFixed(2), targetMs: 70,
    gflops: +gflops.toFixed(1), ofPeak: +(gflops / LIMITS.fmaPeakGflops).toFixed(2), torchMs: pt,
    speedupVsTorch: pt ? +(pt / r.meanMs).toFixed(2) : null });
  model.dispose();
  x.dispose();
}

if (which === 'all' || which === 'mlp') mlp();
if (which === 'all' || which === 'block') block();
