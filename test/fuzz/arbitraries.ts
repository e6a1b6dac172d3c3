/**
 * fast-check inputs for the decoder fuzzer, and the property every input must satisfy.
 *
 * Inputs, from the recorded 18.16 streams (fixtures/server-streams.json):
 *   - mutated streams: bit flips, byte sets, truncations, insertions, deletions, interesting sizes written over
 *     VarUInts / UInt32 / UInt64 (the caps' boundaries, 2^31, 2^32, 2^53, 2^63, 2^64 - 1), duplicated and
 *     transplanted ranges; sometimes with the compression flag flipped;
 *   - frames: the fixtures' block bodies, mutated, compressed (NONE, LZ4, ZSTD) into one or several frames with
 *     their header fields mutated and the checksum recomputed (or not), so mutations get past the checksum;
 *   - generated blocks: a random type tree (Array, Nullable, Tuple, Map, LowCardinality over leaves) with random
 *     column bytes sprinkled with hostile offsets and sizes;
 *   - random garbage, alone or after a valid Hello.
 * Property: decoding ends with packets or a typed error (ProtocolError, ClickHouseError, UnsupportedError), in
 * bounded time; see `checkCase`.
 */
import fc from 'fast-check';
import { compressToFrames, compressToFramesSync } from '../../src/compression/frame.js';
import { cityHash128Into } from '../../src/compression/cityhash.js';
import { ByteWriter } from '../../src/protocol/writer.js';
import {
  blockBodies,
  decodePackets,
  decodeServerStream,
  FIXTURE_REVISION,
  isTypedError,
  type Fixture,
} from './target.js';

export interface FuzzCase {
  kind: 'stream' | 'frame' | 'generated' | 'garbage';
  /** The stream given to the decoder. */
  bytes: Uint8Array;
  compression: boolean;
  /** For frame and generated cases: the packets follow an already negotiated Hello. */
  afterHello: boolean;
  /** For stream cases: the revision the recording client advertised (default CLIENT_REVISION). */
  clientRevision?: number;
}

const INTERESTING: bigint[] = [
  0n,
  1n,
  2n,
  7n,
  0x7fn,
  0x80n,
  0xffn,
  0x100n,
  0xffffn,
  0x10000n,
  1000n,
  1n << 20n,
  (1n << 20n) + 1n,
  10_000n,
  10_001n,
  4n << 20n,
  (4n << 20n) + 1n,
  1_000_000_000n,
  2n ** 31n - 1n,
  2n ** 31n,
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 53n - 1n,
  2n ** 53n,
  2n ** 62n,
  2n ** 63n,
  2n ** 64n - 1n,
];

type Op =
  | { t: 'flip'; at: number; bit: number }
  | { t: 'set'; at: number; value: number }
  | { t: 'truncate'; at: number }
  | { t: 'insert'; at: number; bytes: Uint8Array }
  | { t: 'delete'; at: number; length: number }
  | { t: 'varint'; at: number; value: bigint; replace: number }
  | { t: 'fixed'; at: number; value: bigint; width: 4 | 8 }
  | { t: 'duplicate'; from: number; length: number; at: number };

const position = fc.nat();
const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ t: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('set' as const),
      at: position,
      value: fc.oneof(fc.constantFrom(0, 1, 0x7f, 0x80, 0xff), fc.integer({ min: 0, max: 255 })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('truncate' as const), at: position }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('insert' as const),
      at: position,
      bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('varint' as const),
      at: position,
      value: fc.constantFrom(...INTERESTING),
      replace: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('fixed' as const),
      at: position,
      value: fc.constantFrom(...INTERESTING),
      width: fc.constantFrom(4 as const, 8 as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('duplicate' as const),
      from: position,
      length: fc.integer({ min: 1, max: 256 }),
      at: position,
    }),
  },
);

export const opsArbitrary = (max = 6): fc.Arbitrary<Op[]> => fc.array(opArbitrary, { minLength: 1, maxLength: max });

