import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, beforeAll } from 'vitest';
import { ensureNatsServer, startNatsServer } from '../../cli/tools/nats-server.ts';
import type { RunningNatsServer } from '../../cli/tools/nats-server.ts';

export interface TestNats {
  url: string;
  /** The token clients must send, when started with one. */
  token: string | undefined;
  port: number;
  storeDir: string;
  /** Stops the server, keeping its store (for restart). */
  stop(): Promise<void>;
  /** SIGKILLs the server, keeping its store. */
  kill(): Promise<void>;
  /** Starts it again on the same port and store. */
  restart(): Promise<void>;
  /** A client connection, closed by `close()`. */
  connect(): Promise<NatsConnection>;
  /** Stops the server, closes every connection made by `connect()` and deletes the store. */
  close(): Promise<void>;
}

/**
 * A real nats-server with JetStream, on a free port with a temporary store,
 * for one test suite. Always the pinned release (COLONY_NATS_SERVER overrides).
 */
export async function startTestNats(options: { token?: string } = {}): Promise<TestNats> {
  const { token } = options;
  const binary = await ensureNatsServer({ allowPath: false });
  const storeDir = await mkdtemp(join(tmpdir(), 'colony-nats-'));
  const args = token ? ['--auth', token] : [];
  let server: RunningNatsServer = await startNatsServer({ binary, storeDir, args });
  const port = server.port;
  const connections: NatsConnection[] = [];
  return {
    url: server.url,
    token,
    port,
    storeDir,
    stop: () => server.stop(),
    kill: () => server.kill(),
    restart: async () => {
      server = await startNatsServer({ binary, storeDir, port, args });
    },
    connect: async () => {
      const nc = await connect({ servers: server.url, token, name: 'colony-test' });
      connections.push(nc);
      return nc;
    },
    close: async () => {
      await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)));
      await server.stop();
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}

/**
 * A TestNats started before the tests of the calling suite and closed after
 * them. The object is returned at once and filled in when the suite starts:
 * use it in tests and hooks, not while the suite is collected.
 */
export function useTestNats(options: { token?: string } = {}): TestNats {
  const nats = {} as TestNats;
  let started: TestNats | undefined;
  beforeAll(async () => {
    started = await startTestNats(options);
    Object.assign(nats, started);
  });
  afterAll(async () => {
    await started?.close();
  });
  return nats;
}
