// helpers.ts — shared by test/cuda/*.test.ts: run a test only where CUDA is usable (elsewhere tap
// prints "# SKIP cuda: <reason>"), and compare a computation run on the CPU with the same computation
// run on the GPU from the same inputs and seed. Not a test file itself.
import t from 'tap';
import * as td from '../../lib/index';
import { close } from '../helpers/check';

/** Why the CUDA tests cannot run here, or null when they can. */
export const skipReason: string | null = td.cuda.isAvailable() ? null : `cuda: ${td.cuda.reason() || 'unavailable'}`;

/** A tap test that runs only where CUDA is usable; elsewhere it is reported as skipped with the reason. */
export function cudaTest(name: string, fn: (tt: Tap) => Promise<void> | void): void {
  t.test(name, { skip: skipReason ?? false }, async (tt) => {
    await fn(tt as unknown as Tap);
  });
}
/** The assertion methods these tests use (a tap subtest has them all). */
export interface Tap {
  ok(v: unknown, msg: string): unknown;
  equal(a: unknown, b: unknown, msg: string): unknown;
  same(a: unknown, b: unknown, msg: string): unknown;
  pass(msg: string): unknown;
  fail(msg: string): unknown;
  match(a: unknown, re: RegExp, msg: string): unknown;
}

/** Values of a tensor (any device) as a plain array. */
export const vals = (x: td.Tensor): number[] => Array.from(x.dataSync());

/**
 * Runs fn on 'cpu' and on 'cuda' (inside tidy scopes) and compares the results element by element:
 * |gpu - cpu| <= rtol |cpu| + atol. fn returns one tensor or a list; each must be on its device.
 */
export function both(tt: Tap, name: string, fn: (dev: td.Device) => td.Tensor | td.Tensor[], rtol = 1e-5, atol = 1e-6): void {
  const run = (dev: td.Device): { vals: number[][]; devs: string[]; shapes: string[] } =>
    td.tidy(() => {
      const r = fn(dev);
      const list = Array.isArray(r) ? r : [r];
      return { vals: list.map(vals), devs: list.map((x) => x.device), shapes: list.map((x) => JSON.stringify(x.shape)) };
    });
  const c = run('cpu');
  const g = run('cuda');
  tt.ok(g.devs.every((d) => d === 'cuda'), `${name}: results are on cuda (${g.devs.join(',')})`);
  tt.same(g.shapes, c.shapes, `${name}: shapes`);
  for (let i = 0; i < c.vals.length; i++) close(tt, g.vals[i], c.vals[i], rtol, atol, `${name}${c.vals.length > 1 ? ` [${i}]` : ''}`);
}

/** The same seeded normal input on either device (drawn on the CPU, then moved). */
export function input(dev: td.Device, shape: number[], seed: number, dtype: td.DType = 'float32'): td.Tensor {
  const x = td.randn(shape, { seed, dtype });
  if (dev === 'cpu') return x;
  const y = x.to(dev);
  x.dispose();
  return y;
}
