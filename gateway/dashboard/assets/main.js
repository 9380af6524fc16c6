// The dashboard at /ui: asks for the API token when the gateway requires one, then reads the
// gateway's JSON routes every REFRESH_MS and draws what they answer.
import { agentsTable, decisionsTable, podsTable, summary } from './agents-view.js';
import { api, token } from './api.js';
import { draw, h } from './dom.js';
import { instanceList, instancePanel, instanceProblem } from './instance-view.js';
import { workflowLists } from './workflows-view.js';

const REFRESH_MS = 2_000;

/** @param {string} id */
const byId = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const authRequired = document.body.dataset.auth === 'bearer';
const tokenForm = /** @type {HTMLFormElement} */ (byId('token-form'));
const lookup = /** @type {HTMLFormElement} */ (byId('lookup'));
const agentSelect = /** @type {HTMLSelectElement} */ (lookup.elements.namedItem('agent'));
const keyInput = /** @type {HTMLInputElement} */ (lookup.elements.namedItem('key'));
const storedBox = /** @type {HTMLInputElement} */ (lookup.elements.namedItem('stored'));

/** What the page shows: the Agent whose instances are listed, the instance looked up. */
const view = {
  /** @type {{ agent: string, key: string } | undefined} */
  selected: undefined,
  /** @type {string[]} */
  agentNames: [],
};
/** The refresh loop: its generation (a new one starts with each token), its next run, whether it waits for the tab to show. */
const loop = { generation: 0, /** @type {ReturnType<typeof setTimeout> | undefined} */ timer: undefined, paused: false };

/** Shows the token form (why: what went wrong with the last token) instead of the dashboard. @param {string} why */
function ask(why) {
  loop.generation += 1;
  loop.paused = false;
  clearTimeout(loop.timer);
  byId('dashboard').hidden = true;
  byId('forget-token').hidden = true;
  byId('refresh').textContent = '';
  byId('token-problem').textContent = why;
  tokenForm.hidden = false;
  /** @type {HTMLInputElement} */ (tokenForm.elements.namedItem('token')).focus();
}

/** @param {string | undefined} message */
function showProblem(message) {
  const banner = byId('problem');
  banner.hidden = message === undefined;
  banner.textContent = message ?? '';
}

/** A refused token asks for another; any other error is shown above the (last) data. @param {any} error */
function failed(error) {
  if (error?.status === 401 && authRequired) {
    token.forget();
    ask('The gateway refused that token: enter another.');
    return true;
  }
  showProblem(error instanceof Error ? error.message : String(error));
  return false;
}

/** Keeps the Agent list of the lookup form in step with the Agents deployed (workflows are managed apart). @param {any[]} agents */
function updateAgentChoices(agents) {
  const names = agents.filter((agent) => agent.kind !== 'workflow').map((agent) => agent.name);
  if (JSON.stringify(names) === JSON.stringify(view.agentNames)) return;
  view.agentNames = names;
  const chosen = agentSelect.value || view.selected?.agent || names[0];
  agentSelect.replaceChildren(...names.map((name) => h('option', { value: name }, name)));
  if (chosen && names.includes(chosen)) agentSelect.value = chosen;
}

/** The instance looked up: its state (with its recent calls) and reminders. */
async function refreshInstance() {
  const selected = view.selected;
  const target = byId('instance');
  if (!selected) {
    draw(target, null, () => h('p', { class: 'empty' }, 'Look up an instance by its key, or pick one from the list.'));
    return;
  }
  try {
    const [state, reminders] = await Promise.all([api.state(selected.agent, selected.key), api.reminders(selected.agent, selected.key)]);
    if (view.selected === selected) draw(target, { state, reminders }, instancePanel);
  } catch (error) {
    if (error?.status === 401) throw error;
    if (view.selected === selected) draw(target, { ...selected, error: { code: error.code, message: error.message } }, (data) => instanceProblem(data.agent, data.key, data.error));
  }
}

