/** Building blocks shared by the dashboard pages: cards, figures, sentiment bars and badges. */
import type { Child } from 'hono/jsx';
import type { Figures } from '../analytics/figures.ts';
import { type ChangeKind, formatChange, formatCount, formatDateTime, shownChange } from './format.ts';

export const LABELS = ['negative', 'neutral', 'positive', 'mixed'] as const;

/** A shape as well as a colour, so the label never depends on telling colours apart. */
const LABEL_MARK: Record<string, string> = { negative: '▼', neutral: '●', positive: '▲', mixed: '◆' };

export function LabelBadge({ label, corrected }: { label: string | null; corrected?: boolean }) {
  const shown = label ?? 'unscored';
  return (
    <span class={`badge label label-${shown}`} data-testid="mention-label" data-label={shown}>
      <span aria-hidden="true">{LABEL_MARK[shown] ?? '○'}</span> <span data-field="label">{shown}</span>
      {corrected ? <span class="corrected"> (corrected)</span> : null}
    </span>
  );
}

export function Card({
  title,
  id,
  children,
  wide,
  note,
}: {
  title: string;
  id?: string;
  children?: Child;
  wide?: boolean;
  note?: Child;
}) {
  const headingId = id ? `${id}-title` : undefined;
  return (
    <section class={wide ? 'card wide' : 'card'} id={id} aria-labelledby={headingId}>
      <header class="card-head">
        <h2 id={headingId}>{title}</h2>
        {note ? <p class="card-note">{note}</p> : null}
      </header>
      {children}
    </section>
  );
}

/** A column heading: its label, or its label and class (`num` right-aligns, `bar-col` holds a bar). */
export type Column = Child | readonly [label: Child, cls: 'num' | 'bar-col'];

const withClass = (c: Column): c is readonly [Child, 'num' | 'bar-col'] => Array.isArray(c);

/** A table's header row. */
export function TableHead({ columns }: { columns: readonly Column[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c) =>
          withClass(c) ? (
            <th scope="col" class={c[1]}>
              {c[0]}
            </th>
          ) : (
            <th scope="col">{c}</th>
          ),
        )}
      </tr>
    </thead>
  );
}

export function EmptyState({ title, children }: { title: Child; children?: Child }) {
  return (
    <div class="empty" data-testid="empty-state">
      <p class="empty-title">{title}</p>
      {children}
    </div>
  );
}

/** Up is good (volume, net sentiment), up is bad (negative share), or neither. */
export type Direction = 'up-good' | 'up-bad' | 'neutral';

export function Change({
  value,
  kind,
  direction,
  compact,
}: {
  value: number | null | undefined;
  kind: ChangeKind;
  direction: Direction;
  /** In tables: a dash rather than "no previous data". */
  compact?: boolean;
}) {
  if (value === null || value === undefined) {
    return (
      <span class="change flat" data-change="" title="no previous data">
        {compact ? '—' : formatChange(value, kind)}
      </span>
    );
  }
  const shown = shownChange(value, kind);
  const tone =
    shown === 0 || direction === 'neutral'
      ? 'flat'
      : shown > 0 === (direction === 'up-good')
        ? 'good'
        : 'bad';
  return (
    <span class={`change ${tone}`} data-change={value}>
      <span aria-hidden="true">{shown > 0 ? '↑ ' : shown < 0 ? '↓ ' : ''}</span>
      {formatChange(value, kind)}
      <span class="sr-only"> against the previous period</span>
    </span>
  );
}

/** One headline figure with its change against the previous period. */
export function Figure({
  testId,
  label,
  value,
  shown,
  change,
  kind,
  direction,
  sub,
}: {
  testId: string;
  label: string;
  value: number | null;
  shown: string;
  change: number | null;
  kind: ChangeKind;
  direction: Direction;
  sub?: string;
}) {
  return (
    <div class="figure" data-testid={testId} data-value={value ?? ''}>
      <p class="figure-label">{label}</p>
      <p class="figure-value">{shown}</p>
      <p class="figure-change">
        <Change value={change} kind={kind} direction={direction} />
      </p>
      {sub ? <p class="figure-sub">{sub}</p> : null}
    </div>
  );
}

/**
 * Positive, neutral, mixed and negative as one bar: SVG rectangles sized by attributes (the page's
 * CSP allows no inline styles), coloured by class.
 */
export function SentimentBar({ figures: f }: { figures: Pick<Figures, (typeof LABELS)[number]> }) {
  const parts = [
    ['positive', f.positive],
    ['neutral', f.neutral],
    ['mixed', f.mixed],
    ['negative', f.negative],
  ] as const;
  const total = parts.reduce((sum, [, n]) => sum + n, 0);
  const label =
    total === 0 ? 'no labelled mentions' : parts.map(([name, n]) => `${name} ${formatCount(n)}`).join(', ');
  let x = 0;
  return (
    <svg class="sbar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label={label}>
      <title>{label}</title>
      {total === 0 ? <rect class="fill-empty" x="0" y="0" width="100" height="10" /> : null}
      {parts.map(([name, n]) => {
        if (n === 0 || total === 0) return null;
        const width = (n / total) * 100;
        const rect = (
          <rect class={`fill-${name}`} x={x.toFixed(3)} y="0" width={width.toFixed(3)} height="10" />
        );
        x += width;
        return rect;
      })}
    </svg>
  );
}

/** Aspect sentiment of a theme: its positive and negative sentences side by side. */
export function AspectBar({ positive, negative }: { positive: number; negative: number }) {
  return <SentimentBar figures={{ positive, negative, neutral: 0, mixed: 0 }} />;
}

export function DateTime({ at, timeZone }: { at: Date | string | null | undefined; timeZone: string }) {
  if (at === null || at === undefined) return <span>—</span>;
  const iso = new Date(at).toISOString();
  return <time datetime={iso}>{formatDateTime(iso, timeZone)}</time>;
}

/** Negative mentions over labelled ones (the headline "negative share"). */
export function negativeShare(f: Figures): number | null {
  const labelled = f.positive + f.neutral + f.negative + f.mixed;
  return labelled > 0 ? Math.round((f.negative / labelled) * 10000) / 10000 : null;
}
