/**
 * Client-side defaults over Map and DateTime64 inputs (OpenTelemetry, HyperDX, SigNoz style schemas), through the
 * public client against the live server: the same rows inserted with `defaults: 'client'` and `'server'` must
 * leave identical contents, and the client computes every column. 18.16 has neither Map nor DateTime64: there the
 * table cannot be created, which is what the test then checks.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { admin, clientFor, uniqueTable } from '../client/helpers.js';
import { serverSupports } from '../harness/context.js';

const tables: string[] = [];
afterAll(async () => {
  for (const t of tables) await admin(`DROP TABLE IF EXISTS ${t}`);
});

const schema = `(
  Timestamp DateTime64(9),
  TimestampTime DateTime DEFAULT toDateTime(Timestamp),
  ServiceName LowCardinality(String),
  Body String,
  ResourceAttributes Map(LowCardinality(String), String),
  SpanAttributes Map(LowCardinality(String), String),
  Cost Map(LowCardinality(String), Decimal(18, 12)),
  Pod LowCardinality(String) MATERIALIZED ResourceAttributes['k8s.pod.name'],
  HasRoute Bool DEFAULT if(mapContains(SpanAttributes, 'http.route') != 0, true, false),
  SampleRate UInt64 MATERIALIZED greatest(toUInt64OrZero(SpanAttributes['SampleRate']), 1),
  Items Array(String) MATERIALIZED arrayMap(x -> concat(x.1, '=', x.2), CAST(ResourceAttributes, 'Array(Tuple(String, String))')),
  InputCost Decimal(18, 12) MATERIALIZED arraySum(mapValues(mapFilter(x -> positionCaseInsensitive(x.1, 'input') > 0, Cost))),
  Day Date MATERIALIZED toDate(Timestamp),
  Nanos Int64 MATERIALIZED toUnixTimestamp64Nano(Timestamp),
  Created DateTime64(6, 'UTC') DEFAULT 0
) ENGINE = MergeTree ORDER BY (ServiceName, Timestamp)`;

const rows = Array.from({ length: 120 }, (_, i) => ({
  Timestamp: BigInt(1_700_000_000 + i * 3600) * 1_000_000_000n + BigInt(i * 123_457),
  ServiceName: `svc-${i % 3}`,
  Body: `line ${i}`,
  ResourceAttributes: i % 4 === 0 ? {} : { 'k8s.pod.name': `pod-${i % 7}`, 'host.name': `h${i}` },
  SpanAttributes:
    i % 5 === 0 ? { 'http.route': '/a/:id', SampleRate: String(i % 20) } : { SampleRate: i % 2 ? 'x' : '' },
  Cost: i % 3 === 0 ? {} : { input: '0.000001', cached_input: String(i / 1000), output: '2' },
}));

describe('client-side defaults over Map and DateTime64 columns', () => {
  it('stores what server-side defaults store', async () => {
    const clientTable = uniqueTable('modern_client');
    const serverTable = uniqueTable('modern_server');
    tables.push(clientTable, serverTable);
    if (!serverSupports('modern_types')) {
      await expect(admin(`CREATE TABLE ${clientTable} ${schema}`)).rejects.toThrow(
        /Map|DateTime64|Unknown data type|Decimal/,
      );
      return;
    }
    await admin(`CREATE TABLE ${clientTable} ${schema}`);
    await admin(`CREATE TABLE ${serverTable} ${schema}`);
    const client = clientFor();
    try {
      await client.insert({ table: clientTable, values: rows.slice(0, 1) });
      const result = await client.insert({ table: clientTable, values: rows.slice(1) });
      expect(result.defaults!.server).toEqual([]);
      expect(result.defaults!.computed.sort()).toEqual(
        ['Created', 'Day', 'HasRoute', 'InputCost', 'Items', 'Nanos', 'Pod', 'SampleRate', 'TimestampTime'].sort(),
      );
      await client.insert({ table: serverTable, values: rows, defaults: 'server' });
      // As text: the harness's admin client (18.16's clickhouse-client) cannot read DateTime64 or Map columns.
      const all = [
        'Timestamp',
        'TimestampTime',
        'ServiceName',
        'Body',
        'ResourceAttributes',
        'SpanAttributes',
        'Cost',
        'Pod',
        'HasRoute',
        'SampleRate',
        'Items',
        'InputCost',
        'Day',
        'Nanos',
        'Created',
      ]
        .map((c) => `toString(${c})`)
        .join(', ');
      const a = await admin(`SELECT ${all} FROM ${serverTable} ORDER BY Timestamp FORMAT TabSeparated`);
      const b = await admin(`SELECT ${all} FROM ${clientTable} ORDER BY Timestamp FORMAT TabSeparated`);
      expect(b.split('\n').length).toBe(rows.length + 1);
      expect(b).toBe(a);
    } finally {
      await client.close();
    }
  });
});
