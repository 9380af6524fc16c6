import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_NAMESPACE, isDnsLabel } from '../../agent-runtime/protocol/limits.ts';
import { describeSchemaError } from '../../agent-runtime/protocol/schema.ts';
import type { Durability } from '../../agent-runtime/protocol/pod-env.ts';
import { AGENT_SPEC_SCHEMA } from './agent-schema.ts';
import type { AgentSpec, ScalingMode } from './agent-spec.ts';
import { parseDuration } from './duration.ts';

export const AGENT_API_VERSION = 'colony.dev/v1alpha1';
export const AGENT_KIND = 'Agent';

/** A manifest that cannot be used; the message names the file and the field. */
export class ManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ManifestError';
  }
}

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
const validateSpec = ajv.compile(AGENT_SPEC_SCHEMA);

interface RawAgent {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown };
  spec?: unknown;
}

/**
 * Validates one Agent object (as parsed from YAML or read from Kubernetes)
 * and resolves its defaults. `baseDir` resolves a relative `spec.module`.
 */
export function resolveAgent(raw: RawAgent, origin: string, baseDir: string | undefined): AgentSpec {
  if (raw.apiVersion !== AGENT_API_VERSION) {
    throw new ManifestError(`${origin}: apiVersion must be ${AGENT_API_VERSION}, got ${JSON.stringify(raw.apiVersion ?? null)}`);
  }
  const name = raw.metadata?.name;
  if (typeof name !== 'string' || !isDnsLabel(name)) {
    throw new ManifestError(`${origin}: metadata.name must be a DNS-1123 label (lowercase letters, digits and "-", at most 63), got ${JSON.stringify(name ?? null)}`);
  }
  const namespace = raw.metadata?.namespace ?? DEFAULT_NAMESPACE;
  if (typeof namespace !== 'string' || !isDnsLabel(namespace)) {
    throw new ManifestError(`${origin}: metadata.namespace must be a DNS-1123 label, got ${JSON.stringify(namespace)}`);
  }
  const spec = structuredClone(raw.spec ?? {}) as Record<string, unknown>;
  if (!validateSpec(spec)) {
    const problems = (validateSpec.errors ?? []).map((e) => describeSchemaError(e, 'spec'));
    throw new ManifestError(`${origin}: agent ${name} is invalid: ${problems.join('; ')}`);
  }
  const scaling = spec.scaling as Record<string, unknown>;
  const minReplicas = scaling.minReplicas as number;
  const maxReplicas = scaling.maxReplicas as number;
  if (maxReplicas < minReplicas) {
    throw new ManifestError(`${origin}: agent ${name}: spec.scaling.maxReplicas (${maxReplicas}) is below minReplicas (${minReplicas})`);
  }
  const source = spec.source as { configMapRef?: { name: string; key?: string } } | undefined;
  const module = spec.module as string;
  return {
    namespace,
    name,
    origin,
    module: baseDir && !spec.image && !source ? resolve(baseDir, module) : module,
    exportName: spec.export as string | undefined,
    image: spec.image as string | undefined,
    source: source?.configMapRef ? { configMapRef: { name: source.configMapRef.name, key: source.configMapRef.key } } : undefined,
    partitions: spec.partitions as number,
    durability: spec.durability as Durability,
    idleTimeoutMs: parseDuration(spec.idleTimeout as string) as number,
    drainTimeoutMs: parseDuration(spec.drainTimeout as string) as number,
    retentionMs: parseDuration(spec.retention as string) as number,
    scaling: {
      mode: scaling.mode as ScalingMode,
      replicas: scaling.replicas as number | undefined,
      minReplicas,
      maxReplicas,
      targetInflight: scaling.targetInflight as number,
      targetActiveInstances: scaling.targetActiveInstances as number,
      scaleToZeroAfterMs: parseDuration(scaling.scaleToZeroAfter as string) as number,
    },
    placement: {
      group: (spec.placement as { group?: string } | undefined)?.group,
      keyDelimiter: (spec.placement as { keyDelimiter?: string } | undefined)?.keyDelimiter,
    },
    subscriptions: ((spec.subscriptions as { topic: string; method: string; key: string; maxAttempts?: number }[] | undefined) ?? []).map((sub) => ({
      topic: sub.topic,
      method: sub.method,
      key: sub.key,
      maxAttempts: sub.maxAttempts ?? 5,
    })),
    env: ((spec.env as { name: string; value?: string }[] | undefined) ?? []).map((e) => ({ name: e.name, value: e.value ?? '' })),
    kubernetes: {
      resources: spec.resources as Record<string, unknown> | undefined,
      nodeSelector: spec.nodeSelector as Record<string, string> | undefined,
      tolerations: spec.tolerations as Record<string, unknown>[] | undefined,
      affinity: spec.affinity as Record<string, unknown> | undefined,
      serviceAccountName: spec.serviceAccountName as string | undefined,
      ...checkedVolumes(spec, `${origin}: agent ${name}`),
    },
  };
}

