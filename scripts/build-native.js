#!/usr/bin/env node
// build-native.js — builds the addon: cmake-js when CMake is on PATH, otherwise node-gyp (CPU only).
// Environment: TENSORDIFF_CUDA=AUTO|ON|OFF (passed to CMake), TENSORDIFF_BUILD=cmake|gyp to force one.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const env = { ...process.env };
// Build against this node's own headers (no download): <prefix>/include/node/node.h.
const prefix = path.resolve(path.dirname(process.execPath), '..');
if (!env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node.h'))) {
  env.npm_config_nodedir = prefix;
}

function run(cmd, args) {
  console.log(`[tensordiff] ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' });
  return r.status === 0;
}
function has(cmd) {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}
function bin(name) {
  return path.join(root, 'node_modules', '.bin', name);
}

const mode = env.TENSORDIFF_BUILD || (has('cmake') ? 'cmake' : 'gyp');
let ok;
if (mode === 'cmake') {
  const cuda = (env.TENSORDIFF_CUDA || 'AUTO').toUpperCase();
  ok = run(process.execPath, [require.resolve('cmake-js/bin/cmake-js'), 'compile', `--CDTENSORDIFF_CUDA=${cuda}`,
    ...(env.npm_config_nodedir ? ['--directory', root] : [])]);
} else {
  console.log('[tensordiff] CMake not found: building the CPU backend with node-gyp');
  ok = run(process.execPath, [require.resolve('node-gyp/bin/node-gyp.js'), 'rebuild', ...(env.npm_config_nodedir ? [`--nodedir=${env.npm_config_nodedir}`] : [])]);
}
if (!ok) {
  console.error('[tensordiff] native build failed: see the compiler output above. Needs a C++17 compiler ' +
    '(g++ or clang++), and CMake >= 3.18 or python3 + make for node-gyp.');
  process.exit(1);
}