function leb128(value: bigint): number[] {
  const out: number[] = [];
  let v = value;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

/** Applies mutations to a copy of `input`. */
export function mutate(input: Uint8Array, ops: readonly Op[]): Uint8Array {
  let bytes = Buffer.from(input);
  for (const op of ops) {
    const n = bytes.length;
    const at = (p: number) => (n === 0 ? 0 : p % n);
    switch (op.t) {
      case 'flip':
        if (n > 0) bytes[at(op.at)]! ^= 1 << op.bit;
        break;
      case 'set':
        if (n > 0) bytes[at(op.at)] = op.value;
        break;
      case 'truncate':
        bytes = bytes.subarray(0, op.at % (n + 1));
        break;
      case 'insert': {
        const p = op.at % (n + 1);
        bytes = Buffer.concat([bytes.subarray(0, p), op.bytes, bytes.subarray(p)]);
        break;
      }
      case 'delete': {
        const p = at(op.at);
        bytes = Buffer.concat([bytes.subarray(0, p), bytes.subarray(p + op.length)]);
        break;
      }
      case 'varint': {
        const p = op.at % (n + 1);
        bytes = Buffer.concat([bytes.subarray(0, p), Buffer.from(leb128(op.value)), bytes.subarray(p + op.replace)]);
        break;
      }
      case 'fixed': {
        const p = at(op.at);
        const field = Buffer.alloc(8);
        field.writeBigUInt64LE(op.value);
        for (let i = 0; i < op.width && p + i < n; i++) bytes[p + i] = field[i]!;
        break;
      }
      case 'duplicate': {
        if (n === 0) break;
        const from = at(op.from);
        const piece = Buffer.from(bytes.subarray(from, from + op.length));
        const p = op.at % (n + 1);
        bytes = Buffer.concat([bytes.subarray(0, p), piece, bytes.subarray(p)]);
        break;
      }
    }
  }
  return bytes;
}

/** Mutated recorded streams. */
export function streamCase(fixtures: Fixture[]): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      fixture: fc.integer({ min: 0, max: fixtures.length - 1 }),
      ops: opsArbitrary(),
      flipCompression: fc.integer({ min: 0, max: 9 }),
    })
    .map(({ fixture, ops, flipCompression }) => {
      const f = fixtures[fixture]!;
      return {
        kind: 'stream' as const,
        bytes: mutate(f.bytes, ops),
        compression: flipCompression === 0 ? !f.compression : f.compression,
        afterHello: false,
        clientRevision: f.clientRevision,
      };
    });
}

/** Zstd frames cannot be made synchronously: the campaign precompresses the bodies once. */
export interface FrameSeeds {
  bodies: Buffer[];
  /** ZSTD frames of each body (one frame each), checksummed. */
  zstdFrames: Buffer[];
}

export async function makeFrameSeeds(fixtures: Fixture[]): Promise<FrameSeeds> {
  const bodies = await blockBodies(fixtures);
  const zstdFrames = await Promise.all(bodies.map(async (body) => Buffer.concat(await compressToFrames(body, 'zstd'))));
  return { bodies, zstdFrames };
}

/** Block bodies mutated, framed with valid checksums (mostly), frame headers mutated: through the decompressor. */
export function frameCase(seeds: FrameSeeds): fc.Arbitrary<FuzzCase> {
  const header = fc.record({
    field: fc.constantFrom('method' as const, 'compressed' as const, 'decompressed' as const),
    value: fc.oneof(
      fc.constantFrom(0x02, 0x82, 0x90, 0x91, 0x00, 0xff),
      fc.constantFrom(...INTERESTING.map(Number)),
      fc.nat(),
    ),
  });
  return fc
    .record({
      body: fc.integer({ min: 0, max: seeds.bodies.length - 1 }),
      plainOps: fc.array(opArbitrary, { maxLength: 4 }),
      method: fc.constantFrom('none' as const, 'lz4' as const, 'zstd' as const),
      frameInput: fc.constantFrom(undefined, 5, 64, 1000),
      headerOps: fc.array(header, { maxLength: 2 }),
      fixChecksum: fc.integer({ min: 0, max: 9 }),
      rawOps: fc.array(opArbitrary, { maxLength: 2 }),
    })
    .map(({ body, plainOps, method, frameInput, headerOps, fixChecksum, rawOps }) => {
      let frames: Buffer[];
      if (method === 'zstd') {
        frames = [Buffer.from(seeds.zstdFrames[body]!)];
      } else {
        const plain = mutate(seeds.bodies[body]!, plainOps);
        frames = compressToFramesSync(plain, method, { maxFrameInput: frameInput ?? 1 << 20 }).map((f) =>
          Buffer.from(f),
        );
      }
      for (const { field, value } of headerOps) {
        const frame = frames[value % Math.max(1, frames.length)];
        if (!frame) continue;
        if (field === 'method') frame[16] = value & 0xff;
        else frame.writeUInt32LE(value >>> 0, field === 'compressed' ? 17 : 21);
      }
      // Usually recompute the checksum, so the header and payload mutations reach the decompressor.
      if (fixChecksum !== 0) for (const frame of frames) cityHash128Into(frame, 16, frame.length, frame, 0);
      const packet = mutate(Buffer.concat([Buffer.from([0x01, 0x00]), ...frames]), rawOps.length > 0 ? rawOps : []);
      return { kind: 'frame' as const, bytes: packet, compression: true, afterHello: true };
    });
}

// ---- generated blocks: random type trees with hostile column bytes ----

const LEAVES = [
  'UInt8',
  'UInt16',
  'UInt32',
  'UInt64',
  'Int8',
  'Int64',
  'Float32',
  'Float64',
  'String',
  'FixedString(3)',
  'Date',
  'DateTime',
  "DateTime('UTC')",
  'UUID',
  "Enum8('a' = 1, 'b' = 2)",
  'Nothing',
  'Decimal(9, 2)',
];

