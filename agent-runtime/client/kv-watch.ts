import type { KV, KvEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/nats-core';

export interface KvWatchHandle {
  /** Resolves once the first watch is established. */
  ready: Promise<void>;
  stop(): void;
}

const RESTART_DELAY_MS = 500;
const MAX_RESTART_DELAY_MS = 10_000;

/**
 * Watches KV keys for as long as it is not stopped: when the watch ends on its
 * own (nats-server restarted, its consumer was lost), it is started again,
 * with backoff, and replays the current values, so a view built from it
 * catches up without anyone noticing. `onEntry` must be idempotent
 * (views compare revisions or epochs).
 */
export function watchKv(kv: KV, key: string, onEntry: (entry: KvEntry) => void, onError?: (error: unknown) => void): KvWatchHandle {
  let stopped = false;
  let current: QueuedIterator<KvEntry> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let delay = RESTART_DELAY_MS;
  let resolveReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    resolveReady = resolve;
  });

  const start = async (): Promise<void> => {
    if (stopped) return;
    try {
      const watch = await kv.watch({ key });
      if (stopped) {
        watch.stop();
        return;
      }
      current = watch;
      resolveReady();
      delay = RESTART_DELAY_MS;
      for await (const entry of watch) onEntry(entry);
    } catch (error) {
      onError?.(error);
    }
    if (stopped) return;
    timer = setTimeout(() => void start(), delay);
    timer.unref();
    delay = Math.min(delay * 2, MAX_RESTART_DELAY_MS);
  };
  void start();
  return {
    ready,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      current?.stop();
      resolveReady();
    },
  };
}
