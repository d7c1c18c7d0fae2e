// module.ts — Module, the base class of every layer: registration of parameters, buffers and
// submodules by field assignment, traversal (parameters, children, modules), train/eval, state dicts,
// dtype/device moves, zeroGrad and dispose.
//
// Conventions (see docs/nn.md):
// - a Parameter assigned to a field is a parameter, a Module assigned to a field is a submodule; the
//   field name is the name (state-dict key part), in assignment order. Fields whose names start with
//   '_' and the `training` flag are never scanned. Arrays of modules are not scanned: use ModuleList.
// - a non-trainable tensor that belongs in the state dict is a buffer: registerBuffer(name, t).
// - a module is called as `m.forward(x, ...)` (there are no hooks and no call operator).
import { noGrad } from '../autograd';
import { DType, isDType, isFloat } from '../dtype';
import { keep } from '../memory';
import { checkDevice, copyAcross, copyToDevice } from '../device';
import { Device } from '../memory';
import { cast } from '../ops/util';
import { detach } from '../ops/views';
import { sameShape, shapeStr } from '../shape';
import { Tensor } from '../tensor';
import { Parameter } from './parameter';

/** What loadStateDict reports (with strict = false it returns instead of throwing). */
export interface LoadStateDictResult {
  /** Keys the module has but the state dict lacks (left unchanged). */
  missingKeys: string[];
  /** Keys of the state dict the module does not have (ignored). */
  unexpectedKeys: string[];
}

/** A state dict: name -> tensor, as a plain object (or a Map when loading). */
export type StateDict = Record<string, Tensor>;

const RESERVED = new Set(['training']);

function checkName(op: string, name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`${op}: name must be a non-empty string, got ${String(name)}`);
  if (name.includes('.')) throw new RangeError(`${op}: name ${JSON.stringify(name)} must not contain '.'`);
  if (name.startsWith('_') || RESERVED.has(name)) throw new RangeError(`${op}: name ${JSON.stringify(name)} is reserved (names starting with '_' and 'training' are not registered)`);
  return name;
}


/**
 * Base class of all layers, PyTorch style. Subclasses assign parameters and submodules to fields in
 * their constructor and implement `forward`:
 *
 * ```ts
 * class Net extends nn.Module {
 *   fc1 = new nn.Linear(4, 16);
 *   fc2 = new nn.Linear(16, 1);
 *   override forward(x: Tensor): Tensor { return this.fc2.forward(this.fc1.forward(x).relu()); }
 * }
 * ```
 */
export abstract class Module {
  /** True in training mode (the default); dropout layers read it. Set with train() / eval(). */
  training = true;
  /** @internal Names of the buffer fields, and whether each goes into the state dict. */
  _buffers = new Map<string, boolean>();

  /** The layer's computation. Call it directly: `y = m.forward(x)`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  abstract forward(...args: any[]): any;

  /** @internal This module's own (name, value) slots: fields, in assignment order. Containers override. */
  _ownEntries(): [string, unknown][] {
    const out: [string, unknown][] = [];
    for (const name of Object.keys(this)) {
      if (name.startsWith('_') || RESERVED.has(name)) continue;
      const v = (this as unknown as Record<string, unknown>)[name];
      if (Array.isArray(v) && v.some((e) => e instanceof Module || e instanceof Parameter))
        throw new TypeError(`${this.constructor.name}: field '${name}' is an array of modules or parameters, which is not registered; use nn.ModuleList`);
      out.push([name, v]);
    }
    return out;
  }

  /** @internal Replace the value of an own slot (used by to(dtype)). */
  _setEntry(name: string, v: unknown): void {
    (this as unknown as Record<string, unknown>)[name] = v;
  }

  /** Registers (or replaces) a parameter under `name`: the same as assigning the field. */
  registerParameter(name: string, p: Parameter | null): void {
    checkName('registerParameter', name);
    if (p !== null && !(p instanceof Parameter)) throw new TypeError(`registerParameter: '${name}' must be a Parameter or null`);
    this._setEntry(name, p);
  }

  /** Registers (or replaces) a submodule under `name`: the same as assigning the field. */
  registerModule(name: string, m: Module | null): void {
    checkName('registerModule', name);
    if (m !== null && !(m instanceof Module)) throw new TypeError(`registerModule: '${name}' must be a Module or null`);
    this._setEntry(name, m);
  }

  /**
   * Registers a tensor that is state but not a trainable parameter (a running statistic, a fixed
   * embedding table). It becomes the field `name`, is exempt from tidy(), follows to(dtype), is freed
   * by dispose(), and is in the state dict unless `persistent` is false.
   */
  registerBuffer(name: string, t: Tensor | null, persistent = true): void {
    checkName('registerBuffer', name);
    if (t !== null && !(t instanceof Tensor)) throw new TypeError(`registerBuffer: '${name}' must be a Tensor or null`);
    if (t instanceof Parameter) throw new TypeError(`registerBuffer: '${name}' is a Parameter; assign it as a parameter instead`);
    if (t) t._live('registerBuffer');
    if (typeof persistent !== 'boolean') throw new TypeError('registerBuffer: persistent must be a boolean');
    if (t) keep(t);
    this._buffers.set(name, persistent);
    this._setEntry(name, t);
  }

