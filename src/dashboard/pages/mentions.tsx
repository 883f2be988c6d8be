/**
 * The mention feed, for support: filters, newest first, pages by cursor. Each mention shows where it
 * came from, its label with the reasons for it (sentences with their scores and the words and
 * patterns that moved them), and a control to correct the label (PATCH /api/mentions/:id) when the
 * token may change things (write scope; a read-only one sees a note instead).
 */
import { getMention, listMentions, type Mention } from '../../analytics/mentions.ts';
import { startOfLocalDate } from '../../analytics/time.ts';
import { listSources, type Source } from '../../catalog/sources.ts';
import { SENTIMENT_LABELS } from '../../types.ts';
import { Card, DateTime, EmptyState, LabelBadge } from '../components.tsx';
import { formatCount, formatScore } from '../format.ts';
import { NoBrands, type PageContext, type PageResult, PeriodNote } from '../page.tsx';
import { pageUrl } from '../state.ts';
import { ExternalLink, truncate, UserText, visibleText } from '../text.tsx';

export const PAGE_SIZE = 25;
/** Longer texts show this much, with the rest behind "Show the full text". */
const TEXT_PREVIEW = 1200;

/** Suggestions for the free-text filters (a deployment's vocabulary may add its own). */
const TOUCHPOINTS = ['service', 'product', 'price', 'delivery', 'digital', 'marketing'];
const INTENTS = ['churn', 'help', 'purchase'];

const FILTERS = ['source', 'sourceKind', 'label', 'touchpoint', 'intent', 'theme', 'q'] as const;
type FilterName = (typeof FILTERS)[number];
type FeedFilters = Partial<Record<FilterName, string>>;

function readFilters(query: Record<string, string>): FeedFilters {
  const filters: FeedFilters = {};
  for (const name of FILTERS) {
    const value = query[name]?.trim();
    if (value) filters[name] = value;
  }
  if (filters.label && !(SENTIMENT_LABELS as readonly string[]).includes(filters.label)) delete filters.label;
  if (filters.source && !/^\d{1,9}$/.test(filters.source)) delete filters.source;
  return filters;
}

function Reasons({ reasons }: { reasons: Array<{ kind: string; text: string; effect: number }> }) {
  if (reasons.length === 0) return null;
  return (
    <ul class="reasons">
      {reasons.map((r) => (
        <li class={r.effect < 0 ? 'reason down' : 'reason up'} data-kind={r.kind} data-effect={r.effect}>
          <span class="reason-kind">{r.kind}</span> <UserText text={r.text} max={120} />{' '}
          <span class="reason-effect">{formatScore(r.effect)}</span>
        </li>
      ))}
    </ul>
  );
}

function Explanation({ mention }: { mention: Mention }) {
  const s = mention.sentiment;
  if (!s) {
    return (
      <p class="muted small">
        Not scored{mention.language ? ` (language: ${mention.language})` : ''}: the model reads English only.
      </p>
    );
  }
  return (
    <details class="explanation" data-testid="mention-explanation">
      <summary>
        Why this label? <span class="muted">model score {formatScore(s.score)}</span>
      </summary>
      {mention.labelCorrected ? (
        <p class="small">The label was set by a person; the model's reasons follow.</p>
      ) : null}
      {s.reasons.length > 0 ? (
        <>
          <h4>What moved the score most</h4>
          <Reasons reasons={s.reasons} />
        </>
      ) : null}
      {s.sentences.length > 0 ? (
        <>
          <h4>Sentence by sentence</h4>
          <ol class="sentences">
            {s.sentences.map((sentence) => (
              <li data-score={sentence.score}>
                <span class={sentence.score < 0 ? 'score down' : 'score up'}>
                  {formatScore(sentence.score)}
                </span>{' '}
                <UserText text={sentence.text} max={600} />
                {sentence.reasons ? <Reasons reasons={sentence.reasons} /> : null}
              </li>
            ))}
          </ol>
        </>
      ) : null}
    </details>
  );
}

function Stars({ rating }: { rating: number }) {
  const full = Math.round(rating);
  return (
    <span class="rating" data-rating={rating} title={`${rating} of 5 stars`}>
      <span aria-hidden="true">
        {'★'.repeat(full)}
        {'☆'.repeat(Math.max(0, 5 - full))}
      </span>
      <span class="sr-only">{rating} of 5 stars</span>
    </span>
  );
}

