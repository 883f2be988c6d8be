/**
 * The JSON answers of the API as zod schemas, for the document only: handlers never validate what
 * they answer. The type checker holds each route's answers to these shapes (a `Date` is its ISO
 * text); fields typed as any JSON in the domain (source options, rule conditions) are described in
 * words.
 */
import { extendZodWithOpenApi } from '@hono/zod-openapi';
import { z } from 'zod';
import { TREND_UNITS } from '../../db/queries/analytics.ts';
import { SOURCE_ERROR_CLASSES, type SourceErrorClass } from '../../sources/http.ts';
import { SEVERITIES } from '../alerts/fire.ts';
import { RULE_KINDS } from '../alerts/rules.ts';
import { BREAKDOWN_DIMS } from '../analytics/trends.ts';
import { JOB_OUTCOMES } from '../jobs/history.ts';
import { BRAND_KINDS, SENTIMENT_LABELS } from '../types.ts';

extendZodWithOpenApi(z); // `.openapi(name)` below (idempotent: @hono/zod-openapi does it on import)

const Id = z.number().int().positive();
const Count = z.number().int().min(0);
const Timestamp = z.iso.datetime({ offset: true });
const Share = z.number().nullable().meta({ description: '0..1; null when there is nothing to divide by' });

// Brands

