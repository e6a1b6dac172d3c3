/**
 * The version gates (features.ts) hold against real servers: the run's server (18.16 or 26.7 in CI, any release with
 * Docker) must accept exactly the features its gates open, and chdb's modern engine (26.x, in process) must accept
 * every version-gated feature. No test here is skipped on any server: each checks the "on" or the "off" side.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drainPending, Session } from 'chdb';
import { afterAll, describe, expect, it } from 'vitest';
import { serverSupports, testServer } from './context.js';
import {
  checkFeature,
  describeFeatureGates,
  FEATURE_GATES,
  FEATURE_PROBES,
  featureSupported,
  parseServerVersion,
  SERVER_FEATURES,
  type ServerFeature,
} from './features.js';
import { adminQuery, nativeHello } from './server.js';

const probed = SERVER_FEATURES.filter((f) => FEATURE_PROBES[f] !== undefined);

/** Runs a feature's probe statements; resolves true if all succeed, false on the first refusal. */
async function probe(
  feature: ServerFeature,
  run: (sql: string) => Promise<unknown>,
): Promise<{ ok: boolean; error?: string }> {
  const table = `harness_probe_${feature}_${randomUUID().replace(/-/g, '').slice(0, 8)}`;
  try {
    for (const sql of FEATURE_PROBES[feature]!) await run(sql.replaceAll('{t}', table));
    return { ok: true };
  } catch (err) {
    return { ok: false, error: (err as Error).message.split('\n')[0] };
  } finally {
    await run(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
  }
}

describe('feature gates (unit)', () => {
  it('decide from version and revision, never guessing "on"', () => {
    const old = { version: '18.16.1', revision: 54412 };
    for (const f of SERVER_FEATURES) expect(featureSupported(f, old), f).toBe(false);
    const lts = { version: '25.8.3.66', revision: 54479 };
    for (const f of SERVER_FEATURES) expect(featureSupported(f, lts), f).toBe(true);
    expect(featureSupported('async_insert', { version: '21.10.6.2' })).toBe(false);
    expect(featureSupported('async_insert', { version: '21.11.1.1' })).toBe(true);
    expect(featureSupported('insert_deduplication_token', { version: '22.1.4' })).toBe(false);
    expect(featureSupported('insert_deduplication_token', { version: '22.2.2.1' })).toBe(true);
    expect(featureSupported('json_types', { version: '24.12.1' })).toBe(false);
    expect(featureSupported('json_types', { version: '25.3.1' })).toBe(true);
    // Revision gates need the revision, version gates need the version.
    expect(featureSupported('query_parameters', { version: '25.8.1' })).toBe(false);
    expect(featureSupported('query_parameters', { revision: 54459 })).toBe(true);
    expect(featureSupported('settings_as_strings', { revision: 54428 })).toBe(false);
    expect(featureSupported('modern_types', { version: undefined, revision: 54479 })).toBe(false);
    expect(parseServerVersion('not a version')).toBeUndefined();
    expect(() => checkFeature('no_such_feature' as ServerFeature, lts)).toThrow(/unknown server feature/);
    expect(describeFeatureGates(old)).toContain('async_insert: off (needs version >= 21.11)');
    expect(Object.keys(FEATURE_GATES).sort()).toEqual([...SERVER_FEATURES].sort());
  });
});

describe("feature gates against the run's server", () => {
  it('knows its version and protocol revision (from its own Hello)', async () => {
    const server = testServer();
    const hello = await nativeHello(server);
    expect(server.version).toMatch(new RegExp(`^${hello.major}\\.${hello.minor}\\b`));
    if (server.kind !== 'url') expect(server.revision).toBe(hello.revision);
    // Old servers send their build revision, modern ones their protocol version: both are at least 54406.
    expect(hello.revision).toBeGreaterThanOrEqual(54406);
  });

  it('matches the revision-gated features to the revision the server sent', async () => {
    const { revision } = await nativeHello(testServer());
    expect(serverSupports('settings_as_strings', { ...testServer(), revision })).toBe(revision >= 54429);
    expect(serverSupports('query_parameters', { ...testServer(), revision })).toBe(revision >= 54459);
  });

  it.each(probed)('%s: the server accepts it exactly when the gate is on', async (feature) => {
    const server = testServer();
    const result = await probe(feature, (sql) => adminQuery(server, sql, { timeoutMs: 30_000 }));
    const gate = serverSupports(feature);
    // Both directions: a gate that is on must hold, and a gate that is off must not hide a feature the server has
    // (if this fails on some in-between release, the threshold in features.ts is too high: lower it).
    if (gate)
      expect(result, `${feature} gate is on for ${server.version}, but the server refuses it`).toEqual({ ok: true });
    else {
      expect(result.ok, `${feature} gate is off for ${server.version}, but the server accepts it`).toBe(false);
      expect(result.error, 'refused for the expected reason').toMatch(
        /Unknown (setting|data type|function)|experimental/i,
      );
    }
  });
});

describe('feature gates against a modern engine (chdb, in process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clickhouse-native-gates-'));
  let session: Session | undefined;

  afterAll(async () => {
    session?.close();
    await drainPending();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens every version gate, and every probe passes', async () => {
    session = new Session(dir);
    const s = session;
    const version = s.query('SELECT version()', 'TSVRaw').trim();
    expect(parseServerVersion(version)![0]).toBeGreaterThanOrEqual(25);
    for (const feature of probed) {
      expect(featureSupported(feature, { version }), `${feature} on ${version}`).toBe(true);
      const result = await probe(feature, async (sql) => s.query(sql, 'TSVRaw'));
      expect(result, `${feature} probe on chdb ${version}`).toEqual({ ok: true });
    }
  });
});
