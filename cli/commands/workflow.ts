import type { VerbReply, WorkflowHistory } from '../../agent-runtime/protocol/workflow.ts';
import type { WorkflowView, WorkflowViewPage } from '../../gateway/workflow-views.ts';
import { gatewayRequest } from './gateway-client.ts';
import { parseWorkflowArgs, requestOf, WORKFLOW_USAGE } from './workflow-args.ts';
import type { WorkflowCommand, WorkflowOptions } from './workflow-args.ts';
import { formatHistory, formatInstance, formatList, formatPurged, formatVerbReply } from './workflow-format.ts';

export { WORKFLOW_USAGE };

/**
 * Longest wait one request asks the gateway for: fetch gives up on a
 * response whose headers take more than 300 s, so a longer --wait is a
 * series of waits.
 */
export const MAX_WAIT_PER_REQUEST_MS = 240_000;

/** GET with --wait: asks again until the instance is no longer running or the whole wait is over. */
async function waitFor(command: Extract<WorkflowCommand, { verb: 'get' }>, options: WorkflowOptions, waitMs: number): Promise<WorkflowView> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const left = Math.max(1, deadline - Date.now());
    const view = (await gatewayRequest(options.url, requestOf(command, options, Math.min(left, MAX_WAIT_PER_REQUEST_MS)), options.token)) as WorkflowView;
    if (view.status !== 'running' || Date.now() >= deadline) return view;
  }
}

/** The command that prints the next page of a list. */
function nextPageCommand(command: Extract<WorkflowCommand, { verb: 'list' }>): (cursor: string) => string {
  const filters = `${command.status ? ` --status ${command.status}` : ''}${command.limit === undefined ? '' : ` --limit ${command.limit}`}`;
  return (cursor) => `colony workflow list ${command.workflow}${filters} --cursor ${cursor}`;
}

/** What is printed for the gateway's answer to `command`, without --json. */
export function formatAnswer(command: WorkflowCommand, answer: unknown): string {
  switch (command.verb) {
    case 'get':
      return formatInstance(answer as WorkflowView);
    case 'history':
      return formatHistory(answer as WorkflowHistory);
    case 'list':
      return formatList(answer as WorkflowViewPage, nextPageCommand(command));
    case 'purge':
      return formatPurged(answer as { workflow: string; id: string });
    case 'event':
      return formatVerbReply(command.verb, answer as VerbReply, command.name);
    default:
      return formatVerbReply(command.verb, answer as VerbReply);
  }
}

export async function workflowCommand(argv: string[]): Promise<void> {
  const parsed = parseWorkflowArgs(argv, process.env);
  if (!parsed) {
    process.stdout.write(`${WORKFLOW_USAGE}\n`);
    return;
  }
  const { command, options } = parsed;
  const answer =
    command.verb === 'get' && command.waitMs !== undefined
      ? await waitFor(command, options, command.waitMs)
      : await gatewayRequest(options.url, requestOf(command, options), options.token);
  process.stdout.write(options.json ? `${JSON.stringify(answer, null, 2)}\n` : formatAnswer(command, answer));
}
