import { defineConfig } from 'vitest/config';

const sources = ['agent-runtime', 'controller', 'gateway', 'cli', 'examples'];

export default defineConfig({
  test: {
    globalSetup: ['./test/global-setup.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: sources.map((dir) => `${dir}/**/*.test.ts`),
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Suites start real processes; two at a time fit this 2-core machine without starving each other.
          maxWorkers: 2,
        },
      },
    ],
  },
});
