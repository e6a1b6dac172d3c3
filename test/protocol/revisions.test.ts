/**
 * Every protocol revision above 54460, offline: the bytes ClickHouse 26.7 sent for it (recorded by
 * scripts/record-modern-fixtures.ts into test/fuzz/fixtures/server-streams-26.7.json) decode to what it means, whole
 * and split anywhere; variants the live server cannot be made to send are spliced into those bytes; and bad sizes
 * are refused before anything is allocated. The same recordings feed the fuzzer and its truncation check
 * (test/fuzz/fuzz.test.ts). The live side of each revision is revisions-live.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError, UnsupportedError } from '../../src/errors.js';
import { ChunkDecoder, frameMessage, negotiateChunked } from '../../src/protocol/chunked.js';
import { writeAddendum, writeHello, writeQuery } from '../../src/protocol/client-packets.js';
import { NativeFormat } from '../../src/columns/native-format.js';
import { writeBlock, type Block } from '../../src/columns/block.js';
import { ByteReader } from '../../src/protocol/reader.js';
import { CLIENT_REVISION, Feature } from '../../src/protocol/revision.js';
import { readServerPacket, type ServerMessage } from '../../src/connection/packet-reader.js';
import { ByteWriter } from '../../src/protocol/writer.js';
import { decodeServerStream, loadFixtures, type Fixture } from '../fuzz/target.js';
import { decodeSplit } from './helpers.js';

const fixtures = loadFixtures().filter((f) => f.server === '26.7');

function fixture(name: string): Fixture {
  const found = fixtures.find((f) => f.name === `26.7/${name}`);
  if (!found) throw new Error(`no 26.7 fixture "${name}": run scripts/record-modern-fixtures.ts`);
  return found;
}

async function decodeFixture(name: string): Promise<ServerMessage[]> {
  const f = fixture(name);
  return (await decodeServerStream(f.bytes, f.compression, undefined, f.clientRevision)).packets;
}

/** The Hello of a fixture, as a connection that advertised the fixture's revision reads it. */
const readHello = (advertised: number) => (reader: ByteReader) =>
  readServerPacket(reader, { revision: 0, advertisedRevision: advertised, compression: false });

function bytesOf(write: (w: ByteWriter) => void): Buffer {
  const w = new ByteWriter();
  write(w);
  return Buffer.from(w.finish());
}

/** Decodes `bytes` whole and split at every offset; every split gives the same result. */
async function decodeEverySplit<T>(bytes: Buffer, decode: (reader: ByteReader) => Promise<T>): Promise<T> {
  const whole = await decode(ByteReader.from(bytes));
  for (let split = 1; split < bytes.length; split++) expect(await decodeSplit(bytes, split, decode)).toEqual(whole);
  return whole;
}

/** Every proper prefix fails with a ProtocolError. */
async function expectTruncationsRefused(
  bytes: Buffer,
  decode: (reader: ByteReader) => Promise<unknown>,
): Promise<void> {
  for (let cut = 0; cut < bytes.length; cut++) {
    await expect(decode(ByteReader.from(bytes.subarray(0, cut))), `cut at ${cut}`).rejects.toBeInstanceOf(
      ProtocolError,
    );
  }
}

describe(`${Feature.PASSWORD_COMPLEXITY_RULES} password complexity rules in the server's Hello`, () => {
  /** The recorded Hello's fields, with the rules count (one byte, 0) swapped for `rules`. */
  function helloWithRules(rules: Buffer): { bytes: Buffer; advertised: number } {
    const f = fixture('hello');
    const reader = ByteReader.from(f.bytes);
    reader.varUInt(); // packet type
    reader.string();
    reader.varUInt();
    reader.varUInt();
    reader.varUInt();
    if (f.clientRevision >= Feature.VERSIONED_PARALLEL_REPLICAS_PROTOCOL) reader.varUInt();
    reader.string();
    reader.string();
    reader.varUInt(); // patch
    if (f.clientRevision >= Feature.CHUNKED_PACKETS) {
      reader.string();
      reader.string();
    }
    // The rules count is next.
    const at = reader.offset;
    expect(f.bytes[at]).toBe(0);
    const hello = Buffer.concat([f.bytes.subarray(0, at), rules, f.bytes.subarray(at + 1)]);
    // Only the Hello: the fixture's Pong follows it.
    return { bytes: hello.subarray(0, hello.length - 1), advertised: f.clientRevision };
  }

  it('26.7 sends an empty list (chdb loads no rules), then answers a Ping', async () => {
    const [hello, pong] = await decodeFixture('hello');
    expect(hello).toMatchObject({ type: 'hello', hello: { revision: 54488, passwordComplexityRules: [] } });
    expect(pong).toEqual({ type: 'pong' });
  });

  it('a list of rules decodes, whole and split anywhere', async () => {
    const rules = bytesOf((w) => {
      w.varUInt(2);
      w.string('.{12}');
      w.string('be at least 12 characters long');
      w.string('\\p{N}');
      w.string('contain at least 1 numeric character');
    });
    const { bytes, advertised } = helloWithRules(rules);
    const message = await decodeEverySplit(bytes, readHello(advertised));
    expect(message).toMatchObject({
      type: 'hello',
      hello: {
        name: 'ClickHouse',
        passwordComplexityRules: [
          { pattern: '.{12}', message: 'be at least 12 characters long' },
          { pattern: '\\p{N}', message: 'contain at least 1 numeric character' },
        ],
      },
    });
    await expectTruncationsRefused(bytes, readHello(advertised));
  });

  it('refuses more than 256 rules, and a rule string over 4096 bytes, by their sizes alone', async () => {
    const many = helloWithRules(bytesOf((w) => w.varUInt(257)));
    await expect(readHello(many.advertised)(ByteReader.from(many.bytes))).rejects.toThrow(
      /257 password rules; at most 256/,
    );
    const long = helloWithRules(
      bytesOf((w) => {
        w.varUInt(1);
        w.varUInt(4097);
      }),
    );
    await expect(readHello(long.advertised)(ByteReader.from(long.bytes))).rejects.toThrow(
      /pattern of 4097 bytes; at most 4096/,
    );
  });
});