const typeArbitrary: fc.Arbitrary<string> = fc.letrec<{ type: string }>((tie) => ({
  type: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 5, arbitrary: fc.constantFrom(...LEAVES) },
    { weight: 2, arbitrary: tie('type').map((t) => `Array(${t})`) },
    { weight: 1, arbitrary: fc.constantFrom(...LEAVES).map((t) => `Nullable(${t})`) },
    {
      weight: 1,
      arbitrary: fc.array(tie('type'), { minLength: 1, maxLength: 3 }).map((ts) => `Tuple(${ts.join(', ')})`),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom('String', 'UInt64'), tie('type')).map(([k, v]) => `Map(${k}, ${v})`),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom('String', 'Nullable(String)', 'UInt32').map((t) => `LowCardinality(${t})`),
    },
  ),
})).type;

/** Column bytes: random, with hostile little-endian sizes at random places. */
const columnBytes = fc
  .tuple(
    fc.uint8Array({ maxLength: 512 }),
    fc.array(fc.record({ at: fc.nat(), value: fc.constantFrom(...INTERESTING), width: fc.constantFrom(1, 4, 8) }), {
      maxLength: 6,
    }),
  )
  .map(([random, sizes]) => {
    const bytes = Buffer.from(random);
    for (const { at, value, width } of sizes) {
      if (bytes.length === 0) break;
      const field = Buffer.alloc(8);
      field.writeBigUInt64LE(value);
      const p = at % bytes.length;
      for (let i = 0; i < width && p + i < bytes.length; i++) bytes[p + i] = field[i]!;
    }
    return bytes;
  });

/** A Data packet of one or two columns of random types, with random row counts and random (hostile) column bytes. */
export const generatedCase: fc.Arbitrary<FuzzCase> = fc
  .record({
    rows: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constantFrom(...INTERESTING.map(Number))),
    columns: fc.array(fc.record({ type: typeArbitrary, data: columnBytes }), { minLength: 1, maxLength: 2 }),
  })
  .map(({ rows, columns }) => {
    const w = new ByteWriter(1024);
    w.varUInt(1); // Data
    w.string('');
    w.bytes(Buffer.from([0x01, 0x00, 0x02, 0xff, 0xff, 0xff, 0xff, 0x00]));
    w.varUInt(columns.length);
    w.varUInt(rows);
    columns.forEach((c, i) => {
      w.string(`c${i}`);
      w.string(c.type);
      w.bytes(c.data);
    });
    return { kind: 'generated' as const, bytes: Buffer.from(w.finish()), compression: false, afterHello: true };
  });

/** Random bytes, as the whole stream or after a valid Hello. */
export function garbageCase(hello: Uint8Array): fc.Arbitrary<FuzzCase> {
  return fc
    .record({ bytes: fc.uint8Array({ maxLength: 2048 }), afterHello: fc.boolean(), compression: fc.boolean() })
    .map(({ bytes, afterHello, compression }) => ({
      kind: 'garbage' as const,
      bytes: afterHello ? Buffer.concat([hello, bytes]) : bytes,
      compression,
      afterHello: false,
    }));
}

/** All four, weighted towards the recorded streams. */
export function fuzzCase(fixtures: Fixture[], seeds: FrameSeeds): fc.Arbitrary<FuzzCase> {
  const hello = fixtures.find((f) => f.name === 'hello')!.bytes;
  return fc.oneof(
    { weight: 5, arbitrary: streamCase(fixtures) },
    { weight: 2, arbitrary: frameCase(seeds) },
    { weight: 2, arbitrary: generatedCase },
    { weight: 1, arbitrary: garbageCase(hello) },
  );
}

/** A case longer than this is a hang, not slowness: typical cases take tens of microseconds. */
export const CASE_TIME_LIMIT_MS = 2000;

export type CaseResult = 'decoded' | 'typed-error';

/**
 * The property. Decoding must end with packets or a typed error, within CASE_TIME_LIMIT_MS; anything else
 * (TypeError, RangeError from an allocation, a stack overflow, a promise that never settles) throws here.
 */
export async function checkCase(c: FuzzCase): Promise<CaseResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const decoding = c.afterHello
    ? decodePackets(c.bytes, c.compression, FIXTURE_REVISION)
    : decodeServerStream(c.bytes, c.compression, undefined, c.clientRevision);
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the decoder did not settle within ${CASE_TIME_LIMIT_MS} ms`)),
      CASE_TIME_LIMIT_MS,
    );
  });
  let result: CaseResult;
  try {
    await Promise.race([decoding, hang]);
    result = 'decoded';
  } catch (error) {
    if (!isTypedError(error)) {
      const described = error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error);
      throw new Error(`untyped failure (${c.kind}, ${c.bytes.length} bytes): ${described}`, { cause: error });
    }
    result = 'typed-error';
  } finally {
    clearTimeout(timer);
  }
  const elapsed = performance.now() - started;
  if (elapsed > CASE_TIME_LIMIT_MS) throw new Error(`a ${c.kind} case took ${elapsed.toFixed(0)} ms`);
  return result;
}

/** For failure reports: the case as hex. */
export function describeCase(c: FuzzCase): string {
  return `${c.kind} compression=${c.compression} afterHello=${c.afterHello} bytes=${Buffer.from(c.bytes).toString('hex')}`;
}
