#!/usr/bin/env node
// prebuild.js — makes the prebuilt addon that `npm install` uses instead of compiling (docs/packaging.md):
// prebuilds/<platform>-<arch>/node.napi.glibc.node (the node-gyp-build layout: N-API, so one file
// serves every Node >= 18) plus manifest.json (source hash, CUDA architectures, portability checks).
//
//   npm run prebuild [-- options]
//     --cuda ON|OFF|AUTO   CUDA backend (default ON: one binary for CPU and CUDA, static cudart)
//     --cuda-arch LIST     CMAKE_CUDA_ARCHITECTURES (default "80-real;90": sm_80 + sm_90 SASS, compute_90 PTX)
//     --build-dir DIR      cmake-js output folder (default: a folder under the OS temp dir; never build/)
//     --from FILE          package an already built .node instead of compiling (checks still run)
//     --prebuilds DIR      where to write (default: <package>/prebuilds)
//     --check              only verify that the prebuild exists, loads and matches the native sources
//
// The build is portable: no -march/-m<isa> flag (compile_commands.json is checked), the fast kernels
// pick AVX2/FMA at run time, and no weak (link-once) symbol may contain a non-baseline instruction —
// the linker keeps one copy of those for the whole binary, so one built under an AVX2 target would run
// on every CPU. CFLAGS/CXXFLAGS/CUDAFLAGS/LDFLAGS from the environment are not passed to the build.
'use strict';
const { spawnSync } = require('child_process');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { buildFromSource, probe, root, sourceHash } = require('./build-native');

const FILE = 'node.napi.glibc.node';
const DEFAULT_ARCH = '80-real;90';

/** The prebuild folder for this machine: prebuilds/<platform>-<arch>. */
function targetDir(prebuilds = path.join(root, 'prebuilds')) {
  return path.join(prebuilds, `${process.platform}-${process.arch}`);
}

// Instructions beyond baseline x86-64 (SSE2): VEX/EVEX-encoded ones (v* mnemonics, ymm/zmm registers),
// SSE3/SSSE3/SSE4.x, and the BMI/ABM/MOVBE/F16C scalar extensions of x86-64-v2/v3.
const NON_BASELINE = new RegExp('^(v[a-z0-9]+|popcnt|lzcnt|tzcnt|andn|bextr|blsi|blsmsk|blsr|bzhi|mulx|pdep|pext|rorx|sarx|shlx|shrx|movbe|' +
  'crc32[bwlq]?|haddp[sd]|hsubp[sd]|addsubp[sd]|movddup|movs[hl]dup|lddqu|pshufb|palignr|pabs[bwd]|phadd[wd]|phsub[wd]|pmaddubsw|' +
  'pmulhrsw|psign[bwd]|pblendvb|blendv?p[sd]|pblendw|round[ps][sd]|pmin[su][bwd]|pmax[su][bwd]|ptest|pmov[sz]x[bwd][wdq]|pinsr[bdq]|' +
  'pextr[bdq]|extractps|insertps|dpp[sd]|pmulld|pmuldq|pcmpeqq|pcmpgtq|packusdw|mpsadbw|phminposuw|pcmp[ei]str[im])$');

