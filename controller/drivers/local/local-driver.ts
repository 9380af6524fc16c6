import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { StructuredLogger } from '../../../agent-runtime/observability/log.ts';
import { POD_ENV } from '../../../agent-runtime/protocol/pod-env.ts';
import { DEFAULT_KV_REPLICAS } from '../../../agent-runtime/protocol/shared-env.ts';
import type { AgentSpec } from '../../manifest/agent-spec.ts';
import type { PlacementUnit } from '../../placement/groups.ts';
import { unitEnv } from '../unit-env.ts';
import { MAX_RECENT_EXITS } from '../driver.ts';
import type { DriverEvents, DriverPod, PodDriver, PodExit } from '../driver.ts';
import { readWatchdogLine } from './watchdog-line.ts';

export interface LocalDriverOptions {
  natsUrl: string;
  /** The token NATS requires, if it requires one (pods never inherit one from this process's environment). */
  natsToken?: string | undefined;
  /** JetStream replicas of the KV buckets, as the controller and the gateway open them. */
  kvReplicas?: number;
  /** Node's arguments that start a pod: its options, then the runtime's entry file (agent-runtime/host/main.ts). */
  runtimeArgs: readonly string[];
  events: DriverEvents;
  log: StructuredLogger;
  /** Every line a pod writes, for `colony dev` to show. */
  onPodOutput?: (pod: DriverPod, line: string, stream: 'stdout' | 'stderr') => void;
  /** Extra environment for every pod (e.g. log level). */
  env?: Record<string, string>;
  /** Every pod process that runs, each time one starts or exits (`colony dev` records them in its data dir). */
  onPodProcesses?: (pods: PodProcess[]) => void;
}

/** A pod's process, and how long it may take to stop after SIGTERM before it is killed. */
export interface PodProcess {
  podId: string;
  pid: number;
  graceMs: number;
}

/** The first restart of a crashed pod waits this long; each further crash doubles it. */
export const RESTART_BACKOFF_INITIAL_MS = 500;
export const RESTART_BACKOFF_MAX_MS = 30_000;
/** A pod that ran this long before it crashed counts as healthy: its backoff starts over. */
export const RESTART_BACKOFF_RESET_MS = 30_000;
/** A stopping pod is killed this long after its drain timeout. */
export const STOP_GRACE_EXTRA_MS = 5_000;
/** Lines of a pod's stderr kept to explain its crash. */
const STDERR_TAIL_LINES = 20;

interface LocalPod {
  pod: DriverPod;
  child: ChildProcess;
  exited: Promise<void>;
  stopping: boolean;
  stderrTail: string[];
  /** What the pod's watchdog said when it killed the pod (see agent-runtime/host/watchdog). */
  killedBecause: string | undefined;
  /** How long it may take to stop after SIGTERM (its drain timeout when it started, plus STOP_GRACE_EXTRA_MS). */
  graceMs: number;
}

interface LocalAgent {
  spec: AgentSpec;
  unit: PlacementUnit;
  replicas: number;
  pods: Map<string, LocalPod>;
  crashes: number;
  restartTimer: NodeJS.Timeout | undefined;
  restarts: number;
  removed: boolean;
  /** Its pods that ended unexpectedly, newest first. */
  exits: PodExit[];
}

/** Runs pods as child processes of this machine (`colony dev`). */
export class LocalDriver implements PodDriver {
  readonly #options: LocalDriverOptions;
  /** `namespace/agent` → its pods. */
  readonly #agents = new Map<string, LocalAgent>();
  /** Every pod process not yet exited, stopping ones included. */
  readonly #live = new Set<LocalPod>();

  constructor(options: LocalDriverOptions) {
    this.#options = options;
  }

