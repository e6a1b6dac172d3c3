/**
 * Builds the optional addon (native/clickhouse_native.c: LZ4 and CityHash128 in C) into
 * prebuilds/<platform>-<arch>/clickhouse_native.node, where src/compression/native.ts looks for it from both src/
 * and dist/, and which the package ships (package.json `files`). Run by `npm run build` (so by `prepare`: `npm ci`,
 * `npm pack`, a git dependency's install).
 *
 * The source needs no header and no download (it declares the few Node-API functions it uses), so a bare C compiler
 * is all it takes. Without one, or if the compile fails, this prints one line and exits 0: the build never fails for
 * the addon, and the client runs on its TypeScript fallback. `CC` picks the compiler (default: cc, then gcc, clang).
 *
 * `--ensure` (run before `npm test` and `npm run bench`): does nothing when the addon is newer than its source;
 * otherwise builds it, and when no compiler exists and we are root with apt-get (a fresh Debian machine, where the
 * test harness installs clickhouse-server the same way), installs Debian's gcc first. The tests check the addon
 * and the fallback both, and the benchmark should measure what a user who installs the package gets.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'native', 'clickhouse_native.c');
const outDir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const out = path.join(outDir, 'clickhouse_native.node');

function skip(why) {
  console.log(`clickhouse-native: native addon not built (${why}); the TypeScript LZ4/CityHash fallback is used`);
  process.exit(0);
}

if (process.env.CLICKHOUSE_NATIVE_BUILD === '0') skip('CLICKHOUSE_NATIVE_BUILD=0');
if (process.platform === 'win32') skip('no build on Windows');

const flags = ['-O3', '-std=c99', '-shared', '-fPIC', '-fvisibility=hidden', '-Wall'];
// macOS resolves the napi_* symbols from the host process at load time only when told to.
if (process.platform === 'darwin') flags.push('-undefined', 'dynamic_lookup');

const compilers = process.env.CC ? [process.env.CC] : ['cc', 'gcc', 'clang'];
const ensure = process.argv.includes('--ensure');

if (ensure && existsSync(out) && statSync(out).mtimeMs >= statSync(source).mtimeMs) process.exit(0);

const onPath = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
if (ensure && !compilers.some(onPath)) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root && onPath('apt-get')) {
    console.log('clickhouse-native: no C compiler; installing gcc with apt-get for the native addon');
    const apt = 'apt-get -o DPkg::Lock::Timeout=300';
    spawnSync('sh', ['-c', `${apt} update -qq && ${apt} install -y -qq gcc libc6-dev`], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
}
const temporary = `${out}.${process.pid}.tmp`;
mkdirSync(outDir, { recursive: true });
let lastError = 'no C compiler found (cc, gcc, clang)';
for (const compiler of compilers) {
  try {
    execFileSync(compiler, [...flags, '-o', temporary, source], { stdio: ['ignore', 'ignore', 'pipe'] });
    // Renamed into place whole: a process loading the addon meanwhile never sees half a file.
    renameSync(temporary, out);
    console.log(`clickhouse-native: built the native addon with ${compiler}: ${path.relative(root, out)}`);
    process.exit(0);
  } catch (error) {
    rmSync(temporary, { force: true });
    if (error.code !== 'ENOENT') {
      lastError = `${compiler} failed: ${
        String(error.stderr ?? error.message)
          .trim()
          .split('\n')[0]
      }`;
      break;
    }
  }
}
skip(lastError);
