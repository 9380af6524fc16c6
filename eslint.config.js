// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.colony/', '.scratch/', 'coverage/', 'charts/', 'test/fixtures/broken/'] },
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
  // The import boundaries of docs/DESIGN.md: the gateway and the controller use only the runtime's
  // protocol/, client/ and observability/; the SDK agents import never reaches the host, NATS or
  // Kubernetes; the runtime imports nothing of the control plane, the edge or the CLI.
  {
    files: ['controller/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: 'agent-runtime/(?!protocol/|client/|observability/)', message: 'The controller imports only agent-runtime/protocol, client and observability.' },
            { regex: '(^|/)(gateway|cli)/', message: 'The controller imports nothing of the gateway or the CLI.' },
          ],
        },
      ],
    },
  },
  {
    files: ['gateway/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: 'agent-runtime/(?!protocol/|client/|observability/)', message: 'The gateway imports only agent-runtime/protocol, client and observability.' },
            { regex: '(^|/)(controller|cli)/', message: 'The gateway never talks to the control plane, nor imports the CLI.' },
          ],
        },
      ],
    },
  },
  {
    files: ['agent-runtime/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^\\.\\./\\.\\./(controller|gateway|cli)/', message: 'The runtime imports nothing of the controller, the gateway or the CLI.' }] },
      ],
    },
  },
  {
    files: ['agent-runtime/sdk/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^(@nats-io/|@kubernetes/|fastify)', message: 'The SDK agents import never reaches NATS, Kubernetes or HTTP.' },
            { regex: '^\\.\\./(?!protocol/)', message: 'The SDK imports only its own files and agent-runtime/protocol.' },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
  {
    // Tool configuration files are loaded by their tools, which expect a default export.
    files: ['eslint.config.js', 'vitest.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
