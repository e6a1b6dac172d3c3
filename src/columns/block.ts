/**
 * Native blocks (docs/protocol.md §3.7): [BlockInfo] VarUInt columns, VarUInt rows, then per column its name, its type,
 * [has_custom_serialization (rev >= 54454)] and, when rows > 0, the column's state prefix and data.
 */
import { readColumn, writeColumn, type ColumnValues } from './codec.js';
import { readSerializationInfo, serializedCodec } from './custom-serialization.js';
import { getCodec } from './registry.js';
import { readLazyStrings, StringCodec } from './string.js';
import { InvalidValueError, ProtocolError } from '../errors.js';
import { capExceeded, type ByteReader } from '../protocol/reader.js';
import { Feature } from '../protocol/revision.js';
import type { ByteWriter } from '../protocol/writer.js';

export interface BlockColumn {
  name: string;
  /** The ClickHouse type name, e.g. `Nullable(String)`. */
  type: string;
  /** One value per row: a TypedArray for fixed-width numbers, else an array of JS values (README, "Type mapping"). */
  values: ColumnValues;
}

export interface BlockInfo {
  /** Set on the overflow row of GROUP BY ... WITH TOTALS under max_rows_to_group_by. */
  isOverflows: boolean;
  /** Two-level aggregation bucket, -1 when not bucketed. */
  bucketNum: number;
  /**
   * Buckets of a two-level aggregation that a server sends out of order to another server (from revision 54480,
   * where every block has the field; empty for a client's queries).
   */
  outOfOrderBuckets?: number[];
}

export interface Block {
  rows: number;
  columns: BlockColumn[];
  info?: BlockInfo;
}

/** How a block is framed: over TCP it has BlockInfo and (from 54454) custom-serialization bytes; FORMAT Native has neither. */
export interface BlockFraming {
  blockInfo: boolean;
  /** The negotiated revision that gates the per-column custom-serialization byte; 0 for FORMAT Native. */
  revision: number;
}

export interface BlockLimits {
  /** NativeReader's own sanity limit is 1,000,000 columns. */
  maxColumns: number;
  /** Rows per block accepted from the wire. */
  maxRows: number;
}

export const DEFAULT_BLOCK_LIMITS: BlockLimits = { maxColumns: 1_000_000, maxRows: 1 << 30 };

const BLOCK_INFO_FIELD_END = 0;
const BLOCK_INFO_FIELD_OVERFLOWS = 1;
const BLOCK_INFO_FIELD_BUCKET = 2;
const BLOCK_INFO_FIELD_OUT_OF_ORDER_BUCKETS = 3;
/** ClickHouse's own cap (BlockInfo::read): a two-level aggregation has 256 buckets. */
const MAX_OUT_OF_ORDER_BUCKETS = 65536;

/** What clients send: is_overflows = false, bucket_num = -1, end. */
const CLIENT_BLOCK_INFO = Buffer.from([0x01, 0x00, 0x02, 0xff, 0xff, 0xff, 0xff, 0x00]);
/** From 54480 BlockInfo::write adds field 3, the (empty) out-of-order buckets, as ClickHouse's own client sends it. */
const CLIENT_BLOCK_INFO_54480 = Buffer.from([0x01, 0x00, 0x02, 0xff, 0xff, 0xff, 0xff, 0x03, 0x00, 0x00]);

function hasCustomSerializationByte(framing: BlockFraming): boolean {
  return framing.revision >= Feature.CUSTOM_SERIALIZATION;
}

/**
 * `lazyStrings`: top-level String columns become LazyStringColumns (decoded as their rows are made, see string.ts):
 * only for the row iterator, which knows them; their `values` decodes the whole column for anything else.
 */
export async function readBlock(
  reader: ByteReader,
  framing: BlockFraming,
  limits: BlockLimits = DEFAULT_BLOCK_LIMITS,
  lazyStrings = false,
): Promise<Block> {
  const header = await reader.atomic(() => {
    let info: BlockInfo | undefined;
    if (framing.blockInfo) {
      info = { isOverflows: false, bucketNum: -1 };
      for (;;) {
        const field = reader.varUInt();
        if (field === BLOCK_INFO_FIELD_END) break;
        if (field === BLOCK_INFO_FIELD_OVERFLOWS) info.isOverflows = reader.u8() !== 0;
        else if (field === BLOCK_INFO_FIELD_BUCKET) info.bucketNum = reader.i32();
        else if (
          field === BLOCK_INFO_FIELD_OUT_OF_ORDER_BUCKETS &&
          framing.revision >= Feature.OUT_OF_ORDER_BUCKETS_IN_AGGREGATION
        ) {
          const count = reader.varUInt();
          if (count > MAX_OUT_OF_ORDER_BUCKETS) {
            throw new ProtocolError(
              `BlockInfo claims ${count} out-of-order buckets; at most ${MAX_OUT_OF_ORDER_BUCKETS} are accepted`,
            );
          }
          const bytes = reader.view(count * 4);
          info.outOfOrderBuckets = Array.from({ length: count }, (_, i) => bytes.readInt32LE(i * 4));
        } else throw new ProtocolError(`Unknown BlockInfo field ${field} at byte ${reader.offset}`);
      }
    }
    const columns = reader.varUInt();
    const rows = reader.varUInt();
    return { info, columns, rows };
  });
  if (header.columns > limits.maxColumns) {
    throw capExceeded(`Block claims ${header.columns} columns`, limits.maxColumns, 'max_block_columns');
  }
  if (header.rows > limits.maxRows) {
    throw capExceeded(`Block claims ${header.rows} rows`, limits.maxRows, 'max_block_rows');
  }
  const customByte = hasCustomSerializationByte(framing);
  const columns: BlockColumn[] = [];
  for (let i = 0; i < header.columns; i++) {
    const { name, type, custom } = await reader.atomic(() => {
      const name = reader.string();
      const type = reader.string();
      const custom = customByte && reader.u8() !== 0;
      return { name, type, custom };
    });
    // Before parsing: the type parser and the codec factories recurse once per level.
    checkTypeNesting(name, type, reader.limits.maxNestingDepth);
    let codec = getCodec(type);
    if (custom) {
      // The kinds (sparse, replicated) the server serialized this column with (docs/protocol.md §6.18).
      try {
        const info = await reader.atomic(() => readSerializationInfo(reader, codec));
        codec = serializedCodec(codec, info, framing.revision);
      } catch (error) {
        if (error instanceof ProtocolError)
          throw new ProtocolError(`Column "${name}": ${error.message}`, { cause: error });
        throw error;
      }
    }
    if (lazyStrings && codec instanceof StringCodec && header.rows > 0) {
      columns.push(await readLazyStrings(reader, name, type, header.rows));
      continue;
    }
    const values: ColumnValues = header.rows > 0 ? await readColumn(reader, codec, header.rows) : [];
    columns.push({ name, type, values });
  }
  return header.info ? { rows: header.rows, columns, info: header.info } : { rows: header.rows, columns };
}

