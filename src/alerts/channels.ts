/**
 * Sending one message to one channel: a Standard Webhooks request (signed JSON, the message as it
 * was written) or a Slack incoming webhook (Block Kit with a plain-text fallback). Nothing here
 * touches the database; deliver.ts decides what an answer means.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { AlertChannelRow, ChannelKind } from '../../db/schema.ts';
import { parseRetryAfter, USER_AGENT } from '../../sources/http.ts';
import type { Deps } from '../deps.ts';
import { resolveSecretRef } from '../secrets.ts';
import type { AlertMessage, MessageEvent, MessageMention } from './message.ts';

export const DEFAULT_SEND_TIMEOUT_MS = 10_000;
/** What is kept of a receiver's answer (for the attempt log): hostile receivers send anything. */
export const MAX_RESPONSE_BYTES = 4096;

/** A signing secret for a new webhook channel: `whsec_` and 24 random bytes in base64. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** A channel with its secret references resolved: where to send, and how to sign. */
export type ChannelTarget = { kind: ChannelKind; url: string; secret: string | null };

export function resolveChannelTarget(
  deps: Pick<Deps, 'readSecret'>,
  channel: AlertChannelRow,
): ChannelTarget {
  return {
    kind: channel.kind,
    url: resolveSecretRef(deps.readSecret, channel.url, 'the channel URL'),
    secret:
      channel.secret === null
        ? null
        : resolveSecretRef(deps.readSecret, channel.secret, 'the signing secret'),
  };
}

/** How requests go out; tests pass their own fetch and a short timeout. */
export type Transport = { fetch?: typeof fetch; timeoutMs?: number };

/** What the receiver did. `status` is null when there was no HTTP answer (timeout, network, setup). */
export type SendOutcome = {
  status: number | null;
  latencyMs: number;
  /** Retry-After, in milliseconds, when the receiver sent one. */
  retryAfterMs?: number;
  /** The start of the receiver's answer (at most MAX_RESPONSE_BYTES), for the log. */
  body?: string;
  /** Why there was no answer. */
  error?: string;
};

export type OutgoingRequest = { body: string; headers: Record<string, string> };

/**
 * The Standard Webhooks request: the message JSON, signed over `id.timestamp.body`. The timestamp
 * is the wall clock at sending (receivers reject one more than a few minutes off theirs), so it is
 * not the scheduler's clock; the id is the delivery's, the same on every retry.
 */
export function renderWebhook(
  message: AlertMessage,
  messageId: string,
  secret: string | null,
  sentAt: Date = new Date(),
): OutgoingRequest {
  const body = JSON.stringify(message);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
  };
  if (secret !== null) headers['webhook-signature'] = new Webhook(secret).sign(messageId, sentAt, body);
  return { body, headers };
}

// --- Slack ----------------------------------------------------------------------------------------

/** Slack's limits: 50 blocks a message, 3000 characters a text, 150 a header, 10 fields a section. */
const SLACK_MAX_BLOCKS = 50;
const SLACK_MAX_TEXT = 3000;
const SLACK_MAX_HEADER = 150;
const SLACK_MAX_FIELD = 2000;
const QUOTE_LIMIT = 600;

