/** A steady stream of calls from a few concurrent workers, recording every outcome. */
export interface LoadRecorder {
  /** Calls that got 200, per key. */
  acknowledged: Map<string, number>;
  /** Calls that failed, with their key, status and body (status 0: no HTTP answer, the body says why). */
  failures: { key: string; status: number; body: string }[];
  sent: number;
  stop(): Promise<void>;
}

export function startLoad(
  gatewayUrl: string,
  options: { agent: string; method: string; keys: string[]; workers?: number; timeout?: string; input?: unknown },
): LoadRecorder {
  const recorder: LoadRecorder = { acknowledged: new Map(), failures: [], sent: 0, stop: async () => undefined };
  let running = true;
  const worker = async (index: number): Promise<void> => {
    let n = 0;
    while (running) {
      n += 1;
      const key = options.keys[(index + n) % options.keys.length] as string;
      recorder.sent += 1;
      let status = 0;
      let body: string;
      try {
        const response = await fetch(`${gatewayUrl}/v1/agents/${options.agent}/${encodeURIComponent(key)}/${options.method}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-colony-timeout': options.timeout ?? '20s' },
          body: JSON.stringify(options.input ?? { by: 1 }),
        });
        status = response.status;
        body = await response.text();
      } catch (error) {
        body = `no answer: ${(error as Error).message} (${String((error as { cause?: unknown }).cause ?? '')})`;
      }
      if (status === 200) recorder.acknowledged.set(key, (recorder.acknowledged.get(key) ?? 0) + 1);
      else recorder.failures.push({ key, status, body });
    }
  };
  const workers = Array.from({ length: options.workers ?? 4 }, (_, i) => worker(i));
  recorder.stop = async () => {
    running = false;
    await Promise.all(workers);
  };
  return recorder;
}
