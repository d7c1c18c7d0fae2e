// elementwise.ts — unary and binary elementwise ops with broadcasting, scalars and their gradients.
import { record } from '../autograd';
import { DType, isFloat, promote } from '../dtype';
import { broadcastShapes, sameShape, shapeStr } from '../shape';
import { Tensor } from '../tensor';
import { binaryK, castK, fullK, unaryK, whereK } from './kernel';
import { B, U } from './opTable';
import { cast, checkNumber, checkTensor, checkTensorOrNumber, TensorOrNumber } from './util';

// ---- unary ---------------------------------------------------------------------------------------

type UnaryBwd = (g: Tensor, x: Tensor, y: Tensor) => Tensor;

function unary(op: string, code: number, xIn: unknown, bwd: UnaryBwd | null, keepsInt = false, p0 = 0, p1 = 0): Tensor {
  let x = checkTensor(op, xIn);
  if (!keepsInt && x.dtype === 'int32') x = cast(x, 'float32');
  const y = unaryK(code, x, p0, p1);
  if (!bwd || !isFloat(y.dtype)) return y;
  return record(y, op, [x], (g) => [bwd(g, x, y)]);
}

const mulK = (a: Tensor, b: Tensor) => binaryK(B.MUL, a, b, broadcastShapes('mul', a.shape, b.shape));
const scal = (x: Tensor, s: number) => unaryK(U.MUL_S, x, s);

export const neg = (x: Tensor): Tensor => unary('neg', U.NEG, x, (g) => unaryK(U.NEG, g), true);
export const exp = (x: Tensor): Tensor => unary('exp', U.EXP, x, (g, _x, y) => mulK(g, y));
export const expm1 = (x: Tensor): Tensor => unary('expm1', U.EXPM1, x, (g, _x, y) => mulK(g, unaryK(U.ADD_S, y, 1)));
export const log = (x: Tensor): Tensor => unary('log', U.LOG, x, (g, x) => binaryK(B.DIV, g, x, g.shape));
export const log1p = (x: Tensor): Tensor => unary('log1p', U.LOG1P, x, (g, x) => binaryK(B.DIV, g, unaryK(U.ADD_S, x, 1), g.shape));
export const sqrt = (x: Tensor): Tensor => unary('sqrt', U.SQRT, x, (g, _x, y) => binaryK(B.DIV, scal(g, 0.5), y, g.shape));
export const rsqrt = (x: Tensor): Tensor =>
  unary('rsqrt', U.RSQRT, x, (g, _x, y) => mulK(g, scal(unaryK(U.POW_S, y, 3), -0.5)));
export const abs = (x: Tensor): Tensor => unary('abs', U.ABS, x, (g, x) => mulK(g, unaryK(U.SIGN, x)), true);
export const sign = (x: Tensor): Tensor => unary('sign', U.SIGN, x, (g) => scal(g, 0), true);
export const square = (x: Tensor): Tensor => unary('square', U.SQUARE, x, (g, x) => mulK(g, scal(x, 2)), true);
export const reciprocal = (x: Tensor): Tensor =>
  unary('reciprocal', U.RECIPROCAL, x, (g, _x, y) => mulK(g, scal(unaryK(U.SQUARE, y), -1)));
export const sin = (x: Tensor): Tensor => unary('sin', U.SIN, x, (g, x) => mulK(g, unaryK(U.COS, x)));
export const cos = (x: Tensor): Tensor => unary('cos', U.COS, x, (g, x) => mulK(g, scal(unaryK(U.SIN, x), -1)));
export const tanh = (x: Tensor): Tensor => unary('tanh', U.TANH, x, (g, _x, y) => binaryK(B.TANH_BWD_Y, y, g, g.shape));
export const sigmoid = (x: Tensor): Tensor =>
  unary('sigmoid', U.SIGMOID, x, (g, _x, y) => binaryK(B.SIGMOID_BWD_Y, y, g, g.shape));
