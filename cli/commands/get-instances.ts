import { MAX_INSTANCE_PAGE } from '../../agent-runtime/protocol/admin.ts';
import type { InstancePage } from '../../gateway/instance-query.ts';
import { UsageError } from '../usage-error.ts';
import { gatewayJson } from './gateway-client.ts';
import { table } from './text-table.ts';

/** What `colony get instances <agent>` asks for. */
export interface InstancesQuery {
  agent: string;
  stored: boolean;
  limit: number | undefined;
  cursor: string | undefined;
}

/** Checks the options of `colony get instances`; `usage` is the text printed with a mistake. */
export function instancesQuery(agent: string | undefined, values: { stored?: boolean; limit?: string; cursor?: string }, usage: string): InstancesQuery {
  if (agent === undefined || agent.includes('/')) throw new UsageError('get instances needs the name of an agent: colony get instances <agent>', usage);
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= MAX_INSTANCE_PAGE)) {
    throw new UsageError(`--limit is a whole number from 1 to ${MAX_INSTANCE_PAGE}, not "${values.limit}"`, usage);
  }
  return { agent, stored: values.stored ?? false, limit, cursor: values.cursor };
}

/** GET /v1/agents/{agent}/instances with the query's parameters. */
export function instancesPath(query: InstancesQuery): string {
  const params = new URLSearchParams();
  if (query.stored) params.set('stored', 'true');
  if (query.limit !== undefined) params.set('limit', String(query.limit));
  if (query.cursor) params.set('cursor', query.cursor);
  const text = params.toString();
  return `/v1/agents/${encodeURIComponent(query.agent)}/instances${text ? `?${text}` : ''}`;
}

/** The command that prints the page after the one that ended at `cursor`. */
function nextCommand(query: InstancesQuery, cursor: string): string {
  return `colony get instances ${query.agent}${query.stored ? ' --stored' : ''}${query.limit === undefined ? '' : ` --limit ${query.limit}`} --cursor ${cursor}`;
}

/** A page as a table, the pods that did not answer, and how to ask for the next page. */
export function formatInstancePage(page: InstancePage, query: InstancesQuery): string {
  let text: string;
  if (page.instances.length === 0) text = page.stored ? `(no stored instances of ${page.agent})\n` : `(no instances of ${page.agent} in memory)\n`;
  else {
    const rows = [page.stored ? ['KEY', 'PARTITION'] : ['KEY', 'PARTITION', 'POD']];
    for (const instance of page.instances) rows.push([instance.key, String(instance.partition), ...(page.stored ? [] : [instance.pod ?? '-'])]);
    text = `${table(rows)}\n`;
  }
  if (page.unanswered?.length) text += `pods that did not answer in time (their instances are missing): ${page.unanswered.join(', ')}\n`;
  if (page.next !== undefined) text += `more: ${nextCommand(query, page.next)}\n`;
  return text;
}

/** `colony get instances <agent>`: prints one page of its instances in memory, or with --stored those with a stored record. */
export async function getInstances(query: InstancesQuery, options: { url: string; token?: string | undefined; json: boolean }): Promise<void> {
  const page = (await gatewayJson(options.url, instancesPath(query), options.token)) as InstancePage;
  process.stdout.write(options.json ? `${JSON.stringify(page, null, 2)}\n` : formatInstancePage(page, query));
}