describe(`${Feature.INTERSERVER_SECRET_V2} interserver secret v2: the nonce in the server's Hello`, () => {
  it('is the UInt64 after the password rules', async () => {
    const f = fixture('hello');
    const [hello] = await decodeFixture('hello');
    expect(hello?.type).toBe('hello');
    const nonce = (hello as Extract<ServerMessage, { type: 'hello' }>).hello.nonce;
    expect(typeof nonce).toBe('bigint');
    // It sits right before the Pong that ends the fixture (nothing else follows at this recording's revision)
    // or before the fields of later revisions.
    expect(f.bytes.includes(Buffer.from(new BigUint64Array([nonce!]).buffer))).toBe(true);
  });
});

describe(`${Feature.TOTAL_BYTES_IN_PROGRESS} total_bytes_to_read in Progress`, () => {
  it('url() announces the Content-Length of what it reads (3893 bytes), and no rows', async () => {
    const packets = await decodeFixture('progress-total-bytes');
    const progress = packets.flatMap((p) => (p.type === 'progress' ? [p.progress] : []));
    expect(progress.reduce((sum, p) => sum + p.totalBytesToRead, 0)).toBe(3893);
    expect(progress.reduce((sum, p) => sum + p.totalRowsToRead, 0)).toBe(0);
    expect(progress.reduce((sum, p) => sum + p.readRows, 0)).toBe(1000);
    expect(packets.at(-1)).toEqual({ type: 'endOfStream' });
  });

  it('is one more VarUInt, after total_rows_to_read', async () => {
    const bytes = Buffer.from([3, 1, 2, 3, 4, 5, 6, 7]);
    const at = (revision: number) => (reader: ByteReader) => readServerPacket(reader, { revision, compression: false });
    expect(await decodeEverySplit(bytes, at(Feature.TOTAL_BYTES_IN_PROGRESS))).toEqual({
      type: 'progress',
      progress: {
        readRows: 1,
        readBytes: 2,
        totalRowsToRead: 3,
        totalBytesToRead: 4,
        writtenRows: 5,
        writtenBytes: 6,
        elapsedNs: 7,
      },
    });
    await expectTruncationsRefused(bytes, at(Feature.TOTAL_BYTES_IN_PROGRESS));
  });
});

describe(`${Feature.TIMEZONE_UPDATES} TimezoneUpdate packets`, () => {
  it('INSERT ... SELECT FROM input() gets the session time zone right after the header', async () => {
    const packets = await decodeFixture('timezone-update');
    const types = packets.map((p) => p.type);
    const header = types.indexOf('data');
    expect(types[header + 1]).toBe('timezoneUpdate');
    expect(packets[header + 1]).toEqual({ type: 'timezoneUpdate', timezone: 'Asia/Tokyo' });
    expect(types.at(-1)).toBe('endOfStream');
  });

  it('is a String after the packet type, whole or split anywhere', async () => {
    const bytes = bytesOf((w) => {
      w.varUInt(17);
      w.string('America/Argentina/Buenos_Aires');
    });
    const at = (reader: ByteReader) =>
      readServerPacket(reader, { revision: Feature.TIMEZONE_UPDATES, compression: false });
    expect(await decodeEverySplit(bytes, at)).toEqual({
      type: 'timezoneUpdate',
      timezone: 'America/Argentina/Buenos_Aires',
    });
    await expectTruncationsRefused(bytes, at);
  });
});

/** The Data blocks' columns of a decoded stream, concatenated over blocks, by column name. */
function columnsOf(packets: ServerMessage[]): Map<string, unknown[]> {
  const columns = new Map<string, unknown[]>();
  for (const p of packets) {
    if (p.type !== 'data') continue;
    for (const c of p.block.columns)
      columns.set(c.name, [...(columns.get(c.name) ?? []), ...Array.from(c.values as ArrayLike<unknown>)]);
  }
  return columns;
}

/** The column value classes of the first non-empty Data block. */
function classesOf(packets: ServerMessage[]): Record<string, string> {
  const block = packets.find((p) => p.type === 'data' && p.block.rows > 0) as Extract<
    ServerMessage,
    { block: unknown }
  >;
  return Object.fromEntries(block.block.columns.map((c) => [c.name, c.values.constructor.name]));
}

/**
 * A Data packet of one column, framed as from revision 54454 (BlockInfo without the 54480 field, the
 * custom-serialization byte and `kinds` when there are any), then `data`.
 */
function blockPacket(rows: number, type: string, kinds: number[], data: Buffer): Buffer {
  return bytesOf((w) => {
    w.varUInt(1);
    w.string('');
    w.bytes(Buffer.from([0x01, 0x00, 0x02, 0xff, 0xff, 0xff, 0xff, 0x00]));
    w.varUInt(1);
    w.varUInt(rows);
    w.string('c');
    w.string(type);
    w.u8(kinds.length > 0 ? 1 : 0);
    w.bytes(Buffer.from(kinds));
    w.bytes(data);
  });
}

