import { ensureNatsServer } from '../cli/tools/nats-server.ts';

/** Builds the pinned nats-server once, before any test worker starts (progress on stderr). */
export async function setup(): Promise<void> {
  await ensureNatsServer({ allowPath: false, log: (line) => process.stderr.write(`[setup] ${line}\n`) });
}
