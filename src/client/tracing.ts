/**
 * Tracing: the W3C trace context a query carries in ClientInfo (revision 54442 on), and an optional span per query and
 * insert for the application's OpenTelemetry tracer.
 *
 * The trace context comes, first found first: from the call's `trace_context` ({ traceparent, tracestate }); from the
 * span the client's tracer opened for the call; from the active OpenTelemetry span, when `@opentelemetry/api` is
 * installed (an optional peer dependency, imported the first time it is needed, never required). With a sampled
 * context the server records its own spans of the query as children of ours (system.opentelemetry_span_log).
 *
 * Span attributes follow the OpenTelemetry semantic conventions for database client spans: db.system.name,
 * db.namespace, db.operation.name, db.collection.name (insert), db.query.text (only with include_query_text: it may
 * hold values), server.address, server.port, db.response.returned_rows, db.response.status_code and error.type.
 */
import { ClickHouseError, InvalidValueError } from '../errors.js';
import type { TraceContext } from '../connection/response.js';

/** The part of an OpenTelemetry SpanContext the client reads. */
interface SpanContextLike {
  traceId: string;
  spanId: string;
  traceFlags: number;
  traceState?: { serialize(): string };
}

type AttributeValue = string | number | boolean;

/** The part of an OpenTelemetry Span the client uses. */
export interface SpanLike {
  spanContext(): SpanContextLike;
  setAttribute(key: string, value: AttributeValue): unknown;
  recordException(exception: Error): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}

/** The part of an OpenTelemetry Tracer the client uses (`trace.getTracer('my-app')` is one). */
export interface TracerLike {
  startSpan(name: string, options?: { kind?: number; attributes?: Record<string, AttributeValue> }): SpanLike;
}

export interface TracingConfig {
  /** Opens the client's spans: `trace.getTracer('my-service')` from @opentelemetry/api. */
  tracer: TracerLike;
  /** Put the SQL in db.query.text. Default false: query text may carry values (semantic conventions: opt-in). */
  include_query_text?: boolean;
}

/** OpenTelemetry's SpanKind.CLIENT and SpanStatusCode.ERROR. */
const SPAN_KIND_CLIENT = 2;
const STATUS_ERROR = 2;

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

/** A `traceparent` header (version-traceid-parentid-flags, lower-case hex) and its `tracestate`, checked. */
export function parseTraceparent(traceparent: unknown, tracestate: unknown = ''): TraceContext {
  const match = typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent.trim()) : null;
  if (!match) {
    throw new InvalidValueError(
      `trace_context.traceparent must be a W3C traceparent ("00-<32 hex>-<16 hex>-<2 hex>"), got ${JSON.stringify(traceparent)}`,
    );
  }
  const [, version, traceId, spanId, flags] = match as unknown as [string, string, string, string, string];
  if (version === 'ff') throw new InvalidValueError('trace_context.traceparent has the invalid version ff');
  if (/^0+$/.test(traceId)) throw new InvalidValueError('trace_context.traceparent has an all-zero trace id');
  if (/^0+$/.test(spanId)) throw new InvalidValueError('trace_context.traceparent has an all-zero parent id');
  if (version === '00' && match[0].length !== 55) {
    throw new InvalidValueError('trace_context.traceparent of version 00 has extra fields');
  }
  if (typeof tracestate !== 'string') throw new InvalidValueError('trace_context.tracestate must be a string');
  return {
    traceId: Buffer.from(traceId, 'hex'),
    spanId: Buffer.from(spanId, 'hex'),
    traceState: tracestate,
    traceFlags: parseInt(flags, 16),
  };
}

/**
 * A span's context for ClientInfo; undefined for an unsampled span: the server records the spans of any trace context
 * it receives (26.7 does not look at the sampled flag), which would fill its span log with traces nobody keeps.
 */
