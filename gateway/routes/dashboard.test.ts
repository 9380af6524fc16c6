import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { standInGateway } from '../../test/helpers/stand-in-gateway.ts';
import { ApiTokens } from '../auth.ts';

const noCall = async (): Promise<never> => {
  throw new Error('no call expected');
};

/** The files a page links to (`src` and `href` under /ui/). */
const linked = (html: string): string[] => [...html.matchAll(/(?:src|href)="(\/ui\/[^"]+)"/g)].map((match) => match[1] as string);

describe('GET /ui', () => {
  it('serves the dashboard page, its scripts and stylesheet, from the gateway only', async () => {
    const { app } = standInGateway(noCall);
    const page = await app.inject({ method: 'GET', url: '/ui' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.body).toContain('data-auth="none"');
    expect(page.body).toContain('data-namespace="default"');
    expect(page.body).not.toMatch(/https?:\/\//);
    // No inline script or style: the policy allows none.
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=/);
    expect(linked(page.body)).toEqual(['/ui/dashboard.css', '/ui/main.js']);

    // Every module the page loads, and every module those import, is served.
    const pending = ['main.js'];
    const served = new Set<string>();
    while (pending.length > 0) {
      const name = pending.pop() as string;
      if (served.has(name)) continue;
      const file = await app.inject({ method: 'GET', url: `/ui/${name}` });
      expect(file.statusCode, name).toBe(200);
      expect(file.headers['content-type'], name).toBe('text/javascript; charset=utf-8');
      expect(file.headers['x-content-type-options']).toBe('nosniff');
      served.add(name);
      for (const match of file.body.matchAll(/from '\.\/([\w-]+\.js)'/g)) pending.push(match[1] as string);
    }
    expect(served.size).toBeGreaterThan(3);
    const css = await app.inject({ method: 'GET', url: '/ui/dashboard.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');

    // And the assets folder holds nothing the page does not serve (a module added there must be listed in page.ts).
    const files = await readdir(new URL('../dashboard/assets/', import.meta.url));
    expect(files.sort()).toEqual([...served, 'dashboard.css'].sort());
    await app.close();
  });

  it('stays open with API tokens while the routes it reads need the token; the page asks for it', async () => {
    const token = 'dashboard-test-token-0123456789';
    const { app } = standInGateway(noCall, { apiTokens: new ApiTokens([token]) });
    const page = await app.inject({ method: 'GET', url: '/ui' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-auth="bearer"');
    expect((await app.inject({ method: 'GET', url: '/ui/main.js' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/agents' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/v1/agents', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
    await app.close();
  });

  it('escapes the namespace in the page, answers 404 for a file it does not serve and 405 for another method', async () => {
    const { app } = standInGateway(noCall, { namespace: 'a"<b>' });
    expect((await app.inject({ method: 'GET', url: '/ui' })).body).toContain('data-namespace="a&quot;&lt;b&gt;"');
    for (const url of ['/ui/index.html', '/ui/..%2Fpage.ts', '/ui/page.ts']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json()).toMatchObject({ error: { code: 'not_found' } });
    }
    const post = await app.inject({ method: 'POST', url: '/ui' });
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    await app.close();
  });

  it('keeps the token in the tab only, under the name /docs uses', async () => {
    const api = await readFile(new URL('../dashboard/assets/api.js', import.meta.url), 'utf8');
    const { app } = standInGateway(noCall);
    const docs = (await app.inject({ method: 'GET', url: '/docs/colony-docs.js' })).body;
    await app.close();
    const name = /const STORAGE = '([^']+)'/.exec(api)?.[1];
    expect(name).toBeDefined();
    expect(docs).toContain(`var STORAGE = '${name}'`);
    expect(api).not.toMatch(/localStorage|document\.cookie/);
  });
});
