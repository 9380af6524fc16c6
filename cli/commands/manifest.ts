import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import type { AgentSpec } from '../../controller/manifest/agent-spec.ts';
import { formatDuration } from '../../controller/manifest/duration.ts';
import { loadManifests } from '../../controller/manifest/manifest.ts';
import { UsageError } from '../usage-error.ts';

export const MANIFEST_USAGE = `colony manifest [dir...] [options]

Prints, for every Agent under the folders, a ConfigMap with its code and the
Agent pointing at it (spec.source), ready for Kubernetes:

  colony manifest examples/counter | kubectl apply -f -

The stock runtime image runs the code: no image to build. Only single-file
agents fit a ConfigMap; agents that import their own other files need an
image (spec.image).

Options:
  --namespace <ns>   namespace of the objects (default: the manifests', or none)`;

function sourceName(agent: string): string {
  return `${agent}-source`;
}

/** The Kubernetes objects that deploy `agent` from a ConfigMap: a pure function of its spec and code. */
export function kubernetesObjects(agent: AgentSpec, code: string, namespace: string | undefined): Record<string, unknown>[] {
  const file = basename(agent.module);
  const metadata = (name: string): Record<string, unknown> => (namespace ? { name, namespace } : { name });
  const spec: Record<string, unknown> = {
    module: file,
    source: { configMapRef: { name: sourceName(agent.name), key: file } },
    partitions: agent.partitions,
    durability: agent.durability,
    idleTimeout: formatDuration(agent.idleTimeoutMs),
    drainTimeout: formatDuration(agent.drainTimeoutMs),
    retention: formatDuration(agent.retentionMs),
    scaling: {
      mode: agent.scaling.mode,
      ...(agent.scaling.replicas === undefined ? {} : { replicas: agent.scaling.replicas }),
      minReplicas: agent.scaling.minReplicas,
      maxReplicas: agent.scaling.maxReplicas,
      targetInflight: agent.scaling.targetInflight,
      targetActiveInstances: agent.scaling.targetActiveInstances,
      scaleToZeroAfter: formatDuration(agent.scaling.scaleToZeroAfterMs),
    },
  };
  if (agent.exportName) spec.export = agent.exportName;
  const { group, keyDelimiter } = agent.placement;
  if (group !== undefined || keyDelimiter !== undefined) spec.placement = { ...(group === undefined ? {} : { group }), ...(keyDelimiter === undefined ? {} : { keyDelimiter }) };
  if (agent.subscriptions.length > 0) spec.subscriptions = agent.subscriptions;
  if (agent.env.length > 0) spec.env = agent.env;
  return [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(sourceName(agent.name)), data: { [file]: code } },
    { apiVersion: 'colony.dev/v1alpha1', kind: 'Agent', metadata: metadata(agent.name), spec },
  ];
}

export async function manifestCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { namespace: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    process.stdout.write(`${MANIFEST_USAGE}\n`);
    return;
  }
  const agents = await loadManifests(positionals.length > 0 ? positionals : ['.']);
  if (agents.length === 0) throw new UsageError('no Agent manifests found (kind: Agent with code on this machine)', MANIFEST_USAGE);
  const documents: string[] = [];
  for (const agent of agents) {
    const code = await readFile(agent.module, 'utf8');
    // `import type` is erased when the code runs: only value imports need the file next to it.
    if (/^\s*import\s(?!type\s)[^;]*from\s+['"]\.\.?\//m.test(code)) {
      process.stderr.write(`colony manifest: warning: ${agent.module} imports files next to it; a ConfigMap carries only this one file: build an image instead (spec.image)\n`);
    }
    const namespace = values.namespace ?? (agent.namespace === 'default' ? undefined : agent.namespace);
    for (const object of kubernetesObjects(agent, code, namespace)) documents.push(stringify(object, { lineWidth: 0 }));
  }
  process.stdout.write(documents.map((doc) => `---\n${doc}`).join(''));
}