export const Brand = z
  .object({
    id: Id,
    name: z.string(),
    kind: z.enum(BRAND_KINDS),
    include: z.array(z.string()),
    exclude: z.array(z.string()),
    blockedAuthors: z.array(z.string()),
    blockedDomains: z.array(z.string()),
    competitors: z.array(Id).meta({ description: 'Ids of the brands in its competitor panel' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .openapi('Brand');

export const BrandList = z.object({ items: z.array(Brand) });

// Analytics

const Figures = z
  .object({
    volume: Count,
    positive: Count,
    neutral: Count,
    negative: Count,
    mixed: Count,
    unscored: Count.meta({ description: 'Mentions with no label (not English)' }),
    meanSentiment: z.number().nullable().meta({ description: 'Mean model score, -1..1' }),
    netSentiment: z.number().nullable().meta({ description: '(positive - negative) / labelled, -1..1' }),
    rated: Count.meta({ description: 'Mentions with a star rating (reviews)' }),
    meanRating: z.number().nullable(),
    csat: Share.meta({ description: 'Share of rated mentions with 4 or 5 stars' }),
  })
  .openapi('Figures');

const AspectFigures = {
  aspectPositive: Count,
  aspectNegative: Count,
  aspectSentiment: z.number().nullable(),
};

const Change = z
  .object({
    volume: z
      .number()
      .nullable()
      .meta({ description: 'Relative ((now - before) / before); null when before was 0' }),
    positive: z.number().nullable(),
    negative: z.number().nullable(),
    meanSentiment: z.number().nullable().meta({ description: 'A difference (now - before)' }),
    netSentiment: z.number().nullable(),
    meanRating: z.number().nullable(),
    csat: z.number().nullable(),
  })
  .openapi('Change');

const Filters = z.object({
  source: z.string().optional(),
  touchpoint: z.string().optional(),
  theme: z.string().optional(),
  language: z.string().optional(),
});

const Period = z.object({ from: Timestamp, to: Timestamp });

/** The range the answer used: the requested one widened to whole buckets (or hours). */
const Range = {
  filters: Filters,
  from: Timestamp,
  to: Timestamp,
};

export const Trend = z
  .object({
    brandId: Id,
    interval: z.enum(TREND_UNITS),
    timeZone: z.string(),
    ...Range,
    buckets: z.array(
      Figures.extend({ start: Timestamp, ...z.object(AspectFigures).partial().shape }).meta({
        description: 'With `theme=`, also the aspect figures',
      }),
    ),
    totals: Figures.extend(z.object(AspectFigures).partial().shape),
    previous: Period.extend({ totals: Figures }),
    change: Change,
  })
  .openapi('Trend');

const BrandShare = Figures.extend({ brandId: Id, shareOfVoice: Share });

export const Comparison = z
  .object({
    brandId: Id,
    panel: z.array(z.object({ id: Id, name: z.string(), kind: z.string() })),
    interval: z.enum(TREND_UNITS),
    timeZone: z.string(),
    ...Range,
    buckets: z.array(z.object({ start: Timestamp, volume: Count, brands: z.array(BrandShare) })),
    totals: z.array(
      BrandShare.extend({
        previous: BrandShare,
        change: Change.extend({ shareOfVoice: z.number().nullable() }),
      }),
    ),
    headToHead: z.array(
      z.object({
        brands: z.tuple([Id, Id]),
        mentions: Count.meta({ description: 'Mentions naming both' }),
        wins: z
          .record(z.string(), Count)
          .meta({ description: 'By brand id: the mentions it came out better in' }),
        ties: Count,
      }),
    ),
    previous: Period,
  })
  .openapi('Comparison');

export const PanelThemes = z
  .object({
    brandId: Id,
    ...Range,
    themes: z.array(
      z.object({
        theme: z.string(),
        count: Count,
        brands: z.array(
          z.object({
            brandId: Id,
            count: Count,
            share: Share,
            aspectSentiment: z.number().nullable(),
            negativeShare: Share,
          }),
        ),
      }),
    ),
  })
  .openapi('PanelThemes');

export const ComparisonPage = z
  .object({
    items: z.array(
      z.object({
        id: Id,
        occurredAt: Timestamp,
        title: z.string().nullable(),
        text: z.string(),
        url: z.string().nullable(),
        sourceKind: z.string(),
        brands: z.array(z.object({ brandId: Id, stance: z.number().nullable() })),
        winner: Id.nullable().meta({ description: 'The panel brand that came out better; null for a tie' }),
      }),
    ),
    nextCursor: z.string().nullable(),
  })
  .openapi('ComparisonPage');

export const TopThemes = z
  .object({
    brandId: Id,
    ...Range,
    previous: Period,
    themes: z.array(
      z.object({
        theme: z.string(),
        count: Count,
        share: Share,
        ...AspectFigures,
        netSentiment: z.number().nullable(),
        previousCount: Count,
        change: z.number().nullable().meta({ description: 'Relative change of `count`; null when new' }),
      }),
    ),
  })
  .openapi('TopThemes');

export const EmergingThemes = z
  .object({
    brandId: Id,
    ...Range,
    previous: Period,
    themes: z.array(
      z.object({
        theme: z.string(),
        count: Count,
        previousCount: Count,
        isNew: z.boolean(),
        growth: z.number().nullable(),
        negative: Count,
        previousNegative: Count,
        negativeShare: Share,
        aspectSentiment: z.number().nullable(),
        score: z.number().meta({ description: 'The rise over its noise, weighted up by the negative share' }),
      }),
    ),
  })
  .openapi('EmergingThemes');

export const Breakdown = z
  .object({
    brandId: Id,
    by: z.string().openapi({ enum: [...BREAKDOWN_DIMS] }),
    ...Range,
    previous: Period,
    rows: z.array(
      Figures.extend({
        key: z.string().nullable().meta({ description: 'The source kind, touchpoint or language' }),
        previous: Figures,
        change: Change,
      }),
    ),
  })
  .openapi('Breakdown');

// Sources

const SourceHealth = z
  .object({
    status: z.enum(['new', 'ok', 'degraded', 'failing', 'disabled', 'push']),
    lastPolledAt: Timestamp.nullable(),
    lastSuccessAt: Timestamp.nullable(),
    lastError: z.string().nullable(),
    lastErrorStatus: z.number().int().nullable(),
    lastErrorKind: z
      .enum(SOURCE_ERROR_CLASSES as [SourceErrorClass, ...SourceErrorClass[]])
      .nullable()
      .openapi({
        description:
          'Whose side the last failure was on: timeout, http_4xx, http_5xx, rate_limited, parse, network, other.',
      }),
    lastErrorAt: Timestamp.nullable(),
    consecutiveFailures: Count,
    nextPollAt: Timestamp.nullable(),
    warnings: z.array(z.string()),
  })
  .openapi('SourceHealth');

export const Source = z
  .object({
    id: Id,
    name: z.string(),
    kind: z.string(),
    options: z.unknown().meta({
      description: "The kind's options (an object); credentials written inline are not shown",
    }),
    enabled: z.boolean(),
    pollIntervalSeconds: z.number().int(),
    brandIds: z.array(Id),
    health: SourceHealth,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .openapi('Source');

export const SourceList = z.object({ items: z.array(Source) });

export const SourceHealthAnswer = SourceHealth.extend({ id: Id, name: z.string(), kind: z.string() });

export const PollResult = z
  .object({
    sourceId: Id,
    status: z.enum(['ok', 'not_modified', 'failed']),
    fetched: Count,
    unreadable: Count,
    matched: Count,
    inserted: Count,
    duplicates: Count,
    syndicated: Count,
    insertedIds: z.array(Id),
    error: z.string().optional(),
    nextPollAt: Timestamp.nullable(),
  })
  .openapi('PollResult');

// Mentions

const Reason = z.object({ kind: z.string(), text: z.string(), effect: z.number() });

export const Mention = z
  .object({
    id: Id,
    source: z.object({ id: Id, name: z.string(), kind: z.string() }),
    externalId: z.string(),
    url: z.string().nullable(),
    author: z.string().nullable(),
    title: z.string().nullable(),
    text: z.string(),
    publishedAt: Timestamp.nullable(),
    fetchedAt: Timestamp,
    occurredAt: Timestamp,
    rating: z.number().nullable(),
    language: z.string().nullable(),
    sentiment: z
      .object({
        score: z.number().nullable(),
        label: z.string().openapi({ enum: [...SENTIMENT_LABELS] }),
        reasons: z.array(Reason),
        sentences: z.array(
          z.object({ text: z.string(), score: z.number(), reasons: z.array(Reason).optional() }),
        ),
      })
      .nullable(),
    brands: z.array(z.object({ id: Id, name: z.string() })),
    themes: z.array(z.string()),
    touchpoints: z.array(z.string()),
    intents: z.array(z.string()),
    engagement: z.unknown().meta({ description: 'Likes, reposts, replies… where the source reports them' }),
    labelCorrected: z.boolean(),
    duplicateOf: Id.nullable(),
  })
  .openapi('Mention');

export const MentionPage = z.object({ items: z.array(Mention), nextCursor: z.string().nullable() });

export const FeedbackPage = z.object({
  items: z.array(
    z.object({
      id: Id,
      mentionId: Id,
      text: z.string(),
      title: z.string().nullable(),
      rating: z.number().nullable(),
      modelLabel: z.string().nullable(),
      modelScore: z.number().nullable(),
      label: z.string(),
      note: z.string().nullable(),
      createdAt: Timestamp,
    }),
  ),
  next: z.number().int().nullable().meta({ description: 'The `after` of the next page' }),
});

// Ingest

export const PushResult = z
  .object({
    sourceId: Id,
    received: Count,
    matched: Count,
    inserted: Count,
    duplicates: Count,
    syndicated: Count,
    unmatched: Count.meta({ description: 'Valid items that name no brand: not stored' }),
    rejected: z.array(z.object({ index: Count, externalId: z.string().nullable(), message: z.string() })),
    insertedIds: z.array(Id),
  })
  .openapi('PushResult');

// Alerts

const Severity = z.enum(SEVERITIES);

export const Incident = z
  .object({
    id: Id,
    ruleId: Id,
    brandId: Id,
    kind: z.string(),
    groupKey: z.string(),
    status: z.enum(['open', 'acknowledged', 'resolved']),
    severity: Severity,
    title: z.string(),
    assignee: z.string().nullable(),
    eventCount: Count,
    mentionCount: Count,
    openedAt: Timestamp,
    lastEventAt: Timestamp,
    notifiedAt: Timestamp.nullable(),
    acknowledgedAt: Timestamp.nullable(),
    resolvedAt: Timestamp.nullable(),
  })
  .openapi('Alert');

export const IncidentPage = z.object({ items: z.array(Incident), nextCursor: z.string().nullable() });

export const Note = z.object({ id: Id, author: z.string().nullable(), text: z.string(), at: Timestamp });

export const IncidentDetail = Incident.extend({
  events: z.array(
    z.object({
      id: Id,
      at: Timestamp,
      severity: z.string(),
      summary: z.string(),
      mentionId: Id.nullable(),
      details: z.unknown().meta({ description: 'The explanation: figures against the baseline, examples' }),
    }),
  ),
  notes: z.array(Note),
  deliveries: z.array(
    z.object({
      id: Id,
      messageId: z.string(),
      channelId: Id,
      kind: z.string(),
      status: z.string(),
      attempts: Count,
      nextAttemptAt: Timestamp,
      lastStatusCode: z.number().int().nullable(),
      lastError: z.string().nullable(),
      createdAt: Timestamp,
      deliveredAt: Timestamp.nullable(),
      log: z.array(
        z.object({
          at: Timestamp,
          statusCode: z.number().int().nullable(),
          error: z.string().nullable(),
          latencyMs: z.number(),
        }),
      ),
    }),
  ),
}).openapi('AlertDetail');

export const AlertRule = z
  .object({
    id: Id,
    name: z.string(),
    brandId: Id,
    kind: z.enum(RULE_KINDS),
    conditions: z.unknown().meta({ description: "The kind's conditions, defaults filled in (an object)" }),
    channels: z.array(Id),
    severity: Severity,
    cooldownMinutes: z.number().int(),
    quietHours: z.unknown().meta({ description: '`{start, end, timeZone}`, or null' }),
    digest: z.enum(['hourly', 'daily']).nullable(),
    urgentSeverity: Severity.nullable(),
    mutedUntil: Timestamp.nullable(),
    enabled: z.boolean(),
    maxAlertsPerHour: z.number().int().nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .openapi('AlertRule');

/** A rule as listed and read: with what it has done lately. */
export const AlertRuleWithActivity = AlertRule.extend({
  lastFiredAt: Timestamp.nullable().meta({ description: 'When it last fired, if ever' }),
  lastDelivery: z
    .object({
      id: Id,
      channelId: Id,
      status: z.string(),
      attempts: Count,
      createdAt: Timestamp,
      deliveredAt: Timestamp.nullable(),
      lastStatusCode: z.number().int().nullable(),
      lastError: z.string().nullable(),
    })
    .nullable()
    .meta({ description: 'The newest delivery of its incidents' }),
}).openapi('AlertRuleWithActivity');

export const AlertRuleList = z.object({ items: z.array(AlertRuleWithActivity) });

export const Channel = z
  .object({
    id: Id,
    name: z.string(),
    kind: z.enum(['webhook', 'slack']),
    url: z
      .union([z.object({ env: z.string() }), z.object({ origin: z.string() })])
      .meta({ description: 'Where the URL comes from, or its origin only (its path is a credential)' }),
    signed: z.boolean(),
    enabled: z.boolean(),
    disabledReason: z.string().nullable(),
    disabledAt: Timestamp.nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .openapi('Channel');

export const ChannelList = z.object({ items: z.array(Channel) });

export const CreatedChannel = Channel.extend({
  signingSecret: z
    .string()
    .optional()
    .meta({ description: 'A generated webhook signing secret, shown in this answer only' }),
});

export const TestAlertResult = z
  .object({
    ok: z.boolean(),
    status: z.number().int().nullable().meta({ description: "The receiver's HTTP status" }),
    latencyMs: z.number(),
    error: z.string().optional(),
  })
  .openapi('TestAlertResult');

// Health

export const Health = z.object({
  status: z.enum(['ok', 'unavailable']),
  database: z.enum(['pglite', 'postgres']),
});

// Tokens

export const Token = z
  .object({
    id: Id,
    name: z.string(),
    scope: z.enum(['read', 'write', 'admin']),
    prefix: z.string().meta({ description: "The token's first characters, to tell it apart" }),
    rateLimitPerMinute: z
      .number()
      .int()
      .nullable()
      .meta({ description: "This token's requests a minute; null: the deployment's default" }),
    createdBy: z.string(),
    createdAt: Timestamp,
    lastUsedAt: Timestamp.nullable(),
    revokedAt: Timestamp.nullable(),
  })
  .openapi('Token');

export const TokenList = z.object({ items: z.array(Token) });

export const CreatedToken = z.object({
  token: Token,
  secret: z.string().meta({ description: 'The token itself, shown in this answer only (`es_…`)' }),
});

export const Me = z
  .object({
    tokenId: Id,
    name: z.string(),
    scope: z.enum(['read', 'write', 'admin']),
    via: z.enum(['bearer', 'session']),
  })
  .openapi('Me');

// Jobs

export const JobRun = z
  .object({
    id: Id,
    job: z.string(),
    startedAt: Timestamp,
    finishedAt: Timestamp,
    durationMs: Count,
    outcome: z.enum(JOB_OUTCOMES).meta({
      description: '`skipped`: the previous run of the job was still going (`counts.ticks` such ticks)',
    }),
    error: z.string().nullable().meta({ description: 'Why it failed, in a line' }),
    counts: z.record(z.string(), z.number()).meta({
      description: 'What the run did: polled, inserted, delivered, deleted… (all zero: nothing)',
    }),
    worker: z.string().meta({ description: 'The process that ran it: hostname:pid' }),
  })
  .openapi('JobRun');

export const JobRunPage = z.object({ items: z.array(JobRun), nextCursor: z.string().nullable() });

export const JobList = z.object({
  items: z.array(
    z
      .object({
        name: z.string(),
        schedule: z.string().meta({ description: 'Cron, six fields (seconds first), UTC' }),
        description: z.string(),
        lastRun: JobRun.nullable(),
        lastSuccess: JobRun.nullable(),
        lastFailure: JobRun.nullable(),
      })
      .openapi('Job'),
  ),
});
