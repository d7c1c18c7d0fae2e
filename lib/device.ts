// device.ts — devices in TypeScript: parsing a device name ('cpu', 'cuda', 'cuda:0'), whether CUDA is
// usable (the addon's probe, read once), the one device check of every op (mixing devices is an
// error naming the op, the devices and the shapes; never an implicit copy), and moving a tensor
// between devices (`t.to('cuda')`), which records a backward that moves the gradient back.
import { record } from './autograd';
import { Device } from './memory';
import { castK, copyInto } from './ops/kernel';
import { native, NativeInfo } from './native';
import { shapeStr } from './shape';
import { Tensor } from './tensor';

let cudaInfo: NativeInfo['cuda'] | null = null;
/** @internal The addon's CUDA probe, read once per process. */
export function cudaProbe(): NativeInfo['cuda'] {
  if (!cudaInfo) cudaInfo = native.info().cuda;
  return cudaInfo;
}

/** @internal True for the strings to() and the creation options accept as a device. */
export function isDeviceName(d: unknown): d is string {
  return typeof d === 'string' && (d === 'cpu' || d === 'cuda' || /^cuda:\d+$/.test(d));
}

/**
 * @internal Validates a device option: 'cpu', 'cuda' or 'cuda:0'. Throws a TypeError for a non-string,
 * and an Error naming the probe's reason when CUDA is asked for but cannot be used.
 */
export function checkDevice(op: string, d: unknown): Device {
  if (d === 'cpu') return 'cpu';
  if (typeof d !== 'string') throw new TypeError(`${op}: device must be a string ('cpu' or 'cuda'), got ${d === null ? 'null' : typeof d}`);
  if (d === 'cuda' || d === 'cuda:0') {
    const c = cudaProbe();
    if (c.available) return 'cuda';
    throw new Error(`${op}: device '${d}' is not available (${c.reason}); use 'cpu'`);
  }
  if (/^cuda:\d+$/.test(d)) throw new Error(`${op}: device '${d}' is not available (tensordiff uses one GPU, 'cuda:0'); use 'cuda'`);
  const why = cudaProbe().reason;
  throw new Error(`${op}: device '${d}' is not available (${why || 'unknown device'}); use 'cpu'`);
}

/** @internal The error for tensors of one op on different devices. */
export function deviceMismatch(op: string, ts: readonly (Tensor | null | undefined)[]): TypeError {
  const parts = ts.filter((t): t is Tensor => !!t).map((t) => `${shapeStr(t.shape)} on ${t.device}`);
  return new TypeError(`${op}: tensors are on different devices (${parts.join(', ')}); move them with .to() first`);
}

/** @internal Copies x (any strides) into a fresh contiguous tensor on `device`, without autograd. */
export function copyToDevice(x: Tensor, device: Device): Tensor {
  x._live('to');
  const src = x.isContiguous() ? x : castK(x, x.dtype);
  try {
    const out = Tensor.empty(x.shape, x.dtype, device);
    if (x.numel > 0) native.copy(out._storage!.handle!, 0, src._storage!.handle!, src.offset, x.numel);
    return out;
  } finally {
    if (src !== x) src.dispose();
  }
}

/**
 * @internal Writes src into the view dst, moving it first when it lives on another device (for loads
 * and initialisers, whose whole point is the copy; ops never copy implicitly).
 */
export function copyAcross(dst: Tensor, src: Tensor): void {
  if (src.device === dst.device) return copyInto(dst, src);
  const moved = copyToDevice(src, dst.device);
  try {
    copyInto(dst, moved);
  } finally {
    moved.dispose();
  }
}

/**
 * @internal `x.to(device)`: x itself when it is already there, else a contiguous copy on `device`
 * whose gradient flows back to x's device.
 */
export function toDevice(x: Tensor, device: Device): Tensor {
  if (x.device === device) return x;
  const from = x.device;
  return record(copyToDevice(x, device), 'to', [x], (g) => [copyToDevice(g, from)]);
}
