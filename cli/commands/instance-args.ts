import { parseCommandArgs, UsageError } from '../usage-error.ts';
import { splitAddress } from './address.ts';
import { callHeaders, requestOptions, requestOptionsOf } from './gateway-client.ts';
import type { GatewayRequest, RequestOptions } from './gateway-client.ts';

const COMMON_OPTIONS = `Options:
  --url <url>         gateway URL (default $COLONY_URL or http://127.0.0.1:8080)
  --token <t>         API token, for a gateway that requires one (default $COLONY_TOKEN)
  --json              print the gateway's JSON answer
  --timeout <t>       deadline of a change, e.g. 5s (default 30s)
  --idempotency-key   make retries of a change apply it at most once`;

export const STATE_USAGE = `colony state get|put|delete <agent>/<key> [options]

Reads, replaces or resets the state of an instance through the gateway. A
change is a turn of the instance on its pod, like a call: it waits for the
turns before it, and the instance's next call sees it.

  colony state get counter/alice             the state, as JSON (from memory when the instance is active)
  colony state put counter/alice '{"count":5}'   replace it with this JSON
  colony state put counter/alice @state.json     … with the JSON in a file
  colony state get counter/alice | colony state put counter/bob -    … read from stdin
  colony state delete counter/alice          reset it to the Agent's initial state, cancelling its reminders

${COMMON_OPTIONS}`;

export const REMINDERS_USAGE = `colony reminders list|cancel <agent>/<key> [name] [options]

Lists or cancels the durable reminders of an instance through the gateway.

  colony reminders list alarm/a              name, method, when due, period, failed fires
  colony reminders cancel alarm/a wake-up    cancel one (a turn of the instance on its pod)

${COMMON_OPTIONS}`;

/** What `colony state …` or `colony reminders …` was asked to do. */
export type InstanceCommand =
  | { verb: 'state-get' | 'state-delete' | 'reminders-list'; agent: string; key: string }
  | { verb: 'state-put'; agent: string; key: string; state: string }
  | { verb: 'reminders-cancel'; agent: string; key: string; name: string };

export type InstanceOptions = RequestOptions;

const VERBS = { state: ['get', 'put', 'delete'], reminders: ['list', 'cancel'] } as const;
/** Arguments after the address, by verb. */
const EXTRA = { 'state-get': 0, 'state-delete': 0, 'reminders-list': 0, 'state-put': 1, 'reminders-cancel': 1 } as const;
const WHAT_EXTRA: Readonly<Record<string, string>> = { 'state-put': 'the new state: JSON, @file or - (stdin)', 'reminders-cancel': 'the name of the reminder' };

/**
 * Reads the arguments of `colony state` (`command` 'state') or `colony
 * reminders`; a mistake is a UsageError saying what is wrong. Undefined for
 * --help. The state of `put` is left as given (JSON, `@file` or `-`):
 * the command reads it (stateText).
 */
export function parseInstanceArgs(command: 'state' | 'reminders', argv: string[], env: NodeJS.ProcessEnv = {}): { command: InstanceCommand; options: InstanceOptions } | undefined {
  const usageText = command === 'state' ? STATE_USAGE : REMINDERS_USAGE;
  const usage = (message: string): UsageError => new UsageError(message, usageText);
  const { values, positionals } = parseCommandArgs(
    { args: argv, allowPositionals: true, options: { ...requestOptions(env), help: { type: 'boolean', short: 'h', default: false } } },
    usageText,
  );
  if (values.help) return undefined;
  const [verb, address, ...rest] = positionals;
  const verbs: readonly string[] = VERBS[command];
  if (verb === undefined || !verbs.includes(verb)) throw usage(`${verb === undefined ? 'which' : `unknown ${command} command "${verb}";`} one of: ${verbs.join(', ')}`);
  const parts = address === undefined ? undefined : splitAddress(address);
  if (!parts) throw usage(`${command} ${verb} needs an instance, written <agent>/<key> (e.g. counter/alice)${address === undefined ? '' : `, not "${address}"`}`);
  const which = `${command}-${verb}` as keyof typeof EXTRA;
  const extra = EXTRA[which];
  if (rest.length > extra) throw usage(`${command} ${verb} takes ${extra === 0 ? 'only the instance' : 'the instance and one argument'}; "${rest[extra]}" is one too many`);
  if (rest.length < extra) throw usage(`${command} ${verb} needs ${WHAT_EXTRA[which]} after the instance`);
  const options = requestOptionsOf(values);
  const target = { agent: parts.name, key: parts.key };
  const [argument = ''] = rest;
  if (which === 'state-put') return { command: { verb: which, ...target, state: argument }, options };
  if (which === 'reminders-cancel') return { command: { verb: which, ...target, name: argument }, options };
  return { command: { verb: which, ...target }, options };
}

const segment = encodeURIComponent;

/** The gateway request of a command; `state` is the new state's JSON text for state-put. */
export function instanceRequestOf(command: InstanceCommand, options: Pick<InstanceOptions, 'timeout' | 'idempotencyKey'>, state?: string): GatewayRequest {
  const base = `/v1/agents/${segment(command.agent)}/${segment(command.key)}`;
  const headers = callHeaders(options);
  switch (command.verb) {
    case 'state-get':
      return { method: 'GET', path: `${base}/state` };
    case 'state-put':
      return { method: 'PUT', path: `${base}/state`, body: state, headers };
    case 'state-delete':
      return { method: 'DELETE', path: `${base}/state`, headers };
    case 'reminders-list':
      return { method: 'GET', path: `${base}/reminders` };
    case 'reminders-cancel':
      return { method: 'DELETE', path: `${base}/reminders/${segment(command.name)}`, headers };
  }
}
