/**
 * Client-side defaults through the public client, on tables modelled on public schemas (within what 18.16 has: no
 * Map, no DateTime64, no JSONExtract*): the same rows inserted once with `defaults: 'client'` and once with
 * `defaults: 'server'` must leave identical table contents, MATERIALIZED and DEFAULT columns included.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidValueError } from '../../src/index.js';
import { planDefaults, UncomputableDefaultError } from '../../src/defaults/plan.js';
import { parseTableColumns } from '../../src/defaults/table-columns.js';
import { admin, clientFor } from '../client/helpers.js';
import { twoTables as twoTablesOf } from './defaults-helpers.js';

const tables: string[] = [];
afterAll(async () => {
  for (const t of tables) await admin(`DROP TABLE IF EXISTS ${t}`);
});

/** Every stored column (MATERIALIZED included, ALIAS too: it reads the stored ones), in table order. */
async function contents(table: string, orderBy: string): Promise<string> {
  const names = (
    await admin(
      `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = '${table}' FORMAT TabSeparated`,
    )
  )
    .split('\n')
    .filter((n) => n !== '');
  return admin(
    `SELECT ${names.map((n) => '`' + n + '`').join(', ')} FROM ${table} ORDER BY ${orderBy} FORMAT TabSeparated`,
  );
}

/** Rows grouped by the columns (of `columns`, or of all rows' keys) they give a value for. */
export function groupByKeys(
  rows: Record<string, unknown>[],
  columns?: string[],
): Map<string[], Record<string, unknown>[]> {
  const groups = new Map<string, { keys: string[]; rows: Record<string, unknown>[] }>();
  for (const row of rows) {
    const keys = (columns ?? Object.keys(row)).filter((k) => row[k] !== undefined);
    const id = keys.join('\0');
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { keys, rows: [] }));
    g.rows.push(row);
  }
  return new Map(
    [...groups.values()].map((g) => [g.keys, g.rows.map((r) => Object.fromEntries(g.keys.map((k) => [k, r[k]])))]),
  );
}

const twoTables = (prefix: string, schema: string) => twoTablesOf(prefix, schema, tables);

/** Inserts `rows` with client-side and with server-side defaults; returns both contents. */
async function compare(
  prefix: string,
  schema: string,
  rows: Record<string, unknown>[],
  orderBy: string,
  columns?: string[],
): Promise<void> {
  const [clientTable, serverTable] = await twoTables(prefix, schema);
  const client = clientFor();
  try {
    const result = await client.insert({ table: clientTable, values: rows, columns, defaults: 'client' });
    // Everything was computed on the client: nothing left to the server.
    const plan = planDefaults(parseTableColumns(result.table_columns!), columns ?? Object.keys(rows[0]!), {
      timezone: 'UTC',
    });
    expect([...plan.leftToServer.keys()]).toEqual([]);
    expect(plan.sendsMaterialized).toBe(true);
    // The server computes a DEFAULT only for a column the INSERT leaves out: rows go in groups by the keys they give.
    for (const [keys, group] of groupByKeys(rows, columns)) {
      await client.insert({ table: serverTable, values: group, columns: keys, defaults: 'server' });
    }
  } finally {
    await client.close();
  }
  const ours = await contents(clientTable, orderBy);
  const theirs = await contents(serverTable, orderBy);
  expect(ours.split('\n').length).toBe(rows.length + 1);
  expect(ours).toEqual(theirs);
}

const NS = 1_000_000_000n;
const base = Date.UTC(2024, 2, 31, 0, 30); // around the Europe/Berlin spring DST switch

