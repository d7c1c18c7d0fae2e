// errors.test.ts — bad input gives TypeError/RangeError/Error naming the op and the shapes/dtypes,
// and a seeded fast-check property: >= 10,000 random calls of public ops with random (often bad)
// arguments either return tensors or throw an Error, never anything else, never a crash.
import t from 'tap';
import * as os from 'os';
import fc from 'fast-check';
import * as cp from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as td from '../lib/index';
import { rng } from './helpers/check';

type Tensor = td.Tensor;

// The fuzz properties run in child processes (this same file with TD_FUZZ_CHILD set), so that a
// native crash (a signal) is reported as a failing assertion naming the call instead of killing
// the test file. In a child, no tap tests are registered.
const CHILD = process.env.TD_FUZZ_CHILD;
// The child logs to a regular file (TD_FUZZ_LOG), not to a pipe: a pipe can answer EAGAIN when the
// parent is slow to drain it on a loaded machine, which would look like a failure of the call.
const LOG_FD = CHILD ? fs.openSync(process.env.TD_FUZZ_LOG ?? '/dev/null', 'w') : 2;
const test: typeof t.test = CHILD ? ((() => undefined) as unknown as typeof t.test) : t.test.bind(t);

const f32 = (shape: number[]) => td.zeros(shape);
const i32 = (shape: number[]) => td.zeros(shape, { dtype: 'int32' });

/** Asserts fn throws an instance of `cls` whose message matches every pattern. */
function throwsWith(tt: tap.Test, fn: () => unknown, cls: ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor, patterns: RegExp[], msg: string): void {
  let err: unknown = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (!err) {
    tt.fail(`${msg}: did not throw`);
    return;
  }
  const m = err instanceof Error ? err.message : String(err);
  tt.ok(err instanceof cls, `${msg}: throws ${cls.name}`, { got: err instanceof Error ? `${err.name}: ${m}` : m });
  for (const p of patterns) tt.match(m, p, `${msg}: message matches ${p}`);
}

test('wrong shapes', async (t) => {
  const a = f32([2, 3]), b = f32([4]), c = f32([3, 3]), d = f32([4, 5]);
  throwsWith(t, () => td.add(a, b), RangeError, [/^add:/, /\[2, 3\]/, /\[4\]/], 'add [2,3] + [4]');
  throwsWith(t, () => a.add(b), RangeError, [/^add:/, /\[2, 3\]/, /\[4\]/], 'method add');
  throwsWith(t, () => td.sub(a, f32([3, 2])), RangeError, [/^sub:/, /\[2, 3\]/, /\[3, 2\]/], 'sub');
  throwsWith(t, () => td.mul(f32([2, 1, 3]), f32([4, 2])), RangeError, [/^mul:/, /\[2, 1, 3\]/, /\[4, 2\]/], 'mul');
  throwsWith(t, () => td.maximum(a, b), RangeError, [/^maximum:/], 'maximum');
  throwsWith(t, () => td.where(f32([2, 3]), a, b), RangeError, [/^where:/, /\[4\]/], 'where');
  throwsWith(t, () => td.matmul(a, d), RangeError, [/^matmul:/, /\[2, 3\]/, /\[4, 5\]/], 'matmul [2,3] @ [4,5]');
  throwsWith(t, () => td.matmul(f32([2, 3, 4]), f32([3, 4, 5])), RangeError, [/^matmul:/, /\[2\]/, /\[3\]/], 'matmul batch dims');
  throwsWith(t, () => td.matmul(f32([]), a), RangeError, [/^matmul:/, /\[\]/], 'matmul 0-d');
  throwsWith(t, () => td.matmul(f32([3]), f32([4])), RangeError, [/^matmul:/, /\[3\]/, /\[4\]/], 'matmul dot of different lengths');
  throwsWith(t, () => td.bmm(a, c), RangeError, [/^bmm:/, /\[2, 3\]/, /\[3, 3\]/], 'bmm 2-D');
  throwsWith(t, () => td.linear(a, d), RangeError, [/^linear:/, /\[2, 3\]/, /\[4, 5\]/], 'linear');
  throwsWith(t, () => td.linear(a, f32([5, 3]), f32([4])), RangeError, [/^linear:/, /bias/, /\[4\]/], 'linear bias');
  throwsWith(t, () => td.cat([a, c], 1), RangeError, [/^cat:/, /\[2, 3\]/, /\[3, 3\]/], 'cat [2,3] [3,3] dim 1');
  throwsWith(t, () => td.cat([a, f32([2, 3, 1])]), RangeError, [/^cat:/, /\[2, 3, 1\]/], 'cat rank mismatch');
  throwsWith(t, () => td.cat([f32([]), f32([])]), RangeError, [/^cat:/], 'cat 0-d');
  throwsWith(t, () => td.stack([a, c]), RangeError, [/^stack:/, /\[2, 3\]/, /\[3, 3\]/], 'stack');
  throwsWith(t, () => td.mseLoss(a, b), RangeError, [/mseLoss|sub/, /\[2, 3\]/, /\[4\]/], 'mseLoss');
  throwsWith(t, () => td.layerNorm(a, [4]), RangeError, [/^layerNorm:/, /\[2, 3\]/], 'layerNorm normalizedShape');
  throwsWith(t, () => td.layerNorm(a, [3], f32([4])), RangeError, [/^layerNorm:/, /weight/, /\[4\]/], 'layerNorm weight');
  throwsWith(t, () => td.crossEntropy(a, i32([3])), RangeError, [/^crossEntropy:/, /\[2, 3\]/, /\[3\]/], 'crossEntropy target length');
  throwsWith(t, () => td.gather(a, 1, i32([2])), RangeError, [/^gather:/, /\[2\]/, /\[2, 3\]/], 'gather rank');
  throwsWith(t, () => td.scatterAdd(a, 1, i32([2, 2]), f32([2, 3])), RangeError, [/^scatterAdd:/], 'scatterAdd index/src');
  throwsWith(t, () => td.reshape(a, [4]), RangeError, [/^reshape:/, /\[2, 3\]/, /6 elements/, /\[4\]/], 'reshape numel');
  throwsWith(t, () => td.reshape(a, [-1, -1]), RangeError, [/^reshape:/, /-1/], 'reshape two -1');
  throwsWith(t, () => td.reshape(a, [-1, 4]), RangeError, [/^reshape:/], 'reshape -1 not divisible');
  throwsWith(t, () => td.view(a.transpose(), [6]), RangeError, [/^view:/, /not contiguous/], 'view of non-contiguous');
  throwsWith(t, () => td.expand(a, [4, 3]), RangeError, [/^expand:/, /\[2, 3\]/, /\[4, 3\]/], 'expand');
  throwsWith(t, () => td.expand(a, [3]), RangeError, [/^expand:/], 'expand to fewer dims');
  throwsWith(t, () => td.narrow(a, 1, 2, 2), RangeError, [/^narrow:/, /size 3/, /\[2, 3\]/], 'narrow out of range');
  throwsWith(t, () => td.split(a, [1, 1], 1), RangeError, [/^split:/, /3/], 'split sizes');
  throwsWith(t, () => td.tensor([1, 2, 3], { shape: [2, 2] }), RangeError, [/^tensor:/, /\[2,2\]/, /3 elements/], 'tensor shape option');
  throwsWith(t, () => a.item(), RangeError, [/^item:/, /6 elements/, /\[2, 3\]/], 'item of many elements');
  td.dispose([a, b, c, d]);
});