function fromSpanContext(context: SpanContextLike | undefined): TraceContext | undefined {
  if (
    !context ||
    (context.traceFlags & 1) === 0 ||
    !/^[0-9a-f]{32}$/.test(context.traceId) ||
    !/^[0-9a-f]{16}$/.test(context.spanId)
  )
    return undefined;
  if (/^0+$/.test(context.traceId) || /^0+$/.test(context.spanId)) return undefined;
  return {
    traceId: Buffer.from(context.traceId, 'hex'),
    spanId: Buffer.from(context.spanId, 'hex'),
    traceState: context.traceState?.serialize() ?? '',
    traceFlags: context.traceFlags & 0xff,
  };
}

interface OpenTelemetryApi {
  trace: { getActiveSpan(): { spanContext(): SpanContextLike } | undefined };
}

let openTelemetry: Promise<OpenTelemetryApi | undefined> | undefined;

/** @opentelemetry/api, if the application has it; imported once, on first use. */
function loadOpenTelemetry(): Promise<OpenTelemetryApi | undefined> {
  openTelemetry ??= import('@opentelemetry/api').then(
    (api) => api as unknown as OpenTelemetryApi,
    () => undefined,
  );
  return openTelemetry;
}

/** The trace context of the active OpenTelemetry span, when @opentelemetry/api is installed and a span is active. */
export async function activeTraceContext(): Promise<TraceContext | undefined> {
  const api = await loadOpenTelemetry();
  return fromSpanContext(api?.trace.getActiveSpan()?.spanContext());
}

/** The first SQL keyword (SELECT, INSERT, WITH, …): the span's operation name. */
function operationOf(sql: string): string | undefined {
  const match = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/|\()*([A-Za-z]+)/.exec(sql.slice(0, 4096));
  return match?.[1]?.toUpperCase();
}

/** One client span: a query or an insert. */
export class ClientSpan {
  private ended = false;

  private constructor(private readonly span: SpanLike) {}

  /** Opens a span for `sql` (a query) or for an insert into `table`. */
  static start(
    config: TracingConfig,
    request: { sql?: string; table?: string; database: string; host: string; port: number },
  ): ClientSpan | undefined {
    const operation = request.table !== undefined ? 'INSERT' : request.sql && operationOf(request.sql);
    const attributes: Record<string, AttributeValue> = {
      'db.system.name': 'clickhouse',
      'db.namespace': request.database,
      'server.address': request.host,
      'server.port': request.port,
    };
    if (operation) attributes['db.operation.name'] = operation;
    if (request.table !== undefined) attributes['db.collection.name'] = request.table;
    if (config.include_query_text && request.sql !== undefined) attributes['db.query.text'] = request.sql;
    const name = [operation, request.table].filter(Boolean).join(' ') || 'clickhouse';
    try {
      return new ClientSpan(config.tracer.startSpan(name, { kind: SPAN_KIND_CLIENT, attributes }));
    } catch {
      return undefined; // the application's tracer failed: the query runs untraced
    }
  }

  /** The span's context, to send in ClientInfo (so the server's spans are its children). */
  get context(): TraceContext | undefined {
    try {
      return fromSpanContext(this.span.spanContext());
    } catch {
      return undefined;
    }
  }

  /** The server the request ran on (with several hosts, known once a connection is leased). */
  setServer(host: string, port: number): void {
    this.set({ 'server.address': host, 'server.port': port });
  }

  /** Ends the span once; an error marks it failed, with the server's code when the server raised it. */
  end(error: unknown, attributes: Record<string, AttributeValue> = {}): void {
    if (this.ended) return;
    this.ended = true;
    try {
      this.set(attributes);
      if (error !== undefined) {
        const failure = error instanceof Error ? error : new Error(String(error));
        if (failure instanceof ClickHouseError) this.span.setAttribute('db.response.status_code', String(failure.code));
        this.span.setAttribute('error.type', failure instanceof ClickHouseError ? String(failure.code) : failure.name);
        this.span.recordException(failure);
        this.span.setStatus({ code: STATUS_ERROR, message: failure.message });
      }
      this.span.end();
    } catch {
      // The application's tracer failed; the request's outcome stands.
    }
  }

  private set(attributes: Record<string, AttributeValue>): void {
    try {
      for (const [key, value] of Object.entries(attributes)) this.span.setAttribute(key, value);
    } catch {
      // as above
    }
  }
}
