import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../agent-runtime/observability/log.ts';
import type { LogLevel, LogLine } from '../../agent-runtime/observability/log.ts';
import type { AgentSpec } from '../../controller/manifest/agent-spec.ts';
import { loadManifests } from '../../controller/manifest/manifest.ts';
import { startPlatform } from '../../cli/dev/platform.ts';
import type { Platform, PlatformOptions } from '../../cli/dev/platform.ts';

export interface TestPlatform {
  platform: Platform;
  /** The Agents it runs, as read from their manifests. */
  specs: AgentSpec[];
  /** Stops the platform and deletes its data dir. */
  stop(): Promise<void>;
}

export type TestPlatformOptions = Partial<Omit<PlatformOptions, 'agents' | 'dataDir' | 'log'>> & {
  logLevel?: LogLevel;
  /** Every line the platform itself (controller, driver, gateway) logs. */
  onLog?: (line: LogLine) => void;
};

/**
 * What `colony dev` runs, in this process, for the Agent manifests in
 * `dirs`: its own nats-server (unless `natsUrl`), a temporary data dir, the
 * gateway on a free port.
 */
export async function startTestPlatform(name: string, dirs: string | string[], options: TestPlatformOptions = {}): Promise<TestPlatform> {
  const { logLevel = 'warn', onLog, ...rest } = options;
  const dataDir = await mkdtemp(join(tmpdir(), `colony-${name}-`));
  let specs: AgentSpec[];
  let platform: Platform;
  try {
    specs = await loadManifests(dirs);
    platform = await startPlatform({ gatewayPort: 0, ...rest, agents: specs, dataDir, log: createLogger({ level: logLevel, ...(onLog ? { sink: onLog } : {}) }) });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    platform,
    specs,
    stop: async () => {
      await platform.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
