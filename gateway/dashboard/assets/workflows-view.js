// The latest instances of each workflow, from GET /v1/workflows/{workflow} (read from their
// records, without waking them).
import { badge, h, table } from './dom.js';
import { brief, clock } from './format.js';

const STATUS_TONES = { running: 'accent', suspended: 'warn', completed: 'ok', failed: 'bad', terminated: 'bad' };

/**
 * @param {{ workflow: string, page?: any, error?: string }[]} lists one per workflow Agent
 */
export function workflowLists(lists) {
  if (lists.length === 0) return h('p', { class: 'empty' }, 'No workflows are deployed in this namespace.');
  return lists.map(({ workflow, page, error }) =>
    h(
      'div',
      { class: 'workflow', dataset: { workflow } },
      h('h3', null, workflow),
      error
        ? h('p', { class: 'problem' }, error)
        : table(
            [['Id'], ['Status'], ['Started'], ['Updated'], ['Custom status, output or error']],
            page.workflows.map((run) => ({
              attributes: { dataset: { id: run.id } },
              cells: [
                h('code', null, run.id),
                badge(run.status, STATUS_TONES[run.status] ?? 'plain'),
                clock(run.createdAt),
                clock(run.updatedAt),
                h('code', null, brief(run.error ?? run.output ?? run.customStatus, 70)),
              ],
            })),
            'No instances yet.',
          ),
      page?.next ? h('p', { class: 'note' }, 'The newest are shown.') : null,
    ),
  );
}
