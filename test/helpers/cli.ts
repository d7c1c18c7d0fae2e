// cli.ts — helpers shared by the CLI test files: the compiled command's path, a child environment
// (one thread, no progress bar, no debug output), a synchronous run of the command, and pixel counts
// of a PNG file it wrote (decoded by pngjs). Not a test file itself.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PNG } from 'pngjs';

/** dist/lib/cli/main.js, from dist/test/helpers. */
export const CLI = path.join(__dirname, '..', '..', 'lib', 'cli', 'main.js');

/** Children run on one thread: the models are tiny and the test machine is shared. */
export const CLI_ENV: NodeJS.ProcessEnv = { ...process.env, TENSORDIFF_NUM_THREADS: '1' };
delete CLI_ENV.TENSORDIFF_PROGRESS;
delete CLI_ENV.TENSORDIFF_DEBUG;

/** Run `node main.js ...args` to completion. */
export function cli(args: string[], env: NodeJS.ProcessEnv = CLI_ENV): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 120000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Width, height and pixel counts of a PNG file by exact colour. */
export function pixels(file: string): { width: number; height: number; nonWhite: number; count: (rgb: number[]) => number } {
  const png = PNG.sync.read(fs.readFileSync(file));
  const d = png.data;
  let nonWhite = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i] !== 255 || d[i + 1] !== 255 || d[i + 2] !== 255) nonWhite++;
  return {
    width: png.width, height: png.height, nonWhite,
    count: (rgb) => { let c = 0; for (let i = 0; i < d.length; i += 4) if (d[i] === rgb[0] && d[i + 1] === rgb[1] && d[i + 2] === rgb[2]) c++; return c; },
  };
}

/** td.viz's sample (orange) and reference (blue) colours. */
export const ORANGE = [255, 127, 14], BLUE = [31, 119, 180];
