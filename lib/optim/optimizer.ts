// optimizer.ts — the Optimizer base class: parameter groups with per-group options, per-parameter
// state (tensors + a step count), step() outside autograd, zeroGrad(), stateDict()/loadStateDict()
// (a Record<string, Tensor> plus a JSON-able object, ready for td.io.save), and setLr/getLr.
//
// Parameters are updated in place (their storage is written, their identity kept). They must be leaf
// tensors; step() runs with gradient recording off. Call it after backward(): a graph that still holds
// a parameter (retainGraph, or a forward pass not yet differentiated) would see the new values.
import { noGrad } from '../autograd';
import { isFloat } from '../dtype';
import { keep, tidy } from '../memory';
import { castK, fillK } from '../ops/kernel';
import { sameShape, shapeStr } from '../shape';
import { Tensor } from '../tensor';
import { checkNum, gradOf, tensorList } from './util';

/** Options every optimizer has. */
export interface BaseOptions {
  /** Learning rate (>= 0). */
  lr: number;
}

/** A parameter group as given to a constructor: its tensors plus any options overriding the defaults. */
export type ParamGroupInput<O extends BaseOptions> = { params: Iterable<Tensor> | Tensor } & Partial<O>;

/** A parameter group: its tensors and its full options. */
export type ParamGroup<O extends BaseOptions> = O & { params: Tensor[] };

/** What a constructor accepts: tensors, or parameter groups. */
export type Params<O extends BaseOptions> = Iterable<Tensor> | Tensor | readonly ParamGroupInput<O>[];

/** The per-parameter state: step count and named state tensors (exp_avg, momentum_buffer, ...). */
export interface ParamState {
  step: number;
  tensors: Record<string, Tensor>;
}

/** The JSON-able half of a state dict. */
export interface OptimizerMeta {
  /** The optimizer's class name ('SGD', 'Adam', 'AdamW'). */
  type: string;
  /** Each group's options and the indices (in group order) of its parameters. */
  paramGroups: { params: number[]; [option: string]: number | boolean | number[] }[];
  /** Step count per parameter index that has state. */
  state: Record<string, { step: number }>;
}

/**
 * An optimizer's state: `tensors` (keys `state.<param index>.<name>`, PyTorch's names) and `meta`.
 * Save it with `td.io.save(sd.tensors, path, { optimizer: JSON.stringify(sd.meta) })`.
 */
export interface OptimizerStateDict {
  tensors: Record<string, Tensor>;
  meta: OptimizerMeta;
}

/** Base class of the optimizers (SGD, Adam, AdamW). */
export abstract class Optimizer<O extends BaseOptions> {
  /** The parameter groups; options may be edited between steps (or use setLr). */
  readonly paramGroups: ParamGroup<O>[] = [];
  /** The default options of new groups. */
  readonly defaults: O;
  /** @internal Per-parameter state, created at a parameter's first update. */
  protected readonly state = new Map<Tensor, ParamState>();
  /** The class name used in messages and state dicts. */
  readonly name: string;

  protected constructor(name: string, params: Params<O>, defaults: O) {
    this.name = name;
    this.defaults = this.checkOptions(name, defaults);
    const isGroups = Array.isArray(params) && params.length > 0 && !(params[0] instanceof Tensor);
    const groups = isGroups ? (params as readonly ParamGroupInput<O>[]) : [{ params: params as Iterable<Tensor> } as ParamGroupInput<O>];
    for (const g of groups) this.addParamGroup(g);
    if (this.paramGroups.every((g) => g.params.length === 0)) throw new RangeError(`${name}: got an empty parameter list`);
  }

  /** Validates (and fills in) one group's options; throws TypeError/RangeError naming op. */
  protected abstract checkOptions(op: string, o: O): O;
  /** The state tensors a parameter must have once it has state (for loadStateDict). */
  protected abstract requiredState(group: ParamGroup<O>): string[];
  /** The state tensors a parameter may have. */
  protected abstract allowedState(): string[];
  /** @internal Updates one parameter in place (called in noGrad + tidy, with a live grad). */
  protected abstract update(p: Tensor, g: Tensor, group: ParamGroup<O>, state: ParamState): void;

