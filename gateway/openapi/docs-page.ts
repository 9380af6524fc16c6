import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CSS_TYPE, JS_TYPE } from '../static-files.ts';
import type { StaticFile } from '../static-files.ts';

/**
 * The browsable API reference at /docs: Swagger UI, from the npm package
 * swagger-ui-dist, served by the gateway itself (no CDN), showing
 * /openapi.json. When the gateway requires an API token, the page asks for
 * it and sends it as `Authorization: Bearer` with the document's request and
 * with the calls made from the page ("Try it out"); it keeps it in the tab's
 * sessionStorage.
 */

export const DOCS_PATH = '/docs';
export const OPENAPI_PATH = '/openapi.json';
/** The page's own script (served beside Swagger UI's files, so the page has no inline script). */
const PAGE_SCRIPT = 'colony-docs.js';

const UI_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const PAGE_SCRIPT_TEXT = `'use strict';
(function () {
  var body = document.body;
  var specUrl = body.dataset.openapiUrl;
  var authRequired = body.dataset.auth === 'bearer';
  var form = document.getElementById('colony-token');
  var problem = document.getElementById('colony-token-problem');
  var STORAGE = 'colony-api-token';

  function ask(why) {
    problem.textContent = why || '';
    form.hidden = false;
    form.elements.token.focus();
  }

  function open(token) {
    window.ui = SwaggerUIBundle({
      url: specUrl,
      dom_id: '#swagger-ui',
      deepLinking: true,
      presets: [SwaggerUIBundle.presets.apis],
      layout: 'BaseLayout',
      requestInterceptor: function (request) {
        if (token && !request.headers.Authorization) request.headers.Authorization = 'Bearer ' + token;
        return request;
      },
      responseInterceptor: function (response) {
        if (authRequired && response.status === 401 && new URL(response.url, location.href).pathname === specUrl) {
          sessionStorage.removeItem(STORAGE);
          ask('The gateway refused that token.');
        }
        return response;
      },
      onComplete: function () {
        if (token) window.ui.preauthorizeApiKey('bearerToken', token);
      },
    });
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var token = form.elements.token.value.trim();
    if (!token) return;
    sessionStorage.setItem(STORAGE, token);
    form.hidden = true;
    open(token);
  });

  var stored = sessionStorage.getItem(STORAGE);
  if (!authRequired) open(undefined);
  else if (stored) open(stored);
  else ask('');
})();
`;

/** What /docs/<name> serves: swagger-ui-dist's files (where they are on disk), and the page's script (its text). */
export const DOCS_ASSETS: ReadonlyMap<string, StaticFile> = new Map<string, StaticFile>([
  ['swagger-ui-bundle.js', { contentType: JS_TYPE, path: join(UI_DIR, 'swagger-ui-bundle.js') }],
  ['swagger-ui-bundle.js.map', { contentType: 'application/json', path: join(UI_DIR, 'swagger-ui-bundle.js.map') }],
  ['swagger-ui.css', { contentType: CSS_TYPE, path: join(UI_DIR, 'swagger-ui.css') }],
  ['swagger-ui.css.map', { contentType: 'application/json', path: join(UI_DIR, 'swagger-ui.css.map') }],
  ['favicon-32x32.png', { contentType: 'image/png', path: join(UI_DIR, 'favicon-32x32.png') }],
  ['favicon-16x16.png', { contentType: 'image/png', path: join(UI_DIR, 'favicon-16x16.png') }],
  [PAGE_SCRIPT, { contentType: JS_TYPE, text: PAGE_SCRIPT_TEXT }],
]);

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] ?? char);

/** The /docs page for `namespace`; `authRequired`: ask for the API token first. */
export function docsPage(namespace: string, authRequired: boolean): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Colony API — namespace ${escapeHtml(namespace)}</title>
<link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css">
<link rel="icon" type="image/png" sizes="32x32" href="${DOCS_PATH}/favicon-32x32.png">
<link rel="icon" type="image/png" sizes="16x16" href="${DOCS_PATH}/favicon-16x16.png">
</head>
<body data-openapi-url="${OPENAPI_PATH}" data-auth="${authRequired ? 'bearer' : 'none'}">
<form id="colony-token" hidden style="font-family: sans-serif; margin: 2em auto; max-width: 40em">
<p>This gateway requires an API token. It is sent with the document’s request and the calls you make here, and kept in this tab only.</p>
<label>API token <input type="password" name="token" autocomplete="off" required></label>
<button type="submit">Open</button>
<p id="colony-token-problem" role="alert"></p>
</form>
<div id="swagger-ui"></div>
<script src="${DOCS_PATH}/swagger-ui-bundle.js"></script>
<script src="${DOCS_PATH}/${PAGE_SCRIPT}"></script>
</body>
</html>
`;
}
