import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';

/**
 * Structured logs: one JSON object per line on stdout, written by pino (fastify's
 * own logger), the format every Colony process writes and `colony dev` reads back
 * from its pods: `{"level":"info","time":"<ISO 8601>", ...fields, "msg":"..."}`.
 * Lines written within a turn carry its `trace_id` and `span_id` (W3C trace
 * context) when the call has one.
 */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogLine {
  time: string;
  level: LogLevel;
  msg: string;
  [field: string]: unknown;
}

export type LogSink = (line: LogLine) => void;

export interface StructuredLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): StructuredLogger;
  /** The pino logger underneath (fastify logs through it). */
  readonly pino: Logger;
}

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

/** A destination that hands each line, parsed, to `sink` (colony dev formats them; tests collect them). */
function sinkDestination(sink: LogSink): DestinationStream {
  return {
    write: (text: string) => {
      for (const line of text.split('\n')) if (line) sink(JSON.parse(line) as LogLine);
    },
  };
}

/** Stdout, written synchronously; a reader that went away (EPIPE) makes lines vanish, not the process crash or spin. */
function stdout(): DestinationStream {
  const destination = pino.destination({ dest: 1, sync: true });
  destination.on('error', () => undefined);
  return destination;
}

function wrap(logger: Logger): StructuredLogger {
  return {
    debug: (m, f) => logger.debug(f ?? {}, m),
    info: (m, f) => logger.info(f ?? {}, m),
    warn: (m, f) => logger.warn(f ?? {}, m),
    error: (m, f) => logger.error(f ?? {}, m),
    child: (fields) => wrap(logger.child(fields)),
    pino: logger,
  };
}

/**
 * A logger at `level` (default info) with `fields` on every line, writing to stdout
 * (synchronously: lines written just before an exit are not lost), or to `sink`.
 */
export function createLogger(options: { level?: LogLevel; sink?: LogSink; fields?: Record<string, unknown> } = {}): StructuredLogger {
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: options.fields ?? {},
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        // An Error in any field is written with its name, message and stack (JSON would give {}).
        log: (fields) => {
          let out = fields;
          for (const [key, value] of Object.entries(fields)) {
            if (value instanceof Error) out = { ...out, [key]: { name: value.name, message: value.message, stack: value.stack } };
          }
          return out;
        },
      },
    },
    options.sink ? sinkDestination(options.sink) : stdout(),
  );
  return wrap(logger);
}

/** The error as a loggable field. */
export function errorField(error: unknown): Record<string, unknown> {
  if (error instanceof Error) return { error: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  return { error: String(error) };
}

/** `trace_id` and `span_id` of a W3C traceparent, for the log lines of what runs under it; {} without one. */
export function traceFields(traceparent: string | undefined): Record<string, string> {
  if (!traceparent) return {};
  const [, traceId, spanId] = traceparent.split('-');
  return traceId?.length === 32 && spanId?.length === 16 ? { trace_id: traceId, span_id: spanId } : {};
}

/** A child logger made on its first use: a turn pays nothing for a logger it never writes to. */
export function lazyChild(parent: StructuredLogger, fields: () => Record<string, unknown>): StructuredLogger {
  let made: StructuredLogger | undefined;
  const get = (): StructuredLogger => (made ??= parent.child(fields()));
  return {
    debug: (m, f) => get().debug(m, f),
    info: (m, f) => get().info(m, f),
    warn: (m, f) => get().warn(m, f),
    error: (m, f) => get().error(m, f),
    child: (more) => get().child(more),
    get pino() {
      return get().pino;
    },
  };
}