  /** Adds a parameter group (options default to the constructor's). */
  addParamGroup(group: ParamGroupInput<O>): void {
    const op = `${this.name}.addParamGroup`;
    if (group === null || typeof group !== 'object') throw new TypeError(`${op}: a parameter group must be an object with params`);
    const params = tensorList(op, group.params);
    const seen = new Set<Tensor>();
    for (const p of params) {
      if (!p.isLeaf) throw new TypeError(`${op}: can't optimize a non-leaf tensor ${shapeStr(p.shape)} ${p.dtype} (made by ${p.gradFn!.name}); use a leaf (detach() it and set requiresGrad)`);
      if (seen.has(p) || this.paramGroups.some((g) => g.params.includes(p)))
        throw new RangeError(`${op}: a parameter ${shapeStr(p.shape)} appears more than once (in this group or another)`);
      seen.add(p);
    }
    const opts = { ...this.defaults } as O;
    for (const [k, v] of Object.entries(group)) if (k !== 'params') (opts as Record<string, unknown>)[k] = v;
    const full = this.checkOptions(op, opts) as ParamGroup<O>;
    full.params = params;
    this.paramGroups.push(full);
  }

  /**
   * One optimization step: updates every parameter that has a gradient (parameters without one are
   * skipped, like PyTorch), in place, with gradient recording off.
   */
  step(): void {
    noGrad(() =>
      tidy(() => {
        for (const group of this.paramGroups) {
          this.checkOptions(`${this.name}.step`, group); // options may have been edited
          for (const p of group.params) {
            p._live(`${this.name}.step`);
            const g = gradOf(p);
            if (!g) continue;
            if (!sameShape(g.shape, p.shape))
              throw new RangeError(`${this.name}.step: grad ${shapeStr(g.shape)} does not match param ${shapeStr(p.shape)}`);
            if (!isFloat(g.dtype)) throw new TypeError(`${this.name}.step: grad of param ${shapeStr(p.shape)} is ${g.dtype}`);
            let st = this.state.get(p);
            if (!st) this.state.set(p, (st = { step: 0, tensors: {} }));
            this.update(p, g, group, st);
          }
        }
      }),
    );
  }

  /** Clears the gradients: sets them to null (default, disposing them) or fills them with zeros. */
  zeroGrad(setToNone = true): void {
    for (const group of this.paramGroups)
      for (const p of group.params) {
        if (!p.grad) continue;
        if (setToNone || p.grad.isDisposed) {
          p.grad.dispose();
          p.grad = null;
        } else fillK(p.grad, 0);
      }
  }

  /** The learning rate of group `i` (default 0). */
  getLr(i = 0): number {
    this.groupAt('getLr', i);
    return this.paramGroups[i].lr;
  }

  /** Sets the learning rate of group `i`, or of every group when `i` is omitted. */
  setLr(lr: number, i?: number): void {
    checkNum(`${this.name}.setLr`, 'lr', lr, 0);
    if (i === undefined) for (const g of this.paramGroups) g.lr = lr;
    else this.paramGroups[this.groupAt('setLr', i)].lr = lr;
  }

  private groupAt(op: string, i: number): number {
    if (!Number.isInteger(i)) throw new TypeError(`${this.name}.${op}: group index must be an integer, got ${String(i)}`);
    if (i < 0 || i >= this.paramGroups.length)
      throw new RangeError(`${this.name}.${op}: group index ${i} is outside [0, ${this.paramGroups.length})`);
    return i;
  }

  /** The state tensors of parameter p (live, owned by the optimizer; do not dispose), or null. */
  getState(p: Tensor): Readonly<ParamState> | null {
    return this.state.get(p) ?? null;
  }

