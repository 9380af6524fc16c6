import { defineConfig } from 'vitest/config';

/**
 * The real-node suite (`npm run test:realnode`): a single-node Kubernetes
 * made on this machine (test/helpers/realnode), Colony's images built and
 * imported, the chart installed for real. Needs root; says so when it
 * cannot run. Apart from `npm test` so that the usual run stays fast; CI
 * runs both (.ci/run).
 */
export default defineConfig({
  test: {
    name: 'realnode',
    include: ['test/realnode/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts', './test/realnode/global-setup.ts'],
    // One node, one chart at a time: the files install and uninstall it in turn.
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 180_000,
    // The first run builds the node's binaries and images (about 10 minutes on 2 cores).
    hookTimeout: 60 * 60_000,
  },
});
