/**
 * The one `Database` interface: a row type per table, snake_case columns as in SQL.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { BrandKind, Json, SentimentLabel } from '../src/types.ts';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type JsonColumn<T = Json> = ColumnType<T, string, string>;

export interface BrandsTable {
  id: Generated<number>;
  name: string;
  kind: BrandKind;
  include_terms: string[];
  exclude_terms: string[];
  blocked_authors: Generated<string[]>;
  blocked_domains: Generated<string[]>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface SourcesTable {
  id: Generated<number>;
  name: string;
  kind: string;
  options: JsonColumn;
  enabled: Generated<boolean>;
  poll_interval_seconds: number;
  cursor: JsonColumn<Json | null> | null;
  next_poll_at: Timestamp;
  last_polled_at: Date | null;
  last_success_at: Date | null;
  last_error: string | null;
  last_error_at: Date | null;
  consecutive_failures: Generated<number>;
  /** HTTP status of the last failure, where there was one. */
  last_error_status: number | null;
  /** The class of the last failure (`SourceErrorClass` in sources/http.ts). */
  last_error_kind: string | null;
  /** Successful polls in a row that brought no new mention ("silence" alerts). */
  empty_polls: Generated<number>;
  /** Brands every item of this source is about, whether or not it names them. */
  assign_brand_ids: Generated<number[]>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface MentionsTable {
  id: Generated<number>;
  source_id: number;
  external_id: string;
  url: string | null;
  author: string | null;
  title: string | null;
  text: string;
  published_at: Date | null;
  fetched_at: Timestamp;
  /** published_at, or fetched_at where the upstream gave no usable date (generated column). */
  occurred_at: ColumnType<Date, never, never>;
  rating: number | null;
  language: string | null;
  sentiment_score: number | null;
  sentiment_label: SentimentLabel | null;
  sentences: JsonColumn<SentenceScore[] | null> | null;
  /** The features that moved the document's score most. */
  sentiment_reasons: JsonColumn<Reason[] | null> | null;
  touchpoints: Generated<string[]>;
  intents: Generated<string[]>;
  /** A user corrected the label (see sentiment_feedback). */
  label_corrected: Generated<boolean>;
  engagement: JsonColumn<Json | null> | null;
  /** The item's URL without tracking parameters, fragments or `www.`: equal for syndicated copies. */
  canonical_url: string | null;
  /** 64-bit SimHash of the text's word shingles: near-identical texts differ in a few bits. */
  text_simhash: number | null;
  /** The earlier mention this one repeats (syndication); trends count the story once. */
  duplicate_of: number | null;
}

export type Reason = { kind: string; text: string; effect: number };
export type SentenceScore = { text: string; score: number; reasons?: Reason[] };

export interface MentionBrandsTable {
  mention_id: number;
  brand_id: number;
  /** Copied from the mention so brand trends read one index. */
  occurred_at: Date;
  matched_terms: string[];
  /** The brand's own sentiment in the mention (the sentences naming it), −1..1. */
  sentiment_score: number | null;
}

export interface MentionThemesTable {
  mention_id: number;
  theme: string;
  sentiment_score: number | null;
}

export interface SentimentFeedbackTable {
  id: Generated<number>;
  mention_id: number;
  model_label: SentimentLabel | null;
  model_score: number | null;
  label: SentimentLabel;
  note: string | null;
  created_at: Generated<Date>;
}

export interface BrandCompetitorsTable {
  brand_id: number;
  competitor_id: number;
}

/** Sums per brand, dimension, key and UTC hour, day or week: see db/queries/rollups.ts. */
export interface RollupTable {
  brand_id: number;
  dim: string;
  key: string;
  at: Date;
  volume: number;
  positive: number;
  neutral: number;
  negative: number;
  mixed: number;
  scored: number;
  score_sum: number;
  rated: number;
  rating_sum: number;
  rating_high: number;
  aspect_scored: number;
  aspect_sum: number;
  aspect_positive: number;
  aspect_negative: number;
  wins: number;
  losses: number;
}

export type ChannelKind = 'webhook' | 'slack';
export type Severity = 'info' | 'warning' | 'critical';
export type IncidentStatus = 'open' | 'acknowledged' | 'resolved';
export type DeliveryStatus = 'pending' | 'sending' | 'delivered' | 'failed' | 'cancelled';