  /** The parameters in state-dict order (group by group). */
  private flatParams(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /**
   * The optimizer's state: copies of the state tensors (`state.<i>.<name>`, i = the parameter's index
   * in group order; dispose them when done, or call this inside tidy) and a JSON-able `meta` with each
   * group's options and each parameter's step count.
   */
  stateDict(): OptimizerStateDict {
    const tensors: Record<string, Tensor> = {};
    const state: Record<string, { step: number }> = {};
    noGrad(() =>
      this.flatParams().forEach((p, i) => {
        const st = this.state.get(p);
        if (!st) return;
        state[String(i)] = { step: st.step };
        for (const [k, t] of Object.entries(st.tensors)) tensors[`state.${i}.${k}`] = castK(t, t.dtype);
      }),
    );
    let next = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const o: Record<string, number | boolean> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params' && (typeof v === 'number' || typeof v === 'boolean')) o[k] = v;
      return { ...o, params: g.params.map(() => next++) };
    });
    return { tensors, meta: { type: this.name, paramGroups, state } };
  }

  /**
   * Loads a state dict made by stateDict() of an optimizer of the same class over parameters of the
   * same shapes in the same group order. Tensors are copied (cast to the parameter's dtype), so the
   * caller may dispose the dict afterwards. Everything is validated before anything changes.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const op = `${this.name}.loadStateDict`;
    if (sd === null || typeof sd !== 'object' || typeof sd.tensors !== 'object' || sd.tensors === null || typeof sd.meta !== 'object' || sd.meta === null)
      throw new TypeError(`${op}: expected { tensors, meta } as made by stateDict()`);
    const { meta, tensors } = sd;
    if (meta.type !== this.name) throw new TypeError(`${op}: the state dict is of a ${String(meta.type)} optimizer, not ${this.name}`);
    if (!Array.isArray(meta.paramGroups) || meta.paramGroups.length !== this.paramGroups.length)
      throw new RangeError(`${op}: the state dict has ${Array.isArray(meta.paramGroups) ? meta.paramGroups.length : 'no'} parameter groups, the optimizer ${this.paramGroups.length}`);
    const newOpts: O[] = [];
    meta.paramGroups.forEach((mg, gi) => {
      const cur = this.paramGroups[gi];
      if (mg === null || typeof mg !== 'object' || !Array.isArray(mg.params) || mg.params.length !== cur.params.length)
        throw new RangeError(`${op}: group ${gi} has ${Array.isArray(mg?.params) ? mg.params.length : 'no'} parameters in the state dict, ${cur.params.length} in the optimizer`);
      const o = { ...(cur as O) };
      for (const [k, v] of Object.entries(mg)) if (k !== 'params' && k in this.defaults) (o as Record<string, unknown>)[k] = v;
      newOpts.push(this.checkOptions(`${op}: group ${gi}`, o));
    });
    const flat = this.flatParams();
    const groupOf = this.paramGroups.flatMap((g, gi) => g.params.map(() => gi));
    const allowed = new Set(this.allowedState());
    const states = new Map<number, { step: number; tensors: Record<string, Tensor> }>();
    const st = meta.state ?? {};
    if (typeof st !== 'object') throw new TypeError(`${op}: meta.state must be an object`);
    for (const [key, v] of Object.entries(st)) {
      const i = Number(key);
      if (!Number.isInteger(i) || i < 0 || i >= flat.length) throw new RangeError(`${op}: state for parameter ${key}, but there are ${flat.length} parameters`);
      const step = (v as { step?: unknown })?.step;
      if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) throw new TypeError(`${op}: state ${key} needs an integer step >= 0`);
      states.set(i, { step, tensors: {} });
    }
    for (const [key, t] of Object.entries(tensors)) {
      const m = /^state\.(\d+)\.(\w+)$/.exec(key);
      if (!m) throw new RangeError(`${op}: unexpected tensor key '${key}' (expected state.<index>.<name>)`);
      const i = Number(m[1]), name = m[2];
      const s = states.get(i);
      if (!s) throw new RangeError(`${op}: tensor '${key}' has no step count in meta.state`);
      if (!allowed.has(name)) throw new RangeError(`${op}: '${key}': ${this.name} has no state named '${name}' (expected ${[...allowed].join(', ')})`);
      if (!(t instanceof Tensor)) throw new TypeError(`${op}: '${key}' must be a Tensor`);
      t._live(op);
      const p = flat[i];
      if (!sameShape(t.shape, p.shape))
        throw new RangeError(`${op}: '${key}' ${shapeStr(t.shape)} does not match parameter ${i} ${shapeStr(p.shape)}`);
      if (!isFloat(t.dtype)) throw new TypeError(`${op}: '${key}' is ${t.dtype}, expected a float tensor like parameter ${i} (${p.dtype})`);
      s.tensors[name] = t;
    }
    for (const [i, s] of states) {
      const grp = { ...this.paramGroups[groupOf[i]], ...newOpts[groupOf[i]] } as ParamGroup<O>;
      for (const need of this.requiredState(grp))
        if (!s.tensors[need] && s.step > 0) throw new RangeError(`${op}: parameter ${i} has step ${s.step} but no 'state.${i}.${need}'`);
    }
    // all valid: apply
    newOpts.forEach((o, gi) => Object.assign(this.paramGroups[gi], o, { params: this.paramGroups[gi].params }));
    this.disposeState();
    noGrad(() => {
      for (const [i, s] of states) {
        const p = flat[i];
        const own: Record<string, Tensor> = {};
        for (const [k, t] of Object.entries(s.tensors)) own[k] = keep(castK(t, p.dtype));
        this.state.set(p, { step: s.step, tensors: own });
      }
    });
  }

  /** Frees the optimizer's state tensors (the parameters are the caller's). */
  dispose(): void {
    this.disposeState();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  private disposeState(): void {
    for (const s of this.state.values()) for (const t of Object.values(s.tensors)) t.dispose();
    this.state.clear();
  }
}
