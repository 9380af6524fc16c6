import { describe, expect, it } from 'vitest';
import { PARENT_GONE_DRAIN_MS, parentGone, parentGoneDrainMs, watchParent } from './parent-watch.ts';

describe('a pod whose colony dev is gone', () => {
  it('notices when its parent pid changed (it was adopted)', () => {
    expect(parentGone(100, 100)).toBe(false);
    expect(parentGone(100, 1)).toBe(true);
  });

  it('drains no longer than PARENT_GONE_DRAIN_MS, and no longer than its own drain timeout', () => {
    expect(parentGoneDrainMs(30_000)).toBe(PARENT_GONE_DRAIN_MS);
    expect(parentGoneDrainMs(1_000)).toBe(1_000);
  });

  it('is told at once when its parent was gone before the watch began', async () => {
    const gone = await new Promise<boolean>((resolve) => {
      watchParent(process.ppid + 1, () => resolve(true));
      setTimeout(() => resolve(false), 50);
    });
    expect(gone).toBe(true);
  });

  it('is not told while its parent lives', async () => {
    let told = false;
    const stop = watchParent(process.ppid, () => (told = true), { intervalMs: 5 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    stop();
    expect(told).toBe(false);
  });
});