  async scale(unit: PlacementUnit, replicas: number, remove: readonly string[] = []): Promise<void> {
    const { spec } = unit;
    const id = `${spec.namespace}/${spec.name}`;
    let agent = this.#agents.get(id);
    if (!agent) {
      agent = { spec, unit, replicas, pods: new Map(), crashes: 0, restartTimer: undefined, restarts: 0, removed: false, exits: [] };
      this.#agents.set(id, agent);
    }
    agent.spec = spec;
    agent.unit = unit;
    agent.replicas = replicas;
    const stopping = remove.flatMap((podId) => {
      const pod = agent.pods.get(podId);
      return pod ? [this.#stopPod(pod)] : [];
    });
    // Fewer pods wanted than the controller chose to remove: stop the newest extras.
    const running = [...agent.pods.values()].filter((pod) => !pod.stopping);
    const extra = running.length - replicas;
    if (extra > 0) {
      const newest = running.sort((a, b) => b.pod.startedAt - a.pod.startedAt).slice(0, extra);
      stopping.push(...newest.map((pod) => this.#stopPod(pod)));
    }
    if (!agent.restartTimer) this.#fill(agent);
    // Stopping pods drain in the background; their exit is reported through onPodGone.
    void Promise.all(stopping);
  }

  /**
   * Replaces every pod of a unit (`colony dev --watch`, its code changed): the
   * pods drain (turns finish, state is persisted, partitions are released) while
   * new pods start, which take the partitions over and load the new code.
   * Resolves once the old pods are gone.
   */
  async restart(namespace: string, unit: string): Promise<number> {
    const agent = this.#agents.get(`${namespace}/${unit}`);
    if (!agent || agent.removed) return 0;
    const old = [...agent.pods.values()].filter((pod) => !pod.stopping);
    const stopped = Promise.all(old.map((pod) => this.#stopPod(pod)));
    if (!agent.restartTimer) this.#fill(agent);
    await stopped;
    return old.length;
  }

  async remove(namespace: string, agentName: string): Promise<void> {
    const id = `${namespace}/${agentName}`;
    const agent = this.#agents.get(id);
    if (!agent) return;
    this.#agents.delete(id);
    agent.removed = true;
    clearTimeout(agent.restartTimer);
    await Promise.all([...agent.pods.values()].map((pod) => this.#stopPod(pod)));
  }

  exits(namespace: string, agentName: string): PodExit[] {
    return [...(this.#agents.get(`${namespace}/${agentName}`)?.exits ?? [])];
  }

  pods(namespace: string, agentName: string): DriverPod[] {
    const agent = this.#agents.get(`${namespace}/${agentName}`);
    return agent ? [...agent.pods.values()].map((pod) => pod.pod) : [];
  }

  async stop(): Promise<void> {
    const all = [...this.#agents.values()];
    this.#agents.clear();
    await Promise.all(
      all.map(async (agent) => {
        agent.removed = true;
        clearTimeout(agent.restartTimer);
        await Promise.all([...agent.pods.values()].map((pod) => this.#stopPod(pod)));
      }),
    );
  }

  /** Kills every pod at once (the parent is exiting without a drain). */
  killAll(): void {
    for (const agent of this.#agents.values()) {
      agent.removed = true;
      for (const pod of agent.pods.values()) {
        pod.stopping = true;
        pod.child.kill('SIGKILL');
      }
    }
  }

  /** Sends a signal to one pod (fault tests, debugging). Returns false for an unknown pod. */
  signal(podId: string, signal: NodeJS.Signals): boolean {
    for (const agent of this.#agents.values()) {
      const pod = agent.pods.get(podId);
      if (pod) return pod.child.kill(signal);
    }
    return false;
  }

  /** Starts pods until the Agent has as many running (not stopping) as it should. */
  #fill(agent: LocalAgent): void {
    if (agent.removed) return;
    let running = [...agent.pods.values()].filter((pod) => !pod.stopping).length;
    while (running < agent.replicas) {
      this.#launch(agent);
      running += 1;
    }
  }

  #launch(agent: LocalAgent): void {
    const { spec } = agent;
    const podId = `${spec.name}-${randomBytes(3).toString('hex')}`;
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ...this.#options.env,
      ...Object.fromEntries(spec.env.map((e) => [e.name, e.value])),
      [POD_ENV.natsUrl]: this.#options.natsUrl,
      [POD_ENV.natsToken]: this.#options.natsToken ?? '',
      [POD_ENV.kvReplicas]: String(this.#options.kvReplicas ?? DEFAULT_KV_REPLICAS),
      [POD_ENV.namespace]: spec.namespace,
      [POD_ENV.podId]: podId,
      ...unitEnv(agent.unit, (member) => member.module),
      [POD_ENV.healthPort]: '0',
      [POD_ENV.parentPid]: String(process.pid),
    };
    // Own process group: Ctrl-C in a terminal reaches colony dev only, which then drains the pods in order.
    const child = spawn(process.execPath, [...this.#options.runtimeArgs], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const pod: DriverPod = {
      podId,
      agent: spec.name,
      namespace: spec.namespace,
      startedAt: Date.now(),
      restarts: agent.restarts,
      detail: { pid: child.pid },
    };
    const graceMs = spec.drainTimeoutMs + STOP_GRACE_EXTRA_MS;
    const local: LocalPod = { pod, child, exited: Promise.resolve(), stopping: false, stderrTail: [], killedBecause: undefined, graceMs };
    agent.pods.set(podId, local);
    if (child.pid !== undefined) {
      this.#live.add(local);
      this.#reportProcesses();
    }
    const output = this.#options.onPodOutput;
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => output?.(pod, line, 'stdout'));
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
      local.stderrTail.push(line);
      if (local.stderrTail.length > STDERR_TAIL_LINES) local.stderrTail.shift();
      // The pod's watchdog reports on stderr: a blocked event loop (shown in `colony get pods`), then why it killed the pod.
      const said = readWatchdogLine(line);
      if (said?.state === 'blocked') pod.note = said.message;
      if (said?.state === 'kill') local.killedBecause = said.message;
      output?.(pod, line, 'stderr');
    });
    local.exited = new Promise<void>((resolve) => {
      child.on('error', (error) => this.#options.log.error(`pod ${podId} could not start: ${error.message}`));
      child.on('exit', (code, signal) => {
        resolve();
        this.#onExit(agent, local, code, signal);
      });
    });
  }

  #onExit(agent: LocalAgent, local: LocalPod, code: number | null, signal: NodeJS.Signals | null): void {
    const { pod } = local;
    agent.pods.delete(pod.podId);
    if (this.#live.delete(local)) this.#reportProcesses();
    const how = signal ? `signal ${signal}` : `code ${code}`;
    const gone = (): void => this.#options.events.onPodGone(pod.podId, pod.namespace, pod.agent, `exited with ${how}`);
    if (local.stopping || agent.removed) {
      gone();
      return;
    }
    agent.exits.unshift({ podId: pod.podId, at: Date.now(), reason: local.killedBecause ? `exited with ${how}: ${local.killedBecause}` : `exited with ${how}` });
    agent.exits.splice(MAX_RECENT_EXITS);
    const ranMs = Date.now() - pod.startedAt;
    agent.crashes = ranMs >= RESTART_BACKOFF_RESET_MS ? 1 : agent.crashes + 1;
    const delay = Math.min(RESTART_BACKOFF_MAX_MS, RESTART_BACKOFF_INITIAL_MS * 2 ** (agent.crashes - 1));
    const tail = local.stderrTail.length > 0 ? `; its last output:\n    ${local.stderrTail.join('\n    ')}` : '';
    this.#options.log.error(`pod ${pod.podId} exited unexpectedly with ${how}; restarting in ${delay} ms${tail}`, {
      pod: pod.podId,
      agent: pod.agent,
    });
    clearTimeout(agent.restartTimer);
    agent.restartTimer = setTimeout(() => {
      agent.restartTimer = undefined;
      agent.restarts += 1;
      this.#fill(agent);
    }, delay);
    // Only now: the controller reconciles at once when told, and its scale() must find the restart pending,
    // or it starts the replacement itself, without the backoff the log just announced.
    gone();
  }

  #reportProcesses(): void {
    const report = this.#options.onPodProcesses;
    if (!report) return;
    report([...this.#live].map((local) => ({ podId: local.pod.podId, pid: local.child.pid as number, graceMs: local.graceMs })));
  }

  async #stopPod(local: LocalPod): Promise<void> {
    // Already told to stop: it is draining. A second SIGTERM would make it exit at once, cutting
    // its turns short, so a second stop (`colony dev` shutting down meanwhile, a caller asking
    // again) waits for the first.
    if (local.stopping) return local.exited;
    local.stopping = true;
    local.pod.stopping = true;
    const { child } = local;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    // The drain timeout the pod was started with, as recorded for colony dev's keeper: the one it drains by.
    const { graceMs } = local;
    const force = setTimeout(() => {
      this.#options.log.warn(`pod ${local.pod.podId} did not stop within ${graceMs} ms of SIGTERM; killing it`);
      child.kill('SIGKILL');
    }, graceMs);
    await local.exited;
    clearTimeout(force);
  }
}
