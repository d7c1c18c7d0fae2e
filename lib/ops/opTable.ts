// opTable.ts — the native op codes, by name, in the order of native/cpu/cpu.h. A test checks this
// list against the addon's own (native.opTable()), so the two sides cannot drift (DESIGN.md, 10).

export const UNARY_OPS = [
  'IDENTITY', 'NEG', 'EXP', 'LOG', 'LOG1P', 'SQRT', 'RSQRT', 'ABS', 'SIN', 'COS', 'TANH',
  'SIGMOID', 'RELU', 'GELU', 'GELU_TANH', 'SILU', 'SOFTPLUS', 'ERF', 'SIGN', 'SQUARE',
  'RECIPROCAL', 'EXPM1', 'CLAMP', 'POW_S', 'ADD_S', 'MUL_S', 'RSUB_S', 'RDIV_S', 'RPOW_S',
  'GT_S', 'GE_S', 'LT_S', 'LE_S', 'EQ_S', 'NE_S', 'CLAMP_MASK',
] as const;

export const BINARY_OPS = [
  'ADD', 'SUB', 'MUL', 'DIV', 'POW', 'MAXIMUM', 'MINIMUM', 'GT', 'GE', 'LT', 'LE', 'EQ', 'NE',
  'RELU_BWD', 'SIGMOID_BWD_Y', 'TANH_BWD_Y', 'GELU_BWD', 'GELU_TANH_BWD', 'SILU_BWD', 'SOFTPLUS_BWD',
] as const;

export const REDUCE_OPS = ['SUM', 'MEAN', 'PROD', 'MAX', 'MIN', 'ARGMAX', 'ARGMIN'] as const;

export type UnaryName = (typeof UNARY_OPS)[number];
export type BinaryName = (typeof BINARY_OPS)[number];
export type ReduceName = (typeof REDUCE_OPS)[number];

function codes<T extends string>(list: readonly T[]): Record<T, number> {
  const o = {} as Record<T, number>;
  list.forEach((n, i) => (o[n] = i));
  return o;
}
export const U = codes(UNARY_OPS);
export const B = codes(BINARY_OPS);
export const R = codes(REDUCE_OPS);
