import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadManifests } from '../../controller/manifest/manifest.ts';
import { counter } from '../../examples/counter/counter.ts';
import { EXAMPLES_DIR } from '../helpers/colony-dev.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import type { TestPlatform } from '../helpers/platform.ts';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- reading into a document.

/**
 * /openapi.json and /docs on `colony dev`'s platform (nats-server, the
 * controller with real pods, the gateway on a port), with the examples'
 * Agents: the document is what their pods published, and follows the
 * Agents as they are applied.
 */
describe('the API document and reference of a running platform', () => {
  let harness: TestPlatform;
  let url: string;

  const openapi = async (): Promise<Json> => {
    const response = await fetch(`${url}/openapi.json`);
    expect(response.status).toBe(200);
    return (await response.json()) as Json;
  };

  beforeAll(async () => {
    harness = await startTestPlatform('openapi', [join(EXAMPLES_DIR, 'counter'), join(EXAMPLES_DIR, 'approval')]);
    url = harness.platform.gatewayUrl;
  });

  afterAll(async () => {
    await harness?.stop();
  });

  it('lists the example Agents’ methods with their schemas, as valid OpenAPI 3.1, and the documented call works', async () => {
    const document = await openapi();
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors ?? []).toEqual([]);
    expect(validator.version).toBe('3.1');

    const increment = document.paths['/v1/agents/counter/{key}/increment'].post;
    expect(increment.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/counter.increment.input' });
    expect(document.components.schemas['counter.increment.input']).toEqual(counter.schemas?.increment);
    expect(increment.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/counter.increment.output' });
    expect(document.components.schemas['counter.increment.output']).toEqual(counter.outputs?.increment);
    expect(Object.keys(document.paths)).toContain('/v1/agents/counter/{key}/get');
    expect(Object.keys(document.paths)).toContain('/v1/workflows/approval/{id}/events/{name}');
    expect(document.tags.map((tag: Json) => tag.name)).toEqual(expect.arrayContaining(['counter', 'approval']));

    // The path as documented, with the key percent-encoded as one segment.
    const path = '/v1/agents/counter/{key}/increment'.replace('{key}', encodeURIComponent('docs/ann'));
    const called = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ by: 3 }) });
    expect(called.status).toBe(200);
    expect(await called.json()).toEqual({ count: 3 });
  });

  it('describes an Agent once it is applied and its pods publish its API, and no longer one that is removed', async () => {
    expect(Object.keys((await openapi()).paths).some((path) => path.startsWith('/v1/agents/loyalty/'))).toBe(false);
    const loyalty = await loadManifests(join(EXAMPLES_DIR, 'loyalty'));
    await harness.platform.controller.apply([...harness.specs, ...loyalty]);
    await harness.platform.controller.waitSettled(30_000);
    await expect.poll(async () => Object.keys((await openapi()).paths), { timeout: 15_000, interval: 100 }).toContain('/v1/agents/loyalty/{key}/onOrder');
    const document = await openapi();
    expect(document.paths['/v1/topics/{topic}'].post.description).toContain('`orders` → loyalty.onOrder');
    expect(document.paths['/v1/agents/{agent}/status'].get.parameters[0].schema.enum).toEqual(['approval', 'counter', 'loyalty']);
    expect(Object.keys(document.paths)).toContain('/v1/agents/counter/{key}/increment');

    await harness.platform.controller.apply([...harness.specs.filter((spec) => spec.name !== 'approval'), ...loyalty]);
    const workflowPaths = async (): Promise<string[]> => Object.keys((await openapi()).paths).filter((path) => path.startsWith('/v1/workflows/'));
    await expect.poll(workflowPaths, { timeout: 15_000, interval: 100 }).toEqual([]);
  });

  it('serves /docs and the files it links from the gateway itself', async () => {
    const page = await fetch(`${url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).toContain('data-openapi-url="/openapi.json"');
    const assets = [...html.matchAll(/(?:src|href)="(\/docs\/[^"]+)"/g)].map((match) => match[1] as string);
    expect(assets).toEqual(expect.arrayContaining(['/docs/swagger-ui.css', '/docs/swagger-ui-bundle.js', '/docs/colony-docs.js']));
    const types: Record<string, string> = { css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8', png: 'image/png' };
    for (const asset of assets) {
      const response = await fetch(`${url}${asset}`);
      expect(response.status, asset).toBe(200);
      expect(response.headers.get('content-type'), asset).toBe(types[asset.split('.').at(-1) as string]);
      expect((await response.arrayBuffer()).byteLength, asset).toBeGreaterThan(100);
    }
  });
});
