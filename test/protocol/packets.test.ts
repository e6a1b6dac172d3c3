import { describe, expect, it } from 'vitest';
import { ClickHouseError, ProtocolError, UnsupportedError } from '../../src/errors.js';
import { writeAddendum, writeHello, writeQuery, type ClientIdentity } from '../../src/protocol/client-packets.js';
import { ByteReader } from '../../src/protocol/reader.js';
import { readServerPacket, type ServerMessage } from '../../src/connection/packet-reader.js';
import { writeSettings } from '../../src/protocol/settings.js';
import { ByteWriter } from '../../src/protocol/writer.js';
import { readFileSync } from 'node:fs';
import { decodeByteByByte, decodeSplit, golden } from './helpers.js';

/** A stream recorded from the real 18.16 server, by fixture name. */
function recorded(name: string): Buffer {
  const file = new URL('../fuzz/fixtures/server-streams.json', import.meta.url);
  const { fixtures } = JSON.parse(readFileSync(file, 'utf8')) as { fixtures: { name: string; bytes: string }[] };
  return Buffer.from(fixtures.find((f) => f.name === name)!.bytes, 'base64');
}

const CH_GO_IDENTITY: ClientIdentity = {
  name: 'ClickHouse ',
  versionMajor: 21,
  versionMinor: 11,
  versionPatch: 4,
  osUser: 'ernado',
  hostname: 'nexus',
  revision: 54450,
};

function bytesOf(write: (w: ByteWriter) => void): Buffer {
  const w = new ByteWriter();
  write(w);
  return Buffer.from(w.finish());
}

const readAt = (revision: number) => (reader: ByteReader) => readServerPacket(reader, { revision, compression: false });

/** Server packets (without block bodies) at a given revision, with what they decode to. */
function serverSamples(): { name: string; revision: number; bytes: Buffer; expected: Partial<ServerMessage> }[] {
  return [
    {
      name: 'Hello (ch-go golden, server 21.11)',
      revision: 0,
      bytes: golden('proto/golden/type/ServerHello.raw'),
      expected: {
        type: 'hello',
        hello: {
          name: 'ClickHouse server',
          versionMajor: 21,
          versionMinor: 11,
          revision: 54450,
          timezone: 'Europe/Moscow',
          displayName: 'alpha',
          versionPatch: 3,
          passwordComplexityRules: [],
        },
      },
    },
    {
      // Recorded from the live 18.16.1 server (scripts/record-fuzz-fixtures.ts).
      name: 'Hello from an 18.16 server (recorded)',
      revision: 0,
      bytes: recorded('hello'),
      expected: {
        type: 'hello',
        hello: {
          name: 'ClickHouse',
          versionMajor: 18,
          versionMinor: 16,
          revision: 54412,
          timezone: 'Etc/UTC',
          displayName: 'vm',
          versionPatch: 1,
          passwordComplexityRules: [],
        },
      },
    },
    {
      name: 'Progress (ch-go golden, rev 54460)',
      revision: 54460,
      bytes: Buffer.concat([Buffer.from([3]), golden('proto/golden/progress.raw')]),
      expected: {
        type: 'progress',
        progress: {
          readRows: 100,
          readBytes: 608120,
          totalRowsToRead: 1000,
          totalBytesToRead: 0,
          writtenRows: 441,
          writtenBytes: 91023,
          elapsedNs: 0,
        },
      },
    },
    {
      name: 'Progress at 54412 (three values)',
      revision: 54412,
      bytes: Buffer.from([3, 5, 6, 7]),
      expected: {
        type: 'progress',
        progress: {
          readRows: 5,
          readBytes: 6,
          totalRowsToRead: 7,
          totalBytesToRead: 0,
          writtenRows: 0,
          writtenBytes: 0,
          elapsedNs: 0,
        },
      },
    },
    {
      name: 'ProfileInfo (ch-go golden)',
      revision: 54460,
      bytes: golden('proto/golden/type/Profile.raw'),
      expected: {
        type: 'profileInfo',
        info: {
          rows: 1234,
          blocks: 235123,
          bytes: 424,
          appliedLimit: true,
          rowsBeforeLimit: 2341,
          calculatedRowsBeforeLimit: false,
          appliedAggregation: false,
          rowsBeforeAggregation: 0,
        },
      },
    },
    {
      name: 'TableColumns (ch-go golden)',
      revision: 54460,
      bytes: golden('proto/golden/type/TableColumns.raw'),
      expected: {
        type: 'tableColumns',
        tableName: '',
        description: 'columns format version: 1\n1 columns:\n`id` UInt8\n',
      },
    },
    { name: 'Pong', revision: 54460, bytes: Buffer.from([4]), expected: { type: 'pong' } },
    { name: 'EndOfStream', revision: 54460, bytes: Buffer.from([5]), expected: { type: 'endOfStream' } },
    {
      name: 'TimezoneUpdate',
      revision: 54460,
      bytes: bytesOf((w) => {
        w.varUInt(17);
        w.string('Asia/Tokyo');
      }),
      expected: { type: 'timezoneUpdate', timezone: 'Asia/Tokyo' },
    },
    {
      name: 'TablesStatusResponse',
      revision: 54460,
      bytes: bytesOf((w) => {
        w.varUInt(9);
        w.varUInt(2);
        w.string('db');
        w.string('t1');
        w.u8(1);
        w.varUInt(42);
        w.string('db');
        w.string('t2');
        w.u8(0);
      }),
      expected: {
        type: 'tablesStatus',
        tables: [
          { database: 'db', table: 't1', isReplicated: true, absoluteDelay: 42, isReadonly: false },
          { database: 'db', table: 't2', isReplicated: false, absoluteDelay: 0, isReadonly: false },
        ],
      },
    },
    {
      name: 'PartUUIDs',
      revision: 54460,
      bytes: bytesOf((w) => {
        w.varUInt(12);
        w.varUInt(2);
        w.bytes(Buffer.alloc(32, 7));
      }),
      expected: { type: 'partUUIDs', count: 2 },
    },
    { name: 'ReadTaskRequest', revision: 54460, bytes: Buffer.from([13]), expected: { type: 'readTaskRequest' } },
  ];
}

