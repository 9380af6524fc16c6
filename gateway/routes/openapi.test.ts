import { describe, expect, it } from 'vitest';
import type { RegistryAgent } from '../../agent-runtime/client/registry-view.ts';
import { STAND_IN_COUNTER, standInGateway } from '../../test/helpers/stand-in-gateway.ts';
import { ApiTokens } from '../auth.ts';

const TOKEN = 'docs-test-token-0123456789';
const noCall = async (): Promise<never> => {
  throw new Error('no call expected');
};

/** The assets a page links to (`src` and `href` under /docs/). */
const linkedAssets = (html: string): string[] => [...html.matchAll(/(?:src|href)="(\/docs\/[^"]+)"/g)].map((match) => match[1] as string);

describe('GET /openapi.json', () => {
  it('describes the Agents the registry holds at each request', async () => {
    const agents: RegistryAgent[] = [STAND_IN_COUNTER];
    const { app } = standInGateway(noCall, { registry: { get: (name) => agents.find((a) => a.spec.name === name), list: () => agents } });
    const first = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(first.statusCode).toBe(200);
    expect(first.headers['content-type']).toMatch(/^application\/json/);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.json()).toMatchObject({ openapi: '3.1.0', info: { title: 'Colony — namespace default' } });
    expect(Object.keys(first.json().paths)).toContain('/v1/agents/counter/{key}/get');
    expect(Object.keys(first.json().paths)).not.toContain('/v1/agents/greeter/{key}/greet');
    agents.push({
      spec: { namespace: 'default', name: 'greeter', partitions: 8, minReplicas: 0, maxReplicas: 1, updatedAt: 0 },
      api: { namespace: 'default', name: 'greeter', methods: { greet: { input: { type: 'object' } } }, updatedAt: 0 },
    });
    const second = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(Object.keys(second.json().paths)).toContain('/v1/agents/greeter/{key}/greet');
    // A pod publishes a new API for an Agent: a new record in the same place.
    agents[0] = { ...STAND_IN_COUNTER, api: { ...(STAND_IN_COUNTER.api as NonNullable<RegistryAgent['api']>), methods: { get: {}, reset: {} } } };
    const third = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(Object.keys(third.json().paths)).toContain('/v1/agents/counter/{key}/reset');
    await app.close();
  });

  it('takes the same API token as /v1 while /docs and its files stay open, the page asking for the token', async () => {
    const { app } = standInGateway(noCall, { apiTokens: new ApiTokens([TOKEN]) });
    const refused = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toMatchObject({ error: { code: 'unauthenticated' } });
    const allowed = await app.inject({ method: 'GET', url: '/openapi.json', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.json().security).toEqual([{ bearerToken: [] }]);
    const page = await app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-auth="bearer"');
    for (const asset of linkedAssets(page.body)) expect((await app.inject({ method: 'GET', url: asset })).statusCode, asset).toBe(200);
    await app.close();
  });
});

describe('GET /docs', () => {
  it('serves Swagger UI from its npm package, pointed at /openapi.json, with every file it links', async () => {
    const { app } = standInGateway(noCall);
    const page = await app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('data-openapi-url="/openapi.json"');
    expect(page.body).toContain('data-auth="none"');
    expect(page.body).not.toMatch(/https?:\/\//);
    const assets = linkedAssets(page.body);
    expect(assets).toEqual([
      '/docs/swagger-ui.css',
      '/docs/favicon-32x32.png',
      '/docs/favicon-16x16.png',
      '/docs/swagger-ui-bundle.js',
      '/docs/colony-docs.js',
    ]);
    const types: Record<string, RegExp> = { css: /^text\/css/, png: /^image\/png$/, js: /^text\/javascript/ };
    for (const asset of assets) {
      const response = await app.inject({ method: 'GET', url: asset });
      expect(response.statusCode, asset).toBe(200);
      expect(response.headers['content-type'], asset).toMatch(types[asset.split('.').at(-1) as string] as RegExp);
      expect(response.rawPayload.byteLength, asset).toBeGreaterThan(100);
    }
    const bundle = await app.inject({ method: 'GET', url: '/docs/swagger-ui-bundle.js' });
    expect(bundle.body).toContain('SwaggerUIBundle');
    const script = await app.inject({ method: 'GET', url: '/docs/colony-docs.js' });
    expect(script.body).toContain('SwaggerUIBundle({');
    await app.close();
  });

  it('answers 404 for a file it does not serve, and 405 for another method', async () => {
    const { app } = standInGateway(noCall);
    for (const url of ['/docs/index.html', '/docs/..%2Fpackage.json', '/docs/swagger-initializer.js']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json()).toMatchObject({ error: { code: 'not_found' } });
    }
    const post = await app.inject({ method: 'POST', url: '/docs' });
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    await app.close();
  });
});
