import { defineConfig } from 'vitest/config';

/**
 * Two tiers (`npm test` runs both; the unit tier's compression tests run twice, the second time without the native addon):
 * - unit: needs no ClickHouse server and nothing outside the repository (test vectors live in test/vectors/).
 *   Codecs, packets, compression, the expression parser, fuzzing, chdb in process as an oracle, fake peers.
 *   `npm run test:unit` runs it alone, on any clone.
 * - integration: everything else. One real ClickHouse server per run, shared by all its files
 *   (test/harness/global-setup.ts; test/harness/context.ts → testServer()), plus the servers tests start themselves.
 *
 * A new test file is an integration test unless it is listed here: a unit test that asks for the run's server fails
 * loudly (testServer() throws), it cannot pass by accident.
 */
export const UNIT_TESTS = [
  'test/client/multi-host.test.ts',
  'test/client/table-name.test.ts',
  'test/columns/codecs.test.ts',
  'test/columns/fast-paths.test.ts',
  'test/columns/golden-types.test.ts',
  'test/columns/golden.test.ts',
  'test/columns/invalid-types.test.ts',
  'test/columns/invalid-values.test.ts',
  'test/columns/oracle-dynamic-json.test.ts',
  'test/columns/oracle-types.test.ts',
  'test/columns/oracle.test.ts',
  'test/columns/properties.test.ts',
  'test/columns/streaming-types.test.ts',
  'test/columns/streaming.test.ts',
  'test/columns/string-decode.test.ts',
  'test/columns/strings-bulk-oracle.test.ts',
  'test/columns/type-parser.test.ts',
  'test/compression/chdb-parts.test.ts',
  'test/compression/cityhash-chdb.test.ts',
  'test/compression/cityhash.test.ts',
  'test/compression/frame.test.ts',
  'test/compression/frame-worker.test.ts',
  'test/compression/levels.test.ts',
  'test/compression/native.test.ts',
  'test/expressions/parser.test.ts',
  'test/expressions/uuid-v7.test.ts',
  'test/fuzz/fuzz.test.ts',
  'test/harness/containers-conf.test.ts',
  'test/insert/block-sizer.test.ts',
  'test/insert/rate-guard.test.ts',
  'test/insert/retry.test.ts',
  'test/protocol/block-packets.test.ts',
  'test/protocol/packets.test.ts',
  'test/protocol/reader.test.ts',
  'test/protocol/revisions.test.ts',
  'test/protocol/writer-strings.test.ts',
  'test/security/slow-peers.test.ts',
];

/**
 * The unit tests of the compressed frames, run a second time with the native addon off (src/compression/native.ts):
 * the TypeScript/lz4-napi path is the complete fallback for machines without the addon, so it stays tested on every
 * run, not only where the addon is missing.
 */
const FALLBACK_TESTS = UNIT_TESTS.filter((file) => file.startsWith('test/compression/') && !file.includes('chdb'));

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: UNIT_TESTS },
      },
      {
        extends: true,
        test: { name: 'unit-fallback', include: FALLBACK_TESTS, env: { CLICKHOUSE_NATIVE_ADDON: '0' } },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: UNIT_TESTS,
          globalSetup: ['test/harness/global-setup.ts'],
        },
      },
    ],
  },
});