function nestedException(): Buffer {
  return bytesOf((w) => {
    w.varUInt(2);
    w.i32(60);
    w.string('DB::Exception');
    w.string('DB::Exception: outer');
    w.string('stack 1');
    w.u8(1);
    w.i32(81);
    w.string('DB::Exception');
    w.string('DB::Exception: inner');
    w.string('stack 2');
    w.u8(0);
  });
}

describe('client packets', () => {
  it('Hello matches ch-go golden bytes', () => {
    const bytes = bytesOf((w) =>
      writeHello(
        w,
        { ...CH_GO_IDENTITY, name: 'ch', versionMajor: 1, versionMinor: 1, revision: 41000 },
        {
          database: 'github',
          username: 'neo',
          password: '',
        },
      ),
    );
    expect(bytes).toEqual(golden('proto/golden/client_hello.raw'));
  });

  it('Query matches ch-go golden bytes at revision 54450', () => {
    const bytes = bytesOf((w) =>
      writeQuery(w, 54450, CH_GO_IDENTITY, {
        queryId: '23ad2c07-2f68-4005-9bac-da8f467bdd3b',
        sql: 'CREATE DATABASE test;',
        settings: {},
        compression: false,
      }),
    );
    expect(bytes).toEqual(golden('proto/golden/query_create_db.raw'));
  });

  it('Query at 54412 has no auth hash, no parameters, and binary settings', () => {
    const bytes = bytesOf((w) =>
      writeQuery(w, 54412, CH_GO_IDENTITY, {
        queryId: 'q',
        sql: 'SELECT 1',
        settings: { max_block_size: 300, network_zstd_compression_level: -2, send_logs_level: 'trace', extremes: true },
        compression: true,
      }),
    );
    const r = ByteReader.from(bytes);
    expect(r.varUInt()).toBe(1);
    expect(r.string()).toBe('q');
    // ClientInfo up to 54412: kind, initial user, initial id, address, interface, os user, host, name, versions,
    // quota key, patch.
    expect(r.u8()).toBe(1);
    expect([r.string(), r.string(), r.string()]).toEqual(['', 'q', '0.0.0.0:0']);
    expect(r.u8()).toBe(1);
    expect([r.string(), r.string(), r.string()]).toEqual(['ernado', 'nexus', 'ClickHouse ']);
    expect([r.varUInt(), r.varUInt(), r.varUInt()]).toEqual([21, 11, 54450]);
    expect(r.string()).toBe('');
    expect(r.varUInt()).toBe(4);
    // Binary settings: VarUInt, zig-zag VarInt, String, VarUInt for a bool; then the empty name.
    expect([r.string(), r.varUInt()]).toEqual(['max_block_size', 300]);
    expect([r.string(), r.varUInt()]).toEqual(['network_zstd_compression_level', 3]);
    expect([r.string(), r.string()]).toEqual(['send_logs_level', 'trace']);
    expect([r.string(), r.varUInt()]).toEqual(['extremes', 1]);
    expect(r.string()).toBe('');
    expect([r.varUInt(), r.varUInt(), r.string()]).toEqual([2, 1, 'SELECT 1']);
    expect(r.available).toBe(0);
  });

  it('settings from 54429 on are strings with the IMPORTANT flag', () => {
    const bytes = bytesOf((w) =>
      writeSettings(w, { max_threads: 2, use_uncompressed_cache: false, x: undefined }, 54460),
    );
    const r = ByteReader.from(bytes);
    expect([r.string(), r.varUInt(), r.string()]).toEqual(['max_threads', 1, '2']);
    expect([r.string(), r.varUInt(), r.string()]).toEqual(['use_uncompressed_cache', 1, '0']);
    expect(r.string()).toBe('');
  });

  it('refuses a setting an old server cannot be sent, naming it', () => {
    expect(() => bytesOf((w) => writeSettings(w, { async_insert: 1 }, 54412))).toThrow(UnsupportedError);
    expect(() => bytesOf((w) => writeSettings(w, { async_insert: 1 }, 54412))).toThrow(/async_insert/);
    expect(() => bytesOf((w) => writeSettings(w, { max_threads: -1 }, 54412))).toThrow(/max_threads/);
  });

  it('the addendum exists only from 54458', () => {
    expect(bytesOf((w) => writeAddendum(w, 54412)).length).toBe(0);
    expect([...bytesOf((w) => writeAddendum(w, 54460))]).toEqual([0]);
  });
});

