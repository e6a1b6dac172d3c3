/** The batching inserter goes through client-side defaults like insert() does. */
import { afterAll, describe, expect, it } from 'vitest';
import { admin, clientFor, uniqueTable } from '../client/helpers.js';

const client = clientFor();
const table = uniqueTable('inserter_defaults');
afterAll(async () => {
  await admin(`DROP TABLE IF EXISTS ${table}`);
  await client.close();
});

describe('inserter with client-side defaults', () => {
  it('computes DEFAULT and MATERIALIZED columns the rows leave out, as the server would', async () => {
    await admin(
      `CREATE TABLE ${table} (id UInt32, s String, d String DEFAULT lower(s), h UInt64 MATERIALIZED cityHash64(s, id))
       ENGINE = MergeTree ORDER BY id`,
    );
    const inserter = client.inserter(table, { max_rows: 50, flush_interval_ms: 50, max_inserts_per_second: 0 });
    const writes: Promise<void>[] = [];
    for (let id = 0; id < 120; id++) {
      // Some rows give d, others leave it to the default: two shapes, two buffers.
      writes.push(inserter.write(id % 3 === 0 ? { id, s: `Row ${id}`, d: 'given' } : { id, s: `Row ${id}` }));
    }
    await Promise.all(writes);
    await inserter.close();
    // The server recomputes the expressions for comparison: every stored value equals its own evaluation.
    const check = await admin(
      `SELECT count(), countIf(d = if(id % 3 = 0, 'given', lower(s))), countIf(h = cityHash64(s, id)) FROM ${table} FORMAT TSV`,
    );
    expect(check.trim()).toBe('120\t120\t120');
  });
});