// OpenTelemetry exporter's otel_logs, as 18.16 can hold it: DateTime64(9) → UInt64 nanoseconds, Map → key/value arrays.
const otelLogs = `(
  Timestamp UInt64,
  TimestampTime DateTime DEFAULT toDateTime(intDiv(Timestamp, 1000000000)),
  TimestampDate Date MATERIALIZED toDate(TimestampTime),
  TraceId String,
  SpanId String,
  TraceFlags UInt8,
  SeverityText String DEFAULT if(SeverityNumber >= 17, 'ERROR', if(SeverityNumber >= 13, 'WARN', if(SeverityNumber >= 9, 'INFO', 'DEBUG'))),
  SeverityNumber UInt8,
  ServiceName String,
  Body String,
  BodyHash UInt64 MATERIALIZED cityHash64(Body),
  ResourceSchemaUrl String DEFAULT '',
  ResourceAttributesKeys Array(String),
  ResourceAttributesValues Array(String),
  ScopeName String DEFAULT '',
  ScopeVersion String DEFAULT '',
  LogAttributesKeys Array(String),
  LogAttributesValues Array(String),
  LogAttributesHash UInt64 MATERIALIZED cityHash64(LogAttributesKeys, LogAttributesValues),
  HasTrace UInt8 MATERIALIZED notEmpty(TraceId),
  BodyLength UInt32 MATERIALIZED length(Body)
) ENGINE = MergeTree PARTITION BY toDate(TimestampTime) ORDER BY (ServiceName, TimestampTime, Timestamp)`;

// otel_traces: Events/Links Nested → parallel arrays.
const otelTraces = `(
  Timestamp UInt64,
  Date Date DEFAULT toDate(toDateTime(intDiv(Timestamp, 1000000000))),
  TraceId String,
  SpanId String,
  ParentSpanId String DEFAULT '',
  TraceState String DEFAULT '',
  SpanName String,
  SpanKind String DEFAULT 'SPAN_KIND_INTERNAL',
  ServiceName String,
  ResourceAttributesKeys Array(String),
  ResourceAttributesValues Array(String),
  SpanAttributesKeys Array(String),
  SpanAttributesValues Array(String),
  Duration UInt64,
  DurationMs Float64 MATERIALIZED Duration / 1000000,
  StatusCode String DEFAULT 'STATUS_CODE_UNSET',
  StatusMessage String DEFAULT '',
  HasError UInt8 MATERIALIZED StatusCode = 'STATUS_CODE_ERROR',
  IsRoot UInt8 MATERIALIZED empty(ParentSpanId),
  EventsTimestamp Array(UInt64),
  EventsName Array(String),
  EventCount UInt32 MATERIALIZED length(EventsName),
  EventNamesLower Array(String) MATERIALIZED arrayDistinct(arrayMap(n -> lower(n), EventsName)),
  LinksTraceId Array(String),
  TraceIdHash UInt64 MATERIALIZED cityHash64(TraceId),
  SpanKey String MATERIALIZED concat(ServiceName, '/', SpanName)
) ENGINE = MergeTree PARTITION BY Date ORDER BY (ServiceName, SpanName, Timestamp)`;

// A product-analytics events table: properties as a JSON string, fields pulled out by MATERIALIZED columns. 18.16
// has no JSONExtract*, so these use regular expressions, as schemas did before JSONExtract.
const events = `(
  uuid String,
  event String,
  properties String,
  timestamp DateTime,
  team_id UInt32,
  distinct_id String,
  created_at DateTime DEFAULT timestamp,
  day Date MATERIALIZED toDate(timestamp),
  day_berlin Date MATERIALIZED toDate(timestamp, 'Europe/Berlin'),
  browser String MATERIALIZED extract(properties, '"\\\\$browser":\\\\s*"([^"]*)"'),
  current_url String MATERIALIZED extract(properties, '"\\\\$current_url":\\\\s*"([^"]*)"'),
  url_domain String MATERIALIZED domain(extract(properties, '"\\\\$current_url":\\\\s*"([^"]*)"')),
  screen_width String MATERIALIZED extract(properties, '"\\\\$screen_width":\\\\s*([0-9]+)'),
  properties_clean String MATERIALIZED replaceRegexpAll(properties, '\\\\s+', ' '),
  has_props UInt8 MATERIALIZED match(properties, '^\\\\{.+\\\\}$'),
  event_lower String DEFAULT lower(event),
  person_hash UInt64 MATERIALIZED cityHash64(team_id, distinct_id)
) ENGINE = MergeTree ORDER BY (team_id, toDate(timestamp), event, uuid)`;

