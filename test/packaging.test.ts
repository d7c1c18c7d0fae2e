// packaging.test.ts — `npm pack` and an offline install of the tarball with no compiler (docs/packaging.md).
// A copy of the package (no node_modules, .git or build output) gets a prebuilt addon: prebuilds/linux-x64
// when it is current (a release machine ran `npm run prebuild`; prebuilds are not kept in git), otherwise
// (a fresh clone in CI) this machine's source build, packaged by `scripts/prebuild.js --from`. `npm pack`
// of that copy must list the prebuild, dist/lib, assets and the native sources and nothing of test/,
// lib/ or build/. The tarball is then installed into an empty project with `npm install --offline`
// (the npm cache filled by the CI's own `npm install`; a lockfile taken from ours pins the versions),
// PATH holding only `node` and `sh` (no cmake, make, g++ or python) and TENSORDIFF_BUILD_FROM_SOURCE=0:
// the install must take the prebuild, and the installed package must load it and multiply two matrices.
// Then, in scratch package folders (no compiler on PATH): the install script's choices (prebuild,
// fallback to a source build, a stale prebuild is not used, TENSORDIFF_BUILD_FROM_SOURCE=0/1, a local
// build is rebuilt) and lib/native.ts's load order (build/Release, then the prebuild) and its errors.
import t from 'tap';
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');
// eslint-disable-next-line @typescript-eslint/no-var-requires
const prebuild = require(path.join(root, 'scripts', 'prebuild.js')) as {
  check(prebuilds: string): string[];
  targetDir(prebuilds?: string): string;
  FILE: string;
};
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; version: string; dependencies: Record<string, string> };

/** npm's own CLI script for this node (npm test sets npm_execpath; else the one installed beside node). */
function npmCli(): string | null {
  const c = [process.env.npm_execpath, path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js')];
  return c.find((p) => p && /npm-cli\.js$/.test(p) && fs.existsSync(p)) ?? null;
}

/** npm settings the child npm keeps: where the cache and the registry are. */
const KEEP = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig', 'npm_config_globalconfig']);

/** A child environment without the outer npm run's other npm_* settings (they would point npm at this repo). */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if ((/^npm_/i.test(k) && !KEEP.has(k.toLowerCase())) || k === 'INIT_CWD' || k === 'TENSORDIFF_ADDON') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

function npm(cli: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [cli, ...args], { cwd, env, encoding: 'utf8', timeout: 180000, maxBuffer: 1 << 26 });
}

/** Copy the package folder, leaving out what is never shipped or is built per machine. */
function stage(dst: string): void {
  const skip = new Set(['node_modules', '.git', 'build', '.gpu', '.tap', 'prebuilds', 'repro-cld-out']);
  fs.cpSync(root, dst, {
    recursive: true,
    filter: (src) => {
      const rel = path.relative(root, src);
      return rel === '' || !(skip.has(rel.split(path.sep)[0]) || rel === path.join('docs', 'api'));
    },
  });
  // build output of a source build next to the package: must not be shipped
  fs.mkdirSync(path.join(dst, 'build', 'Release'), { recursive: true });
  fs.writeFileSync(path.join(dst, 'build', 'Release', 'tensordiff.node'), 'not an addon');
  fs.writeFileSync(path.join(dst, 'build', 'CMakeCache.txt'), '');
}

/** Files under `dir` (relative, '/'-separated). */
function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, base));
    else out.push(path.relative(base, p).split(path.sep).join('/'));
  }
  return out;
}

/**
 * A package-lock.json for a project that depends only on the tarball: our lock's production entries
 * (not dev), so `npm install --offline` needs only the tarballs already in the cache, no registry metadata.
 */