type TextObject = { type: 'plain_text' | 'mrkdwn'; text: string; emoji?: boolean };
export type SlackBlock =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'divider' };
export type SlackMessage = { text: string; blocks: SlackBlock[] };

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Slack's three control characters in mrkdwn; everything else is shown as written. */
const escapeMrkdwn = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** `<url|label>` for an http(s) URL, else the label alone (a `javascript:` URL is not a link). */
function slackLink(url: string | null, label: string): string {
  const text = escapeMrkdwn(label);
  if (!url || !/^https?:\/\//i.test(url)) return text;
  const safe = url
    .replaceAll('&', '&amp;')
    .replaceAll('<', '%3C')
    .replaceAll('>', '%3E')
    .replaceAll('|', '%7C');
  return `<${safe}|${text.replaceAll('|', '¦')}>`;
}

const quote = (text: string, max = QUOTE_LIMIT) =>
  clip(text.trim(), max)
    .split('\n')
    .map((line) => `>${line ? ` ${escapeMrkdwn(line)}` : ''}`)
    .join('\n');

/** Slack shows this in the reader's time zone; the fallback is for clients that cannot. */
function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeMrkdwn(iso);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${new Date(ms).toISOString()}>`;
}

const SEVERITY_MARK: Record<string, string> = { critical: '🔴', warning: '🟠', info: '🔵' };
const severityMark = (severity: string) => SEVERITY_MARK[severity] ?? '⚪';
const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const mrkdwn = (text: string, max = SLACK_MAX_TEXT): TextObject => ({
  type: 'mrkdwn',
  text: clip(text, max),
});
const section = (text: string): SlackBlock => ({ type: 'section', text: mrkdwn(text) });
const header = (text: string): SlackBlock => ({
  type: 'header',
  text: { type: 'plain_text', text: clip(text, SLACK_MAX_HEADER), emoji: true },
});
const context = (...texts: string[]): SlackBlock => ({
  type: 'context',
  elements: texts.map((t) => mrkdwn(t)),
});

function sentimentText(m: MessageMention): string | undefined {
  if (m.sentimentLabel === null && m.sentimentScore === null && m.rating === null) return undefined;
  const parts: string[] = [];
  if (m.sentimentLabel !== null) parts.push(m.sentimentLabel);
  if (m.sentimentScore !== null) parts.push(`(${m.sentimentScore.toFixed(2)})`);
  if (m.rating !== null) parts.push(`· rated ${m.rating}`);
  return parts.join(' ');
}

/** The mention quoted, with its title linked to where it was said. */
function mentionText(m: MessageMention, quoteLimit = QUOTE_LIMIT): string {
  const title = m.title?.trim() || (m.url ? 'Open the mention' : 'Mention');
  const by = m.author ? ` by ${escapeMrkdwn(m.author)}` : '';
  const head = `*${slackLink(m.url, title)}*${by}`;
  return m.text.trim() ? `${head}\n${quote(m.text, quoteLimit)}` : head;
}

function incidentBlocks(message: AlertMessage): SlackBlock[] {
  const severity = message.incident?.severity ?? message.events[0]?.severity ?? 'info';
  const title = message.incident?.title ?? message.summary;
  const blocks: SlackBlock[] = [
    header(`${severityMark(severity)} ${capitalise(severity)}: ${title}`),
    section(escapeMrkdwn(message.summary)),
  ];
  const mention = message.events.find((e) => e.mention)?.mention ?? null;
  const fields: TextObject[] = [];
  const field = (name: string, value: string | undefined) => {
    if (value) fields.push(mrkdwn(`*${name}*\n${escapeMrkdwn(value)}`, SLACK_MAX_FIELD));
  };
  field('Brand', message.brand?.name);
  field('Rule', message.rule ? `${message.rule.name} (${message.rule.kind})` : undefined);
  field('Source', mention ? `${mention.sourceName} (${mention.sourceKind})` : undefined);
  field('Sentiment', mention ? sentimentText(mention) : undefined);
  if (fields.length > 0) blocks.push({ type: 'section', fields });
  if (mention) blocks.push(section(mentionText(mention)));
  const when = [
    `${message.type === 'incident.opened' ? 'Opened' : 'Updated'} ${slackDate(message.createdAt)}`,
  ];
  if (message.incident) {
    const i = message.incident;
    when.unshift(`Incident #${i.id} (${i.status})`);
    when.push(
      `${i.events} event${i.events === 1 ? '' : 's'}, ${i.mentionCount} mention${i.mentionCount === 1 ? '' : 's'}`,
    );
  }
  blocks.push(context(when.join(' · ')));
  return blocks;
}