  /** (name, parameter) of this module and (when recurse) its descendants, each parameter once. */
  namedParameters(prefix = '', recurse = true): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    const mods: [string, Module][] = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [mp, m] of mods)
      for (const [n, v] of m._ownEntries())
        if (v instanceof Parameter && !seen.has(v)) {
          seen.add(v);
          out.push([mp ? `${mp}.${n}` : n, v]);
        }
    return out;
  }

  /** The parameters of this module and its descendants (each once). */
  parameters(recurse = true): Parameter[] {
    return this.namedParameters('', recurse).map(([, p]) => p);
  }

  /** (name, buffer) of this module and its descendants (non-null buffers, each once). */
  namedBuffers(prefix = '', recurse = true): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const mods: [string, Module][] = recurse ? this.namedModules(prefix) : [[prefix, this]];
    for (const [mp, m] of mods)
      for (const [n, v] of m._ownEntries())
        if (m._buffers.has(n) && v instanceof Tensor && !seen.has(v)) {
          seen.add(v);
          out.push([mp ? `${mp}.${n}` : n, v]);
        }
    return out;
  }

  /** The buffers of this module and its descendants. */
  buffers(recurse = true): Tensor[] {
    return this.namedBuffers('', recurse).map(([, b]) => b);
  }

  /** (name, module) of the direct submodules. */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    for (const [n, v] of this._ownEntries())
      if (v instanceof Module && !seen.has(v)) {
        seen.add(v);
        out.push([n, v]);
      }
    return out;
  }

  /** The direct submodules. */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** (name, module) of this module (name = prefix, '' by default) and all descendants, depth first, each once. */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (p: string, m: Module): void => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([p, m]);
      for (const [n, c] of m.namedChildren()) visit(p ? `${p}.${n}` : n, c);
    };
    visit(prefix, this);
    return out;
  }

  /** This module and all its descendants. */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /** Sets training mode (true) or evaluation mode (false) on this module and its descendants. Returns this. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw new TypeError(`${this.constructor.name}.train: mode must be a boolean`);
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: train(false). */
  eval(): this {
    return this.train(false);
  }

  /** Sets requiresGrad on every parameter (false freezes the module). Returns this. */
  requiresGrad_(flag = true): this {
    if (typeof flag !== 'boolean') throw new TypeError(`${this.constructor.name}.requiresGrad_: flag must be a boolean`);
    for (const p of this.parameters()) {
      if (!flag) p.zeroGrad();
      p.requiresGrad = flag;
    }
    return this;
  }

  /** Clears (disposes) the .grad of every parameter. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** Number of parameter elements (each shared parameter once); only those requiring grad when trainableOnly. */
  numParameters(trainableOnly = false): number {
    let n = 0;
    for (const p of this.parameters()) if (!trainableOnly || p.requiresGrad) n += p.numel;
    return n;
  }

  /** (key, tensor) of everything in the state dict: parameters and persistent buffers, with full names. */
  private stateEntries(): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [mp, m] of this.namedModules())
      for (const [n, v] of m._ownEntries()) {
        const key = mp ? `${mp}.${n}` : n;
        if (v instanceof Parameter) out.push([key, v]);
        else if (m._buffers.get(n) === true && v instanceof Tensor) out.push([key, v]);
      }
    return out;
  }

  /**
   * The module's state: every parameter and persistent buffer by its dotted name ('fc1.weight'), in
   * registration order. The values are detached views sharing the parameters' memory (no copy):
   * disposing them does not free the parameters, and they see later updates. Inside tidy() they are
   * freed with the scope like any new tensor.
   */
  stateDict(): StateDict {
    const sd: StateDict = {};
    for (const [k, t] of this.stateEntries()) {
      t._live(`${this.constructor.name}.stateDict ('${k}')`);
      sd[k] = detach(t);
    }
    return sd;
  }

  /**
   * Copies the values of `sd` (a plain object or a Map of name -> tensor) into the module's parameters
   * and buffers, in place (the Parameter objects, and optimisers holding them, stay valid). Every value
   * must have the shape (RangeError) and dtype (TypeError) of its target. With strict (the default) a
   * missing or unexpected key throws a RangeError listing them; otherwise they are returned. Nothing
   * is copied unless every check passes.
   */
  loadStateDict(sd: StateDict | Map<string, Tensor>, strict = true): LoadStateDictResult {
    const op = `${this.constructor.name}.loadStateDict`;
    if (typeof strict !== 'boolean') throw new TypeError(`${op}: strict must be a boolean`);
    let given: [string, unknown][];
    if (sd instanceof Map) given = [...sd.entries()];
    else if (sd !== null && typeof sd === 'object' && !(sd instanceof Tensor) && !Array.isArray(sd)) given = Object.entries(sd);
    else throw new TypeError(`${op}: state dict must be a plain object or a Map of name -> Tensor`);
    const src = new Map<string, unknown>(given);
    const own = this.stateEntries();
    const ownKeys = new Set(own.map(([k]) => k));
    const missingKeys = own.map(([k]) => k).filter((k) => !src.has(k));
    const unexpectedKeys = [...src.keys()].filter((k) => !ownKeys.has(k));
    if (strict && (missingKeys.length || unexpectedKeys.length)) {
      const parts: string[] = [];
      if (missingKeys.length) parts.push(`missing keys: ${missingKeys.join(', ')}`);
      if (unexpectedKeys.length) parts.push(`unexpected keys: ${unexpectedKeys.join(', ')}`);
      throw new RangeError(`${op}: the state dict does not match the module (${parts.join('; ')}); pass strict = false to load the rest`);
    }
    const todo: [Tensor, Tensor][] = [];
    for (const [k, dst] of own) {
      if (!src.has(k)) continue;
      const v = src.get(k);
      if (!(v instanceof Tensor)) throw new TypeError(`${op}: '${k}' must be a Tensor, got ${v === null ? 'null' : typeof v}`);
      v._live(`${op} ('${k}')`);
      dst._live(`${op} ('${k}')`);
      if (!sameShape(v.shape, dst.shape))
        throw new RangeError(`${op}: shape mismatch for '${k}': the state dict has ${shapeStr(v.shape)}, the module ${shapeStr(dst.shape)}`);
      if (v.dtype !== dst.dtype)
        throw new TypeError(`${op}: dtype mismatch for '${k}': the state dict has ${v.dtype}, the module ${dst.dtype} (convert with module.to('${v.dtype}') or tensor.to('${dst.dtype}'))`);
      todo.push([dst, v]);
    }
    noGrad(() => {
      for (const [dst, v] of todo) if (dst._storage !== v._storage || dst.offset !== v.offset) copyAcross(dst, v);
    });
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Moves the module: to('cpu' | 'cuda') moves every parameter and buffer to that device, and
   * to('float32' | 'float64') converts every float parameter and buffer, in place (new Parameter
   * objects replace the old ones, whose memory and gradients are freed). A device that cannot be used
   * throws an Error saying why. Returns this.
   */
  to(target: string): this {
    const op = `${this.constructor.name}.to`;
    if (typeof target !== 'string') throw new TypeError(`${op}: expected a device ('cpu', 'cuda') or a float dtype, got ${typeof target}`);
    if (!isDType(target)) return this._toDevice(checkDevice(op, target));
    if (!isFloat(target)) throw new TypeError(`${op}: modules convert only to float dtypes, got ${target}`);
    const dt: DType = target;
    noGrad(() => {
      for (const m of this.modules())
        for (const [n, v] of m._ownEntries()) {
          if (!(v instanceof Tensor) || v.dtype === dt || !isFloat(v.dtype)) continue;
          if (v instanceof Parameter) {
            const c = cast(v, dt);
            const p = new Parameter(c, v.requiresGrad);
            c.dispose();
            v.zeroGrad();
            v.dispose();
            m._setEntry(n, p);
          } else if (m._buffers.has(n)) {
            const c = keep(cast(v, dt));
            v.dispose();
            m._setEntry(n, c);
          }
        }
    });
    return this;
  }

  private _toDevice(dev: Device): this {
    noGrad(() => {
      for (const m of this.modules())
        for (const [n, v] of m._ownEntries()) {
          if (!(v instanceof Tensor) || v.device === dev) continue;
          if (v instanceof Parameter) {
            const c = copyToDevice(v, dev);
            const p = new Parameter(c, v.requiresGrad);
            c.dispose();
            v.zeroGrad();
            v.dispose();
            m._setEntry(n, p);
          } else if (m._buffers.has(n)) {
            const c = keep(copyToDevice(v, dev));
            v.dispose();
            m._setEntry(n, c);
          }
        }
    });
    return this;
  }

  /** Frees every parameter and buffer of this module and its descendants (and their gradients). Idempotent. */
  dispose(): void {
    for (const m of this.modules())
      for (const [n, v] of m._ownEntries()) {
        if (v instanceof Parameter) {
          v.zeroGrad();
          v.dispose();
        } else if (m._buffers.has(n) && v instanceof Tensor) v.dispose();
      }
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Extra text shown in toString() after the class name, e.g. 'in=4, out=8'. */
  extraRepr(): string {
    return '';
  }

  /** A tree of the module and its children, like PyTorch's print(model). */
  toString(): string {
    const kids = this.namedChildren();
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (!kids.length) return `${head})`;
    const lines = kids.map(([n, c]) => `  (${n}): ${c.toString().split('\n').join('\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }
}
