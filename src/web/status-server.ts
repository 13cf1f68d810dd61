/**
 * The receiver's HTTP side: `GET /metrics` (Prometheus text format), `GET /status` (JSON: the
 * receiver, the index, the queue, the disk) and `GET /healthz` (liveness, no auth). node:http is
 * enough for three read-only routes with no request bodies; the web API and dashboard (a later
 * issue) bring a framework. With an auth token configured, every route but /healthz wants
 * `Authorization: Bearer <token>` (Prometheus sends one with `authorization.credentials`).
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export interface StatusServerOptions {
  readonly host: string;
  readonly port: number;
  readonly authToken: string | null;
  readonly registry: Registry;
  /** The body of /status. */
  readonly status: () => Promise<unknown>;
  readonly onError?: ((error: unknown) => void) | undefined;
}

export class StatusServer {
  private readonly server: Server;

  constructor(private readonly options: StatusServerOptions) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        options.onError?.(error);
        if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
        else res.destroy();
      });
    });
    // Idle keep-alive sockets must not hold shutdown up.
    this.server.keepAliveTimeout = 5_000;
  }

  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        if (address === null || typeof address === 'string') {
          reject(new Error('HTTP server has no address'));
          return;
        }
        resolve({ host: address.address, port: address.port });
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain', 'only GET\n', { allow: 'GET, HEAD' });
      return;
    }
    if (url.pathname === '/healthz') {
      send(res, 200, 'text/plain', 'ok\n');
      return;
    }
    if (!this.authorized(req)) {
      send(res, 401, 'text/plain', 'missing or wrong bearer token\n', {
        'www-authenticate': 'Bearer',
      });
      return;
    }
    switch (url.pathname) {
      case '/metrics':
        send(res, 200, this.options.registry.contentType, await this.options.registry.metrics());
        return;
      case '/status':
        send(
          res,
          200,
          'application/json',
          `${JSON.stringify(await this.options.status(), null, 2)}\n`,
        );
        return;
      default:
        send(res, 404, 'text/plain', 'not found: /status, /metrics, /healthz\n');
    }
  }

  private authorized(req: IncomingMessage): boolean {
    const token = this.options.authToken;
    if (token === null) return true;
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (match === null) return false;
    const given = Buffer.from(match[1]!.trim());
    const expected = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
  res.end(body);
}
