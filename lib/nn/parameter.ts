// parameter.ts — Parameter: a Tensor subclass that marks a module's trainable weight. It shares the
// storage of the tensor it is made from, requires grad by default, and is exempt from tidy():
// parameters live until their module's dispose() (or their own).
import { isFloat } from '../dtype';
import { keep } from '../memory';
import { shapeStr } from '../shape';
import { Tensor, checkTensor } from '../tensor';

/**
 * A tensor that a {@link Module} registers as a parameter when it is assigned to one of the module's
 * fields (`this.weight = new Parameter(w)`).
 *
 * `new Parameter(data)` shares `data`'s storage (no copy; `data` stays valid and is still owned by the
 * caller, who may dispose it) and is a leaf that requires grad unless `requiresGrad` is false.
 * A Parameter is never freed by a `tidy()` scope, so modules can be built anywhere; free it with
 * `module.dispose()`.
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    const t = checkTensor('Parameter', data, 'data');
    if (typeof requiresGrad !== 'boolean') throw new TypeError('Parameter: requiresGrad must be a boolean');
    if (requiresGrad && !isFloat(t.dtype))
      throw new TypeError(`Parameter: only float tensors can require gradients (data ${shapeStr(t.shape)} ${t.dtype})`);
    super(t._storage!, t.shape.slice(), t.strides.slice(), t.offset);
    this.requiresGrad = requiresGrad;
    keep(this);
  }

  override toString(): string {
    return `Parameter(${super.toString()})`;
  }
}
