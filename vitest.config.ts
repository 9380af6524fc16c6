import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

const sources = ['agent-runtime', 'controller', 'gateway', 'cli', 'examples'];

export default defineConfig({
  // The repository runs Colony from its sources: `colony`, `colony/client` and `colony/testing` resolve
  // to the .ts files under the colony-source condition (package.json exports; decision 24), not to dist/.
  ssr: { resolve: { conditions: ['colony-source', ...defaultServerConditions] } },
  resolve: { conditions: ['colony-source'] },
  test: {
    globalSetup: ['./test/global-setup.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          // The test harnesses' pure parts are unit tested too.
          include: [...sources.map((dir) => `${dir}/**/*.test.ts`), 'test/helpers/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Suites start real processes; two at a time fit this 2-core machine without starving each other.
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'kubernetes',
          include: ['test/k8s/**/*.test.ts'],
          // The first run builds the Kubernetes binaries from source (tens of minutes); later runs find them cached.
          globalSetup: ['./test/k8s/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 60 * 60_000,
          maxWorkers: 1,
        },
      },
    ],
  },
});
