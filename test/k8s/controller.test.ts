import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { PodHeartbeat } from '../../agent-runtime/protocol/placement.ts';
import { heartbeatSubject } from '../../agent-runtime/protocol/subjects.ts';
import { CHART, RELEASE, startKubePlatform, SYSTEM_NAMESPACE as SYSTEM, TEST_RUNTIME_IMAGE as RUNTIME_IMAGE } from '../helpers/kube-platform.ts';
import type { KubePlatform, RunningController } from '../helpers/kube-platform.ts';

const COUNTER = fileURLToPath(new URL('../../examples/k8s/counter.yaml', import.meta.url));
const GPU = fileURLToPath(new URL('../../examples/k8s/gpu-agent.yaml', import.meta.url));
const ACCOUNT = fileURLToPath(new URL('../../examples/account', import.meta.url));
const COLONY_BIN = fileURLToPath(new URL('../../cli/colony.js', import.meta.url));

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The controller against a real kube-apiserver (built from source, or the
 * cluster in KUBECONFIG), running with exactly the RBAC the chart grants.
 * Without a kubelet no pod runs here: where a test needs the pods' load
 * reports, it publishes them on NATS for the pods Kubernetes created (pods.test.ts
 * runs real runtime processes for them instead).
 */
describe('the controller on Kubernetes', () => {
  let platform: KubePlatform;
  const kubectl = (...args: string[]): Promise<string> => platform.kubectl(...args);
  const json = <T>(...args: string[]): Promise<T> => platform.json<T>(...args);
  const leaseHolder = (): Promise<string | undefined> => platform.leaseHolder();
  const deploymentReplicas = (name: string, namespace?: string): Promise<number | undefined> => platform.deploymentReplicas(name, namespace);
  const leaderLog = (): string => platform.controllerLog();

  beforeAll(async () => {
    platform = await startKubePlatform((line) => process.stderr.write(`[kube] ${line}\n`));
  }, 60 * 60_000);

  afterAll(async () => {
    await platform?.stop();
  });

  it('runs with no more rights than the chart grants', async () => {
    const can = async (verb: string, resource: string, namespace = 'default', subresource?: string): Promise<string> =>
      (
        await platform.cluster.kubectl(['auth', 'can-i', verb, resource, '-n', namespace, ...(subresource ? [`--subresource=${subresource}`] : [])], {
          kubeconfig: platform.controllerKubeconfig,
        })
      ).stdout.trim();
    const rights = {
      'watch agents': await can('watch', 'agents.colony.dev'),
      'patch agents/status': await can('patch', 'agents.colony.dev', 'default', 'status'),
      'create deployments': await can('create', 'deployments.apps'),
      'patch pods': await can('patch', 'pods'),
      'create events': await can('create', 'events'),
      'update agents': await can('update', 'agents.colony.dev'),
      'get secrets': await can('get', 'secrets'),
      'list secrets': await can('list', 'secrets'),
      'create secrets': await can('create', 'secrets'),
      'create pods': await can('create', 'pods'),
      'update leases (default)': await can('update', 'leases.coordination.k8s.io'),
      'update leases (system)': await can('update', 'leases.coordination.k8s.io', SYSTEM),
      'create events (system)': await can('create', 'events', SYSTEM),
      'get secrets (system)': await can('get', 'secrets', SYSTEM),
    };
    expect(rights).toEqual({
      'watch agents': 'yes',
      'patch agents/status': 'yes',
      'create deployments': 'yes',
      'patch pods': 'yes',
      'create events': 'yes',
      'update agents': 'no',
      'get secrets': 'no',
      'list secrets': 'no',
      'create secrets': 'yes',
      'create pods': 'no',
      'update leases (default)': 'no',
      'update leases (system)': 'yes',
      'create events (system)': 'yes',
      'get secrets (system)': 'no',
    });
  });

  it('turns examples/k8s/counter.yaml into a Deployment and a ConfigMap owned by the Agent', async () => {
    await kubectl('apply', '-f', COUNTER);
    await expect.poll(() => deploymentReplicas('counter-agent'), { timeout: 30_000, interval: 500 }).toBe(1);
    const agent = await json<{ metadata: { uid: string } }>('get', 'agent', 'counter');
    const deployment = await json<{
      metadata: { ownerReferences: { uid: string; kind: string; controller: boolean }[] };
      spec: { template: { spec: { containers: { image: string; envFrom: unknown[]; env: { name: string; value?: string }[] }[]; volumes: { name: string; configMap?: { name: string } }[] } } };
    }>('get', 'deployment', 'counter-agent');
    expect(deployment.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Agent', uid: agent.metadata.uid, controller: true })]);
    const container = deployment.spec.template.spec.containers[0];
    expect(container?.image).toBe(RUNTIME_IMAGE);
    // The NATS token reaches the pods through a Secret of the Agent: never in the Deployment itself.
    expect(container?.envFrom).toEqual([{ configMapRef: { name: 'counter-agent-settings' } }, { secretRef: { name: 'counter-agent-nats' } }]);
    expect(JSON.stringify(deployment)).not.toContain(platform.nats.token as string);
    const secret = await json<{ data: Record<string, string>; metadata: { ownerReferences: { uid: string }[] } }>('get', 'secret', 'counter-agent-nats');
    expect(Buffer.from(secret.data.COLONY_NATS_TOKEN as string, 'base64').toString()).toBe(platform.nats.token);
    expect(secret.metadata.ownerReferences[0]?.uid).toBe(agent.metadata.uid);
    expect(container?.env).toContainEqual({ name: 'COLONY_NATS_URL', value: platform.nats.url });
    expect(deployment.spec.template.spec.volumes).toContainEqual(expect.objectContaining({ name: 'agent-source', configMap: expect.objectContaining({ name: 'counter-source' }) }));
    const settings = await json<{ data: Record<string, string>; metadata: { ownerReferences: { uid: string }[] } }>('get', 'configmap', 'counter-agent-settings');
    expect(settings.data).toMatchObject({ COLONY_AGENT: 'counter', COLONY_AGENT_MODULE: '/app/agents/counter/counter.ts', COLONY_PARTITIONS: '64' });
    expect(settings.metadata.ownerReferences[0]?.uid).toBe(agent.metadata.uid);
  });

  it('places an Agent on GPU nodes: resources, node selector and tolerations reach its pods', async () => {
    await kubectl('apply', '-f', GPU);
    // The file holds the ConfigMap with the code, then the Agent.
    const manifest = parseAllDocuments(await readFile(GPU, 'utf8'))
      .map((document) => document.toJS() as { kind: string; metadata: { name: string; namespace?: string } })
      .find((object) => object.kind === 'Agent')!;
    const { name } = manifest.metadata;
    const namespace = manifest.metadata.namespace ?? 'default';
    await expect
      .poll(() => deploymentReplicas(`${name}-agent`, namespace), { timeout: 30_000, interval: 500, message: `no Deployment for ${namespace}/${name}; controller log:\n${leaderLog()}` })
      .toBeGreaterThanOrEqual(0);
    const pod = (await json<{ spec: { template: { spec: { nodeSelector: object; tolerations: object[]; containers: { resources: { limits: Record<string, unknown> } }[] } } } }>(
      'get', 'deployment', `${name}-agent`, '-n', namespace,
    )).spec.template.spec;
    expect(pod.containers[0]?.resources.limits['nvidia.com/gpu']).toBeDefined();
    expect(Object.keys(pod.nodeSelector).length).toBeGreaterThan(0);
    expect(pod.tolerations.length).toBeGreaterThan(0);
    await kubectl('delete', '-f', GPU);
  });

  it('refuses invalid Agents, naming the field', async () => {
    const apply = (spec: string) =>
      platform.cluster.kubectl(['apply', '-f', '-'], { input: `apiVersion: colony.dev/v1alpha1\nkind: Agent\nmetadata:\n  name: broken\nspec:\n${spec}` });
    const cases: [string, RegExp][] = [
      ['  module: a.ts\n  partitions: 0\n', /spec\.partitions/],
      ['  module: a.ts\n  durability: sometimes\n', /spec\.durability.*Unsupported value/],
      ['  module: a.ts\n  idleTimeout: 5 minutes\n', /spec\.idleTimeout/],
      ['  partitions: 8\n', /spec\.module.*Required/],
      ['  module: a.ts\n  scaling:\n    minReplicas: 5\n    maxReplicas: 2\n', /maxReplicas must be at least minReplicas/],
    ];
    for (const [spec, message] of cases) {
      const result = await apply(spec);
      expect(result.code, spec).not.toBe(0);
      expect(result.stderr, spec).toMatch(message);
    }
  });

  it('follows kubectl scale, and shows replicas, status and conditions in kubectl get agents', async () => {
    await kubectl('scale', 'agent/counter', '--replicas=3');
    await expect.poll(() => deploymentReplicas('counter-agent'), { timeout: 30_000, interval: 500 }).toBe(3);
    await expect
      .poll(async () => (await json<{ status?: { replicas?: number } }>('get', 'agent', 'counter')).status?.replicas, { timeout: 30_000, interval: 500 })
      .toBe(3);
    const table = await kubectl('get', 'agents');
    expect(table).toMatch(/^NAME\s+MODE\s+REPLICAS\s+READY\s+PARTITIONS\s+INSTANCES\s+STATUS\s+AGE/m);
    expect(table).toMatch(/^counter\s+auto\s+3\s+0\s+0\/64\s+0\s+PodsStarting\s+/m);
    const agent = await json<{ metadata: { generation: number }; status: { observedGeneration: number; selector: string; conditions: { type: string; status: string; reason: string }[] } }>(
      'get', 'agent', 'counter',
    );
    expect(agent.status.observedGeneration).toBe(agent.metadata.generation);
    expect(agent.status.selector).toBe('colony.dev/agent=counter,app.kubernetes.io/component=runtime');
    expect(agent.status.conditions.map((c) => c.type).sort()).toEqual(['Degraded', 'Ready', 'Scaling']);
    expect(agent.status.conditions.find((c) => c.type === 'Scaling')).toMatchObject({ status: 'True', reason: 'ScalingUp' });
    const scale = await json<{ spec: { replicas: number }; status: { replicas: number; selector: string } }>('get', '--subresource=scale', 'agent', 'counter');
    expect(scale.status.replicas).toBe(3);
    const events = await kubectl('get', 'events', '--field-selector', 'involvedObject.name=counter,involvedObject.kind=Agent');
    expect(events).toMatch(/ScaledUp/);
  });

  it('changes the replicas on an autoscaler decision (load reports from the pods Kubernetes created)', async () => {
    const listPods = async (): Promise<string[]> =>
      (await kubectl('get', 'pods', '-l', 'colony.dev/agent=counter', '-o', 'jsonpath={.items[*].metadata.name}')).trim().split(/\s+/).filter(Boolean);
    // The ReplicaSet controller creates the pods shortly after the Deployment grew.
    await expect.poll(async () => (await listPods()).length, { timeout: 30_000, interval: 500 }).toBeGreaterThanOrEqual(3);
    const pods = await listPods();
    // Stand-ins for the runtime in those pods (no kubelet runs them): each reports 60 turns in flight.
    const report = (): void => {
      for (const podId of pods) {
        const heartbeat: PodHeartbeat = {
          namespace: 'default',
          agent: 'counter',
          podId,
          state: 'running',
          served: [],
          tableEpoch: 0,
          load: { inflight: 60, queued: 0, activeInstances: 10, turns: 500, turnLatencyP50Ms: 5, turnLatencyP99Ms: 20, cpu: 0.5, heapUsedBytes: 1e7, rssBytes: 5e7 },
          startedAt: Date.now() - 10_000,
          sentAt: Date.now(),
        };
        platform.nc.publish(heartbeatSubject('default', 'counter'), JSON.stringify(heartbeat));
      }
    };
    const timer = setInterval(report, 500);
    try {
      // 180 turns in flight over 3 pods at 100 per pod (the default target): 2 pods wanted → in panic never down; up to 4 when… the load says so.
      await kubectl('patch', 'agent', 'counter', '--type=merge', '-p', '{"spec":{"scaling":{"targetInflight":20,"maxReplicas":6}}}');
      await expect.poll(() => deploymentReplicas('counter-agent'), { timeout: 30_000, interval: 500 }).toBe(6);
      // The status is written on its own tick (every second), so it may follow the Deployment by a moment.
      await expect
        .poll(async () => (await json<{ status: { scalingReason: string } }>('get', 'agent', 'counter')).status.scalingReason, { timeout: 10_000, interval: 250 })
        .toMatch(/in flight|panic|hold/);
    } finally {
      clearInterval(timer);
    }
  });

  it('hands over to a standby controller when the leader dies, and never lets two act', async () => {
    const standby = await platform.startController('controller-b');
    await sleep(3_000);
    expect(await leaseHolder()).toBe('controller-a');
    expect(standby.output()).not.toContain('is now leading');
    await platform.controllers[0]?.stop('SIGKILL');
    await expect.poll(leaseHolder, { timeout: 40_000, interval: 1_000 }).toBe('controller-b');
    // Who led when is on the Lease, as Events.
    const leaderEvents = async (): Promise<string[]> => {
      const list = await json<{ items: { message: string }[] }>('get', 'events', '-n', SYSTEM, '--field-selector', 'involvedObject.kind=Lease,reason=LeaderElection');
      return list.items.map((event) => event.message);
    };
    await expect.poll(leaderEvents, { timeout: 10_000, interval: 500 }).toEqual(expect.arrayContaining(['controller-a became leader', 'controller-b became leader']));
    // The new leader converges on a change made while nobody led.
    await kubectl('patch', 'agent', 'counter', '--type=merge', '-p', '{"spec":{"scaling":{"mode":"manual","replicas":2}}}');
    await expect.poll(() => deploymentReplicas('counter-agent'), { timeout: 40_000, interval: 500 }).toBe(2);
  });

  it('converges after a controller restart in the middle of changes', async () => {
    const leader = platform.controllers.find((c) => c.process.exitCode === null && c.process.signalCode === null) as RunningController;
    await kubectl('patch', 'agent', 'counter', '--type=merge', '-p', '{"spec":{"scaling":{"replicas":4}}}');
    await leader.stop('SIGKILL');
    await kubectl('patch', 'agent', 'counter', '--type=merge', '-p', '{"spec":{"scaling":{"replicas":1}}}');
    await platform.startController('controller-c');
    await expect.poll(leaseHolder, { timeout: 40_000, interval: 1_000 }).toBe('controller-c');
    await expect.poll(() => deploymentReplicas('counter-agent'), { timeout: 40_000, interval: 500 }).toBe(1);
  });

  it('removes what an Agent owned when it is deleted', async () => {
    await kubectl('delete', 'agent', 'counter');
    await expect.poll(async () => (await platform.cluster.kubectl(['get', 'deployment', 'counter-agent'])).code, { timeout: 30_000, interval: 500 }).not.toBe(0);
    await expect.poll(async () => (await platform.cluster.kubectl(['get', 'configmap', 'counter-agent-settings'])).code, { timeout: 30_000, interval: 500 }).not.toBe(0);
    await expect.poll(async () => (await platform.cluster.kubectl(['get', 'secret', 'counter-agent-nats'])).code, { timeout: 30_000, interval: 500 }).not.toBe(0);
  });

  it('accepts what colony manifest prints for a local agent folder, on a server-side dry run', async () => {
    const manifests = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [COLONY_BIN, 'manifest', ACCOUNT], (error, stdout) => (error ? reject(error) : resolve(stdout)));
    });
    expect(manifests).toContain('name: account-source');
    const result = await platform.cluster.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: manifests });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/agent.colony.dev\/account created \(server dry run\)/);
  });

  it('lints clean with helm, with default and with cluster values, and with the metrics extras', async () => {
    for (const values of [[], ['-f', `${CHART}/values-cluster.yaml`], ['--set', 'metrics.podMonitor.enabled=true,metrics.grafanaDashboard.enabled=true']]) {
      const output = await platform.helm(['lint', '--strict', CHART, ...values]);
      expect(output).toContain('1 chart(s) linted, 0 chart(s) failed');
    }
  });

  it('renders PodMonitors for the chart and the runtime pods, scrape annotations, and a Grafana dashboard of metrics Colony serves', async () => {
    const rendered = await platform.helm([
      'template', RELEASE, CHART, '--namespace', SYSTEM,
      '--set', 'metrics.podMonitor.enabled=true,metrics.grafanaDashboard.enabled=true,metrics.podMonitor.labels.release=prom',
      '--set', 'controller.watchNamespaces={team-a},gateway.agentNamespace=team-a',
    ]);
    const objects = parseAllDocuments(rendered).map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: Record<string, unknown>; data?: Record<string, string> }).filter(Boolean);
    const monitors = objects.filter((o) => o.kind === 'PodMonitor');
    expect(monitors.map((m) => [m.metadata.namespace, m.spec?.podMetricsEndpoints])).toEqual([
      [SYSTEM, [{ port: 'http', path: '/metrics', interval: '30s' }]],
      ['team-a', [{ port: 'health', path: '/metrics', interval: '30s' }]],
    ]);
    expect(monitors.every((m) => m.metadata.labels?.release === 'prom')).toBe(true);
    for (const kind of ['controller', 'gateway']) {
      const deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === `${RELEASE}-${kind}`) as unknown as { spec: { template: { metadata: { annotations?: Record<string, string> } } } };
      expect(deployment.spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/metrics' });
    }
    const dashboard = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === `${RELEASE}-colony-dashboard`);
    expect(dashboard?.metadata.labels?.grafana_dashboard).toBe('1');
    const json = JSON.parse(dashboard?.data?.['colony.json'] ?? '') as { panels: { title: string; targets: { expr: string }[] }[] };
    // Every metric a panel asks for is one Colony serves: its name is in the sources that make them.
    const sources = (
      await Promise.all(['agent-runtime/observability/pod-metrics.ts', 'controller/metrics.ts', 'gateway/metrics.ts', 'gateway/routes/health.ts', 'gateway/gateway.ts'].map((f) => readFile(fileURLToPath(new URL(`../../${f}`, import.meta.url)), 'utf8')))
    ).join('\n');
    const wanted = new Set(json.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/colony_[a-z_]+/g) ?? [])));
    expect(wanted.size).toBeGreaterThan(10);
    for (const name of wanted) expect(sources, `${name} (a panel of the dashboard)`).toContain(name.replace(/_(bucket|sum|count)$/, ''));
  });

  it('accepts the chart on a server-side dry run: default and cluster values, API tokens, an external NATS', async () => {
    const variants = [
      [],
      ['-f', `${CHART}/values-cluster.yaml`],
      // API tokens for the gateway; NATS without a token; an external NATS with one.
      ['--set', 'gateway.auth.existingSecret=colony-api-tokens', '--set', 'nats.auth.enabled=false'],
      ['--set', 'nats.enabled=false', '--set', 'nats.externalUrl=nats://nats.example:4222', '--set', 'nats.auth.existingSecret=external-nats'],
    ];
    for (const values of variants) {
      const manifests = await platform.helm(['template', RELEASE, CHART, '--namespace', SYSTEM, ...values]);
      // The rendered objects carry their namespaces (the release's, and the Agents' for their NetworkPolicy).
      const result = await platform.cluster.kubectl(['apply', '--dry-run=server', '-f', '-'], { input: manifests });
      expect(result.stderr.slice(0, 2000), values.join(' ') || 'default values').toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(values.includes('nats.enabled=false') ? /deployment.apps\/\S+ created \(server dry run\)/ : /statefulset.apps\/\S+ created \(server dry run\)/);
    }
  });
});
