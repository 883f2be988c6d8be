/**
 * A webhook receiver on 127.0.0.1 for delivery tests: verifies Standard Webhooks signatures with the
 * `standardwebhooks` package (a bad one gets 401), records every request, and can be told to answer
 * with another status (500, 410, 429 + Retry-After…), to answer late, or to be down (its port
 * closed). Without a secret it verifies nothing: a stand-in for a Slack incoming webhook.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export type ReceivedRequest = {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The signature checked out (always false without a secret). */
  verified: boolean;
  /** Why verification failed, if it did. */
  verifyError?: string;
  /** The status answered. */
  status: number;
  /** Wall-clock time of arrival (ms). */
  at: number;
};

export type ReceiverAnswer = {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answer this long after the request arrived (it is recorded on arrival). */
  delayMs?: number;
};

export type WebhookReceiver = {
  url: (path?: string) => string;
  /** The signing secret it verifies with (null: no verification). */
  secret: string | null;
  received: ReceivedRequest[];
  /** Requests that were verified (or not checked) and answered 2xx: what the receiver accepted. */
  accepted: () => ReceivedRequest[];
  /** Answer every later request like this, or as this function says (until told otherwise). */
  answer: (answer: ReceiverAnswer | (() => ReceiverAnswer)) => void;
  /** Answer the next requests like these, one each, then go back to the standing answer. */
  answerNext: (...answers: ReceiverAnswer[]) => void;
  /** Close the port (connections refused) until `up()`. */
  down: () => Promise<void>;
  up: () => Promise<void>;
  close: () => Promise<void>;
};

const OK: ReceiverAnswer = { status: 200, body: 'ok' };

export async function startWebhookReceiver(
  options: { secret?: string | null } = {},
): Promise<WebhookReceiver> {
  const secret = options.secret ?? null;
  const verifier = secret === null ? null : new Webhook(secret);
  const received: ReceivedRequest[] = [];
  let standing: ReceiverAnswer | (() => ReceiverAnswer) = OK;
  const late = new Set<ReturnType<typeof setTimeout>>();
  const queued: ReceiverAnswer[] = [];
  let port = 0;
  let server: Server | undefined;

  const handle = (req: IncomingMessage, body: string) => {
    let verified = false;
    let verifyError: string | undefined;
    if (verifier) {
      try {
        verifier.verify(body, req.headers as Record<string, string>);
        verified = true;
      } catch (error) {
        verifyError = error instanceof Error ? error.message : String(error);
      }
    }
    const answer: ReceiverAnswer = verifyError
      ? { status: 401, body: `signature rejected: ${verifyError}` }
      : (queued.shift() ?? (typeof standing === 'function' ? standing() : standing));
    received.push({
      path: new URL(req.url ?? '/', 'http://x').pathname,
      headers: req.headers,
      body,
      verified,
      ...(verifyError ? { verifyError } : {}),
      status: answer.status,
      at: Date.now(),
    });
    return answer;
  };

  const listen = async () => {
    const s = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answer = handle(req, Buffer.concat(chunks).toString('utf8'));
        const send = () => {
          res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
          res.end(answer.body ?? '');
        };
        if (!answer.delayMs) return send();
        const timer = setTimeout(() => {
          late.delete(timer);
          // The client may have gone (a killed sender): nothing to answer then.
          if (!res.destroyed) send();
        }, answer.delayMs);
        late.add(timer);
      });
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as AddressInfo).port;
    server = s;
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = undefined;
      for (const timer of late) clearTimeout(timer);
      late.clear();
      if (!s) return resolve();
      s.closeAllConnections();
      s.close(() => resolve());
    });

  await listen();
  return {
    url: (path = '/hooks/earshot') => `http://127.0.0.1:${port}${path}`,
    secret,
    received,
    accepted: () => received.filter((r) => r.status >= 200 && r.status < 300 && (r.verified || !verifier)),
    answer: (answer) => {
      standing = answer;
    },
    answerNext: (...answers) => {
      queued.push(...answers);
    },
    down: stop,
    // Same port again, so the channel's URL stays right.
    up: async () => {
      if (!server) await listen();
    },
    close: stop,
  };
}
