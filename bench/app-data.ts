/**
 * Application-shaped rows: what an application holds when it inserts, unlike bench/data.ts's friendly chunks.
 * Every url is unique and built at run time (a template literal per row, about 45 characters, so V8 holds it as a
 * rope until something flattens it), timestamps are Date objects, ids are bigints, and the rows are either plain
 * objects (one per row) or one columnar object for the whole insert. Each call makes fresh values, so no run
 * finds strings another run already flattened.
 *
 *   table: id UInt64, ts DateTime, user_id UInt32, event String, url String, value Float64
 *   rows:    { id: 17n, ts: new Date(...), user_id: 48213, event: 'click', url: 'https://shop.example.com/...', value: 12.5 }
 *   columns: { id: BigUint64Array, ts: Date[], user_id: Uint32Array, event: string[], url: string[], value: Float64Array }
 */
import type { ColumnarInput, InsertRow } from '../src/index.js';

export const APP_COLUMNS = 'id UInt64, ts DateTime, user_id UInt32, event String, url String, value Float64';
const EVENTS = ['view', 'click', 'purchase', 'signup', 'logout'];
const TS0_MS = Date.UTC(2026, 0, 1);
const SECTIONS = ['item', 'cart', 'search', 'checkout', 'account', 'help', 'blog'];

/** A unique url for row n (45-52 characters, ASCII): a path segment, the row number and a pseudo-random session. */
function url(n: number, salt: number): string {
  const session = (Math.imul(n ^ salt, 2_654_435_761) >>> 0).toString(36);
  return `https://shop.example.com/${SECTIONS[n % 7]}/${n}?s=${session}&p=${n % 97}`;
}

function userId(n: number): number {
  return (n * 2_654_435_761) % 1_000_003;
}

/** `rows` row objects with bigint ids, Date timestamps and unique urls. `salt` makes the urls differ per call. */
export function appRows(rows: number, salt = 0): InsertRow[] {
  const out = new Array<InsertRow>(rows);
  for (let n = 0; n < rows; n++) {
    out[n] = {
      id: BigInt(n),
      ts: new Date(TS0_MS + (n % 86_400) * 1000),
      user_id: userId(n),
      event: EVENTS[n % 5]!,
      url: url(n, salt),
      value: (n % 10_000) / 100,
    };
  }
  return out;
}

/** The same rows as one columnar object. */
export function appColumns(rows: number, salt = 0): ColumnarInput {
  const id = new BigUint64Array(rows);
  const ts = new Array<Date>(rows);
  const user = new Uint32Array(rows);
  const event = new Array<string>(rows);
  const urls = new Array<string>(rows);
  const value = new Float64Array(rows);
  for (let n = 0; n < rows; n++) {
    id[n] = BigInt(n);
    ts[n] = new Date(TS0_MS + (n % 86_400) * 1000);
    user[n] = userId(n);
    event[n] = EVENTS[n % 5]!;
    urls[n] = url(n, salt);
    value[n] = (n % 10_000) / 100;
  }
  return { id, ts, user_id: user, event, url: urls, value };
}
