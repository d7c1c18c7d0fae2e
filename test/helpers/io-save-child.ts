// io-save-child.ts — run as a child process by test/io-atomic.test.ts (not a test file itself):
// saves a large checkpoint {w: [4, 5, 6], big: [numel] of 7s} over argv[2] with save() or
// saveAsync() (argv[4]), printing "start" before and "done" after. The parent SIGKILLs it mid-save.
import * as td from '../../lib/index';
import * as io from '../../lib/io';

async function main(): Promise<void> {
  const [target, numelStr, mode] = process.argv.slice(2);
  const big = td.full([Number(numelStr)], 7);
  const w = td.tensor([4, 5, 6]);
  process.stdout.write('start\n');
  if (mode === 'async') await io.saveAsync({ w, big }, target, { gen: 'new' });
  else io.save({ w, big }, target, { gen: 'new' });
  process.stdout.write('done\n');
}
main().catch((e) => {
  process.stderr.write(String(e?.stack ?? e) + '\n');
  process.exit(1);
});