/** Colony's own volumes of a runtime pod: a user's volume may not take their names. */
const RESERVED_VOLUME = /^(tmp|agent-source|.*-source)$/;
/** Where Colony mounts in a runtime container: the code under /app, scratch space in /tmp. */
const RESERVED_MOUNT = /^\/(app|tmp)(\/|$)/;

/** spec.volumes and spec.volumeMounts, checked: unique names, none of Colony's, each mount naming a volume, no mount over /app or /tmp. */
function checkedVolumes(spec: Record<string, unknown>, where: string): Pick<AgentSpec['kubernetes'], 'volumes' | 'volumeMounts'> {
  const volumes = (spec.volumes as Record<string, unknown>[] | undefined) ?? [];
  const volumeMounts = (spec.volumeMounts as AgentSpec['kubernetes']['volumeMounts'] | undefined) ?? [];
  const names = new Set<string>();
  for (const volume of volumes) {
    const volumeName = volume.name as string;
    if (RESERVED_VOLUME.test(volumeName)) throw new ManifestError(`${where}: spec.volumes: the name "${volumeName}" is Colony's own (tmp, agent-source, *-source); choose another`);
    if (names.has(volumeName)) throw new ManifestError(`${where}: spec.volumes: "${volumeName}" is declared twice`);
    names.add(volumeName);
  }
  for (const mount of volumeMounts) {
    if (!names.has(mount.name)) throw new ManifestError(`${where}: spec.volumeMounts: "${mount.name}" is not in spec.volumes${names.size ? ` (${[...names].join(', ')})` : ''}`);
    if (RESERVED_MOUNT.test(mount.mountPath)) throw new ManifestError(`${where}: spec.volumeMounts: ${mount.mountPath} is where Colony mounts the agent's code (/app) or scratch space (/tmp); mount elsewhere, e.g. /data`);
  }
  return { volumes, volumeMounts };
}

/** Parses every Agent in one YAML file (other kinds are skipped). */
export function parseManifest(text: string, file: string): AgentSpec[] {
  const agents: AgentSpec[] = [];
  const documents = parseAllDocuments(text);
  for (const [index, document] of documents.entries()) {
    const where = documents.length > 1 ? `${file} (document ${index + 1})` : file;
    if (document.errors.length > 0) {
      const first = document.errors[0];
      throw new ManifestError(`${where}: not valid YAML: ${first?.message ?? 'parse error'}`);
    }
    const raw = document.toJS() as RawAgent | null;
    if (raw === null || typeof raw !== 'object' || raw.kind !== AGENT_KIND) continue;
    agents.push(resolveAgent(raw, where, dirname(file)));
  }
  return agents;
}

const SKIP_DIRS = new Set(['node_modules', '.git', '.colony']);

async function yamlFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.')) found.push(...(await yamlFiles(path)));
    } else if (/\.ya?ml$/.test(entry.name)) {
      found.push(path);
    }
  }
  return found.sort();
}

/** Why `colony dev` cannot run an Agent (its code lives in a ConfigMap or an image), or undefined. */
export function kubernetesOnly(agent: AgentSpec): string | undefined {
  if (agent.source) return `its code is in ConfigMap ${agent.source.configMapRef.name} (spec.source)`;
  if (agent.image) return `its code is in image ${agent.image} (spec.image)`;
  return undefined;
}

/**
 * Every Agent manifest under the folders that can run on this machine; names
 * must be unique per namespace. Agents whose code is only in a ConfigMap or an
 * image (Kubernetes manifests) are passed to `onSkip` instead.
 */
export async function loadManifests(dirs: string | string[], onSkip?: (agent: AgentSpec, why: string) => void): Promise<AgentSpec[]> {
  const agents: AgentSpec[] = [];
  const seen = new Map<string, string>();
  const files = (await Promise.all((Array.isArray(dirs) ? dirs : [dirs]).map((dir) => yamlFiles(resolve(dir))))).flat();
  for (const file of files) {
    const shown = relative(process.cwd(), file) || file;
    for (const agent of parseManifest(await readFile(file, 'utf8'), shown)) {
      const skip = kubernetesOnly(agent);
      if (skip) {
        onSkip?.(agent, skip);
        continue;
      }
      const id = `${agent.namespace}/${agent.name}`;
      const other = seen.get(id);
      if (other) throw new ManifestError(`${agent.origin}: agent ${id} is also defined in ${other}; names must be unique`);
      seen.set(id, agent.origin);
      agents.push(agent);
    }
  }
  return agents;
}
