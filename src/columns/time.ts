/**
 * Time and Time64(p) (docs/protocol.md §6.2): a signed time of day or duration, -999:59:59 to 999:59:59.
 * Time: Int32 seconds. Time64(p): Int64 ticks of 10^-p seconds (p = 0…9).
 *
 * Read: the text ClickHouse prints, lossless: '12:34:56', '-01:00:00', '999:59:59', and for Time64(p) exactly p
 * fraction digits, '-00:00:01.500'.
 * Write: that text (hours of any width, fraction digits up to p; 'hh:mm' allowed), a number of seconds (an
 * integer for Time, up to p decimal places for Time64), or a bigint (seconds for Time, raw ticks for Time64).
 */
import { InvalidValueError } from '../errors.js';
import type { ByteReader } from '../protocol/reader.js';
import type { ByteWriter } from '../protocol/writer.js';
import { BaseCodec, ZERO, type ColumnCodec, type ColumnValues } from './codec.js';
import { parseDecimal } from './decimal.js';
import { badType, expectNoArgs, integerArg, type CodecFactory } from './factory.js';
import { describe } from './values.js';

const TIME_TEXT = /^([+-])?(\d+):(\d{2})(?::(\d{2})(?:\.(\d+))?)?$/;
const MAX_SECONDS = 1000 * 3600 - 1;

function formatSeconds(negative: boolean, seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor(seconds / 60) % 60;
  const s = seconds % 60;
  const text = `${h < 10 ? '0' : ''}${h}:${m < 10 ? '0' : ''}${m}:${s < 10 ? '0' : ''}${s}`;
  return negative ? `-${text}` : text;
}

export class TimeCodec extends BaseCodec implements ColumnCodec {
  override readonly flat = true;
  /** Bytes per row: 4 for Time, 8 for Time64. */
  private readonly size: number;
  private readonly perSecond: bigint;
  private readonly maxTicks: bigint;

  constructor(
    readonly type: string,
    /** undefined for Time, p for Time64(p). */
    readonly precision: number | undefined,
  ) {
    super();
    this.size = precision === undefined ? 4 : 8;
    this.perSecond = 10n ** BigInt(precision ?? 0);
    this.maxTicks = (BigInt(MAX_SECONDS) + 1n) * this.perSecond - 1n;
  }

  async read(reader: ByteReader, rows: number): Promise<string[]> {
    const size = this.size;
    const buf = await reader.take(rows * size);
    let pos = 0;
    const out = new Array<string>(rows);
    const p = this.precision;
    if (p === undefined) {
      for (let i = 0; i < rows; i++, pos += 4) {
        const v = buf.readInt32LE(pos);
        out[i] = formatSeconds(v < 0, Math.abs(v));
      }
    } else {
      const perSecond = this.perSecond;
      for (let i = 0; i < rows; i++, pos += 8) {
        const ticks = buf.readBigInt64LE(pos);
        const abs = ticks < 0n ? -ticks : ticks;
        const whole = formatSeconds(ticks < 0n, Number(abs / perSecond));
        out[i] = p === 0 ? whole : `${whole}.${(abs % perSecond).toString().padStart(p, '0')}`;
      }
    }
    return out;
  }

  write(writer: ByteWriter, values: ColumnValues, rows: number): void {
    const size = this.size;
    const region = writer.claim(rows * size);
    for (let i = 0; i < rows; i++) {
      const ticks = this.ticks(values[i], i);
      if (size === 4) region.writeInt32LE(Number(ticks), i * 4);
      else region.writeBigInt64LE(ticks, i * 8);
    }
  }

  private ticks(v: unknown, row: number): bigint {
    const p = this.precision ?? 0;
    let ticks: bigint;
    if (typeof v === 'string') {
      const m = TIME_TEXT.exec(v);
      const fraction = m?.[5] ?? '';
      if (!m || Number(m[3]) > 59 || Number(m[4] ?? 0) > 59) {
        throw new InvalidValueError(`${describe(v)} is not a time as '[-]hh:mm:ss${p > 0 ? '.fff' : ''}'`, { row });
      }
      if (/[^0]/.test(fraction.slice(p))) {
        throw new InvalidValueError(`${describe(v)} has more than ${p} fraction digits (${this.type})`, { row });
      }
      const seconds = BigInt(m[2]!) * 3600n + BigInt(m[3]!) * 60n + BigInt(m[4] ?? 0);
      const abs = seconds * this.perSecond + (p > 0 ? BigInt(fraction.slice(0, p).padEnd(p, '0')) : 0n);
      ticks = m[1] === '-' ? -abs : abs;
    } else if (typeof v === 'number') {
      const parsed = Number.isFinite(v) ? parseDecimal(String(v), p) : `${v} is not a finite number of seconds`;
      if (typeof parsed === 'string') throw new InvalidValueError(`${parsed} (seconds for ${this.type})`, { row });
      ticks = parsed;
    } else if (typeof v === 'bigint') {
      ticks = v;
    } else if (v === ZERO) {
      return 0n;
    } else {
      throw new InvalidValueError(`expected a time string, a number of seconds or a bigint, got ${describe(v)}`, {
        row,
      });
    }
    if (ticks > this.maxTicks || ticks < -this.maxTicks) {
      throw new InvalidValueError(`${describe(v)} is outside the ${this.type} range -999:59:59 to 999:59:59`, { row });
    }
    return ticks;
  }
}

export const timeFamily: CodecFactory = (node, type) => {
  expectNoArgs(node, type);
  return new TimeCodec(type, undefined);
};

export const time64Family: CodecFactory = (node, type) => {
  if (node.args.length !== 1) throw badType(type, 'Time64 takes one argument, the precision: Time64(3)');
  return new TimeCodec(type, integerArg(node, type, 0, 0, 9));
};