export const relu = (x: Tensor): Tensor => unary('relu', U.RELU, x, (g, x) => binaryK(B.RELU_BWD, x, g, g.shape), true);
export const silu = (x: Tensor): Tensor => unary('silu', U.SILU, x, (g, x) => binaryK(B.SILU_BWD, x, g, g.shape));
export const softplus = (x: Tensor): Tensor =>
  unary('softplus', U.SOFTPLUS, x, (g, x) => binaryK(B.SOFTPLUS_BWD, x, g, g.shape));
export const erf = (x: Tensor): Tensor =>
  unary('erf', U.ERF, x, (g, x) => mulK(g, scal(unaryK(U.EXP, scal(unaryK(U.SQUARE, x), -1)), 2 / Math.sqrt(Math.PI))));

/** GELU; approximate 'none' (exact, erf) or 'tanh' (PyTorch's names). */
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  if (approximate !== 'none' && approximate !== 'tanh')
    throw new TypeError(`gelu: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
  return approximate === 'tanh'
    ? unary('gelu', U.GELU_TANH, x, (g, x) => binaryK(B.GELU_TANH_BWD, x, g, g.shape))
    : unary('gelu', U.GELU, x, (g, x) => binaryK(B.GELU_BWD, x, g, g.shape));
}

/** Clamp into [min, max]; either bound may be null/undefined (no bound). */
export function clamp(x: Tensor, min?: number | null, max?: number | null): Tensor {
  const lo = min === undefined || min === null ? NaN : checkNumber('clamp', min, 'min');
  const hi = max === undefined || max === null ? NaN : checkNumber('clamp', max, 'max');
  if (Number.isNaN(lo) && Number.isNaN(hi)) throw new TypeError('clamp: at least one of min and max must be given');
  const intBounds = (Number.isNaN(lo) || Number.isInteger(lo)) && (Number.isNaN(hi) || Number.isInteger(hi));
  return unary('clamp', U.CLAMP, x, (g, x) => mulK(g, castK(unaryK(U.CLAMP_MASK, x, lo, hi, 'float32'), g.dtype)), intBounds, lo, hi);
}

// ---- binary --------------------------------------------------------------------------------------

type BinaryBwd = (g: Tensor, a: Tensor, b: Tensor, y: Tensor) => [Tensor | null, Tensor | null];

interface BinarySpec {
  name: string;
  code: number;
  floatOnly?: boolean;
  compare?: boolean;
  bwd?: BinaryBwd;
  /** Unary scalar variant: (tensor op scalar) and (scalar op tensor). */
  scalar?: { code: number; map?: (s: number) => number; rcode?: number; rmap?: (s: number) => number };
  scalarBwd?: (g: Tensor, x: Tensor, s: number, y: Tensor, reversed: boolean) => Tensor;
}

function resultDtype(spec: BinarySpec, a: DType, b: DType): DType {
  const d = promote(a, b);
  return spec.floatOnly && d === 'int32' ? 'float32' : d;
}

function binary(spec: BinarySpec, aIn: unknown, bIn: unknown): Tensor {
  const op = spec.name;
  const a = checkTensorOrNumber(op, aIn, 'first argument');
  const b = checkTensorOrNumber(op, bIn, 'second argument');
  if (typeof a === 'number' && typeof b === 'number') throw new TypeError(`${op}: at least one argument must be a Tensor`);
  if (typeof a === 'number' || typeof b === 'number') return binaryScalar(spec, a, b);
  if (a.dtype === b.dtype && sameShape(a.shape, b.shape) && !(spec.floatOnly && a.dtype === 'int32')) {
    // fast path: no promotion, no broadcasting
    const y = binaryK(spec.code, a, b, a.shape, spec.compare ? 'float32' : a.dtype);
    if (!spec.bwd || spec.compare) return y;
    const bwd = spec.bwd;
    return record(y, op, [a, b], (g) => bwd(g, a, b, y));
  }
  const dt = resultDtype(spec, a.dtype, b.dtype);
  const a2 = cast(a, dt), b2 = cast(b, dt);
  const shape = broadcastShapes(op, a2.shape, b2.shape);
  const y = binaryK(spec.code, a2, b2, shape, spec.compare ? 'float32' : dt);
  if (!spec.bwd || spec.compare) return y;
  const bwd = spec.bwd;
  return record(y, op, [a2, b2], (g) => bwd(g, a2, b2, y));
}

function binaryScalar(spec: BinarySpec, a: TensorOrNumber, b: TensorOrNumber): Tensor {
  const reversed = typeof a === 'number';
  let x = (reversed ? b : a) as Tensor;
  const s = (reversed ? a : b) as number;
  const sc = spec.scalar;
  const code = sc ? (reversed ? sc.rcode : sc.code) : undefined;
  // int32 add/sub/mul with an integer must wrap like the tensor kernels: use a 0-d int32 tensor
  const intWrap = x.dtype === 'int32' && Number.isInteger(s) && (spec.code === B.ADD || spec.code === B.SUB || spec.code === B.MUL);
  if (!sc || code === undefined || intWrap) {
    // no scalar kernel: make a 0-d tensor
    const st = fullK([], s, x.dtype === 'int32' && !Number.isInteger(s) ? 'float32' : x.dtype, x.device);
    return reversed ? binary(spec, st, x) : binary(spec, x, st);
  }
  if (x.dtype === 'int32' && (spec.floatOnly || !Number.isInteger(s))) x = cast(x, 'float32');
  const p = reversed ? (sc.rmap ? sc.rmap(s) : s) : sc.map ? sc.map(s) : s;
  const y = unaryK(code, x, p, 0, spec.compare ? 'float32' : x.dtype);
  if (spec.compare || !spec.scalarBwd || !isFloat(y.dtype)) return y;
  const sb = spec.scalarBwd;
  return record(y, spec.name, [x], (g) => [sb(g, x, s, y, reversed)]);
}

const sameAs = (g: Tensor) => g;
const negK = (g: Tensor) => unaryK(U.NEG, g);
const divK = (a: Tensor, b: Tensor) => binaryK(B.DIV, a, b, broadcastShapes('div', a.shape, b.shape));

const ADD: BinarySpec = {
  name: 'add', code: B.ADD, bwd: (g) => [g, g],
  scalar: { code: U.ADD_S, rcode: U.ADD_S }, scalarBwd: sameAs,
};
const SUB: BinarySpec = {
  name: 'sub', code: B.SUB, bwd: (g) => [g, negK(g)],
  scalar: { code: U.ADD_S, map: (s) => -s, rcode: U.RSUB_S },
  scalarBwd: (g, _x, _s, _y, rev) => (rev ? negK(g) : g),
};
const MUL: BinarySpec = {
  name: 'mul', code: B.MUL, bwd: (g, a, b) => [mulK(g, b), mulK(g, a)],
  scalar: { code: U.MUL_S, rcode: U.MUL_S }, scalarBwd: (g, _x, s) => scal(g, s),
};
const DIV: BinarySpec = {
  name: 'div', code: B.DIV, floatOnly: true,
  bwd: (g, _a, b, y) => [divK(g, b), scal(divK(mulK(g, y), b), -1)],
  scalar: { code: U.MUL_S, map: (s) => 1 / s, rcode: U.RDIV_S },
  scalarBwd: (g, x, s, y, rev) => (rev ? scal(divK(mulK(g, y), x), -1) : scal(g, 1 / s)),
};
const POW: BinarySpec = {
  name: 'pow', code: B.POW, floatOnly: true,
  bwd: (g, a, b, y) => [
    a.requiresGrad ? mulK(g, mulK(b, binaryK(B.POW, a, unaryK(U.ADD_S, b, -1), broadcastShapes('pow', a.shape, b.shape)))) : null,
    b.requiresGrad ? mulK(g, mulK(y, unaryK(U.LOG, a))) : null,
  ],
  scalar: { code: U.POW_S, rcode: U.RPOW_S },
  scalarBwd: (g, x, s, y, rev) => (rev ? mulK(g, scal(y, Math.log(s))) : mulK(g, scal(unaryK(U.POW_S, x, s - 1), s))),
};
function tieMask(a: Tensor, b: Tensor, win: number, dt: DType): Tensor {
  // 1 where a wins, 0.5 on ties, 0 where b wins (PyTorch splits ties evenly)
  const shape = broadcastShapes('mask', a.shape, b.shape);
  const w = binaryK(win, a, b, shape, 'float32');
  const eq = binaryK(B.EQ, a, b, shape, 'float32');
  const m = binaryK(B.ADD, w, unaryK(U.MUL_S, eq, 0.5), shape);
  return castK(m, dt);
}
const MAXIMUM: BinarySpec = {
  name: 'maximum', code: B.MAXIMUM,
  bwd: (g, a, b) => {
    const m = tieMask(a, b, B.GT, g.dtype);
    return [mulK(g, m), mulK(g, unaryK(U.RSUB_S, m, 1))];
  },
};
const MINIMUM: BinarySpec = {
  name: 'minimum', code: B.MINIMUM,
  bwd: (g, a, b) => {
    const m = tieMask(a, b, B.LT, g.dtype);
    return [mulK(g, m), mulK(g, unaryK(U.RSUB_S, m, 1))];
  },
};
function cmp(name: string, code: number, sCode: number, rsCode: number): BinarySpec {
  return { name, code, compare: true, scalar: { code: sCode, rcode: rsCode } };
}
const GT = cmp('gt', B.GT, U.GT_S, U.LT_S);
const GE = cmp('ge', B.GE, U.GE_S, U.LE_S);
const LT = cmp('lt', B.LT, U.LT_S, U.GT_S);
const LE = cmp('le', B.LE, U.LE_S, U.GE_S);
const EQ = cmp('eq', B.EQ, U.EQ_S, U.EQ_S);
const NE = cmp('ne', B.NE, U.NE_S, U.NE_S);

/** a + b (broadcasting; either may be a number). */
export const add = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary(ADD, a, b);
export const sub = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary(SUB, a, b);
export const mul = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary(MUL, a, b);
/** True division: int32 inputs give float32. */
export const div = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary(DIV, a, b);
export const pow = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary(POW, a, b);
export const maximum = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary(MAXIMUM, a, b);
export const minimum = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary(MINIMUM, a, b);
/** Comparisons return float32 tensors of 1 (true) and 0 (false); they have no gradient. */
export const gt = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary(GT, a, b);
export const ge = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary(GE, a, b);
export const lt = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary(LT, a, b);
export const le = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary(LE, a, b);
export const eq = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary(EQ, a, b);
export const ne = (a: TensorOrNumber, b: TensorOrNumber): Tensor => binary(NE, a, b);

/** Elementwise cond ? a : b with broadcasting; cond is any dtype (nonzero = true). */
export function where(condIn: Tensor, aIn: TensorOrNumber, bIn: TensorOrNumber): Tensor {
  const cond = checkTensor('where', condIn, 'condition');
  let a = checkTensorOrNumber('where', aIn, 'a');
  let b = checkTensorOrNumber('where', bIn, 'b');
  if (typeof a === 'number' && typeof b === 'number') throw new TypeError('where: at least one of a and b must be a Tensor');
  const ref = (typeof a === 'number' ? b : a) as Tensor;
  const mk = (s: number) => fullK([], s, ref.dtype === 'int32' && !Number.isInteger(s) ? 'float32' : ref.dtype, ref.device);
  if (typeof a === 'number') a = mk(a);
  if (typeof b === 'number') b = mk(b);
  const dt = promote(a.dtype, b.dtype);
  const a2 = cast(a, dt), b2 = cast(b, dt);
  const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, a2.shape), b2.shape);
  const y = whereK(cond, a2, b2, shape);
  if (!isFloat(dt)) return y;
  return record(y, 'where', [a2, b2], (g) => {
    const z = fullK([], 0, g.dtype, g.device);
    return [whereK(cond, g, z, g.shape), whereK(cond, z, g, g.shape)];
  });
}

/** @internal for error messages */
export function describe(t: Tensor): string {
  return `${shapeStr(t.shape)} ${t.dtype}`;
}