test('bad dtypes', async (t) => {
  const x = i32([2, 3]), y = f32([2, 3]);
  throwsWith(t, () => td.softmax(x), TypeError, [/^softmax:/, /int32/], 'softmax of int32');
  throwsWith(t, () => td.logSoftmax(x, 0), TypeError, [/^logSoftmax:/, /int32/], 'logSoftmax of int32');
  throwsWith(t, () => td.layerNorm(x, [3]), TypeError, [/^layerNorm:/, /int32/], 'layerNorm of int32');
  throwsWith(t, () => td.logsumexp(x), TypeError, [/^logsumexp:/, /int32/], 'logsumexp of int32');
  throwsWith(t, () => td.dropout(x), TypeError, [/^dropout:/, /int32/], 'dropout of int32');
  throwsWith(t, () => td.crossEntropy(x, i32([2])), TypeError, [/^crossEntropy:/, /int32/], 'crossEntropy int32 logits');
  throwsWith(t, () => td.crossEntropy(y, f32([2])), TypeError, [/^crossEntropy:/, /target/, /float32/], 'crossEntropy float target');
  throwsWith(t, () => td.gather(y, 1, f32([2, 1])), TypeError, [/^gather:/, /index/, /float32/], 'gather float index');
  throwsWith(t, () => td.indexSelect(y, 0, f32([1])), TypeError, [/^indexSelect:/, /float32/], 'indexSelect float index');
  throwsWith(t, () => td.scatterAdd(y, 1, i32([2, 1]), td.zeros([2, 1], { dtype: 'float64' })), TypeError, [/^scatterAdd:/, /float64/, /float32/], 'scatterAdd src dtype');
  throwsWith(t, () => td.oneHot(y, 3), TypeError, [/^oneHot:/, /float32/], 'oneHot float index');
  throwsWith(t, () => td.rand([2], { dtype: 'int32' }), TypeError, [/^rand:/, /float32 or float64/], 'rand int32');
  throwsWith(t, () => td.randn([2], { dtype: 'int32' }), TypeError, [/^randn:/, /float32 or float64/], 'randn int32');
  // requiresGrad on int32
  throwsWith(t, () => td.tensor([1, 2], { dtype: 'int32', requiresGrad: true }), TypeError, [/^tensor:/, /int32/, /gradient/], 'tensor int32 requiresGrad');
  throwsWith(t, () => td.tensor(new Int32Array([1, 2]), { requiresGrad: true }), TypeError, [/^tensor:/, /int32/], 'Int32Array requiresGrad');
  throwsWith(t, () => td.randint(0, 4, [3], { requiresGrad: true }), TypeError, [/^randint:/, /int32/], 'randint requiresGrad');
  throwsWith(t, () => td.arange(5, undefined, 1, { requiresGrad: true }), TypeError, [/^arange:/, /int32/], 'arange (int32) requiresGrad');
  throwsWith(t, () => x.requiresGrad_(), TypeError, [/^requiresGrad_:/, /int32/], 'requiresGrad_ on int32');
  throwsWith(t, () => y.requiresGrad_('yes' as never), TypeError, [/^requiresGrad_:/, /boolean/], 'requiresGrad_ non-boolean');
  throwsWith(t, () => td.tensor([1], { requiresGrad: 1 as never }), TypeError, [/^tensor:/, /requiresGrad/], 'requiresGrad option non-boolean');
  // unknown dtypes
  throwsWith(t, () => td.tensor([1], { dtype: 'float16' as never }), TypeError, [/^tensor:/, /float16/], 'tensor float16');
  throwsWith(t, () => td.randn([1], { dtype: 'bool' as never }), TypeError, [/^randn:/, /bool/], 'randn bool');
  throwsWith(t, () => y.to('int8' as never), TypeError, [/^to:/, /int8/], 'to int8');
  throwsWith(t, () => td.oneHot(i32([2]), 3, 'uint8' as never), TypeError, [/^oneHot:/, /uint8/], 'oneHot dtype');
  throwsWith(t, () => td.tensor(new Uint8Array(3) as never), TypeError, [/^tensor:/, /typed arrays/], 'Uint8Array');
  td.dispose([x, y]);
});

test('cast validates its dtype', async (t) => {
  const y = f32([2]);
  throwsWith(t, () => td.cast(y, 'float16' as never), TypeError, [/^cast:/, /float16/], 'cast to an unknown dtype');
  throwsWith(t, () => td.cast(y, undefined as never), TypeError, [/^cast:/], 'cast without dtype');
  y.dispose();
});

