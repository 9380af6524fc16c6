// Instances of an Agent: those in memory (or stored), and one looked up by key — its state,
// reminders and recent calls — from the admin routes, which never wake an instance (decision 25).
import { badge, h, jsonBlock, table } from './dom.js';
import { brief, clock, duration } from './format.js';

/**
 * The instances a list page holds, each a button that looks it up.
 * @param {any} page GET /v1/agents/{agent}/instances
 * @param {(key: string) => void} open
 */
export function instanceList(page, open) {
  const heading = h('h3', null, page.stored ? `Stored instances of ${page.agent}` : `Instances of ${page.agent} in memory`);
  const list = table(
    page.stored ? [['Key'], ['Partition', 'num']] : [['Key'], ['Partition', 'num'], ['Pod']],
    page.instances.map((instance) => ({
      attributes: { dataset: { key: instance.key } },
      cells: [h('button', { type: 'button', class: 'link', onclick: () => open(instance.key) }, instance.key), String(instance.partition), page.stored ? null : h('code', null, instance.pod ?? '')],
    })),
    page.stored ? 'No instance has a stored record.' : 'No instance is in memory: look one up by key, or tick “stored”.',
  );
  return [
    heading,
    list,
    page.next ? h('p', { class: 'note' }, 'More follow: the first 50 by key are shown.') : null,
    page.unanswered?.length ? h('p', { class: 'problem' }, `Pods that did not answer in time: ${page.unanswered.join(', ')}`) : null,
  ];
}

/** @param {any} reminder */
function due(reminder) {
  const at = reminder.retryAt ?? reminder.dueAt;
  return h('span', { title: new Date(at).toISOString() }, clock(at), reminder.retryAt !== undefined ? badge('retry', 'warn') : null);
}

/**
 * One instance: its state, reminders and the calls whose replies it keeps.
 * @param {{ state: any, reminders: any }} view GET …/{key}/state and …/{key}/reminders
 */
export function instancePanel({ state, reminders }) {
  const calls = state.calls ?? [];
  return [
    h(
      'h3',
      { class: 'instance-title' },
      h('code', null, `${state.agent}/${state.key}`),
      state.active ? badge('in memory', 'ok') : badge('stored, not in memory', 'plain'),
    ),
    h('h4', null, 'State'),
    jsonBlock(state.state),
    h('h4', null, `Reminders (${reminders.reminders.length})`),
    table(
      [['Name'], ['Method'], ['Due'], ['Every'], ['Failures', 'num'], ['Input']],
      reminders.reminders.map((reminder) => ({
        attributes: { dataset: { reminder: reminder.name } },
        cells: [
          reminder.name,
          h('code', null, reminder.method),
          due(reminder),
          reminder.everyMs === undefined ? '–' : duration(reminder.everyMs),
          String(reminder.failures ?? 0),
          h('code', null, brief(reminder.input, 40)),
        ],
      })),
      'No reminders.',
    ),
    h('h4', null, `Recent calls (${calls.length})`),
    table(
      [['When'], ['Method'], ['Status'], ['Call id']],
      calls.map((call) => ({
        attributes: { dataset: { call: call.callId } },
        cells: [
          h('span', { title: new Date(call.at).toISOString() }, clock(call.at)),
          call.method ? h('code', null, call.method) : h('span', { class: 'note' }, 'unknown'),
          badge(call.status, call.status === 'ok' ? 'ok' : 'bad'),
          h('code', { class: 'id' }, call.callId),
        ],
      })),
      'No state-changing calls kept (calls that only read are not kept).',
    ),
  ];
}

/**
 * What the panel says when the instance could not be read.
 * @param {string} agent @param {string} key @param {{ code: string, message: string }} error
 */
export function instanceProblem(agent, key, error) {
  return [h('h3', { class: 'instance-title' }, h('code', null, `${agent}/${key}`)), h('p', { class: error.code === 'not_found' ? 'note' : 'problem' }, error.message)];
}