describe('server packets', () => {
  for (const sample of serverSamples()) {
    it(`${sample.name}: decodes, whole and split at every offset`, async () => {
      const decode = readAt(sample.revision);
      expect(await decode(ByteReader.from(sample.bytes))).toMatchObject(sample.expected);
      for (let split = 0; split <= sample.bytes.length; split++) {
        expect(await decodeSplit(sample.bytes, split, decode)).toMatchObject(sample.expected);
      }
      expect(await decodeByteByByte(sample.bytes, decode)).toMatchObject(sample.expected);
    });

    it(`${sample.name}: every truncated prefix fails with ProtocolError`, async () => {
      const decode = readAt(sample.revision);
      for (let k = 0; k < sample.bytes.length; k++) {
        await expect(decode(ByteReader.from(sample.bytes.subarray(0, k)))).rejects.toBeInstanceOf(ProtocolError);
      }
    });
  }

  it('Exception (ch-go golden) decodes with the server stack', async () => {
    const bytes = Buffer.concat([Buffer.from([2]), golden('proto/golden/type/Exception.raw')]);
    const message = await readAt(54460)(ByteReader.from(bytes));
    expect(message.type).toBe('exception');
    const error = (message as { error: ClickHouseError }).error;
    expect(error).toBeInstanceOf(ClickHouseError);
    expect(error.code).toBe(60);
    expect(error.message).toBe("DB::Exception: Table default._3_ doesn't exist");
    expect(error.serverStack.length).toBe(2424);
    expect(error.cause).toBeUndefined();
  });

  it('nested exceptions become a cause chain, whatever the chunking', async () => {
    const bytes = nestedException();
    for (let split = 0; split <= bytes.length; split++) {
      const message = await decodeSplit(bytes, split, readAt(54412));
      const error = (message as { error: ClickHouseError }).error;
      expect(error.code).toBe(60);
      expect(error.message).toBe('DB::Exception: outer');
      expect((error.cause as ClickHouseError).code).toBe(81);
      expect((error.cause as ClickHouseError).message).toBe('DB::Exception: inner');
      expect((error.cause as ClickHouseError).serverStack).toBe('stack 2');
    }
    for (let k = 0; k < bytes.length; k++) {
      await expect(readAt(54412)(ByteReader.from(bytes.subarray(0, k)))).rejects.toBeInstanceOf(ProtocolError);
    }
  });

  it('an unknown packet type is a ProtocolError, never misread', async () => {
    await expect(readAt(54460)(ByteReader.from(Buffer.from([99, 0, 0])))).rejects.toThrow(
      /Unknown server packet type 99/,
    );
    await expect(readAt(54460)(ByteReader.from(Buffer.from([15])))).rejects.toBeInstanceOf(ProtocolError);
  });
});
