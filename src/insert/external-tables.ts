/**
 * External tables: client-side data a query reads as temporary tables (`SELECT … WHERE id IN ids`, `JOIN ids USING
 * id`). After the Query packet the server reads Data packets until the empty block; each one whose packet names a
 * table is written into a temporary table of that name, created from the first block's columns
 * (TCPHandler::receiveData; docs/protocol.md §4.1). So a table is a structure and rows, sent as Data blocks with its
 * name, before the empty block that every query ends with.
 *
 * The blocks are cut and encoded by the insert core's own code (input.ts, pipeline's encodeBlockBody): row objects
 * or a columnar object, every value validated against its column's type. Everything is encoded before the query is
 * sent, so a bad name, structure or value sends nothing.
 */
import type { Block } from '../columns/block.js';
import { getCodec } from '../columns/registry.js';
import type { Compression } from '../compression/frame.js';
import { dataPacket, encodeBlockBody } from '../connection/exchange.js';
import { InvalidValueError } from '../errors.js';
import { ByteWriter } from '../protocol/writer.js';
import {
  BlockSizer,
  blocksOf,
  chunkRows,
  isColumnar,
  RowScratch,
  type ColumnarInput,
  type ColumnHeader,
  type InsertRow,
} from './input.js';
import { shiftRow } from './pipeline.js';
import { splitTopLevel } from './sql-text.js';

/** One external table of a query. */
export interface ExternalTable {
  /** The name the query uses for it (a temporary table: no database). */
  name: string;
  /** Its columns as SQL, e.g. `'id UInt64, name String'`. Give this or `columns`. */
  structure?: string;
  /** Its columns as a list, e.g. `[{ name: 'id', type: 'UInt64' }]`. Give this or `structure`. */
  columns?: ReadonlyArray<{ name: string; type: string }>;
  /** The rows: an array of row objects, or a columnar object (column name → array or TypedArray), as for insert. */
  values: readonly InsertRow[] | ColumnarInput;
}

/** A bad external table: its name, structure or a value. Nothing of the query was sent. */
export class ExternalTableError extends InvalidValueError {
  /** The external table's name, as given. */
  readonly table: string;

  constructor(table: string, reason: string, where: { column?: string; row?: number; type?: string } = {}) {
    super(reason, where);
    this.message = `External table ${JSON.stringify(table)}: ${this.message}`;
    this.table = table;
  }
}

/** Most bytes of a table or column name: the server's names are short; a huge one is a mistake, said early. */
const MAX_NAME_BYTES = 1024;

function checkName(table: string, what: string, name: unknown, column?: string): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new ExternalTableError(table, `${what} must be a non-empty string, got ${describe(name)}`, { column });
  }
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    throw new ExternalTableError(table, `${what} is longer than ${MAX_NAME_BYTES} bytes`, { column });
  }
  // A NUL cannot be part of a name the query could refer to; the server would take it as it is.
  if (name.includes('\0')) throw new ExternalTableError(table, `${what} contains a NUL character`, { column });
  return name;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  return value === null ? 'null' : typeof value;
}

/**
 * Splits `structure` ("a UInt64, b Array(Tuple(x UInt8, y String)), `c d` String") into columns: commas outside
 * brackets and quotes separate them; each is a name (maybe `backquoted`) and a type.
 */
