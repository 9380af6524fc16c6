import { makeInformer } from '@kubernetes/client-node';
import type { Informer, KubeConfig, KubernetesListObject, KubernetesObject, ObjectCache } from '@kubernetes/client-node';
import { errorField } from '../../agent-runtime/observability/log.ts';
import type { StructuredLogger } from '../../agent-runtime/observability/log.ts';

export const INFORMER_RESTART_INITIAL_MS = 500;
export const INFORMER_RESTART_MAX_MS = 30_000;

export interface WatchHandlers<T> {
  /** An object appeared or changed (after a relist, every object again). */
  onUpsert?(object: T): void;
  onDelete?(object: T): void;
  /** The watch (re)connected and the cache holds a full listing. */
  onSynced?(): void;
}

export interface WatchedResource<T extends KubernetesObject> {
  cache: ObjectCache<T>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * An informer that keeps going: the client relists on 410 Gone by itself;
 * any other error (the API server restarted, a network cut, RBAC changed)
 * restarts it here with backoff, and every restart relists, so handlers see
 * whatever changed meanwhile. `delay` is injectable for tests.
 */
export function watchResource<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
  list: () => Promise<KubernetesListObject<T>>,
  handlers: WatchHandlers<T>,
  options: { log: StructuredLogger; labelSelector?: string; delay?: (ms: number) => Promise<void> },
): WatchedResource<T> {
  const informer: Informer<T> & ObjectCache<T> = makeInformer(kc, path, list, options.labelSelector);
  const delay = options.delay ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref()));
  let stopped = false;
  let backoff = INFORMER_RESTART_INITIAL_MS;
  if (handlers.onUpsert) {
    informer.on('add', handlers.onUpsert);
    informer.on('update', handlers.onUpsert);
  }
  if (handlers.onDelete) informer.on('delete', handlers.onDelete);
  informer.on('connect', () => {
    backoff = INFORMER_RESTART_INITIAL_MS;
    handlers.onSynced?.();
  });
  informer.on('error', (error) => {
    if (stopped) return;
    options.log.warn(`watch of ${path} failed; restarting in ${backoff} ms`, errorField(error));
    const wait = backoff;
    backoff = Math.min(backoff * 2, INFORMER_RESTART_MAX_MS);
    void delay(wait).then(async () => {
      if (stopped) return;
      try {
        await informer.start();
      } catch (restartError) {
        options.log.warn(`restarting the watch of ${path} failed`, errorField(restartError));
      }
    });
  });
  return {
    cache: informer,
    start: () => informer.start(),
    stop: async () => {
      stopped = true;
      await informer.stop();
    },
  };
}
