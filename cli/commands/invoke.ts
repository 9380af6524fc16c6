import { parseArgs } from 'node:util';
import { UsageError } from '../usage-error.ts';
import { splitAddress } from './address.ts';
import { authHeaders } from './gateway-client.ts';

export const INVOKE_USAGE = `colony invoke <agent>/<key> <method> [json] [options]

Calls a method of an instance through the gateway and prints the result.

  colony invoke counter/alice increment '{"by":2}'

Options:
  --url <url>         gateway URL (default $COLONY_URL or http://127.0.0.1:8080)
  --token <t>         API token, for a gateway that requires one (default $COLONY_TOKEN)
  --timeout <t>       deadline, e.g. 5s or 500ms (default 30s)
  --idempotency-key   make retries of this call run it at most once`;

export async function invokeCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string', default: process.env.COLONY_URL ?? 'http://127.0.0.1:8080' },
      token: { type: 'string', default: process.env.COLONY_TOKEN },
      timeout: { type: 'string' },
      'idempotency-key': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${INVOKE_USAGE}\n`);
    return;
  }
  const [address, method, input] = positionals;
  if (!address || !method || positionals.length > 3) throw new UsageError('expected <agent>/<key> <method> [json]', INVOKE_USAGE);
  const parts = splitAddress(address);
  if (!parts) throw new UsageError(`"${address}" is not an instance address; write <agent>/<key>, e.g. counter/alice`, INVOKE_USAGE);
  const { name: agent, key } = parts;
  if (input !== undefined) {
    try {
      JSON.parse(input);
    } catch (error) {
      throw new UsageError(`the input is not valid JSON: ${(error as Error).message}`, INVOKE_USAGE);
    }
  }
  const headers: Record<string, string> = { 'content-type': 'application/json', ...authHeaders(values.token) };
  if (values.timeout) headers['x-colony-timeout'] = values.timeout;
  if (values['idempotency-key']) headers['idempotency-key'] = values['idempotency-key'];
  const url = `${values.url.replace(/\/$/, '')}/v1/agents/${encodeURIComponent(agent)}/${encodeURIComponent(key)}/${encodeURIComponent(method)}`;
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers, body: input ?? '' });
  } catch (error) {
    const reason = String((error as Error).cause ?? (error as Error).message);
    throw new Error(`could not reach the gateway at ${values.url} (${reason}); is \`colony dev\` running? Set --url or COLONY_URL`, {
      cause: error,
    });
  }
  const text = await response.text();
  if (response.ok) {
    process.stdout.write(text ? `${JSON.stringify(JSON.parse(text), null, 2)}\n` : '');
    return;
  }
  let message = text;
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (body.error) message = `${body.error.code}: ${body.error.message}`;
  } catch {
    // not JSON: print as it is
  }
  process.stderr.write(`error ${response.status} ${message}\n`);
  process.exitCode = 1;
}
