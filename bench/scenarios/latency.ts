import { connect } from '@nats-io/transport-node';
import type { Platform } from '../../cli/dev/platform.ts';
import { child, invoke, summarise } from '../harness.ts';
import type { Row } from '../harness.ts';

const WARMUP = 200;

/**
 * One call at a time: raw NATS request/reply to a bare responder, then agent →
 * agent calls measured inside a pod (across pods, and to an instance of the
 * same pod, which stays in-process).
 */
export async function latency(platform: Platform, calls: number): Promise<Row[]> {
  const subject = 'bench.echo';
  const echo = await child('./servers/nats-echo.ts', [platform.natsUrl, subject]);
  const nc = await connect({ servers: platform.natsUrl, noAsyncTraces: true });
  const rawMicros: number[] = [];
  for (let i = 0; i < calls + WARMUP; i += 1) {
    const started = process.hrtime.bigint();
    await nc.request(subject, '', { timeout: 5_000 });
    if (i >= WARMUP) rawMicros.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  await nc.close();
  echo.process.kill('SIGTERM');
  const raw = summarise('raw NATS request/reply', rawMicros);

  const measure = async (agent: string, key: string): Promise<number[]> => {
    const result = (await invoke(platform.gatewayUrl, 'prober', 'bench', 'measure', { agent, key, method: 'get', n: calls + WARMUP }, '120s')) as {
      micros: number[];
    };
    return result.micros.slice(WARMUP);
  };
  const cross = summarise('agent → agent, across pods', await measure('counter', 'bench'));
  const crossRatio = (cross.p50Ms as number) / (raw.p50Ms as number);
  const same = summarise('agent → agent, same pod (in-process)', await measure('prober', 'other'));
  const speedup = (cross.p50Ms as number) / (same.p50Ms as number);
  return [
    raw,
    { ...cross, compare: `p50 ${crossRatio.toFixed(2)}× raw NATS`, target: '≤ 3×', pass: crossRatio <= 3 },
    { ...same, compare: `${speedup.toFixed(0)}× faster than across pods`, target: '≥ 10×', pass: speedup >= 10 },
  ];
}