test('bad dims', async (t) => {
  const x = f32([2, 3]);
  throwsWith(t, () => td.sum(x, 2), RangeError, [/^sum:/, /dim 2/, /2 dims/], 'sum dim 2 of 2-D');
  throwsWith(t, () => td.sum(x, -3), RangeError, [/^sum:/, /-3/], 'sum dim -3');
  throwsWith(t, () => td.mean(x, 1.5), TypeError, [/^mean:/, /integer/, /1\.5/], 'mean dim 1.5');
  throwsWith(t, () => td.sum(x, [0, 0]), RangeError, [/^sum:/, /repeats/], 'sum repeated dim');
  throwsWith(t, () => td.sum(x, [0, 'a'] as never), TypeError, [/^sum:/], 'sum dim string');
  throwsWith(t, () => td.amax(x, NaN), TypeError, [/^amax:/, /NaN/], 'amax NaN dim');
  throwsWith(t, () => td.amax(f32([0, 3]), 0), RangeError, [/^amax:/, /size 0/, /\[0, 3\]/], 'amax over an empty dim');
  throwsWith(t, () => td.argmax(x, [0] as never), TypeError, [/^argmax:/], 'argmax dim array');
  throwsWith(t, () => td.transpose(x, 0, 5), RangeError, [/^transpose:/, /5/], 'transpose dim 5');
  throwsWith(t, () => td.permute(x, [0]), RangeError, [/^permute:/, /\[2, 3\]/], 'permute wrong length');
  throwsWith(t, () => td.permute(x, [1, 1]), RangeError, [/^permute:/, /repeats/], 'permute repeats');
  throwsWith(t, () => td.softmax(x, -3), RangeError, [/^softmax:/, /-3/], 'softmax dim -3');
  throwsWith(t, () => td.softmax(x, 0.5), TypeError, [/^softmax:/], 'softmax dim 0.5');
  throwsWith(t, () => td.unsqueeze(x, 3), RangeError, [/^unsqueeze:/, /3/], 'unsqueeze 3 of 2-D');
  throwsWith(t, () => td.squeeze(x, 2), RangeError, [/^squeeze:/], 'squeeze dim 2');
  throwsWith(t, () => td.squeeze(x, 'a' as never), TypeError, [/^squeeze:/], 'squeeze string dim');
  throwsWith(t, () => td.flatten(f32([2, 3, 4]), 2, 1), RangeError, [/^flatten:/], 'flatten start > end');
  throwsWith(t, () => td.cat([x, x], 2), RangeError, [/^cat:/, /dim 2/], 'cat dim 2');
  throwsWith(t, () => td.stack([x, x], 4), RangeError, [/^stack:/], 'stack dim 4');
  throwsWith(t, () => td.narrow(x, 2, 0, 1), RangeError, [/^narrow:/], 'narrow dim 2');
  throwsWith(t, () => td.narrow(x, 0, 0.5, 1), TypeError, [/^narrow:/, /integer/], 'narrow non-integer start');
  throwsWith(t, () => td.slice(x, 0, 0, 2, 0), RangeError, [/^slice:/, /step/], 'slice step 0');
  throwsWith(t, () => td.slice(x, 0, 0, 2, -1), RangeError, [/^slice:/, /step/], 'slice negative step');
  throwsWith(t, () => td.gather(x, 2, i32([2, 3])), RangeError, [/^gather:/], 'gather dim 2');
  throwsWith(t, () => td.chunk(x, 0), RangeError, [/^chunk:/, /0/], 'chunk 0');
  throwsWith(t, () => td.split(x, 0), RangeError, [/^split:/], 'split size 0');
  throwsWith(t, () => td.norm(x, -1), RangeError, [/^norm:/, /p/], 'norm p -1');
  throwsWith(t, () => td.var(x, 0, { correction: -1 }), RangeError, [/^var:/, /correction/], 'var negative correction');
  throwsWith(t, () => td.gelu(x, 'fast' as never), TypeError, [/^gelu:/, /fast/], 'gelu approximate');
  throwsWith(t, () => td.clamp(x), TypeError, [/^clamp:/], 'clamp without bounds');
  throwsWith(t, () => td.dropout(x, 1.5), RangeError, [/^dropout:/, /1\.5/], 'dropout p');
  throwsWith(t, () => td.crossEntropy(x, i32([2]), { labelSmoothing: 2 }), RangeError, [/^crossEntropy:/, /labelSmoothing/], 'labelSmoothing');
  throwsWith(t, () => td.crossEntropy(x, i32([2]), { reduction: 'avg' as never }), TypeError, [/^crossEntropy:/, /reduction/], 'reduction');
  throwsWith(t, () => td.oneHot(i32([2]), 0), RangeError, [/^oneHot:/, /numClasses/], 'oneHot 0 classes');
  throwsWith(t, () => td.manualSeed(-1), TypeError, [/^manualSeed:/], 'manualSeed -1');
  throwsWith(t, () => td.setNumThreads(0), RangeError, [/^setNumThreads:/], 'setNumThreads 0');
  x.dispose();
});

test('index values out of range', async (t) => {
  const x = f32([2, 3]);
  const bad = td.tensor([[0, 3]], { dtype: 'int32' });
  const neg = td.tensor([-1], { dtype: 'int32' });
  throwsWith(t, () => td.gather(x, 1, bad), RangeError, [/gather/, /3/], 'gather index 3 of size 3');
  throwsWith(t, () => td.indexSelect(x, 0, neg), RangeError, [/indexSelect|gather/, /-1/], 'indexSelect -1');
  throwsWith(t, () => td.scatterAdd(x, 1, bad, f32([1, 2])), RangeError, [/scatter/i], 'scatterAdd index 3');
  throwsWith(t, () => td.crossEntropy(x, td.tensor([0, 7], { dtype: 'int32' })), RangeError, [/^crossEntropy:/, /7|class/], 'crossEntropy class 7 of 3');
  throwsWith(t, () => td.oneHot(td.tensor([5], { dtype: 'int32' }), 3), RangeError, [/^oneHot:/, /numClasses 3/], 'oneHot 5 of 3');
  td.dispose([x, bad, neg]);
});

test('non-tensor arguments', async (t) => {
  const x = f32([2]);
  throwsWith(t, () => td.exp(null as never), TypeError, [/^exp:/, /Tensor/, /null/], 'exp(null)');
  throwsWith(t, () => td.exp(undefined as never), TypeError, [/^exp:/, /undefined/], 'exp(undefined)');
  throwsWith(t, () => td.relu('abc' as never), TypeError, [/^relu:/, /string/], 'relu(string)');
  throwsWith(t, () => td.add('a' as never, x), TypeError, [/^add:/, /first argument/, /string/], 'add(string, x)');
  throwsWith(t, () => td.mul(x, {} as never), TypeError, [/^mul:/, /second argument/, /object/], 'mul(x, {})');
  throwsWith(t, () => td.add(1 as never, 2 as never), TypeError, [/^add:/, /Tensor/], 'add(1, 2)');
  throwsWith(t, () => td.matmul({} as never, x), TypeError, [/^matmul:/, /object/], 'matmul({}, x)');
  throwsWith(t, () => td.matmul(x, [1, 2] as never), TypeError, [/^matmul:/, /second argument/], 'matmul(x, array)');
  throwsWith(t, () => td.sum(null as never), TypeError, [/^sum:/, /null/], 'sum(null)');
  throwsWith(t, () => td.cat([x, 5 as never]), TypeError, [/^cat:/, /tensors\[1\]/, /number/], 'cat with a number');
  throwsWith(t, () => td.cat(x as never), TypeError, [/^cat:/, /array/], 'cat(tensor)');
  throwsWith(t, () => td.cat([]), TypeError, [/^cat:/, /non-empty/], 'cat([])');
  throwsWith(t, () => td.where(1 as never, x, x), TypeError, [/^where:/, /condition/], 'where(1, x, x)');
  throwsWith(t, () => td.where(x, 1, 2), TypeError, [/^where:/], 'where(x, 1, 2)');
  throwsWith(t, () => td.gather(x, 0, [0] as never), TypeError, [/^gather:/, /index/], 'gather with an array index');
  throwsWith(t, () => td.reshape(x, 'abc' as never), TypeError, [/^reshape:/, /shape/], 'reshape(x, string)');
  throwsWith(t, () => td.expand(x, 4 as never), TypeError, [/^expand:/, /shape/], 'expand(x, 4)');
  throwsWith(t, () => td.zeros('abc' as never), TypeError, [/shape/], 'zeros(string)');
  throwsWith(t, () => td.full([2], 'a' as never), TypeError, [/^full:/, /number/], 'full(shape, string)');
  throwsWith(t, () => td.clamp(x, 'a' as never), TypeError, [/^clamp:/, /min/], 'clamp string min');
  throwsWith(t, () => td.linear(x, null as never), TypeError, [/^linear:/, /weight/], 'linear(x, null)');
  throwsWith(t, () => td.tensor(null as never), TypeError, [/^tensor:/, /null/], 'tensor(null)');
  throwsWith(t, () => td.tensor('abc' as never), TypeError, [/^tensor:/, /string/], 'tensor(string)');
  throwsWith(t, () => td.tensor({} as never), TypeError, [/^tensor:/, /object/], 'tensor({})');
  throwsWith(t, () => td.tensor([1, 'a'] as never), TypeError, [/^tensor:/, /string/], 'tensor([1, "a"])');
  throwsWith(t, () => td.tensor([[1], [null]] as never), TypeError, [/^tensor:/, /null/], 'tensor with null');
  throwsWith(t, () => td.zeros([2], 'float64' as never), TypeError, [/options/], 'options as a string');
  throwsWith(t, () => td.tidy(5 as never), TypeError, [/^tidy:/], 'tidy(5)');
  throwsWith(t, () => td.noGrad(5 as never), TypeError, [/^noGrad:/], 'noGrad(5)');
  throwsWith(t, () => td.gradcheck(((y: Tensor) => y) as never, [5 as never]), TypeError, [/^gradcheck:/], 'gradcheck([5])');
  x.dispose();
});

