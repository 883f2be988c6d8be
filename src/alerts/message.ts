/**
 * What a channel is sent: one JSON message per delivery, built when the alert is written (so every
 * retry sends the same bytes) and rendered per channel at send time (a webhook posts it as is, Slack
 * as Block Kit with a text fallback).
 */
import type { Json } from '../types.ts';

export type MessageType = 'incident.opened' | 'incident.updated' | 'digest' | 'test';

export type MessageMention = {
  id: number;
  url: string | null;
  author: string | null;
  title: string | null;
  /** The text, cut to MESSAGE_TEXT_LIMIT characters. */
  text: string;
  sourceKind: string;
  sourceName: string;
  publishedAt: string | null;
  sentimentLabel: string | null;
  sentimentScore: number | null;
  rating: number | null;
  /** Why the model labelled it so: the features that moved the score most. */
  reasons: Json;
};

export type MessageEvent = {
  id: number;
  at: string;
  severity: string;
  summary: string;
  mention: MessageMention | null;
};

export type AlertMessage = {
  type: MessageType;
  /** When the alert was written (ISO 8601). */
  createdAt: string;
  brand: { id: number; name: string } | null;
  rule: { id: number; name: string; kind: string } | null;
  incident: {
    id: number;
    status: string;
    severity: string;
    title: string;
    openedAt: string;
    events: number;
    mentionCount: number;
  } | null;
  /** One line saying what happened. */
  summary: string;
  /** The explanation: figures against the baseline, top themes and sources, example mentions. */
  details: Json;
  /** The event(s) the message is about: one for an alert, several for a digest. */
  events: MessageEvent[];
};

export const MESSAGE_TEXT_LIMIT = 500;
