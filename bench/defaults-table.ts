/** The bench table with heavy MATERIALIZED columns (bench/defaults.ts) and its input rows. */
import type { ColumnarInput } from '../src/index.js';

export const DEFAULTS_SCHEMA = `(
  id UInt64,
  ts DateTime,
  user_id UInt32,
  event String,
  url String,
  payload String,
  browser String MATERIALIZED extract(payload, '"browser":"([^"]*)"'),
  country String MATERIALIZED extract(payload, '"country":"([^"]*)"'),
  plan String MATERIALIZED extract(payload, '"plan":"([^"]*)"'),
  row_hash UInt64 MATERIALIZED cityHash64(id, user_id, event, url),
  url_pattern String MATERIALIZED replaceRegexpAll(url, '[0-9]+', 'N'),
  event_lower String MATERIALIZED lower(event),
  day Date MATERIALIZED toDate(ts)
) ENGINE = MergeTree ORDER BY id`;

export function defaultsData(rows: number): ColumnarInput {
  const id = new BigUint64Array(rows);
  const ts = new Uint32Array(rows);
  const user = new Uint32Array(rows);
  const event: string[] = new Array(rows);
  const url: string[] = new Array(rows);
  const payload: string[] = new Array(rows);
  const events = ['page_view', 'Sign_Up', 'purchase', 'Click'];
  const browsers = ['Chrome', 'Firefox', 'Safari', 'Edge'];
  const countries = ['DE', 'US', 'FR', 'JP', 'BR'];
  for (let i = 0; i < rows; i++) {
    id[i] = BigInt(i);
    ts[i] = 1_700_000_000 + i;
    user[i] = (i * 7919) % 100_000;
    event[i] = events[i & 3]!;
    url[i] = `https://shop.example.com/p/${i % 5000}/item/${i}?ref=${i % 97}`;
    payload[i] = `{"browser":"${browsers[i & 3]}","country":"${countries[i % 5]}","plan":"p${i % 3}","n":${i}}`;
  }
  return { id, ts, user_id: user, event, url, payload };
}
