#!/usr/bin/env node
// build-native.js — builds the addon from source (cmake-js when CMake is on PATH, otherwise node-gyp,
// CPU only) and, run as the package's install script (`--install`), first tries the prebuilt addon.
//
//   node scripts/build-native.js            always build from source into build/ (`npm run build:native`)
//   node scripts/build-native.js --install  npm's install step: use prebuilds/<platform>-<arch>/ when a
//                                           prebuild exists for this platform and loads, else build
//
// Environment: TENSORDIFF_BUILD_FROM_SOURCE=1 forces the source build at install, =0 forbids it (a
// missing or broken prebuild then fails the install); TENSORDIFF_CUDA=AUTO|ON|OFF (passed to CMake);
// TENSORDIFF_CUDA_ARCHITECTURES (CMAKE_CUDA_ARCHITECTURES, e.g. "86" or "80-real;90"; CMakeLists.txt
// defaults to "80-real;90"); TENSORDIFF_BUILD=cmake|gyp forces one build tool. A local source build (build/Release) always wins
// at load time (lib/native.ts), so when one exists the install step rebuilds it instead of skipping.
'use strict';
const { spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const ADDON = 'tensordiff.node';

/** The environment for a build: this node's own headers (no download) when they are installed. */
function buildEnv(base = process.env) {
  const env = { ...base };
  // <prefix>/include/node/node.h
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (!env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node.h'))) {
    env.npm_config_nodedir = prefix;
  }
  return env;
}

function run(cmd, args, env) {
  console.log(`[tensordiff] ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, env, stdio: 'inherit' });
  return r.status === 0;
}
function has(cmd) {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Build the addon from source. o.out: cmake-js output folder (default build/); o.cuda: AUTO|ON|OFF;
 * o.defines: extra -D definitions for CMake (name → value); o.env: base environment.
 * Returns the path of the built .node, or null when the build failed.
 */
function buildFromSource(o = {}) {
  const env = buildEnv(o.env);
  const out = path.resolve(root, o.out || 'build');
  const mode = env.TENSORDIFF_BUILD || (has('cmake') ? 'cmake' : 'gyp');
  let ok;
  if (mode === 'cmake') {
    const cuda = (o.cuda || env.TENSORDIFF_CUDA || 'AUTO').toUpperCase();
    const archs = env.TENSORDIFF_CUDA_ARCHITECTURES ? { CMAKE_CUDA_ARCHITECTURES: env.TENSORDIFF_CUDA_ARCHITECTURES } : {};
    const defs = Object.entries({ TENSORDIFF_CUDA: cuda, ...archs, ...(o.defines || {}) }).map(([k, v]) => `--CD${k}=${v}`);
    ok = run(process.execPath, [require.resolve('cmake-js/bin/cmake-js'), 'compile', ...defs,
      ...(o.out ? ['--out', out] : []), ...(env.npm_config_nodedir ? ['--directory', root] : [])], env);
  } else {
    if (o.out) throw new Error('build-native: node-gyp always builds into build/ (no --out)');
    console.log('[tensordiff] CMake not found: building the CPU backend with node-gyp');
    ok = run(process.execPath, [require.resolve('node-gyp/bin/node-gyp.js'), 'rebuild',
      ...(env.npm_config_nodedir ? [`--nodedir=${env.npm_config_nodedir}`] : [])], env);
  }
  const file = path.join(out, 'Release', ADDON);
  return ok && fs.existsSync(file) ? file : null;
}

/** sha256 over the files the addon is compiled from (paths and contents, sorted); prebuild manifests record it. */
function sourceHash(dir = root) {
  const files = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(path.join(dir, d), { withFileTypes: true })) {
      const rel = path.posix.join(d, e.name);
      if (e.isDirectory()) walk(rel);
      else if (e.isFile()) files.push(rel);
    }
  };
  walk('native');
  files.push('CMakeLists.txt', 'binding.gyp', 'scripts/sources.js');
  const h = crypto.createHash('sha256');
  for (const f of files.sort()) {
    h.update(f + '\0');
    h.update(fs.readFileSync(path.join(dir, f)));
    h.update('\0');
  }
  return h.digest('hex');
}

/** Why the prebuild's manifest.json says it was built from other sources than these, or null. */
function staleness(file) {
  const mf = path.join(path.dirname(file), 'manifest.json');
  if (!fs.existsSync(mf)) return null;
  let m;
  try {
    m = JSON.parse(fs.readFileSync(mf, 'utf8'));
  } catch {
    return `its manifest ${mf} is not JSON`;
  }
  const h = sourceHash();
  return m.sourceHash === h ? null : `it was built from other native sources (manifest ${String(m.sourceHash).slice(0, 12)}, sources ${h.slice(0, 12)})`;
}

/** The prebuilt addon node-gyp-build picks for this platform, arch and libc, or null. */
function findPrebuild() {
  const dir = path.join(root, 'prebuilds');
  if (!fs.existsSync(dir)) return null;
  process.env.PREBUILDS_ONLY = '1'; // read when node-gyp-build loads: skip its build/ lookup
  try {
    const p = require('node-gyp-build').path(root);
    return p.startsWith(dir + path.sep) ? p : null; // not a prebuild next to the node binary
  } catch {
    return null; // none for this platform, arch and libc (or node-gyp-build is missing)
  }
}

/** Load `file` in a child process (a crash there cannot take the install down); returns null or why it failed. */
function probe(file) {
  const code = `const m = require(${JSON.stringify(file)});
if (m.abiVersion !== 1) throw new Error('addon ABI ' + m.abiVersion + ', expected 1');
const i = m.info(); process.stdout.write(JSON.stringify({ gemm: i.cpu.gemmKernel, cuda: i.cuda.compiled }));`;
  const r = spawnSync(process.execPath, ['-e', code], { encoding: 'utf8', timeout: 60000 });
  if (r.status === 0) return null;
  const err = (r.stderr || '').split('\n').find((l) => /Error/.test(l)) || `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}`;
  return err.trim();
}

function fail(msg) {
  console.error(`[tensordiff] ${msg}`);
  process.exit(1);
}

function main(argv) {
  const install = argv.includes('--install');
  const from = (process.env.TENSORDIFF_BUILD_FROM_SOURCE || '').trim();
  if (install && from !== '1') {
    const local = path.join(root, 'build', 'Release', ADDON);
    const pre = fs.existsSync(local) ? null : findPrebuild();
    if (pre) {
      const why = staleness(pre) || probe(pre);
      if (why === null) {
        console.log(`[tensordiff] using the prebuilt addon ${path.relative(root, pre)} (no compiler needed; ` +
          'set TENSORDIFF_BUILD_FROM_SOURCE=1 to compile it instead)');
        return;
      }
      if (from === '0') fail(`the prebuilt addon ${pre} cannot be used here (${why}) and TENSORDIFF_BUILD_FROM_SOURCE=0 forbids a source build`);
      console.log(`[tensordiff] the prebuilt addon ${path.relative(root, pre)} cannot be used here (${why}): building from source`);
    } else if (from === '0') {
      fail(fs.existsSync(local)
        ? `a source build exists at ${local} and TENSORDIFF_BUILD_FROM_SOURCE=0 forbids rebuilding it; delete build/ to use the prebuilt addon`
        : `no prebuilt addon for ${process.platform}-${process.arch} in ${path.join(root, 'prebuilds')} and TENSORDIFF_BUILD_FROM_SOURCE=0 forbids a source build`);
    }
  }
  if (!buildFromSource()) {
    fail('native build failed: see the compiler output above. Needs a C++17 compiler (g++ or clang++), and ' +
      'CMake >= 3.18 or python3 + make for node-gyp.');
  }
}

module.exports = { buildFromSource, buildEnv, findPrebuild, probe, sourceHash, staleness, root, ADDON };
if (require.main === module) main(process.argv.slice(2));
