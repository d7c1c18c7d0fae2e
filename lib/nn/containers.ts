// containers.ts — ModuleList (an indexed list of submodules named '0', '1', ...) and Sequential
// (a ModuleList whose forward chains its modules).
import { Tensor } from '../tensor';
import { Module } from './module';

function checkModule(op: string, m: unknown, i: number): Module {
  if (!(m instanceof Module)) throw new TypeError(`${op}: item ${i} must be a Module, got ${m === null ? 'null' : typeof m}`);
  return m;
}

/** The list behaviour shared by ModuleList and Sequential: submodules named by their indices. */
export abstract class ModuleListBase extends Module {
  /** @internal */ _items: Module[];

  constructor(modules: Iterable<Module> = []) {
    super();
    if (modules === null || typeof (modules as Iterable<Module>)[Symbol.iterator] !== 'function')
      throw new TypeError(`${new.target.name}: expected an iterable of modules`);
    this._items = [...modules].map((m, i) => checkModule(new.target.name, m, i));
  }

  override _ownEntries(): [string, unknown][] {
    return [...this._items.map((m, i): [string, unknown] => [String(i), m]), ...super._ownEntries()];
  }
  override _setEntry(name: string, v: unknown): void {
    const i = Number(name);
    if (Number.isInteger(i) && String(i) === name && i >= 0 && i < this._items.length) this._items[i] = checkModule(this.constructor.name, v, i);
    else super._setEntry(name, v);
  }

  /** Number of modules. */
  get length(): number {
    return this._items.length;
  }

  /** The module at index i (negative counts from the end). */
  get(i: number): Module {
    if (!Number.isInteger(i) || i < -this._items.length || i >= this._items.length)
      throw new RangeError(`${this.constructor.name}.get: index ${i} is out of range for ${this._items.length} modules`);
    return this._items[i < 0 ? i + this._items.length : i];
  }

  /** Appends a module; returns this. */
  append(m: Module): this {
    this._items.push(checkModule(`${this.constructor.name}.append`, m, this._items.length));
    return this;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this._items[Symbol.iterator]();
  }

}

/** A list of submodules, registered under their indices ('0', '1', ...). It has no forward of its own. */
export class ModuleList extends ModuleListBase {
  constructor(modules: Iterable<Module> = []) {
    super(modules);
  }
  /** A ModuleList is not callable: iterate over it in your own forward. Throws. */
  override forward(..._args: unknown[]): never {
    throw new Error('ModuleList.forward: a ModuleList has no forward; iterate over its modules');
  }
}

/** Modules applied one after the other: forward(x) = m_n(...m_1(x)). Each must take and return one tensor. */
export class Sequential extends ModuleListBase {
  constructor(...modules: Module[]) {
    super(modules);
  }

  override forward(x: Tensor): Tensor {
    let y: unknown = x;
    for (const m of this._items) y = m.forward(y);
    if (!(y instanceof Tensor)) throw new TypeError(`Sequential.forward: the last module returned ${typeof y}, not a Tensor`);
    return y;
  }
}
