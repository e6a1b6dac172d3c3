/** The retry policy's pure parts: options, classification of failures, backoff, the token's version gate. */
import { describe, expect, it } from 'vitest';
import { ClickHouseError, ConnectionError, InvalidValueError, ProtocolError, AbortError } from '../../src/index.js';
import { explainRefusedSetting } from '../../src/insert/async-insert.js';
import {
  classifyInsertFailure,
  fitsRetryBuffer,
  resolveRetryPolicy,
  retryDelay,
  supportsDeduplicationToken,
} from '../../src/insert/retry.js';
import { UnsupportedError } from '../../src/errors.js';
import { decideDeduplication, tableSetting } from '../../src/insert/deduplication.js';

const serverError = (code: number) =>
  new ClickHouseError({ code, name: 'DB::Exception', message: 'x', stackTrace: '' });

describe('classifyInsertFailure', () => {
  it('retries transport failures: safe before data, unknown after', () => {
    expect(classifyInsertFailure(new ConnectionError('reset'), false)).toBe('not_sent');
    expect(classifyInsertFailure(new ConnectionError('reset'), true)).toBe('unknown');
    expect(classifyInsertFailure(new ProtocolError('truncated'), true)).toBe('unknown');
  });

  it('retries the server errors that mean "try again", and no others', () => {
    for (const code of [242, 252, 319, 999, 209, 210])
      expect(classifyInsertFailure(serverError(code), true)).toBe('unknown');
    expect(classifyInsertFailure(serverError(242), false)).toBe('not_sent');
    for (const code of [60, 62, 53, 27]) expect(classifyInsertFailure(serverError(code), true)).toBe('fatal');
  });

  it('never retries a bad value or an abort', () => {
    expect(classifyInsertFailure(new InvalidValueError('bad', { column: 'a', row: 1 }), false)).toBe('fatal');
    expect(classifyInsertFailure(new AbortError(), true)).toBe('fatal');
    expect(classifyInsertFailure(new Error('?'), true)).toBe('fatal');
  });
});

describe('resolveRetryPolicy', () => {
  it('has defaults, merges the call over the client, and false means one attempt', () => {
    expect(resolveRetryPolicy(undefined)).toMatchObject({
      attempts: 5,
      initialDelayMs: 100,
      maxDelayMs: 5000,
      unknownOutcome: 'when_deduplicated',
      deduplicationToken: true,
    });
    expect(resolveRetryPolicy(undefined, undefined, 10).attempts).toBe(10);
    expect(resolveRetryPolicy({ attempts: 3 }, { attempts: 7, max_delay_ms: 9 })).toMatchObject({
      attempts: 3,
      maxDelayMs: 9,
    });
    expect(resolveRetryPolicy(false, { attempts: 7 }).attempts).toBe(1);
    expect(resolveRetryPolicy(undefined, false).attempts).toBe(1);
    expect(() => resolveRetryPolicy({ attempts: 0 })).toThrow(/attempts/);
    expect(() => resolveRetryPolicy({ unknown_outcome: 'maybe' as 'fail' })).toThrow(/unknown_outcome/);
  });

  it('backs off exponentially with jitter, up to max_delay_ms', () => {
    const policy = resolveRetryPolicy({ initial_delay_ms: 100, max_delay_ms: 1000 });
    for (let i = 0; i < 50; i++) {
      expect(retryDelay(policy, 1)).toBeGreaterThanOrEqual(75);
      expect(retryDelay(policy, 1)).toBeLessThanOrEqual(125);
      expect(retryDelay(policy, 3)).toBeGreaterThanOrEqual(300);
      expect(retryDelay(policy, 3)).toBeLessThanOrEqual(500);
      expect(retryDelay(policy, 10)).toBeLessThanOrEqual(1250);
    }
  });
});

describe('insert_deduplication_token', () => {
  it('is sent to servers from 22.2 only', () => {
    expect(supportsDeduplicationToken({ versionMajor: 18, versionMinor: 16 })).toBe(false);
    expect(supportsDeduplicationToken({ versionMajor: 22, versionMinor: 1 })).toBe(false);
    expect(supportsDeduplicationToken({ versionMajor: 22, versionMinor: 2 })).toBe(true);
    expect(supportsDeduplicationToken({ versionMajor: 26, versionMinor: 7 })).toBe(true);
  });
});

describe('fitsRetryBuffer', () => {
  it('holds ordinary inputs and leaves huge ones to the bounded path', () => {
    expect(fitsRetryBuffer([{ a: 1, s: 'x' }])).toBe(true);
    expect(
      fitsRetryBuffer(
        Array.from({ length: 1000 }, () => ({ s: 'x'.repeat(1000) })),
        100_000,
      ),
    ).toBe(false);
    expect(fitsRetryBuffer({ a: new Float64Array(1000) }, 4000)).toBe(false);
    expect(fitsRetryBuffer({ a: new Float64Array(100) })).toBe(true);
  });
});