test('bad shapes', async (t) => {
  throwsWith(t, () => td.zeros([-1]), RangeError, [/non-negative/, /-1/], 'negative size');
  throwsWith(t, () => td.ones([2, 2.5]), RangeError, [/2\.5/], 'non-integer size');
  throwsWith(t, () => td.randn([NaN]), RangeError, [/^randn:/], 'NaN size');
  throwsWith(t, () => td.rand([Infinity]), RangeError, [/^rand:/], 'Infinity size');
  throwsWith(t, () => td.full(['2'] as never, 1), RangeError, [/^full:/], 'string size');
  throwsWith(t, () => td.zeros(new Array(9).fill(1)), RangeError, [/at most 8 dims/, /9/], 'nine dims');
  throwsWith(t, () => td.randn([2 ** 31]), RangeError, [/^randn:/, /2\^31-1/], 'more than 2^31-1 elements');
  throwsWith(t, () => td.zeros([2 ** 16, 2 ** 16]), RangeError, [/2\^31-1/], 'product over 2^31-1');
  const x = td.zeros([2, 3]);
  throwsWith(t, () => td.reshape(x, [1, 1, 1, 1, 1, 1, 1, 1, 2, 3]), RangeError, [/^reshape:/, /8 dims/], 'reshape to 10 dims');
  throwsWith(t, () => td.reshape(x, [-2, -3]), RangeError, [/^reshape:/], 'reshape negative');
  throwsWith(t, () => td.expand(x, [1, 1, 1, 1, 1, 1, 1, 2, 3]), RangeError, [/^expand:/, /8 dims/], 'expand to 9 dims');
  throwsWith(t, () => td.expand(x, [2 ** 40, 2, 3]), RangeError, [/^expand:/], 'expand to a huge dim');
  throwsWith(t, () => td.tensor([[[[[[[[[1]]]]]]]]]), RangeError, [/^tensor:/, /8 dims/], 'nested array with 9 dims');
  throwsWith(t, () => td.eye(-1), RangeError, [/^eye:/], 'eye(-1)');
  throwsWith(t, () => td.arange(0, 10, 0), RangeError, [/^arange:/, /step/], 'arange step 0');
  throwsWith(t, () => td.arange(0, Infinity), RangeError, [/^arange:/], 'arange to Infinity');
  throwsWith(t, () => td.arange(0, 1e12), RangeError, [/^arange:/], 'arange of 1e12 elements');
  throwsWith(t, () => td.linspace(0, 1, -1), RangeError, [/^linspace:/, /steps/], 'linspace negative steps');
  throwsWith(t, () => td.randint(5, 5, [2]), RangeError, [/^randint:/], 'randint empty range');
  throwsWith(t, () => td.randint(0, 2 ** 33, [2]), RangeError, [/^randint:/, /2\^32/], 'randint huge range');
  x.dispose();
});

test('0-d tensors cannot be narrowed, sliced or split', async (t) => {
  // normDim accepts dim 0 / -1 for 0-d tensors (right for reductions); views along a dim must not
  const s = td.tensor(1.5);
  throwsWith(t, () => td.narrow(s, 0, 0, 0), RangeError, [/^narrow:/], 'narrow(0-d, 0, 0, 0)');
  throwsWith(t, () => td.narrow(s, -1, 0, 1), RangeError, [/^narrow:/], 'narrow(0-d, -1, 0, 1)');
  throwsWith(t, () => td.slice(s, -1, 4), RangeError, [/^slice:/], 'slice(0-d, -1, 4)');
  throwsWith(t, () => td.slice(s, 0), RangeError, [/^slice:/], 'slice(0-d, 0)');
  throwsWith(t, () => td.split(s, 1), RangeError, [/^split:/], 'split(0-d, 1)');
  throwsWith(t, () => td.chunk(s, 2), RangeError, [/^chunk:|^split:/], 'chunk(0-d, 2)');
  s.dispose();
});

test('no op makes a tensor of more than 8 dims', async (t) => {
  const x8 = td.zeros([1, 1, 1, 1, 1, 1, 1, 2]);
  throwsWith(t, () => td.unsqueeze(x8, 0), RangeError, [/^unsqueeze:/, /8 dims/], 'unsqueeze of an 8-D tensor');
  throwsWith(t, () => x8.unsqueeze(-1), RangeError, [/^unsqueeze:/], 'unsqueeze(-1) of an 8-D tensor');
  throwsWith(t, () => td.stack([x8, x8]), RangeError, [/^stack:|^unsqueeze:/, /8 dims/], 'stack of 8-D tensors');
  x8.dispose();
});

test('*Like creation functions check their tensor argument', async (t) => {
  throwsWith(t, () => td.zerosLike(null as never), TypeError, [/^zerosLike:/, /null/], 'zerosLike(null)');
  throwsWith(t, () => td.onesLike({} as never), TypeError, [/^onesLike:/], 'onesLike({})');
  const x = td.ones([3]);
  x.dispose();
  throwsWith(t, () => td.fullLike(x, 2), Error, [/^fullLike:/, /disposed/], 'fullLike(disposed)');
});

test('oneHot validates the result size', async (t) => {
  const idx = td.tensor([1, 0], { dtype: 'int32' });
  // [2, 2^40] float32 would be 8 TiB: must be rejected by the shape check, not reach the allocator
  throwsWith(t, () => td.oneHot(idx, 2 ** 40), RangeError, [/^oneHot:/], 'oneHot(idx, 2^40)');
  idx.dispose();
});

test('reductions over an empty dim do not crash the process', async (t) => {
  // each case in its own process: a native crash (SIGFPE) is reported instead of killing this file
  const lib = JSON.stringify(path.join(__dirname, '..', 'lib', 'index.js'));
  const cases: [string, string, unknown][] = [
    ['sum over dim 0 of [0, 8]', 'td.sum(td.zeros([0, 8]), 0)', new Array(8).fill(0)],
    ['mean over dim 0 of [0, 8] (NaN)', 'td.mean(td.zeros([0, 8]), 0)', new Array(8).fill(null)],
    ['prod over dim 0 of [0, 8, 2], keepdim', 'td.prod(td.zeros([0, 8, 2]), 0, true)', new Array(16).fill(1)],
    ['sum over dim 0 of [0, 3, 4]', 'td.sum(td.zeros([0, 3, 4]), 0)', new Array(12).fill(0)],
    ['broadcast gradient reduced over an empty dim', '(() => { const y = td.ones([8], { requiresGrad: true }); td.add(td.zeros([0, 8]), y).sum().backward(); return y.grad; })()', new Array(8).fill(0)],
  ];
  for (const [name, expr, want] of cases) {
    const code = `const td = require(${lib}); const r = ${expr}; process.stdout.write(JSON.stringify(Array.from(r.dataSync())));`;
    const r = cp.spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 60_000 });
    t.equal(r.signal, null, `${name}: process not killed by a signal`, { stderr: r.stderr });
    t.equal(r.status, 0, `${name}: exit status 0`);
    if (r.status === 0) t.same(JSON.parse(r.stdout), want, `${name}: values`);
  }
});

