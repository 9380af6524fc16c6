import { readFile } from 'node:fs/promises';
import type { InstanceView } from '../../agent-runtime/protocol/admin.ts';
import { UsageError } from '../usage-error.ts';
import { gatewayRequest } from './gateway-client.ts';
import { instanceRequestOf, parseInstanceArgs, REMINDERS_USAGE, STATE_USAGE } from './instance-args.ts';
import type { InstanceCommand } from './instance-args.ts';
import { table } from './text-table.ts';
import { formatDuration, formatTime } from './workflow-format.ts';

export { REMINDERS_USAGE, STATE_USAGE };

/** Longest JSON input shown in a table cell. */
const MAX_CELL_CHARS = 40;

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

/** The new state's JSON text, from `given`: the JSON itself, `@file`, or `-` (stdin); checked to be JSON. */
export async function stateText(given: string, read: { file: (path: string) => Promise<string>; stdin: () => Promise<string> }): Promise<string> {
  let text = given;
  let from = 'the state';
  if (given === '-') {
    text = await read.stdin();
    from = 'the state read from stdin';
  } else if (given.startsWith('@')) {
    const path = given.slice(1);
    try {
      text = await read.file(path);
    } catch (error) {
      throw new UsageError(`could not read the state from ${path}: ${(error as Error).message}`, STATE_USAGE);
    }
    from = `the state in ${path}`;
  }
  try {
    JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${from} is not valid JSON: ${(error as Error).message}`, STATE_USAGE);
  }
  return text.trim();
}

/** A page of reminders as a table. */
export function formatReminders(view: Pick<InstanceView, 'agent' | 'key' | 'reminders'>): string {
  if (view.reminders.length === 0) return `(no reminders on ${view.agent}/${view.key})\n`;
  const rows = [['NAME', 'METHOD', 'DUE', 'EVERY', 'FAILURES', 'INPUT']];
  for (const reminder of view.reminders) {
    const input = reminder.input === undefined ? '' : JSON.stringify(reminder.input);
    rows.push([
      reminder.name,
      reminder.method,
      formatTime(reminder.retryAt ?? reminder.dueAt) + (reminder.retryAt === undefined ? '' : ' (retry)'),
      reminder.everyMs === undefined ? '-' : formatDuration(reminder.everyMs),
      String(reminder.failures ?? 0),
      input.length > MAX_CELL_CHARS ? `${input.slice(0, MAX_CELL_CHARS - 1)}…` : input,
    ]);
  }
  return `${table(rows)}\n`;
}

/** What is printed for the gateway's answer to `command`, without --json. */
export function formatInstanceAnswer(command: InstanceCommand, answer: unknown): string {
  const address = `${command.agent}/${command.key}`;
  switch (command.verb) {
    case 'state-get':
      return `${JSON.stringify((answer as InstanceView).state, null, 2)}\n`;
    case 'state-put':
      return `replaced the state of ${address}\n`;
    case 'state-delete':
      return `reset ${address} to its initial state (its reminders are cancelled)\n`;
    case 'reminders-list':
      return formatReminders(answer as InstanceView);
    case 'reminders-cancel':
      return `cancelled the reminder "${command.name}" of ${address}\n`;
  }
}

async function run(which: 'state' | 'reminders', argv: string[]): Promise<void> {
  const parsed = parseInstanceArgs(which, argv, process.env);
  if (!parsed) {
    process.stdout.write(`${which === 'state' ? STATE_USAGE : REMINDERS_USAGE}\n`);
    return;
  }
  const { command, options } = parsed;
  const state = command.verb === 'state-put' ? await stateText(command.state, { file: (path) => readFile(path, 'utf8'), stdin: readStdin }) : undefined;
  const answer = await gatewayRequest(options.url, instanceRequestOf(command, options, state), options.token);
  process.stdout.write(options.json ? `${JSON.stringify(answer, null, 2)}\n` : formatInstanceAnswer(command, answer));
}

/** `colony state get|put|delete <agent>/<key>`. */
export function stateCommand(argv: string[]): Promise<void> {
  return run('state', argv);
}

/** `colony reminders list|cancel <agent>/<key> [name]`. */
export function remindersCommand(argv: string[]): Promise<void> {
  return run('reminders', argv);
}
