import { fileURLToPath } from 'node:url';
import { CSS_TYPE, JS_TYPE } from '../static-files.ts';
import type { StaticFile } from '../static-files.ts';

/**
 * The dashboard at /ui: a page and its files (assets/: a few ES modules and a
 * stylesheet written by hand, served as they are — no build step, no CDN).
 * The page reads the gateway's JSON routes (/v1/agents, …/status, the admin
 * routes of instances, /v1/workflows) from the browser. When the gateway
 * requires an API token, it asks for one and sends it as
 * `Authorization: Bearer`, keeping it in the tab's sessionStorage (decision 23).
 */

export const DASHBOARD_PATH = '/ui';

/** The files in assets/, which /ui/<name> serves. */
const FILES: readonly [name: string, contentType: string][] = [
  ['dashboard.css', CSS_TYPE],
  ['main.js', JS_TYPE],
  ['api.js', JS_TYPE],
  ['dom.js', JS_TYPE],
  ['format.js', JS_TYPE],
  ['agents-view.js', JS_TYPE],
  ['instance-view.js', JS_TYPE],
  ['workflows-view.js', JS_TYPE],
];

/** What /ui/<name> serves. `npm run build` copies assets/ beside the compiled page (dist/gateway/dashboard/assets/). */
export const DASHBOARD_FILES: ReadonlyMap<string, StaticFile> = new Map(
  FILES.map(([name, contentType]) => [name, { contentType, path: fileURLToPath(new URL(`./assets/${name}`, import.meta.url)) }]),
);

/**
 * The page's own files only, and nothing inline: scripts, styles and requests
 * stay on the gateway's origin, and no other site may frame it.
 */
export const DASHBOARD_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] ?? char);

/** A hexagon, as the tab's icon. */
const ICON = `data:image/svg+xml,${encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><path d="M16 2l12 7v14l-12 7-12-7V9z" fill="#2f6fde"/></svg>')}`;

/** The /ui page for `namespace`; `authRequired`: ask for the API token first. */
export function dashboardPage(namespace: string, authRequired: boolean): string {
  const ns = escapeHtml(namespace);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Colony — ${ns}</title>
<link rel="icon" href="${ICON}">
<link rel="stylesheet" href="${DASHBOARD_PATH}/dashboard.css">
<script type="module" src="${DASHBOARD_PATH}/main.js"></script>
</head>
<body data-namespace="${ns}" data-auth="${authRequired ? 'bearer' : 'none'}">
<header class="top">
<h1><span class="logo" aria-hidden="true"></span>Colony <span class="ns">namespace <b>${ns}</b></span></h1>
<p id="refresh" class="refresh" aria-live="polite"></p>
<button id="forget-token" type="button" class="quiet" hidden>Forget token</button>
</header>
<form id="token-form" class="card token" hidden>
<h2>API token</h2>
<p>This gateway requires an API token. The dashboard sends it with its requests and keeps it in this tab only.</p>
<label>API token <input type="password" name="token" autocomplete="off" required></label>
<button type="submit">Open</button>
<p id="token-problem" class="problem" role="alert"></p>
</form>
<main id="dashboard" hidden>
<p id="problem" class="problem banner" role="alert" hidden></p>
<section id="summary" class="tiles" aria-label="Summary"></section>
<section class="card" aria-labelledby="agents-title"><h2 id="agents-title">Agents</h2><div id="agents"></div></section>
<div class="columns">
<section class="card" aria-labelledby="pods-title"><h2 id="pods-title">Pods</h2><div id="pods"></div></section>
<section class="card" aria-labelledby="decisions-title"><h2 id="decisions-title">Recent scaling decisions</h2><div id="decisions"></div></section>
</div>
<section class="card" aria-labelledby="instances-title">
<h2 id="instances-title">Instances</h2>
<form id="lookup" class="lookup">
<label>Agent <select name="agent" required></select></label>
<label>Key <input name="key" required placeholder="alice" autocomplete="off"></label>
<button type="submit">Look up</button>
<label class="check"><input type="checkbox" name="stored"> stored, not only in memory</label>
</form>
<div class="columns instances">
<div id="instance-list"></div>
<div id="instance"></div>
</div>
</section>
<section class="card" aria-labelledby="workflows-title"><h2 id="workflows-title">Workflows</h2><div id="workflows"></div></section>
</main>
</body>
</html>
`;
}