function consumerLock(tgzName: string): object {
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
  const packages: Record<string, unknown> = {
    '': { name: 'td-consumer', version: '1.0.0', dependencies: { [pkg.name]: `file:${tgzName}` } },
    [`node_modules/${pkg.name}`]: {
      version: pkg.version, resolved: `file:${tgzName}`, hasInstallScript: true, dependencies: pkg.dependencies,
    },
  };
  for (const [k, v] of Object.entries(lock.packages)) if (k !== '' && !v.dev && !v.link) packages[k] = v;
  return { name: 'td-consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

// the prebuild to ship: the repo's when current, else this machine's source build
const repoPre = path.join(root, 'prebuilds');
const local = path.join(root, 'build', 'Release', 'tensordiff.node');
const problems = process.platform === 'linux' ? prebuild.check(repoPre) : [];
const reason = process.platform !== 'linux' || process.arch !== 'x64'
  ? `prebuilds are made for linux-x64 only (this is ${process.platform}-${process.arch})`
  : !npmCli() ? 'npm-cli.js not found next to node'
  : problems.length > 0 && !fs.existsSync(local) ? `no current prebuild (${problems.join('; ')}) and no source build in build/Release to package`
  : null;
if (reason) t.comment(`skipped: ${reason}`);

t.test('npm pack lists the prebuild and the package; the tarball installs offline with no compiler and runs', { skip: reason ?? false }, async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'td-pack-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const cli = npmCli() as string;
  const copy = path.join(tmp, 'package');
  stage(copy);

  let source: string;
  if (problems.length === 0) {
    fs.cpSync(repoPre, path.join(copy, 'prebuilds'), { recursive: true });
    source = `the current ${path.relative(root, prebuild.targetDir(repoPre))}`;
  } else {
    const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'prebuild.js'), '--from', local, '--prebuilds', path.join(copy, 'prebuilds')], { encoding: 'utf8' });
    t.equal(r.status, 0, `prebuild.js --from build/Release: ${r.stdout}${r.stderr}`);
    if (r.status !== 0) return;
    source = `build/Release (${problems[0]})`;
  }
  t.comment(`packaging ${source}`);
  const preRel = path.relative(copy, path.join(prebuild.targetDir(path.join(copy, 'prebuilds')), prebuild.FILE)).split(path.sep).join('/');

  // ---- npm pack
  const packed = npm(cli, ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], copy, cleanEnv());
  t.equal(packed.status, 0, packed.status === 0 ? 'npm pack' : `npm pack: ${packed.stderr}`);
  if (packed.status !== 0) return;
  const info = JSON.parse(packed.stdout)[0] as { filename: string; files: { path: string }[]; size: number };
  const files = new Set(info.files.map((f) => f.path));
  t.comment(`tarball ${info.filename}: ${files.size} files, ${(info.size / 1048576).toFixed(2)} MiB`);
  t.ok(files.has(preRel), `lists the prebuild ${preRel}`);
  t.ok(files.has(preRel.replace(/[^/]+$/, 'manifest.json')), 'lists its manifest');
  for (const f of ['dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/lib/native.js', 'dist/lib/cli/main.js', 'package.json', 'README.md',
    'CMakeLists.txt', 'binding.gyp', 'scripts/build-native.js', 'scripts/sources.js', 'scripts/prebuild.js']) t.ok(files.has(f), `lists ${f}`);
  const mustShip = [...listFiles(path.join(root, 'assets')).map((f) => `assets/${f}`), ...listFiles(path.join(root, 'native')).map((f) => `native/${f}`)];
  const missing = mustShip.filter((f) => !files.has(f));
  t.same(missing, [], `all ${mustShip.length} files of assets/ and native/ are in the tarball`);
  const stray = [...files].filter((f) => /^(test|lib|build|dist\/test|node_modules|\.gpu|\.tap|\.ci|\.git)\//.test(f) || /\.test\.(js|ts|d\.ts)(\.map)?$/.test(f));
  t.same(stray, [], 'no test files, TypeScript sources, build folders or CI files');

  // ---- install the tarball into an empty project: offline, no compiler on PATH, source build forbidden
  const proj = path.join(tmp, 'consumer');
  const bin = path.join(tmp, 'bin');
  fs.mkdirSync(proj);
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  fs.symlinkSync('/bin/sh', path.join(bin, 'sh')); // npm runs the install script with `sh -c`
  fs.writeFileSync(path.join(proj, 'package.json'), JSON.stringify({ name: 'td-consumer', version: '1.0.0', private: true, dependencies: { [pkg.name]: `file:../${info.filename}` } }, null, 2));
  fs.writeFileSync(path.join(proj, 'package-lock.json'), JSON.stringify(consumerLock(`../${info.filename}`), null, 2));
  const env = cleanEnv({ PATH: bin, TENSORDIFF_BUILD_FROM_SOURCE: '0', npm_config_update_notifier: 'false' });
  for (const tool of ['cmake', 'make', 'g++', 'c++', 'python3']) {
    const w = spawnSync('/bin/sh', ['-c', `command -v ${tool}`], { env, encoding: 'utf8' });
    t.not(w.status, 0, `${tool} is not on the install's PATH`);
  }
  const inst = npm(cli, ['install', '--offline', '--no-audit', '--no-fund', '--foreground-scripts'], proj, env);
  t.equal(inst.status, 0, inst.status === 0 ? 'npm install --offline' : `npm install --offline: ${inst.stdout.slice(-3000)}${inst.stderr.slice(-3000)}`);
  if (inst.status !== 0) return;
  t.match(inst.stdout + inst.stderr, /using the prebuilt addon prebuilds\/linux-x64\/node\.napi\.glibc\.node/, 'the install script took the prebuild');
  const installed = path.join(proj, 'node_modules', pkg.name);
  t.notOk(fs.existsSync(path.join(installed, 'build')), 'nothing was compiled (no build/ folder)');

  // ---- use it: [[1,2],[3,4]] @ [[5,6],[7,8]] = [[19,22],[43,50]]
  const code = `const td = require(${JSON.stringify(pkg.name)});
const c = td.matmul(td.tensor([[1, 2], [3, 4]]), td.tensor([[5, 6], [7, 8]]));
const addon = Object.keys(require.cache).filter((k) => k.endsWith('.node'));
process.stdout.write(JSON.stringify({ c: Array.from(c.dataSync()), shape: c.shape, addon }));`;
  const use = spawnSync(process.execPath, ['-e', code], { cwd: proj, env, encoding: 'utf8', timeout: 60000 });
  t.equal(use.status, 0, use.status === 0 ? 'require + matmul ran' : use.stderr);
  if (use.status !== 0) return;
  const out = JSON.parse(use.stdout) as { c: number[]; shape: number[]; addon: string[] };
  t.same(out.c, [19, 22, 43, 50], 'matmul of the installed package');
  t.same(out.shape, [2, 2], 'shape [2, 2]');
  t.same(out.addon, [fs.realpathSync(path.join(installed, preRel))], 'the addon loaded is the prebuild');
});