/** Per function of an ELF file (a .node or a .o): whether it has a non-baseline instruction. Null without objdump. */
function disassemble(file) {
  const dis = spawnSync('objdump', ['-d', '--no-show-raw-insn', file], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (dis.status !== 0) return null;
  const fns = new Map();
  let fn = null;
  for (const l of dis.stdout.split('\n')) {
    const h = /^[0-9a-f]+ <(.+)>:$/.exec(l);
    if (h) {
      fn = h[1];
      if (!fns.has(fn)) fns.set(fn, false);
      continue;
    }
    if (fn === null || fns.get(fn)) continue;
    const m = /^\s*[0-9a-f]+:\s+(?:(?:rex\.?\w*|lock|rep[nez]*|data16|notrack|bnd)\s+)*([a-z][a-z0-9]*)/.exec(l);
    if (m && (NON_BASELINE.test(m[1]) || /%[yz]mm/.test(l))) fns.set(fn, true);
  }
  return fns;
}

/** Weak (link-once) symbols defined in an object file. */
function weakSymbols(file) {
  const nm = spawnSync('nm', ['--defined-only', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const weak = new Set();
  for (const l of (nm.status === 0 ? nm.stdout : '').split('\n')) {
    const m = /^[0-9a-f]+ ([WVu]) (\S+)$/.exec(l);
    if (m) weak.add(m[2]);
  }
  return weak;
}

/**
 * The ISA check. In the linked .node: how many functions have non-baseline code (the dispatched
 * kernels). In each object file of the build (objects: a list of .o paths): the weak symbols with
 * non-baseline code — the linker keeps one copy of an inline/template function for all callers, so a
 * copy compiled under an AVX2 target would run on CPUs without AVX2 (hidden ones are local in the
 * .node, so this needs the objects). Returns null when objdump is missing.
 */
function scanIsa(file, objects = []) {
  const fns = disassemble(file);
  if (fns === null) return null;
  const weakNonBaseline = [];
  for (const o of objects) {
    const d = disassemble(o) || new Map();
    for (const w of weakSymbols(o)) if (d.get(w)) weakNonBaseline.push(`${w} (${path.basename(o)})`);
  }
  return { functions: fns.size, nonBaseline: [...fns.values()].filter(Boolean).length, objects: objects.length, weakNonBaseline };
}

/** The object files of a cmake-js build folder (CMakeFiles/tensordiff.dir/**\/*.o). */
function objectFiles(buildDir) {
  const out = [];
  const walk = (d) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.o')) out.push(p);
    }
  };
  walk(path.join(buildDir, 'CMakeFiles', 'tensordiff.dir'));
  return out.sort();
}

/** -march/-mtune=native/-m<isa> flags in a cmake compile_commands.json (none may be there). */
function isaFlags(buildDir) {
  const f = path.join(buildDir, 'compile_commands.json');
  if (!fs.existsSync(f)) return null;
  const bad = new Set();
  for (const c of JSON.parse(fs.readFileSync(f, 'utf8'))) {
    const cmd = c.command || (c.arguments || []).join(' ');
    for (const m of cmd.matchAll(/(?:^|\s)(-march=\S+|-mtune=native|-m(?:avx\S*|fma\S*|sse[34]\S*|ssse3|bmi\S*|f16c|popcnt|lzcnt|arch=\S+)|-xHost|--use_fast_math)(?=\s|$)/g)) bad.add(m[1]);
  }
  return [...bad];
}

/**
 * cmake-js configures a build folder once and ignores later -D values: drop its CMakeCache.txt when it
 * was configured with other settings (want: name -> value, null = must be unset or empty).
 */
function staleCache(buildDir, want) {
  const f = path.join(buildDir, 'CMakeCache.txt');
  if (!fs.existsSync(f)) return;
  const text = fs.readFileSync(f, 'utf8');
  for (const [k, v] of Object.entries(want)) {
    const m = new RegExp(`^${k}:[A-Z]+=(.*)$`, 'm').exec(text);
    const have = m ? m[1] : null;
    if ((have || null) !== v && !(v === null && have === '')) {
      console.log(`[tensordiff prebuild] ${buildDir} was configured with ${k}=${have}; reconfiguring for ${v}`);
      fs.rmSync(f);
      return;
    }
  }
}

function parseArgs(argv) {
  const o = { cuda: 'ON', cudaArch: DEFAULT_ARCH, buildDir: null, from: null, prebuilds: path.join(root, 'prebuilds'), check: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], v = () => {
      if (i + 1 >= argv.length) throw new Error(`prebuild: ${a} needs a value`);
      return argv[++i];
    };
    if (a === '--cuda') o.cuda = v().toUpperCase();
    else if (a === '--cuda-arch') o.cudaArch = v();
    else if (a === '--build-dir') o.buildDir = path.resolve(v());
    else if (a === '--from') o.from = path.resolve(v());
    else if (a === '--prebuilds') o.prebuilds = path.resolve(v());
    else if (a === '--check') o.check = true;
    else throw new Error(`prebuild: unknown option ${a}`);
  }
  if (!['ON', 'OFF', 'AUTO'].includes(o.cuda)) throw new Error(`prebuild: --cuda must be ON, OFF or AUTO, got ${o.cuda}`);
  if (!o.buildDir) {
    const tag = crypto.createHash('sha1').update(root).digest('hex').slice(0, 8);
    o.buildDir = path.join(os.tmpdir(), `tensordiff-prebuild-${tag}-cuda-${o.cuda.toLowerCase()}`);
  }
  if (o.buildDir === path.join(root, 'build')) throw new Error('prebuild: --build-dir must not be build/ (the source build lives there)');
  return o;
}

/** Verify prebuilds/<platform>-<arch>: the file and manifest exist, the hash matches, it loads. Returns problems. */
function check(prebuilds) {
  const dir = targetDir(prebuilds);
  const file = path.join(dir, FILE), mf = path.join(dir, 'manifest.json');
  if (!fs.existsSync(file) || !fs.existsSync(mf)) return [`no prebuild in ${dir} (run \`npm run prebuild\`)`];
  const problems = [];
  const m = JSON.parse(fs.readFileSync(mf, 'utf8'));
  const h = sourceHash();
  if (m.sourceHash !== h) problems.push(`${file} was built from other native sources (manifest ${String(m.sourceHash).slice(0, 12)}, now ${h.slice(0, 12)}): run \`npm run prebuild\``);
  const why = probe(file);
  if (why !== null) problems.push(`${file} does not load: ${why}`);
  return problems;
}