test('creation functions name themselves in errors', async (t) => {
  // zeros/ones/zerosLike are thin wrappers of full(); their messages should name the function called
  throwsWith(t, () => td.zeros([-1]), RangeError, [/^zeros:/], 'zeros([-1]) names zeros');
  throwsWith(t, () => td.ones([1.5]), RangeError, [/^ones:/], 'ones([1.5]) names ones');
});

test('linspace validates the element count like other creation functions', async (t) => {
  // 2^40 float32 elements (4 TiB): must be rejected by the shape check, not reach the allocator
  throwsWith(t, () => td.linspace(0, 1, 2 ** 40), RangeError, [/^linspace:/, /2\^31-1/], 'linspace(0, 1, 2^40)');
});

test('disposed tensors', async (t) => {
  const x = td.tensor([1, 2, 3]);
  const y = td.tensor([1, 2, 3]);
  const idx = td.tensor([0], { dtype: 'int32' });
  x.dispose();
  throwsWith(t, () => td.add(x, y), Error, [/^add:/, /\[3\] float32/, /disposed/], 'add');
  throwsWith(t, () => td.matmul(y, x), Error, [/^matmul:/, /disposed/], 'matmul');
  throwsWith(t, () => td.cat([y, x]), Error, [/^cat:/, /disposed/], 'cat');
  throwsWith(t, () => td.gather(y, 0, (idx.dispose(), idx)), Error, [/^gather:/, /int32/, /disposed/], 'gather disposed index');
  throwsWith(t, () => x.reshape([1, 3]), Error, [/^reshape:/, /disposed/], 'reshape');
  throwsWith(t, () => x.sum(), Error, [/^sum:/, /disposed/], 'sum');
  throwsWith(t, () => x.item(), Error, [/^item:/, /disposed/], 'item');
  throwsWith(t, () => td.backward(y.mul(1), x), Error, [/backward/], 'backward with a disposed grad');
  y.dispose();
});

test('ragged nested arrays', async (t) => {
  throwsWith(t, () => td.tensor([[1, 2], [3]]), RangeError, [/^tensor:/, /ragged/], '[[1,2],[3]]');
  throwsWith(t, () => td.tensor([[1], [2, 3]]), RangeError, [/^tensor:/, /ragged/], '[[1],[2,3]]');
  throwsWith(t, () => td.tensor([[1, 2], 3] as never), RangeError, [/^tensor:/, /ragged/], '[[1,2],3]');
  throwsWith(t, () => td.tensor([[[1, 2]], [[3, 4], [5, 6]]]), RangeError, [/^tensor:/, /ragged/], '3-D ragged');
  throwsWith(t, () => td.tensor([1, [2]] as never), TypeError, [/^tensor:/], '[1,[2]]');
  throwsWith(t, () => td.tensor([[], [1]]), RangeError, [/^tensor:/, /ragged/], '[[],[1]]');
});

test("device 'cuda'", async (t) => {
  const notAvail = [/cuda/i, /not available/];
  throwsWith(t, () => td.zeros([2], { device: 'cuda' }), Error, notAvail, "zeros on 'cuda'");
  throwsWith(t, () => td.tensor([1, 2], { device: 'cuda' }), Error, [/^tensor:/, ...notAvail], "tensor on 'cuda'");
  throwsWith(t, () => td.randn([2], { device: 'cuda:0' }), Error, [/^randn:/, ...notAvail], "randn on 'cuda:0'");
  throwsWith(t, () => td.arange(3, undefined, 1, { device: 'cuda' }), Error, [/^arange:/, ...notAvail], "arange on 'cuda'");
  throwsWith(t, () => td.zeros([2], { device: 5 as never }), TypeError, [/device/], 'numeric device');
  const info = td.backend.info();
  t.type(info.cuda.reason, 'string', `reason: ${info.cuda.reason}`);
  const x = td.zeros([1]);
  t.equal(x.device, 'cpu');
  t.equal(x.to('cpu' as never), x, "to('cpu') is a no-op");
  x.dispose();
});

// ------------------------------------------------------------------------------------------------
// The fuzzer. Argument descriptors are generated by fast-check and materialised inside td.tidy.

interface TDesc {
  k: 'T';
  shape: number[];
  dtype: td.DType;
  seed: number;
  layout: 'c' | 't' | 's';
  rel: 'own' | 'same' | 'bcast' | 'mm';
  mask: number;
  grad: boolean;
  disposed: boolean;
  wide: boolean;
}
type Desc =
  | TDesc
  | { k: 'v'; v: unknown }
  | { k: 'list'; items: TDesc[] }
  | { k: 'suffix'; n: number } // trailing dims of the first tensor
  | { k: 'perm'; seed: number } // a permutation of the first tensor's dims
  | { k: 'reshape'; variant: number } // a shape with the first tensor's numel
  | { k: 'target'; wide: boolean }; // class indices for the first tensor as logits

const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 });
const dtypeArb = fc.constantFrom<td.DType>('float32', 'float64', 'int32');
function tensorArb(dt: fc.Arbitrary<td.DType> = dtypeArb, rel: fc.Arbitrary<TDesc['rel']> = fc.constantFrom('own', 'same', 'same', 'bcast')): fc.Arbitrary<TDesc> {
  return fc.record({
    k: fc.constant('T' as const),
    shape: shapeArb,
    dtype: dt,
    seed: fc.nat(10_000),
    layout: fc.constantFrom('c', 'c', 't', 's'),
    rel,
    mask: fc.nat(15),
    grad: fc.boolean(),
    disposed: fc.oneof({ weight: 24, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    wide: fc.boolean(),
  });
}
const floatT = tensorArb(fc.constantFrom<td.DType>('float32', 'float32', 'float64', 'int32'));
const intT = tensorArb(fc.constantFrom<td.DType>('int32', 'int32', 'int32', 'float32'));
const v = <A>(a: fc.Arbitrary<A>): fc.Arbitrary<Desc> => a.map((x) => ({ k: 'v' as const, v: x }));

const BAD_VALUES: unknown[] = [
  null, undefined, NaN, Infinity, -Infinity, -1, -7, 0.5, -0, 2 ** 35, 2 ** 53, 1e308, -1e308,
  'abc', '', '2', {}, [], [1, 'a'], [null], [[1, 2], [3]], [-1, -1], [2 ** 35], [NaN], true, false,
  () => 1, 10n, Symbol('s'), new Float32Array(2), new Uint8Array(2), { shape: [2] }, new Date(0),
];
const badArb: fc.Arbitrary<Desc> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...BAD_VALUES).map((x) => ({ k: 'v' as const, v: x })) },
  { weight: 1, arbitrary: tensorArb().map((d) => ({ ...d, disposed: true })) }, // disposed tensor
  { weight: 1, arbitrary: tensorArb(dtypeArb, fc.constant('own')) }, // a tensor with an unrelated shape
);