/** A scratch package root: scripts/ and dist/lib copied, node_modules linked; prebuild/build addons as asked. */
function scratchRoot(dir: string, o: { prebuild?: string | null; build?: string | null }): string {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.cpSync(path.join(root, 'scripts'), path.join(dir, 'scripts'), { recursive: true });
  fs.cpSync(path.join(root, 'dist', 'lib'), path.join(dir, 'dist', 'lib'), { recursive: true });
  fs.cpSync(path.join(root, 'native'), path.join(dir, 'native'), { recursive: true });
  for (const f of ['package.json', 'CMakeLists.txt', 'binding.gyp']) fs.copyFileSync(path.join(root, f), path.join(dir, f));
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  const put = (file: string, content: string) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (content === 'garbage') fs.writeFileSync(file, 'not an ELF file');
    else fs.copyFileSync(content, file);
  };
  if (o.prebuild) put(path.join(dir, 'prebuilds', 'linux-x64', 'node.napi.glibc.node'), o.prebuild);
  if (o.build) put(path.join(dir, 'build', 'Release', 'tensordiff.node'), o.build);
  return dir;
}

const good = fs.existsSync(local) ? local : path.join(prebuild.targetDir(repoPre), prebuild.FILE);
const linux = process.platform === 'linux' && process.arch === 'x64' && fs.existsSync(good);

