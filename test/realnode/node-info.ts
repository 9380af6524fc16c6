import { inject } from 'vitest';
import type { NodeAccess } from '../helpers/realnode/chart.ts';

/** What the global setup hands the test files about the node it made. */
export interface RealNodeInfo extends NodeAccess {
  nodeName: string;
  images: { ref: string; bytes: number }[];
  timings: { nodeReadyMs: number; imagesBuiltMs: number; imagesImportedMs: number };
}

declare module 'vitest' {
  export interface ProvidedContext {
    realnode: RealNodeInfo;
  }
}

export function realNode(): RealNodeInfo {
  return inject('realnode');
}
