/**
 * Observability, live (README, "Observability"): the W3C trace context in ClientInfo and what the server records of
 * it, the tracer hook's spans, ProfileEvents, the client's logger, the application name in query_log, and pool
 * statistics per host.
 *
 * Version gates: the trace context needs protocol revision 54442 (OPENTELEMETRY); 18.16 speaks 54412, so the field
 * does not exist on its wire and is not sent (the query still runs). ProfileEvents packets start at 54451; 18.16
 * sends none. system.opentelemetry_span_log is configured on the harness's 26.7 server (test/harness/config-xml.ts).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient, PoolExhaustedError, type Logger, type ProfileEvent } from '../../src/index.js';
import { CLIENT_REVISION, Feature } from '../../src/protocol/revision.js';
import { testServer } from '../harness/context.js';
import { FaultProxy } from '../harness/fault-proxy.js';
import { admin, clientFor, closeLater, closeOpened, uniqueTable } from './helpers.js';

const server = testServer();
/** The revision the client negotiates with the run's server. */
const revision = Math.min(CLIENT_REVISION, server.revision ?? 0);
const sendsTraceContext = revision >= Feature.OPENTELEMETRY;
const sendsProfileEvents = revision >= Feature.INCREMENTAL_PROFILE_EVENTS;

const client = clientFor();
afterAll(() => client.close());
afterEach(() => closeOpened());

/** The spans the server recorded in trace `traceId` (32 hex digits), once its logs are flushed. */
async function serverSpans(traceId: string): Promise<Array<{ operation_name: string; parent: string }>> {
  await admin('SYSTEM FLUSH LOGS');
  const uuid = `${traceId.slice(0, 8)}-${traceId.slice(8, 12)}-${traceId.slice(12, 16)}-${traceId.slice(16, 20)}-${traceId.slice(20)}`;
  const text = await admin(
    `SELECT operation_name, lower(hex(parent_span_id)) AS parent FROM system.opentelemetry_span_log ` +
      `WHERE trace_id = toUUID('${uuid}') FORMAT JSONEachRow`,
  );
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { operation_name: string; parent: string });
}

/** A query's query_log row, once the logs are flushed. */
async function queryLog(queryId: string, columns: string): Promise<Record<string, unknown>> {
  await admin('SYSTEM FLUSH LOGS');
  const text = await admin(
    `SELECT ${columns} FROM system.query_log WHERE query_id = '${queryId}' AND type = 2 FORMAT JSONEachRow`,
  );
  return JSON.parse(text.split('\n')[0]!) as Record<string, unknown>;
}

