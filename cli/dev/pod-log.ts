import { fileURLToPath } from 'node:url';
import type { DriverPod } from '../../controller/drivers/driver.ts';

/**
 * Colony's own modules (its sources, or compiled in an installed package) and every installed
 * package (Colony's dependencies; Colony itself once installed): their stack frames are left out
 * of the stacks shown for agent code.
 */
const COLONY_DIRS = [...['agent-runtime/', 'controller/', 'gateway/', 'cli/'].map((dir) => fileURLToPath(new URL(`../../${dir}`, import.meta.url))), '/node_modules/'];

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
  const stack = typeof parsed.stack === 'string' && (parsed.level === 'error' || parsed.level === 'warn') ? stackFrames(parsed.stack) : '';
  return `${time} ${name} ${level} ${String(parsed.msg)}${fields ? ` ${fields}` : ''}${stack}`;
}

/**
 * The frames of a stack worth showing under a log line: those of the agent's
 * code (Colony's own frames and Node's internals are noise there); all of
 * them when none is the agent's (an error inside Colony).
 */
export function stackFrames(stack: string): string {
  const frames = stack.split('\n').filter((line) => /^\s+at /.test(line));
  const own = frames.filter((line) => !line.includes('(node:') && !line.includes(' node:') && !COLONY_DIRS.some((dir) => line.includes(dir)));
  const shown = own.length > 0 ? own : frames;
  return shown.length > 0 ? `\n${shown.join('\n')}` : '';
}

function hash(text: string): number {
  let h = 0;
  for (const char of text) h = (h * 31 + char.charCodeAt(0)) >>> 0;
  return h;
}
