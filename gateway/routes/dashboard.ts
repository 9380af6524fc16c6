import type { FastifyInstance } from 'fastify';
import { DASHBOARD_CSP, DASHBOARD_FILES, DASHBOARD_PATH, dashboardPage } from '../dashboard/page.ts';
import { HTML_TYPE, registerStaticFiles } from '../static-files.ts';

/**
 * GET /ui — the dashboard; GET /ui/<file> — its scripts and stylesheet.
 * Open like /docs even when the gateway requires API tokens: the page and
 * its files hold nothing of the deployment, and what they show is read from
 * the /v1 routes with the token the page asks for (decision 23). The files
 * are revalidated on every load (`no-cache`): they change with Colony.
 */
export function registerDashboardRoutes(app: FastifyInstance, options: { namespace: string; authRequired: boolean }): void {
  const page = dashboardPage(options.namespace, options.authRequired);
  app.get(DASHBOARD_PATH, async (_request, reply) =>
    reply.type(HTML_TYPE).header('cache-control', 'no-cache').header('content-security-policy', DASHBOARD_CSP).header('x-content-type-options', 'nosniff').send(page),
  );
  registerStaticFiles(app, { path: DASHBOARD_PATH, files: DASHBOARD_FILES, cacheControl: 'no-cache', what: 'the dashboard' });
}
