import { METHODS } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { methodNotAllowedError, sendError } from '../errors.ts';

/**
 * Lets fastify route every method Node's HTTP parser accepts (PURGE,
 * PROPFIND, …), not only the ones fastify knows by default, so that such a
 * request on an existing path gets a 405 too rather than a 404. CONNECT never
 * reaches a route: Node hands it to the server's `connect` event.
 */
function routeEveryHttpMethod(app: FastifyInstance): void {
  for (const method of METHODS) {
    if (method !== 'CONNECT' && !app.supportedMethods.includes(method)) app.addHttpMethod(method, { hasBody: true });
  }
}

/**
 * Runs `registerRoutes`, then answers every other method on each path it
 * registered with 405 method_not_allowed and an `Allow` header naming the
 * methods the path takes (fastify's router alone answers those with a 404).
 *
 * The paths and their methods are collected by an onRoute hook (run once per
 * route when it is registered, never per request). The 405 routes are added
 * by a plugin registered after `registerRoutes`'s, so it loads once all of
 * theirs are known, and they answer in their own onRequest hook, before a
 * body is read; requests to other routes never meet that hook.
 */
export function withMethodNotAllowed(app: FastifyInstance, registerRoutes: () => void): void {
  routeEveryHttpMethod(app);
  const allowedByUrl = new Map<string, string[]>();
  let collecting = true;
  app.addHook('onRoute', (route) => {
    if (!collecting) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const allowed = allowedByUrl.get(route.url) ?? [];
    allowed.push(...methods.filter((method) => !allowed.includes(method)));
    allowedByUrl.set(route.url, allowed);
  });
  registerRoutes();
  app.register(async (instance) => {
    collecting = false;
    for (const [url, allowed] of allowedByUrl) {
      const refuse = (request: FastifyRequest, reply: FastifyReply): void => {
        sendError(reply.header('allow', allowed.join(', ')), methodNotAllowedError(request.method, request.url, allowed));
      };
      instance.route({
        method: instance.supportedMethods.filter((method) => !allowed.includes(method)) as HTTPMethods[],
        url,
        exposeHeadRoute: false,
        onRequest: (request, reply) => refuse(request, reply),
        handler: refuse,
      });
    }
  });
}
