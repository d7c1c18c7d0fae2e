// methods.ts — attaches the ops as Tensor methods (x.add(y), x.sum(1, true), ...), PyTorch style.
import { backward, BackwardOptions } from './autograd';
import { checkDevice, isDeviceName, toDevice } from './device';
import { DType, isDType, isFloat } from './dtype';
import type { Device } from './memory';
import { Tensor } from './tensor';
import * as ew from './ops/elementwise';
import * as red from './ops/reduce';
import * as la from './ops/linalg';
import * as vw from './ops/views';
import * as ix from './ops/indexing';
import * as nn from './ops/nn';
import { cast, checkDType } from './ops/util';
import type { TensorOrNumber } from './ops/util';
import type { Dims, VarOptions } from './ops/reduce';

declare module './tensor' {
  interface Tensor {
    add(b: TensorOrNumber): Tensor;
    sub(b: TensorOrNumber): Tensor;
    mul(b: TensorOrNumber): Tensor;
    div(b: TensorOrNumber): Tensor;
    pow(b: TensorOrNumber): Tensor;
    maximum(b: TensorOrNumber): Tensor;
    minimum(b: TensorOrNumber): Tensor;
    gt(b: TensorOrNumber): Tensor;
    ge(b: TensorOrNumber): Tensor;
    lt(b: TensorOrNumber): Tensor;
    le(b: TensorOrNumber): Tensor;
    eq(b: TensorOrNumber): Tensor;
    ne(b: TensorOrNumber): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    expm1(): Tensor;
    log(): Tensor;
    log1p(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    abs(): Tensor;
    sign(): Tensor;
    square(): Tensor;
    reciprocal(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    relu(): Tensor;
    gelu(approximate?: 'none' | 'tanh'): Tensor;
    silu(): Tensor;
    softplus(): Tensor;
    erf(): Tensor;
    clamp(min?: number | null, max?: number | null): Tensor;
    /** where(cond, this, other) */
    where(cond: Tensor, other: TensorOrNumber): Tensor;
    sum(dim?: Dims, keepdim?: boolean): Tensor;
    mean(dim?: Dims, keepdim?: boolean): Tensor;
    prod(dim?: Dims, keepdim?: boolean): Tensor;
    amax(dim?: Dims, keepdim?: boolean): Tensor;
    amin(dim?: Dims, keepdim?: boolean): Tensor;
    max(): Tensor;
    max(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
    min(): Tensor;
    min(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
    argmax(dim?: number, keepdim?: boolean): Tensor;
    argmin(dim?: number, keepdim?: boolean): Tensor;
    var(dim?: Dims, opts?: VarOptions): Tensor;
    std(dim?: Dims, opts?: VarOptions): Tensor;
    logsumexp(dim?: Dims, keepdim?: boolean): Tensor;
    norm(p?: number, dim?: Dims, keepdim?: boolean): Tensor;
    matmul(b: Tensor): Tensor;
    bmm(b: Tensor): Tensor;
    reshape(shape: readonly number[]): Tensor;
    view(shape: readonly number[]): Tensor;
    transpose(d0?: number, d1?: number): Tensor;
    permute(perm: readonly number[]): Tensor;
    expand(shape: readonly number[]): Tensor;
    squeeze(dim?: number): Tensor;
    unsqueeze(dim: number): Tensor;
    flatten(start?: number, end?: number): Tensor;
    narrow(dim: number, start: number, length: number): Tensor;
    slice(dim: number, start?: number, end?: number, step?: number): Tensor;
    contiguous(): Tensor;
    clone(): Tensor;
    detach(): Tensor;
    gather(dim: number, idx: Tensor): Tensor;
    indexSelect(dim: number, idx: Tensor): Tensor;
    scatterAdd(dim: number, idx: Tensor, src: Tensor): Tensor;
    split(sizeOrSections: number | readonly number[], dim?: number): Tensor[];
    chunk(chunks: number, dim?: number): Tensor[];
    softmax(dim?: number): Tensor;
    logSoftmax(dim?: number): Tensor;
    /**
     * Convert to another dtype, or move to another device ('cpu', 'cuda'); returns this when it is
     * already of that dtype / on that device. A device move copies (contiguously) and the gradient flows
     * back to this tensor's device.
     */
    to(dtypeOrDevice: DType | Device): Tensor;
    float(): Tensor;
    double(): Tensor;
    int(): Tensor;
    /** Backpropagate from this tensor (see autograd.backward). */
    backward(grad?: Tensor | null, opts?: BackwardOptions): void;
    /** Mark this leaf as requiring gradients (in place); returns this. */
    requiresGrad_(flag?: boolean): Tensor;
    /** Dispose .grad and set it to null. */
    zeroGrad(): void;
  }
}

type Method = (this: Tensor, ...args: never[]) => unknown;
const P = Tensor.prototype as unknown as Record<string, Method>;
function def(name: string, fn: (self: Tensor, ...args: never[]) => unknown): void {
  P[name] = function (this: Tensor, ...args: never[]) {
    return fn(this, ...args);
  };
}

for (const n of ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'gt', 'ge', 'lt', 'le', 'eq', 'ne'] as const)
  def(n, (x, b: never) => ew[n](x, b));
for (const n of ['neg', 'exp', 'expm1', 'log', 'log1p', 'sqrt', 'rsqrt', 'abs', 'sign', 'square', 'reciprocal', 'sin', 'cos',
  'tanh', 'sigmoid', 'relu', 'silu', 'softplus', 'erf'] as const)
  def(n, (x) => ew[n](x));
def('gelu', (x, a: never) => ew.gelu(x, a));
def('clamp', (x, lo: never, hi: never) => ew.clamp(x, lo, hi));
def('where', (x, cond: never, other: never) => ew.where(cond, x, other));
for (const n of ['sum', 'mean', 'prod', 'amax', 'amin', 'logsumexp'] as const)
  def(n, (x, d: never, k: never) => red[n](x, d, k));
def('max', (x, d: never, k: never) => (d === undefined ? red.max(x) : red.max(x, d, k)));
def('min', (x, d: never, k: never) => (d === undefined ? red.min(x) : red.min(x, d, k)));
def('argmax', (x, d: never, k: never) => red.argmax(x, d, k));
def('argmin', (x, d: never, k: never) => red.argmin(x, d, k));
def('var', (x, d: never, o: never) => red.variance(x, d, o));
def('std', (x, d: never, o: never) => red.std(x, d, o));
def('norm', (x, p: never, d: never, k: never) => red.norm(x, p, d, k));
def('matmul', (x, b: never) => la.matmul(x, b));
def('bmm', (x, b: never) => la.bmm(x, b));
def('reshape', (x, s: never) => vw.reshape(x, s));
def('view', (x, s: never) => vw.view(x, s));
def('transpose', (x, a: never, b: never) => vw.transpose(x, a, b));
def('permute', (x, p: never) => vw.permute(x, p));
def('expand', (x, s: never) => vw.expand(x, s));
def('squeeze', (x, d: never) => vw.squeeze(x, d));
def('unsqueeze', (x, d: never) => vw.unsqueeze(x, d));
def('flatten', (x, s: never, e: never) => vw.flatten(x, s, e));
def('narrow', (x, d: never, s: never, l: never) => vw.narrow(x, d, s, l));
def('slice', (x, d: never, s: never, e: never, st: never) => vw.slice(x, d, s, e, st));
def('contiguous', (x) => vw.contiguous(x));
def('clone', (x) => vw.clone(x));
def('detach', (x) => vw.detach(x));
def('gather', (x, d: never, i: never) => ix.gather(x, d, i));
def('indexSelect', (x, d: never, i: never) => ix.indexSelect(x, d, i));
def('scatterAdd', (x, d: never, i: never, s: never) => ix.scatterAdd(x, d, i, s));
def('split', (x, s: never, d: never) => ix.split(x, s, d));
def('chunk', (x, c: never, d: never) => ix.chunk(x, c, d));
def('softmax', (x, d: never) => nn.softmax(x, d));
def('logSoftmax', (x, d: never) => nn.logSoftmax(x, d));
def('to', (x, d: never) => {
  x._live('to');
  if (isDType(d)) return cast(x, d);
  if (isDeviceName(d)) return toDevice(x, checkDevice('to', d));
  return cast(x, checkDType('to', d));
});
def('float', (x) => cast(x, 'float32'));
def('double', (x) => cast(x, 'float64'));
def('int', (x) => cast(x, 'int32'));
def('backward', (x, g: never, o: never) => backward(x, g, o));
def('requiresGrad_', (x, flag: never) => {
  const f = flag === undefined ? true : (flag as unknown as boolean);
  if (typeof f !== 'boolean') throw new TypeError('requiresGrad_: flag must be a boolean');
  if (f && !isFloat(x.dtype)) throw new TypeError(`requiresGrad_: only float tensors can require gradients (dtype ${x.dtype})`);
  if (!x.isLeaf) throw new Error('requiresGrad_: only leaf tensors can change requiresGrad (use detach())');
  x.requiresGrad = f;
  return x;
});
def('zeroGrad', (x) => {
  if (x.grad) x.grad.dispose();
  x.grad = null;
});
