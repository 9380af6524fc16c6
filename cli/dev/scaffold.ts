/** What `colony init` writes: the files of a new project, by path relative to its folder. Pure. */
export interface ScaffoldOptions {
  /** The project's name (package.json), a valid npm name. */
  name: string;
  /** How package.json depends on Colony: `file:/path/to/colony`, or a version range once published. */
  colony: string;
  /** Colony runs from its TypeScript sources (a checkout): Node then needs the colony-source condition to import it (decision 24). */
  fromSource: boolean;
}

/** An npm package name from a folder's name: lower case, `-` for what npm refuses. Pure. */
export function packageName(folder: string): string {
  const name = folder
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+|[-]+$/g, '');
  return name.slice(0, 214) || 'colony-agents';
}

const TSCONFIG = {
  compilerOptions: {
    module: 'nodenext',
    target: 'es2024',
    types: ['node'],
    strict: true,
    noEmit: true,
    allowImportingTsExtensions: true,
    erasableSyntaxOnly: true,
    verbatimModuleSyntax: true,
  },
  exclude: ['node_modules', '.colony'],
};

const AGENT = `import { AgentError, defineAgent } from 'colony';

/**
 * A greeter per key: \`greeter/world\` greets each name once. Change it, then
 * \`npm test\`, and \`npm start\` to run it with the platform (see README.md).
 */
export const greeter = defineAgent({
  state: () => ({ greeted: [] as string[] }),
  methods: {
    greet(ctx, input: { name: string }) {
      if (ctx.state.greeted.includes(input.name)) throw new AgentError('failed_precondition', \`already greeted \${input.name}\`);
      ctx.state.greeted.push(input.name);
      return { message: \`hello \${input.name}, from \${ctx.key}\` };
    },
    greeted(ctx) {
      return { names: ctx.state.greeted };
    },
  },
  schemas: {
    greet: { type: 'object', properties: { name: { type: 'string', minLength: 1 } }, required: ['name'], additionalProperties: false },
  },
});
`;

const MANIFEST = `# The greeter Agent: the same YAML runs with \`colony dev\` and is an Agent resource on Kubernetes.
apiVersion: colony.dev/v1alpha1
kind: Agent
metadata:
  name: greeter
spec:
  module: ./greeter.ts
  scaling:
    minReplicas: 1
`;

const TEST = `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testAgent } from 'colony/testing';
import { greeter } from './greeter.ts';

// The agent runs in this process, on the real runtime's turns and state, without a nats-server.
test('greets each name once per greeter', async () => {
  const t = testAgent(greeter, { name: 'greeter' });
  assert.deepEqual(await t.instance('world').greet({ name: 'Ada' }), { message: 'hello Ada, from world' });
  await assert.rejects(t.instance('world').greet({ name: 'Ada' }), { code: 'failed_precondition' });
  assert.deepEqual(await t.instance('moon').greet({ name: 'Ada' }), { message: 'hello Ada, from moon' });
  assert.deepEqual(t.state('world'), { greeted: ['Ada'] });
  await t.close();
});

test('refuses an input its schema does not allow', async () => {
  const t = testAgent(greeter, { name: 'greeter' });
  await assert.rejects(t.instance('world').greet({ name: '' }), { code: 'invalid_argument' });
  await t.close();
});
`;

function readme(name: string): string {
  return `# ${name}

Agents for Colony, made by \`colony init\`.

    npm install
    npm test           # type-checks, then runs the agents' tests (no platform needed)
    npm start          # the platform on this machine: nats-server, the agents' pods, the gateway on :8080

In another terminal:

    npx colony invoke greeter/world greet '{"name":"Ada"}'
    curl -X POST localhost:8080/v1/agents/greeter/world/greet -H 'content-type: application/json' -d '{"name":"Bob"}'

Each folder under \`agents/\` holds an agent (\`greeter.ts\`), its manifest (\`agent.yaml\`) and
its tests (\`greeter.test.ts\`). \`npm run dev\` reloads the agents when their code changes.
`;
}

export function scaffold(options: ScaffoldOptions): Map<string, string> {
  // Node runs the tests; a Colony run from its sources needs the condition that makes \`colony\` its .ts files.
  const node = options.fromSource ? 'node --conditions=colony-source' : 'node';
  const pkg = {
    name: options.name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: {
      start: 'colony dev .',
      dev: 'colony dev . --watch',
      test: `tsc --noEmit && ${node} --test`,
    },
    dependencies: { colony: options.colony },
    // Node 24 for npm's scripts (node_modules/.bin comes first on their PATH), whatever Node runs npm:
    // the tests are .ts files, which Node 24 runs as they are. Colony itself runs on it too.
    devDependencies: { '@types/node': '^24.0.0', node: '^24.0.0', typescript: '^6.0.0' },
    // npm 11 asks before running install scripts; the \`node\` package's links its binary.
    allowScripts: { node: true },
  };
  return new Map([
    ['package.json', `${JSON.stringify(pkg, null, 2)}\n`],
    ['tsconfig.json', `${JSON.stringify(TSCONFIG, null, 2)}\n`],
    ['.gitignore', 'node_modules/\n.colony/\n'],
    ['README.md', readme(options.name)],
    ['agents/greeter/greeter.ts', AGENT],
    ['agents/greeter/agent.yaml', MANIFEST],
    ['agents/greeter/greeter.test.ts', TEST],
  ]);
}
