import { formatDuration } from '../manifest/duration.ts';

/** Whole seconds (rounded up, at least one) in the spec's duration notation: `6s`, `1m`. */
export function seconds(ms: number): string {
  return formatDuration(Math.max(1, Math.ceil(ms / 1_000 - 1e-9)) * 1_000);
}

/** A load figure as people read it: one decimal below ten, whole numbers above. */
export function figure(value: number): string {
  return value < 10 ? value.toFixed(1) : String(Math.round(value));
}

/** `pod a`, `pods a, b`, `pods a, b and 3 more`. */
export function podList(podIds: readonly string[]): string {
  if (podIds.length === 1) return `pod ${podIds[0] as string}`;
  const shown = podIds.slice(0, 2).join(', ');
  return podIds.length > 2 ? `pods ${shown} and ${podIds.length - 2} more` : `pods ${shown}`;
}

export function change(from: number, to: number): string {
  if (to === from) return `hold at ${to}`;
  return `${to > from ? 'scale up' : 'scale down'} ${from} → ${to}`;
}
