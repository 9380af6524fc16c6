import type { DriverPod } from '../../controller/drivers/driver.ts';

const COLORS = ['\x1b[36m', '\x1b[35m', '\x1b[33m', '\x1b[32m', '\x1b[34m', '\x1b[96m'];
const RESET = '\x1b[0m';
const LEVEL_MARK: Record<string, string> = { debug: 'DBG', info: 'INF', warn: 'WRN', error: 'ERR' };
const HIDDEN = new Set(['time', 'level', 'msg', 'pod', 'agent']);

/** Formats a pod's JSON log line for a terminal: `12:00:01 counter-0-ab12 INF pod started partitions=64`. */
export function formatPodLine(pod: DriverPod, line: string, color: boolean): string {
  const name = color ? `${COLORS[hash(pod.agent) % COLORS.length]}${pod.podId}${RESET}` : pod.podId;
  let parsed: Record<string, unknown> | undefined;
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value === 'object' && value !== null && 'msg' in value) parsed = value as Record<string, unknown>;
  } catch {
    parsed = undefined;
  }
  if (!parsed) return `${name} ${line}`;
  const time = typeof parsed.time === 'string' ? parsed.time.slice(11, 19) : '';
  const level = LEVEL_MARK[String(parsed.level)] ?? String(parsed.level);
  const fields = Object.entries(parsed)
    .filter(([key]) => !HIDDEN.has(key) && key !== 'stack')
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  const stack = typeof parsed.stack === 'string' && parsed.level === 'error' ? `\n${parsed.stack}` : '';
  return `${time} ${name} ${level} ${String(parsed.msg)}${fields ? ` ${fields}` : ''}${stack}`;
}

function hash(text: string): number {
  let h = 0;
  for (const char of text) h = (h * 31 + char.charCodeAt(0)) >>> 0;
  return h;
}
