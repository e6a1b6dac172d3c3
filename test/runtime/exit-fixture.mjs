// The built package (dist/), as a user's script loads it, in whatever runtime runs this file: query, insert, then
// either close() or not; the process must exit by itself either way (scripts/runtime-matrix.sh, smoke.test.ts).
import { createClient } from '../../dist/index.js';

const client = createClient({ url: process.env.SMOKE_URL, compression: 'zstd' });
const [row] = await (await client.query({ query: 'SELECT 42 AS answer, version() AS v' })).json();
await client.insert({ table: process.env.SMOKE_TABLE, values: [{ x: 1 }, { x: 2 }] });
if (process.env.SMOKE_CLOSE === '1') await client.close();
console.log(JSON.stringify({ answer: row.answer, stats: client.poolStats() }));
