import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ColonyClient } from '../../agent-runtime/client/client.ts';
import { openBuckets } from '../../agent-runtime/client/buckets.ts';
import type { Buckets } from '../../agent-runtime/client/buckets.ts';
import { AGENT_NODE_OPTIONS } from '../../agent-runtime/host/own-files.ts';
import { decodeJson, encodeJson } from '../../agent-runtime/protocol/codec.ts';
import { ColonyError } from '../../agent-runtime/protocol/errors.ts';
import type { PlacementTable, PodHeartbeat } from '../../agent-runtime/protocol/placement.ts';
import { POD_ENV } from '../../agent-runtime/protocol/pod-env.ts';
import { heartbeatSubject, placementKey } from '../../agent-runtime/protocol/subjects.ts';
import { startTestNats } from '../helpers/nats.ts';
import type { TestNats } from '../helpers/nats.ts';

const ENTRY = fileURLToPath(new URL('../../agent-runtime/host/main.ts', import.meta.url));
const COUNTER = fileURLToPath(new URL('../../examples/counter/counter.ts', import.meta.url));
const PARTITIONS = 4;

/** One runtime pod process, started as a driver starts it, talking to a real nats-server. */
describe('a runtime pod', () => {
  let nats: TestNats;
  let buckets: Buckets;
  let pod: ChildProcess;
  let output = '';
  let client: ColonyClient;
  const heartbeats: PodHeartbeat[] = [];

  const call = async (key: string, method: string, input?: unknown, timeoutMs = 2_000): Promise<unknown> => {
    const result = await client.call({
      agent: 'counter',
      key,
      method,
      input: encodeJson(input),
      deadline: Date.now() + timeoutMs,
      callId: crypto.randomUUID(),
      chain: crypto.randomUUID(),
      depth: 0,
    });
    return decodeJson(result.data, 'reply');
  };

  const healthPort = async (): Promise<number> => {
    await expect.poll(() => /healthPort":(\d+)/.exec(output)?.[1], { timeout: 15_000 }).toBeDefined();
    return Number(/healthPort":(\d+)/.exec(output)?.[1]);
  };

  beforeAll(async () => {
    nats = await startTestNats();
    const nc = await nats.connect();
    buckets = await openBuckets(nc);
    nc.subscribe(heartbeatSubject('default', 'counter'), { callback: (_e, msg) => void heartbeats.push(msg.json<PodHeartbeat>()) });
    client = new ColonyClient(nc, { partitionsOf: () => PARTITIONS }, { namespace: 'default' });
    pod = spawn(process.execPath, [...AGENT_NODE_OPTIONS, ENTRY], {
      env: {
        ...process.env,
        [POD_ENV.natsUrl]: nats.url,
        [POD_ENV.agent]: 'counter',
        [POD_ENV.podId]: 'counter-test-1',
        [POD_ENV.module]: COUNTER,
        [POD_ENV.partitions]: String(PARTITIONS),
        [POD_ENV.healthPort]: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    pod.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    pod.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  });

  afterAll(async () => {
    if (pod.exitCode === null) pod.kill('SIGKILL');
    await nats?.close();
  });

  it('is alive and ready once started, and heartbeats its state', async () => {
    const port = await healthPort();
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    await expect.poll(() => heartbeats.at(-1)?.state, { timeout: 5_000 }).toBe('running');
    expect(heartbeats.at(-1)?.served).toEqual([]);
  });

  /** Writes a placement table that gives every partition to `owner` (null: to nobody). */
  const putTable = async (epoch: number, owner: string | null): Promise<void> => {
    const table: PlacementTable = {
      namespace: 'default',
      agent: 'counter',
      epoch,
      partitions: PARTITIONS,
      owners: Array.from({ length: PARTITIONS }, () => owner),
      updatedAt: Date.now(),
    };
    await buckets.placement.put(placementKey('default', 'counter'), JSON.stringify(table));
  };

  it('serves nothing until the placement table gives it partitions', async () => {
    const error = await call('alice', 'get', undefined, 300).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ColonyError);
    expect((error as ColonyError).code).toBe('unavailable');
  });

  it('takes the partitions the table assigns, reports them, and serves calls', async () => {
    await putTable(1, 'counter-test-1');
    await expect.poll(() => heartbeats.at(-1)?.served.length, { timeout: 5_000 }).toBe(PARTITIONS);
    expect(await call('alice', 'increment', { by: 2 })).toEqual({ count: 2 });
    expect(await call('alice', 'get')).toEqual({ count: 2 });
  });

  it('releases the partitions the table takes away', async () => {
    await putTable(2, null);
    await expect.poll(() => heartbeats.at(-1)?.served.length, { timeout: 5_000 }).toBe(0);
    const error = await call('alice', 'get', undefined, 300).catch((e: unknown) => e);
    expect((error as ColonyError).code).toBe('unavailable');
    // The instance was persisted when its partition was released.
    const entry = await buckets.state.get(`default.counter.${Buffer.from('alice').toString('base64url')}`);
    expect(entry?.json<{ state: unknown }>().state).toEqual({ count: 2 });
  });

  it('drains and exits 0 on SIGTERM, reporting itself stopped', async () => {
    const exited = new Promise<number | null>((resolve) => pod.once('exit', (code) => resolve(code)));
    pod.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(heartbeats.at(-1)?.state).toBe('stopped');
    expect(output).toContain('"msg":"stopped"');
  });
});
