// readme.test.ts — the README's opening example runs as written (with require('tensordiff') pointed
// at this checkout) and computes the gradient its comment promises.
import t from 'tap';
import * as fs from 'fs';
import * as path from 'path';
import * as cp from 'child_process';

t.test('the README example runs and fills W.grad', async (t) => {
  const root = path.join(__dirname, '..', '..');
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  t.ok(readme.startsWith('# tensordiff\n\n```sh\nnpm install\nnpm test\n```'), 'README opens with npm install and npm test');
  const m = /```js\n([\s\S]*?)```/.exec(readme);
  t.ok(m, 'README has a js example');
  if (!m) return;
  t.ok(m[1].trim().split('\n').length <= 12, 'the example is about ten lines');
  const lib = JSON.stringify(path.join(root, 'dist', 'lib', 'index.js'));
  const code = m[1].replace("require('tensordiff')", `require(${lib})`);
  const r = cp.spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 60000 });
  t.equal(r.status, 0, `exit status (stderr: ${r.stderr.slice(-300)})`);
  const nums = (r.stdout.match(/-?\d+\.\d+(e-?\d+)?/g) ?? []).map(Number);
  t.equal(nums.length, 7, 'prints the loss and a 3x2 gradient');
  t.ok(nums.every(Number.isFinite), 'all finite');
});
