import { Worker } from 'node:worker_threads';
import type { TurnWatch } from '../../activation/deps.ts';
import { ownModule } from '../own-files.ts';
import { createTurnTableBuffers, TurnTable } from './turn-table.ts';
import type { WatchdogOptions } from './verdict.ts';
import type { WatchdogWorkerData } from './worker.ts';

const WORKER_ENTRY = ownModule('./worker.ts', import.meta.url);
/** How often the watchdog thread looks at the main thread. */
const CHECK_INTERVAL_MS = 250;
/** A block outside any turn may last this long before the pod is killed. */
export const DEFAULT_IDLE_BLOCK_LIMIT_MS = 30_000;

export interface WatchdogStartOptions extends Partial<Pick<WatchdogOptions, 'idleLimitMs'>> {
  reportAfterMs: number;
  graceMs: number;
  fields: Record<string, unknown>;
  terminationLog: string | undefined;
}

/**
 * A pod's watchdog: a thread outside the main one that notices when the main
 * thread's event loop stops (a method that never yields: `for (;;) {}`),
 * logs which agent, key and method are running, and kills the pod once it is
 * blocked past the deadlines of its running turns plus a grace, so that it
 * is replaced (decision 16). The main thread tells it which turns run
 * (`turns`) and ticks.
 */
export class Watchdog {
  readonly #table: TurnTable;
  readonly #worker: Worker;

  private constructor(table: TurnTable, worker: Worker) {
    this.#table = table;
    this.#worker = worker;
  }

  static start(options: WatchdogStartOptions): Watchdog {
    const buffers = createTurnTableBuffers();
    const table = new TurnTable(buffers);
    const workerData: WatchdogWorkerData = {
      buffers,
      options: { reportAfterMs: options.reportAfterMs, graceMs: options.graceMs, idleLimitMs: options.idleLimitMs ?? DEFAULT_IDLE_BLOCK_LIMIT_MS },
      intervalMs: CHECK_INTERVAL_MS,
      fields: options.fields,
      terminationLog: options.terminationLog,
    };
    const worker = new Worker(WORKER_ENTRY, { workerData, stdout: false, stderr: false, resourceLimits: { maxOldGenerationSizeMb: 16 } });
    // Never what keeps the pod alive.
    worker.unref();
    return new Watchdog(table, worker);
  }

  get turns(): TurnWatch {
    return this.#table;
  }

  /** The main thread runs (called on a short interval). */
  tick(): void {
    this.#table.tick();
  }

  async stop(): Promise<void> {
    await this.#worker.terminate();
  }
}
