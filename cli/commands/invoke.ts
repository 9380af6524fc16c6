import { parseArgs } from 'node:util';
import { UsageError } from '../usage-error.ts';
import { httpStatusOf, isErrorCode } from '../../agent-runtime/protocol/errors.ts';
import { splitAddress } from './address.ts';
import { EventStreamParser } from '../../agent-runtime/http-client/event-stream.ts';
import { callHeaders, gatewayErrorText, gatewayOptions, sendToGateway } from './gateway-client.ts';

export const INVOKE_USAGE = `colony invoke <agent>/<key> <method> [json] [options]

Calls a method of an instance through the gateway and prints the result.

  colony invoke counter/alice increment '{"by":2}'
  colony invoke --stream progress/job-1 run '{"steps":5,"stepMs":200}'

Options:
  --url <url>         gateway URL (default $COLONY_URL or http://127.0.0.1:8080)
  --token <t>         API token, for a gateway that requires one (default $COLONY_TOKEN)
  --timeout <t>       deadline, e.g. 5s or 500ms (default 30s)
  --idempotency-key   make retries of this call run it at most once
  --stream            print each chunk of a streamed reply on its own line as it arrives`;

export async function invokeCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...gatewayOptions(process.env),
      timeout: { type: 'string' },
      'idempotency-key': { type: 'string' },
      stream: { type: 'boolean', default: false },
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
      headers: {
        ...callHeaders({ timeout: values.timeout, idempotencyKey: values['idempotency-key'] }),
        ...(values.stream ? { accept: 'text/event-stream' } : {}),
      },
    },
    values.token,
  );
  if (response.ok && response.headers.get('content-type')?.startsWith('text/event-stream')) {
    await printEventStream(response);
    return;
  }
  const text = await response.text();
  if (response.ok) {
    process.stdout.write(text ? `${JSON.stringify(JSON.parse(text), null, 2)}\n` : '');
    return;
  }
  process.stderr.write(`error ${response.status} ${gatewayErrorText(text)}\n`);
  process.exitCode = 1;
}

/**
 * Prints each chunk of a streamed reply (compact JSON, one a line) as it
 * arrives; an `error` event is printed to stderr as the gateway's errors are,
 * and so is a stream cut off before its end.
 */
async function printEventStream(response: Response): Promise<void> {
  const parser = new EventStreamParser();
  const decoder = new TextDecoder();
  const body = response.body;
  if (body) {
    for await (const piece of body) {
      for (const event of parser.push(decoder.decode(piece, { stream: true }))) {
        if (event.event === 'message') process.stdout.write(`${event.data}\n`);
        else if (event.event === 'end') return;
        else if (event.event === 'error') {
          process.stderr.write(`error ${streamErrorText(event.data)}\n`);
          process.exitCode = 1;
          return;
        }
      }
    }
  }
  process.stderr.write('error: the stream ended before its end event (the gateway or the connection went away); call again\n');
  process.exitCode = 1;
}

/** An `event: error`'s data as `<status> <code>: <message>`, as the CLI prints other errors. */
function streamErrorText(data: string): string {
  try {
    const { error } = JSON.parse(data) as { error?: { code?: string } };
    const code = error?.code;
    if (code !== undefined && isErrorCode(code)) return `${httpStatusOf(code)} ${gatewayErrorText(data)}`;
  } catch {
    // not JSON
  }
  return gatewayErrorText(data);
}
