// version.ts — the package's name and version, read from the package.json above this file (the
// same code runs from lib/cli in the sources and dist/lib/cli once compiled).
import * as fs from 'fs';
import * as path from 'path';

let cached: { name: string; version: string; root: string } | null = null;

/** `{ name, version, root }` of the tensordiff package this file belongs to. */
export function packageInfo(): { name: string; version: string; root: string } {
  if (cached) return cached;
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const p = path.join(dir, 'package.json');
    if (fs.existsSync(p)) {
      const j = JSON.parse(fs.readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (j.name === 'tensordiff') return (cached = { name: j.name, version: String(j.version), root: dir });
    }
    dir = path.dirname(dir);
  }
  return (cached = { name: 'tensordiff', version: 'unknown', root: path.join(__dirname, '..', '..', '..') });
}
