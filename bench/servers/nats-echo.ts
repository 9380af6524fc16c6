/** The baseline: a bare NATS responder answering what counter.get answers. Prints `ready`. */
import { connect } from '@nats-io/transport-node';

const [url, subject] = process.argv.slice(2) as [string, string];
const nc = await connect({ servers: url, noAsyncTraces: true });
const reply = new TextEncoder().encode('{"count":0}');
nc.subscribe(subject, {
  callback: (_error, msg) => {
    msg.respond(reply);
  },
});
await nc.flush();
process.stdout.write('ready\n');
process.on('SIGTERM', () => void nc.drain().then(() => process.exit(0)));
