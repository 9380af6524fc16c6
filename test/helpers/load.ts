/** A steady stream of calls from a few concurrent workers, recording every outcome. */
export interface LoadRecorder {
  /** Calls that got 200, per key. */
  acknowledged: Map<string, number>;
  /** Calls that failed, with their status and body. */
  failures: { status: number; body: string }[];
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
      const response = await fetch(`${gatewayUrl}/v1/agents/${options.agent}/${encodeURIComponent(key)}/${options.method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-colony-timeout': options.timeout ?? '20s' },
        body: JSON.stringify(options.input ?? { by: 1 }),
      });
      const body = await response.text();
      if (response.status === 200) recorder.acknowledged.set(key, (recorder.acknowledged.get(key) ?? 0) + 1);
      else recorder.failures.push({ status: response.status, body });
    }
  };
  const workers = Array.from({ length: options.workers ?? 4 }, (_, i) => worker(i));
  recorder.stop = async () => {
    running = false;
    await Promise.all(workers);
  };
  return recorder;
}
