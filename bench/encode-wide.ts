/**
 * Encode-only CPU of the 20-column wide table (bench/data.ts, with Date objects for its two timestamps as in
 * bench/run.ts's wide section): the blocks an insert would encode, with no server and no compression, so an A/B of
 * the column codecs is not drowned by a noisy machine.
 *
 *   npx tsx --expose-gc bench/encode-wide.ts
 *
 * Variables: ENCODE_ROWS (default 1 000 000), ENCODE_INPUT (columns, default, or rows: row objects transposed by
 * the insert's RowScratch), ENCODE_BLOCK_ROWS (16 384), ENCODE_ROUNDS (7), ENCODE_DRY (1, default: a DryWriter
 * pass first, as an in-memory insert too large to hold for a resend makes), ENCODE_COLUMNS=1 (time per column),
 * ENCODE_PROFILE=file.cpuprofile (a V8 CPU profile of the measured rounds, for bench/profile-summary.ts).
 * Prints the CPU seconds per M rows of each round, their median, and a SHA-256 of the encoded bytes, which must
 * not change when a codec is made faster.
 */
import { createHash } from 'node:crypto';
import { writeBlock, writeBlockColumn, writeBlockStart, type Block } from '../src/columns/block.js';
import { BlockSizer, blocksOf, RowScratch, type ColumnarInput, type ColumnHeader } from '../src/insert/input.js';
import { ByteWriter, DryWriter } from '../src/protocol/writer.js';
import { rowsOfChunk, wideChunk, wideColumns } from './data.js';
import { startCpuProfile } from './cpu-profile.js';
import { median } from './measure.js';
import { typesOf } from './tables.js';

const ROWS = Number(process.env.ENCODE_ROWS ?? 1_000_000);
const INPUT = process.env.ENCODE_INPUT ?? 'columns';
const BLOCK_ROWS = Number(process.env.ENCODE_BLOCK_ROWS ?? 16_384);
const ROUNDS = Number(process.env.ENCODE_ROUNDS ?? 7);
const DRY = process.env.ENCODE_DRY !== '0';
const PER_COLUMN = process.env.ENCODE_COLUMNS === '1';
const FRAMING = { blockInfo: true, revision: 54460 };

const header: ColumnHeader[] = Object.entries(typesOf(wideColumns(true))).map(([name, type]) => ({ name, type }));
const chunk = wideChunk(0, ROWS);
const toDates = (seconds: ArrayLike<unknown>) => Array.from(seconds as ArrayLike<number>, (s) => new Date(s * 1000));
const columnar: ColumnarInput = { ...chunk, ts: toDates(chunk.ts!), updated: toDates(chunk.updated!) };
const values = INPUT === 'rows' ? rowsOfChunk(columnar, true) : columnar;
// Strings made by concatenation are ropes until first flattened: a one-time cost the application pays anyway.
for (const column of Object.values(columnar))
  if (Array.isArray(column)) for (const s of column) if (typeof s === 'string') Buffer.byteLength(s);

const writer = new ByteWriter(4 << 20);
const dry = new DryWriter(64 * 1024);
const perColumn = new Float64Array(header.length);

function encodeAll(hash?: ReturnType<typeof createHash>): void {
  const scratch = new RowScratch(header);
  const blocks = () => blocksOf(values, header, new BlockSizer(BLOCK_ROWS, 1 << 30), 0, 0, scratch);
  if (DRY) for (const block of blocks()) writeBlock(dry, block, FRAMING);
  for (const block of blocks()) {
    writer.reset();
    if (PER_COLUMN) writeTimed(block);
    else writeBlock(writer, block, FRAMING);
    hash?.update(writer.view());
  }
}

function writeTimed(block: Block): void {
  writeBlockStart(writer, block.columns.length, block.rows, FRAMING);
  block.columns.forEach((column, c) => {
    const start = performance.now();
    writeBlockColumn(writer, column, block.rows, FRAMING);
    perColumn[c]! += performance.now() - start;
  });
}

const hash = createHash('sha256');
encodeAll(hash); // warm-up, and the bytes' digest
const gc = (globalThis as { gc?: () => void }).gc;
perColumn.fill(0);
const perM: number[] = [];
const stopProfile = process.env.ENCODE_PROFILE ? await startCpuProfile(process.env.ENCODE_PROFILE) : undefined;
for (let round = 0; round < ROUNDS; round++) {
  gc?.();
  const cpu = process.cpuUsage();
  encodeAll();
  const used = process.cpuUsage(cpu);
  perM.push(((used.user + used.system) / 1e6 / ROWS) * 1e6);
}
await stopProfile?.();
const fmt = (x: number) => x.toFixed(3);
console.log(
  `wide ${INPUT}, ${ROWS} rows, blocks of ${BLOCK_ROWS}${DRY ? ', dry pass first' : ''}: ` +
    `median ${fmt(median(perM))} CPU s / M rows (${perM.map(fmt).join(' ')}); sha256 ${hash.digest('hex').slice(0, 16)}`,
);
if (PER_COLUMN) {
  const scale = 1 / ((ROUNDS * ROWS) / 1e6) / 1000;
  header.forEach(({ name, type }, c) =>
    console.log(`  ${(perColumn[c]! * scale).toFixed(3).padStart(7)} s / M  ${name} ${type}`),
  );
}
