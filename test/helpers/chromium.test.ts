import { describe, expect, it } from 'vitest';
import { ensureChromium } from './chromium.ts';

describe('ensureChromium', () => {
  it('uses COLONY_CHROMIUM, and refuses one that does not exist', async () => {
    expect(await ensureChromium({ env: { COLONY_CHROMIUM: process.execPath } })).toBe(process.execPath);
    await expect(ensureChromium({ env: { COLONY_CHROMIUM: '/nonexistent/chrome' } })).rejects.toThrow('COLONY_CHROMIUM is /nonexistent/chrome, which does not exist');
  });

  it('finds the browser where the package puts it', async () => {
    expect(await ensureChromium({ env: {}, path: process.execPath, isRoot: false })).toBe(process.execPath);
  });

  it('fails loudly, saying what to install, when it is missing and cannot be installed', async () => {
    const lines: string[] = [];
    await expect(ensureChromium({ env: {}, path: '/nonexistent/chromium', isRoot: false, log: (line) => lines.push(line) })).rejects.toThrow(
      /\/nonexistent\/chromium is missing; (installing it with apt-get needs root|this machine has no apt-get)\. Install it \(Debian: apt-get install -y chromium\)/,
    );
    expect(lines).toEqual([]);
  });
});
