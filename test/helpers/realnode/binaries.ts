import { join } from 'node:path';
import { colonyCacheDir } from '../../../cli/tools/cache-dir.ts';
import { KUBERNETES_VERSION, buildKubeCommands, ensureKubeTools, goInstallTool } from '../kube-tools.ts';
import type { KubeTools, Log } from '../kube-tools.ts';

export const CRICTL_VERSION = 'v1.34.0';
export const COREDNS_VERSION = 'v1.14.7';

/** What a real node needs besides the control plane the API-server suite already builds. */
export interface NodeTools extends KubeTools {
  kubelet: string;
  kubeScheduler: string;
  kubeProxy: string;
  /** Stops pod sandboxes through the CRI at teardown, so that the CNI plugin releases their network. */
  crictl: string;
  coredns: string;
}

/**
 * Builds the node's binaries once, cached under ~/.cache/colony beside the
 * control plane's: kubelet, kube-scheduler and kube-proxy from the same
 * pinned k8s.io/kubernetes module as kube-apiserver (so versions never skew),
 * crictl and CoreDNS with `go install`. Cold: about 5 minutes on 2 cores.
 */
export async function ensureNodeTools(log: Log): Promise<NodeTools> {
  const tools = await ensureKubeTools(log);
  const nodeDir = join(colonyCacheDir(), 'kube', KUBERNETES_VERSION, 'node');
  const minor = KUBERNETES_VERSION.split('.')[1] as string;
  // Without these the node reports kubeletVersion v0.0.0-master.
  const ldflags = [
    `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
    '-X k8s.io/component-base/version.gitMajor=1',
    `-X k8s.io/component-base/version.gitMinor=${minor}`,
  ].join(' ');
  await buildKubeCommands(nodeDir, ['kubelet', 'kube-scheduler', 'kube-proxy'], log, '3–7 minutes on 2 cores', ldflags);
  return {
    ...tools,
    kubelet: join(nodeDir, 'kubelet'),
    kubeScheduler: join(nodeDir, 'kube-scheduler'),
    kubeProxy: join(nodeDir, 'kube-proxy'),
    crictl: await goInstallTool('crictl', 'sigs.k8s.io/cri-tools/cmd/crictl', CRICTL_VERSION, log, '-s -w'),
    coredns: await goInstallTool('coredns', 'github.com/coredns/coredns', COREDNS_VERSION, log, '-s -w'),
  };
}