// Tags with hash columns (Map → key/value arrays on 18.16).
const tags = `(
  id UInt64,
  entity String,
  tag_keys Array(String),
  tag_values Array(String),
  tags_hash UInt64 MATERIALIZED cityHash64(tag_keys, tag_values),
  entity_hash UInt64 DEFAULT cityHash64(entity),
  key_hashes Array(UInt64) MATERIALIZED arrayMap(k -> cityHash64(k), tag_keys),
  pair_text Array(String) MATERIALIZED arrayMap((k, v) -> concat(k, '=', v), tag_keys, tag_values),
  n_tags UInt16 MATERIALIZED length(tag_keys),
  first_key String MATERIALIZED tag_keys[1],
  norm_entity String DEFAULT lower(replaceRegexpAll(entity, '[^A-Za-z0-9]+', '_'))
) ENGINE = MergeTree ORDER BY id`;

const services = ['checkout', 'cart', 'Frontend-Proxy', 'ünïcode-svc', ''];

describe('client-side defaults give the same table contents as server-side ones', () => {
  it('OpenTelemetry logs', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => ({
      Timestamp: BigInt(base) * 1_000_000n + BigInt(i) * 37n * NS + BigInt(i * 12345),
      TraceId: i % 4 === 0 ? '' : `trace${(i * 7919).toString(16)}`,
      SpanId: `span${i}`,
      TraceFlags: i % 2,
      SeverityNumber: (i * 3) % 25,
      ServiceName: services[i % services.length]!,
      Body: i % 10 === 0 ? '' : `log line ${i} "quoted" \\ tab\there ünï 😀`,
      ResourceAttributesKeys: ['service.name', 'host'],
      ResourceAttributesValues: [services[i % services.length]!, `h${i % 3}`],
      LogAttributesKeys: i % 3 === 0 ? [] : ['k1', `k${i}`],
      LogAttributesValues: i % 3 === 0 ? [] : ['v', String(i)],
      // Half the rows leave ScopeName out (a missing key), some give it as undefined: both get the DEFAULT.
      ...(i % 2 === 0 ? { ScopeName: `scope${i % 5}` } : i % 3 === 0 ? { ScopeName: undefined } : {}),
    }));
    const columns = [
      'Timestamp',
      'TraceId',
      'SpanId',
      'TraceFlags',
      'SeverityNumber',
      'ServiceName',
      'Body',
      'ResourceAttributesKeys',
      'ResourceAttributesValues',
      'LogAttributesKeys',
      'LogAttributesValues',
      'ScopeName',
    ];
    await compare('otel_logs', otelLogs, rows, 'Timestamp', columns);
  });

  it('OpenTelemetry traces', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => ({
      Timestamp: BigInt(base) * 1_000_000n + BigInt(i) * 611n * NS,
      TraceId: `t${i % 40}`,
      SpanId: `s${i}`,
      ...(i % 5 === 0 ? {} : { ParentSpanId: `s${i - 1}` }),
      SpanName: ['GET /', 'POST /cart', 'db.query', 'ÜBER'][i % 4]!,
      ...(i % 3 === 0 ? { SpanKind: 'SPAN_KIND_SERVER' } : {}),
      ServiceName: services[i % services.length]!,
      ResourceAttributesKeys: ['a'],
      ResourceAttributesValues: [String(i)],
      SpanAttributesKeys: [],
      SpanAttributesValues: [],
      Duration: BigInt(i) * 1_234_567n,
      ...(i % 7 === 0 ? { StatusCode: 'STATUS_CODE_ERROR', StatusMessage: 'boom' } : {}),
      EventsTimestamp: i % 2 ? [1n, 2n] : [],
      EventsName: i % 2 ? ['Exception', 'exception', 'Retry'] : [],
      LinksTraceId: [],
    }));
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    await compare('otel_traces', otelTraces, rows, 'Timestamp', columns);
  });

  it('events with JSON-extracted MATERIALIZED columns', async () => {
    const browsers = ['Chrome', 'Firefox', 'Säfari 😀', ''];
    const rows = Array.from({ length: 300 }, (_, i) => ({
      uuid: `u${String(i).padStart(4, '0')}`,
      event: ['$pageview', 'Sign Up', '$autocapture'][i % 3]!,
      properties:
        i % 11 === 0
          ? 'not json'
          : i % 13 === 0
            ? ''
            : JSON.stringify(
                {
                  $browser: browsers[i % 4],
                  $current_url: i % 2 ? `https://app.example.com/p/${i}?q=1` : 'not a url',
                  $screen_width: 1000 + i,
                },
                null,
                i % 2 ? 2 : 0,
              ),
      timestamp: new Date(base + i * 97_000),
      team_id: i % 3,
      distinct_id: `d${i % 17}`,
    }));
    await compare('events', events, rows, 'uuid');
  });

  it('tags with hash columns', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => ({
      id: BigInt(i),
      entity: i % 9 === 0 ? '' : `Entity #${i}: Ünïcode/${i % 4}`,
      tag_keys: Array.from({ length: i % 4 }, (_, k) => `key${k}`),
      tag_values: Array.from({ length: i % 4 }, (_, k) => `value ${i * k}`),
      ...(i % 2 ? { entity_hash: BigInt(i) } : {}),
    }));
    await compare('tags', tags, rows, 'id', ['id', 'entity', 'tag_keys', 'tag_values', 'entity_hash']);
  });
});

