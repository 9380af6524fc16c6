import { relative } from 'node:path';
import type { Platform } from './platform.ts';

interface AgentsResponse {
  agents: {
    name: string;
    kind?: 'agent' | 'workflow';
    methods?: Record<string, { input?: { required?: unknown[] } | boolean }>;
    activities?: string[];
    subscriptions?: { topic: string; method: string }[];
  }[];
}

/** Prints what runs and how to reach it, once the platform is ready. */
export async function printSummary(
  platform: Platform,
  info: { dataDir: string; natsStarted: boolean; startedMs: number },
): Promise<void> {
  let apis = new Map<string, string>();
  let example: string | undefined;
  try {
    const response = await fetch(`${platform.gatewayUrl}/v1/agents`);
    const body = (await response.json()) as AgentsResponse;
    apis = new Map(body.agents.map((a) => [a.name, apiOf(a)]));
    // Suggest a call that needs no input, so the printed curl works as it is.
    for (const agent of body.agents) {
      const free = Object.entries(agent.methods ?? {}).find(([, m]) => typeof m.input !== 'object' || !m.input.required?.length);
      if (free) {
        example = `${agent.name}/alice/${free[0]}`;
        break;
      }
    }
  } catch {
    // The summary still shows pods without the method lists.
  }
  const status = platform.controller.status();
  const width = Math.max(...status.map((s) => s.name.length));
  const shown = relative(process.cwd(), info.dataDir);
  const dataDir = shown === '' ? '.' : shown.startsWith('..') ? info.dataDir : shown;
  const lines = [
    '',
    `Colony is ready (${(info.startedMs / 1000).toFixed(1)} s)`,
    `  gateway  ${platform.gatewayUrl}`,
    `  nats     ${platform.natsUrl}${info.natsStarted ? ` (JetStream data in ${dataDir}/nats)` : ''}`,
    '  agents',
    ...status.map((s) => {
      const pods = `${s.readyReplicas}/${s.desiredReplicas} pod${s.desiredReplicas === 1 ? '' : 's'}`;
      const api = apis.get(s.name);
      const group = s.group ? `group ${s.group}, ` : '';
      return `    ${s.name.padEnd(width)}  ${pods}  ${group}${s.partitions} partitions  ${api ? `${api}  ` : ''}(${s.origin})`;
    }),
  ];
  if (example) lines.push(`  try      curl -X POST ${platform.gatewayUrl}/v1/agents/${example}`);
  lines.push('Press Ctrl-C to stop.', '');
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** "methods: get, increment", "workflow (activities: add)", "…; events: orders → onOrder" — what a caller can do with the Agent. */
function apiOf(agent: AgentsResponse['agents'][number]): string {
  const activities = agent.activities?.length ? `activities: ${[...agent.activities].sort().join(', ')}` : '';
  if (agent.kind === 'workflow') return `workflow${activities ? ` (${activities})` : ''}`;
  const methods = Object.keys(agent.methods ?? {}).sort();
  const events = agent.subscriptions?.length ? `events: ${agent.subscriptions.map((s) => `${s.topic} → ${s.method}`).join(', ')}` : '';
  return [methods.length ? `methods: ${methods.join(', ')}` : '', activities, events].filter(Boolean).join('; ');
}
