/** The baseline: a bare fastify handler answering what counter.get answers. Prints its URL. */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
// Like the gateway, accept the empty JSON body that `counter.get` is called with.
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
app.post('/v1/agents/counter/:key/get', async () => ({ count: 0 }));
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${url}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
