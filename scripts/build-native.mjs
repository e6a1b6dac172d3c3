/**
 * Builds the optional addon (native/clickhouse_native.c: LZ4 and CityHash128 in C) into
 * prebuilds/<platform>-<arch>/clickhouse_native.node, where src/compression/native.ts looks for it from both src/
 * and dist/, and which the package ships (package.json `files`). Run by `npm run build` (so by `prepare`: `npm ci`,
 * `npm pack`, a git dependency's install).
 *
 * The source needs no header and no download (it declares the few Node-API functions it uses), so a bare C compiler
 * is all it takes. Without one, or if the compile fails, this prints one line and exits 0: the build never fails for
 * the addon, and the client runs on its TypeScript fallback. `CC` picks the compiler (default: cc, then gcc, clang).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
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
