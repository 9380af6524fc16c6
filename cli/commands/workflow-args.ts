import { WORKFLOW_STATUSES } from '../../agent-runtime/protocol/workflow.ts';
import type { WorkflowStatus } from '../../agent-runtime/protocol/workflow.ts';
import { parseDurationMs } from '../../gateway/call-headers.ts';
import { parseCommandArgs, UsageError } from '../usage-error.ts';
import { splitAddress } from './address.ts';
import { callHeaders, requestOptions, requestOptionsOf } from './gateway-client.ts';
import type { GatewayRequest, RequestOptions } from './gateway-client.ts';

export const WORKFLOW_USAGE = `colony workflow <command> [options]

Starts, inspects and steers workflow instances through the gateway.

  colony workflow start <workflow> [id] [json]     start one (no id: a generated one; - also)
  colony workflow get <workflow>/<id> [--wait 10s] its status, input, output; --wait: until it is no longer running
  colony workflow history <workflow>/<id>          the steps of its current run, its events, how it ended
  colony workflow event <workflow>/<id> <name> [json]   send it an event, with the JSON as payload
  colony workflow terminate <workflow>/<id> [--reason r]
  colony workflow suspend <workflow>/<id>
  colony workflow resume <workflow>/<id>
  colony workflow purge <workflow>/<id>            delete a finished one and its journal
  colony workflow list <workflow> [--status s] [--limit n] [--cursor c]   newest first

  colony workflow start order o-17 '{"item":"lamp","qty":2,"amount":30}'
  colony workflow start order '{"item":"desk","qty":1,"amount":90}'    a single argument starting with {, [ or " is the input

Options:
  --url <url>         gateway URL (default $COLONY_URL or http://127.0.0.1:8080)
  --token <t>         API token, for a gateway that requires one (default $COLONY_TOKEN)
  --json              print the gateway's JSON answer
  --timeout <t>       deadline of start, event, terminate, suspend, resume, purge (default 30s)
  --idempotency-key   make retries of that verb run it at most once
  --wait <t>          get: wait up to this long (e.g. 10s, 5m; at most 15m)
  --reason <r>        terminate: why, kept in its record
  --status <s>        list: only those with this status (${WORKFLOW_STATUSES.join(', ')})
  --limit <n>         list: at most this many (1 to 1000, default 100)
  --cursor <c>        list: the page after the one that printed this cursor`;

/** What `colony workflow …` was asked to do. */
export type WorkflowCommand =
  | { verb: 'start'; workflow: string; id: string | undefined; input: string | undefined }
  | { verb: 'get'; workflow: string; id: string; waitMs: number | undefined }
  | { verb: 'history' | 'suspend' | 'resume' | 'purge'; workflow: string; id: string }
  | { verb: 'event'; workflow: string; id: string; name: string; payload: string | undefined }
  | { verb: 'terminate'; workflow: string; id: string; reason: string | undefined }
  | { verb: 'list'; workflow: string; status: WorkflowStatus | undefined; limit: number | undefined; cursor: string | undefined };

export type WorkflowOptions = RequestOptions;

const COMMANDS = ['start', 'get', 'history', 'event', 'terminate', 'suspend', 'resume', 'purge', 'list'] as const;

/** Options only some commands take. */
const ONLY_FOR: Readonly<Record<string, readonly string[]>> = {
  wait: ['get'],
  reason: ['terminate'],
  status: ['list'],
  limit: ['list'],
  cursor: ['list'],
  timeout: ['start', 'event', 'terminate', 'suspend', 'resume', 'purge'],
  'idempotency-key': ['start', 'event', 'terminate', 'suspend', 'resume', 'purge'],
};

function usage(message: string): UsageError {
  return new UsageError(message, WORKFLOW_USAGE);
}

function checkJson(text: string | undefined, what: string): string | undefined {
  if (text === undefined) return undefined;
  try {
    JSON.parse(text);
  } catch (error) {
    throw usage(`${what} is not valid JSON: ${(error as Error).message}`);
  }
  return text;
}

function instance(address: string | undefined, command: string): { workflow: string; id: string } {
  const parts = address === undefined ? undefined : splitAddress(address);
  if (!parts) throw usage(`${command} needs an instance, written <workflow>/<id> (e.g. order/o-17)${address === undefined ? '' : `, not "${address}"`}`);
  return { workflow: parts.name, id: parts.key };
}

