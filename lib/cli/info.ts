// info.ts — `tensordiff info`: version, CPU threads, the SIMD level of the GEMM and fused kernels,
// OpenMP, and whether CUDA is available (with the reason when it is not), from td.backend.info().
import * as os from 'os';
import { info as backendInfo } from '../backend';
import { native } from '../native';
import { CommandContext } from './commands';
import { packageInfo } from './version';

/** What `tensordiff info --json` prints. */
export interface InfoReport {
  name: string;
  version: string;
  node: string;
  platform: string;
  arch: string;
  cpu: { threads: number; cores: number; model: string; openmp: boolean; gemmKernel: string; fusedKernel: string; optimKernel: string };
  cuda: { compiled: boolean; available: boolean; deviceCount: number; reason: string; deviceName?: string; runtimeVersion?: number };
}

/** Collects the facts `info` prints. */
export function collectInfo(): InfoReport {
  const b = backendInfo();
  const pkg = packageInfo();
  const cpus = os.cpus();
  return {
    name: pkg.name,
    version: pkg.version,
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpu: {
      threads: b.cpu.threads,
      cores: cpus.length,
      model: cpus[0]?.model?.trim() ?? 'unknown',
      openmp: b.cpu.openmp,
      gemmKernel: b.cpu.gemmKernel,
      fusedKernel: native.fusedKernel(),
      optimKernel: native.optimKernel(),
    },
    cuda: { ...b.cuda },
  };
}

/** Runs `tensordiff info`; returns the exit code. */
export function runInfo(ctx: CommandContext): number {
  const r = collectInfo();
  if (ctx.json) {
    ctx.stdout.write(JSON.stringify(r) + '\n');
    return 0;
  }
  const c = r.cuda;
  const cuda = c.available
    ? `available: ${c.deviceCount} device${c.deviceCount === 1 ? '' : 's'}${c.deviceName ? ` (${c.deviceName})` : ''}`
    : `not available (${c.compiled ? 'compiled in' : 'not compiled in'}): ${c.reason}`;
  const lines = [
    `${r.name} ${r.version} (node ${r.node}, ${r.platform}-${r.arch})`,
    `CPU      ${r.cpu.threads} threads of ${r.cpu.cores} cores (${r.cpu.model}), OpenMP ${r.cpu.openmp ? 'yes' : 'no'}`,
    `SIMD     GEMM ${r.cpu.gemmKernel}, fused diffusion kernels ${r.cpu.fusedKernel}, Adam ${r.cpu.optimKernel}`,
    `CUDA     ${cuda}`,
  ];
  ctx.stdout.write(lines.join('\n') + '\n');
  return 0;
}
