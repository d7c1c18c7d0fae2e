// errors.ts — the error thrown for malformed or hostile safetensors data.

/**
 * A safetensors file or buffer is malformed, hostile or holds something tensordiff cannot load
 * (an unsupported dtype, too many dims). The message names the problem and, where there is one,
 * the tensor. Argument mistakes (a path that is not a string, a value that is not a tensor) throw
 * TypeError / RangeError instead, and I/O failures keep the `code` of the underlying error.
 */
export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}
