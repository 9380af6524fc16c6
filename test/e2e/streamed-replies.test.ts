import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../agent-runtime/observability/log.ts';
import { EventStreamParser } from '../../agent-runtime/http-client/event-stream.ts';
import { startGateway } from '../../gateway/gateway.ts';
import type { AgentSpec } from '../../controller/manifest/agent-spec.ts';
import { COLONY_BIN, EXAMPLES_DIR } from '../helpers/colony-dev.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import type { TestPlatform } from '../helpers/platform.ts';
import { soloUnit } from '../../controller/placement/groups.ts';

const STREAMING_DIR = fileURLToPath(new URL('../fixtures/streaming', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Arrived {
  event: string;
  data: unknown;
  /** ms since the request was sent. */
  at: number;
}

/**
 * Streamed replies end to end (decision 21): HTTP client → gateway → NATS →
 * a real pod process running the streamer fixture and examples/progress.
 */
describe('streamed replies', () => {
  let harness: TestPlatform;
  let url: string;

  beforeAll(async () => {
    harness = await startTestPlatform('streams', [STREAMING_DIR, join(EXAMPLES_DIR, 'progress')]);
    url = harness.platform.gatewayUrl;
  });

  afterAll(async () => {
    await harness?.stop();
  });

  const post = (agent: string, key: string, method: string, input?: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> =>
    fetch(`${url}/v1/agents/${agent}/${encodeURIComponent(key)}/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: input === undefined ? undefined : JSON.stringify(input),
      signal,
    });

  const stream = (agent: string, key: string, method: string, input?: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> =>
    post(agent, key, method, input, { accept: 'text/event-stream', ...headers }, signal);

  /** The events of an SSE response, each with when it arrived; `each` sees them as they come. */
  const events = async (response: Response, started: number, each?: (event: Arrived) => Promise<void> | void): Promise<Arrived[]> => {
    const parser = new EventStreamParser();
    const decoder = new TextDecoder();
    const seen: Arrived[] = [];
    for await (const piece of response.body as ReadableStream<Uint8Array>) {
      for (const event of parser.push(decoder.decode(piece, { stream: true }))) {
        const arrived = { event: event.event, data: JSON.parse(event.data) as unknown, at: Date.now() - started };
        seen.push(arrived);
        await each?.(arrived);
      }
    }
    return seen;
  };

  /** What the streamer's method on `key` did, as the pod saw it (asked from another key: the stream's turn holds its own). */
  const probe = async (key: string): Promise<{ produced: number; aborted: boolean; finished: boolean } | null> =>
    (await post('streamer', `probe-${key}`, 'probe', { key })).json() as Promise<{ produced: number; aborted: boolean; finished: boolean } | null>;

  it('sends chunks as Server-Sent Events as the method yields them: the first arrives long before the method ends', async () => {
    const started = Date.now();
    const response = await stream('streamer', 'sse', 'count', { n: 4, delayMs: 400 });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('x-colony-call-id')).toBeTruthy();
    const seen = await events(response, started);
    expect(seen.map((e) => e.event)).toEqual(['message', 'message', 'message', 'message', 'end']);
    expect(seen.slice(0, 4).map((e) => (e.data as { i: number }).i)).toEqual([1, 2, 3, 4]);
    expect(seen[4]?.data).toEqual({ chunks: 4 });
    // The method runs 1.2 s (three pauses of 400 ms); its first chunk arrives at once, the end after.
    const first = seen[0] as Arrived;
    const end = seen[4] as Arrived;
    expect(end.at - first.at).toBeGreaterThanOrEqual(1_000);
    // Each chunk arrives as it is made, not all at the end: the pod's timestamps and the arrival times move together.
    const madeAt = seen.slice(0, 4).map((e) => (e.data as { at: number }).at);
    expect((madeAt[3] as number) - (madeAt[0] as number)).toBeGreaterThanOrEqual(1_000);
    expect((seen[3] as Arrived).at - first.at).toBeGreaterThanOrEqual(1_000);
  });

  it('collects the chunks into a JSON array without Accept: text/event-stream, and commits the turn', async () => {
    const response = await post('streamer', 'collected', 'count', { n: 3 });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as { i: number }[];
    expect(body.map((chunk) => chunk.i)).toEqual([1, 2, 3]);
    // The state changed during the stream was committed with the turn.
    expect(await (await post('streamer', 'collected', 'plain')).json()).toEqual({ streamed: 3 });
  });

  it('gives an agent that calls a streaming method (ctx.call) the chunks collected into an array', async () => {
    const response = await stream('streamer', 'relay', 'relay', { key: 'relayed', n: 3 });
    // relay itself does not stream: its result comes as JSON even to a caller that accepts a stream.
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const { collected } = (await response.json()) as { collected: { i: number }[] };
    expect(collected.map((chunk) => chunk.i)).toEqual([1, 2, 3]);
  });

  it('answers a method that does not stream as before, with or without the Accept header', async () => {
    const variants: Record<string, string>[] = [{}, { accept: 'text/event-stream' }];
    for (const headers of variants) {
      const response = await post('streamer', 'plain', 'plain', undefined, headers);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toEqual({ streamed: 0 });
    }
  });

  it('streams what a method writes with ctx.stream, then what it returns as the last chunk', async () => {
    const seen = await events(await stream('streamer', 'written', 'written', { n: 2 }), Date.now());
    expect(seen.map((e) => e.data)).toEqual([{ i: 1 }, { i: 2 }, { last: true }, { chunks: 3 }]);
    expect(await (await post('streamer', 'written2', 'written', { n: 2 })).json()).toEqual([{ i: 1 }, { i: 2 }, { last: true }]);
  });

  it('holds the method back while the reader does not read: the pod gets only a bounded number of chunks ahead', async () => {
    const n = 1_000;
    const size = 64 * 1024;
    const response = await stream('streamer', 'flood', 'flood', { n, size }, { 'x-colony-timeout': '60s' });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await sleep(1_500);
    const paused = (await probe('flood'))?.produced ?? 0;
    await sleep(1_000);
    const stillPaused = (await probe('flood'))?.produced ?? 0;
    // Stalled: 16 chunks of credit plus what the sockets between the gateway and this reader hold (a few MB).
    expect(stillPaused).toBe(paused);
    expect(paused).toBeLessThan(250);
    // Reading again, every chunk arrives, in order, and the stream ends.
    const parser = new EventStreamParser();
    const decoder = new TextDecoder();
    const order: number[] = [];
    let last = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const event of parser.push(decoder.decode(value, { stream: true }))) {
        if (event.event === 'message') order.push((JSON.parse(event.data) as { i: number }).i);
        last = event.event;
      }
    }
    expect(last).toBe('end');
    expect(order.length).toBeGreaterThan(n - paused - 5);
    expect(order.every((i, at) => at === 0 || i === (order[at - 1] as number) + 1)).toBe(true);
    expect(order.at(-1)).toBe(n);
    expect((await probe('flood'))?.finished).toBe(true);
  });

  it('ends a stream at the call deadline with event: error deadline_exceeded, and aborts the method', async () => {
    const started = Date.now();
    const seen = await events(await stream('streamer', 'late', 'forever', undefined, { 'x-colony-timeout': '1s' }), started);
    const last = seen.at(-1) as Arrived;
    expect(last.event).toBe('error');
    expect(last.data).toEqual({
      error: { code: 'deadline_exceeded', message: 'streamer.forever on late passed its deadline while running; its state change, if any, was discarded' },
    });
    expect(seen.length).toBeGreaterThan(5);
    expect(last.at).toBeGreaterThanOrEqual(950);
    expect(last.at).toBeLessThan(3_000);
    expect((await probe('late'))?.aborted).toBe(true);
  });

  it('aborts the method when the HTTP client disconnects: its signal fires and the instance takes calls again', async () => {
    const abort = new AbortController();
    const started = Date.now();
    const response = await stream('streamer', 'gone', 'forever', undefined, { 'x-colony-timeout': '60s' }, abort.signal);
    await events(response, started, (event) => {
      if ((event.data as { i?: number }).i === 3) abort.abort();
    }).catch(() => undefined);
    let seen = await probe('gone');
    for (let tries = 0; tries < 50 && !seen?.aborted; tries += 1) {
      await sleep(100);
      seen = await probe('gone');
    }
    expect(seen?.aborted).toBe(true);
    expect(seen?.produced).toBeLessThan(40);
    // The turn ended (its state committed: the method returned when its signal fired), so the next call runs at once.
    const before = Date.now();
    const plain = await post('streamer', 'gone', 'plain', undefined, { 'x-colony-timeout': '5s' });
    expect(plain.status).toBe(200);
    expect(Date.now() - before).toBeLessThan(1_000);
  });

  it('refuses a chunk over the NATS payload limit with a clear error: midway in a stream, and when collected', async () => {
    const seen = await events(await stream('streamer', 'big', 'big', { bytes: 1_100_000 }), Date.now());
    expect(seen[0]?.data).toEqual({ small: true });
    expect(seen[1]?.event).toBe('error');
    const { error } = seen[1]?.data as { error: { code: string; message: string } };
    expect(error.code).toBe('result_too_large');
    expect(error.message).toMatch(/^chunk 2 of streamer\.big on big is 1,100,002 bytes as JSON, over the [\d,]+ bytes one message can carry .*; send smaller chunks$/);
    const collected = await post('streamer', 'big', 'big', { bytes: 1_100_000 });
    expect(collected.status).toBe(500);
    expect(((await collected.json()) as { error: { code: string } }).error.code).toBe('result_too_large');
  });

  it('colony invoke --stream prints each chunk on its own line as it arrives', async () => {
    const child = spawn(process.execPath, [COLONY_BIN, 'invoke', '--stream', '--url', url, 'streamer/cli', 'count', '{"n":3,"delayMs":500}'], {
      env: { ...process.env, COLONY_TOKEN: '', COLONY_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: { line: string; at: number }[] = [];
    let pending = '';
    child.stdout.on('data', (piece: Buffer) => {
      pending += piece.toString();
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        lines.push({ line: pending.slice(0, end), at: Date.now() });
        pending = pending.slice(end + 1);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    const exitedAt = Date.now();
    expect(code).toBe(0);
    expect(lines.map((l) => (JSON.parse(l.line) as { i: number }).i)).toEqual([1, 2, 3]);
    expect(lines.every((l) => !l.line.includes('\n') && l.line.startsWith('{"i":'))).toBe(true);
    // The first line was printed a second before the command ended (the method pauses 500 ms twice).
    expect(exitedAt - (lines[0]?.at ?? exitedAt)).toBeGreaterThanOrEqual(800);
  });

  it('colony invoke --stream prints an error event as other errors, and exits 1', async () => {
    const child = spawn(process.execPath, [COLONY_BIN, 'invoke', '--stream', '--url', url, '--timeout', '400ms', 'streamer/cli-late', 'forever'], {
      env: { ...process.env, COLONY_TOKEN: '', COLONY_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (piece: Buffer) => (stdout += piece.toString()));
    child.stderr.on('data', (piece: Buffer) => (stderr += piece.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stdout.split('\n')[0]).toBe('{"i":1}');
    expect(stderr).toBe('error 504 deadline_exceeded: streamer.forever on cli-late passed its deadline while running; its state change, if any, was discarded\n');
  });

  it('ends its streams when the gateway shuts down, with a retryable error, and aborts their methods', async () => {
    const gateway = await startGateway({ nc: harness.platform.nc, namespace: 'default', host: '127.0.0.1', port: 0, log: createLogger({ level: 'error' }) });
    const response = await fetch(`${gateway.url}/v1/agents/streamer/shutdown/forever`, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'x-colony-timeout': '60s' },
    });
    let closed: Promise<void> | undefined;
    const started = Date.now();
    const seen = await events(response, started, (event) => {
      if ((event.data as { i?: number }).i === 2) closed = gateway.close();
    });
    await closed;
    expect(Date.now() - started).toBeLessThan(5_000);
    const last = seen.at(-1) as Arrived;
    expect(last.event).toBe('error');
    expect(last.data).toEqual({
      error: { code: 'unavailable', message: 'the gateway is shutting down: the stream ended early and its method was told to stop; call again', retryAfterSeconds: 1 },
    });
    let seenByPod = await probe('shutdown');
    for (let tries = 0; tries < 50 && !seenByPod?.aborted; tries += 1) {
      await sleep(100);
      seenByPod = await probe('shutdown');
    }
    expect(seenByPod?.aborted).toBe(true);
  });

  it('examples/progress: a run streams its progress, keeps it in state when its pod is drained mid-run, and resumes on the next pod', async () => {
    const spec = harness.specs.find((s) => s.name === 'progress') as AgentSpec;
    const started = Date.now();
    const response = await stream('progress', 'job-1', 'run', { steps: 30, stepMs: 100 }, { 'x-colony-timeout': '60s' });
    let moved = false;
    const seen = await events(response, started, async (event) => {
      if ((event.data as { step?: number }).step === 5 && !moved) {
        moved = true;
        const [pod] = harness.platform.driver.pods(spec.namespace, spec.name);
        if (!pod) throw new Error('progress has no pod');
        await harness.platform.driver.scale(soloUnit(spec), 1, [pod.podId]);
      }
    });
    const last = seen.at(-1) as Arrived;
    expect(last.event).toBe('error');
    const { error } = last.data as { error: { code: string; message: string } };
    expect(error.code).toBe('unavailable');
    expect(error.message).toMatch(/is draining: the stream ended early; .*call again$/);
    const chunks = seen.filter((e) => e.event === 'message').map((e) => e.data as { step: number; of: number; percent: number });
    expect(chunks[0]).toEqual({ step: 1, of: 30, percent: 3 });
    const reached = (chunks.at(-1) as { step: number }).step;
    expect(reached).toBeGreaterThanOrEqual(5);
    expect(reached).toBeLessThan(30);

    // The progress was committed when the run ended early; the next pod has it.
    const status = (await (await post('progress', 'job-1', 'status', undefined, { 'x-colony-timeout': '20s' })).json()) as { state: string; step: number; runs: number };
    expect(status).toEqual({ state: 'stopped', step: reached, of: 30, runs: 1 });

    // Called again, it resumes where it stopped and finishes.
    const again = await events(await stream('progress', 'job-1', 'run', { steps: 30, stepMs: 10 }, { 'x-colony-timeout': '20s' }), Date.now());
    const steps = again.filter((e) => e.event === 'message').map((e) => (e.data as { step: number }).step);
    expect(steps[0]).toBe(reached + 1);
    expect(steps.at(-1)).toBe(30);
    expect(again.at(-1)?.event).toBe('end');
    expect(await (await post('progress', 'job-1', 'status')).json()).toEqual({ state: 'finished', step: 30, of: 30, runs: 2 });
  });

  it('examples/progress: a run stops by itself before its deadline, keeping its progress, and the next run goes on', async () => {
    const first = await events(await stream('progress', 'job-2', 'run', { steps: 100, stepMs: 100 }, { 'x-colony-timeout': '1500ms' }), Date.now());
    expect(first.at(-1)?.event).toBe('end');
    const reached = first.filter((e) => e.event === 'message').length;
    expect(reached).toBeGreaterThanOrEqual(3);
    expect(reached).toBeLessThan(15);
    expect(await (await post('progress', 'job-2', 'status')).json()).toEqual({ state: 'stopped', step: reached, of: 100, runs: 1 });
    const next = await events(await stream('progress', 'job-2', 'run', { steps: 100 }, { 'x-colony-timeout': '1500ms' }), Date.now());
    expect((next[0]?.data as { step: number }).step).toBe(reached + 1);
  });

  // Last: it kills the progress pod.
  it('fails a stream whose pod was killed soon after the pod is declared dead, not at its deadline; the run is lost', async () => {
    const spec = harness.specs.find((s) => s.name === 'progress') as AgentSpec;
    const started = Date.now();
    let killedAt = 0;
    const seen = await events(await stream('progress', 'job-3', 'run', { steps: 1_000, stepMs: 100 }, { 'x-colony-timeout': '5m' }), started, (event) => {
      if ((event.data as { step?: number }).step === 3 && !killedAt) {
        const [pod] = harness.platform.driver.pods(spec.namespace, spec.name);
        if (!pod) throw new Error('progress has no pod');
        expect(harness.platform.driver.signal(pod.podId, 'SIGKILL')).toBe(true);
        killedAt = Date.now() - started;
      }
    });
    const last = seen.at(-1) as Arrived;
    expect(last.event).toBe('error');
    const { error } = last.data as { error: { code: string; message: string } };
    expect(error.code).toBe('unavailable');
    expect(error.message).toMatch(/^the pod streaming this reply lost partition \d+ of agent progress \(it stopped, or was declared dead\) after \d+ chunks, without ending the stream; call again$/);
    expect(last.at - killedAt).toBeLessThan(20_000);
    // The run was one turn, and its pod died before it committed: nothing of it is kept.
    expect(await (await post('progress', 'job-3', 'status', undefined, { 'x-colony-timeout': '20s' })).json()).toEqual({ state: 'idle', runs: 0 });
  });
});
