/**
 * TableColumns parsing (a corpus of texts as 18.16 and newer servers write them, plus the live server's own), and
 * client-side defaults end to end against the run's server (18.16 or 26.7): the same rows inserted once with the server
 * computing DEFAULT/MATERIALIZED columns and once with the client computing them give identical table contents.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseTableColumns } from '../../src/defaults/table-columns.js';
import { planDefaults, UncomputableDefaultError } from '../../src/defaults/plan.js';
import { tableColumnsSetting } from '../../src/defaults/stage.js';
import { admin, clientFor, uniqueTable } from '../client/helpers.js';

describe('parseTableColumns', () => {
  it('reads the 18.16 layout (expressions unescaped)', () => {
    const text =
      'columns format version: 1\n4 columns:\n`a` UInt64\n`s` String\n`d` String\tDEFAULT\tlower(s)\n`h` UInt64\tMATERIALIZED\tcityHash64(s)\n';
    expect(parseTableColumns(text)).toEqual([
      { name: 'a', type: 'UInt64' },
      { name: 's', type: 'String' },
      { name: 'd', type: 'String', defaultKind: 'DEFAULT', expression: 'lower(s)' },
      { name: 'h', type: 'UInt64', defaultKind: 'MATERIALIZED', expression: 'cityHash64(s)' },
    ]);
  });

  it('reads escaped types and expressions (newer servers) and raw 18.16 quotes', () => {
    const text = [
      'columns format version: 1',
      '6 columns:',
      '`a` UInt32',
      "`b` String\tDEFAULT\tif(a = 0, \\'true\\', \\'false\\')",
      "`c` String\tDEFAULT\tcast(a, 'String')",
      "`e` Enum8(\\'a,b\\' = 1, \\'it\\\\\\'s\\' = 2)\tDEFAULT\t\\'a,b\\'",
      "`we\\`ird na\\\\me` String\tMATERIALIZED\tconcat(b, 'it\\'s')\tCOMMENT 'a \\'note\\''\tCODEC(ZSTD(1))",
      '`t` DateTime\tTTL t + toIntervalDay(1)',
      '',
    ].join('\n');
    const cols = parseTableColumns(text);
    expect(cols[1]).toEqual({
      name: 'b',
      type: 'String',
      defaultKind: 'DEFAULT',
      expression: "if(a = 0, 'true', 'false')",
    });
    expect(cols[2]!.expression).toBe("cast(a, 'String')");
    expect(cols[3]).toEqual({
      name: 'e',
      type: "Enum8('a,b' = 1, 'it\\'s' = 2)",
      defaultKind: 'DEFAULT',
      expression: "'a,b'",
    });
    expect(cols[4]).toMatchObject({
      name: 'we`ird na\\me',
      defaultKind: 'MATERIALIZED',
      expression: "concat(b, 'it\\'s')",
      comment: "a 'note'",
      codec: 'ZSTD(1)',
    });
    expect(cols[5]).toEqual({ name: 't', type: 'DateTime', ttl: 't + toIntervalDay(1)' });
  });

  it('reads ALIAS and EPHEMERAL', () => {
    const text =
      'columns format version: 1\n3 columns:\n`x` UInt8\tEPHEMERAL\t\n`y` UInt8\tALIAS\tx + 1\n`z` UInt8\tEPHEMERAL\t1\n';
    expect(parseTableColumns(text)).toEqual([
      { name: 'x', type: 'UInt8', defaultKind: 'EPHEMERAL', expression: '' },
      { name: 'y', type: 'UInt8', defaultKind: 'ALIAS', expression: 'x + 1' },
      { name: 'z', type: 'UInt8', defaultKind: 'EPHEMERAL', expression: '1' },
    ]);
  });

  it('refuses malformed texts', () => {
    expect(() => parseTableColumns('columns format version: 2\n0 columns:\n')).toThrow(/version/);
    expect(() => parseTableColumns('columns format version: 1\n2 columns:\n`a` UInt8\n')).toThrow(
      /Malformed TableColumns/,
    );
    expect(() => parseTableColumns('columns format version: 1\n1 columns:\n`a UInt8\n')).toThrow(/unterminated/);
  });
});

describe('client-side defaults against the live server', () => {
  const tables: string[] = [];
  afterAll(async () => {
    for (const t of tables) await admin(`DROP TABLE IF EXISTS ${t}`);
  });

  const schema = `(
    id UInt64,
    ts DateTime,
    payload String,
    user_agent String DEFAULT '',
    url String,
    level Nullable(String),
    host String DEFAULT domain(url),
    url_hash UInt64 MATERIALIZED cityHash64(url, id),
    payload_lower String MATERIALIZED lower(replaceRegexpAll(payload, '[0-9]+', '#')),
    day Date MATERIALIZED toDate(ts),
    day_berlin Date MATERIALIZED toDate(ts, 'Europe/Berlin'),
    ts_text String MATERIALIZED toString(ts),
    tags Array(String) DEFAULT splitByChar(',', payload),
    tag_hash UInt64 MATERIALIZED cityHash64(tags, host),
    first_tag String MATERIALIZED tags[1],
    n_tags UInt16 DEFAULT length(tags),
    level_or String MATERIALIZED ifNull(level, 'info'),
    score Float64 DEFAULT length(payload) / 3,
    kind Enum8('short' = 1, 'long' = 2) DEFAULT if(length(payload) > 5, 'long', 'short'),
    alias_col UInt64 ALIAS id * 2
  ) ENGINE = MergeTree ORDER BY id`;

  const rows = Array.from({ length: 200 }, (_, i) => ({
    id: BigInt(i),
    ts: new Date(Date.UTC(2024, 2, 30, 20 + (i % 12), i % 60, i % 7)),
    payload: i % 3 === 0 ? `a${i},B${i * 7},ünï` : i % 3 === 1 ? '' : `x,${i}`,
    url: i % 4 === 0 ? `https://sub${i}.example.com/p?q=${i}` : i % 4 === 1 ? 'not a url' : `//cdn.example.org/${i}`,
    level: i % 5 === 0 ? null : 'warn',
  }));

  it('stores the same rows with server-side and client-side defaults', async () => {
    const serverTable = uniqueTable('defaults_server');
    const clientTable = uniqueTable('defaults_client');
    tables.push(serverTable, clientTable);
    await admin(`CREATE TABLE ${serverTable} ${schema}`);
    await admin(`CREATE TABLE ${clientTable} ${schema}`);
    const client = clientFor();
    try {
      // The setting that asks for TableColumns has another name on 18.16 than on newer servers.
      const { negotiatedRevision } = await client.serverInfo();
      const first = await client.insert({
        table: serverTable,
        values: rows,
        columns: ['id', 'ts', 'payload', 'url', 'level'],
        clickhouse_settings: { [tableColumnsSetting(negotiatedRevision)]: 1 },
      });
      expect(first.table_columns).toMatch(/^columns format version: 1\n/);
      const description = parseTableColumns(first.table_columns!);
      const plan = planDefaults(description, ['id', 'ts', 'payload', 'url', 'level'], { timezone: 'UTC' });
      expect([...plan.leftToServer.keys()]).toEqual([]);
      expect(plan.sendsMaterialized).toBe(true);
      expect(plan.columns).not.toContain('alias_col');

      const columnar: Record<string, unknown[]> = {};
      for (const name of ['id', 'ts', 'payload', 'url', 'level'])
        columnar[name] = rows.map((r) => r[name as keyof typeof r]);
      const filled = plan.fill(columnar, rows.length, Date.now()).values!;
      await client.insert({
        table: clientTable,
        values: filled,
        columns: [...plan.columns],
        clickhouse_settings: { insert_allow_materialized_columns: 1 },
        // Planned and filled by hand above: the insert sends it as is.
        defaults: 'server',
      });
      const all =
        'id, ts, payload, user_agent, url, level, host, url_hash, payload_lower, day, day_berlin, ts_text, tags, tag_hash, first_tag, n_tags, level_or, score, kind, alias_col';
      const a = await admin(`SELECT ${all} FROM ${serverTable} ORDER BY id FORMAT TabSeparated`);
      const b = await admin(`SELECT ${all} FROM ${clientTable} ORDER BY id FORMAT TabSeparated`);
      expect(b.split('\n').length).toBe(rows.length + 1);
      expect(b).toEqual(a);
    } finally {
      await client.close();
    }
  });

  it('fills undefined cells of provided DEFAULT columns, and leaves uncomputable ones to the server', async () => {
    const text =
      "columns format version: 1\n4 columns:\n`a` UInt8\n`b` UInt16\tDEFAULT\ta * 2\n`c` String\tDEFAULT\tdictGet('d', 'x', toUInt64(a))\n`d` UInt8\tMATERIALIZED\tb + 1\n";
    const description = parseTableColumns(text);
    const plan = planDefaults(description, ['a', 'b'], { timezone: 'UTC' });
    expect(plan.columns).toEqual(['a', 'b', 'd']);
    expect([...plan.leftToServer.keys()]).toEqual(['c']);
    const filled = plan.fill({ a: [1, 2, 3], b: [undefined, 7, undefined] }, 3, 0).values!;
    expect(Array.from(filled.b!)).toEqual([2, 7, 6]);
    expect(Array.from(filled.d!)).toEqual([3, 8, 7]);

    const needsC = planDefaults(description, ['a', 'c'], { timezone: 'UTC' });
    expect(() => needsC.fill({ a: [1], c: [undefined] }, 1, 0)).toThrow(UncomputableDefaultError);
    expect(Array.from(needsC.fill({ a: [1], c: ['given'] }, 1, 0).values!.c!)).toEqual(['given']);
  });
});
