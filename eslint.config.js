// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

// The import boundaries of docs/DESIGN.md: the gateway and the controller use only the runtime's
// protocol/, client/ and observability/; the SDK agents import never reaches the host, NATS or
// Kubernetes; the runtime imports nothing of the control plane, the edge or the CLI.
const RUNTIME_API_ONLY = 'agent-runtime/(?!protocol/|client/|observability/)';

/**
 * The import boundary of the files `files`: no import of theirs may match a `[regex, message]`.
 * A file under two boundaries (the SDK is in the runtime) takes the later one's patterns only.
 * @param {string} files
 * @param {...[string, string]} patterns
 */
function boundary(files, ...patterns) {
  return {
    files: [files],
    rules: { 'no-restricted-imports': ['error', { patterns: patterns.map(([regex, message]) => ({ regex, message })) }] },
  };
}

/**
 * A boundary (as `boundary`) that leaves out the files `ignores` matches.
 * @param {string[]} ignores
 * @param {string} files
 * @param {...[string, string]} patterns
 */
function withIgnores(ignores, files, ...patterns) {
  return { ...boundary(files, ...patterns), ignores };
}

const importBoundaries = [
  boundary(
    'controller/**/*.ts',
    [RUNTIME_API_ONLY, 'The controller imports only agent-runtime/protocol, client and observability.'],
    ['(^|/)(gateway|cli)/', 'The controller imports nothing of the gateway or the CLI.'],
  ),
  boundary(
    'gateway/**/*.ts',
    [RUNTIME_API_ONLY, 'The gateway imports only agent-runtime/protocol, client and observability.'],
    ['(^|/)(controller|cli)/', 'The gateway never talks to the control plane, nor imports the CLI.'],
  ),
  // However deep the importing file: agent-runtime/host/watchdog/ is three folders down.
  boundary('agent-runtime/**/*.ts', ['^(\\.\\./)+(controller|gateway|cli)/', 'The runtime imports nothing of the controller, the gateway or the CLI.']),
  boundary(
    'agent-runtime/sdk/**/*.ts',
    ['^(@nats-io/|@kubernetes/|fastify)', 'The SDK agents import never reaches NATS, Kubernetes or HTTP.'],
    ['^\\.\\./(?!protocol/)', 'The SDK imports only its own files and agent-runtime/protocol.'],
  ),
  // colony/client runs in browsers too: fetch only, and of the runtime only the error table and the SDK's types.
  // Its unit tests define agents (the SDK) to type the client with.
  withIgnores(
    ['agent-runtime/http-client/**/*.test.ts'],
    'agent-runtime/http-client/**/*.ts',
    ['^node:', 'colony/client runs in browsers too: no Node built-ins (it uses fetch).'],
    ['^(@nats-io/|@kubernetes/|fastify)', 'colony/client talks HTTP to the gateway: no NATS, Kubernetes or fastify.'],
    ['^\\.\\./(?!protocol/(errors|workflow)\\.ts$|sdk/(types|workflow)\\.ts$)', 'colony/client imports only its own files, protocol/errors.ts, protocol/workflow.ts and the SDK\'s types.'],
  ),
  // colony/testing runs agents in a unit test's process: the runtime's pieces, never NATS or the pod.
  boundary(
    'agent-runtime/testing/**/*.ts',
    ['^(@nats-io/|@kubernetes/|fastify)', 'colony/testing runs agents without NATS, Kubernetes or HTTP.'],
    ['^\\.\\./(host|client)/', 'colony/testing runs agents without a pod (host/) or NATS calls (client/).'],
    ['^(\\.\\./)+(controller|gateway|cli)/', 'The runtime imports nothing of the controller, the gateway or the CLI.'],
  ),
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.colony/', '.scratch/', 'coverage/', 'charts/', 'test/fixtures/broken/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
        { selector: 'TSEnumDeclaration', message: 'Use a const object; enums are not erasable syntax.' },
      ],
    },
  },
  ...importBoundaries,
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
  {
    // The dashboard's scripts run in the browser, served as they are (gateway/dashboard/page.ts).
    files: ['gateway/dashboard/assets/**/*.js'],
    languageOptions: { globals: globals.browser },
  },
  {
    // Tool configuration files are loaded by their tools, which expect a default export.
    files: ['eslint.config.js', 'vitest.config.ts', 'vitest.realnode.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
