import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { StructuredLogger } from '../../../agent-runtime/protocol/log.ts';
import { POD_ENV } from '../../../agent-runtime/protocol/pod-env.ts';
import type { AgentSpec } from '../../spec/agent-spec.ts';
import type { DriverEvents, DriverPod, PodDriver } from '../driver.ts';

export interface LocalDriverOptions {
  natsUrl: string;
  /** The runtime entry file (agent-runtime/host/main.ts). */
  runtimeEntry: string;
  events: DriverEvents;
  log: StructuredLogger;
  /** Every line a pod writes, for `colony dev` to show. */
  onPodOutput?: (pod: DriverPod, line: string, stream: 'stdout' | 'stderr') => void;
  /** Extra environment for every pod (e.g. log level). */
  env?: Record<string, string>;
}

/** The first restart of a crashed pod waits this long; each further crash doubles it. */
export const RESTART_BACKOFF_INITIAL_MS = 500;
export const RESTART_BACKOFF_MAX_MS = 30_000;
/** A pod that ran this long before it crashed counts as healthy: its backoff starts over. */
export const RESTART_BACKOFF_RESET_MS = 30_000;
/** Lines of a pod's stderr kept to explain its crash. */
const STDERR_TAIL_LINES = 20;

interface Slot {
  slot: number;
  spec: AgentSpec;
  child: ChildProcess | undefined;
  pod: DriverPod | undefined;
  crashes: number;
  restarts: number;
  stopping: boolean;
  restartTimer: NodeJS.Timeout | undefined;
  exited: Promise<void>;
  stderrTail: string[];
}

/** Runs pods as child processes of this machine (`colony dev`). */
export class LocalDriver implements PodDriver {
  readonly #options: LocalDriverOptions;
  /** `namespace/agent` → slots, index = slot number. */
  readonly #agents = new Map<string, Slot[]>();

  constructor(options: LocalDriverOptions) {
    this.#options = options;
  }