function parseStructure(table: string, structure: string): ColumnHeader[] {
  const { parts, error } = splitTopLevel(structure);
  if (error !== undefined) throw new ExternalTableError(table, `structure has ${error}`);
  return parts.map((text, index) => {
    const match = /^(?:`((?:[^`\\]|\\.)*)`|([A-Za-z_][A-Za-z0-9_.]*))\s+(\S[\s\S]*)$/.exec(text);
    if (!match) {
      throw new ExternalTableError(table, `structure column ${index + 1} (${JSON.stringify(text)}) is not "name Type"`);
    }
    const name = match[1] !== undefined ? match[1].replace(/\\(.)/g, '$1') : match[2]!;
    return { name, type: match[3]!.trim() };
  });
}

/** The table's columns, checked: names unique, every type one this client encodes. */
function columnsOf(table: ExternalTable): ColumnHeader[] {
  const name = table.name;
  if ((table.structure === undefined) === (table.columns === undefined)) {
    throw new ExternalTableError(name, 'give its columns as `structure` (SQL) or as `columns` (a list), one of them');
  }
  let columns: ColumnHeader[];
  if (table.structure !== undefined) {
    if (typeof table.structure !== 'string' || table.structure.trim() === '') {
      throw new ExternalTableError(name, `structure must be a non-empty string, got ${describe(table.structure)}`);
    }
    columns = parseStructure(name, table.structure);
  } else {
    if (!Array.isArray(table.columns) || table.columns.length === 0) {
      throw new ExternalTableError(name, 'columns must be a non-empty array of { name, type }');
    }
    columns = table.columns.map((column: unknown, index) => {
      const { name: columnName, type } = (column ?? {}) as { name?: unknown; type?: unknown };
      checkName(name, `the name of column ${index + 1}`, columnName);
      if (typeof type !== 'string' || type.trim() === '') {
        throw new ExternalTableError(name, `the type must be a non-empty string, got ${describe(type)}`, {
          column: columnName as string,
        });
      }
      return { name: columnName as string, type: type.trim() };
    });
  }
  const seen = new Set<string>();
  for (const column of columns) {
    checkName(name, 'a column name', column.name, column.name);
    if (seen.has(column.name)) throw new ExternalTableError(name, 'the column is named twice', { column: column.name });
    seen.add(column.name);
    try {
      getCodec(column.type);
    } catch (error) {
      throw new ExternalTableError(name, `unknown or unsupported type: ${(error as Error).message}`, {
        column: column.name,
        type: column.type,
      });
    }
  }
  return columns;
}

export interface ExternalTablesEncoding {
  /** Negotiated revision (blocks are framed for it). */
  revision: number;
  compression: Compression;
  /** Most rows per block. */
  blockRows: number;
  /** About this many encoded bytes per block. */
  blockBytes: number;
}

/**
 * Checks every external table and encodes its Data packets (table name, block), in order. Throws ExternalTableError
 * (an InvalidValueError naming the table, column and row) for anything wrong, before any byte is sent.
 */
export async function encodeExternalTables(
  tables: readonly ExternalTable[],
  encoding: ExternalTablesEncoding,
): Promise<Buffer[]> {
  if (!Array.isArray(tables)) throw new InvalidValueError('external_tables must be an array of tables');
  const names = new Set<string>();
  const planned = tables.map((table: unknown, index) => {
    if (typeof table !== 'object' || table === null) {
      throw new InvalidValueError(`external_tables[${index}] must be an object { name, structure | columns, values }`);
    }
    const given = table as ExternalTable;
    const name = checkName(String(given.name), 'the table name', given.name);
    if (names.has(name)) throw new ExternalTableError(name, 'two external tables have this name');
    names.add(name);
    const columns = columnsOf(given);
    const values = given.values;
    if (!Array.isArray(values) && !isColumnar(values)) {
      throw new ExternalTableError(
        name,
        'values must be an array of row objects or a columnar object (column name → array or TypedArray)',
      );
    }
    return { name, columns, values };
  });
  const packets: Buffer[] = [];
  for (const { name, columns, values } of planned) {
    const sizer = new BlockSizer(encoding.blockRows, encoding.blockBytes);
    const scratch = new RowScratch(columns);
    let blockStart = 0;
    let sent = false;
    try {
      for (const block of blocksOf(values, columns, sizer, 0, 0, scratch)) {
        packets.push(...(await encodeBlock(encoding, name, block, blockStart, sizer)));
        blockStart += block.rows;
        sent = true;
      }
    } catch (error) {
      throw inTable(name, error);
    }
    // No rows: one empty block with the columns still creates the table, so the query can read it (and finds it empty).
    if (!sent && chunkRows(values) === 0) {
      const empty = { rows: 0, columns: columns.map(({ name: column, type }) => ({ name: column, type, values: [] })) };
      packets.push(...(await encodeBlock(encoding, name, empty, 0, sizer)));
    }
  }
  return packets;
}

async function encodeBlock(
  encoding: ExternalTablesEncoding,
  name: string,
  block: Block,
  blockStart: number,
  sizer: BlockSizer,
): Promise<Buffer[]> {
  const body = new ByteWriter(64 * 1024);
  try {
    encodeBlockBody(encoding.revision, block, body);
  } catch (error) {
    throw shiftRow(error, blockStart);
  }
  sizer.record(block.rows, body.length);
  // The body is a fresh writer per block: an uncompressed packet may reference it until it is sent.
  return dataPacket(body.finish(), encoding.compression, name);
}

/** A value error of the insert code, told as one of this table's. */
function inTable(table: string, error: unknown): unknown {
  if (error instanceof ExternalTableError || !(error instanceof InvalidValueError)) return error;
  return new ExternalTableError(table, error.reason, { column: error.column, row: error.row, type: error.type });
}
