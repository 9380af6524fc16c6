import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES_DIR, startColonyDev } from '../helpers/colony-dev.ts';
import type { ColonyDev } from '../helpers/colony-dev.ts';

/** Inside the repository (gitignored), so that the agents' `import ... from 'colony'` resolves as in the examples. */
const SCRATCH = fileURLToPath(new URL('../../.scratch', import.meta.url));

describe('colony dev --watch reloads an agent whose code changed, keeping its state', () => {
  let dir: string;
  let dev: ColonyDev;
  let original: string;

  beforeAll(async () => {
    await mkdir(SCRATCH, { recursive: true });
    dir = await mkdtemp(join(SCRATCH, 'watch-'));
    original = await readFile(join(EXAMPLES_DIR, 'counter', 'counter.ts'), 'utf8');
    await writeFile(join(dir, 'counter.ts'), original);
    await writeFile(join(dir, 'agent.yaml'), await readFile(join(EXAMPLES_DIR, 'counter', 'agent.yaml'), 'utf8'));
    dev = await startColonyDev({ dirs: [dir], args: ['--watch'] });
    await dev.waitFor('colony dev: watching');
  });

  afterAll(async () => {
    expect(await dev?.stop()).toBe(0);
    await rm(dir, { recursive: true, force: true });
  });

  it('serves the new code after a save, with the state the old code left', async () => {
    expect(await (await dev.call('counter', 'alice', 'increment', { by: 2 })).json()).toEqual({ count: 2 });
    expect((await dev.call('counter', 'alice', 'double')).status).toBe(404);

    // A new method, as a user adds one in their editor.
    const edited = original.replace('  methods: {', '  methods: {\n    double(ctx) {\n      ctx.state.count *= 2;\n      return { count: ctx.state.count };\n    },');
    expect(edited).not.toBe(original);
    await writeFile(join(dir, 'counter.ts'), edited);
    await dev.waitFor(/colony dev: reloaded counter: 1 pod drained and replaced in \d+ ms/, 60_000);

    const doubled = await dev.call('counter', 'alice', 'double');
    expect(doubled.status).toBe(200);
    expect(await doubled.json()).toEqual({ count: 4 });
  });

  it('keeps serving the code it has when the new code does not load, and says why', async () => {
    const before = dev.output().length;
    await writeFile(join(dir, 'counter.ts'), 'export const counter = defineAgent({ this is not TypeScript');
    await dev.waitFor(/colony dev: not reloaded: an agent cannot run:[\s\S]*counter[\s\S]*fix it and save again/, 60_000);
    expect(dev.output().slice(before)).not.toMatch(/reloaded counter:/);
    expect(await (await dev.call('counter', 'alice', 'double')).json()).toEqual({ count: 8 });
  });
});
