import { parseArgs } from 'node:util';
import type { AgentStatusRecord } from '../../agent-runtime/protocol/registry.ts';
import { UsageError } from '../usage-error.ts';
import { gatewayJson, gatewayOptions } from './gateway-client.ts';
import { getInstances, instancesQuery } from './get-instances.ts';
import { table } from './text-table.ts';

export const GET_USAGE = `colony get agents|pods [agent] [options]
colony get instances <agent> [--stored] [--limit n] [--cursor c] [options]

Shows what runs, from the gateway's view of the controller's status (updated
every second), and the instances of an Agent.

  colony get agents        replicas wanted and ready, partitions, instances, why
  colony get pods          every pod with its partitions and load
  colony get pods counter  the pods of one Agent
  colony get instances counter           its instances in memory, with their pods (by key)
  colony get instances counter --stored  its instances with a stored record (by key)

Options:
  --url <url>   gateway URL (default $COLONY_URL or http://127.0.0.1:8080)
  --token <t>   API token, for a gateway that requires one (default $COLONY_TOKEN)
  --json        print the status records (instances: the page) as JSON
  --history     with agents: the recent scaling decisions too
  --stored      instances: those with a stored record rather than those in memory
  --limit <n>   instances: at most this many (1 to 1000, default 100)
  --cursor <c>  instances: the page after the one that printed this cursor`;

function age(since: number | undefined, now: number): string {
  if (since === undefined) return '-';
  const seconds = Math.max(0, Math.round((now - since) / 1000));
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  return `${Math.round(seconds / 3600)}h`;
}

function time(at: number): string {
  return new Date(at).toISOString().slice(11, 19);
}

export async function getCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...gatewayOptions(process.env),
      json: { type: 'boolean', default: false },
      history: { type: 'boolean', default: false },
      stored: { type: 'boolean', default: false },
      limit: { type: 'string' },
      cursor: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${GET_USAGE}\n`);
    return;
  }
  const [what, only, ...rest] = positionals;
  if (what === 'instances' && rest.length === 0) {
    await getInstances(instancesQuery(only, values, GET_USAGE), values);
    return;
  }
  if ((what !== 'agents' && what !== 'pods') || rest.length > 0) throw new UsageError('expected: colony get agents|pods [agent], or colony get instances <agent>', GET_USAGE);
  for (const option of ['stored', 'limit', 'cursor'] as const) {
    if (values[option] !== undefined && values[option] !== false) throw new UsageError(`--${option} is for colony get instances`, GET_USAGE);
  }
  const { agents } = (await gatewayJson(values.url, '/v1/agents', values.token)) as { agents: { name: string }[] };
  const names = agents.map((a) => a.name).filter((name) => only === undefined || name === only);
  if (only !== undefined && names.length === 0) throw new Error(`there is no agent named "${only}"; the agents are: ${agents.map((a) => a.name).join(', ')}`);
  const statuses = await Promise.all(
    names.map(async (name) => (await gatewayJson(values.url, `/v1/agents/${encodeURIComponent(name)}/status`, values.token)) as AgentStatusRecord),
  );
  if (values.json) {
    process.stdout.write(`${JSON.stringify(statuses, null, 2)}\n`);
    return;
  }
  const now = Date.now();
  if (what === 'agents') {
    // A GROUP column once any Agent shares pods with others (a placement group): its numbers are the group's.
    const grouped = statuses.some((s) => s.group);
    const rows = [['NAME', ...(grouped ? ['GROUP'] : []), 'WANTED', 'READY', 'PARTITIONS', 'INSTANCES', 'WHY']];
    for (const s of statuses) {
      rows.push([s.name, ...(grouped ? [s.group ?? '-'] : []), String(s.desiredReplicas), String(s.readyReplicas), `${s.partitionsServed}/${s.partitions}`, String(s.activeInstances), s.reason]);
    }
    process.stdout.write(`${table(rows)}\n`);
    for (const s of statuses) if (s.warning) process.stdout.write(`\n${s.name}: ${s.warning}\n`);
    if (values.history) {
      for (const s of statuses) {
        process.stdout.write(`\n${s.name}: recent scaling decisions\n`);
        for (const d of s.decisions) process.stdout.write(`  ${time(d.at)}  ${d.from} → ${d.to}  ${d.reason}\n`);
        if (s.decisions.length === 0) process.stdout.write('  (none)\n');
      }
    }
    return;
  }
  const rows = [['POD', 'AGENT', 'STATE', 'PARTITIONS', 'INFLIGHT', 'QUEUED', 'INSTANCES', 'CPU', 'HEAP', 'RESTARTS', 'AGE']];
  // A placement group's pods host all of its Agents: each is listed once, under the group's name.
  const listed = new Set<string>();
  for (const s of statuses) {
    for (const pod of s.pods) {
      if (listed.has(pod.podId)) continue;
      listed.add(pod.podId);
      const load = pod.load;
      rows.push([
        pod.podId,
        s.group ?? s.name,
        pod.leaving ? `${pod.state} (leaving)` : pod.state,
        String(pod.served),
        String(load?.inflight ?? '-'),
        String(load?.queued ?? '-'),
        String(load?.activeInstances ?? '-'),
        load ? `${Math.round(load.cpu * 100)}%` : '-',
        load ? `${Math.round(load.heapUsedBytes / 1048576)}Mi` : '-',
        String(pod.restarts),
        age(pod.startedAt, now),
      ]);
    }
  }
  process.stdout.write(`${table(rows)}\n`);
  if (rows.length === 1) process.stdout.write('(no pods)\n');
  for (const s of statuses) {
    for (const pod of s.pods) {
      if (pod.note && listed.delete(pod.podId)) process.stdout.write(`\n${pod.podId} is ${pod.state}: ${pod.note}\n`);
    }
    const exits = s.exits ?? [];
    const owner = s.group ?? s.name;
    if (exits.length === 0 || listed.has(`exits:${owner}`)) continue;
    listed.add(`exits:${owner}`);
    process.stdout.write(`\n${owner}: pods that ended unexpectedly, newest first\n`);
    for (const exit of exits) process.stdout.write(`  ${time(exit.at)}  ${exit.podId}  ${exit.reason}\n`);
  }
}
