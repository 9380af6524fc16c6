import { createServer } from 'node:http';
import type { Server } from 'node:http';

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

/**
 * `/healthz` answers 200 while the process's event loop runs — never tied to
 * turns, so a long turn cannot fail a liveness probe. `/readyz` answers 200
 * only when `ready()` says the pod can serve. `/metrics`, when `metrics` is
 * given, is the Prometheus text it makes.
 */
export async function startHealthServer(
  port: number,
  ready: () => { ready: boolean; detail: Record<string, unknown> },
  metrics?: () => Promise<{ contentType: string; body: string }>,
): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics' && metrics) {
      metrics().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${(error as Error).message}`),
      );
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (path === '/readyz') {
      const { ready: ok, detail } = ready();
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ok ? 'ready' : 'not ready', ...detail }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(`{"error":{"code":"not_found","message":"try /healthz, /readyz${metrics ? ' or /metrics' : ''}"}}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