describe('trace context', () => {
  it('the README example: a traceparent reaches the server, which records its spans in that trace', async () => {
    const traceId = randomBytes(16).toString('hex');
    const spanId = randomBytes(8).toString('hex');
    // README, "Tracing"
    const result = await client.query({
      query: 'SELECT count() AS n FROM numbers(1000)',
      trace_context: { traceparent: `00-${traceId}-${spanId}-01`, tracestate: 'vendor=value' },
    });
    expect(await result.json()).toEqual([{ n: 1000n }]);
    if (!sendsTraceContext) {
      // 18.16 (revision 54412): ClientInfo has no trace context field below 54442, and the server no span log.
      expect(revision).toBeLessThan(Feature.OPENTELEMETRY);
      return;
    }
    const spans = await serverSpans(traceId);
    expect(spans.length).toBeGreaterThan(0);
    // The server's top span is a child of the span the traceparent named: the ids crossed the wire intact.
    expect(spans.map((s) => s.parent)).toContain(spanId);
  });

  it('an explicit context is sent as given, sampled or not, and a bad traceparent is refused before sending', async () => {
    const traceId = randomBytes(16).toString('hex');
    await (
      await client.query({ query: 'SELECT 1', trace_context: { traceparent: `00-${traceId}-${'1'.repeat(16)}-00` } })
    ).json();
    // 26.7 records the spans of any trace context it receives: it does not look at the sampled flag.
    if (sendsTraceContext) expect((await serverSpans(traceId)).length).toBeGreaterThan(0);
    for (const bad of ['nonsense', `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01`, `00-${traceId}-${'0'.repeat(16)}-01`]) {
      await expect(client.query({ query: 'SELECT 1', trace_context: { traceparent: bad } })).rejects.toThrow(
        /traceparent/,
      );
    }
  });

  describe('with OpenTelemetry in the process', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const contextManager = new AsyncLocalStorageContextManager();
    beforeAll(() => {
      context.setGlobalContextManager(contextManager.enable());
      trace.setGlobalTracerProvider(provider);
    });
    afterAll(() => {
      contextManager.disable();
      trace.disable();
      context.disable();
    });
    afterEach(() => exporter.reset());

    it('the active span is sent when the call names no context', async () => {
      const tracer = trace.getTracer('observability-test');
      const traceId = await tracer.startActiveSpan('work', async (span) => {
        await (await client.query({ query: 'SELECT 1' })).json();
        span.end();
        return span.spanContext().traceId;
      });
      if (!sendsTraceContext) return expect(revision).toBeLessThan(Feature.OPENTELEMETRY);
      expect((await serverSpans(traceId)).length).toBeGreaterThan(0);
    });

    it('the README example: the tracer hook opens a span per query and insert with the semantic-convention attributes', async () => {
      const table = uniqueTable('traced');
      await admin(`CREATE TABLE ${table} (id UInt32) ENGINE = Memory`);
      try {
        // README, "Tracing"
        const traced = createClient({
          host: server.host,
          port: server.port,
          username: server.username,
          password: server.password,
          database: server.database,
          tracing: { tracer: trace.getTracer('my-service'), include_query_text: true },
        });
        closeLater(traced);
        await (await traced.query({ query: 'SELECT number FROM numbers(3)' })).json();
        await traced.insert({ table, values: [{ id: 1 }, { id: 2 }] });
        const failed = await traced.query({ query: 'SELECT * FROM no_such_table_here' }).catch((e: unknown) => e);
        expect(failed).toBeInstanceOf(Error);

        const spans = exporter.getFinishedSpans();
        expect(spans.map((s) => s.name)).toEqual(['SELECT', `INSERT ${table}`, 'SELECT']);
        const [select, insert, error] = spans;
        expect(select!.kind).toBe(2); // CLIENT
        expect(select!.attributes).toMatchObject({
          'db.system.name': 'clickhouse',
          'db.namespace': server.database,
          'db.operation.name': 'SELECT',
          'db.query.text': 'SELECT number FROM numbers(3)',
          'server.address': server.host,
          'server.port': server.port,
          'db.response.returned_rows': 3,
        });
        expect(insert!.attributes).toMatchObject({
          'db.operation.name': 'INSERT',
          'db.collection.name': table,
          'db.clickhouse.written_rows': 2,
        });
        expect(error!.status.code).toBe(2); // ERROR
        expect(error!.attributes['db.response.status_code']).toBe('60'); // UNKNOWN_TABLE
        expect(error!.events.map((e) => e.name)).toContain('exception');
        if (!sendsTraceContext) return;
        // The server's spans of each call are children of the client's span.
        for (const span of [select!, insert!]) {
          const server = await serverSpans(span.spanContext().traceId);
          expect(server.map((s) => s.parent)).toContain(span.spanContext().spanId);
        }
      } finally {
        await admin(`DROP TABLE ${table}`);
      }
    });
  });
});

describe('ProfileEvents', () => {
  it('the README example: on_profile_events sees each packet, and the summary has the totals', async () => {
    // README, "Observability"
    const packets: ProfileEvent[][] = [];
    const result = await client.command({
      query: 'SELECT sum(number) FROM numbers(100000)',
      on_profile_events: (events) => packets.push(events),
    });
    if (!sendsProfileEvents) {
      // 18.16 (revision 54412) has no ProfileEvents packet.
      expect(packets).toEqual([]);
      expect(result.summary.profile_events).toEqual({});
      return;
    }
    expect(packets.length).toBeGreaterThan(0);
    const selected = packets.flat().filter((e) => e.name === 'SelectedRows' && e.type === 'increment');
    expect(selected.reduce((n, e) => n + e.value, 0)).toBe(result.summary.profile_events.SelectedRows);
    expect(result.summary.profile_events.SelectedRows).toBeGreaterThanOrEqual(100_000);
  });
});

describe('application name', () => {
  it('the README example: query_log shows it as the client name', async () => {
    // README, "Observability"
    const app = createClient({
      host: server.host,
      port: server.port,
      username: server.username,
      password: server.password,
      application: 'billing-api',
    });
    closeLater(app);
    const queryId = randomUUID();
    await app.command({ query: 'SELECT 1', query_id: queryId });
    expect((await queryLog(queryId, 'client_name')).client_name).toBe('billing-api clickhouse-native');
  });
});

