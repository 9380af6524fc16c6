// Agents, their pods and their scaling: what GET /v1/agents and GET /v1/agents/{agent}/status
// answer (the controller publishes each Agent's status every second).
import { badge, h, meter, table } from './dom.js';
import { bytes, clock, count, duration, plural, relative } from './format.js';

/** How many scaling decisions the dashboard lists, newest first. */
const DECISIONS_SHOWN = 12;

const POD_TONES = { running: 'ok', starting: 'warn', pending: 'warn', draining: 'warn', unresponsive: 'bad', stopped: 'bad' };

/**
 * @typedef {{ agent: any, status: any }} AgentRow an Agent (GET /v1/agents) and its status (or
 * `{ error }` when it could not be read)
 */

/** The load of a status's pods, summed. @param {any} status */
function loadOf(status) {
  const load = { inflight: 0, queued: 0, turns: 0, p99: 0, cpu: 0, reported: false };
  for (const pod of status?.pods ?? []) {
    if (!pod.load) continue;
    load.reported = true;
    load.inflight += pod.load.inflight;
    load.queued += pod.load.queued;
    load.turns += pod.load.turns;
    load.cpu += pod.load.cpu;
    load.p99 = Math.max(load.p99, pod.load.turnLatencyP99Ms);
  }
  return load;
}

/** The pods of every Agent, once each (the members of a placement group share theirs). @param {AgentRow[]} rows */
function podsOf(rows) {
  /** @type {Map<string, { pod: any, agents: string[] }>} */
  const pods = new Map();
  for (const { agent, status } of rows) {
    for (const pod of status?.pods ?? []) {
      const seen = pods.get(pod.podId);
      if (seen) seen.agents.push(agent.name);
      else pods.set(pod.podId, { pod, agents: [agent.name] });
    }
  }
  return [...pods.values()];
}

/** The tiles at the top: Agents, pods, partitions, instances, turns. @param {AgentRow[]} rows */
export function summary(rows) {
  const pods = podsOf(rows);
  const units = new Map();
  for (const { agent, status } of rows) if (status && !status.error) units.set(status.group ?? agent.name, status);
  let partitions = 0;
  let served = 0;
  let instances = 0;
  let turns = 0;
  for (const status of units.values()) {
    partitions += status.partitions;
    served += status.partitionsServed;
    instances += status.activeInstances;
    turns += loadOf(status).turns;
  }
  const running = pods.filter(({ pod }) => pod.state === 'running').length;
  const tile = (label, value, note) => h('div', { class: 'tile' }, h('span', { class: 'label' }, label), h('span', { class: 'value' }, value), note ? h('span', { class: 'note' }, note) : null);
  return [
    tile('Agents', count(rows.length), plural(rows.filter((row) => row.agent.kind === 'workflow').length, 'workflow')),
    tile('Pods', `${running} / ${pods.length}`, 'running'),
    tile('Partitions', `${count(served)} / ${count(partitions)}`, 'served'),
    tile('Instances', count(instances), 'in memory'),
    tile('Turns', `${count(turns)}/s`, 'last second'),
  ];
}

/** @param {any} agent */
function nameCell(agent) {
  return [
    h('span', { class: 'name' }, agent.name),
    agent.kind === 'workflow' ? badge('workflow', 'accent') : null,
    agent.group ? badge(`group ${agent.group}`, 'plain') : null,
  ];
}

/** The Agents table. @param {AgentRow[]} rows @param {number} now */
export function agentsTable(rows, now) {
  return table(
    [['Agent'], ['Pods'], ['Partitions'], ['Instances', 'num'], ['In flight', 'num'], ['Queued', 'num'], ['Turns/s', 'num'], ['p99', 'num'], ['Scaling']],
    rows.map(({ agent, status }) => {
      const attributes = { dataset: { agent: agent.name } };
      if (!status || status.error) return { attributes, cells: [nameCell(agent), h('span', { class: 'problem' }, status?.error ?? 'no status yet'), '', '', '', '', '', '', ''] };
      const load = loadOf(status);
      const stale = status.updatedAt > 0 && now - status.updatedAt > 10_000;
      return {
        attributes,
        cells: [
          nameCell(agent),
          h('span', { class: 'pods' }, `${status.readyReplicas} / ${status.desiredReplicas}`, status.pods.map((pod) => h('span', { class: `dot ${POD_TONES[pod.state] ?? 'plain'}`, title: `${pod.podId}: ${pod.state}` }))),
          meter(status.partitionsServed, status.partitions, `${status.partitionsServed} / ${status.partitions}`),
          count(status.activeInstances),
          load.reported ? count(load.inflight) : '–',
          load.reported ? count(load.queued) : '–',
          load.reported ? count(load.turns) : '–',
          load.reported && load.turns > 0 ? `${Math.round(load.p99)} ms` : '–',
          h('span', { class: 'reason' }, status.reason, stale ? badge(`status ${relative(status.updatedAt, now)}`, 'warn') : null, status.warning ? badge(status.warning, 'warn') : null),
        ],
      };
    }),
    'No Agents are deployed in this namespace.',
  );
}

/** The pods table. @param {AgentRow[]} rows @param {number} now */
export function podsTable(rows, now) {
  return table(
    [['Pod'], ['Agents'], ['State'], ['Partitions', 'num'], ['Instances', 'num'], ['In flight', 'num'], ['CPU', 'num'], ['Memory', 'num'], ['Up', 'num']],
    podsOf(rows).map(({ pod, agents }) => ({
      attributes: { dataset: { pod: pod.podId } },
      cells: [
        h('code', null, pod.podId),
        agents.join(', '),
        [badge(pod.state, POD_TONES[pod.state] ?? 'plain'), pod.leaving ? badge('leaving', 'warn') : null, pod.note || pod.unschedulable ? h('span', { class: 'note' }, pod.unschedulable ?? pod.note) : null],
        count(pod.served),
        pod.load ? count(pod.load.activeInstances) : '–',
        pod.load ? count(pod.load.inflight) : '–',
        pod.load ? `${Math.round(pod.load.cpu * 100)} %` : '–',
        pod.load ? bytes(pod.load.rssBytes) : '–',
        pod.startedAt ? duration(Math.max(0, now - pod.startedAt)) : '–',
      ],
    })),
    'No pods: every Agent is at zero.',
  );
}

/** The latest scaling decisions of every Agent, newest first (a placement group's once). @param {AgentRow[]} rows @param {number} now */
export function decisionsTable(rows, now) {
  /** @type {Map<string, { decision: any, agents: string[] }>} */
  const decisions = new Map();
  for (const { agent, status } of rows) {
    for (const decision of status?.decisions ?? []) {
      const id = `${status.group ?? agent.name} ${decision.at} ${decision.from} ${decision.to}`;
      const seen = decisions.get(id);
      if (seen) seen.agents.push(agent.name);
      else decisions.set(id, { decision, agents: [agent.name] });
    }
  }
  const newest = [...decisions.values()].sort((a, b) => b.decision.at - a.decision.at).slice(0, DECISIONS_SHOWN);
  return table(
    [['When'], ['Agent'], ['Pods', 'num'], ['Why']],
    newest.map(({ decision, agents }) => ({
      attributes: { dataset: { agent: agents[0] } },
      cells: [
        h('span', { title: clock(decision.at) }, relative(decision.at, now)),
        agents.join(', '),
        h('span', { class: decision.to > decision.from ? 'up' : 'down' }, `${decision.from} → ${decision.to}`),
        h('span', { class: 'reason' }, decision.reason),
      ],
    })),
    'No scaling decisions yet.',
  );
}