function digestEventText(event: MessageEvent): string {
  const line = `${severityMark(event.severity)} *${escapeMrkdwn(event.summary)}* · ${slackDate(event.at)}`;
  return event.mention ? `${line}\n${mentionText(event.mention, 200)}` : line;
}

function digestBlocks(message: AlertMessage): SlackBlock[] {
  const name = [message.brand?.name, message.rule?.name].filter(Boolean).join(' · ');
  const head: SlackBlock[] = [
    header(`🗞️ Digest${name ? `: ${name}` : ''}`),
    section(escapeMrkdwn(message.summary)),
    { type: 'divider' },
  ];
  // Room for the head, one block per event, a "more" line and the closing context.
  const room = SLACK_MAX_BLOCKS - head.length - 2;
  const shown = message.events.slice(0, room);
  const blocks = [...head, ...shown.map((e) => section(digestEventText(e)))];
  const more = message.events.length - shown.length;
  if (more > 0) blocks.push(context(`…and ${more} more in earshot`));
  blocks.push(context(`Sent ${slackDate(message.createdAt)}`));
  return blocks;
}

function fallbackText(message: AlertMessage): string {
  if (message.type === 'digest' || message.type === 'test') return clip(message.summary, SLACK_MAX_TEXT);
  const severity = message.incident?.severity ?? message.events[0]?.severity ?? 'info';
  const title = message.incident?.title;
  const text = `[${severity.toUpperCase()}] ${title ? `${title}: ` : ''}${message.summary}`;
  return clip(text, SLACK_MAX_TEXT);
}

/** A message as Slack shows it: Block Kit, and `text` for notifications and old clients. */
export function renderSlack(message: AlertMessage): SlackMessage {
  const blocks =
    message.type === 'digest'
      ? digestBlocks(message)
      : message.type === 'test'
        ? [
            header('✅ Test alert from earshot'),
            section(escapeMrkdwn(message.summary)),
            context(`Sent ${slackDate(message.createdAt)}`),
          ]
        : incidentBlocks(message);
  return { text: fallbackText(message), blocks: blocks.slice(0, SLACK_MAX_BLOCKS) };
}

// --- Sending --------------------------------------------------------------------------------------

export function renderRequest(
  target: ChannelTarget,
  message: AlertMessage,
  messageId: string,
): OutgoingRequest {
  if (target.kind === 'slack') {
    return {
      body: JSON.stringify(renderSlack(message)),
      headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT },
    };
  }
  return renderWebhook(message, messageId, target.secret);
}

/** Reads at most `max` bytes of a body, then lets the rest go. */
async function readCapped(response: Response, max: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, max));
}

function describeFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `timed out after ${timeoutMs} ms`;
  }
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (cause?.code) return `network error: ${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return `network error: ${message}${cause?.message ? ` (${cause.message})` : ''}`;
}

/**
 * POSTs a request and reports what came back. Never throws: no answer is an outcome like any other.
 * Redirects are not followed (a POST would turn into a GET); a 3xx is reported as it is.
 */
export async function postRequest(
  url: string,
  request: OutgoingRequest,
  transport: Transport = {},
): Promise<SendOutcome> {
  const timeoutMs = transport.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
  const doFetch = transport.fetch ?? fetch;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await doFetch(url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await readCapped(response, MAX_RESPONSE_BYTES).catch(() => '');
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
    return {
      status: response.status,
      latencyMs: elapsed(),
      body,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  } catch (error) {
    return { status: null, latencyMs: elapsed(), error: describeFailure(error, timeoutMs) };
  }
}

/** Renders and sends one message to a resolved channel. */
export function sendToChannel(
  target: ChannelTarget,
  message: AlertMessage,
  messageId: string,
  transport: Transport = {},
): Promise<SendOutcome> {
  let request: OutgoingRequest;
  try {
    request = renderRequest(target, message, messageId);
  } catch (error) {
    // A signing secret that is not base64, say: nothing was sent.
    return Promise.resolve({
      status: null,
      latencyMs: 0,
      error: `cannot build the request: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
  return postRequest(target.url, request, transport);
}