/**
 * Refuses a type name nested deeper than `cap` parentheses (quoted literals do not count), e.g. a hostile
 * `Array(Array(Array(...)))` that would exhaust the stack of the recursive parser and codec factories.
 */
export function checkTypeNesting(column: string, type: string, cap: number): void {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < type.length; i++) {
    const c = type.charCodeAt(i);
    if (c === 0x28 /* ( */) {
      if (++depth > deepest) deepest = depth;
    } else if (c === 0x29 /* ) */) {
      depth--;
    } else if (c === 0x27 /* ' */ || c === 0x60 /* ` */ || c === 0x22 /* " */) {
      // Skip a quoted literal (backslash escapes; a doubled quote is two literals back to back, same depth).
      for (i++; i < type.length && type.charCodeAt(i) !== c; i++) if (type.charCodeAt(i) === 0x5c) i++;
    }
  }
  if (deepest > cap) {
    const name = column.length > 64 ? `${column.slice(0, 64)}...` : column;
    throw capExceeded(`The type of column "${name}" nests ${deepest} levels deep`, cap, 'max_type_nesting_depth');
  }
}

/**
 * Encodes a block. Values are validated while they are written: a bad value throws InvalidValueError naming the
 * column and row, and the caller discards the writer, so nothing half-encoded is ever sent.
 */
export function writeBlock(writer: ByteWriter, block: Block, framing: BlockFraming): void {
  writeBlockStart(writer, block.columns.length, block.rows, framing);
  for (const column of block.columns) writeBlockColumn(writer, column, block.rows, framing);
}

/** One column of a block: its name and type, then its first `rows` values (a bad one throws, naming the column). */
export function writeBlockColumn(writer: ByteWriter, column: BlockColumn, rows: number, framing: BlockFraming): void {
  writeColumnStart(writer, column.name, column.type, framing);
  if (rows === 0) return;
  // Dynamic and JSON are written in the serialization the revision implies (V1 in FORMAT Native, where it is 0).
  const codec = getCodec(column.type, framing.revision >= Feature.V2_DYNAMIC_AND_JSON_SERIALIZATION ? 'v2' : 'v1');
  if (column.values.length < rows) {
    throw new InvalidValueError(`the column has ${column.values.length} values but the block has ${rows} rows`, {
      column: column.name,
      type: column.type,
    });
  }
  try {
    // The prefix is planned from the values (Dynamic's types, JSON's paths), so bad values can throw there too.
    writeColumn(writer, codec, column.values, rows);
  } catch (error) {
    if (error instanceof InvalidValueError && error.column === undefined) {
      throw new InvalidValueError(error.reason, { column: column.name, row: error.row, type: column.type });
    }
    throw error;
  }
}

/** What comes before a block's columns: its BlockInfo (where the framing has one), column count and row count. */
export function writeBlockStart(writer: ByteWriter, columns: number, rows: number, framing: BlockFraming): void {
  if (framing.blockInfo) {
    writer.bytes(
      framing.revision >= Feature.OUT_OF_ORDER_BUCKETS_IN_AGGREGATION ? CLIENT_BLOCK_INFO_54480 : CLIENT_BLOCK_INFO,
    );
  }
  writer.varUInt(columns);
  writer.varUInt(rows);
}

/**
 * What comes before a column's prefix and body: its name, its type, and (from the revision that has it) the
 * custom-serialization byte, 0: we always send the plain serialization.
 */
export function writeColumnStart(writer: ByteWriter, name: string, type: string, framing: BlockFraming): void {
  writer.string(name);
  writer.string(type);
  if (hasCustomSerializationByte(framing)) writer.u8(0);
}

/** The empty block (0 columns, 0 rows) that ends external tables and INSERT data. */
export function writeEmptyBlock(writer: ByteWriter, framing: BlockFraming): void {
  writeBlock(writer, { rows: 0, columns: [] }, framing);
}
