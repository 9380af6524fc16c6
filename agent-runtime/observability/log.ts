/**
 * Structured logs: one JSON object per line on stdout, the format every
 * Colony process writes and `colony dev` reads back from its pods.
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
}

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

/** Writes JSON lines to stdout. */
export const stdoutSink: LogSink = (line) => {
  process.stdout.write(`${safeStringify(line)}\n`);
};

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => {
      if (v instanceof Error) return { name: v.name, message: v.message, stack: v.stack };
      if (typeof v === 'bigint') return v.toString();
      return v;
    });
  } catch {
    return JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'unserialisable log line' });
  }
}

export function createLogger(
  options: { level?: LogLevel; sink?: LogSink; fields?: Record<string, unknown> } = {},
): StructuredLogger {
  const min = LOG_LEVELS.indexOf(options.level ?? 'info');
  const sink = options.sink ?? stdoutSink;
  const base = options.fields ?? {};
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (LOG_LEVELS.indexOf(level) < min) return;
    sink({ time: new Date().toISOString(), level, msg, ...base, ...fields });
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ level: LOG_LEVELS[min], sink, fields: { ...base, ...fields } }),
  };
}

/** The error as a loggable field. */
export function errorField(error: unknown): Record<string, unknown> {
  if (error instanceof Error) return { error: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  return { error: String(error) };
}
