import { createClient } from './src/index.js';
import { query as chdb } from 'chdb';
const sqls = [
  "SELECT toUInt64(1) a, toInt64(-2) b, toUInt32(3) c, 1.5 e, nan f, inf g, toDecimal64(1.5, 2) h, 'a/b\"\\\\\t\n\\x01\\x7f it''s' s, [1,2] arr, ('x', 1) tup, toDate('2020-01-02') dt, toDateTime('2020-01-02 03:04:05', 'UTC') ts, NULL n, toUUID('00000000-0000-0000-0000-000000000001') u, toFixedString('ab', 3) fs, ['a', NULL] an, CAST('a', 'Enum8(\\'a\\' = 1)') en, [toUInt64(5)] a64, toFloat32(0.1) f32, 1e21 big, -0. nz",
  "SELECT number, toString(number) s FROM system.numbers LIMIT 3",
  "SELECT number FROM system.numbers WHERE 0 LIMIT 3",
  "SELECT number % 2 k, count() c FROM (SELECT number FROM system.numbers LIMIT 5) GROUP BY k WITH TOTALS ORDER BY k",
];
const formats = ['JSONEachRow', 'JSONCompactEachRow', 'JSON', 'JSONCompact', 'CSV', 'CSVWithNames', 'TabSeparated', 'TabSeparatedRaw', 'TSVWithNames', 'TSVWithNamesAndTypes'];
const strip = (t: string) => t.replace(/\n\n\t"statistics":\n\t\{[^}]*\}/, '');
for (const port of [43771, 19701]) {
  const c = createClient({ port });
  for (const sql of sqls) for (const f of formats) {
    let ours: string, theirs: string;
    try { ours = await (await c.query({ query: `${sql} FORMAT ${f}` })).text(); } catch (e) { ours = 'ERR ' + (e as Error).message; }
    if (port === 43771) theirs = await (await fetch('http://127.0.0.1:42507/', { method: 'POST', body: `${sql} FORMAT ${f}` })).text();
    else { try { theirs = chdb(`${sql} FORMAT ${f}`.replace(/system\.numbers/g, 'system.numbers'), f === 'TSVWithNames' || f === 'TSVWithNamesAndTypes' ? f : f); } catch (e) { theirs = 'ERR ' + (e as Error).message; } }
    // chdb's query(sql, format) applies the format argument; the FORMAT clause in the text wins anyway
    if (strip(ours) !== strip(theirs)) { console.log(`--- ${port} ${f} ${sql.slice(0, 60)}\nOURS:\n${strip(ours)}\nSERVER:\n${strip(theirs)}`); }
  }
  await c.close();
}