function main(argv) {
  const o = parseArgs(argv);
  if (o.check) {
    const p = check(o.prebuilds);
    for (const l of p) console.error(`[tensordiff prebuild] ${l}`);
    if (p.length) process.exit(1);
    console.log(`[tensordiff prebuild] ${path.join(targetDir(o.prebuilds), FILE)} is current and loads`);
    return;
  }
  let built = o.from, flags = null;
  if (!built) {
    const env = { ...process.env };
    for (const k of ['CFLAGS', 'CXXFLAGS', 'CPPFLAGS', 'CUDAFLAGS', 'LDFLAGS']) {
      if (env[k]) console.log(`[tensordiff prebuild] ignoring ${k}=${env[k]} (a prebuild must be portable)`);
      delete env[k];
    }
    if (!env.CMAKE_BUILD_PARALLEL_LEVEL) env.CMAKE_BUILD_PARALLEL_LEVEL = String(Math.max(1, Math.min(os.cpus().length, 4)));
    delete env.TENSORDIFF_BUILD; // cmake-js only: node-gyp cannot build into another folder
    const defines = { CMAKE_BUILD_TYPE: 'Release', CMAKE_EXPORT_COMPILE_COMMANDS: 'ON' };
    if (o.cuda !== 'OFF') defines.CMAKE_CUDA_ARCHITECTURES = o.cudaArch;
    staleCache(o.buildDir, { TENSORDIFF_CUDA: o.cuda, CMAKE_CUDA_ARCHITECTURES: o.cuda === 'OFF' ? null : o.cudaArch });
    built = buildFromSource({ out: o.buildDir, cuda: o.cuda, defines, env });
    if (!built) throw new Error('prebuild: the build failed (see above)');
    flags = isaFlags(o.buildDir);
  }
  if (flags && flags.length) throw new Error(`prebuild: non-portable compile flags ${flags.join(' ')} (see ${o.buildDir}/compile_commands.json)`);
  const isa = scanIsa(built, o.from ? [] : objectFiles(o.buildDir));
  if (isa && isa.weakNonBaseline.length) {
    throw new Error(`prebuild: weak symbols with non-baseline instructions (one copy is kept for every caller, so a CPU ` +
      `without AVX2 would fault): ${isa.weakNonBaseline.slice(0, 10).join(', ')}${isa.weakNonBaseline.length > 10 ? ', ...' : ''}`);
  }
  const why = probe(built);
  if (why !== null) throw new Error(`prebuild: ${built} does not load: ${why}`);
  const info = JSON.parse(spawnSync(process.execPath, ['-e', `process.stdout.write(JSON.stringify(require(${JSON.stringify(built)}).info()))`], { encoding: 'utf8' }).stdout);

  const dir = targetDir(o.prebuilds);
  fs.mkdirSync(dir, { recursive: true });
  const dest = path.join(dir, FILE);
  fs.copyFileSync(built, `${dest}.part`);
  const strip = spawnSync('strip', ['--strip-unneeded', `${dest}.part`], { stdio: 'ignore' }).status === 0;
  fs.renameSync(`${dest}.part`, dest);
  const size = fs.statSync(dest).size;
  const manifest = {
    file: FILE,
    sourceHash: sourceHash(),
    builtAt: new Date().toISOString(),
    node: process.version,
    napi: process.versions.napi,
    from: o.from ? 'an existing build' : 'scripts/prebuild.js',
    cuda: { compiled: info.cuda.compiled, architectures: info.cuda.compiled && !o.from ? o.cudaArch : null, runtimeVersion: info.cuda.runtimeVersion ?? null },
    stripped: strip,
    bytes: size,
    portability: { isaFlags: flags, functions: isa?.functions ?? null, functionsWithNonBaselineCode: isa?.nonBaseline ?? null,
      objectsScanned: isa?.objects ?? 0, weakNonBaseline: isa ? isa.weakNonBaseline.length : null },
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  const cudaMsg = !info.cuda.compiled ? 'CUDA off' : o.from ? 'CUDA compiled (architectures as built)' : `CUDA ${o.cudaArch}`;
  const isaMsg = !isa ? 'objdump missing: ISA not scanned'
    : `${isa.nonBaseline} of ${isa.functions} functions have non-baseline (AVX2/FMA) code; ` +
      (isa.objects ? `no weak symbol in ${isa.objects} object files does` : 'weak symbols not checked (no object files with --from)');
  console.log(`[tensordiff prebuild] wrote ${path.relative(process.cwd(), dest)} (${(size / 1048576).toFixed(2)} MiB, ${cudaMsg}; ${isaMsg})`);
}

module.exports = { sourceHash, scanIsa, objectFiles, isaFlags, staleCache, check, targetDir, FILE };
if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (e) {
    console.error(`[tensordiff] ${e.message}`);
    process.exit(1);
  }
}
