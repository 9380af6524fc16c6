/**
 * The floor under the gateway: a fastify handler that makes one NATS
 * request/reply to a bare responder (nats-echo.ts) and sends its bytes back.
 * Same HTTP stack, same NATS client plumbing (request mux, coalesced writes),
 * same number of hops as a gateway call, but no Colony logic on either side:
 * no validation, headers, placement, activation, mailbox or metrics. What
 * separates the gateway from this row is Colony's own cost; what separates
 * this row from the bare handler is the price of the extra hop on this
 * machine. Prints its URL.
 */
import { connect } from '@nats-io/transport-node';
import { headers } from '@nats-io/nats-core';
import Fastify from 'fastify';
import { NO_RESPONDERS, RequestMux } from '../../agent-runtime/client/request-mux.ts';
import { WriteCoalescer } from '../../agent-runtime/client/write-coalescer.ts';

const [natsUrl, subject] = process.argv.slice(2) as [string, string];
const nc = await connect({ servers: natsUrl, noAsyncTraces: true });
const mux = new RequestMux(nc);
const writes = new WriteCoalescer(nc);
const noHeaders = headers();
const empty = new Uint8Array(0);

const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
app.post('/v1/agents/counter/:key/get', async (_request, reply) => {
  writes.hold();
  // One attempt object per call, as the client makes.
  const outcome = await mux.request(subject, empty, { headers: noHeaders, resent: 0 }, 30_000);
  if (typeof outcome === 'symbol') return reply.code(outcome === NO_RESPONDERS ? 503 : 504).send();
  return reply.header('content-type', 'application/json').send(Buffer.from(outcome.data.buffer, outcome.data.byteOffset, outcome.data.byteLength));
});
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${url}\n`);
process.on('SIGTERM', () => void app.close().then(() => nc.drain()).then(() => process.exit(0)));