describe('logger', () => {
  /** A logger that keeps what it is given. */
  function collector(): Logger & { lines: Array<{ level: string; message: string }> } {
    const lines: Array<{ level: string; message: string }> = [];
    const keep = (level: string) => (message: string) => void lines.push({ level, message });
    return { lines, debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
  }

  it('logs connects, failover, an exhausted pool, an insert retry and a default left to the server', async () => {
    const logger = collector();
    const table = uniqueTable('logged');
    // hostName(): the server's, which the client cannot know, so the client leaves the column to the server.
    await admin(`CREATE TABLE ${table} (id UInt32, who String DEFAULT hostName()) ENGINE = Memory`);
    const proxy = closeLater(await FaultProxy.start({ host: server.host, port: server.port }));
    try {
      // README, "Observability"
      const logged = createClient({
        hosts: ['127.0.0.1:1', `${proxy.host}:${proxy.port}`],
        load_balancing: 'in_order',
        username: server.username,
        password: server.password,
        max_open_connections: 1,
        pool_acquire_timeout_ms: 200,
        // The proxy cuts before it forwards the data, so a resend stores the row once.
        insert_retry: { initial_delay_ms: 10, unknown_outcome: 'retry' },
        logger,
        log_level: 'debug',
      });
      closeLater(logged);
      await (await logged.query({ query: 'SELECT 1' })).json();
      expect(logger.lines).toContainEqual({
        level: 'warn',
        message: expect.stringMatching(/failover: host 127\.0\.0\.1:1 marked down/),
      });
      expect(logger.lines).toContainEqual({
        level: 'debug',
        message: expect.stringMatching(new RegExp(`connected to 127\\.0\\.0\\.1:${proxy.port}`)),
      });

      const held = await logged.query({ query: 'SELECT number FROM numbers(10)' }); // holds the only connection
      await expect(logged.query({ query: 'SELECT 1' })).rejects.toBeInstanceOf(PoolExhaustedError);
      expect(logger.lines).toContainEqual({
        level: 'warn',
        message: expect.stringMatching(/connection pool for .* exhausted/),
      });
      await held.close();

      // The first insert into a table learns its description (README, "Client-side defaults"); the second is cut.
      await logged.insert({ table, values: [{ id: 1 }] });
      proxy.failNextInsert({ at: 'before-data' });
      await logged.insert({ table, values: [{ id: 2 }] });
      expect(proxy.stats.faults).toBe(1);
      expect(logger.lines).toContainEqual({
        level: 'warn',
        message: expect.stringMatching(new RegExp(`insert into ${table}: attempt 2 in \\d+ ms \\(unknown\\)`)),
      });
      expect(logger.lines).toContainEqual({
        level: 'info',
        message: expect.stringMatching(new RegExp(`column who left to the server`)),
      });
      expect((await admin(`SELECT count() FROM ${table}`)).trim()).toBe('2');
    } finally {
      await admin(`DROP TABLE ${table}`);
    }
  });

  it('a logger that throws breaks nothing, and without a logger nothing is logged', async () => {
    const throwing: Logger = {
      debug: () => {
        throw new Error('logger failed');
      },
      info: () => {},
      warn: () => {},
      error: () => {},
    };
    const c = closeLater(clientFor({ logger: throwing, log_level: 'debug' }));
    expect(await (await c.query({ query: 'SELECT 1 AS one' })).json()).toEqual([{ one: 1 }]);
  });
});

describe('pool statistics', () => {
  it('the README example: one host, and each of several', async () => {
    const single = closeLater(clientFor());
    await (await single.query({ query: 'SELECT 1' })).json();
    expect(single.poolStats()).toEqual({ open: 1, idle: 1, in_use: 0, waiting: 0 });

    const proxy = closeLater(await FaultProxy.start({ host: server.host, port: server.port }));
    // README, "Observability"
    const multi = closeLater(
      createClient({
        hosts: [`${server.host}:${server.port}`, `${proxy.host}:${proxy.port}`],
        load_balancing: 'round_robin',
        username: server.username,
        password: server.password,
      }),
    );
    const open = [await multi.query({ query: 'SELECT 1' }), await multi.query({ query: 'SELECT 2' })];
    const stats = multi.poolStats();
    expect(stats).toMatchObject({ open: 2, idle: 0, in_use: 2, waiting: 0 });
    expect(stats.hosts).toEqual([
      { host: server.host, port: server.port, healthy: true, open: 1, idle: 0, in_use: 1, waiting: 0 },
      { host: proxy.host, port: proxy.port, healthy: true, open: 1, idle: 0, in_use: 1, waiting: 0 },
    ]);
    for (const result of open) await result.json();
    expect(multi.poolStats()).toMatchObject({ open: 2, idle: 2, in_use: 0 });
  });
});
