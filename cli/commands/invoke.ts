import { parseArgs } from 'node:util';
import { UsageError } from '../usage-error.ts';
import { splitAddress } from './address.ts';
import { callHeaders, gatewayErrorText, gatewayOptions, sendToGateway } from './gateway-client.ts';

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
      ...gatewayOptions(process.env),
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
  const response = await sendToGateway(
    values.url,
    {
      method: 'POST',
      path: `/v1/agents/${encodeURIComponent(agent)}/${encodeURIComponent(key)}/${encodeURIComponent(method)}`,
      body: input ?? '',
      headers: callHeaders({ timeout: values.timeout, idempotencyKey: values['idempotency-key'] }),
    },
    values.token,
  );
  const text = await response.text();
  if (response.ok) {
    process.stdout.write(text ? `${JSON.stringify(JSON.parse(text), null, 2)}\n` : '');
    return;
  }
  process.stderr.write(`error ${response.status} ${gatewayErrorText(text)}\n`);
  process.exitCode = 1;
}
