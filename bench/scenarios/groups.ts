import type { Platform } from '../../cli/dev/platform.ts';
import type { AgentSpec } from '../../controller/manifest/agent-spec.ts';
import { here, invoke } from '../harness.ts';
import type { Row } from '../harness.ts';
import { percentile } from '../stats.ts';

/** The folder of this scenario's Agents: the bench starts them only when it runs (run.ts). */
const AGENTS_DIR = here('./agents/groups/');
const WARMUP_CALLS = 200;
const TURN_TIMEOUT = '300s';

export function isGroupsAgent(spec: AgentSpec): boolean {
  return spec.module.startsWith(AGENTS_DIR);
}

export interface GroupsOptions {
  /** Calls one turn makes, one after another. */
  calls: number;
  rounds: number;
  /** Shard instances of the data set, and the bytes of rows in each one's state. */
  shards: number;
  shardBytes: number;
  /** Full aggregations over the data set, per variant. */
  aggregations: number;
}

interface CallsResult {
  elapsedMs: number;
  micros: number[];
  pod: string;
  calleePod: string;
}

interface AggregateResult {
  elapsedMs: number;
  summingMs: number;
  replyBytes: number;
  summary: { count: number; sum: number; min: number; max: number };
  pod: string;
}

const count = (n: number): string => n.toLocaleString('en-US');
const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
const size = (bytes: number): string => (bytes < 1e5 ? `${count(bytes)} bytes` : megabytes(bytes));

/**
 * Placement groups, measured: (1) a call between co-located instances of
 * two Agents of one group (in-process) against the same call from a pod of
 * another Agent (over NATS), timed inside the caller's turn; (2) one
 * aggregation over a data set of ~10 MB kept in shard instances, done where
 * the rows are (code to data) or by fetching them (data shipping), from an
 * analyst in the shards' group and from one outside it.
 */
export async function groupScenarios(platform: Platform, options: GroupsOptions): Promise<Row[]> {
  return [...(await callRows(platform, options, false)), ...(await callRows(platform, options, true)), ...(await dataRows(platform, options))];
}

async function callRows(platform: Platform, options: GroupsOptions, write: boolean): Promise<Row[]> {
  const turn = async (caller: string, callee: string, n: number): Promise<CallsResult> =>
    (await invoke(platform.gatewayUrl, caller, 'bench', 'calls', { agent: callee, key: 'bench', n, write }, TURN_TIMEOUT)) as CallsResult;
  const near = await turn('near-caller', 'near-callee', WARMUP_CALLS);
  const far = await turn('far-caller', 'far-callee', WARMUP_CALLS);
  if (near.pod !== near.calleePod) throw new Error(`near-caller (pod ${near.pod}) and near-callee (pod ${near.calleePod}) are in group "near" but on two pods`);
  if (far.pod === far.calleePod) throw new Error(`far-caller and far-callee share pod ${far.pod}; the bench needs the call to cross pods`);
  const results = { near: [] as CallsResult[], far: [] as CallsResult[] };
  // Alternated, so drift on a shared machine falls on both.
  for (let round = 0; round < options.rounds; round += 1) {
    results.far.push(await turn('far-caller', 'far-callee', options.calls));
    results.near.push(await turn('near-caller', 'near-callee', options.calls));
  }
  const summarise = (list: CallsResult[]): Required<Pick<Row, 'throughput' | 'p50Ms' | 'p99Ms'>> => {
    const micros = list.flatMap((r) => r.micros);
    return { throughput: (micros.length / list.reduce((ms, r) => ms + r.elapsedMs, 0)) * 1000, p50Ms: percentile(micros, 50) / 1000, p99Ms: percentile(micros, 99) / 1000 };
  };
  const across = summarise(results.far);
  const local = summarise(results.near);
  const speedup = across.p50Ms / local.p50Ms;
  const what = write ? 'callee writes its state' : 'callee reads its state';
  const calls = `${count(options.calls)} calls a turn × ${options.rounds}`;
  return [
    { name: `two Agents, across pods (NATS): ${what}`, ...across, compare: calls },
    {
      name: `two Agents, one placement group (in-process): ${what}`,
      ...local,
      compare: `p50 ${speedup.toFixed(speedup < 10 ? 1 : 0)}× faster, throughput ${(local.throughput / across.throughput).toFixed(1)}× (timed inside the turn)`,
      ...(write ? {} : { target: '≥ 10×', pass: speedup >= 10 }),
    },
  ];
}

