import type { FastifyInstance } from 'fastify';
import type { GatewayRegistry } from '../deps.ts';
import { JSON_CONTENT_TYPE } from '../errors.ts';
import { DOCS_ASSETS, DOCS_PATH, docsPage, OPENAPI_PATH } from '../openapi/docs-page.ts';
import { openApiDocument } from '../openapi/document.ts';
import type { OpenApiOptions } from '../openapi/document.ts';
import { HTML_TYPE, registerStaticFiles } from '../static-files.ts';

/** How long browsers may keep Swagger UI's files: they change only with the package. */
const ASSET_MAX_AGE_SECONDS = 3_600;

export interface OpenApiRouteOptions {
  registry: GatewayRegistry;
  document: OpenApiOptions;
}

/**
 * The document as JSON text, made again only when the registry's spec or API
 * records have changed since the last request (RegistryView replaces a record
 * on each update, so comparing them by identity is enough; the statuses,
 * which change every second, do not count). Making it takes ~5 ms for 50
 * Agents of 5 methods.
 */
function documentSource(registry: GatewayRegistry, options: OpenApiOptions): () => string {
  let made: { records: unknown[]; text: string } | undefined;
  return () => {
    const agents = registry.list();
    const records = agents.flatMap((agent) => [agent.spec, agent.api]);
    if (made === undefined || made.records.length !== records.length || made.records.some((record, i) => record !== records[i])) {
      made = { records, text: JSON.stringify(openApiDocument(agents, options)) };
    }
    return made.text;
  };
}

/**
 * GET /openapi.json — the OpenAPI 3.1 document of the Agents deployed now,
 * from the registry, so it changes as soon as an Agent, or its API, does.
 * Registered with the /v1 routes: the same API tokens guard it.
 */
export function registerOpenApiRoute(app: FastifyInstance, options: OpenApiRouteOptions): void {
  const latest = documentSource(options.registry, options.document);
  app.get(OPENAPI_PATH, async (_request, reply) => reply.header('cache-control', 'no-store').type(JSON_CONTENT_TYPE).send(latest()));
}

/**
 * GET /docs — Swagger UI showing /openapi.json; GET /docs/<file> — its files.
 * Open even when the gateway requires API tokens: a browser cannot send a
 * bearer token when it opens a page, and the page and files are the same for
 * every gateway (the npm package's, and a page naming the namespace); the
 * document they show is fetched with the token (docs-page.ts, decision 23).
 */
export function registerDocsRoutes(app: FastifyInstance, options: { namespace: string; authRequired: boolean }): void {
  const page = docsPage(options.namespace, options.authRequired);
  app.get(DOCS_PATH, async (_request, reply) => reply.type(HTML_TYPE).header('cache-control', 'no-cache').send(page));
  registerStaticFiles(app, { path: DOCS_PATH, files: DOCS_ASSETS, cacheControl: `public, max-age=${ASSET_MAX_AGE_SECONDS}`, what: 'the API reference' });
}
