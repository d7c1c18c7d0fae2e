// readme-tour.test.ts — every ```js snippet of the README's "Tour" section runs as written, from a
// fresh directory whose node_modules/tensordiff points at this checkout; each snippet asserts what
// its comments promise (closed forms, the unfused composition, statistics of known distributions).
import t from 'tap';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as cp from 'child_process';

const root = path.join(__dirname, '..', '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const start = readme.indexOf('\n## Tour\n');
const end = readme.indexOf('\n## ', start + 1);
const tour = start < 0 ? '' : readme.slice(start, end < 0 ? undefined : end);
const snippets = [...tour.matchAll(/### (.+)\n[\s\S]*?```js\n([\s\S]*?)```/g)];

t.ok(start >= 0, 'the README has a Tour section');
t.ok(snippets.length >= 6, `the tour has a snippet per topic (found ${snippets.length})`);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'td-tour-'));
fs.mkdirSync(path.join(dir, 'node_modules'));
fs.symlinkSync(root, path.join(dir, 'node_modules', 'tensordiff'), 'dir');
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

// every block under the Tour heading, with the ### heading it follows (several may share one)
const blocks: { title: string; code: string }[] = [];
let title = '';
for (const part of tour.split(/(```js\n[\s\S]*?```)/)) {
  const heads = [...part.matchAll(/^### (.+)$/gm)];
  if (heads.length) title = heads[heads.length - 1][1];
  const m = /^```js\n([\s\S]*?)```$/.exec(part);
  if (m) blocks.push({ title, code: m[1] });
}

blocks.forEach(({ title, code }, i) => {
  t.test(`tour snippet ${i + 1}: ${title}`, async (t) => {
    const file = path.join(dir, `snippet${i + 1}.js`);
    fs.writeFileSync(file, code);
    const r = cp.spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 300000 });
    t.equal(r.status, 0, `exits 0 (stderr: ${(r.stderr ?? '').slice(-600)})`);
    t.ok((r.stdout ?? '').trim().length > 0, 'prints its result');
  });
});
