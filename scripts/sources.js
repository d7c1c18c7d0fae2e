// sources.js — the native source list for binding.gyp (node-gyp, CPU only), globbed from the same
// folders CMakeLists.txt globs, so no source is listed twice by hand.
'use strict';
const fs = require('fs');
const path = require('path');

function list(dir, ext) {
  const abs = path.join(__dirname, '..', dir);
  return fs.readdirSync(abs).filter((f) => f.endsWith(ext)).sort().map((f) => `${dir}/${f}`);
}

const cpu = [...list('native/cpu', '.cpp'), ...list('native/addon', '.cpp')];
module.exports = { cpu };
if (require.main === module) process.stdout.write(cpu.join(' '));