export interface AlertChannelsTable {
  id: Generated<number>;
  name: string;
  kind: ChannelKind;
  /** A secret reference: the URL itself or {"env": NAME}. */
  url: JsonColumn;
  /** Standard Webhooks signing secret (webhook channels), a secret reference. */
  secret: JsonColumn<Json | null> | null;
  enabled: Generated<boolean>;
  disabled_reason: string | null;
  disabled_at: Date | null;
  next_send_at: Generated<Date>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface AlertRulesTable {
  id: Generated<number>;
  name: string;
  brand_id: number;
  kind: string;
  conditions: JsonColumn;
  channel_ids: Generated<number[]>;
  severity: Generated<Severity>;
  cooldown_minutes: Generated<number>;
  quiet_hours: JsonColumn<Json | null> | null;
  digest: 'hourly' | 'daily' | null;
  urgent_severity: Severity | null;
  muted_until: Date | null;
  enabled: Generated<boolean>;
  /** Announcements per rolling hour before the rest go to the hourly digest; null: no cap. */
  max_alerts_per_hour: Generated<number | null>;
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface IncidentsTable {
  id: Generated<number>;
  rule_id: number;
  brand_id: number;
  kind: string;
  group_key: string;
  status: Generated<IncidentStatus>;
  severity: Severity;
  title: string;
  assignee: string | null;
  events: Generated<number>;
  mention_count: Generated<number>;
  opened_at: Date;
  last_event_at: Date;
  notified_at: Date | null;
  acknowledged_at: Date | null;
  resolved_at: Date | null;
}

export interface IncidentNotesTable {
  id: Generated<number>;
  incident_id: number;
  author: string | null;
  text: string;
  created_at: Generated<Date>;
}

export interface AlertEventsTable {
  id: Generated<number>;
  incident_id: number;
  rule_id: number;
  dedupe_key: string;
  mention_id: number | null;
  severity: Severity;
  summary: string;
  details: JsonColumn;
  created_at: Generated<Date>;
  digest_due_at: Date | null;
  announced_at: Date | null;
}

export interface AlertDeliveriesTable {
  id: Generated<number>;
  /** The webhook-id: the same on every retry. */
  message_id: string;
  channel_id: number;
  incident_id: number | null;
  /** alert | digest | test */
  kind: Generated<string>;
  payload: JsonColumn;
  status: Generated<DeliveryStatus>;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  lease_until: Date | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Generated<Date>;
  delivered_at: Date | null;
}

export interface AlertDeliveryAttemptsTable {
  id: Generated<number>;
  delivery_id: number;
  attempted_at: Date;
  status_code: number | null;
  error: string | null;
  latency_ms: number;
}

export type Scope = 'read' | 'write' | 'admin';

export interface ApiTokensTable {
  id: Generated<number>;
  name: string;
  scope: Scope;
  /** SHA-256 of the token, hex; the token itself is never stored. */
  hash: string;
  /** The token's first characters, to tell tokens apart in lists. */
  prefix: string;
  /** Requests a minute for this token; null: the deployment's default. */
  rate_limit_per_minute: number | null;
  /** Who made it: "first start", "cli", or "token <id>". */
  created_by: string;
  created_at: Generated<Date>;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface SessionsTable {
  /** SHA-256 of the session cookie's value, hex. */
  hash: string;
  token_id: number;
  /** The session's CSRF token, sent back by the dashboard on every state-changing request. */
  csrf: string;
  created_at: Generated<Date>;
  last_seen_at: Generated<Date>;
  expires_at: Date;
}

export type JobOutcome = 'ok' | 'failed' | 'skipped';

export interface JobRunsTable {
  id: Generated<number>;
  job: string;
  started_at: Date;
  finished_at: Date;
  outcome: JobOutcome;
  /** A short message when the run failed; never a stack. */
  error: string | null;
  /** The run's result as a few numbers (polled, inserted, delivered…). */
  counts: JsonColumn<Record<string, number>>;
  /** hostname:pid of the process that ran it. */
  worker: string;
}

export interface Database {
  brands: BrandsTable;
  sources: SourcesTable;
  mentions: MentionsTable;
  mention_brands: MentionBrandsTable;
  mention_themes: MentionThemesTable;
  sentiment_feedback: SentimentFeedbackTable;
  brand_competitors: BrandCompetitorsTable;
  rollup_hourly: RollupTable;
  rollup_daily: RollupTable;
  rollup_weekly: RollupTable;
  rollup_state: { version: number; closed_before: Date | null };
  alert_channels: AlertChannelsTable;
  alert_rules: AlertRulesTable;
  incidents: IncidentsTable;
  incident_notes: IncidentNotesTable;
  alert_events: AlertEventsTable;
  alert_deliveries: AlertDeliveriesTable;
  alert_delivery_attempts: AlertDeliveryAttemptsTable;
  api_tokens: ApiTokensTable;
  sessions: SessionsTable;
  job_runs: JobRunsTable;
}

export type BrandRow = Selectable<BrandsTable>;
export type NewBrandRow = Insertable<BrandsTable>;
export type BrandUpdate = Updateable<BrandsTable>;
export type SourceRow = Selectable<SourcesTable>;
export type NewSourceRow = Insertable<SourcesTable>;
export type SourceUpdate = Updateable<SourcesTable>;
export type MentionRow = Selectable<MentionsTable>;
export type NewMentionRow = Insertable<MentionsTable>;
export type AlertChannelRow = Selectable<AlertChannelsTable>;
export type AlertRuleRow = Selectable<AlertRulesTable>;
export type IncidentRow = Selectable<IncidentsTable>;
export type AlertEventRow = Selectable<AlertEventsTable>;
export type AlertDeliveryRow = Selectable<AlertDeliveriesTable>;
