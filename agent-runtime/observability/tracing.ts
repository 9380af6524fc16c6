import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import type { Attributes, Tracer } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { Env } from '../protocol/shared-env.ts';

/** What a span is to the rest of Colony: the traceparent its children carry, and its end. */
export interface TraceSpan {
  /** W3C `traceparent` of this span: what a call made within it carries. */
  readonly traceparent: string;
  /** Ends the span; with an error code (Colony's, e.g. `unavailable`), marked as failed. */
  end(errorCode?: string, attributes?: Attributes): void;
}

export type SpanRole = 'server' | 'client' | 'internal';

/**
 * Spans of one process, exported over OTLP when the standard OTEL_* variables
 * ask for it, and nothing at all otherwise: with tracing off, `start` returns
 * undefined after one check, and no traceparent changes.
 */
export interface Tracing {
  readonly enabled: boolean;
  /** A span whose parent is `parent` (a W3C traceparent, or undefined for a new trace). */
  start(name: string, parent: string | undefined, role: SpanRole, attributes?: Attributes): TraceSpan | undefined;
  /** Sends what is buffered and stops (process exit). */
  shutdown(): Promise<void>;
}

export const NO_TRACING: Tracing = Object.freeze({
  enabled: false,
  start: () => undefined,
  shutdown: () => Promise.resolve(),
});

/** `00-<trace id>-<span id>-<flags>`, checked as W3C trace context asks. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

const KINDS: Record<SpanRole, SpanKind> = { server: SpanKind.SERVER, client: SpanKind.CLIENT, internal: SpanKind.INTERNAL };

/** True when the OTEL_* variables of `env` ask for traces over OTLP (an endpoint, tracing not disabled). Pure. */
export function tracingWanted(env: Env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = env.OTEL_TRACES_EXPORTER?.split(',').map((e) => e.trim().toLowerCase());
  if (exporters && !exporters.includes('otlp')) return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/**
 * Tracing for a process of Colony (`service`: colony-gateway, colony-runtime,
 * colony-controller; OTEL_SERVICE_NAME wins), from the standard OpenTelemetry
 * variables: OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
 * turn it on (OTLP over HTTP, JSON; OTEL_EXPORTER_OTLP_HEADERS and the rest
 * are read by the exporter), OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none
 * keep it off. Spans are batched (OTEL_BSP_* apply).
 */
export function startTracing(service: string, env: Env, attributes: Attributes = {}): Tracing {
  if (!tracingWanted(env)) return NO_TRACING;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME?.trim() || service, ...attributes }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: tracesEndpoint(env) }) })],
  });
  const tracer = provider.getTracer('colony');
  return {
    enabled: true,
    start: (name, parent, role, spanAttributes) => startSpan(tracer, name, parent, role, spanAttributes),
    // An exporter that cannot reach its collector must not fail a stop.
    shutdown: () => provider.shutdown().catch(() => undefined),
  };
}

/** Where spans go: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces (the OTLP/HTTP rule). */
export function tracesEndpoint(env: Env): string {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return traces;
  return `${(env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '').trim().replace(/\/+$/, '')}/v1/traces`;
}

function startSpan(tracer: Tracer, name: string, parent: string | undefined, role: SpanRole, attributes: Attributes | undefined): TraceSpan {
  const match = parent === undefined ? null : TRACEPARENT.exec(parent);
  const context =
    match && match[1] !== 'ff'
      ? trace.setSpanContext(ROOT_CONTEXT, { traceId: match[2] as string, spanId: match[3] as string, traceFlags: Number.parseInt(match[4] as string, 16), isRemote: true })
      : ROOT_CONTEXT;
  const span = tracer.startSpan(name, { kind: KINDS[role], ...(attributes ? { attributes } : {}) }, context);
  const own = span.spanContext();
  const sampled = (own.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
  return {
    traceparent: `00-${own.traceId}-${own.spanId}-${sampled ? '01' : '00'}`,
    end: (errorCode, endAttributes) => {
      if (endAttributes) span.setAttributes(endAttributes);
      if (errorCode !== undefined) {
        span.setAttribute('colony.error.code', errorCode);
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorCode });
      }
      span.end();
    },
  };
}
