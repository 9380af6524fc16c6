import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownerOfKey } from '../../agent-runtime/client/placement-view.ts';
import { PLACEMENT_BUCKET } from '../../agent-runtime/protocol/subjects.ts';
import { EXAMPLES_DIR } from '../helpers/colony-dev.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import type { TestPlatform } from '../helpers/platform.ts';

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  service: string;
  attributes: Record<string, unknown>;
  status?: { code?: number };
}

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean };
const valueOf = (v: OtlpValue): unknown => v.stringValue ?? (v.intValue === undefined ? v.boolValue : Number(v.intValue));

/** A stand-in for an OpenTelemetry collector: takes OTLP/HTTP JSON exports on /v1/traces and keeps their spans. */
function otlpReceiver(): { server: Server; spans: ReceivedSpan[] } {
  const spans: ReceivedSpan[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces' && req.headers['content-type']?.startsWith('application/json')) {
        const parsed = JSON.parse(body) as {
          resourceSpans: { resource: { attributes: { key: string; value: OtlpValue }[] }; scopeSpans: { spans: (Omit<ReceivedSpan, 'service' | 'attributes'> & { attributes?: { key: string; value: OtlpValue }[] })[] }[] }[];
        };
        for (const rs of parsed.resourceSpans) {
          const service = String(valueOf(rs.resource.attributes.find((a) => a.key === 'service.name')?.value ?? {}));
          for (const ss of rs.scopeSpans) {
            for (const span of ss.spans) {
              spans.push({ ...span, service, attributes: Object.fromEntries((span.attributes ?? []).map((a) => [a.key, valueOf(a.value)])) });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return { server, spans };
}

describe('tracing with OpenTelemetry: OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set (examples/account)', () => {
  const receiver = otlpReceiver();
  let harness: TestPlatform;
  const saved = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;

  beforeAll(async () => {
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    // The gateway reads it at its start, and the pods inherit it from this process.
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}`;
    harness = await startTestPlatform('tracing', join(EXAMPLES_DIR, 'account'));
  });

  afterAll(async () => {
    await harness?.stop();
    if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = saved;
    await new Promise((resolve) => receiver.server.close(resolve));
  });

  const call = (key: string, method: string, input: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${harness.platform.gatewayUrl}/v1/agents/account/${key}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(input),
    });

  it('makes one connected trace of gateway → account.transfer → (over NATS, another pod) account.deposit, with the state writes, under the caller\'s trace', async () => {
    const placement = await new Kvm(harness.platform.nc).open(PLACEMENT_BUCKET);
    const owner = (key: string): Promise<string | undefined> => ownerOfKey(placement, 'default', 'account', key);
    const fromPod = await owner('ann');
    let to = '';
    for (let i = 0; !to; i += 1) if ((await owner(`bob-${i}`)) !== fromPod) to = `bob-${i}`;
    expect((await call('ann', 'deposit', { amount: 50 })).status).toBe(200);

    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const transfer = await call('ann', 'transfer', { to, amount: 20 }, { traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    expect(transfer.status).toBe(200);

    // Spans are exported in batches (every 5 s by default); the pods' are flushed at the latest when they stop.
    await expect.poll(() => receiver.spans.filter((s) => s.traceId === traceId).length, { timeout: 15_000, interval: 250 }).toBeGreaterThanOrEqual(6);
    const trace = receiver.spans.filter((s) => s.traceId === traceId);
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    const one = (name: string): ReceivedSpan => {
      const found = trace.filter((s) => s.name === name);
      expect(found.map((s) => s.name), `${name} in ${trace.map((s) => s.name).join(', ')}`).toEqual([name]);
      return found[0] as ReceivedSpan;
    };
    const gateway = one('POST /v1/agents/{agent}/{key}/{method}');
    const transferTurn = one('turn account.transfer');
    const depositCall = one('call account.deposit');
    const depositTurn = one('turn account.deposit');
    // The caller's span is the gateway span's parent; every other span hangs off the one before.
    expect(gateway).toMatchObject({ parentSpanId: '00f067aa0ba902b7', service: 'colony-gateway', kind: 2 });
    expect(gateway.attributes).toMatchObject({ 'colony.agent': 'account', 'colony.method': 'transfer', 'http.response.status_code': 200 });
    expect(transferTurn).toMatchObject({ parentSpanId: gateway.spanId, service: 'colony-runtime' });
    expect(depositCall).toMatchObject({ parentSpanId: transferTurn.spanId, kind: 3 });
    expect(depositTurn.parentSpanId).toBe(depositCall.spanId);
    expect(depositTurn.attributes['colony.key']).toBe(to);
    // The two turns ran on two pods: the deposit crossed NATS.
    expect(depositTurn.attributes['colony.activation']).not.toMatch(new RegExp(`^${fromPod}/`));
    const writes = trace.filter((s) => s.name === 'state write account');
    expect(writes.map((w) => byId.get(w.parentSpanId ?? '')?.name).sort()).toEqual(['turn account.deposit', 'turn account.transfer']);
  });

  it('marks a refused call as failed in its spans, with its code', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const refused = await call('nobody-has-money', 'withdraw', { amount: 5 }, { traceparent: `00-${traceId}-b7ad6b7169203331-01` });
    expect(refused.status).toBe(409);
    await expect.poll(() => receiver.spans.filter((s) => s.traceId === traceId).length, { timeout: 15_000, interval: 250 }).toBeGreaterThanOrEqual(2);
    const trace = receiver.spans.filter((s) => s.traceId === traceId);
    for (const span of trace) {
      expect(span.status?.code, span.name).toBe(2);
      expect(span.attributes['colony.error.code'], span.name).toBe('failed_precondition');
    }
  });
});
