/**
 * The README's examples, run as written against the run's server. A code block after a
 * `<!-- readme-example: NAME -->` line is extracted, its `'clickhouse-native'` import pointed at src/index.ts and
 * its `clickhouse://default:@localhost:9000/default` URL at the run's server, then run in a child process of the
 * runtime running the test (Node through tsx, Bun and Deno natively: scripts/runtime-matrix.sh runs this file on
 * each), so it must also exit by itself. Every `console.log(x); // expected` line must print `expected`, in order.
 */
import { runToExit, runtimeArgs } from './harness/child.js';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { testServer } from './harness/context.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const README_URL = 'clickhouse://default:@localhost:9000/default';

/** The README's marked examples: name, code and the output its `console.log(…); // …` comments promise. */
export function readmeExamples(): Array<{ name: string; code: string; expected: string[] }> {
  const text = readFileSync(path.join(root, 'README.md'), 'utf8');
  const marker = /<!-- readme-example: ([\w-]+) -->\n```ts\n([\s\S]*?)\n```/g;
  return [...text.matchAll(marker)].map(([, name, code]) => ({
    name: name!,
    code: code!,
    expected: [...code!.matchAll(/^\s*console\.log\(.*\); \/\/ (.*)$/gm)].map((m) => m[1]!),
  }));
}

// Inside the project (git-ignored): Deno resolves the package's own dependencies only for a main module there.
mkdirSync(path.join(root, '.cache'), { recursive: true });
const dir = mkdtempSync(path.join(root, '.cache', 'readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README examples against the real server', () => {
  const examples = readmeExamples();
  it('the README has marked examples', () => {
    expect(examples.length).toBeGreaterThan(0);
  });
  for (const example of examples) {
    it(`${example.name}: runs, exits by itself and prints what its comments say`, async () => {
      const url = testServer().url;
      expect(example.code).toContain(README_URL);
      const code = example.code
        .replaceAll("from 'clickhouse-native'", `from '${pathToFileURL(path.join(root, 'src/index.ts')).href}'`)
        .replaceAll(README_URL, url);
      const file = path.join(dir, `${example.name}.mts`);
      writeFileSync(file, code);
      // A bound, not a measurement: an example still alive by then does not exit by itself.
      const result = await runToExit(runtimeArgs(file), { cwd: root, killAfterMs: 90_000 });
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
      expect(result.stdout.trimEnd().split('\n')).toEqual(example.expected);
    });
  }
});
