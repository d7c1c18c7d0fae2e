// autograd.ts — the tape: each recorded op stores its inputs and a backward rule written in ops.
// backward() walks the graph in reverse topological order, reduces broadcast gradients to each
// input's shape, and accumulates into the leaves' .grad (DESIGN.md principle 6).
import { B, R } from './ops/opTable';
import { binaryK, castK, fullK, reduceK } from './ops/kernel';
import { keep, tidy } from './memory';
import { contiguousStrides, sameShape, shapeStr } from './shape';
import { Tensor } from './tensor';

export type BackwardFn = (g: Tensor) => readonly (Tensor | null | undefined)[];

export interface GradNode {
  /** The op's name, for error messages and debugging. */
  readonly name: string;
  readonly inputs: readonly Tensor[];
  /** null once the graph has been freed by a backward pass without retainGraph. */
  backward: BackwardFn | null;
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn with gradient recording off (like torch.no_grad()). */
export function noGrad<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError('noGrad: expected a function');
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** Runs fn with gradient recording on. */
export function enableGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/** @internal Attach a backward rule to `out` when recording is on and an input requires grad. */
export function record(out: Tensor, name: string, inputs: readonly Tensor[], backward: BackwardFn): Tensor {
  if (!gradEnabled) return out;
  let any = false;
  for (const t of inputs) if (t.requiresGrad) { any = true; break; }
  if (!any) return out;
  out.requiresGrad = true;
  out.gradFn = { name, inputs, backward };
  return out;
}

/** @internal Sum g over broadcast dims so it has `shape` (g was broadcast from shape). */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  if (lead < 0) throw new Error(`autograd: gradient ${shapeStr(g.shape)} cannot reduce to ${shapeStr(shape)}`);
  const dims: number[] = [];
  for (let d = 0; d < g.ndim; d++) {
    if (d < lead) dims.push(d);
    else if (shape[d - lead] === 1 && g.shape[d] !== 1) dims.push(d);
    else if (shape[d - lead] !== g.shape[d])
      throw new Error(`autograd: gradient ${shapeStr(g.shape)} does not match input ${shapeStr(shape)}`);
  }
  const r = dims.length ? reduceK(R.SUM, g, dims) : g;
  // r is contiguous with the kept dims; view it as `shape`
  const v = new Tensor(r._storage!, shape.slice(), contiguousStrides(shape), r.offset);
  if (r !== g) r.dispose();
  return v;
}

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.gradFn ? t.gradFn.inputs : [];
    if (i < inputs.length) {
      top[1]++;
      const c = inputs[i];
      if (c.requiresGrad && !seen.has(c)) {
        seen.add(c);
        stack.push([c, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order; // inputs before outputs
}

export interface BackwardOptions {
  /** Keep the graph so backward can run through it again. */
  retainGraph?: boolean;
}

/**
 * Computes gradients of `root` with respect to every leaf that requires grad and accumulates them
 * into `.grad`. `grad` defaults to 1 for one-element roots and is required otherwise.
 */
export function backward(root: Tensor, grad?: Tensor | null, opts: BackwardOptions = {}): void {
  root._live('backward');
  if (!root.requiresGrad)
    throw new Error('backward: tensor does not require grad (no input had requiresGrad, or it was made under noGrad)');
  if (grad !== undefined && grad !== null) {
    if (!(grad instanceof Tensor)) throw new TypeError('backward: grad must be a Tensor');
    grad._live('backward');
    if (!sameShape(grad.shape, root.shape))
      throw new RangeError(`backward: grad shape ${shapeStr(grad.shape)} does not match tensor shape ${shapeStr(root.shape)}`);
  } else if (root.numel !== 1) {
    throw new RangeError(`backward: grad can be implicit only for one-element tensors, got shape ${shapeStr(root.shape)}`);
  }
  const order = topoOrder(root);
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    tidy(() => {
      const grads = new Map<Tensor, Tensor>();
      grads.set(root, grad ? (grad.dtype === root.dtype ? grad : castK(grad, root.dtype)) : fullK(root.shape, 1, root.dtype, root.device));
      for (let k = order.length - 1; k >= 0; k--) {
        const t = order[k];
        const g = grads.get(t);
        if (!g) continue;
        const node = t.gradFn;
        if (!node) {
          accumulateLeaf(t, g);
          continue;
        }
        if (!node.backward)
          throw new Error(`backward: the graph through ${node.name} was already freed; pass { retainGraph: true } to the first backward`);
        const gs = runRule(node, g);
        if (!opts.retainGraph) node.backward = null;
        node.inputs.forEach((inp, i) => {
          let gi = gs[i];
          if (!gi || !inp.requiresGrad) return;
          if (!sameShape(gi.shape, inp.shape)) gi = sumToShape(gi, inp.shape);
          if (gi.dtype !== inp.dtype) gi = castK(gi, inp.dtype);
          const prevG = grads.get(inp);
          grads.set(inp, prevG ? binaryK(B.ADD, prevG, gi, inp.shape) : gi);
        });
      }
    });
  } finally {
    gradEnabled = prev;
  }
}

/** node.backward(g), with a use of a disposed saved tensor reported as what it is. */
function runRule(node: GradNode, g: Tensor): readonly (Tensor | null | undefined)[] {
  try {
    return node.backward!(g);
  } catch (e) {
    if (e instanceof Error && /was already disposed/.test(e.message))
      throw new Error(`backward: the backward rule of ${node.name} needs a tensor that was disposed before backward ran ` +
        `(${e.message}); call backward() inside the tidy() that ran the forward pass, or keep() what it needs`);
    throw e;
  }
}

function accumulateLeaf(t: Tensor, g: Tensor): void {
  if (t.isDisposed)
    throw new Error(`backward: leaf tensor ${shapeStr(t.shape)} ${t.dtype} was disposed before backward ran; its gradient would be lost`);
  if (t.grad && !t.grad.isDisposed) {
    const old = t.grad;
    t.grad = keep(binaryK(B.ADD, old, g, t.shape));
    old.dispose();
  } else if (g._ownGrad && g.dtype === t.dtype && g.offset === 0 && g.isContiguous() && sameShape(g.shape, t.shape) &&
             g._storage!.refs === 1) {
    // a buffer handed over by its op's backward (see lib/diffusion/fused.ts): adopt it, no copy
    g._ownGrad = false;
    t.grad = keep(g);
  } else {
    // otherwise a fresh contiguous tensor owned by the leaf (g may be a view of a temporary)
    t.grad = keep(castK(g, t.dtype));
  }
}
