import { stringify } from 'yaml';
import { agentCrd } from './crd.ts';

/** Where the chart keeps the CRD (generated: `npm run gen:crd`; a test checks it is current). */
export const CRD_FILE = 'charts/colony/crds/agents.colony.dev.yaml';

export function crdYaml(): string {
  return `# Generated from controller/manifest/agent-schema.ts by \`npm run gen:crd\`; do not edit.\n${stringify(agentCrd(), { lineWidth: 0 })}`;
}
