import { existsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../../agent-runtime/observability/log.ts';
import { isLogLevel } from '../../agent-runtime/observability/log.ts';
import type { LogLine } from '../../agent-runtime/observability/log.ts';
import { readKvReplicas, readNatsToken } from '../../agent-runtime/protocol/shared-env.ts';
import { loadManifests } from '../../controller/manifest/manifest.ts';
import { claimDataDir, startKeeper } from '../dev/data-dir-claim.ts';
import { startPlatform } from '../dev/platform.ts';
import { checkAgentCode } from '../dev/preflight.ts';
import { formatPodLine } from '../dev/pod-log.ts';
import { firstStopSignal } from '../dev/stop-signals.ts';
import { printSummary } from '../dev/summary.ts';
import { unitsToRestart, watchFolders } from '../dev/watch.ts';
import type { Platform } from '../dev/platform.ts';
import type { AgentSpec } from '../../controller/manifest/agent-spec.ts';
import { DEFAULT_NAMESPACE } from '../../agent-runtime/protocol/limits.ts';
import { UsageError } from '../usage-error.ts';

export const DEV_USAGE = `colony dev [dir...] [options]

Runs the whole platform on this machine: nats-server with JetStream, one
runtime process per replica of every Agent manifest under the folders
(default .), and the HTTP gateway.

Options:
  --port <n>          gateway port (default 8080; 0 picks a free one)
  --host <addr>       gateway address (default 127.0.0.1)
  --data-dir <dir>    where state is kept across runs (default .colony)
  --nats-url <url>    use this NATS server instead of starting one (with the token
                      in $COLONY_NATS_TOKEN and $COLONY_KV_REPLICAS KV replicas)
  --log-level <lvl>   pod log level: debug, info, warn, error (default info)
  --watch             reload agents when their code or manifests change: their pods
                      drain (state kept) and new ones start with the new code
  --json              print logs as JSON lines instead of formatted text`;

export async function devCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string', default: '.colony' },
      'nats-url': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
      json: { type: 'boolean', default: false },
      watch: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${DEV_USAGE}\n`);
    return;
  }
  const dirs = (positionals.length > 0 ? positionals : ['.']).map((dir) => resolve(dir));
  for (const dir of dirs) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${dir} is not a folder`, DEV_USAGE);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, got ${values.port}`, DEV_USAGE);
  const logLevel = values['log-level'];
  if (!isLogLevel(logLevel)) throw new UsageError(`--log-level must be debug, info, warn or error`, DEV_USAGE);
  // An external NATS (--nats-url) is described as for every other Colony process.
  const natsToken = readNatsToken(process.env);
  const kvReplicas = readKvReplicas(process.env);
  const dataDir = resolve(values['data-dir']);
  if (existsSync(dataDir) && !statSync(dataDir).isDirectory()) throw new UsageError(`--data-dir ${dataDir} is not a folder`, DEV_USAGE);

  const agents = await loadManifests(dirs, (agent, why) =>
    process.stdout.write(`colony dev: skipping agent ${agent.name} of ${agent.origin}: ${why}; that manifest is for Kubernetes\n`),
  );
  if (agents.length === 0) {
    throw new UsageError(`no Agent manifests (kind: Agent, apiVersion: colony.dev/v1alpha1) found under ${dirs.join(', ')}`, DEV_USAGE);
  }
  await checkAgentCode(agents);
  // Once the terminal is closed (or a pipe's reader exited), writing fails; the stop that follows must still run.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const say = (line: string): void => void process.stdout.write(`colony dev: ${line}\n`);
  await mkdir(dataDir, { recursive: true });
  const claim = await claimDataDir(dataDir, { usesStore: !values['nats-url'], say });
  let stopKeeper: () => void;
  try {
    stopKeeper = startKeeper(claim);
  } catch (error) {
    claim.release();
    throw error;
  }
  const release = (): void => {
    stopKeeper();
    claim.release();
  };

  const color = process.stdout.isTTY && !values.json;
  const sink = values.json
    ? (line: LogLine) => process.stdout.write(`${JSON.stringify(line)}\n`)
    : (line: LogLine) => {
        const { time, level, msg, ...fields } = line;
        const extra = Object.entries(fields)
          .filter(([k]) => k !== 'stack')
          .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join(' ');
        process.stdout.write(`${time.slice(11, 19)} colony ${level.toUpperCase().slice(0, 3)} ${msg}${extra ? ` ${extra}` : ''}\n`);
      };
  const log = createLogger({ level: logLevel, sink });
  say(`starting ${agents.length} agent${agents.length === 1 ? '' : 's'} from ${dirs.join(', ')}`);
  const started = Date.now();
  const platform = await startPlatform({
    agents,
    dataDir,
    natsUrl: values['nats-url'],
    natsToken,
    kvReplicas,
    gatewayHost: values.host,
    gatewayPort: port,
    log,
    podLogLevel: logLevel,
    onProgress: say,
    onPodOutput: (pod, line) => process.stdout.write(`${values.json ? line : formatPodLine(pod, line, color)}\n`),
    onChildProcesses: (kind, processes) => claim.setChildren(kind, processes),
  }).catch((error: unknown) => {
    release();
    throw error;
  });
  // Listen before saying "ready": whoever reads that line may stop us at once, and a SIGHUP with
  // no listener yet would end the process without draining its pods.
  const stopSignal = firstStopSignal((again) => {
    say(`second ${again}, exiting now`);
    process.exit(130);
  });
  await printSummary(platform, { dataDir, natsStarted: !values['nats-url'], startedMs: Date.now() - started });
  const stopWatching = values.watch ? watchAgents(dirs, agents, platform, say) : () => undefined;

  const signal = await stopSignal;
  stopWatching();
  process.stdout.write(`\ncolony dev: stopping (draining pods${signal === 'SIGHUP' ? '' : `; ${signal} again to exit at once`})\n`);
  try {
    await platform.stop();
    release();
  } catch (error) {
    process.stderr.write(`colony dev: stopping failed: ${(error as Error).message}\n`);
    process.exit(1);
  }
  say('stopped');
}

/**
 * `--watch`: when files under `dirs` change, reads the manifests again and checks the code
 * (a mistake is reported and the pods keep running what they run), applies the manifests
 * (Agents added, removed, changed), and restarts the pods of each Agent (or placement group)
 * whose code or manifest changed: they drain, so state is kept, while new pods start.
 */
function watchAgents(dirs: string[], initial: AgentSpec[], platform: Platform, say: (line: string) => void): () => void {
  let current = initial;
  say(`watching ${dirs.map((dir) => relative(process.cwd(), dir) || '.').join(', ')} for changes`);
  return watchFolders(dirs, async (files) => {
    say(`changed: ${files.map((file) => relative(process.cwd(), file)).join(', ')}`);
    let next: AgentSpec[];
    try {
      next = await loadManifests(dirs, () => undefined);
      if (next.length === 0) throw new Error(`no Agent manifests found under ${dirs.join(', ')}`);
      await checkAgentCode(next);
    } catch (error) {
      say(`not reloaded: ${(error as Error).message}\ncolony dev: the pods keep running the code they have; fix it and save again`);
      return;
    }
    const restart = unitsToRestart(current, next, files);
    try {
      await platform.controller.apply(next);
      current = next;
      for (const unit of restart) {
        const started = Date.now();
        const pods = await platform.driver.restart(next[0]?.namespace ?? DEFAULT_NAMESPACE, unit);
        // Said once the new pods serve every partition (their API published): a call then runs the new code.
        await platform.controller.waitSettled(60_000);
        say(`reloaded ${unit}: ${pods} pod${pods === 1 ? '' : 's'} drained and replaced in ${Date.now() - started} ms`);
      }
      if (restart.length === 0) say('nothing to restart');
    } catch (error) {
      say(`reloading failed: ${(error as Error).message}`);
    }
  });
}