const dimArb = fc.integer({ min: -4, max: 4 });
const GOOD: Record<string, fc.Arbitrary<Desc>> = {
  T: tensorArb(),
  Tf: floatT,
  Ti: intT,
  T2: tensorArb(dtypeArb, fc.constantFrom('same', 'bcast', 'own')),
  Tmm: tensorArb(fc.constantFrom<td.DType>('float32', 'float64'), fc.constantFrom('mm', 'mm', 'same', 'own')),
  'T?': fc.oneof(tensorArb(), v(fc.constantFrom(undefined, null))),
  Tn: fc.oneof({ weight: 3, arbitrary: tensorArb() as fc.Arbitrary<Desc> }, { weight: 1, arbitrary: v(fc.integer({ min: -3, max: 3 })) }),
  Tlist: fc.array(tensorArb(dtypeArb, fc.constantFrom('same', 'same', 'own', 'bcast')), { minLength: 1, maxLength: 3 }).map((items) => ({ k: 'list' as const, items })),
  dim: v(dimArb),
  'dim?': v(fc.option(dimArb, { nil: undefined })),
  dims: v(fc.oneof(fc.constant(undefined), dimArb, fc.array(dimArb, { maxLength: 3 }))),
  bool: v(fc.boolean()),
  int: v(fc.integer({ min: 0, max: 5 })),
  'int?': v(fc.option(fc.integer({ min: -5, max: 5 }), { nil: undefined })),
  num: v(fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ min: -5, max: 5, noNaN: true }))),
  'num?': v(fc.option(fc.double({ min: -2, max: 2, noNaN: true }), { nil: null })),
  numU: v(fc.option(fc.integer({ min: -6, max: 6 }), { nil: undefined })),
  prob: v(fc.double({ min: 0, max: 1, noNaN: true })),
  p: v(fc.constantFrom(1, 2, 3, Infinity, 0.5)),
  shape: v(fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 })),
  rshape: fc.oneof(
    fc.integer({ min: 0, max: 4 }).map((variant) => ({ k: 'reshape' as const, variant })),
    v(fc.array(fc.integer({ min: -1, max: 4 }), { maxLength: 4 })),
  ),
  suffix: fc.integer({ min: 1, max: 2 }).map((n) => ({ k: 'suffix' as const, n })),
  perm: fc.nat(1000).map((seed) => ({ k: 'perm' as const, seed })),
  target: fc.boolean().map((wide) => ({ k: 'target' as const, wide })),
  sizes: v(fc.oneof(fc.integer({ min: 1, max: 3 }), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }))),
  dtype: v(dtypeArb),
  approx: v(fc.constantFrom('none', 'tanh')),
  opts: v(fc.record({ dtype: fc.option(dtypeArb, { nil: undefined }), requiresGrad: fc.option(fc.boolean(), { nil: undefined }) }, { requiredKeys: [] })),
  ropts: v(fc.record({ dtype: fc.option(dtypeArb, { nil: undefined }), seed: fc.option(fc.nat(100), { nil: undefined }) }, { requiredKeys: [] })),
  varopts: v(fc.record({ correction: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }), keepdim: fc.option(fc.boolean(), { nil: undefined }) }, { requiredKeys: [] })),
  ceopts: v(fc.record({ reduction: fc.constantFrom<td.Reduction>('mean', 'sum', 'none'), labelSmoothing: fc.constantFrom(0, 0.1, 1) }, { requiredKeys: [] })),
  red: v(fc.record({ reduction: fc.constantFrom<td.Reduction>('mean', 'sum', 'none') }, { requiredKeys: [] })),
  nested: v(fc.oneof(
    fc.double(),
    fc.array(fc.double({ noNaN: false }), { maxLength: 4 }),
    fc.array(fc.array(fc.integer({ min: -9, max: 9 }), { maxLength: 3 }), { maxLength: 3 }),
    fc.array(fc.array(fc.array(fc.integer(), { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 2 }), { maxLength: 2 }),
  )),
};

type AnyFn = (...a: never[]) => unknown;
interface Op { name: string; args: string[]; fn: AnyFn; other?: boolean }
const op = (name: string, args: string[], fn: AnyFn, other = false): Op => ({ name, args, fn, other });
const M = (m: string) => (x: Tensor, ...rest: unknown[]) => (x as unknown as Record<string, (...a: unknown[]) => unknown>)[m](...rest);

const OPS: Op[] = [
  // elementwise
  op('add', ['Tn', 'T2'], td.add), op('sub', ['Tn', 'T2'], td.sub), op('mul', ['T', 'T2'], td.mul),
  op('div', ['T', 'Tn'], td.div), op('pow', ['Tn', 'T2'], td.pow), op('maximum', ['T', 'T2'], td.maximum),
  op('minimum', ['T', 'Tn'], td.minimum), op('gt', ['T', 'Tn'], td.gt), op('eq', ['Tn', 'T2'], td.eq),
  op('where', ['T', 'T2', 'Tn'], td.where), op('neg', ['T'], td.neg), op('exp', ['T'], td.exp), op('log', ['T'], td.log),
  op('sqrt', ['T'], td.sqrt), op('abs', ['T'], td.abs), op('sigmoid', ['T'], td.sigmoid), op('relu', ['T'], td.relu),
  op('tanh', ['T'], td.tanh), op('gelu', ['T', 'approx'], td.gelu), op('clamp', ['T', 'num?', 'num?'], td.clamp),
  op('erf', ['Tf'], td.erf), op('softplus', ['Tf'], td.softplus), op('sign', ['T'], td.sign),
  // reductions
  op('sum', ['T', 'dims', 'bool'], td.sum), op('mean', ['T', 'dims', 'bool'], td.mean), op('prod', ['T', 'dims', 'bool'], td.prod),
  op('amax', ['T', 'dims', 'bool'], td.amax), op('amin', ['T', 'dims', 'bool'], td.amin), op('argmax', ['T', 'dim?', 'bool'], td.argmax),
  op('max', ['T', 'dim?', 'bool'], td.max as AnyFn), op('var', ['T', 'dims', 'varopts'], td.var), op('std', ['Tf', 'dims', 'varopts'], td.std),
  op('logsumexp', ['Tf', 'dims', 'bool'], td.logsumexp), op('norm', ['Tf', 'p', 'dims', 'bool'], td.norm),
  // linear algebra
  op('matmul', ['Tf', 'Tmm'], td.matmul), op('bmm', ['Tf', 'Tmm'], td.bmm), op('linear', ['Tf', 'T', 'T?'], td.linear),
  // views
  op('reshape', ['T', 'rshape'], td.reshape), op('view', ['T', 'rshape'], td.view), op('transpose', ['T', 'dim?', 'dim?'], td.transpose),
  op('permute', ['T', 'perm'], td.permute), op('expand', ['T', 'shape'], td.expand), op('broadcastTo', ['T', 'shape'], td.broadcastTo),
  op('squeeze', ['T', 'dim?'], td.squeeze), op('unsqueeze', ['T', 'dim'], td.unsqueeze), op('flatten', ['T', 'dim?', 'dim?'], td.flatten),
  op('narrow', ['T', 'dim', 'int', 'int'], td.narrow), op('slice', ['T', 'dim', 'int?', 'int?', 'int?'], td.slice),
  op('contiguous', ['T'], td.contiguous), op('clone', ['T'], td.clone), op('detach', ['T'], td.detach),
  // joining / indexing
  op('cat', ['Tlist', 'dim?'], td.cat), op('stack', ['Tlist', 'dim?'], td.stack), op('split', ['T', 'sizes', 'dim?'], td.split),
  op('chunk', ['T', 'int', 'dim?'], td.chunk), op('gather', ['T', 'dim', 'Ti'], td.gather), op('indexSelect', ['T', 'dim', 'Ti'], td.indexSelect),
  op('scatterAdd', ['T', 'dim', 'Ti', 'T2'], td.scatterAdd), op('oneHot', ['Ti', 'int', 'dtype'], td.oneHot),
  // nn
  op('softmax', ['Tf', 'dim?'], td.softmax), op('logSoftmax', ['Tf', 'dim?'], td.logSoftmax),
  op('layerNorm', ['Tf', 'suffix', 'T?', 'T?'], td.layerNorm), op('crossEntropy', ['Tf', 'target', 'ceopts'], td.crossEntropy),
  op('mseLoss', ['T', 'T2', 'red'], td.mseLoss), op('dropout', ['Tf', 'prob', 'ropts'], td.dropout), op('cast', ['T', 'dtype'], td.cast),
  // creation
  op('tensor', ['nested', 'opts'], td.tensor), op('zeros', ['shape', 'opts'], td.zeros), op('full', ['shape', 'num', 'opts'], td.full),
  op('arange', ['num', 'numU', 'numU', 'opts'], td.arange), op('linspace', ['num', 'num', 'int', 'opts'], td.linspace),
  op('eye', ['int', 'int?', 'opts'], td.eye), op('rand', ['shape', 'ropts'], td.rand), op('randn', ['shape', 'ropts'], td.randn),
  op('randint', ['num', 'num', 'shape', 'ropts'], td.randint), op('onesLike', ['T', 'opts'], td.onesLike),
  // methods
  op('to', ['T', 'dtype'], M('to')), op('item', ['T'], M('item'), true), op('toArray', ['T'], M('toArray'), true),
  op('requiresGrad_', ['T', 'bool'], M('requiresGrad_')), op('backward', ['T', 'T?'], M('backward'), true),
  op('max(dim)', ['T', 'dim', 'bool'], M('max')),
];

