/** Writes charts/colony/crds/agents.colony.dev.yaml from the Agent spec schema (npm run gen:crd). */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { crdYaml, CRD_FILE } from '../controller/kubernetes/crd-file.ts';

writeFileSync(fileURLToPath(new URL(`../${CRD_FILE}`, import.meta.url)), crdYaml());
process.stdout.write(`wrote ${CRD_FILE}\n`);