function MentionCard({ mention: m, ctx }: { mention: Mention; ctx: PageContext }) {
  const label = m.sentiment?.label ?? null;
  const themeLink = (theme: string) => pageUrl('/mentions', ctx.state, { theme });
  const long = Array.from(m.text).length > TEXT_PREVIEW;
  return (
    <article class="mention" id={`mention-${m.id}`} data-mention-id={m.id} data-label={label ?? 'unscored'}>
      <header class="mention-head">
        <LabelBadge label={label} corrected={m.labelCorrected} />
        <span class="mention-source" data-testid="mention-source">
          <UserText text={m.source.name} max={60} /> <span class="muted">({m.source.kind})</span>
        </span>
        {m.author ? (
          <span class="mention-author" data-testid="mention-author">
            by <UserText text={m.author} max={80} />
          </span>
        ) : null}
        <DateTime at={m.occurredAt} timeZone={ctx.state.timeZone} />
        {m.rating !== null ? <Stars rating={m.rating} /> : null}
        {m.url ? (
          <span class="mention-link">
            <ExternalLink url={m.url} testId="mention-url" />
          </span>
        ) : null}
      </header>
      {m.title ? (
        <h3 class="mention-title" dir="auto" data-testid="mention-title">
          <UserText text={m.title} max={300} />
        </h3>
      ) : null}
      <p class="mention-text" dir="auto" data-testid="mention-text">
        {visibleText(long ? truncate(m.text, TEXT_PREVIEW) : m.text)}
      </p>
      {long ? (
        <details class="full-text">
          <summary>Show the full text</summary>
          <p class="mention-text" dir="auto">
            {visibleText(m.text)}
          </p>
        </details>
      ) : null}
      <ul class="chips" aria-label="About this mention">
        {m.brands.map((b) => (
          <li class="chip brand-chip">
            <UserText text={b.name} max={40} />
          </li>
        ))}
        {m.themes.slice(0, 12).map((t) => (
          <li class="chip">
            <a href={themeLink(t)} data-testid="theme-link" data-theme={t}>
              # <UserText text={t} max={40} />
            </a>
          </li>
        ))}
        {m.touchpoints.map((t) => (
          <li class="chip touchpoint">
            <UserText text={t} max={40} />
          </li>
        ))}
        {m.intents.map((t) => (
          <li class="chip intent">
            intent: <UserText text={t} max={40} />
          </li>
        ))}
        {m.duplicateOf !== null ? (
          <li class="chip">
            <a href={pageUrl('/mentions', ctx.state, { id: m.duplicateOf })}>copy of #{m.duplicateOf}</a>
          </li>
        ) : null}
      </ul>
      <Explanation mention={m} />
      {ctx.canWrite ? (
        <div class="label-fix" data-label-form={m.id}>
          <label for={`label-${m.id}`}>Correct the label</label>
          <select id={`label-${m.id}`} name="label" data-testid="label-select">
            {SENTIMENT_LABELS.map((l) => (
              <option value={l} selected={l === label}>
                {l}
              </option>
            ))}
          </select>
          <button type="button" class="button" data-testid="label-save" data-action="save-label">
            Save label
          </button>
          <a class="small muted" href={`/api/mentions/${m.id}`}>
            JSON
          </a>
        </div>
      ) : (
        <p class="label-fix read-only small muted" data-testid="read-only">
          Read-only token: correcting a label needs a token with the write scope.{' '}
          <a href={`/api/mentions/${m.id}`}>JSON</a>
        </p>
      )}
    </article>
  );
}