function argArb(spec: string): fc.Arbitrary<Desc> {
  const good = GOOD[spec];
  if (!good) throw new Error(`no arbitrary for ${spec}`);
  return fc.oneof({ weight: 9, arbitrary: good }, { weight: 1, arbitrary: badArb });
}

interface Ctx { first: Tensor | null; leaves: Tensor[] }

function mkTensor(d: TDesc, ctx: Ctx): Tensor {
  let shape = d.shape.slice();
  const f = ctx.first;
  if (f) {
    if (d.rel === 'same') shape = f.shape.slice();
    else if (d.rel === 'bcast') shape = f.shape.slice(d.mask & 1).map((s, i) => ((d.mask >> (i + 1)) & 1 ? 1 : s));
    else if (d.rel === 'mm' && f.ndim >= 1) shape = [...shape.slice(0, Math.max(0, shape.length - 2)), f.shape[f.ndim - 1], shape[shape.length - 1] ?? 2];
  }
  let phys = shape.slice();
  const layout = d.layout === 't' && shape.length >= 2 ? 't' : d.layout === 's' && shape.length >= 1 ? 's' : 'c';
  if (layout === 't') [phys[phys.length - 2], phys[phys.length - 1]] = [phys[phys.length - 1], phys[phys.length - 2]];
  if (layout === 's') phys = [phys[0] * 2, ...phys.slice(1)];
  const base = d.dtype === 'int32'
    ? td.randint(d.wide ? -2 : 0, d.wide ? 6 : 3, phys, { seed: d.seed })
    : td.randn(phys, { dtype: d.dtype, seed: d.seed });
  if (d.grad && d.dtype !== 'int32') base.requiresGrad_();
  ctx.leaves.push(base);
  const x = layout === 't' ? base.transpose(-1, -2) : layout === 's' ? base.slice(0, 0, undefined, 2) : base;
  if (!ctx.first) ctx.first = x;
  if (d.disposed) x.dispose();
  return x;
}

function materialize(d: Desc, ctx: Ctx): unknown {
  switch (d.k) {
    case 'v': return d.v;
    case 'T': return mkTensor(d, ctx);
    case 'list': return d.items.map((i) => mkTensor(i, ctx));
    case 'suffix': return ctx.first ? ctx.first.shape.slice(Math.max(0, ctx.first.ndim - d.n)) : [d.n];
    case 'perm': {
      const n = ctx.first ? ctx.first.ndim : 2;
      const r = rng(d.seed);
      const p = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [p[i], p[j]] = [p[j], p[i]]; }
      return p;
    }
    case 'reshape': {
      const s = ctx.first ? ctx.first.shape : [1];
      const n = s.reduce((a, b) => a * b, 1);
      return [[n], [-1], [1, n], [...s].reverse(), [n, 1, -1]][d.variant];
    }
    case 'target': {
      const f = ctx.first;
      const n = f && f.ndim >= 1 ? f.shape[0] : 1;
      const c = f && f.ndim === 2 ? f.shape[1] : 3;
      if (f && f.ndim === 1) return td.randint(0, Math.max(1, c), [], { seed: 5 });
      return td.randint(d.wide ? -1 : 0, Math.max(1, c) + (d.wide ? 1 : 0), [n], { seed: 5 });
    }
  }
}

function tensors(r: unknown, out: Tensor[] = []): Tensor[] | null {
  if (r instanceof td.Tensor) out.push(r);
  else if (Array.isArray(r)) { for (const x of r) if (!tensors(x, out)) return null; }
  else if (r !== null && typeof r === 'object' && Object.getPrototypeOf(r) === Object.prototype) { for (const x of Object.values(r)) if (!tensors(x, out)) return null; }
  else return null;
  return out;
}

/** A description of what is wrong with a returned tensor's metadata, or null. */
function malformed(x: Tensor): string | null {
  const int = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (x.shape.length > 8) return `${x.shape.length} dims`;
  if (x.strides.length !== x.shape.length) return `strides [${x.strides}] for shape [${x.shape}]`;
  if (!x.shape.every(int)) return `shape [${x.shape}]`;
  if (!x.strides.every(int)) return `strides [${x.strides}]`;
  if (!int(x.offset)) return `offset ${x.offset}`;
  if (!['float32', 'float64', 'int32'].includes(x.dtype)) return `dtype ${String(x.dtype)}`;
  return null;
}

function describeArg(x: unknown): string {
  if (x instanceof td.Tensor) return x.isDisposed ? `disposed ${x.dtype}[${x.shape}]` : `${x.dtype}[${x.shape}]${x.isContiguous() ? '' : '(strided)'}${x.requiresGrad ? '(grad)' : ''}`;
  if (Array.isArray(x)) return `[${x.map(describeArg).join(', ')}]`;
  if (typeof x === 'bigint') return `${x}n`;
  if (typeof x === 'symbol' || typeof x === 'function') return String(x);
  try { return JSON.stringify(x) ?? String(x); } catch { return String(x); }
}

