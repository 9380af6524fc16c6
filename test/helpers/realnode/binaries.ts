import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { colonyCacheDir } from '../../../cli/tools/cache-dir.ts';
import { KUBERNETES_VERSION, buildFromModule, ensureKubeTools, goRun, install } from '../kube-tools.ts';
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
  const cache = colonyCacheDir();
  const nodeDir = join(cache, 'kube', KUBERNETES_VERSION, 'node');
  const commands = ['kubelet', 'kube-scheduler', 'kube-proxy'];
  if (!commands.every((name) => existsSync(join(nodeDir, name)))) {
    log(`building ${commands.join(', ')} ${KUBERNETES_VERSION} from source (once; 3–7 minutes on 2 cores) into ${nodeDir} ...`);
  }
  const minor = KUBERNETES_VERSION.split('.')[1] as string;
  // Without these the node reports kubeletVersion v0.0.0-master.
  const ldflags = [
    `-X k8s.io/component-base/version.gitVersion=${KUBERNETES_VERSION}`,
    '-X k8s.io/component-base/version.gitMajor=1',
    `-X k8s.io/component-base/version.gitMinor=${minor}`,
  ].join(' ');
  await buildFromModule(
    nodeDir,
    'k8s.io/kubernetes',
    KUBERNETES_VERSION,
    KUBERNETES_VERSION.replace(/^v1\./, 'v0.'),
    commands.map((name) => ({ name, path: `k8s.io/kubernetes/cmd/${name}` })),
    log,
    ldflags,
  );
  const goInstall = (name: string, module: string, version: string) =>
    install(
      join(cache, 'bin', `${name}-${version}`),
      async (out) => {
        log(`building ${name} ${version} with go install (once, 1–2 minutes) ...`);
        await goRun(['install', '-ldflags=-s -w', `${module}@${version}`], { env: { GOBIN: out, CGO_ENABLED: '0' }, log });
        return join(out, name);
      },
      log,
    );
  return {
    ...tools,
    kubelet: join(nodeDir, 'kubelet'),
    kubeScheduler: join(nodeDir, 'kube-scheduler'),
    kubeProxy: join(nodeDir, 'kube-proxy'),
    crictl: await goInstall('crictl', 'sigs.k8s.io/cri-tools/cmd/crictl', CRICTL_VERSION),
    coredns: await goInstall('coredns', 'github.com/coredns/coredns', COREDNS_VERSION),
  };
}
