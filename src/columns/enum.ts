/**
 * Enum8 / Enum16 (docs/protocol.md §6.2): the Int8 / Int16 value per row; the name ↔ value mapping is in the type name,
 * `Enum8('a\'b' = 1, 'c' = -2)`.
 *
 * Read: the entry's name. A value with no entry reads as its number: ClickHouse leaves 0 under the NULLs of a
 * Nullable(Enum) even when 0 names nothing, and Nullable replaces those with null anyway.
 * Write: an entry's name or an entry's numeric value; anything else is an error.
 */
import { InvalidValueError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { badType, type CodecFactory } from './factory.js';
import type { TypeNode } from './type-parser.js';
import { describe } from './values.js';

export interface EnumEntry {
  name: string;
  value: number;
}

export class EnumCodec extends BaseCodec implements ColumnCodec {
  override readonly flat = true;
  private readonly size: 1 | 2;
  private readonly min: number;
  /** Names by value - min (undefined where no entry has that value). */
  private readonly names: (string | undefined)[];
  private readonly values = new Map<string, number>();

  constructor(
    readonly type: string,
    bits: 8 | 16,
    readonly entries: readonly EnumEntry[],
  ) {
    super();
    this.size = bits === 8 ? 1 : 2;
    const lowest = bits === 8 ? -0x80 : -0x8000;
    const highest = bits === 8 ? 0x7f : 0x7fff;
    let min = Infinity;
    let max = -Infinity;
    const seen = new Set<number>();
    for (const { name, value } of entries) {
      if (!Number.isInteger(value) || value < lowest || value > highest) {
        throw badType(type, `the value ${value} of '${name}' does not fit Enum${bits}`);
      }
      if (this.values.has(name)) throw badType(type, `the name '${name}' appears twice`);
      if (seen.has(value)) throw badType(type, `the value ${value} appears twice`);
      this.values.set(name, value);
      seen.add(value);
      min = Math.min(min, value);
      max = Math.max(max, value);
    }
    this.min = entries.length > 0 ? min : 0;
    this.names = new Array<string | undefined>(entries.length > 0 ? max - min + 1 : 0).fill(undefined);
    for (const { name, value } of entries) this.names[value - this.min] = name;
  }

  async read(reader: ByteReader, rows: number): Promise<(string | number)[]> {
    const buf = await reader.take(rows * this.size);
    let pos = 0;
    const names = this.names;
    const min = this.min;
    const out = new Array<string | number>(rows);
    if (this.size === 1) {
      for (let i = 0; i < rows; i++, pos++) {
        const value = (buf[pos]! << 24) >> 24;
        out[i] = names[value - min] ?? value;
      }
    } else {
      for (let i = 0; i < rows; i++, pos += 2) {
        const value = ((buf[pos]! | (buf[pos + 1]! << 8)) << 16) >> 16;
        out[i] = names[value - min] ?? value;
      }
    }
    return out;
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number): void {
    const region = writer.claim(rows * this.size);
    const wide = this.size === 2;
    for (let i = 0; i < rows; i++) {
      const v = values[i];
      let value: number | undefined;
      if (typeof v === 'string') value = this.values.get(v);
      else if (typeof v === 'number') value = this.names[v - this.min] !== undefined ? v : undefined;
      else if (v === ZERO) value = 0;
      if (value === undefined) {
        throw new InvalidValueError(
          typeof v === 'string' || typeof v === 'number'
            ? `${JSON.stringify(v)} is not an entry of ${this.type}`
            : `expected an entry name or value of ${this.type}, got ${describe(v)}`,
          { row: i },
        );
      }
      if (wide) {
        region[2 * i] = value & 0xff;
        region[2 * i + 1] = (value >> 8) & 0xff;
      } else {
        region[i] = value & 0xff;
      }
    }
  }
}

/** Entries from the type's arguments: all `'name' = value`, or all bare names numbered from 1 (as in DDL). */
function enumEntries(node: TypeNode, type: string): EnumEntry[] {
  if (node.args.every((arg) => arg.kind === 'enum')) {
    return node.args.map((arg) => (arg.kind === 'enum' ? { name: arg.name, value: arg.value } : undefined)!);
  }
  if (node.args.every((arg) => arg.kind === 'string')) {
    return node.args.map((arg, i) => ({ name: arg.kind === 'string' ? arg.value : '', value: i + 1 }));
  }
  throw badType(type, `${node.name} arguments must be 'name' = value entries`);
}

export function enumFamily(bits: 8 | 16): CodecFactory {
  return (node, type) => {
    if (node.args.length === 0) throw badType(type, `${node.name} needs at least one entry`);
    return new EnumCodec(type, bits, enumEntries(node, type));
  };
}
