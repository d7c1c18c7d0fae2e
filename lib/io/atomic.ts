// atomic.ts — crash-safe file replacement: write to a temporary file in the target's folder, fsync
// it, rename it over the target, then fsync the folder (where the platform allows). A crash or
// SIGKILL at any point leaves either the old file or the new one at `path`, never a torn file;
// at worst a `.<name>.<pid>.<random>.tmp` file is left beside it (safe to delete).
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as nodePath from 'path';

/** Writes to an open file: all of `data`, in chunks (no single write over 1 GiB). */
export type SyncWriter = (data: Uint8Array) => void;
export type AsyncWriter = (data: Uint8Array) => Promise<void>;

const CHUNK = 1 << 30;

/** Rethrows an I/O error with the op and path in its message; keeps `code`, `errno`, `syscall`. */
export function ioError(op: string, action: string, path: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  const out = new Error(`${op}: cannot ${action} ${JSON.stringify(path)}: ${err?.message ?? String(e)}`, { cause: e }) as NodeJS.ErrnoException;
  if (err && typeof err === 'object') {
    if (err.code !== undefined) out.code = err.code;
    if (err.errno !== undefined) out.errno = err.errno;
    if (err.syscall !== undefined) out.syscall = err.syscall;
  }
  return out;
}

function tempPathFor(path: string): string {
  const abs = nodePath.resolve(path);
  return nodePath.join(nodePath.dirname(abs), `.${nodePath.basename(abs)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** fsync a folder so the rename itself is durable; a no-op where folders cannot be opened (Windows). */
function syncDirSync(dir: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // EISDIR / EPERM / EINVAL on platforms without directory fsync: the rename is still atomic.
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/** Replaces `path` atomically with what `body` writes. */
export function atomicWriteSync(op: string, path: string, body: (write: SyncWriter) => void): void {
  const tmp = tempPathFor(path);
  let fd: number;
  try {
    fd = fs.openSync(tmp, 'wx', 0o666);
  } catch (e) {
    throw ioError(op, 'create a temporary file beside', path, e);
  }
  let ok = false;
  try {
    const write: SyncWriter = (data) => {
      for (let pos = 0; pos < data.length; ) {
        const n = fs.writeSync(fd, data, pos, Math.min(CHUNK, data.length - pos));
        pos += n;
      }
    };
    try {
      body(write);
      fs.fsyncSync(fd);
    } catch (e) {
      throw e instanceof Error && !(e as NodeJS.ErrnoException).syscall ? e : ioError(op, 'write', tmp, e);
    } finally {
      fs.closeSync(fd);
    }
    try {
      fs.renameSync(tmp, path);
    } catch (e) {
      throw ioError(op, 'rename the temporary file onto', path, e);
    }
    ok = true;
  } finally {
    if (!ok) fs.rmSync(tmp, { force: true });
  }
  syncDirSync(nodePath.dirname(nodePath.resolve(path)));
}

/** Like atomicWriteSync, with asynchronous file operations. */
export async function atomicWrite(op: string, path: string, body: (write: AsyncWriter) => Promise<void>): Promise<void> {
  const tmp = tempPathFor(path);
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(tmp, 'wx', 0o666);
  } catch (e) {
    throw ioError(op, 'create a temporary file beside', path, e);
  }
  let ok = false;
  try {
    const write: AsyncWriter = async (data) => {
      for (let pos = 0; pos < data.length; ) {
        const { bytesWritten } = await fh.write(data, pos, Math.min(CHUNK, data.length - pos));
        pos += bytesWritten;
      }
    };
    try {
      await body(write);
      await fh.sync();
    } catch (e) {
      throw e instanceof Error && !(e as NodeJS.ErrnoException).syscall ? e : ioError(op, 'write', tmp, e);
    } finally {
      await fh.close();
    }
    try {
      await fs.promises.rename(tmp, path);
    } catch (e) {
      throw ioError(op, 'rename the temporary file onto', path, e);
    }
    ok = true;
  } finally {
    if (!ok) await fs.promises.rm(tmp, { force: true });
  }
  let dh: fs.promises.FileHandle | null = null;
  try {
    dh = await fs.promises.open(nodePath.dirname(nodePath.resolve(path)), 'r');
    await dh.sync();
  } catch {
    // no directory fsync on this platform
  } finally {
    if (dh) await dh.close();
  }
}
