import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../agent-runtime/observability/log.ts';
import { ApiTokens } from '../../gateway/auth.ts';
import { startGateway } from '../../gateway/gateway.ts';
import type { RunningGateway } from '../../gateway/gateway.ts';
import { callOk, requestJson } from '../helpers/call.ts';
import { ensureChromium } from '../helpers/chromium.ts';
import { EXAMPLES_DIR, FIXTURES_DIR } from '../helpers/colony-dev.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import type { TestPlatform } from '../helpers/platform.ts';

/** Where the screenshot is kept (gitignored): CI keeps it as an artifact; docs/images/dashboard.png is one of them. */
const SCREENSHOT = fileURLToPath(new URL('../../test-results/dashboard.png', import.meta.url));
const TOKEN = 'dashboard-e2e-token-0123456789';
const AGENTS = ['account', 'alarm', 'approval', 'counter', 'customer', 'purchase'];
const WAIT = { timeout: 20_000, interval: 100 };

/**
 * The dashboard (/ui) in a real headless Chromium (Debian's, installed when
 * missing), driven by playwright-core, against a running platform:
 * examples/counter, account (two pods), shop (a placement group), approval (a
 * workflow) and the alarm fixture (reminders). A second gateway on the same
 * NATS requires an API token.
 */
describe('the dashboard at /ui, in a browser', () => {
  let harness: TestPlatform;
  let guarded: RunningGateway;
  let browser: Browser;
  let url: string;
  /** What the pages logged as errors (a script that failed, a request the CSP refused). */
  const problems: string[] = [];

  const openPage = async (context: BrowserContext, address: string): Promise<Page> => {
    const page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // Chromium logs each answer with an error status: a refused token (401) and a key never called (404) are on purpose.
      if (message.type() === 'error' && !/^Failed to load resource: .* status of 40[14]\b/.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    await page.goto(address);
    return page;
  };
  const cells = (page: Page, row: string): Promise<string[]> => page.locator(row).first().locator('td').allInnerTexts();

  beforeAll(async () => {
    // Installing Chromium (only where it is missing) takes a minute or two: the hook allows ten.
    const executablePath = await ensureChromium({ log: (line) => process.stderr.write(`[dashboard] ${line}\n`) });
    const dirs = [...['counter', 'account', 'shop', 'approval'].map((name) => join(EXAMPLES_DIR, name)), join(FIXTURES_DIR, 'alarm')];
    [harness, browser] = await Promise.all([startTestPlatform('dashboard', dirs), chromium.launch({ executablePath, headless: true })]);
    url = harness.platform.gatewayUrl;
    guarded = await startGateway({
      nc: harness.platform.nc,
      namespace: 'default',
      host: '127.0.0.1',
      port: 0,
      log: createLogger({ level: 'warn' }),
      metricsRegistry: new Registry(),
      apiTokens: new ApiTokens([TOKEN]),
    });
    for (let i = 0; i < 3; i += 1) await callOk(url, 'counter', 'alice', 'increment', { by: 2 });
    await callOk(url, 'account', 'bob', 'deposit', { amount: 100 });
    await callOk(url, 'purchase', 'tenant7:1', 'place', { amount: 250 });
    await callOk(url, 'alarm', 'morning', 'remind', { name: 'wake-up', afterMs: 3_600_000, everyMs: 86_400_000 });
    expect((await requestJson(url, 'POST', '/v1/workflows/approval/order-17', { amount: 120, timeoutMs: 600_000 })).status).toBe(202);
    expect((await requestJson(url, 'POST', '/v1/workflows/approval/order-18', { amount: 80, timeoutMs: 600_000 })).status).toBe(202);
    expect((await requestJson(url, 'POST', '/v1/workflows/approval/order-18/events/decision', { approved: true })).status).toBe(202);
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await guarded?.close();
    await harness?.stop();
  });

  it('shows the Agents with their pods and partitions, scaling decisions, an instance looked up by key, and workflows', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await openPage(context, `${url}/ui`);
    expect(await page.locator('#token-form').isHidden()).toBe(true);
    expect(await page.locator('#forget-token').isHidden()).toBe(true);

    // Agents: every one, with its pods (ready / wanted), its partitions served and what it is.
    await expect.poll(() => page.locator('#agents tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-agent')).sort()), WAIT).toEqual(AGENTS);
    await expect.poll(async () => (await cells(page, '#agents tr[data-agent="account"]')).slice(0, 3), WAIT).toEqual(['account', '2 / 2', '64 / 64']);
    await expect.poll(async () => (await cells(page, '#agents tr[data-agent="customer"]')).slice(1, 3), WAIT).toEqual(['2 / 2', '32 / 32']);
    expect(await page.locator('#agents tr[data-agent="customer"] .badge').allInnerTexts()).toEqual(['group shop']);
    expect(await page.locator('#agents tr[data-agent="approval"] .badge').allInnerTexts()).toEqual(['workflow']);
    await expect.poll(() => page.locator('#summary .tile').first().innerText(), WAIT).toMatch(/^Agents\s+6\b/i);
    // Pods: one row per pod, the group's shared by its members.
    await expect.poll(() => page.locator('#pods tbody tr').count(), WAIT).toBe(7);
    expect(await page.locator('#pods tbody tr', { hasText: 'customer, purchase' }).count()).toBe(2);
    // Scaling decisions: each Agent brought up to its minReplicas (the group's once).
    const decision = await cells(page, '#decisions tr[data-agent="account"]');
    expect(decision.slice(1, 3)).toEqual(['account', '0 → 2']);
    expect(decision[3]).toContain('minReplicas');
    expect(await page.locator('#decisions tbody tr', { hasText: 'customer, purchase' }).count()).toBe(1);

    // An instance by key: its state, the calls kept for repeats, and that it is in memory.
    await page.selectOption('#lookup select[name="agent"]', 'counter');
    await page.fill('#lookup input[name="key"]', 'alice');
    await page.click('#lookup button[type="submit"]');
    await expect.poll(() => page.locator('#instance pre.json').innerText(), WAIT).toContain('"count": 6');
    expect(await page.locator('#instance .instance-title').innerText()).toMatch(/counter\/alice\s+in memory/);
    expect(await page.locator('#instance tr[data-call]').evaluateAll((rows) => rows.map((row) => row.children[1]?.textContent))).toEqual(['increment', 'increment', 'increment']);
    expect(await page.locator('#instance-list tr[data-key="alice"]').count()).toBe(1);
    // A key never called has no state: said, not an error.
    await page.fill('#lookup input[name="key"]', 'nobody');
    await page.click('#lookup button[type="submit"]');
    await expect.poll(() => page.locator('#instance').innerText(), WAIT).toContain('counter/nobody has no stored state');

    // The stored instances of alarm (idle after 300 ms, so not in memory), one opened from the list: its reminder.
    await page.selectOption('#lookup select[name="agent"]', 'alarm');
    await page.check('#lookup input[name="stored"]');
    await page.locator('#instance-list tr[data-key="morning"] button').click({ timeout: WAIT.timeout });
    await expect.poll(() => cells(page, '#instance tr[data-reminder="wake-up"]'), WAIT).toEqual(expect.arrayContaining(['wake-up', 'ring', '24 h']));
    expect(await page.locator('#instance .instance-title').innerText()).toMatch(/alarm\/morning\s+stored, not in memory/);
    expect(await page.locator('#instance tr[data-call] code').first().innerText()).toBe('remind');
    expect(new URL(page.url()).hash).toBe('#agent=alarm&key=morning');

    // Workflows: the latest instances of approval with their status.
    await expect.poll(() => cells(page, '#workflows tr[data-id="order-17"]'), WAIT).toEqual(expect.arrayContaining(['order-17', 'running']));
    await expect.poll(() => cells(page, '#workflows tr[data-id="order-18"]'), WAIT).toEqual(expect.arrayContaining(['order-18', 'completed']));

    // Some load while the screenshot is taken, so that the turns show: other keys than those looked up.
    const load = { running: true, calls: 0 };
    const loop = (async () => {
      while (load.running) {
        await Promise.all(Array.from({ length: 8 }, (_, i) => callOk(url, i % 2 ? 'account' : 'counter', `load-${i}`, i % 2 ? 'deposit' : 'increment', i % 2 ? { amount: 1 } : { by: 1 })));
        load.calls += 8;
      }
    })();
    try {
      await expect.poll(() => page.locator('#summary .tile').last().innerText(), WAIT).not.toMatch(/\b0\/s/);
    } finally {
      load.running = false;
      await loop;
    }
    await mkdir(join(SCREENSHOT, '..'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect((await stat(SCREENSHOT)).size).toBeGreaterThan(20_000);
    expect(problems).toEqual([]);
    await context.close();
  });

  it('asks for the API token when the gateway requires one, sends it as a bearer token and keeps it in the tab', async () => {
    const context = await browser.newContext();
    const page = await openPage(context, `${guarded.url}/ui`);
    const sent: (string | undefined)[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/v1/agents') sent.push(request.headers().authorization);
    });
    await page.locator('#token-form').waitFor({ state: 'visible' });
    expect(await page.locator('#dashboard').isHidden()).toBe(true);

    await page.fill('#token-form input[name="token"]', 'not-the-token-000000000000');
    await page.click('#token-form button[type="submit"]');
    await expect.poll(() => page.locator('#token-problem').innerText(), WAIT).toContain('refused');
    expect(await page.locator('#token-form').isVisible()).toBe(true);

    await page.fill('#token-form input[name="token"]', TOKEN);
    await page.click('#token-form button[type="submit"]');
    await expect.poll(() => page.locator('#agents tbody tr').count(), WAIT).toBe(AGENTS.length);
    expect(sent).toContain(`Bearer ${TOKEN}`);
    expect(await page.locator('#forget-token').isVisible()).toBe(true);

    // A reload keeps the token (sessionStorage: this tab); another tab asks again.
    await page.reload();
    await expect.poll(() => page.locator('#agents tbody tr').count(), WAIT).toBe(AGENTS.length);
    expect(await page.locator('#token-form').isHidden()).toBe(true);
    const other = await openPage(await browser.newContext(), `${guarded.url}/ui`);
    await other.locator('#token-form').waitFor({ state: 'visible' });

    await page.click('#forget-token');
    await page.locator('#token-form').waitFor({ state: 'visible' });
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });
});
