import type { ErrorBody } from '../../agent-runtime/protocol/errors.ts';
import type { HistoryStep, VerbReply, WorkflowHistory } from '../../agent-runtime/protocol/workflow.ts';
import type { WorkflowView, WorkflowViewPage } from '../../gateway/workflow-views.ts';
import { table } from './text-table.ts';

/**
 * What `colony workflow …` prints by default: a sentence for a verb, the
 * fields of an instance, tables for its history and for a list. Pure: each
 * takes the gateway's JSON answer and gives the text (with a final newline).
 */

/** Longest JSON value shown in a table cell. */
const MAX_CELL_CHARS = 60;

/** A time in UTC, to the second: `2026-11-29 06:00:03`. */
export function formatTime(at: number): string {
  return new Date(at).toISOString().replace('T', ' ').slice(0, 19);
}

/** A duration for people: `40ms`, `1.5s`, `2m3s`, `1h2m`. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1_000).toFixed(1))}s`;
  const seconds = Math.round(ms / 1_000);
  if (seconds < 3_600) return `${Math.floor(seconds / 60)}m${seconds % 60 ? `${seconds % 60}s` : ''}`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)}h${minutes % 60 ? `${minutes % 60}m` : ''}`;
}

function json(value: unknown, max = Number.POSITIVE_INFINITY): string {
  const text = JSON.stringify(value) ?? '';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function errorText(error: ErrorBody): string {
  return `${error.code}: ${error.message}`;
}

const PAST: Readonly<Record<string, string>> = {
  start: 'started',
  terminate: 'terminated',
  suspend: 'suspended',
  resume: 'resumed',
};

/** The answer of start, event, terminate, suspend, resume: `started order/o-17 (running)`. */
export function formatVerbReply(verb: string, reply: VerbReply, event?: string): string {
  const done = verb === 'event' ? `sent the event "${event}" to` : (PAST[verb] ?? verb);
  return `${done} ${reply.workflow}/${reply.id} (${reply.status})\n`;
}

export function formatPurged(reply: { workflow: string; id: string }): string {
  return `purged ${reply.workflow}/${reply.id} and its journal\n`;
}

/** One instance: its address and status, then each field it has. */
export function formatInstance(view: WorkflowView): string {
  const rows: [string, string][] = [
    ['run', String(view.run)],
    ['created', formatTime(view.createdAt)],
    ['updated', formatTime(view.updatedAt)],
    ['input', json(view.input)],
  ];
  if (view.output !== null) rows.push(['output', json(view.output)]);
  if (view.error !== null) rows.push(['error', errorText(view.error)]);
  if (view.customStatus !== null) rows.push(['custom status', json(view.customStatus)]);
  if (view.reason !== undefined) rows.push(['reason', view.reason]);
  const width = Math.max(...rows.map(([label]) => label.length));
  return `${view.workflow}/${view.id}  ${view.status}\n${rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n')}\n`;
}

function stepResult(step: HistoryStep): string {
  if (step.error !== undefined) return step.status === 'waiting' ? `last attempt: ${errorText(step.error)}` : errorText(step.error);
  return step.value === undefined ? '' : json(step.value, MAX_CELL_CHARS);
}

/** A run's history: a table of its steps, then its events and how it ended. */
export function formatHistory(history: WorkflowHistory): string {
  const rows = [['STEP', 'KIND', 'NAME', 'STATUS', 'SCHEDULED', 'DURATION', 'ATTEMPTS', 'RESULT']];
  for (const step of history.steps) {
    rows.push([
      String(step.step),
      step.kind,
      step.name || '-',
      step.status,
      formatTime(step.scheduledAt),
      step.durationMs === undefined ? '-' : formatDuration(step.durationMs),
      step.attempts === undefined ? '-' : String(step.attempts),
      stepResult(step),
    ]);
  }
  let text = `${history.workflow}/${history.id}, run ${history.run}\n`;
  text += history.steps.length === 0 ? '(no steps yet)\n' : `${table(rows)}\n`;
  if (history.events.length > 0) {
    text += `events:\n${history.events.map((event) => `  ${formatTime(event.at)}  ${event.name}`).join('\n')}\n`;
  }
  if (history.end) text += `ended ${history.end.status} at ${formatTime(history.end.at)}\n`;
  return text;
}

/** A page of a list: a table, and how to ask for the next page when there is one. */
export function formatList(page: WorkflowViewPage, nextCommand: (cursor: string) => string): string {
  if (page.workflows.length === 0) return '(no workflows)\n';
  const rows = [['ID', 'STATUS', 'CREATED', 'UPDATED', 'RUN']];
  for (const view of page.workflows) rows.push([view.id, view.status, formatTime(view.createdAt), formatTime(view.updatedAt), String(view.run)]);
  return `${table(rows)}\n${page.next === undefined ? '' : `more: ${nextCommand(page.next)}\n`}`;
}
