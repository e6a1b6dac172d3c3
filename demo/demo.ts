/**
 * npm run demo: starts a ClickHouse server the way the test harness does, inserts 5M generated rows through the
 * native protocol with a live progress line, reads back the count and a checksum, and stops the server.
 */
import { createClient } from '../src/index.js';
import { startServer } from '../test/harness/server.js';

const TOTAL_ROWS = Number(process.env.DEMO_ROWS ?? 5_000_000);
const CHUNK_ROWS = 100_000;
const EVENTS = ['view', 'click', 'purchase', 'signup', 'logout'];

interface Checksum {
  rows: number;
  idSum: bigint;
  userSum: bigint;
  eventBytes: number;
}

/** Deterministic columnar chunks; the checksum is summed as they are made. */
async function* generate(checksum: Checksum) {
  const start = Date.UTC(2026, 0, 1) / 1000;
  for (let offset = 0; offset < TOTAL_ROWS; offset += CHUNK_ROWS) {
    const rows = Math.min(CHUNK_ROWS, TOTAL_ROWS - offset);
    const id = new BigUint64Array(rows);
    const ts = new Uint32Array(rows);
    const userId = new Uint32Array(rows);
    const event = new Array<string>(rows);
    const value = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      const n = offset + i;
      id[i] = BigInt(n);
      ts[i] = start + (n % 86_400);
      userId[i] = (n * 2_654_435_761) % 1_000_003;
      event[i] = EVENTS[n % EVENTS.length]!;
      value[i] = (n % 1000) / 10;
      checksum.userSum += BigInt(userId[i]!);
      checksum.eventBytes += event[i]!.length;
    }
    checksum.idSum += ((BigInt(offset) * 2n + BigInt(rows) - 1n) * BigInt(rows)) / 2n;
    checksum.rows += rows;
    yield { id, ts, user_id: userId, event, value };
  }
}

function progressLine(done: number, total: number, startedAt: number): string {
  const width = 30;
  const filled = Math.round((done / total) * width);
  const seconds = (performance.now() - startedAt) / 1000;
  const rate = seconds > 0 ? done / seconds : 0;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} rows  ${(rate / 1e6).toFixed(2)} M rows/s`;
}

async function main(): Promise<void> {
  console.log('Starting a ClickHouse server (CLICKHOUSE_URL, a container, or the local binary)...');
  const server = await startServer({ log: (message) => console.log(`  ${message}`) });
  console.log(`Server: ${server.kind}, ClickHouse ${server.version ?? '?'} on ${server.host}:${server.port}`);
  const client = createClient({ url: server.url, compression: 'lz4' });
  try {
    await client.command({ query: 'DROP TABLE IF EXISTS demo_events' });
    await client.command({
      query: `CREATE TABLE demo_events (id UInt64, ts DateTime, user_id UInt32, event String, value Float64)
              ENGINE = MergeTree ORDER BY id`,
    });
    const checksum: Checksum = { rows: 0, idSum: 0n, userSum: 0n, eventBytes: 0 };
    const tty = process.stdout.isTTY;
    const startedAt = performance.now();
    let lastPrint = 0;
    const timer = setInterval(() => {
      const line = progressLine(checksum.rows, TOTAL_ROWS, startedAt);
      if (tty) process.stdout.write(`\r${line}`);
      else if (performance.now() - lastPrint > 2000) {
        lastPrint = performance.now();
        console.log(line);
      }
    }, 200);
    try {
      await client.insert({ table: 'demo_events', values: generate(checksum) });
    } finally {
      clearInterval(timer);
    }
    const seconds = (performance.now() - startedAt) / 1000;
    if (tty) process.stdout.write(`\r${progressLine(checksum.rows, TOTAL_ROWS, startedAt)}\n`);
    console.log(
      `Inserted ${checksum.rows.toLocaleString('en-US')} rows in ${seconds.toFixed(2)} s: ` +
        `${(checksum.rows / seconds / 1e6).toFixed(2)} M rows/s`,
    );

    const result = await client.query({
      query:
        'SELECT count() AS rows, sum(id) AS ids, sum(user_id) AS users, sum(length(event)) AS event_bytes FROM demo_events',
    });
    const [stored] = (await result.json()) as { rows: bigint; ids: bigint; users: bigint; event_bytes: bigint }[];
    const matches =
      stored !== undefined &&
      stored.rows === BigInt(checksum.rows) &&
      stored.ids === checksum.idSum &&
      stored.users === checksum.userSum &&
      stored.event_bytes === BigInt(checksum.eventBytes);
    console.log(`Read back: count ${stored?.rows}, sum(id) ${stored?.ids}, sum(user_id) ${stored?.users}`);
    console.log(matches ? 'Checksum matches: every row arrived intact.' : 'CHECKSUM MISMATCH');
    await client.command({ query: 'DROP TABLE demo_events' });
    if (!matches) process.exitCode = 1;
  } finally {
    await client.close();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
