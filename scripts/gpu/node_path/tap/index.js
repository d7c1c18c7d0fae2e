// tap-lite — a minimal stand-in for the `tap` package on a GPU machine that has no node_modules
// (scripts/gpu-check.sh puts this folder on NODE_PATH). It supports what test/cuda/*.test.ts uses:
// t.test(name, [{ skip }], fn) run one after another, and the assertions ok, equal, same, match,
// type, pass, fail. It prints TAP lines ("ok 1 - ...", "# SKIP ...") and a summary, and sets the exit
// code to 1 when an assertion fails or a test throws.
'use strict';
const assert = require('assert');

let n = 0, failed = 0, passed = 0, skipped = 0;
function report(ok, msg, extra) {
  n++;
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok' : 'not ok'} ${n} - ${msg}`);
  if (!ok && extra) console.log(`  # ${String(extra).split('\n').join('\n  # ')}`);
}
function loose(a, b) {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}
function makeT(prefix) {
  return {
    ok: (v, msg) => report(!!v, prefix + msg),
    equal: (a, b, msg) => report(Object.is(a, b) || a === b, prefix + msg, `got ${String(a)}, want ${String(b)}`),
    same: (a, b, msg) => report(loose(a, b), prefix + msg, `got ${JSON.stringify(a)}, want ${JSON.stringify(b)}`),
    match: (a, re, msg) => report(re instanceof RegExp ? re.test(String(a)) : String(a).includes(String(re)), prefix + msg, `got ${String(a)}`),
    type: (a, ty, msg) => report(typeof a === ty, prefix + msg, `got ${typeof a}`),
    pass: (msg) => report(true, prefix + msg),
    fail: (msg) => report(false, prefix + msg),
    test: (name, opts, fn) => queue(prefix + name + ' > ', name, opts, fn),
    plan: () => {},
    end: () => {},
  };
}
let chain = Promise.resolve();
function queue(prefix, name, opts, fn) {
  if (typeof opts === 'function') { fn = opts; opts = {}; }
  chain = chain.then(async () => {
    if (opts && opts.skip) {
      skipped++;
      console.log(`ok ${++n} - ${name} # SKIP ${opts.skip === true ? '' : opts.skip}`);
      return;
    }
    console.log(`# Subtest: ${name}`);
    try {
      await fn(makeT(prefix));
    } catch (e) {
      report(false, `${name}: threw ${e && e.constructor ? e.constructor.name : ''}`, e && e.stack ? e.stack : e);
    }
  });
  return chain;
}
const t = makeT('');
t.test = (name, opts, fn) => queue('', name, opts, fn);
process.on('beforeExit', () => {
  if (t._done) return;
  t._done = true;
  console.log(`1..${n}`);
  console.log(`# pass ${passed}, fail ${failed}, skip ${skipped}`);
  if (failed) process.exitCode = 1;
});
module.exports = t;
