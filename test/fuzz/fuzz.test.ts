/**
 * The decoder fuzzer's short fixed-seed run, part of `npm test` (the long campaign is `npm run fuzz`, see
 * campaign.ts and the README's "Fuzzing" section), plus the exhaustive truncation check on every recorded stream.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { BaseCodec } from '../../src/columns/codec.js';
import { registerFamily } from '../../src/columns/registry.js';
import { ProtocolError } from '../../src/errors.js';
import {
  checkCase,
  describeCase,
  frameCase,
  fuzzCase,
  garbageCase,
  generatedCase,
  makeFrameSeeds,
  streamCase,
  type FrameSeeds,
  type FuzzCase,
} from './arbitraries.js';
import { decodeServerStream, isTypedError, loadFixtures, type Fixture } from './target.js';

const SEED = 20261123;
const RUNS = Number(process.env.FUZZ_TEST_RUNS ?? 4000);

let fixtures: Fixture[];
let seeds: FrameSeeds;

beforeAll(async () => {
  fixtures = loadFixtures();
  seeds = await makeFrameSeeds(fixtures);
});

async function property(arbitrary: fc.Arbitrary<FuzzCase>, numRuns: number, seed: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(arbitrary, async (c) => {
      await checkCase(c);
    }),
    {
      numRuns,
      seed,
      endOnFailure: true,
      reporter: (details) => {
        if (details.failed) {
          const counterexample = details.counterexample?.[0] as FuzzCase | undefined;
          throw new Error(
            `fuzz property failed after ${details.numRuns} runs (seed ${details.seed}, path ${details.counterexamplePath}): ` +
              `${String(details.errorInstance)}\n${counterexample ? describeCase(counterexample) : ''}`,
          );
        }
      },
    },
  );
}

describe('recorded 18.16 and 26.7 streams', () => {
  it('every fixture decodes completely', async () => {
    expect(fixtures.length).toBeGreaterThan(20);
    const kinds = new Set<string>();
    for (const fixture of fixtures) {
      const decoded = await decodeServerStream(fixture.bytes, fixture.compression, undefined, fixture.clientRevision);
      expect(decoded.consumed, fixture.name).toBe(fixture.bytes.length);
      for (const p of decoded.packets) kinds.add(p.type);
    }
    // The recordings cover every packet a query can bring on 18.16.
    for (const kind of [
      'hello',
      'data',
      'exception',
      'progress',
      'pong',
      'endOfStream',
      'profileInfo',
      'totals',
      'extremes',
      'log',
      'tableColumns',
    ]) {
      expect(kinds, kind).toContain(kind);
    }
  });

  it('truncations of every fixture fail with a ProtocolError, or ends cleanly at a packet boundary', async () => {
    let cases = 0;
    for (const fixture of fixtures) {
      const { ends } = await decodeServerStream(fixture.bytes, fixture.compression, undefined, fixture.clientRevision);
      const boundaries = new Set(ends);
      // Every cut within 24 bytes of a packet boundary (where headers are), and every 7th byte elsewhere.
      const near = (cut: number) => ends.some((end) => Math.abs(end - cut) <= 24) || cut < 64;
      for (let cut = 0; cut < fixture.bytes.length; cut++) {
        if (!near(cut) && cut % 7 !== 0) continue;
        cases++;
        const outcome = await decodeServerStream(
          fixture.bytes.subarray(0, cut),
          fixture.compression,
          undefined,
          fixture.clientRevision,
        ).then(
          () => 'decoded' as const,
          (error: unknown) => error,
        );
        if (outcome === 'decoded') {
          expect(boundaries.has(cut), `${fixture.name} cut at ${cut} decoded but is no packet boundary`).toBe(true);
        } else {
          expect(outcome, `${fixture.name} cut at ${cut}`).toBeInstanceOf(ProtocolError);
        }
      }
    }
    expect(cases).toBeGreaterThan(5_000);
  });
});

describe(`fuzzing, fixed seed ${SEED}`, () => {
  it(`mutated streams (${RUNS} cases)`, async () => {
    await property(streamCase(fixtures), RUNS, SEED);
  });

  it(`frames with recomputed checksums (${RUNS} cases)`, async () => {
    await property(frameCase(seeds), RUNS, SEED + 1);
  });

  it(`generated blocks of random nested types with hostile sizes (${RUNS} cases)`, async () => {
    await property(generatedCase, RUNS, SEED + 2);
  });

  it(`random garbage (${RUNS} cases)`, async () => {
    const hello = fixtures.find((f) => f.name === 'hello')!.bytes;
    await property(garbageCase(hello), RUNS, SEED + 3);
  });

  it('the mix the campaign runs', async () => {
    await property(fuzzCase(fixtures, seeds), RUNS, SEED + 4);
  });

  it('the property catches an untyped error, and a decoder that never settles', async () => {
    expect(isTypedError(new ProtocolError('x'))).toBe(true);
    expect(isTypedError(new RangeError('Invalid array length'))).toBe(false);
    // A codec with the kind of bug the fuzzer hunts: an allocation sized by the claim, before the bytes arrive.
    class FuzzBuggy extends BaseCodec {
      constructor(readonly type: string) {
        super();
      }
      async read(_reader: unknown, rows: number) {
        return new Array(rows * 2 ** 33);
      }
      write() {}
    }
    class FuzzStuck extends FuzzBuggy {
      override read() {
        return new Promise<never>(() => undefined);
      }
    }
    registerFamily('FuzzBuggy', (_node, type) => new FuzzBuggy(type));
    registerFamily('FuzzStuck', (_node, type) => new FuzzStuck(type));
    const block = (type: string): FuzzCase => ({
      kind: 'generated',
      bytes: Buffer.from([
        0x01,
        0x00,
        0x01,
        0x00,
        0x02,
        0xff,
        0xff,
        0xff,
        0xff,
        0x00,
        0x01,
        0x01,
        0x01,
        0x63,
        type.length,
        ...Buffer.from(type),
      ]),
      compression: false,
      afterHello: true,
    });
    // The engine words the RangeError: V8 "Invalid array length", JavaScriptCore (Bun) "Array length must be …".
    await expect(checkCase(block('FuzzBuggy'))).rejects.toThrow(
      /untyped failure .*RangeError: (Invalid array length|Array length)/,
    );
    await expect(checkCase(block('FuzzStuck'))).rejects.toThrow(/did not settle within/);
  });
});
