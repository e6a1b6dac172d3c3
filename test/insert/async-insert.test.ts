/**
 * Server-side async inserts are plain query settings. At a modern revision they go out as (name, flags, text); an
 * old server (18.16: settings in typed binary form, no async inserts) gets nothing, and the caller a clear error.
 */
import { describe, expect, it } from 'vitest';
import { UnsupportedError } from '../../src/index.js';
import { writeQuery, type ClientIdentity } from '../../src/protocol/client-packets.js';
import { CLIENT_REVISION, Feature } from '../../src/protocol/revision.js';
import { ByteWriter } from '../../src/protocol/writer.js';
import { parseServerVersion } from '../harness/features.js';
import { testServer } from '../harness/context.js';
import { admin, clientFor, uniqueTable } from '../client/helpers.js';

const identity: ClientIdentity = {
  name: 'clickhouse-native',
  versionMajor: 0,
  versionMinor: 1,
  versionPatch: 0,
  osUser: 'u',
  hostname: 'h',
  revision: CLIENT_REVISION,
};

const ASYNC_SETTINGS = {
  async_insert: 1,
  wait_for_async_insert: true,
  async_insert_busy_timeout_ms: 200,
  async_insert_max_data_size: 10_485_760,
  async_insert_max_query_number: 450,
};

/** A String on the wire: VarUInt length (one byte here), then the bytes. */
function wireString(text: string): number[] {
  expect(text.length).toBeLessThan(128);
  return [text.length, ...Buffer.from(text, 'latin1')];
}

describe('async insert settings on the wire', () => {
  it('are serialized as (name, flags = important, text) at a modern revision, in order, then the terminator', () => {
    const writer = new ByteWriter(512);
    writeQuery(writer, CLIENT_REVISION, identity, {
      queryId: 'q1',
      sql: 'INSERT INTO t (a) VALUES',
      settings: ASYNC_SETTINGS,
      compression: true,
    });
    const packet = writer.finish();
    const expected = Buffer.from([
      ...wireString('async_insert'),
      0x01,
      ...wireString('1'),
      ...wireString('wait_for_async_insert'),
      0x01,
      ...wireString('1'),
      ...wireString('async_insert_busy_timeout_ms'),
      0x01,
      ...wireString('200'),
      ...wireString('async_insert_max_data_size'),
      0x01,
      ...wireString('10485760'),
      ...wireString('async_insert_max_query_number'),
      0x01,
      ...wireString('450'),
      0x00, // the empty name that ends the settings
      ...(CLIENT_REVISION >= Feature.INTERSERVER_EXTERNALLY_GRANTED_ROLES ? [0x00] : []), // no external roles, from 54472
      0x00, // the interserver secret (empty String), from revision 54441
      0x02, // stage Complete
      0x01, // compression on
      ...wireString('INSERT INTO t (a) VALUES'),
      0x00, // no query parameters
    ]);
    // The settings are the last variable part of the packet: the packet ends with exactly these bytes.
    expect(packet.subarray(packet.length - expected.length).equals(expected)).toBe(true);
  });

  it('are refused before anything is written for a server below revision 54429, naming the setting', () => {
    const writer = new ByteWriter(512);
    expect(() =>
      writeQuery(writer, Feature.SETTINGS_SERIALIZED_AS_STRINGS - 1, identity, {
        queryId: 'q1',
        sql: 'INSERT INTO t (a) VALUES',
        settings: { async_insert: 1 },
        compression: false,
      }),
    ).toThrow(/Setting "async_insert"/);
  });
});

describe('against the test server', () => {
  const server = testServer();
  const version = parseServerVersion(server.version);
  const nativeAsync = version !== undefined && (version[0] > 23 || (version[0] === 23 && version[1] >= 10));

  /** Before 23.10 the client refuses the settings itself, naming them, and sends nothing. */
  async function refusedByAnOldServer(): Promise<void> {
    const client = clientFor();
    const table = uniqueTable('async_old');
    try {
      await client.command({ query: `CREATE TABLE ${table} (a UInt32) ENGINE = Memory` });
      for (const name of Object.keys(ASYNC_SETTINGS)) {
        const error = await client
          .insert({ table, values: [{ a: 1 }], clickhouse_settings: { [name]: 1 } })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(UnsupportedError);
        const message = (error as Error).message;
        expect(message).toContain(`"${name}"`);
        expect(message).toContain(server.version!.split('.').slice(0, 3).join('.'));
        expect(message).toMatch(/23\.10/);
        expect(message).toMatch(/client\.inserter/);
      }
      // Nothing was sent: the client goes on as before.
      await client.insert({ table, values: [{ a: 2 }] });
      expect((await admin(`SELECT sum(a) FROM ${table}`)).trim()).toBe('2');
    } finally {
      await client.command({ query: `DROP TABLE IF EXISTS ${table}` }).catch(() => {});
      await client.close();
    }
  }

  /** From 23.10 native blocks go through the server-side async insert. */
  async function flushedByAModernServer(): Promise<void> {
    const client = clientFor();
    const table = uniqueTable('async_new');
    try {
      await client.command({ query: `CREATE TABLE ${table} (a UInt32) ENGINE = MergeTree ORDER BY a` });
      await client.insert({ table, values: [{ a: 1 }, { a: 2 }], clickhouse_settings: ASYNC_SETTINGS });
      // wait_for_async_insert = 1: acknowledged means flushed to the table.
      expect((await admin(`SELECT sum(a) FROM ${table}`)).trim()).toBe('3');
    } finally {
      await client.command({ query: `DROP TABLE IF EXISTS ${table}` }).catch(() => {});
      await client.close();
    }
  }

  // One test whichever server the run has: it checks what that server really does, and is never skipped.
  it('server-side async insert: refused clearly before 23.10, flushed to the table from 23.10', async () => {
    if (nativeAsync) await flushedByAModernServer();
    else await refusedByAnOldServer();
  });
});