function FilterForm({
  ctx,
  filters,
  sources,
}: {
  ctx: PageContext;
  filters: FeedFilters;
  sources: Source[];
}) {
  const kinds = [...new Set(sources.map((s) => s.kind))].sort();
  const { state } = ctx;
  return (
    <form class="filters" method="get" action="/mentions" id="mention-filters" data-testid="mention-filters">
      {state.brandId !== undefined ? (
        <input type="hidden" name="brand" value={String(state.brandId)} />
      ) : null}
      <input type="hidden" name="days" value={String(state.days)} />
      <input type="hidden" name="tz" value={state.timeZone} />
      <label class="field wide-field">
        <span>Search</span>
        <input
          type="search"
          name="q"
          value={filters.q ?? ''}
          maxlength={200}
          placeholder="words in the title or text"
        />
      </label>
      <label class="field">
        <span>Source</span>
        <select name="source">
          <option value="">All sources</option>
          {sources.map((s) => (
            <option value={String(s.id)} selected={filters.source === String(s.id)}>
              {visibleText(truncate(s.name, 60))} ({s.kind})
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>Kind</span>
        <select name="sourceKind">
          <option value="">Any kind</option>
          {kinds.map((k) => (
            <option value={k} selected={filters.sourceKind === k}>
              {k}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>Label</span>
        <select name="label">
          <option value="">Any label</option>
          {SENTIMENT_LABELS.map((l) => (
            <option value={l} selected={filters.label === l}>
              {l}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        <span>Touchpoint</span>
        <input name="touchpoint" list="touchpoint-list" value={filters.touchpoint ?? ''} maxlength={50} />
      </label>
      <label class="field">
        <span>Intent</span>
        <input name="intent" list="intent-list" value={filters.intent ?? ''} maxlength={50} />
      </label>
      <label class="field">
        <span>Theme</span>
        <input name="theme" value={filters.theme ?? ''} maxlength={100} />
      </label>
      <datalist id="touchpoint-list">
        {TOUCHPOINTS.map((t) => (
          <option value={t} />
        ))}
      </datalist>
      <datalist id="intent-list">
        {INTENTS.map((t) => (
          <option value={t} />
        ))}
      </datalist>
      <div class="filter-actions">
        <button type="submit" class="button primary">
          Filter
        </button>
        <a class="button" href={pageUrl('/mentions', state)}>
          Clear
        </a>
      </div>
    </form>
  );
}

export async function renderMentions(ctx: PageContext): Promise<PageResult> {
  const { deps, brand, state, range, query } = ctx;
  if (!brand) return { title: 'Mentions', body: <NoBrands origin={ctx.origin} /> };
  const single = query.id && /^\d{1,9}$/.test(query.id) ? Number(query.id) : undefined;
  const filters = readFilters(query);
  const sources = await listSources({ deps });

  if (single !== undefined) {
    const mention = await getMention({ deps, input: { id: single } });
    return {
      title: `Mention #${mention.id}`,
      body: (
        <>
          <p class="lede">
            <a href={pageUrl('/mentions', state)}>← All mentions</a>
          </p>
          <ol class="feed" id="mention-feed" data-testid="mention-feed">
            <li>
              <MentionCard mention={mention} ctx={ctx} />
            </li>
          </ol>
        </>
      ),
    };
  }

  const page = await listMentions({
    deps,
    input: {
      brandId: brand.id,
      sourceId: filters.source === undefined ? undefined : Number(filters.source),
      sourceKind: filters.sourceKind,
      label: filters.label as (typeof SENTIMENT_LABELS)[number] | undefined,
      touchpoint: filters.touchpoint,
      intent: filters.intent,
      theme: filters.theme,
      q: filters.q,
      from: startOfLocalDate(range.from, state.timeZone),
      to: startOfLocalDate(range.to, state.timeZone),
      cursor: query.cursor || undefined,
      limit: PAGE_SIZE,
    },
  });
  const filtered = Object.keys(filters).length > 0;

  const body = (
    <>
      <PeriodNote ctx={ctx} against={false} />
      <Card title="Filters" id="filters" wide>
        <FilterForm ctx={ctx} filters={filters} sources={sources} />
      </Card>
      <section class="feed-section" aria-labelledby="feed-title">
        <h2 id="feed-title" class="sr-only">
          Mentions
        </h2>
        {page.items.length === 0 ? (
          <Card title="No mentions" id="no-mentions" wide>
            <EmptyState
              title={
                filtered ? 'No mention matches these filters in this period.' : 'No mentions in this period.'
              }
            >
              <p>
                {filtered ? (
                  <a href={pageUrl('/mentions', state)}>Clear the filters</a>
                ) : (
                  <>
                    Widen the period, or check the sources on the{' '}
                    <a href={pageUrl('/alerts', state)}>alerts page</a>
                  </>
                )}
                .
              </p>
            </EmptyState>
          </Card>
        ) : (
          <ol class="feed" id="mention-feed" data-testid="mention-feed" data-count={page.items.length}>
            {page.items.map((m) => (
              <li>
                <MentionCard mention={m} ctx={ctx} />
              </li>
            ))}
          </ol>
        )}
        <nav class="pager" aria-label="Pages">
          {query.cursor ? (
            <a class="button" href={pageUrl('/mentions', state, filters)} data-testid="first-page">
              ← Newest
            </a>
          ) : null}
          {page.nextCursor ? (
            <a
              class="button"
              href={pageUrl('/mentions', state, { ...filters, cursor: page.nextCursor })}
              data-testid="next-page"
              rel="next"
            >
              Older →
            </a>
          ) : null}
          <span class="muted small">{formatCount(page.items.length)} shown</span>
        </nav>
      </section>
      <p id="mentions-status" class="sr-only" aria-live="polite" />
    </>
  );
  return { title: 'Mentions', body };
}