interface FuzzReport {
  calls: number;
  threw: number;
  ops: number;
  /** The property's counterexample, if any (a call that returned non-tensors or threw a non-Error). */
  failure: string | null;
  /** Successful calls whose result had malformed metadata. */
  malformed: string[];
  /** Successful calls whose backward pass then threw. */
  backward: string[];
  leaked: { tensors: number; storages: number; bytes: number };
}

/** Runs one fuzz property in this (child) process; logs each call to stderr before making it. */
function fuzzChild(mode: string): FuzzReport {
  const log = (s: string) => fs.writeSync(LOG_FD, s.replace(/\n/g, ' ') + '\n');
  const report: FuzzReport = { calls: 0, threw: 0, ops: 0, failure: null, malformed: [], backward: [], leaked: { tensors: 0, storages: 0, bytes: 0 } };
  const seen = new Set<string>();
  const pick = mode === 'good' ? (s: string) => GOOD[s] : argArb;
  const arb = fc.integer({ min: 0, max: OPS.length - 1 }).chain((i) => fc.tuple(fc.constant(i), fc.tuple(...OPS[i].args.map(pick))));
  const m0 = td.memory();
  /** One random call; returns a description of a property violation, or null. */
  const runCall = ([i, descs]: [number, Desc[]]): string | null => {
    const o = OPS[i];
    const ctx: Ctx = { first: null, leaves: [] };
    let problem: string | null = null;
    let shown = o.name;
    report.calls++;
    seen.add(o.name);
    try {
      td.tidy(() => {
        const args = descs.map((d) => materialize(d, ctx));
        shown = `${o.name}(${args.map(describeArg).join(', ')})`;
        log(`CALL ${shown}`);
        let out: unknown;
        try {
          out = (o.fn as (...a: unknown[]) => unknown)(...args);
        } catch (e) {
          report.threw++;
          if (!(e instanceof Error)) problem = `${shown} threw a non-Error: ${String(e)}`;
          return;
        }
        if (o.other) return;
        const ts = tensors(out);
        if (!ts) {
          problem = `${shown} returned ${describeArg(out)}, not tensors`;
          return;
        }
        for (const x of ts) {
          const bad = malformed(x);
          if (bad && report.malformed.length < 20) report.malformed.push(`${shown} returned a tensor with ${bad}`);
          ctx.leaves.push(x); // may be a new leaf that requires grad
        }
        // exercise the backward rules of whatever came out
        const y = ts[0];
        if (ts.length === 1 && y.requiresGrad && !y.isDisposed) {
          log('BACKWARD');
          try {
            td.sum(y).backward();
          } catch (e) {
            if (!(e instanceof Error)) problem = `${shown}: backward threw a non-Error: ${String(e)}`;
            else if (report.backward.length < 20) report.backward.push(`${shown}: backward threw ${e.name}: ${e.message}`);
          }
        }
      });
    } catch (e) {
      problem = `${shown}: materialising arguments or tidy threw ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      for (const l of ctx.leaves) l.zeroGrad();
    }
    return problem;
  };
  try {
    fc.assert(
      fc.property(arb, (call) => {
        const problem = runCall(call);
        if (problem) throw new Error(problem);
      }),
      mode === 'good' ? { numRuns: 3000, seed: 424242 } : { numRuns: 10_000, seed: 0x7d1ff },
    );
  } catch (e) {
    report.failure = e instanceof Error ? e.message.split('\n').slice(0, 8).join('\n') : String(e);
  }
  report.ops = seen.size;
  const m1 = td.memory();
  report.leaked = { tensors: m1.tensors - m0.tensors, storages: m1.storages - m0.storages, bytes: m1.bytes - m0.bytes };
  return report;
}

/** Spawns this file as a fuzz child and returns its report, or why there is none. */
function spawnFuzz(mode: string): { report: FuzzReport | null; crash: string | null } {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, val] of Object.entries(process.env)) if (!k.startsWith('TAP') && k !== 'NODE_OPTIONS') env[k] = val;
  env.TD_FUZZ_CHILD = mode;
  const logPath = path.join(os.tmpdir(), `td-fuzz-${process.pid}-${mode}.log`);
  env.TD_FUZZ_LOG = logPath;
  const r = cp.spawnSync(process.execPath, [__filename], { env, encoding: 'utf8', maxBuffer: 1 << 28, timeout: 600_000 });
  let logText = '';
  try { logText = fs.readFileSync(logPath, 'utf8'); fs.unlinkSync(logPath); } catch { /* no log: the child died early */ }
  const lines = (logText + '\n' + (r.stderr || '')).split('\n');
  const resultLine = lines.find((l) => l.startsWith('RESULT '));
  if (resultLine && r.status === 0) return { report: JSON.parse(resultLine.slice(7)) as FuzzReport, crash: null };
  const calls = lines.filter((l) => l.startsWith('CALL '));
  const lastIdx = lines.map((l) => l.startsWith('CALL ')).lastIndexOf(true);
  const inBackward = lastIdx >= 0 && lines.slice(lastIdx + 1).some((l) => l === 'BACKWARD');
  const last = calls.length ? calls[calls.length - 1].slice(5) : '(none)';
  const how = r.signal ? `killed by ${r.signal}` : r.error ? String(r.error) : `exit status ${r.status}`;
  const tailErr = lines.filter((l) => l && !l.startsWith('CALL ') && l !== 'BACKWARD').slice(-5).join(' | ');
  return {
    report: null,
    crash: `fuzz child ${how} after ${calls.length} calls; last call ${last}${inBackward ? ' (in its backward pass)' : ''}${tailErr ? `; stderr: ${tailErr}` : ''}`,
  };
}

function checkFuzz(tt: tap.Test, mode: string, minCalls: number): void {
  const { report, crash } = spawnFuzz(mode);
  tt.equal(crash, null, 'the process survives every random call');
  if (!report) return;
  tt.equal(report.failure, null, 'every call returned tensors or threw an Error');
  tt.ok(report.calls >= minCalls, `${report.calls} random calls (>= ${minCalls}), ${report.threw} threw`);
  tt.ok(report.ops >= 40, `${report.ops} distinct ops exercised`);
  tt.same(report.malformed, [], 'returned tensors have well-formed metadata');
  tt.same(report.backward, [], 'backward never fails after a successful forward call');
  tt.same(report.leaked, { tensors: 0, storages: 0, bytes: 0 }, 'memory bounded: nothing leaked by the fuzzed calls');
}

if (CHILD) {
  const report = fuzzChild(CHILD);
  fs.writeSync(LOG_FD, `RESULT ${JSON.stringify(report)}\n`);
} else {
  test('fuzz: 10,000 random calls with random (often bad) arguments', async (t) => {
    checkFuzz(t, 'bad', 10_000);
  });
  test('fuzz: 3,000 random calls with arguments that mostly pass validation', async (t) => {
    // exercises the kernels and backward rules on random shapes / dtypes / layouts
    checkFuzz(t, 'good', 3000);
  });
}