  async scale(spec: AgentSpec, replicas: number): Promise<void> {
    const id = `${spec.namespace}/${spec.name}`;
    const slots = this.#agents.get(id) ?? [];
    this.#agents.set(id, slots);
    while (slots.length < replicas) {
      const slot = this.#newSlot(slots.length, spec);
      slots.push(slot);
      this.#launch(slot);
    }
    const removed = slots.splice(replicas);
    await Promise.all(removed.map((slot) => this.#stopSlot(slot)));
    for (const slot of slots) slot.spec = spec;
  }

  async remove(namespace: string, agent: string): Promise<void> {
    const id = `${namespace}/${agent}`;
    const slots = this.#agents.get(id) ?? [];
    this.#agents.delete(id);
    await Promise.all(slots.map((slot) => this.#stopSlot(slot)));
  }

  pods(namespace: string, agent: string): DriverPod[] {
    return (this.#agents.get(`${namespace}/${agent}`) ?? []).flatMap((slot) => (slot.pod ? [slot.pod] : []));
  }

  async stop(): Promise<void> {
    const all = [...this.#agents.values()].flat();
    this.#agents.clear();
    await Promise.all(all.map((slot) => this.#stopSlot(slot)));
  }

  #newSlot(index: number, spec: AgentSpec): Slot {
    return {
      slot: index,
      spec,
      child: undefined,
      pod: undefined,
      crashes: 0,
      restarts: 0,
      stopping: false,
      restartTimer: undefined,
      exited: Promise.resolve(),
      stderrTail: [],
    };
  }

  #launch(slot: Slot): void {
    const { spec } = slot;
    const podId = `${spec.name}-${slot.slot}-${randomBytes(3).toString('hex')}`;
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      ...this.#options.env,
      ...Object.fromEntries(spec.env.map((e) => [e.name, e.value])),
      [POD_ENV.natsUrl]: this.#options.natsUrl,
      [POD_ENV.namespace]: spec.namespace,
      [POD_ENV.agent]: spec.name,
      [POD_ENV.podId]: podId,
      [POD_ENV.module]: spec.module,
      [POD_ENV.partitions]: String(spec.partitions),
      [POD_ENV.durability]: spec.durability,
      [POD_ENV.idleTimeoutMs]: String(spec.idleTimeoutMs),
      [POD_ENV.drainTimeoutMs]: String(spec.drainTimeoutMs),
      [POD_ENV.healthPort]: '0',
      [POD_ENV.parentPid]: String(process.pid),
    };
    if (spec.exportName) env[POD_ENV.exportName] = spec.exportName;
    // Own process group: Ctrl-C in a terminal reaches colony dev only, which then drains the pods in order.
    const child = spawn(process.execPath, [this.#options.runtimeEntry], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const startedAt = Date.now();
    const pod: DriverPod = {
      podId,
      agent: spec.name,
      namespace: spec.namespace,
      startedAt,
      restarts: slot.restarts,
      detail: { pid: child.pid, slot: slot.slot },
    };
    slot.child = child;
    slot.pod = pod;
    slot.stderrTail = [];
    const output = this.#options.onPodOutput;
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => output?.(pod, line, 'stdout'));
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
      slot.stderrTail.push(line);
      if (slot.stderrTail.length > STDERR_TAIL_LINES) slot.stderrTail.shift();
      output?.(pod, line, 'stderr');
    });
    slot.exited = new Promise<void>((resolve) => {
      child.on('error', (error) => {
        this.#options.log.error(`pod ${podId} could not start: ${error.message}`);
      });
      child.on('exit', (code, signal) => {
        resolve();
        this.#onExit(slot, pod, code, signal, Date.now() - startedAt);
      });
    });
  }

  #onExit(slot: Slot, pod: DriverPod, code: number | null, signal: NodeJS.Signals | null, ranMs: number): void {
    if (slot.pod === pod) {
      slot.pod = undefined;
      slot.child = undefined;
    }
    const how = signal ? `signal ${signal}` : `code ${code}`;
    this.#options.events.onPodGone(pod.podId, pod.namespace, pod.agent, `exited with ${how}`);
    if (slot.stopping) return;
    slot.crashes = ranMs >= RESTART_BACKOFF_RESET_MS ? 1 : slot.crashes + 1;
    const delay = Math.min(RESTART_BACKOFF_MAX_MS, RESTART_BACKOFF_INITIAL_MS * 2 ** (slot.crashes - 1));
    const tail = slot.stderrTail.length > 0 ? `; its last output:\n    ${slot.stderrTail.join('\n    ')}` : '';
    this.#options.log.error(`pod ${pod.podId} exited unexpectedly with ${how}; restarting in ${delay} ms${tail}`, {
      pod: pod.podId,
      agent: pod.agent,
    });
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (slot.stopping) return;
      slot.restarts += 1;
      this.#launch(slot);
    }, delay);
  }

  async #stopSlot(slot: Slot): Promise<void> {
    slot.stopping = true;
    clearTimeout(slot.restartTimer);
    const child = slot.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const graceMs = slot.spec.drainTimeoutMs + 5_000;
    const force = setTimeout(() => {
      this.#options.log.warn(`pod ${slot.pod?.podId} did not stop within ${graceMs} ms of SIGTERM; killing it`);
      child.kill('SIGKILL');
    }, graceMs);
    await slot.exited;
    clearTimeout(force);
  }

  /** Kills every pod at once (the parent is exiting without a drain). */
  killAll(): void {
    for (const slots of this.#agents.values()) {
      for (const slot of slots) {
        slot.stopping = true;
        slot.child?.kill('SIGKILL');
      }
    }
  }

  /** Sends a signal to one pod (fault tests, `colony dev` debugging). */
  signal(podId: string, signal: NodeJS.Signals): boolean {
    for (const slots of this.#agents.values()) {
      for (const slot of slots) {
        if (slot.pod?.podId === podId && slot.child) return slot.child.kill(signal);
      }
    }
    return false;
  }
}
