/**
 * Alert channels: where alerts go (a signed webhook, a Slack incoming webhook). Domain verbs used by
 * the API and the config file alike. URLs and signing secrets are secret references (a literal or
 * {"env": NAME}); answers never show a literal secret, only where it comes from.
 */
import { z } from 'zod';
import type { AlertChannelRow } from '../../db/schema.ts';
import { SecretRef } from '../../sources/types.ts';
import type { Deps } from '../deps.ts';
import { AppError, conflictOnDuplicate, parseInput } from '../errors.ts';
import { isSealed, sealRef } from '../secrets.ts';
import { generateWebhookSecret } from './channels.ts';

const ChannelUrl = z.union([
  z.url({ protocol: /^https?$/, message: 'an http(s) URL' }).max(2048),
  z.strictObject({ env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name') }),
]);

/** Literal URLs and secrets are encrypted before they are stored (a Slack URL is a credential). */
function sealed(deps: Deps, channel: { url?: unknown; secret?: unknown }) {
  return {
    url:
      channel.url === undefined ? undefined : sealRef(deps.readSecret, channel.url, 'the channel URL', true),
    secret:
      channel.secret === undefined
        ? undefined
        : sealRef(deps.readSecret, channel.secret, 'the signing secret'),
  };
}

export const ChannelInput = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    kind: z.enum(['webhook', 'slack']),
    /** The receiver's URL (for Slack, the incoming-webhook URL), or {"env": NAME}. */
    url: ChannelUrl,
    /** Standard Webhooks signing secret (webhook channels); generated when left out. */
    secret: SecretRef.optional(),
    enabled: z.boolean().default(true),
  })
  .refine((c) => c.kind === 'webhook' || c.secret === undefined, {
    message: 'only webhook channels are signed (Slack URLs carry their own secret)',
    path: ['secret'],
  });
export type ChannelInput = z.input<typeof ChannelInput>;

export const ChannelPatch = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  url: ChannelUrl.optional(),
  secret: SecretRef.optional(),
  /** Enabling a channel the worker disabled (404/410) resumes its held deliveries. */
  enabled: z.boolean().optional(),
});

