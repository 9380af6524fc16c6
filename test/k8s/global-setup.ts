import { ensureKubeTools } from '../helpers/kube-tools.ts';

/**
 * Builds etcd, kube-apiserver, kube-controller-manager, kubectl and helm once
 * (cached under ~/.cache/colony), before the Kubernetes suite, with progress.
 * Skipped when KUBECONFIG points the suite at a cluster.
 */
export async function setup(): Promise<void> {
  if (process.env.KUBECONFIG) {
    process.stderr.write(`[kube] using the cluster in KUBECONFIG=${process.env.KUBECONFIG}\n`);
    return;
  }
  await ensureKubeTools((line) => process.stderr.write(`[kube] ${line}\n`));
}
