/**
 * Wall-clock time in a named time zone ↔ Unix seconds, through the runtime's Intl time-zone data (DST included).
 * Used when a DateTime('tz') column is given a date-time string without an offset.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    // Throws RangeError for a zone the runtime does not know.
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True when the runtime knows the zone. */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's UTC offset in seconds at the instant `utcSeconds` (east of Greenwich is positive). */
export function zoneOffset(timeZone: string, utcSeconds: number): number {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(utcSeconds * 1000)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const wallClock =
    Date.UTC(fields.year!, fields.month! - 1, fields.day!, fields.hour!, fields.minute!, fields.second!) / 1000;
  return wallClock - utcSeconds;
}

const DAY = 86400;
const HOUR = 3600;
/** Per zone: wall-clock hour (local seconds / 3600) → the offset valid through that whole hour. */
const hourOffsets = new Map<string, Map<number, number>>();
const MAX_CACHED_HOURS = 100_000;

/**
 * The instant at which the zone's clocks show `localSeconds` (wall-clock time counted as if it were UTC).
 * Like ClickHouse (checked against 26.7: toDateTime('2021-10-31 02:30:00', 'Europe/Berlin') and a spring-forward
 * gap), a time that occurs twice gives the earlier instant, and a time skipped by a forward jump is read with the
 * offset from after the jump, which is also the earlier of the two candidates.
 * Assumes, as every zone does since 1970, that no two transitions are less than a day apart.
 */
export function wallClockToUtc(timeZone: string, localSeconds: number): number {
  let cache = hourOffsets.get(timeZone);
  if (!cache) hourOffsets.set(timeZone, (cache = new Map()));
  const hour = Math.floor(localSeconds / HOUR);
  const cached = cache.get(hour);
  if (cached !== undefined) return localSeconds - cached;

  const start = hour * HOUR;
  const before = zoneOffset(timeZone, start - DAY);
  const after = zoneOffset(timeZone, start + HOUR + DAY);
  if (
    before === after &&
    zoneOffset(timeZone, start - before) === before &&
    zoneOffset(timeZone, start + HOUR - before) === before
  ) {
    // No transition near this hour: every wall-clock time in it has the one offset.
    if (cache.size >= MAX_CACHED_HOURS) cache.clear();
    cache.set(hour, before);
    return localSeconds - before;
  }
  const candidates = [localSeconds - before, localSeconds - after].sort((a, b) => a - b);
  for (const t of candidates) if (zoneOffset(timeZone, t) === localSeconds - t) return t;
  return candidates[0]!;
}