/** The instances of the Agent chosen in the form. */
async function refreshInstanceList() {
  const agent = agentSelect.value;
  const target = byId('instance-list');
  if (!agent) {
    draw(target, null, () => h('p', { class: 'empty' }, 'No Agents to list instances of.'));
    return;
  }
  const open = (key) => select(agent, key);
  try {
    draw(target, await api.instances(agent, storedBox.checked), (page) => instanceList(page, open));
  } catch (error) {
    if (error?.status === 401) throw error;
    draw(target, { error: error.message }, (data) => h('p', { class: 'problem' }, data.error));
  }
}

/** Everything the page shows, read again. */
async function refresh() {
  const { agents } = await api.agents();
  updateAgentChoices(agents);
  const workflows = agents.filter((agent) => agent.kind === 'workflow');
  const keep = (error) => {
    if (error?.status === 401) throw error;
    return { error: error.message };
  };
  const [statuses, lists] = await Promise.all([
    Promise.all(agents.map((agent) => api.status(agent.name).catch(keep))),
    Promise.all(workflows.map((agent) => api.workflows(agent.name).then((page) => ({ workflow: agent.name, page }), (error) => ({ workflow: agent.name, ...keep(error) })))),
    refreshInstanceList(),
    refreshInstance(),
  ]);
  const rows = agents.map((agent, i) => ({ agent, status: statuses[i] }));
  const now = Date.now();
  draw(byId('summary'), rows, summary);
  draw(byId('agents'), { rows, now }, (data) => agentsTable(data.rows, data.now));
  draw(byId('pods'), { rows, now }, (data) => podsTable(data.rows, data.now));
  draw(byId('decisions'), { rows, now }, (data) => decisionsTable(data.rows, data.now));
  draw(byId('workflows'), lists, workflowLists);
}

/** One refresh, then the next in REFRESH_MS (never two at once); none while the tab is hidden. @param {number} generation */
async function tick(generation) {
  if (generation !== loop.generation) return;
  if (document.hidden) {
    loop.paused = true;
    return;
  }
  try {
    await refresh();
    if (generation !== loop.generation) return;
    showProblem(undefined);
    byId('refresh').textContent = `Updated ${new Date().toLocaleTimeString()} · every ${REFRESH_MS / 1000} s`;
  } catch (error) {
    if (generation !== loop.generation || failed(error)) return;
  }
  loop.timer = setTimeout(() => void tick(generation), REFRESH_MS);
}

/** Looks up `agent`/`key`, and names it in the address (a link to it). @param {string} agent @param {string} key */
function select(agent, key) {
  view.selected = { agent, key };
  agentSelect.value = agent;
  keyInput.value = key;
  history.replaceState(null, '', `#${new URLSearchParams({ agent, key })}`);
  refreshInstance().catch(failed);
}

function start() {
  tokenForm.hidden = true;
  byId('dashboard').hidden = false;
  byId('forget-token').hidden = !authRequired;
  loop.generation += 1;
  clearTimeout(loop.timer);
  void tick(loop.generation);
}

tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const input = /** @type {HTMLInputElement} */ (tokenForm.elements.namedItem('token'));
  const value = input.value.trim();
  if (!value) return;
  token.set(value);
  input.value = '';
  start();
});
byId('forget-token').addEventListener('click', () => {
  token.forget();
  ask('');
});
lookup.addEventListener('submit', (event) => {
  event.preventDefault();
  const key = keyInput.value;
  if (agentSelect.value && key) select(agentSelect.value, key);
});
agentSelect.addEventListener('change', () => refreshInstanceList().catch(failed));
storedBox.addEventListener('change', () => refreshInstanceList().catch(failed));
document.addEventListener('visibilitychange', () => {
  if (document.hidden || !loop.paused) return;
  loop.paused = false;
  void tick(loop.generation);
});

const linked = new URLSearchParams(location.hash.slice(1));
if (linked.get('agent') && linked.get('key')) view.selected = { agent: String(linked.get('agent')), key: String(linked.get('key')) };
if (view.selected) keyInput.value = view.selected.key;
if (authRequired && !token.get()) ask('');
else start();
