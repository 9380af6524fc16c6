import type { TestProject } from 'vitest/node';
import { join } from 'node:path';
import { buildColonyImages } from '../helpers/realnode/images.ts';
import { startRealNode } from '../helpers/realnode/node.ts';
import type { RealNodeInfo } from './node-info.ts';

/**
 * Brings the real node up once for the suite (cold: packages, Go builds and
 * base images, about 10 minutes; warm: seconds), builds Colony's images as
 * `npm run images` does and imports them into the node, and stops everything
 * at the end. COLONY_REALNODE_KEEP=1 leaves the node running for a look
 * around (the next run stops it first).
 */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string): void => void process.stderr.write(`[realnode] ${line}\n`);
  const started = Date.now();
  const node = await startRealNode(log);
  try {
    const imagesStarted = Date.now();
    const images = await buildColonyImages(node.baseImages.node, 'dev', log);
    const builtMs = Date.now() - imagesStarted;
    await node.importImages(images);
    const info: RealNodeInfo = {
      kubeconfig: node.kubeconfig,
      nodeIp: node.nodeIp,
      nodeName: node.nodeName,
      kubectl: node.tools.kubectl,
      helm: node.tools.helm,
      volumes: join(node.layout.state, 'volumes'),
      images: [...images, node.baseImages.nats].map((image) => ({ ref: image.ref, bytes: image.bytes })),
      timings: { nodeReadyMs: imagesStarted - started, imagesBuiltMs: builtMs, imagesImportedMs: Date.now() - imagesStarted - builtMs },
    };
    project.provide('realnode', info);
    log(`KUBECONFIG=${node.kubeconfig} (kubectl ${node.tools.kubectl})`);
  } catch (error) {
    await node.stop();
    throw error;
  }
  return async () => {
    if (process.env.COLONY_REALNODE_KEEP === '1') {
      log(`COLONY_REALNODE_KEEP=1: the node keeps running; KUBECONFIG=${node.kubeconfig}. The next run stops it.`);
      return;
    }
    await node.stop();
  };
}
