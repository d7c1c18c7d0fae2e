// nn-ops.ts — benchmark of the functional nn ops (lib/ops/conv.ts): conv2d forward and
// forward+backward on a 32×32 feature map, 64 -> 64 channels, 3×3, padding 1, batch 32, float32.
// Prints one JSON line per case (GFLOP/s, fraction of the FMA peak, PyTorch's figure when
// importable). Usage: node dist/bench/nn-ops.js
import * as td from '../lib/index';
import { conv2d } from '../lib/ops/conv';
import { report, time, torchMs } from './harness';
import { LIMITS } from './limits';

const info = td.backend.info();
report({ machine: `${info.cpu.threads} threads, gemm ${info.cpu.gemmKernel}` });

const N = 32, C = 64, O = 64, H = 32, W = 32, K = 3;
const x = td.randn([N, C, H, W], { seed: 1 }).requiresGrad_();
const w = td.mul(td.randn([O, C, K, K], { seed: 2 }), 0.05).requiresGrad_();
const b = td.zeros([O]).requiresGrad_();
const gy = td.ones([N, O, H, W]);
// one direct product: 2 FLOP per multiply-add, N·O·H·W outputs of C·K·K terms
const fwdFlop = 2 * N * O * H * W * C * K * K;
const torchSetup = `x=torch.randn(${N},${C},${H},${W},requires_grad=True); w=(torch.randn(${O},${C},${K},${K})*0.05).requires_grad_(); ` +
  `b=torch.zeros(${O},requires_grad=True); g=torch.ones(${N},${O},${H},${W}); F=torch.nn.functional`;

// the GEMM at the heart of the forward pass, alone: [O, C·K·K] @ [N, C·K·K, H·W] (the floor of im2col + GEMM)
const wm = td.randn([O, C * K * K], { seed: 3 }), cm = td.randn([N, C * K * K, H * W], { seed: 4 });
const gm = time('gemm alone', () => td.matmul(wm, cm).dispose(), 1);
const gG = fwdFlop / (gm.meanMs * 1e6);
report({ case: `GEMM alone [${O},${C * K * K}] @ [${N},${C * K * K},${H * W}] f32 (same FLOPs as the conv forward)`, ms: +gm.meanMs.toFixed(2),
  gflops: +gG.toFixed(1), ofPeak: +(gG / LIMITS.fmaPeakGflops).toFixed(2) });
wm.dispose(); cm.dispose();

const fwd = time('conv2d fwd', () => td.noGrad(() => conv2d(x, w, b, { padding: 1 }).dispose()), 1);
const ptF = torchMs(torchSetup, 'with torch.no_grad(): F.conv2d(x,w,b,padding=1)', 5);
const gF = fwdFlop / (fwd.meanMs * 1e6);
report({ case: `conv2d fwd [${N},${C},${H},${W}] * [${O},${C},${K},${K}] pad 1 f32`, ms: +fwd.meanMs.toFixed(2), gflops: +gF.toFixed(1),
  ofPeak: +(gF / LIMITS.fmaPeakGflops).toFixed(2), torchMs: ptF, speedupVsTorch: ptF ? +(ptF / fwd.meanMs).toFixed(2) : null });

const step = () => td.tidy(() => {
  conv2d(x, w, b, { padding: 1 }).backward(gy);
  x.zeroGrad(); w.zeroGrad(); b.zeroGrad();
});
const fb = time('conv2d fwd+bwd', step, 2);
const ptFB = torchMs(torchSetup, 'F.conv2d(x,w,b,padding=1).backward(g); x.grad=None; w.grad=None; b.grad=None', 5);
const gFB = (3 * fwdFlop) / (fb.meanMs * 1e6); // forward + grad input + grad weight
report({ case: `conv2d fwd+bwd [${N},${C},${H},${W}] * [${O},${C},${K},${K}] pad 1 f32 (grad x, w, b)`, ms: +fb.meanMs.toFixed(2),
  gflops: +gFB.toFixed(1), ofPeak: +(gFB / LIMITS.fmaPeakGflops).toFixed(2), torchMs: ptFB, speedupVsTorch: ptFB ? +(ptFB / fb.meanMs).toFixed(2) : null });