/** Sparse offsets for non-default rows `positions` of `rows` rows (SerializationSparse's serializeOffsets). */
function sparseOffsets(positions: number[], rows: number): Buffer {
  return bytesOf((w) => {
    let start = 0;
    for (const p of positions) {
      w.varUInt(p - start);
      start = p + 1;
    }
    const trailing = BigInt(rows - start) | (1n << 62n);
    // A VarUInt of the 2^62 flag: nine bytes.
    let v = trailing;
    do {
      const byte = Number(v & 0x7fn);
      v >>= 7n;
      w.u8(v > 0n ? byte | 0x80 : byte);
    } while (v > 0n);
  });
}

const readBlockAt = (revision: number) => (reader: ByteReader) =>
  readServerPacket(reader, { revision, compression: false });

describe(`${Feature.SPARSE_SERIALIZATION} sparse columns`, () => {
  it('26.7 sends mostly-default MergeTree columns sparse from 54465; they read as the full columns 54464 gets', async () => {
    const full = await decodeFixture('sparse-full');
    const sparse = await decodeFixture('sparse');
    expect(columnsOf(sparse)).toEqual(columnsOf(full));
    expect(classesOf(sparse)).toEqual(classesOf(full));
    expect(classesOf(sparse)).toMatchObject({ k: 'Uint32Array', a: 'Uint32Array', s: 'Array', n: 'Array', t: 'Array' });
    expect(columnsOf(sparse).get('a')).toEqual([0, 1, 0, 0, 0, 5, 0, 0, 0, 9, 0, 0]);
    expect(columnsOf(sparse).get('t')?.slice(0, 5)).toEqual([
      { x: 0, y: 'y' },
      { x: 0, y: null },
      { x: 0, y: null },
      { x: 0, y: null },
      { x: 0, y: 'y' },
    ]);
  });

  it('over LZ4, in several blocks, a sparse read is fewer bytes and the same values, fresh default objects per row', async () => {
    const fullFixture = fixture('sparse-big-lz4-full');
    const sparseFixture = fixture('sparse-big-lz4');
    expect(sparseFixture.bytes.length).toBeLessThan(fullFixture.bytes.length);
    const full = columnsOf(await decodeFixture('sparse-big-lz4-full'));
    const sparse = columnsOf(await decodeFixture('sparse-big-lz4'));
    expect(sparse).toEqual(full);
    expect(sparse.get('v')).toHaveLength(5000);
    const dates = sparse.get('d') as Date[];
    expect(dates[0]).toEqual(new Date(0));
    expect(dates[0]).not.toBe(dates[1]);
    const fixed = sparse.get('f') as Buffer[];
    expect(fixed[0]).toEqual(Buffer.alloc(2));
    expect(fixed[0]).not.toBe(fixed[1]);
  });

  it('offsets that span many reads decode wherever the bytes are cut', async () => {
    const rows = 3000;
    const positions = Array.from({ length: 400 }, (_, i) => i * 7 + (i % 3));
    const values = Buffer.from(new Uint32Array(positions.map((p) => p + 1)).buffer);
    const packet = blockPacket(rows, 'UInt32', [1], Buffer.concat([sparseOffsets(positions, rows), values]));
    const expected = new Uint32Array(rows);
    for (const p of positions) expected[p] = p + 1;
    const decode = readBlockAt(Feature.SPARSE_SERIALIZATION);
    for (const split of [1, 40, 41, 300, 301, 302, packet.length - 1601, packet.length - 1]) {
      const message = await decodeSplit(packet, split, decode);
      expect((message as Extract<ServerMessage, { block: unknown }>).block.columns[0]!.values).toEqual(expected);
    }
    await expectTruncationsRefused(packet, decode);
  });

  it('a sparse Nullable reads NULL for its defaults, its values with no null map', async () => {
    const packet = blockPacket(
      5,
      'Nullable(String)',
      [1],
      Buffer.concat([sparseOffsets([1, 4], 5), bytesOf((w) => (w.string('a'), w.string('')))]),
    );
    const message = await decodeEverySplit(packet, readBlockAt(Feature.SPARSE_SERIALIZATION));
    expect((message as Extract<ServerMessage, { block: unknown }>).block.columns[0]!.values).toEqual([
      null,
      'a',
      null,
      null,
      '',
    ]);
  });

  it('refuses offsets beyond the rows, offsets that end short, and unknown kinds', async () => {
    const decode = readBlockAt(Feature.SPARSE_SERIALIZATION);
    const values = Buffer.from(new Uint32Array([9]).buffer);
    const past = blockPacket(4, 'UInt32', [1], Buffer.concat([sparseOffsets([5], 6), values]));
    await expect(decode(ByteReader.from(past))).rejects.toThrow(/UInt32: sparse offsets run past the block's 4 rows/);
    const short = blockPacket(8, 'UInt32', [1], Buffer.concat([sparseOffsets([1], 4), values]));
    await expect(decode(ByteReader.from(short))).rejects.toThrow(/cover 4 of the block's 8 rows/);
    const unknown = blockPacket(1, 'UInt32', [9], values);
    await expect(decode(ByteReader.from(unknown))).rejects.toThrow(/Column "c": Unknown serialization kind stack 9/);
    const detached = blockPacket(1, 'UInt32', [2], values);
    await expect(decode(ByteReader.from(detached))).rejects.toThrow(/DETACHED serialization, which protocol revision/);
    const tooLong = blockPacket(
      1,
      'UInt32',
      [1],
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
    );
    await expect(decode(ByteReader.from(tooLong))).rejects.toBeInstanceOf(ProtocolError);
  });

  it('below 54465 a sparse column is a protocol error: the server must have sent full columns', async () => {
    const packet = blockPacket(2, 'UInt32', [1], Buffer.concat([sparseOffsets([1], 2), Buffer.from([7, 0, 0, 0])]));
    await expect(readBlockAt(Feature.SPARSE_SERIALIZATION - 1)(ByteReader.from(packet))).rejects.toThrow(
      /SPARSE serialization, which protocol revision 54464 does not allow/,
    );
  });
});

describe(`${Feature.SSH_AUTHENTICATION} SSH key authentication`, () => {
  const identity = {
    name: 'c',
    versionMajor: 0,
    versionMinor: 1,
    versionPatch: 0,
    osUser: '',
    hostname: '',
    revision: CLIENT_REVISION,
  };
  it('a user name that asks for it (or for an interserver login) is refused before anything is written', () => {
    for (const username of [' SSH KEY AUTHENTICATION alice', ' INTERSERVER SECRET ']) {
      const writer = new ByteWriter();
      expect(() => writeHello(writer, identity, { database: '', username, password: '' })).toThrow(UnsupportedError);
      expect(writer.length).toBe(0);
    }
    const writer = new ByteWriter();
    writeHello(writer, identity, { database: '', username: 'SSH KEY AUTHENTICATION', password: '' });
    expect(writer.length).toBeGreaterThan(0);
  });
});

describe(`${Feature.TABLE_READ_ONLY_CHECK} read-only replicated tables in TablesStatusResponse`, () => {
  it('a replicated table has is_readonly after its delay; a plain one has neither; a missing one is left out', async () => {
    const [hello, status] = await decodeFixture('tables-status');
    expect(hello?.type).toBe('hello');
    expect(status).toMatchObject({
      type: 'tablesStatus',
      tables: [
        // chdb's clickhouse-local keeps its replicas read-only (no replication queue runs in it).
        { database: 'default', table: 'rt', isReplicated: true, isReadonly: true },
        { database: 'default', table: 'mt', isReplicated: false, absoluteDelay: 0, isReadonly: false },
      ],
    });
  });

  it('is a VarUInt only for replicated tables, only from 54467', async () => {
    const bytes = bytesOf((w) => {
      w.varUInt(9);
      w.varUInt(2);
      w.string('db');
      w.string('r');
      w.u8(1);
      w.varUInt(300);
      w.varUInt(1);
      w.string('db');
      w.string('m');
      w.u8(0);
    });
    const at = (revision: number) => (reader: ByteReader) => readServerPacket(reader, { revision, compression: false });
    expect(await decodeEverySplit(bytes, at(Feature.TABLE_READ_ONLY_CHECK))).toEqual({
      type: 'tablesStatus',
      tables: [
        { database: 'db', table: 'r', isReplicated: true, absoluteDelay: 300, isReadonly: true },
        { database: 'db', table: 'm', isReplicated: false, absoluteDelay: 0, isReadonly: false },
      ],
    });
    await expectTruncationsRefused(bytes, at(Feature.TABLE_READ_ONLY_CHECK));
  });
});

describe(`${Feature.ROWS_BEFORE_AGGREGATION} rows before aggregation in ProfileInfo`, () => {
  it('a GROUP BY with rows_before_aggregation = 1 reports the rows it aggregated', async () => {
    const packets = await decodeFixture('rows-before-aggregation');
    const info = packets.find((p) => p.type === 'profileInfo');
    expect(info).toMatchObject({
      type: 'profileInfo',
      info: { rows: 3, appliedAggregation: true, rowsBeforeAggregation: 100 },
    });
  });

  it('is a UInt8 and a VarUInt after calculated_rows_before_limit, whole or split anywhere', async () => {
    const bytes = Buffer.from([6, 3, 1, 24, 0, 0, 1, 1, 0xe8, 0x07]);
    const at = (reader: ByteReader) =>
      readServerPacket(reader, { revision: Feature.ROWS_BEFORE_AGGREGATION, compression: false });
    expect(await decodeEverySplit(bytes, at)).toEqual({
      type: 'profileInfo',
      info: {
        rows: 3,
        blocks: 1,
        bytes: 24,
        appliedLimit: false,
        rowsBeforeLimit: 0,
        calculatedRowsBeforeLimit: true,
        appliedAggregation: true,
        rowsBeforeAggregation: 1000,
      },
    });
    await expectTruncationsRefused(bytes, at);
  });
});

describe(`${Feature.CHUNKED_PACKETS} chunked packets`, () => {
  it('the Hello says how the server sends and receives; the client chunks only where the server insists', async () => {
    const [chunked] = await decodeFixture('chunked');
    const [plain] = await decodeFixture('chunked-plain');
    expect(chunked).toMatchObject({ type: 'hello', hello: { chunkedSend: 'chunked', chunkedRecv: 'chunked' } });
    expect(plain).toMatchObject({ type: 'hello', hello: { chunkedSend: 'notchunked', chunkedRecv: 'notchunked' } });
    const cases: [string, boolean, boolean][] = [
      ['chunked', false, true],
      ['notchunked', true, false],
      ['chunked_optional', false, false],
      ['chunked_optional', true, true],
      ['notchunked_optional', false, false],
      ['notchunked_optional', true, true],
      ['', false, false],
    ];
    for (const [server, prefer, expected] of cases)
      expect(negotiateChunked(server, prefer), `${server}, prefer ${prefer}`).toBe(expected);
  });

  it('a chunked stream carries the same packets as an unchunked one', async () => {
    const chunked = await decodeFixture('chunked');
    const plain = await decodeFixture('chunked-plain');
    const shape = (packets: ServerMessage[]) => packets.slice(1).map((p) => (p.type === 'progress' ? 'progress' : p));
    expect(shape(chunked).filter((p) => p !== 'progress')).toEqual(shape(plain).filter((p) => p !== 'progress'));
    expect(columnsOf(chunked).get('s')).toEqual(['0', '1', '2', '3', '4']);
  });

  it("the framing comes off wherever the server's bytes are cut, into exactly the unframed stream", () => {
    const f = fixture('chunked');
    const framed = f.raw!.subarray(f.helloLength!);
    const expected = f.bytes.subarray(f.helloLength!);
    for (const size of [1, 2, 3, 4, 5, 7, 64, framed.length]) {
      const parts: Buffer[] = [];
      const decoder = new ChunkDecoder((payload) => parts.push(Buffer.from(payload)));
      for (let p = 0; p < framed.length; p += size) decoder.push(framed.subarray(p, p + size));
      expect(Buffer.concat(parts).equals(expected), `pieces of ${size}`).toBe(true);
      expect(decoder.idle).toBe(true);
    }
  });

  it('frames a message as chunks and an empty chunk; an empty chunk where a message starts is refused', () => {
    const framed = Buffer.concat(frameMessage([Buffer.from([4]), Buffer.alloc(0), Buffer.from([1, 2])]));
    expect([...framed]).toEqual([1, 0, 0, 0, 4, 2, 0, 0, 0, 1, 2, 0, 0, 0, 0]);
    const parts: Buffer[] = [];
    const decoder = new ChunkDecoder((payload) => parts.push(Buffer.from(payload)));
    decoder.push(framed);
    expect([...Buffer.concat(parts)]).toEqual([4, 1, 2]);
    expect(() => decoder.push(Buffer.alloc(4))).toThrow(/empty chunk where a message should start/);
    expect(() => new ChunkDecoder(() => {}).push(Buffer.alloc(4))).toThrow(ProtocolError);
  });
});

describe(`${Feature.VERSIONED_PARALLEL_REPLICAS_PROTOCOL} versioned parallel-replicas protocol`, () => {
  it("the server's Hello has its version before the time zone; the addendum says we speak none", async () => {
    const [hello] = await decodeFixture('hello');
    expect(hello).toMatchObject({ type: 'hello', hello: { parallelReplicasProtocolVersion: 8, timezone: 'Etc/UTC' } });
    const addendum = bytesOf((w) =>
      writeAddendum(w, Feature.VERSIONED_PARALLEL_REPLICAS_PROTOCOL, { chunkedRecv: true }),
    );
    expect([...addendum]).toEqual([0, ...Buffer.from('\x0anotchunked\x07chunked', 'latin1'), 0]);
  });
});

describe(`${Feature.INTERSERVER_EXTERNALLY_GRANTED_ROLES} externally granted roles in Query`, () => {
  it('an empty String between the settings and the interserver hash', () => {
    const identity = {
      name: 'c',
      versionMajor: 0,
      versionMinor: 1,
      versionPatch: 0,
      osUser: '',
      hostname: '',
      revision: CLIENT_REVISION,
    };
    const at = (revision: number) =>
      bytesOf((w) =>
        writeQuery(w, revision, identity, { queryId: '', sql: 'SELECT 1', settings: {}, compression: false }),
      );
    const tail = (bytes: Buffer) => [...bytes.subarray(bytes.length - 15)];
    // ... settings end, [roles], hash, stage 2, compression 0, 'SELECT 1', no parameters.
    expect(tail(at(Feature.INTERSERVER_EXTERNALLY_GRANTED_ROLES))).toEqual([
      0,
      0,
      0,
      2,
      0,
      8,
      ...Buffer.from('SELECT 1'),
      0,
    ]);
    expect(
      at(Feature.INTERSERVER_EXTERNALLY_GRANTED_ROLES).length -
        at(Feature.INTERSERVER_EXTERNALLY_GRANTED_ROLES - 1).length,
    ).toBe(1);
  });
});

describe(`${Feature.V2_DYNAMIC_AND_JSON_SERIALIZATION} Dynamic and JSON serialization V2`, () => {
  /** The Data block with rows of a fixture, its bytes (after the packet type and table name) and its decoding. */
  async function dataBlock(name: string): Promise<{ bytes: Buffer; block: Block; revision: number }> {
    const f = fixture(name);
    const { packets, ends } = await decodeServerStream(f.bytes, f.compression, undefined, f.clientRevision);
    const i = packets.findIndex((p) => p.type === 'data' && p.block.rows > 0);
    const bytes = f.bytes.subarray(ends[i - 1]! + 2, ends[i]);
    return { bytes, block: (packets[i] as Extract<ServerMessage, { block: Block }>).block, revision: f.clientRevision };
  }

  it('26.7 sends V2 from 54473 (version 2, no legacy count), V1 below; both read to the same values', async () => {
    const v1 = await dataBlock('dynamic-json-v1');
    const v2 = await dataBlock('dynamic-json');
    expect(v2.block.columns.map((c) => Array.from(c.values as ArrayLike<unknown>))).toEqual(
      v1.block.columns.map((c) => Array.from(c.values as ArrayLike<unknown>)),
    );
    const version = (block: Buffer, column: string) => {
      const at = block.indexOf(Buffer.from(column)) + column.length + 1; // + the custom-serialization byte
      return block.readBigUInt64LE(at);
    };
    expect(version(v1.bytes, '\x07Dynamic')).toBe(1n);
    expect(version(v2.bytes, '\x07Dynamic')).toBe(2n);
    expect(version(v1.bytes, 'UInt32)')).toBe(0n);
    expect(version(v2.bytes, 'UInt32)')).toBe(2n);
    expect(v2.block.columns[2]!.values[1]).toEqual({ a: 1, b: { c: 'x1' }, arr: [1n, 2n], f: 1.5 });
  });

  it("written back at each revision, the rows give the server's own bytes: V2 from 54473, V1 below and in FORMAT Native", async () => {
    for (const name of ['dynamic-json-v1', 'dynamic-json']) {
      const { bytes, block, revision } = await dataBlock(name);
      const w = new ByteWriter();
      writeBlock(w, block, { blockInfo: true, revision });
      expect(Buffer.from(w.finish()).equals(bytes), name).toBe(true);
    }
    const { block } = await dataBlock('dynamic-json');
    const native = NativeFormat.encode([block]);
    expect(native.readBigUInt64LE(native.indexOf(Buffer.from('\x07Dynamic')) + 8)).toBe(1n);
    expect((await NativeFormat.decode(native))[0]!.columns.map((c) => c.values)).toEqual(
      block.columns.map((c) => c.values),
    );
  });
});

describe(`${Feature.SERVER_SETTINGS} server settings in the Hello`, () => {
  it("26.7 lists the user's profile, read into an object without a prototype", async () => {
    const [hello] = await decodeFixture('hello');
    const settings = (hello as Extract<ServerMessage, { type: 'hello' }>).hello.settings!;
    expect(Object.getPrototypeOf(settings)).toBeNull();
    expect(settings).toMatchObject({ log_queries: '1', implicit_select: '1', storage_file_read_method: 'mmap' });
  });

  it('a list with __proto__ stays data; a list too long for a server is refused', async () => {
    const f = fixture('hello');
    const [hello] = await decodeFixture('hello');
    // The recorded list ends with its empty name; the fields of later revisions (if any) follow it.
    const list = bytesOf((w) => {
      for (const [name, value] of Object.entries(
        (hello as Extract<ServerMessage, { type: 'hello' }>).hello.settings!,
      )) {
        w.string(name);
        w.varUInt(0);
        w.string(value);
      }
      w.string('');
    });
    const at = f.bytes.indexOf(list);
    expect(at).toBeGreaterThan(0);
    const splice = (replacement: Buffer) =>
      Buffer.concat([f.bytes.subarray(0, at), replacement, f.bytes.subarray(at + list.length, f.bytes.length - 1)]);
    const proto = splice(bytesOf((w) => (w.string('__proto__'), w.varUInt(2), w.string('x'), w.string(''))));
    const message = await decodeEverySplit(proto, readHello(f.clientRevision));
    const settings = (message as Extract<ServerMessage, { type: 'hello' }>).hello.settings!;
    expect(Object.keys(settings)).toEqual(['__proto__']);
    expect(settings['__proto__']).toBe('x');
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
    const many = splice(
      bytesOf((w) => {
        for (let i = 0; i <= 10_000; i++) {
          w.string(`s${i}`);
          w.varUInt(0);
          w.string('1');
        }
        w.string('');
      }),
    );
    await expect(readHello(f.clientRevision)(ByteReader.from(many))).rejects.toThrow(/more than 10000 settings/);
  });
});

describe('what each revision adds to the Query packet', () => {
  const identity = {
    name: 'c',
    versionMajor: 0,
    versionMinor: 1,
    versionPatch: 0,
    osUser: '',
    hostname: '',
    revision: CLIENT_REVISION,
  };
  const query = (revision: number) =>
    bytesOf((w) =>
      writeQuery(w, revision, identity, { queryId: '', sql: 'SELECT 1', settings: {}, compression: false }),
    );
  /** Revision → the bytes it adds (empty ClientInfo fields, an empty String, ...). */
  const added: Record<number, number[]> = {
    [Feature.INTERSERVER_EXTERNALLY_GRANTED_ROLES]: [0],
    [Feature.QUERY_AND_LINE_NUMBERS]: [0, 0],
    [Feature.JWT_IN_INTERSERVER]: [0],
    [Feature.CLIENT_AGENT_IN_CLIENT_INFO]: [0],
    [Feature.INTERNAL_QUERY_FLAG]: [0],
    [Feature.INTERSERVER_CURRENT_ROLES]: [0],
  };

  it('adds exactly its fields, and nothing else changes', () => {
    for (let revision = 54461; revision <= CLIENT_REVISION; revision++) {
      const before = query(revision - 1);
      const after = query(revision);
      const bytes = added[revision] ?? [];
      expect(after.length - before.length, `at ${revision}`).toBe(bytes.length);
    }
  });
});

describe(`${Feature.QUERY_PLAN_SERIALIZATION} query plan serialization version in the Hello`, () => {
  it('26.7 says 3, after its settings', async () => {
    const [hello] = await decodeFixture('hello');
    expect(hello).toMatchObject({ type: 'hello', hello: { queryPlanSerializationVersion: 3 } });
  });
});

describe(`${Feature.VERSIONED_CLUSTER_FUNCTION_PROTOCOL} cluster function protocol version in the Hello`, () => {
  it('26.7 says 8, as the last field of its Hello', async () => {
    const f = fixture('hello');
    const [hello, pong] = await decodeFixture('hello');
    expect(hello).toMatchObject({ type: 'hello', hello: { clusterFunctionProtocolVersion: 8 } });
    expect(pong).toEqual({ type: 'pong' });
    // ... query plan version 3, cluster function version 8, then the Pong (4).
    expect([...f.bytes.subarray(f.bytes.length - 3)]).toEqual([3, 8, 4]);
  });
});

describe(`${Feature.OUT_OF_ORDER_BUCKETS_IN_AGGREGATION} out-of-order buckets in BlockInfo`, () => {
  it('every block from 54480 has field 3, empty for a client; totals and extremes too', async () => {
    const packets = await decodeFixture('block-info');
    const blocks = packets.filter((p): p is Extract<ServerMessage, { block: Block }> => 'block' in p);
    expect(blocks.map((p) => p.type)).toEqual(expect.arrayContaining(['data', 'totals', 'extremes']));
    for (const p of blocks) expect(p.block.info).toEqual({ isOverflows: false, bucketNum: -1, outOfOrderBuckets: [] });
  });

  it('a list of buckets is Int32s after a VarUInt count; the field is refused below 54480, and a count over 65536', async () => {
    const packet = (info: number[]) =>
      Buffer.from([1, 0, 1, 0, 2, 0xff, 0xff, 0xff, 0xff, ...info, 0, /* columns, rows */ 0, 0]);
    const buckets = packet([3, 2, 7, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff]);
    const message = await decodeEverySplit(buckets, readBlockAt(Feature.OUT_OF_ORDER_BUCKETS_IN_AGGREGATION));
    expect((message as Extract<ServerMessage, { block: Block }>).block.info?.outOfOrderBuckets).toEqual([7, -2]);
    await expectTruncationsRefused(buckets, readBlockAt(Feature.OUT_OF_ORDER_BUCKETS_IN_AGGREGATION));
    await expect(
      readBlockAt(Feature.OUT_OF_ORDER_BUCKETS_IN_AGGREGATION - 1)(ByteReader.from(buckets)),
    ).rejects.toThrow(/Unknown BlockInfo field 3/);
    const many = packet([3, 0x81, 0x80, 0x04]);
    await expect(readBlockAt(Feature.OUT_OF_ORDER_BUCKETS_IN_AGGREGATION)(ByteReader.from(many))).rejects.toThrow(
      /65537 out-of-order buckets/,
    );
  });
});

describe(`${Feature.COMPRESSED_LOGS_PROFILE_EVENTS_COLUMNS} compressed Log, ProfileEvents and TableColumns`, () => {
  /** Each packet's type and its first bytes after the packet type, over a fixture. */
  async function packetStarts(name: string): Promise<{ type: string; body: Buffer }[]> {
    const f = fixture(name);
    const { packets, ends } = await decodeServerStream(f.bytes, f.compression, undefined, f.clientRevision);
    return packets.map((p, i) => ({ type: p.type, body: f.bytes.subarray((i === 0 ? 0 : ends[i - 1]!) + 1, ends[i]) }));
  }
  /** A compressed frame starts with a 16-byte checksum, then the method byte (0x82: LZ4). */
  const framed = (bytes: Buffer) => bytes[16] === 0x82;

  it('with LZ4 on, 26.7 compresses them from 54481 and not at 54480; both decode to the same packets', async () => {
    const raw = await packetStarts('compressed-logs-raw');
    const compressed = await packetStarts('compressed-logs');
    for (const [starts, compressedBodies] of [
      [raw, false],
      [compressed, true],
    ] as const) {
      const of = (type: string) => starts.filter((s) => s.type === type);
      expect(of('log').length).toBeGreaterThan(0);
      expect(of('profileEvents').length).toBeGreaterThan(0);
      expect(of('tableColumns')).toHaveLength(1);
      // Log and ProfileEvents: the table name stays raw (one byte, empty), the block is framed or not.
      for (const s of [...of('log'), ...of('profileEvents')])
        expect(framed(s.body.subarray(1)), s.type).toBe(compressedBodies);
      // TableColumns: from 54481 even the table name is inside the frame.
      expect(framed(of('tableColumns')[0]!.body)).toBe(compressedBodies);
    }
    const rawPackets = await decodeFixture('compressed-logs-raw');
    const compressedPackets = await decodeFixture('compressed-logs');
    const tableColumns = (packets: ServerMessage[]) => packets.find((p) => p.type === 'tableColumns');
    expect(tableColumns(compressedPackets)).toEqual(tableColumns(rawPackets));
    expect(tableColumns(compressedPackets)).toMatchObject({
      tableName: '',
      description: expect.stringContaining('`k` UInt64'),
    });
    const logColumns = (packets: ServerMessage[]) =>
      packets.flatMap((p) => (p.type === 'log' ? [p.block.columns.map((c) => `${c.name} ${c.type}`)] : []))[0];
    expect(logColumns(compressedPackets)).toEqual(logColumns(rawPackets));
  });
});

describe(`${Feature.REPLICATED_SERIALIZATION} replicated columns`, () => {
  it("26.7 sends a JOIN's repeated left columns replicated from 54482; they read as the full columns 54481 gets", async () => {
    const replicated = fixture('replicated');
    expect(replicated.bytes.includes(Buffer.from('\x06String\x01\x04'))).toBe(true);
    const full = columnsOf(await decodeFixture('replicated-full'));
    const columns = columnsOf(await decodeFixture('replicated'));
    expect(columns).toEqual(full);
    expect([...columns.keys()]).toEqual(['k', 's', 'arr', 't', 'm', 'n', 'v', 'd', 'ns', 'dt', 'w']);
    // Rows that repeat one left row hold equal values, but never the same object.
    const arr = columns.get('arr')!;
    const t = columns.get('t')!;
    const d = columns.get('d')!;
    expect(arr[0]).toEqual(arr[1]);
    expect(arr[0]).not.toBe(arr[1]);
    expect(t[0]).toEqual(t[1]);
    expect(t[0]).not.toBe(t[1]);
    expect(d[0]).toEqual(d[1]);
    expect(d[0]).not.toBe(d[1]);
  });

  /** A replicated column: rows, index width, indexes, the values' count, the values. */
  function replicatedData(rows: number, width: number, indexes: number[], values: Buffer, count: number): Buffer {
    return bytesOf((w) => {
      w.varUInt(rows);
      w.u8(width);
      for (const i of indexes) for (let b = 0; b < width; b++) w.u8(b < 4 ? (i >>> (8 * b)) & 0xff : 0);
      w.varUInt(count);
      w.bytes(values);
    });
  }
  const strings = (...s: string[]) => bytesOf((w) => s.forEach((x) => w.string(x)));

  it('indexes of every width give each row its value, whole and split anywhere', async () => {
    for (const width of [1, 2, 4, 8]) {
      const packet = blockPacket(
        5,
        'String',
        [4],
        replicatedData(5, width, [1, 0, 1, 1, 2], strings('a', 'bb', 'ccc'), 3),
      );
      const message = await decodeEverySplit(packet, readBlockAt(Feature.REPLICATED_SERIALIZATION));
      expect((message as Extract<ServerMessage, { block: Block }>).block.columns[0]!.values).toEqual([
        'bb',
        'a',
        'bb',
        'bb',
        'ccc',
      ]);
      await expectTruncationsRefused(packet, readBlockAt(Feature.REPLICATED_SERIALIZATION));
    }
    const numbers = blockPacket(4, 'UInt16', [4], replicatedData(4, 1, [1, 1, 0, 1], Buffer.from([7, 0, 9, 0]), 2));
    const message = await readBlockAt(Feature.REPLICATED_SERIALIZATION)(ByteReader.from(numbers));
    expect((message as Extract<ServerMessage, { block: Block }>).block.columns[0]!.values).toEqual(
      Uint16Array.of(9, 9, 7, 9),
    );
  });

  it("refuses a row count that is not the block's, odd widths, more values than rows, indexes past the values", async () => {
    const decode = (data: Buffer, rows = 3) =>
      readBlockAt(Feature.REPLICATED_SERIALIZATION)(ByteReader.from(blockPacket(rows, 'String', [4], data)));
    await expect(decode(replicatedData(2, 1, [0, 0], strings('a'), 1))).rejects.toThrow(
      /replicated column of 2 rows in a block of 3/,
    );
    await expect(decode(replicatedData(3, 3, [0, 0, 0], strings('a'), 1))).rejects.toThrow(/indexes of 3 bytes/);
    await expect(decode(replicatedData(3, 1, [0, 0, 0], strings('a', 'b', 'c', 'd'), 4))).rejects.toThrow(
      /claims 4 values/,
    );
    await expect(decode(replicatedData(3, 1, [0, 5, 0], strings('a'), 1))).rejects.toThrow(
      /row 1 refers to value 5 of 1/,
    );
    await expect(
      readBlockAt(Feature.REPLICATED_SERIALIZATION - 1)(
        ByteReader.from(blockPacket(1, 'String', [4], replicatedData(1, 1, [0], strings('a'), 1))),
      ),
    ).rejects.toThrow(/REPLICATED serialization, which protocol revision 54481 does not allow/);
  });
});

describe(`${Feature.NULLABLE_SPARSE_SERIALIZATION} sparse Nullable columns`, () => {
  it('26.7 sends a mostly-NULL Nullable column sparse from 54483 (one kind byte, no null map); it reads as the full one', async () => {
    const full = fixture('nullable-sparse-full');
    const sparse = fixture('nullable-sparse');
    // Nullable(UInt32): the custom-serialization byte, then SPARSE (1), then the offsets; below, no custom serialization.
    expect(sparse.bytes.includes(Buffer.from('\x10Nullable(UInt32)\x01\x01'))).toBe(true);
    expect(full.bytes.includes(Buffer.from('\x10Nullable(UInt32)\x00'))).toBe(true);
    const columns = columnsOf(await decodeFixture('nullable-sparse'));
    expect(columns).toEqual(columnsOf(await decodeFixture('nullable-sparse-full')));
    expect(columns.get('n')).toEqual([0, null, null, 3, null, null, 6, null, null, 9, null, null]);
  });
});
