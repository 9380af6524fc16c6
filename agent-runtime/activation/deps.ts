import type { Tracing } from '../observability/tracing.ts';
import type { StructuredLogger } from '../observability/log.ts';
import type { Durability } from '../protocol/pod-env.ts';
import type { WakeEntry } from '../protocol/wake.ts';
import type { StateStore } from '../state/state-store.ts';
import type { Activation } from './activation.ts';
import type { Caller } from './caller.ts';
import type { Probe } from './deadlock.ts';
import type { LoadedAgent } from './loaded-agent.ts';
import type { Work } from './mailbox.ts';
import type { WorkflowDeps } from '../workflow/workflow-deps.ts';
import type { EventSink } from '../events/outbox.ts';
import type { TimerSource } from '../reminders/timer-source.ts';

/** Keeps the durable wake-up index of the pod's partitions (see reminders/scheduler.ts). */
export interface WakeHooks {
  update(key: string, partition: number, entry: WakeEntry): Promise<void>;
  /** The reminder time last indexed for `key` (undefined: nothing indexed). */
  indexedReminderAt(key: string): number | null | undefined;
}

/** Sizes a turn's outcome must fit in (both follow from the NATS server's max_payload). */
export interface TurnLimits {
  /** Largest result one reply may carry, bytes. */
  replyBytes: number;
  /** Largest stored record (state, remembered replies, reminders, tasks) of one instance, bytes. */
  recordBytes: number;
}

/** Tells the pod's watchdog which turns run (host/watchdog): a blocked event loop can then be named. */
export interface TurnWatch {
  begin(address: string, label: string, deadline: number): number;
  end(slot: number): void;
}

/** What an activation needs from its catalog. */
export interface ActivationDeps {
  podId: string;
  agent: LoadedAgent;
  store: StateStore;
  durability: Durability;
  caller: Caller;
  log: StructuredLogger;
  now: () => number;
  /** Where `ctx.timers` are set (Node's timers, or a test's clock). */
  timers: TimerSource;
  wake: WakeHooks;
  limits: TurnLimits;
  watchdog: TurnWatch | undefined;
  /** Where the events turns publish go (their topics); absent: they stay in the outbox, logged. */
  events?: EventSink | undefined;
  /** Spans of turns and state writes (NO_TRACING when off). */
  tracing: Tracing;
  /** Set when the Agent is a workflow: what its instances' runs share. */
  workflows: WorkflowDeps | undefined;
  /** How long a turn may run past its deadline before its activation is abandoned. */
  turnGraceMs: number;
  /** Longest time onDeactivate, and stopping background tasks, may take. */
  hookTimeoutMs: number;
  maxMailbox: number;
  onAbandoned(activation: Activation, orphans: Work[]): void;
  /** A turn ended: its duration, its label (method, hook, `reminder <name>`) and outcome (`ok` or the error code). */
  onTurn(latencyMs: number, label: string, outcome: string): void;
  /** Sends a deadlock probe to another instance (`agent/key`). */
  sendProbe(target: string, probe: Probe): void;
  counters: { inflight: number; queued: number };
}