describe('the insert flow', () => {
  const schema = `(
    a UInt32,
    s String,
    d String DEFAULT lower(s),
    h UInt64 MATERIALIZED cityHash64(s, a),
    db String DEFAULT currentDatabase(),
    al UInt64 ALIAS a * 2
  ) ENGINE = MergeTree ORDER BY a`;

  it('streams (insertStream) and columnar input, with missing keys', async () => {
    const [clientTable, serverTable] = await twoTables('flow_stream', schema);
    const rows = Array.from({ length: 1000 }, (_, i) =>
      i % 3 === 0 ? { a: i, s: `S${i}` } : { a: i, s: `x${i}`, d: i % 2 ? undefined : `given${i}` },
    );
    const client = clientFor({ insert_block_rows: 128 });
    try {
      await pipeline(Readable.from(rows), client.insertStream({ table: clientTable, columns: ['a', 's', 'd'] }));
      for (const [keys, group] of groupByKeys(rows, ['a', 's', 'd'])) {
        await client.insert({ table: serverTable, values: group, columns: keys, defaults: 'server' });
      }
      expect(await contents(clientTable, 'a')).toEqual(await contents(serverTable, 'a'));
      // Columnar, with d left out entirely.
      await client.insert({ table: clientTable, values: { a: [5000, 5001], s: ['Q', 'R'] } });
      await client.insert({ table: serverTable, values: { a: [5000, 5001], s: ['Q', 'R'] }, defaults: 'server' });
      expect(await contents(clientTable, 'a')).toEqual(await contents(serverTable, 'a'));
    } finally {
      await client.close();
    }
  });

  it('keeps the error for a missing value in a column without a DEFAULT', async () => {
    const [table] = await twoTables('flow_missing', schema);
    const client = clientFor();
    try {
      const error = await client.insert({ table, values: [{ a: 1, s: 'x' }, { a: 2 }] }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidValueError);
      expect((error as InvalidValueError).column).toBe('s');
      expect((error as InvalidValueError).row).toBe(1);
      expect(await admin(`SELECT count() FROM ${table}`)).toBe('0\n');
    } finally {
      await client.close();
    }
  });

  it('leaves an uncomputable DEFAULT to the server when no row gives it, and refuses a partial one', async () => {
    const [table] = await twoTables('flow_uncomputable', schema);
    const client = clientFor();
    try {
      await client.insert({ table, values: [{ a: 1, s: 'x', db: undefined }] });
      expect(await admin(`SELECT db = currentDatabase(), h = cityHash64(s, a), d FROM ${table}`)).toBe('1\t1\tx\n');
      const error = await client
        .insert({
          table,
          values: [
            { a: 2, s: 'y', db: 'mine' },
            { a: 3, s: 'z' },
          ],
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UncomputableDefaultError);
      expect(await admin(`SELECT count() FROM ${table}`)).toBe('1\n');
    } finally {
      await client.close();
    }
  });

  it('plans again when the table changes (ALTER) between inserts', async () => {
    const [table] = await twoTables('flow_alter', schema);
    const client = clientFor();
    try {
      await client.insert({ table, values: [{ a: 1, s: 'Xy' }] });
      await admin(`ALTER TABLE ${table} MODIFY COLUMN d String DEFAULT concat(upper(s), '!')`);
      await client.insert({ table, values: [{ a: 2, s: 'Xy' }] });
      expect(await admin(`SELECT a, d FROM ${table} ORDER BY a`)).toBe('1\txy\n2\tXY!\n');
    } finally {
      await client.close();
    }
  });
});