export type Channel = {
  id: number;
  name: string;
  kind: AlertChannelRow['kind'];
  /** `{"env": NAME}`, or the URL's origin only (the path of a Slack or webhook URL is a credential). */
  url: { env: string } | { origin: string };
  signed: boolean;
  enabled: boolean;
  /** Why delivery stopped (the receiver answered 404 or 410), until the channel is enabled again. */
  disabledReason: string | null;
  disabledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

function redact(ref: unknown): Channel['url'] {
  if (isSealed(ref)) return { origin: ref.origin ?? '' };
  if (ref && typeof ref === 'object' && 'env' in ref) return { env: String((ref as { env: unknown }).env) };
  try {
    return { origin: new URL(String(ref)).origin };
  } catch {
    return { origin: '' };
  }
}

export function toChannel(row: AlertChannelRow): Channel {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    url: redact(row.url),
    signed: row.secret !== null,
    enabled: row.enabled,
    disabledReason: row.disabled_reason,
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function insertValues(
  deps: Deps,
  channel: z.output<typeof ChannelInput>,
): {
  values: Record<string, unknown>;
  secret?: string;
} {
  const generated =
    channel.kind === 'webhook' && channel.secret === undefined ? generateWebhookSecret() : undefined;
  const stored = sealed(deps, { url: channel.url, secret: channel.secret ?? generated });
  return {
    values: {
      name: channel.name,
      kind: channel.kind,
      url: JSON.stringify(stored.url),
      secret: stored.secret === undefined ? null : JSON.stringify(stored.secret),
      enabled: channel.enabled,
    },
    ...(generated ? { secret: generated } : {}),
  };
}

/** Creates a channel; a generated signing secret is shown in this answer only (`signingSecret`). */
export async function createChannel({
  deps,
  input,
}: {
  deps: Deps;
  input: unknown;
}): Promise<Channel & { signingSecret?: string }> {
  const channel = parseInput(ChannelInput, input, 'channel');
  const { values, secret } = insertValues(deps, channel);
  const row = await conflictOnDuplicate(`a channel named "${channel.name}" already exists`, () =>
    deps.db
      .insertInto('alert_channels')
      .values(values as never)
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
  return { ...toChannel(row), ...(secret ? { signingSecret: secret } : {}) };
}

/**
 * Insert or update by name (the config file). A webhook channel declared there names its signing
 * secret (usually {"env": NAME}): a generated one would be known to nobody.
 */
export async function upsertChannel({ deps, input }: { deps: Deps; input: unknown }): Promise<Channel> {
  const channel = parseInput(ChannelInput, input, 'channel');
  if (channel.kind === 'webhook' && channel.secret === undefined) {
    throw new AppError(
      'validation_failed',
      `channel "${channel.name}": a webhook channel in the config file needs its signing secret, e.g. "secret": {"env": "EARSHOT_WEBHOOK_SECRET"}`,
    );
  }
  const { values } = insertValues(deps, channel);
  const update: Record<string, unknown> = { kind: channel.kind, url: values.url, updated_at: deps.now() };
  if (channel.secret !== undefined) update.secret = values.secret;
  const row = await deps.db
    .insertInto('alert_channels')
    .values(values as never)
    .onConflict((oc) => oc.column('name').doUpdateSet(update as never))
    .returningAll()
    .executeTakeFirstOrThrow();
  return toChannel(row);
}

export async function listChannels({ deps }: { deps: Deps }): Promise<Channel[]> {
  const rows = await deps.db.selectFrom('alert_channels').selectAll().orderBy('id').execute();
  return rows.map(toChannel);
}

export async function getChannelRow(deps: Deps, id: number): Promise<AlertChannelRow> {
  const row = await deps.db.selectFrom('alert_channels').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw AppError.notFound('channel', id);
  return row;
}

export async function getChannel({ deps, input }: { deps: Deps; input: { id: number } }): Promise<Channel> {
  return toChannel(await getChannelRow(deps, input.id));
}

export async function updateChannel({
  deps,
  input,
}: {
  deps: Deps;
  input: { id: number; patch: unknown };
}): Promise<Channel> {
  const patch = parseInput(ChannelPatch, input.patch, 'channel');
  const current = await getChannelRow(deps, input.id);
  if (patch.secret !== undefined && current.kind !== 'webhook') {
    throw new AppError('validation_failed', 'only webhook channels are signed');
  }
  const set: Record<string, unknown> = { updated_at: deps.now() };
  if (patch.name !== undefined) set.name = patch.name;
  const stored = sealed(deps, patch);
  if (stored.url !== undefined) set.url = JSON.stringify(stored.url);
  if (stored.secret !== undefined) set.secret = JSON.stringify(stored.secret);
  if (patch.enabled !== undefined) {
    set.enabled = patch.enabled;
    if (patch.enabled) Object.assign(set, { disabled_reason: null, disabled_at: null });
  }
  const row = await conflictOnDuplicate(`a channel named "${patch.name}" already exists`, () =>
    deps.db
      .updateTable('alert_channels')
      .set(set as never)
      .where('id', '=', input.id)
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
  return toChannel(row);
}

/** Deletes a channel and its outbox rows; rules that named it no longer do. */
export async function deleteChannel({ deps, input }: { deps: Deps; input: { id: number } }): Promise<void> {
  await deps.db.transaction().execute(async (tx) => {
    const deleted = await tx.deleteFrom('alert_channels').where('id', '=', input.id).executeTakeFirst();
    if (deleted.numDeletedRows === 0n) throw AppError.notFound('channel', input.id);
    await tx
      .updateTable('alert_rules')
      .set((eb) => ({ channel_ids: eb.fn('array_remove', ['channel_ids', eb.val(input.id)]) }) as never)
      .where((eb) => eb(eb.val(input.id), '=', eb.fn.any('channel_ids')))
      .execute();
  });
}
