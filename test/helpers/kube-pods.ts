import { afterAll, beforeAll } from 'vitest';
import { createLogger } from '../../agent-runtime/observability/log.ts';
import { startGateway } from '../../gateway/gateway.ts';
import type { RunningGateway } from '../../gateway/gateway.ts';
import { startKubePlatform } from './kube-platform.ts';
import type { KubePlatform } from './kube-platform.ts';
import { startMiniKubelet } from './mini-kubelet.ts';
import type { MiniKubelet } from './mini-kubelet.ts';

/** The test cluster with its runtime pods running (the stand-in kubelet, namespace default) and a gateway for their Agents. */
export interface KubePods {
  platform: KubePlatform;
  kubelet: MiniKubelet;
  gateway: RunningGateway;
  stop(): Promise<void>;
}

async function startKubePods(): Promise<KubePods> {
  const platform = await startKubePlatform((line) => process.stderr.write(`[kube] ${line}\n`));
  const kubelet = startMiniKubelet(platform.cluster, 'default', 'app.kubernetes.io/component=runtime');
  const gateway = await startGateway({ nc: await platform.nats.connect(), namespace: 'default', host: '127.0.0.1', port: 0, log: createLogger({ level: 'error' }) });
  return {
    platform,
    kubelet,
    gateway,
    stop: async () => {
      await gateway.close();
      await kubelet.stop();
      await platform.stop();
    },
  };
}

/**
 * KubePods started before the tests of the calling suite and stopped after
 * them (the first run builds the Kubernetes binaries: the hook may take long).
 * The object is returned at once and filled in when the suite starts: use it
 * in tests and hooks, not while the suite is collected.
 */
export function useKubePods(): KubePods {
  const pods = {} as KubePods;
  let started: KubePods | undefined;
  beforeAll(async () => {
    started = await startKubePods();
    Object.assign(pods, started);
  }, 60 * 60_000);
  afterAll(async () => {
    await started?.stop();
  });
  return pods;
}

/**
 * True when KUBECONFIG points the suite at a cluster: its kubelets run the
 * pods (they need the images: see docs/kubernetes.md), and the stand-in
 * kubelet would run them a second time. Says so, naming the suite.
 */
export function podsRunElsewhere(suite: string): boolean {
  if (!process.env.KUBECONFIG) return false;
  process.stderr.write(
    `\n[kube] SKIPPED ${suite}: KUBECONFIG is set, so the cluster runs pods itself; unset KUBECONFIG to run it against the built-in test cluster, or follow docs/kubernetes.md (npm run kind:*) to call an Agent on a real cluster\n\n`,
  );
  return true;
}
