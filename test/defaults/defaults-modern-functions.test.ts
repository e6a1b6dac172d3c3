/**
 * Client-side defaults for what 18.16 lacks, live on a modern server: DEFAULT and MATERIALIZED columns of modern
 * types (DateTime64, IPv4, IPv6) computed by functions 18.16 does not have (toStartOfWeek, fromUnixTimestamp64Milli,
 * JSONExtract*, xxHash64, farmFingerprint64, base64Encode, trimBoth, toIPv4, toIPv6). The same rows inserted once
 * with `defaults: 'client'` and once with `defaults: 'server'` must leave identical tables, and the client must
 * have computed every column itself. Against 18.16 (modern_types gate off), the server refuses such a table.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { planDefaults } from '../../src/defaults/plan.js';
import { parseTableColumns } from '../../src/defaults/table-columns.js';
import { serverSupports } from '../harness/context.js';
import { admin, clientFor, uniqueTable } from '../client/helpers.js';

const SCHEMA = `(
  id UInt64,
  ts DateTime('Europe/Berlin'),
  ms Int64,
  doc String,
  ip String,
  payload String,
  week Date MATERIALIZED toStartOfWeek(ts),
  at DateTime64(3, 'America/New_York') MATERIALIZED fromUnixTimestamp64Milli(ms, 'America/New_York'),
  ms_back Int64 MATERIALIZED toUnixTimestamp64Milli(CAST(fromUnixTimestamp64Milli(ms) AS DateTime64(3, 'Europe/Berlin'))),
  name String DEFAULT JSONExtractString(doc, 'a'),
  n Int64 DEFAULT JSONExtractInt(doc, 'n'),
  has_b UInt8 MATERIALIZED JSONHas(doc, 'b'),
  xx UInt64 MATERIALIZED xxHash64(payload),
  fp UInt64 MATERIALIZED farmFingerprint64(payload, id),
  b64 String MATERIALIZED base64Encode(payload),
  trimmed String MATERIALIZED trimBoth(payload),
  addr IPv4 DEFAULT toIPv4(ip),
  addr6 IPv6 DEFAULT toIPv6(ip)
) ENGINE = MergeTree ORDER BY id`;

const GIVEN = ['id', 'ts', 'ms', 'doc', 'ip', 'payload'];

const base = Date.UTC(2024, 2, 31, 0, 30); // around the Europe/Berlin spring DST switch
const ROWS = Array.from({ length: 300 }, (_, i) => ({
  id: BigInt(i),
  ts: new Date(base + i * 7_919_000),
  ms: BigInt(base + i * 86_399_999) - 40_000_000_000n,
  doc:
    i % 4 === 0
      ? `{"a": "name ${i}", "n": ${i * 37 - 2000}, "b": true}`
      : i % 4 === 1
        ? `{"a": "ünï ${i}"}`
        : i % 4 === 2
          ? 'not json'
          : '',
  ip: `${i % 256}.${(i * 7) % 256}.${(i * 13) % 256}.${(i * 31) % 256}`,
  payload: i % 3 === 0 ? `  padded ${i}  ` : `payload-${i}-${'x'.repeat(i % 40)}`,
}));

const tables: string[] = [];
afterAll(async () => {
  for (const t of tables) await admin(`DROP TABLE IF EXISTS ${t}`);
});

async function newTable(prefix: string): Promise<string> {
  const table = uniqueTable(prefix);
  tables.push(table);
  await admin(`CREATE TABLE ${table} ${SCHEMA}`);
  return table;
}

/** Every stored column, MATERIALIZED included, in table order. */
async function contents(table: string): Promise<string> {
  const names = (
    await admin(
      `SELECT name FROM system.columns WHERE database = currentDatabase() AND table = '${table}' FORMAT TabSeparated`,
    )
  )
    .split('\n')
    .filter((n) => n !== '');
  return admin(`SELECT ${names.map((n) => '`' + n + '`').join(', ')} FROM ${table} ORDER BY id FORMAT TabSeparated`);
}

describe('client-side defaults with functions and types 18.16 lacks', () => {
  it('leave the same table as the server computing them, every column computed by the client', async () => {
    if (!serverSupports('modern_types')) {
      await expect(newTable('defaults_modern')).rejects.toThrow(/Unknown (data type|function)/);
      return;
    }
    const clientTable = await newTable('defaults_modern_client');
    const serverTable = await newTable('defaults_modern_server');
    const client = clientFor();
    try {
      const result = await client.insert({ table: clientTable, values: ROWS, defaults: 'client' });
      const plan = planDefaults(parseTableColumns(result.table_columns!), GIVEN, { timezone: 'UTC' });
      expect([...plan.leftToServer.keys()], 'columns left to the server').toEqual([]);
      expect(plan.sendsMaterialized).toBe(true);
      await client.insert({ table: serverTable, values: ROWS, defaults: 'server' });
    } finally {
      await client.close();
    }
    const ours = await contents(clientTable);
    expect(ours.split('\n')).toHaveLength(ROWS.length + 1);
    expect(ours).toEqual(await contents(serverTable));
  });
});