describe('explainRefusedSetting', () => {
  const server = {
    name: 'ClickHouse',
    versionMajor: 18,
    versionMinor: 16,
    versionPatch: 1,
    revision: 54412,
    timezone: 'UTC',
    displayName: '',
    passwordComplexityRules: [],
  };
  it('names the setting, the server version and what to do', () => {
    const refused = new UnsupportedError(
      'Setting "async_insert" is unknown to this client for servers below protocol revision 54429',
    );
    const error = explainRefusedSetting(refused, server, 54412) as Error;
    expect(error).toBeInstanceOf(UnsupportedError);
    expect(error.message).toMatch(
      /^Setting "async_insert" cannot be sent to ClickHouse 18\.16\.1 \(protocol revision 54412\)/,
    );
    expect(error.message).toMatch(/23\.10/);
    expect(error.cause).toBe(refused);
    const other = explainRefusedSetting(
      new UnsupportedError('Setting "my_custom" is unknown to this client …'),
      server,
      54412,
    ) as Error;
    expect(other.message).toMatch(/user profile/);
    const unrelated = new UnsupportedError('something else');
    expect(explainRefusedSetting(unrelated, server, 54412)).toBe(unrelated);
  });
});

describe('decideDeduplication', () => {
  const facts = (
    engine: string | undefined,
    settings: Record<string, string> = {},
    engineFull = '',
    serverWindow: number | undefined = 0,
  ) => ({
    engine,
    engineFull,
    serverNonReplicatedWindow: serverWindow,
    settings: { insert_deduplicate: '1', ...settings },
  });

  it('trusts Replicated*MergeTree, and a MergeTree with a deduplication window (its own or the server default)', () => {
    expect(decideDeduplication('t', facts('ReplicatedMergeTree')).deduplicated).toBe(true);
    expect(decideDeduplication('t', facts('ReplicatedReplacingMergeTree')).deduplicated).toBe(true);
    const own = 'MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100, index_granularity = 8192';
    expect(decideDeduplication('t', facts('MergeTree', {}, own)).deduplicated).toBe(true);
    expect(decideDeduplication('t', facts('MergeTree', {}, 'MergeTree ORDER BY id', 5)).deduplicated).toBe(true);
    const zero = 'MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 0';
    expect(decideDeduplication('t', facts('MergeTree', {}, zero, 5)).deduplicated).toBe(false);
  });

  it('refuses every other engine, a missing table, and a MergeTree without a window', () => {
    for (const engine of ['Memory', 'Log', 'Null', 'Distributed', 'MaterializedView']) {
      expect(decideDeduplication('t', facts(engine)).deduplicated).toBe(false);
    }
    expect(decideDeduplication('t', facts(undefined)).reason).toMatch(/not found/);
    const onOldServer = { ...facts('MergeTree', {}, 'MergeTree ORDER BY id'), serverNonReplicatedWindow: undefined };
    expect(decideDeduplication('t', onOldServer).reason).toMatch(/no such setting/);
  });

  it('follows the insert settings: insert_deduplicate, async inserts, and deduplicate_insert (26.2+) over both', () => {
    expect(decideDeduplication('t', facts('ReplicatedMergeTree', { insert_deduplicate: '0' })).deduplicated).toBe(
      false,
    );
    expect(decideDeduplication('t', facts('ReplicatedMergeTree', { async_insert: '1' })).deduplicated).toBe(false);
    expect(
      decideDeduplication('t', facts('ReplicatedMergeTree', { async_insert: '1', async_insert_deduplicate: '1' }))
        .deduplicated,
    ).toBe(true);
    const windowed = 'MergeTree ORDER BY id SETTINGS non_replicated_deduplication_window = 100';
    expect(
      decideDeduplication('t', facts('MergeTree', { async_insert: '1', async_insert_deduplicate: '1' }, windowed))
        .deduplicated,
    ).toBe(false);
    expect(
      decideDeduplication('t', facts('MergeTree', { async_insert: '1', deduplicate_insert: 'enable' }, windowed))
        .deduplicated,
    ).toBe(true);
    expect(
      decideDeduplication('t', facts('ReplicatedMergeTree', { insert_deduplicate: '0', deduplicate_insert: 'enable' }))
        .deduplicated,
    ).toBe(true);
    expect(decideDeduplication('t', facts('ReplicatedMergeTree', { deduplicate_insert: 'disable' })).deduplicated).toBe(
      false,
    );
  });

  it('reads a table setting from engine_full', () => {
    expect(tableSetting("MergeTree ORDER BY id SETTINGS a = 1, storage_policy = 'x', b = 2", 'storage_policy')).toBe(
      'x',
    );
    expect(tableSetting('MergeTree ORDER BY id SETTINGS a = 1, b = 2', 'b')).toBe('2');
    expect(tableSetting('MergeTree ORDER BY id', 'b')).toBeUndefined();
  });
});
