// Numbers and times as people read them.

/**
 * How long ago (or how far ahead) `at` is from `now`: "12 s ago", "in 3 min".
 * @param {number} at ms since the epoch
 * @param {number} now
 */
export function relative(at, now) {
  const seconds = Math.round((at - now) / 1000);
  const span = duration(Math.abs(seconds) * 1000);
  if (Math.abs(seconds) < 1) return 'now';
  return seconds < 0 ? `${span} ago` : `in ${span}`;
}

/** "850 ms", "12 s", "4 min", "3 h", "2 d". @param {number} ms */
export function duration(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

/** The time of day, or the date and time when it is not today. @param {number} at */
export function clock(at) {
  const date = new Date(at);
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString() : date.toLocaleString();
}

/** "1.2 MB". @param {number} bytes */
export function bytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** A count with thousands separated. @param {number} n */
export const count = (n) => n.toLocaleString('en-US');

/** "1 workflow", "3 workflows". @param {number} n @param {string} noun */
export const plural = (n, noun) => `${count(n)} ${noun}${n === 1 ? '' : 's'}`;

/** A JSON value on one line, cut to `max` characters. @param {unknown} value @param {number} [max] */
export function brief(value, max = 60) {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
