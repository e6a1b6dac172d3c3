/**
 * A streamed insert's blocks, built as its chunks arrive. Each chunk's values are encoded into the block's
 * per-column builders right away, so the application's row objects, strings, Dates and bigints die young (in V8's
 * new space) instead of being held for a whole block: gathering 100 000 row objects before encoding them kept
 * them alive across scavenges, V8 promoted them, and the old generation filled with dead rows until a full
 * collection (measured: 600 MiB of heap for a 8 MiB block of application rows). Only the encoded bytes of the
 * block being built are held, plus the values of columns whose encoding cannot be appended to (below).
 *
 * A column of a flat type (numbers, strings, dates, UUIDs, enums, decimals...) is encoded chunk by chunk into its
 * own ByteWriter: its Native body for rows [a, c) is its body for [a, b) followed by its body for [b, c), and it
 * has no state prefix (docs/protocol.md §6.1). Other columns (Nullable's null map comes before its values,
 * Array's offsets before its elements, LowCardinality's dictionary covers the block...) keep their values, taken
 * out of the row objects, and are encoded when the block is complete. When a block is complete its body is
 * assembled in the pipeline's body writer: the block start, then per column its name, type and bytes.
 */
import type { BlockColumn } from '../columns/block.js';
import { writeBlockColumn, writeBlockStart, writeColumnStart } from '../columns/block.js';
import type { ColumnValues, ColumnCodec } from '../columns/codec.js';
import { getCodec } from '../columns/registry.js';
import { InvalidValueError } from '../errors.js';
import { ByteWriter } from '../protocol/writer.js';
import { columnarInputs, RowScratch, type ColumnarInput, type ColumnHeader, type InsertRow } from './input.js';
import type { BlockPipeline } from './pipeline.js';

/**
 * The codec of a type whose Native body can be written in pieces (`ColumnCodec.flat`: no state prefix, and the
 * body of rows is the bodies of their parts one after another), else undefined: a nested or stateful type is
 * encoded from its values per block. A type the registry does not know is left to the block encoder, which names it.
 */
function appendableCodec(type: string): ColumnCodec | undefined {
  try {
    const codec = getCodec(type);
    return codec.flat ? codec : undefined;
  } catch {
    return undefined;
  }
}

interface ColumnBuilder {
  header: ColumnHeader;
  /** The column's encoded rows so far (appendable types). */
  bytes: ByteWriter | undefined;
  codec: ColumnCodec | undefined;
  /** The column's values so far (other types), encoded when the block is complete. */
  values: unknown[] | undefined;
}

export class StreamBlockBuilder {
  /** Rows in the block being built. */
  rows = 0;
  private readonly columns: ColumnBuilder[];
  private readonly scratch: RowScratch;

  constructor(
    private readonly header: readonly ColumnHeader[],
    private readonly revision: number,
  ) {
    this.scratch = new RowScratch(header);
    this.columns = header.map((column) => {
      // Flat types are the same in every serialization version (only Dynamic and JSON differ).
      const codec = appendableCodec(column.type);
      return {
        header: column,
        bytes: codec ? new ByteWriter(64 * 1024) : undefined,
        codec,
        values: codec ? undefined : [],
      };
    });
  }

  /** Encoded bytes of the appendable columns so far (the rest is counted when the block is encoded). */
  get bytes(): number {
    let total = 0;
    for (const column of this.columns) if (column.bytes) total += column.bytes.length;
    return total;
  }

  /**
   * Adds rows [start, end) of a chunk to the block. `insertRow` is the insert-relative number of the chunk's first
   * row, for errors: a bad value throws InvalidValueError naming its column and that row, before any of this block
   * goes out.
   */
  add(chunk: readonly InsertRow[] | ColumnarInput, start: number, end: number, insertRow: number): void {
    const count = end - start;
    if (count <= 0) return;
    let values: ColumnValues[];
    if (Array.isArray(chunk)) {
      const block = this.scratch.block(chunk as readonly InsertRow[], start, end, insertRow);
      values = block.columns.map((column) => column.values);
    } else {
      const inputs = columnarInputs(chunk as ColumnarInput, this.header, insertRow).inputs;
      values = inputs.map((input, c) => this.scratch.slice(c, input, start, end));
    }
    const firstRow = insertRow + start;
    for (let c = 0; c < this.columns.length; c++) {
      const column = this.columns[c]!;
      const from = values[c]!;
      if (column.bytes) {
        try {
          column.codec!.write(column.bytes, from, count);
        } catch (error) {
          if (error instanceof InvalidValueError) {
            throw new InvalidValueError(error.reason, {
              column: column.header.name,
              row: error.row === undefined ? undefined : firstRow + error.row,
              type: column.header.type,
            });
          }
          throw error;
        }
      } else {
        const held = column.values!;
        for (let i = 0, at = this.rows; i < count; i++, at++) held[at] = from[i];
      }
    }
    this.rows += count;
  }

  /** Hands the block built so far to the pipeline (which encodes the rest of it into its body) and starts the next. */
  async flush(pipeline: BlockPipeline): Promise<void> {
    const rows = this.rows;
    if (rows === 0) return;
    const framing = { blockInfo: true, revision: this.revision };
    await pipeline.pushBody(rows, (body) => {
      body.reset();
      writeBlockStart(body, this.columns.length, rows, framing);
      for (const column of this.columns) {
        if (column.bytes) {
          writeColumnStart(body, column.header.name, column.header.type, framing);
          body.bytes(column.bytes.view());
        } else {
          const values: BlockColumn = { ...column.header, values: column.values! };
          writeBlockColumn(body, values, rows, framing);
        }
      }
      this.rows = 0;
      for (const column of this.columns) {
        column.bytes?.reset();
        // The values go with the block: nothing of it stays reachable from here.
        if (column.values) column.values.length = 0;
      }
    });
  }
}
