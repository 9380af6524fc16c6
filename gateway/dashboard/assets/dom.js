// Building the page from data: elements made with textContent only (nothing the gateway
// answers is ever parsed as HTML), tables, and sections redrawn only when their data changed.

/**
 * An element: `h('td', { class: 'num' }, '3')`. Attributes starting with "on" are listeners;
 * children are nodes, strings (as text) or arrays of them; null and undefined are left out.
 * @param {string} tag
 * @param {Record<string, any> | null} [attributes]
 * @param {...any} children
 * @returns {HTMLElement}
 */
export function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

/** @param {Node} parent @param {any[]} children */
function append(parent, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.append(child instanceof Node ? child : String(child));
  }
}

/**
 * A table: `columns` are [heading, class?]; each row is its cells (nodes or text), or
 * `{ cells, attributes }` for a row with attributes of its own.
 * @param {[string, string?][]} columns
 * @param {(any[] | { cells: any[], attributes: Record<string, any> })[]} rows
 * @param {string} [empty] what to say when there are no rows
 */
export function table(columns, rows, empty = 'none') {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h(
    'table',
    null,
    h('thead', null, h('tr', null, columns.map(([heading, cls]) => h('th', { class: cls }, heading)))),
    h(
      'tbody',
      null,
      rows.map((row) => {
        const { cells, attributes } = Array.isArray(row) ? { cells: row, attributes: null } : row;
        return h('tr', attributes, cells.map((cell, i) => h('td', { class: columns[i]?.[1] }, cell)));
      }),
    ),
  );
}

/** A small label: `badge('ready', 'ok')`. @param {string} text @param {string} [tone] */
export const badge = (text, tone = 'plain') => h('span', { class: `badge ${tone}` }, text);

/** A bar `part` of `whole` wide, with its label. @param {number} part @param {number} whole @param {string} label */
export function meter(part, whole, label) {
  const fill = h('span', { class: 'fill' });
  fill.style.width = `${whole > 0 ? Math.min(100, Math.round((part / whole) * 100)) : 0}%`;
  return h('span', { class: `meter${part < whole ? ' short' : ''}` }, h('span', { class: 'bar' }, fill), h('span', null, label));
}

/** JSON, indented, in a pre. @param {unknown} value */
export const jsonBlock = (value) => h('pre', { class: 'json' }, JSON.stringify(value, null, 2) ?? 'undefined');

const drawn = new WeakMap();

/**
 * Replaces what `target` shows with `render(data)`, unless `data` is what it last drew:
 * a refresh that changed nothing leaves the page alone (a selection, a hover, the scroll).
 * @param {HTMLElement} target
 * @param {unknown} data
 * @param {(data: any) => Node | (Node | null)[]} render
 */
export function draw(target, data, render) {
  const json = JSON.stringify(data);
  if (drawn.get(target) === json) return;
  drawn.set(target, json);
  const made = render(data);
  target.replaceChildren(...(Array.isArray(made) ? made : [made]).filter((node) => node !== null && node !== undefined));
}
