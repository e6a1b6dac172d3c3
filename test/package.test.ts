/**
 * The package as a user gets it: packed by npm (which runs `prepare`, building dist/), installed into another
 * folder, imported by name, and used against the real server; its type declarations compile in a strict project.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { testServer } from './harness/context.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(path.join(tmpdir(), 'clickhouse-native-consumer-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });
}

let installed = false;
/** Packs the package and installs it into `work`, once for the file. */
function install(): void {
  if (installed) return;
  run('npm', ['pack', '--pack-destination', work], root);
  const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
  expect(tarball).toBeDefined();
  writeFileSync(path.join(work, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `./${tarball}`], work);
  installed = true;
}

describe('the published package', () => {
  it('installs from a packed tarball and works by name, with types', { timeout: 300_000 }, () => {
    install();

    const server = testServer();
    writeFileSync(
      path.join(work, 'use.mjs'),
      `import { createClient, ClickHouseError } from 'clickhouse-native';
const client = createClient({ url: ${JSON.stringify(server.url)} });
const rows = await (await client.query({ query: 'SELECT 42 AS answer' })).json();
const error = await client.query({ query: 'SELECT * FROM missing_table_xyz' }).catch((e) => e);
console.log(JSON.stringify({ rows, isServerError: error instanceof ClickHouseError }));
await client.close();
`,
    );
    expect(JSON.parse(run('node', ['use.mjs'], work))).toEqual({ rows: [{ answer: 42 }], isServerError: true });

    // The declarations type-check a strict consumer (tsc from this project's devDependencies).
    writeFileSync(
      path.join(work, 'use.ts'),
      `import { createClient, type ClickHouseClientConfig, type Row } from 'clickhouse-native';
const config: ClickHouseClientConfig = { host: 'localhost', compression: 'zstd' };
const client = createClient(config);
export async function firstRow(): Promise<Row | undefined> {
  const result = await client.query({ query: 'SELECT 1' });
  const rows: Row[] = await result.json();
  return rows[0];
}
`,
    );
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    run(
      'node',
      [
        tsc,
        '--noEmit',
        '--strict',
        '--module',
        'NodeNext',
        '--moduleResolution',
        'NodeNext',
        '--target',
        'ES2022',
        '--skipLibCheck',
        'use.ts',
      ],
      work,
    );
  });

  it(
    'ships the native addon built for this platform, which the installed package loads (and =0 turns off)',
    {
      timeout: 300_000,
    },
    () => {
      install();
      const installed = path.join(work, 'node_modules', 'clickhouse-native');
      // The module the client loads it from, by file URL (the package exports only its entry point).
      const loader = pathToFileURL(path.join(installed, 'dist', 'compression', 'native.js')).href;
      const engine = (flag: string) =>
        execFileSync('node', ['-e', `import(${JSON.stringify(loader)}).then((m) => console.log(m.LZ4_ENGINE))`], {
          cwd: work,
          encoding: 'utf8',
          env: { ...process.env, CLICKHOUSE_NATIVE_ADDON: flag },
          stdio: ['ignore', 'pipe', 'pipe'],
        }).trim();
      expect(readdirSync(path.join(installed, 'prebuilds', `${process.platform}-${process.arch}`))).toEqual([
        'clickhouse_native.node',
      ]);
      expect(engine('1')).toBe('native addon');
      expect(engine('0')).toBe('lz4-napi + TypeScript CityHash');
    },
  );

  it("runs the README's Quick start as written, prints what its comment says, and exits", { timeout: 300_000 }, () => {
    install();
    const server = testServer();
    // The first ```ts block after "## Quick start" that imports the package: what a stranger copies first.
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const quickStart = readme.slice(readme.indexOf('## Quick start'));
    const block = /```ts\n(import [^\n]*'clickhouse-native';\n[\s\S]*?)```/.exec(quickStart)?.[1];
    expect(block).toBeDefined();
    const readmeUrl = 'clickhouse://default:@localhost:9000/default';
    expect(block).toContain(readmeUrl);
    const expected = /\n\/\/ (\[.*\])\n/.exec(block!)?.[1];
    expect(expected).toBeDefined();
    writeFileSync(path.join(work, 'quick-start.mjs'), block!.replace(readmeUrl, server.url));
    // No timeout kill needed to end it: the script must exit by itself after close() (execFileSync's timeout fails it).
    const output = execFileSync('node', ['quick-start.mjs'], {
      cwd: work,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    // console.log breaks the array over lines; the comment has it on one: compare with whitespace collapsed.
    const collapse = (text: string) => text.replace(/\s+/g, ' ').trim();
    expect(collapse(output)).toBe(collapse(expected!));
  });

  it('works from CommonJS: require() gives the same module, and its types resolve', { timeout: 300_000 }, () => {
    install();
    const server = testServer();
    // A .cjs file is CommonJS whatever the consumer's package.json says. Node 20.19+ loads the ESM package through
    // require(esm): one copy of the code, so classes are the same objects whether required or imported.
    writeFileSync(
      path.join(work, 'use.cjs'),
      `const native = require('clickhouse-native');
const { createClient, ClickHouseError } = native;
(async () => {
  const client = createClient({ url: ${JSON.stringify(server.url)} });
  const rows = await (await client.query({ query: 'SELECT 42 AS answer' })).json();
  const error = await client.query({ query: 'SELECT * FROM missing_table_xyz' }).catch((e) => e);
  const imported = await import('clickhouse-native');
  console.log(JSON.stringify({
    rows,
    isServerError: error instanceof ClickHouseError,
    sameModule: imported.ClickHouseError === ClickHouseError && imported.createClient === createClient,
    quoteIdentifier: typeof native.quoteIdentifier,
  }));
  await client.close();
})();
`,
    );
    const output = execFileSync('node', ['use.cjs'], {
      cwd: work,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    expect(JSON.parse(output)).toEqual({
      rows: [{ answer: 42 }],
      isServerError: true,
      sameModule: true,
      quoteIdentifier: 'function',
    });

    // TypeScript in CommonJS: `import x = require()` type-checks under the three resolutions CJS projects use.
    writeFileSync(
      path.join(work, 'use-cjs.cts'),
      `import native = require('clickhouse-native');
const config: native.ClickHouseClientConfig = { host: 'localhost' };
export const client: native.ClickHouseClient = native.createClient(config);
export const isServerError = (e: unknown): boolean => e instanceof native.ClickHouseError;
`,
    );
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const check = (module: string, resolution: string) =>
      run(
        'node',
        [
          tsc,
          '--noEmit',
          '--strict',
          '--module',
          module,
          '--moduleResolution',
          resolution,
          '--target',
          'ES2022',
          '--skipLibCheck',
          'use-cjs.cts',
        ],
        work,
      );
    check('NodeNext', 'NodeNext');
    check('Node16', 'Node16');
    check('CommonJS', 'Node10');
  });
});