t.test('install script: prebuild when it loads, else a source build; TENSORDIFF_BUILD_FROM_SOURCE', { skip: linux ? false : 'needs linux-x64 and a built addon' }, async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'td-install-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const bin = path.join(tmp, 'bin');
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  const dir = path.join(tmp, 'pkg');
  // no compiler and no python on PATH, node-gyp forced: a source build attempt fails within seconds
  const install = (from: string | undefined) => {
    const env = cleanEnv({ PATH: bin, TENSORDIFF_BUILD: 'gyp', npm_config_nodedir: path.join(tmp, 'no-headers') });
    if (from !== undefined) env.TENSORDIFF_BUILD_FROM_SOURCE = from;
    const r = spawnSync(process.execPath, [path.join(dir, 'scripts', 'build-native.js'), '--install'], { cwd: dir, env, encoding: 'utf8', timeout: 120000 });
    return { code: r.status, out: r.stdout + r.stderr };
  };
  const building = /node-gyp\.js rebuild/;

  scratchRoot(dir, { prebuild: good });
  let r = install(undefined);
  t.equal(r.code, 0, r.code === 0 ? 'exit 0' : r.out);
  t.match(r.out, /using the prebuilt addon prebuilds\/linux-x64\/node\.napi\.glibc\.node/, 'a loading prebuild: no compile');
  t.notMatch(r.out, building);
  r = install('1');
  t.notMatch(r.out, /using the prebuilt addon/, 'TENSORDIFF_BUILD_FROM_SOURCE=1 ignores the prebuild');
  t.match(r.out, building, '... and builds from source');
  t.equal(r.code, 1, 'which fails here (no compiler)');

  scratchRoot(dir, { prebuild: 'garbage' });
  r = install(undefined);
  t.match(r.out, /prebuilt addon prebuilds\/linux-x64\/node\.napi\.glibc\.node cannot be used here .*: building from source/, 'a broken prebuild: falls back');
  t.match(r.out, building);
  r = install('0');
  t.equal(r.code, 1);
  t.match(r.out, /cannot be used here .* TENSORDIFF_BUILD_FROM_SOURCE=0 forbids a source build/);
  t.notMatch(r.out, building, 'TENSORDIFF_BUILD_FROM_SOURCE=0 never compiles');

  scratchRoot(dir, { prebuild: good });
  fs.writeFileSync(path.join(dir, 'prebuilds', 'linux-x64', 'manifest.json'), JSON.stringify({ sourceHash: '0'.repeat(64) }));
  r = install(undefined);
  t.match(r.out, /cannot be used here \(it was built from other native sources .*\): building from source/, 'a prebuild of other sources (manifest hash): not used');
  t.match(r.out, building);

  scratchRoot(dir, {});
  r = install('0');
  t.equal(r.code, 1);
  t.match(r.out, /no prebuilt addon for linux-x64 .* TENSORDIFF_BUILD_FROM_SOURCE=0 forbids a source build/, 'no prebuild and no source build allowed: a clear failure');
  r = install(undefined);
  t.match(r.out, building, 'no prebuild: builds from source (the behaviour before prebuilds)');

  scratchRoot(dir, { prebuild: good, build: good });
  r = install(undefined);
  t.match(r.out, building, 'a local source build exists: it is rebuilt (it wins at load time), the prebuild is not used');
});

t.test('lib/native.ts: a local build wins, then the prebuild; each failure names the file and the fix', { skip: linux ? false : 'needs linux-x64 and a built addon' }, async (t) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'td-load-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const dir = path.join(tmp, 'pkg');
  const load = () => {
    const code = `try { const n = require('./dist/lib/native.js'); const i = n.native.info();
  process.stdout.write(JSON.stringify({ ok: true, addon: Object.keys(require.cache).filter((k) => k.endsWith('.node')), gemm: i.cpu.gemmKernel }));
} catch (e) { process.stdout.write(JSON.stringify({ ok: false, message: e.message })); }`;
    const r = spawnSync(process.execPath, ['-e', code], { cwd: dir, env: cleanEnv(), encoding: 'utf8', timeout: 60000 });
    return JSON.parse(r.stdout) as { ok: boolean; addon?: string[]; message?: string };
  };
  scratchRoot(dir, { prebuild: good });
  let r = load();
  t.ok(r.ok, r.message ?? 'loads');
  t.same(r.addon, [path.join(fs.realpathSync(dir), 'prebuilds', 'linux-x64', 'node.napi.glibc.node')], 'no build/: the prebuild is loaded');

  scratchRoot(dir, { prebuild: good, build: good });
  r = load();
  t.same(r.addon, [path.join(fs.realpathSync(dir), 'build', 'Release', 'tensordiff.node')], 'build/Release wins over the prebuild');

  scratchRoot(dir, { prebuild: good, build: 'garbage' });
  r = load();
  t.notOk(r.ok, 'a broken local build is an error, not a silent fallback to an older prebuild');
  t.match(r.message ?? '', /native addon at .*build\/Release\/tensordiff\.node failed to load: .*\nRebuild it with `npm run build:native`/);

  scratchRoot(dir, { prebuild: 'garbage' });
  r = load();
  t.notOk(r.ok);
  t.match(r.message ?? '', /prebuilt addon at .*prebuilds\/linux-x64\/node\.napi\.glibc\.node failed to load: .*\nBuild it from source instead with `TENSORDIFF_BUILD_FROM_SOURCE=1 npm rebuild tensordiff`/);

  scratchRoot(dir, {});
  r = load();
  t.notOk(r.ok);
  t.match(r.message ?? '', /the native addon is not built\. Looked for:[^]*build\/Release\/tensordiff\.node \(not found\)[^]*prebuilds \(not found\)[^]*Run `npm install`/);
});
