/** Load generator, in its own process: runs autocannon and prints its result as JSON. */
import autocannon from 'autocannon';

const [url, connections, seconds] = process.argv.slice(2) as [string, string, string];
const result = await autocannon({
  url,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: '',
  connections: Number(connections),
  duration: Number(seconds),
  pipelining: 1,
});
process.stdout.write(
  `${JSON.stringify({
    rps: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  })}\n`,
);
