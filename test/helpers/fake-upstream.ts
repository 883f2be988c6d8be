/**
 * A real HTTP server on 127.0.0.1 standing in for an upstream: tests register handlers per path
 * and read back the requests it saw. Never the internet.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
export type SeenRequest = { method: string; path: string; headers: IncomingMessage['headers'] };

export type FakeUpstream = {
  url: (path: string) => string;
  on: (path: string, handler: Handler) => void;
  requests: SeenRequest[];
  close: () => Promise<void>;
};

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const handlers = new Map<string, Handler>();
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push({ method: req.method ?? 'GET', path, headers: req.headers });
    const handler = handlers.get(path);
    if (!handler) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    Promise.resolve(handler(req, res)).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    on: (path, handler) => handlers.set(path, handler),
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Serves a body with optional ETag; answers 304 when the client already has that ETag. */
export function serveFeed(
  body: string | Buffer,
  options: { etag?: string; contentType?: string } = {},
): Handler {
  return (req, res) => {
    if (options.etag && req.headers['if-none-match'] === options.etag) {
      res.writeHead(304, { etag: options.etag }).end();
      return;
    }
    res.writeHead(200, {
      'content-type': options.contentType ?? 'application/rss+xml; charset=utf-8',
      ...(options.etag ? { etag: options.etag } : {}),
    });
    res.end(body);
  };
}

/** Answers with a JSON body (a string or Buffer is sent as it is, so tests can send broken JSON). */
export function sendJson(
  res: ServerResponse,
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
}

/** A handler that always answers with this JSON body. */
export function jsonHandler(body: unknown, headers: Record<string, string> = {}, status = 200): Handler {
  return (_req, res) => sendJson(res, body, status, headers);
}