async function dataRows(platform: Platform, options: GroupsOptions): Promise<Row[]> {
  const dataset = 'bench';
  const filled = (await Promise.all(
    Array.from({ length: options.shards }, (_, i) => invoke(platform.gatewayUrl, 'shard', `${dataset}:${i}`, 'fill', { bytes: options.shardBytes, seed: i + 1 }, TURN_TIMEOUT)),
  )) as { rows: number; stateBytes: number; pod: string }[];
  const stateBytes = filled.reduce((bytes, shard) => bytes + shard.stateBytes, 0);
  const rows = filled.reduce((n, shard) => n + shard.rows, 0);
  const aggregate = async (analyst: string, mode: 'data-shipping' | 'code-to-data'): Promise<AggregateResult> =>
    (await invoke(platform.gatewayUrl, analyst, dataset, 'aggregate', { agent: 'shard', shards: options.shards, mode }, TURN_TIMEOUT)) as AggregateResult;

  const variants = [
    { analyst: 'far-analyst', mode: 'data-shipping', name: 'data shipping: analyst outside the group fetches the rows (NATS)' },
    { analyst: 'analyst', mode: 'data-shipping', name: 'data shipping, co-located: the rows through JSON in-process' },
    { analyst: 'far-analyst', mode: 'code-to-data', name: 'code to data, remote: shards aggregate, sums over NATS' },
    { analyst: 'analyst', mode: 'code-to-data', name: 'code to data, co-located: shards aggregate in-process' },
  ] as const;
  const shardPods = new Set(filled.map((shard) => shard.pod));
  const results = variants.map(() => [] as AggregateResult[]);
  for (let round = -1; round < options.aggregations; round += 1) {
    for (const [i, variant] of variants.entries()) {
      const result = await aggregate(variant.analyst, variant.mode);
      if (result.summary.count !== rows) throw new Error(`${variant.analyst} (${variant.mode}) aggregated ${result.summary.count} rows of ${rows}`);
      const inGroup = variant.analyst === 'analyst';
      if (inGroup !== (shardPods.size === 1 && shardPods.has(result.pod))) throw new Error(`${variant.analyst} is on pod ${result.pod}, the shards on ${[...shardPods].join(', ')}: not the placement this bench measures`);
      if (round >= 0) (results[i] as AggregateResult[]).push(result);
    }
  }
  const first = results.map((list) => JSON.stringify(list[0]?.summary));
  if (new Set(first).size !== 1) throw new Error(`the variants disagree on the aggregate: ${first.join(' / ')}`);

  const p50 = results.map((list) => percentile(list.map((r) => r.elapsedMs), 50));
  const shipped = p50[0] as number;
  const header: Row = {
    name: `data set: ${megabytes(stateBytes)} of state in ${options.shards} shards, ${count(rows)} rows`,
    compare: `each shard ${size(Math.round(stateBytes / options.shards))} (a record fits one NATS message); ${options.aggregations} aggregations a variant, timed inside the analyst's turn (p99 column: the slowest)`,
  };
  return [
    header,
    ...variants.map((variant, i): Row => {
      const list = results[i] as AggregateResult[];
      const ms = p50[i] as number;
      const moved = `${size(list[0]?.replyBytes ?? 0)} answered${variant.analyst === 'analyst' ? ' in-process' : ' over NATS'}, summing ${percentile(list.map((r) => r.summingMs), 50).toFixed(1)} ms`;
      return {
        name: variant.name,
        p50Ms: ms,
        p99Ms: percentile(list.map((r) => r.elapsedMs), 99),
        compare: i === 0 ? `${moved}; ${megabytes((stateBytes / ms) * 1000)}/s` : `${moved}; ${(shipped / ms).toFixed(1)}× faster than shipping over NATS`,
      };
    }),
  ];
}
