import type { Msg, NatsConnection } from '@nats-io/nats-core';
import { describe, expect, it } from 'vitest';
import { errorReply, okReply, respondWith } from '../../agent-runtime/activation/reply.ts';
import { ColonyClient } from '../../agent-runtime/client/client.ts';
import { readCallHeaders, streamOpenHeaders } from '../../agent-runtime/protocol/envelope.ts';
import { ColonyError } from '../../agent-runtime/protocol/errors.ts';
import { partitionOf } from '../../agent-runtime/protocol/partition.ts';
import { requestSubject } from '../../agent-runtime/protocol/subjects.ts';
import { StreamSink } from '../../agent-runtime/stream/stream-sink.ts';
import { useTestNats } from '../helpers/nats.ts';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const decoder = new TextDecoder();

/** The pod's end and the caller's end of a streamed reply, over a real nats-server, without the rest of the pod. */
describe('the streamed reply protocol against a real nats-server', () => {
  const nats = useTestNats();

  /** Answers calls to `agent` (1 partition) with `run(sink, msg)`: a stand-in for a pod's call inbox. */
  const serve = (nc: NatsConnection, agent: string, run: (sink: StreamSink, msg: Msg) => Promise<void>): void => {
    nc.subscribe(requestSubject('default', agent, partitionOf('k', 1)), {
      callback: (_error, msg) => {
        const meta = readCallHeaders(msg);
        if (!meta.stream) {
          respondWith(msg, okReply({ streamed: false }));
          return;
        }
        const sink = new StreamSink({
          nc,
          inbox: meta.stream.inbox,
          credit: meta.stream.credit,
          maxPayloadBytes: 1024 * 1024,
          where: `${agent}.${meta.method} on k`,
          open: () => msg.respond(new Uint8Array(0), { headers: streamOpenHeaders() }),
        });
        void run(sink, msg);
      },
    });
  };

  const call = (agent: string, method: string, deadlineMs = 10_000) => ({
    agent,
    key: 'k',
    method,
    input: new Uint8Array(0),
    deadline: Date.now() + deadlineMs,
    callId: crypto.randomUUID(),
    chain: 'c',
    depth: 0,
  });

  it('never lets the pod get more than the window ahead of a slow reader, and delivers every chunk in order', async () => {
    const pod = await nats.connect();
    let sent = 0;
    serve(pod, 'slow', async (sink) => {
      for (let i = 1; i <= 40; i += 1) {
        await sink.write({ i });
        sent = sink.sent;
      }
      sink.end(okReply(undefined));
    });
    const client = new ColonyClient(await nats.connect(), { partitionsOf: () => 1 }, { namespace: 'default' });
    const streamed = await client.callStream(call('slow', 'count'), 4);
    if (streamed.kind !== 'stream') throw new Error('expected a stream');
    const read: number[] = [];
    let furthestAhead = 0;
    for await (const chunk of streamed.chunks) {
      read.push((JSON.parse(decoder.decode(chunk)) as { i: number }).i);
      await sleep(15);
      furthestAhead = Math.max(furthestAhead, sent - read.length);
    }
    expect(read).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(furthestAhead).toBeLessThanOrEqual(4);
    expect(furthestAhead).toBeGreaterThan(0);
  });

  it('cancels the pod side when the reader stops: its signal aborts with `cancelled`', async () => {
    const pod = await nats.connect();
    const cancelled = new Promise<unknown>((resolve) => {
      serve(pod, 'gone', async (sink) => {
        sink.signal.addEventListener('abort', () => resolve(sink.signal.reason));
        try {
          for (let i = 1; ; i += 1) await sink.write({ i });
        } catch {
          sink.end(okReply(undefined));
        }
      });
    });
    const client = new ColonyClient(await nats.connect(), { partitionsOf: () => 1 }, { namespace: 'default' });
    const streamed = await client.callStream(call('gone', 'endless'), 2);
    if (streamed.kind !== 'stream') throw new Error('expected a stream');
    for await (const chunk of streamed.chunks) {
      if ((JSON.parse(decoder.decode(chunk)) as { i: number }).i === 3) break;
    }
    const reason = (await cancelled) as ColonyError;
    expect(reason).toBeInstanceOf(ColonyError);
    expect(reason.code).toBe('cancelled');
    expect(reason.message).toMatch(/^the caller of gone\.endless on k went away \(the reader stopped\) after \d+ chunks$/);
  });

  it('throws the error the stream ends with, after the chunks before it', async () => {
    const pod = await nats.connect();
    serve(pod, 'failing', async (sink) => {
      await sink.write('first');
      sink.end(errorReply(new ColonyError('method_failed', 'failing.fail on k failed: boom')));
    });
    const client = new ColonyClient(await nats.connect(), { partitionsOf: () => 1 }, { namespace: 'default' });
    const streamed = await client.callStream(call('failing', 'fail'));
    if (streamed.kind !== 'stream') throw new Error('expected a stream');
    const chunks: string[] = [];
    const error = await (async () => {
      for await (const chunk of streamed.chunks) chunks.push(decoder.decode(chunk));
    })().catch((thrown: unknown) => thrown);
    expect(chunks).toEqual(['"first"']);
    expect(error).toBeInstanceOf(ColonyError);
    expect((error as ColonyError).message).toBe('failing.fail on k failed: boom');
  });

  it('gives up on a stream whose pod went silent, shortly after its deadline', async () => {
    const pod = await nats.connect();
    serve(pod, 'silent', async (sink) => {
      await sink.write('only');
      // The pod "dies": no more chunks, no end.
    });
    const client = new ColonyClient(await nats.connect(), { partitionsOf: () => 1 }, { namespace: 'default' });
    const streamed = await client.callStream(call('silent', 'silent', 300));
    if (streamed.kind !== 'stream') throw new Error('expected a stream');
    const started = Date.now();
    const error = await (async () => {
      for await (const _chunk of streamed.chunks) void _chunk;
    })().catch((thrown: unknown) => thrown);
    expect((error as ColonyError).code).toBe('deadline_exceeded');
    expect((error as ColonyError).message).toContain('the stream did not end by its deadline (after 1 chunks)');
    expect(Date.now() - started).toBeLessThan(4_000);
  });
});