/** A single argument after the workflow's name is its input when it looks like JSON text of an object, an array or a string. */
function looksLikeInput(text: string): boolean {
  return /^\s*[[{"]/.test(text);
}

function command(verb: string, args: string[], values: Record<string, string | boolean | undefined>): WorkflowCommand {
  const most = (count: number): void => {
    if (args.length > count) throw usage(`${verb} takes ${count === 1 ? 'one argument' : `at most ${count} arguments`}; "${args[count]}" is one too many`);
  };
  switch (verb) {
    case 'start': {
      most(3);
      const [workflow, second, third] = args;
      if (!workflow || workflow.includes('/')) throw usage('start needs the name of a workflow: colony workflow start <workflow> [id] [json]');
      const [id, input] = third === undefined && second !== undefined && looksLikeInput(second) ? [undefined, second] : [second, third];
      return { verb, workflow, id: id === '-' || id === '' ? undefined : id, input: checkJson(input, 'the input') };
    }
    case 'get': {
      most(1);
      const wait = values.wait as string | undefined;
      let waitMs: number | undefined;
      if (wait !== undefined) {
        try {
          waitMs = parseDurationMs(wait, '--wait');
        } catch (error) {
          throw usage((error as Error).message);
        }
      }
      return { verb, ...instance(args[0], verb), waitMs };
    }
    case 'event': {
      most(3);
      const name = args[1];
      if (!name) throw usage('event needs the name of the event: colony workflow event <workflow>/<id> <name> [json]');
      return { verb, ...instance(args[0], verb), name, payload: checkJson(args[2], 'the payload') };
    }
    case 'terminate':
      most(1);
      return { verb, ...instance(args[0], verb), reason: values.reason as string | undefined };
    case 'list': {
      most(1);
      const [workflow] = args;
      if (!workflow || workflow.includes('/')) throw usage('list needs the name of a workflow: colony workflow list <workflow>');
      const status = values.status as string | undefined;
      if (status !== undefined && !(WORKFLOW_STATUSES as readonly string[]).includes(status)) {
        throw usage(`--status is one of ${WORKFLOW_STATUSES.join(', ')}, not "${status}"`);
      }
      const limitText = values.limit as string | undefined;
      const limit = limitText === undefined ? undefined : Number(limitText);
      if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= 1_000)) throw usage(`--limit is a whole number from 1 to 1000, not "${limitText}"`);
      return { verb, workflow, status: status as WorkflowStatus | undefined, limit, cursor: values.cursor as string | undefined };
    }
    default:
      most(1);
      return { verb: verb as 'history' | 'suspend' | 'resume' | 'purge', ...instance(args[0], verb) };
  }
}

/** Reads `colony workflow …`'s arguments; a mistake is a UsageError saying what is wrong. Undefined for --help. */
export function parseWorkflowArgs(argv: string[], env: NodeJS.ProcessEnv = {}): { command: WorkflowCommand; options: WorkflowOptions } | undefined {
  const parsed = parseCommandArgs(
    {
      args: argv,
      allowPositionals: true,
      options: {
        ...requestOptions(env),
        wait: { type: 'string' },
        reason: { type: 'string' },
        status: { type: 'string' },
        limit: { type: 'string' },
        cursor: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    WORKFLOW_USAGE,
  );
  const { values, positionals } = parsed;
  if (values.help) return undefined;
  const [verb, ...args] = positionals;
  if (verb === undefined) throw usage('which workflow command? one of: ' + COMMANDS.join(', '));
  if (!(COMMANDS as readonly string[]).includes(verb)) throw usage(`unknown workflow command "${verb}"; the commands are: ${COMMANDS.join(', ')}`);
  for (const [option, commands] of Object.entries(ONLY_FOR)) {
    if ((values as Record<string, unknown>)[option] !== undefined && !commands.includes(verb)) {
      throw usage(`--${option} is for ${commands.join(', ')}, not ${verb}`);
    }
  }
  return { command: command(verb, args, values), options: requestOptionsOf(values) };
}

const segment = encodeURIComponent;

/** The gateway request of a command (for get with --wait, one wait of `waitMs`). */
export function requestOf(command: WorkflowCommand, options: Pick<WorkflowOptions, 'timeout' | 'idempotencyKey'>, waitMs?: number): GatewayRequest {
  const base = `/v1/workflows/${segment(command.workflow)}`;
  if (command.verb === 'list') {
    const query = new URLSearchParams();
    if (command.status) query.set('status', command.status);
    if (command.limit !== undefined) query.set('limit', String(command.limit));
    if (command.cursor) query.set('cursor', command.cursor);
    const text = query.toString();
    return { method: 'GET', path: text ? `${base}?${text}` : base };
  }
  if (command.verb === 'start') {
    return { method: 'POST', path: command.id === undefined ? base : `${base}/${segment(command.id)}`, body: command.input, headers: callHeaders(options) };
  }
  const path = `${base}/${segment(command.id)}`;
  switch (command.verb) {
    case 'get':
      return { method: 'GET', path: waitMs === undefined ? path : `${path}?wait=${Math.max(1, Math.ceil(waitMs))}ms` };
    case 'history':
      return { method: 'GET', path: `${path}/history` };
    case 'event':
      return { method: 'POST', path: `${path}/events/${segment(command.name)}`, body: command.payload, headers: callHeaders(options) };
    case 'terminate':
      return { method: 'POST', path: `${path}/terminate`, body: command.reason === undefined ? undefined : JSON.stringify({ reason: command.reason }), headers: callHeaders(options) };
    case 'purge':
      return { method: 'DELETE', path, headers: callHeaders(options) };
    default:
      return { method: 'POST', path: `${path}/${command.verb}`, headers: callHeaders(options) };
  }
}
