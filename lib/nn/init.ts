// init.ts — weight initialisation, like torch.nn.init: each function overwrites a tensor's values in
// place (no autograd) and returns it. Random ones draw from the global Philox generator
// (td.manualSeed) or, with { seed }, from that seed alone.
import { noGrad } from '../autograd';
import { isFloat } from '../dtype';
import { tidy } from '../memory';
import { copyAcross } from '../device';
import { fillK } from '../ops/kernel';
import { rand, randn } from '../ops/creation';
import { add, mul } from '../ops/elementwise';
import { shapeStr } from '../shape';
import { Tensor, checkTensor } from '../tensor';

/** Options of the random initialisers. */
export interface InitOptions {
  /** Draw from this seed alone instead of advancing the global generator. */
  seed?: number | bigint;
}

export type FanMode = 'fanIn' | 'fanOut' | 'fan_in' | 'fan_out';
export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

export interface KaimingOptions extends InitOptions {
  /** Negative slope of the leaky ReLU that follows (default 0); used when nonlinearity is 'leaky_relu'. */
  a?: number;
  /** Preserve the variance of the forward pass ('fanIn', default) or of the backward pass ('fanOut'). */
  mode?: FanMode;
  /** Default 'leaky_relu' (with a = 0, the ReLU gain √2). */
  nonlinearity?: Nonlinearity;
}

export interface XavierOptions extends InitOptions {
  /** Scaling factor (default 1). */
  gain?: number;
}

function target(op: string, t: unknown, random: boolean): Tensor {
  const x = checkTensor(op, t, 'tensor');
  if (random && !isFloat(x.dtype)) throw new TypeError(`${op}: tensor ${shapeStr(x.shape)} must be float32 or float64, got ${x.dtype}`);
  return x;
}

function finite(op: string, v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${op}: ${name} must be a finite number, got ${String(v)}`);
  return v;
}

/** Overwrite t with the values of make() (computed in a tidy scope, without recording). */
function fillFrom(t: Tensor, make: () => Tensor): Tensor {
  noGrad(() => tidy(() => copyAcross(t, make()))); // make() draws on the CPU; t may live on the GPU
  return t;
}

/** The recommended gain for a nonlinearity (PyTorch's calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d': case 'sigmoid': return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leaky_relu': {
      const a = param === undefined ? 0.01 : finite('calculateGain', param, 'negative slope');
      return Math.sqrt(2 / (1 + a * a));
    }
    case 'selu': return 3 / 4;
    default: throw new TypeError(`calculateGain: unknown nonlinearity ${JSON.stringify(nonlinearity)}`);
  }
}

/**
 * fanIn = shape[1] · receptive field, fanOut = shape[0] · receptive field, where the receptive field is
 * the product of shape[2:] (a Linear weight [out, in], a Conv2d weight [out, in/groups, kh, kw]).
 */
export function calculateFanInAndFanOut(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (!Array.isArray(shape) || shape.length < 2)
    throw new RangeError(`calculateFanInAndFanOut: fan in and fan out need a tensor of at least 2 dims, got ${Array.isArray(shape) ? shapeStr(shape) : typeof shape}`);
  const rf = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1] * rf, fanOut: shape[0] * rf };
}

/** Fills t with U(a, b). */
export function uniform(t: Tensor, a = 0, b = 1, o: InitOptions = {}): Tensor {
  const x = target('uniform', t, true);
  finite('uniform', a, 'a');
  finite('uniform', b, 'b');
  if (!(b >= a)) throw new RangeError(`uniform: b (${b}) must be >= a (${a})`);
  return fillFrom(x, () => add(mul(rand(x.shape, { dtype: x.dtype, seed: o.seed }), b - a), a));
}

/** Fills t with N(mean, std²). */
export function normal(t: Tensor, mean = 0, std = 1, o: InitOptions = {}): Tensor {
  const x = target('normal', t, true);
  finite('normal', mean, 'mean');
  finite('normal', std, 'std');
  if (std < 0) throw new RangeError(`normal: std must be >= 0, got ${std}`);
  return fillFrom(x, () => add(mul(randn(x.shape, { dtype: x.dtype, seed: o.seed }), std), mean));
}

/** Fills t with the value v. */
export function constant(t: Tensor, v: number): Tensor {
  const x = target('constant', t, false);
  finite('constant', v, 'value');
  noGrad(() => fillK(x, v));
  return x;
}

/** Fills t with zeros. */
export const zeros = (t: Tensor): Tensor => constant(t, 0);
/** Fills t with ones. */
export const ones = (t: Tensor): Tensor => constant(t, 1);

/** Glorot/Xavier uniform: U(−a, a) with a = gain · √(6 / (fanIn + fanOut)). */
export function xavierUniform(t: Tensor, o: XavierOptions = {}): Tensor {
  const x = target('xavierUniform', t, true);
  const gain = o.gain === undefined ? 1 : finite('xavierUniform', o.gain, 'gain');
  const { fanIn, fanOut } = calculateFanInAndFanOut(x.shape);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(x, -a, a, o);
}

/** Glorot/Xavier normal: N(0, std²) with std = gain · √(2 / (fanIn + fanOut)). */
export function xavierNormal(t: Tensor, o: XavierOptions = {}): Tensor {
  const x = target('xavierNormal', t, true);
  const gain = o.gain === undefined ? 1 : finite('xavierNormal', o.gain, 'gain');
  const { fanIn, fanOut } = calculateFanInAndFanOut(x.shape);
  return normal(x, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), o);
}

function kaimingStd(op: string, x: Tensor, o: KaimingOptions): number {
  const a = o.a === undefined ? 0 : finite(op, o.a, 'a');
  const mode = o.mode ?? 'fanIn';
  if (!['fanIn', 'fanOut', 'fan_in', 'fan_out'].includes(mode)) throw new TypeError(`${op}: mode must be 'fanIn' or 'fanOut', got ${JSON.stringify(mode)}`);
  const { fanIn, fanOut } = calculateFanInAndFanOut(x.shape);
  const fan = mode === 'fanIn' || mode === 'fan_in' ? fanIn : fanOut;
  if (fan === 0) throw new RangeError(`${op}: cannot initialise tensor ${shapeStr(x.shape)} with a zero fan`);
  return calculateGain(o.nonlinearity ?? 'leaky_relu', a) / Math.sqrt(fan);
}

/** He/Kaiming uniform: U(−b, b) with b = gain · √(3 / fan), gain = calculateGain(nonlinearity, a). */
export function kaimingUniform(t: Tensor, o: KaimingOptions = {}): Tensor {
  const x = target('kaimingUniform', t, true);
  const b = Math.sqrt(3) * kaimingStd('kaimingUniform', x, o);
  return uniform(x, -b, b, o);
}

/** He/Kaiming normal: N(0, std²) with std = gain / √fan. */
export function kaimingNormal(t: Tensor, o: KaimingOptions = {}): Tensor {
  const x = target('kaimingNormal', t, true);
  return normal(x, 0, kaimingStd('kaimingNormal', x, o), o);
}

/**
 * PyTorch's default initialisation of a Linear or Conv2d layer: the weight kaiming-uniform with
 * a = √5 (so U(−1/√fanIn, 1/√fanIn)), the bias U(−1/√fanIn, 1/√fanIn).
 */
export function defaultLayerInit(weight: Tensor, bias?: Tensor | null): void {
  kaimingUniform(weight, { a: Math.sqrt(5) });
  if (bias) {
    const { fanIn } = calculateFanInAndFanOut(weight.shape);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform(bias, -bound, bound);
  }
}
