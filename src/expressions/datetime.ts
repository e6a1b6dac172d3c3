/**
 * Calendar arithmetic in a time zone, the way ClickHouse's DateLUT does it: a Unix time maps to the wall clock of
 * the zone at that instant (DST included); a wall-clock time maps back to the earlier instant when it is
 * ambiguous. Offsets come from the runtime's Intl data, cached per 15-minute slot (every zone's transitions since
 * 1970 fall on quarter hours).
 */
import { isKnownTimeZone, wallClockToUtc, zoneOffset } from '../columns/time-zone.js';
import { UnsupportedExpressionError } from '../errors.js';

const SLOT = 900;
const offsetCache = new Map<string, Map<number, number>>();

export function checkTimeZone(tz: string): void {
  if (!isKnownTimeZone(tz)) throw new UnsupportedExpressionError(`Unknown time zone ${tz}`);
}

export const isUtc = (tz: string): boolean =>
  tz === 'UTC' || tz === 'Etc/UTC' || tz === 'GMT' || tz === 'Etc/GMT' || tz === 'Universal' || tz === 'Zulu';

/** Offset east of UTC, in seconds, at Unix time `t`. */
export function offsetAt(tz: string, t: number): number {
  if (isUtc(tz)) return 0;
  let cache = offsetCache.get(tz);
  if (!cache) offsetCache.set(tz, (cache = new Map()));
  const slot = Math.floor(t / SLOT);
  let off = cache.get(slot);
  if (off === undefined) {
    off = zoneOffset(tz, slot * SLOT);
    if (zoneOffset(tz, slot * SLOT + SLOT - 1) !== off) return zoneOffset(tz, t);
    if (cache.size > 200_000) cache.clear();
    cache.set(slot, off);
  }
  return off;
}

/** Wall-clock seconds (local time counted as if it were UTC) of Unix time `t`. */
export const localSeconds = (tz: string, t: number): number => t + offsetAt(tz, t);

/** The Unix time at which the zone's clock shows `local` (see time-zone.ts for gaps and repeats). */
export const fromLocalSeconds = (tz: string, local: number): number => (isUtc(tz) ? local : wallClockToUtc(tz, local));

export interface Civil {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const d = new Date(days * 86400000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

export function daysFromCivil(year: number, month: number, day: number): number {
  return Math.floor(Date.UTC(year, month - 1, day) / 86400000);
}

export function civilOf(tz: string, t: number): Civil {
  const local = localSeconds(tz, t);
  const days = Math.floor(local / 86400);
  const sod = local - days * 86400;
  const { year, month, day } = civilFromDays(days);
  return { year, month, day, hour: Math.floor(sod / 3600), minute: Math.floor((sod % 3600) / 60), second: sod % 60 };
}

/** The local day number (days since 1970-01-01) of Unix time `t`. */
export const dayOf = (tz: string, t: number): number => Math.floor(localSeconds(tz, t) / 86400);

/** The Unix time of the start of local day `days`. */
export const startOfDay = (tz: string, days: number): number => fromLocalSeconds(tz, days * 86400);

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));
const pad4 = (n: number): string => String(n).padStart(4, '0');

export function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days);
  return `${pad4(year)}-${pad2(month)}-${pad2(day)}`;
}

export function formatDateTime(tz: string, t: number): string {
  const c = civilOf(tz, t);
  return `${pad4(c.year)}-${pad2(c.month)}-${pad2(c.day)} ${pad2(c.hour)}:${pad2(c.minute)}:${pad2(c.second)}`;
}

export { isKnownTimeZone };
