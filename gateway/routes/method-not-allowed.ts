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
 * True when every request path that the route path `specific` matches, the
 * route path `general` matches too: as many segments, and each of `general`'s
 * is the same or a parameter (`/v1/agents/:agent/:key/:method` covers
 * `/v1/agents/:agent/:key/state`).
 */
export function covers(general: string, specific: string): boolean {
  const g = general.split('/');
  const s = specific.split('/');
  return g.length === s.length && g.every((segment, i) => segment === s[i] || (segment.startsWith(':') && !segment.includes('*')));
}

/**
 * The methods each path answers: its own routes', and those of the routes
 * whose paths cover it (a POST to `/v1/agents/counter/alice/state` is a call
 * of the method `state`, while GET, PUT and DELETE there are admin routes).
 */
export function allowedMethods(ownByUrl: ReadonlyMap<string, readonly string[]>): Map<string, string[]> {
  const allowed = new Map<string, string[]>();
  for (const [url, own] of ownByUrl) {
    const methods = [...own];
    for (const [other, theirs] of ownByUrl) {
      if (other === url || !covers(other, url)) continue;
      for (const method of theirs) if (!methods.includes(method)) methods.push(method);
    }
    allowed.set(url, methods);
  }
  return allowed;
}

/**
 * Runs `registerRoutes`, then answers every other method on each path it
 * registered with 405 method_not_allowed and an `Allow` header naming the
 * methods the path takes (fastify's router alone answers those with a 404).
 * A method that a more general path takes (allowedMethods) is left to that
 * path's route: a static segment would otherwise shadow it.
 *
 * The paths and their methods are collected by an onRoute hook (run once per
 * route when it is registered, never per request). The 405 routes are added
 * by a plugin registered after `registerRoutes`'s, so it loads once all of
 * theirs are known, and they answer in their own onRequest hook, before a
 * body is read; requests to other routes never meet that hook.
 */
export function withMethodNotAllowed(app: FastifyInstance, registerRoutes: () => void): void {
  routeEveryHttpMethod(app);
  const ownByUrl = new Map<string, string[]>();
  let collecting = true;
  app.addHook('onRoute', (route) => {
    if (!collecting) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const own = ownByUrl.get(route.url) ?? [];
    own.push(...methods.filter((method) => !own.includes(method)));
    ownByUrl.set(route.url, own);
  });
  registerRoutes();
  app.register(async (instance) => {
    collecting = false;
    for (const [url, allowed] of allowedMethods(ownByUrl)) {
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
