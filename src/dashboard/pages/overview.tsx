/**
 * Brand overview, for brand teams: the sentiment trend (stacked volume by label and the net
 * sentiment line), the headline figures against the previous period, and sentiment by source and
 * by touchpoint.
 */
import type { Figures } from '../../analytics/figures.ts';
import { type BreakdownRow, getBreakdown, getSentimentTrend } from '../../analytics/trends.ts';
import { Card, Change, EmptyState, Figure, negativeShare, SentimentBar, TableHead } from '../components.tsx';
import { formatChange, formatCount, formatDay, formatRating, formatScore, formatShare } from '../format.ts';
import { NoBrands, type PageContext, type PageResult, PeriodNote } from '../page.tsx';
import { apiUrl, pageUrl } from '../state.ts';
import { UserText } from '../text.tsx';

/** The series of the trend chart, bottom of the stack first; `netSentiment` is the line. */
export const TREND_SERIES = [
  { key: 'negative', name: 'Negative' },
  { key: 'mixed', name: 'Mixed' },
  { key: 'neutral', name: 'Neutral' },
  { key: 'positive', name: 'Positive' },
] as const;

function Headlines({
  now,
  before,
  change,
}: {
  now: Figures;
  before: Figures;
  change: {
    volume: number | null;
    netSentiment: number | null;
    meanRating: number | null;
    csat: number | null;
  };
}) {
  const share = negativeShare(now);
  const previousShare = negativeShare(before);
  const shareChange =
    share === null || previousShare === null ? null : Math.round((share - previousShare) * 10000) / 10000;
  const rated = now.rated > 0 || before.rated > 0;
  return (
    <div class="figures" id="headline-figures">
      <Figure
        testId="figure-volume"
        label="Mentions"
        value={now.volume}
        shown={formatCount(now.volume)}
        change={change.volume}
        kind="relative"
        direction="neutral"
        sub={`${formatCount(before.volume)} in the previous period`}
      />
      <Figure
        testId="figure-negative-share"
        label="Negative share"
        value={share}
        shown={formatShare(share)}
        change={shareChange}
        kind="points"
        direction="up-bad"
        sub={`${formatCount(now.negative)} negative of ${formatCount(now.volume - now.unscored)} labelled`}
      />
      <Figure
        testId="figure-net-sentiment"
        label="Net sentiment"
        value={now.netSentiment}
        shown={formatScore(now.netSentiment)}
        change={change.netSentiment}
        kind="score"
        direction="up-good"
        sub="(positive − negative) / labelled"
      />
      {rated ? (
        <Figure
          testId="figure-mean-rating"
          label="Mean rating"
          value={now.meanRating}
          shown={formatRating(now.meanRating)}
          change={change.meanRating}
          kind="rating"
          direction="up-good"
          sub={`${formatCount(now.rated)} reviews`}
        />
      ) : null}
      {rated ? (
        <Figure
          testId="figure-csat"
          label="CSAT"
          value={now.csat}
          shown={formatShare(now.csat)}
          change={change.csat}
          kind="points"
          direction="up-good"
          sub="share of 4–5★ reviews"
        />
      ) : null}
    </div>
  );
}

/** Sentiment per source kind or touchpoint, with the change in volume. */
function BreakdownTable({
  id,
  keyName,
  rows,
  link,
}: {
  id: string;
  keyName: string;
  rows: BreakdownRow[];
  link: (key: string) => string;
}) {
  if (rows.length === 0) {
    return <EmptyState title={`No mentions with a ${keyName} in this period.`} />;
  }
  return (
    <div class="table-wrap">
      <table class="data" id={id} data-testid={id}>
        <TableHead
          columns={[
            keyName[0]?.toUpperCase() + keyName.slice(1),
            ['Mentions', 'num'],
            ['Sentiment', 'bar-col'],
            ['Net', 'num'],
            ['Negative', 'num'],
            ['Change', 'num'],
          ]}
        />
        <tbody>
          {rows.map((row) => (
            <tr data-key={row.key ?? ''} data-volume={row.volume} data-net-sentiment={row.netSentiment ?? ''}>
              <th scope="row">
                {row.key === null ? (
                  <span class="muted">none</span>
                ) : (
                  <a href={link(row.key)}>
                    <UserText text={row.key} max={60} />
                  </a>
                )}
              </th>
              <td class="num">{formatCount(row.volume)}</td>
              <td class="bar-col">
                <SentimentBar figures={row} />
              </td>
              <td class="num">{formatScore(row.netSentiment)}</td>
              <td class="num">{formatShare(negativeShare(row))}</td>
              <td class="num">
                <Change value={row.change.volume} kind="relative" direction="neutral" compact />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export async function renderOverview(ctx: PageContext): Promise<PageResult> {
  const { deps, brand, state, range } = ctx;
  if (!brand) return { title: 'Overview', body: <NoBrands origin={ctx.origin} /> };
  const common = { brandId: brand.id, from: range.from, to: range.to, timeZone: state.timeZone };
  const [trend, bySource, byTouchpoint] = await Promise.all([
    getSentimentTrend({ deps, input: { ...common, interval: 'day' } }),
    getBreakdown({ deps, input: { ...common, by: 'source' } }),
    getBreakdown({ deps, input: { ...common, by: 'touchpoint' } }),
  ]);
  const trendSrc = apiUrl(`/api/brands/${brand.id}/trends`, {
    from: range.from,
    to: range.to,
    tz: state.timeZone,
    interval: 'day',
  });
  const totals = trend.totals;
  const mentionsLink = (extra: Record<string, string>) => pageUrl('/mentions', state, extra);
  const empty = totals.volume === 0 && trend.previous.totals.volume === 0;

  const body = (
    <>
      <PeriodNote ctx={ctx} />
      {empty ? (
        <Card title="No mentions in this period" id="no-mentions" wide>
          <EmptyState
            title={
              <>
                Nothing has mentioned <UserText text={brand.name} /> in the last {state.days} days.
              </>
            }
          >
            <p>
              Check that a source watches for it on the <a href={pageUrl('/alerts', state)}>alerts page</a>{' '}
              (source health), widen the period, or fetch now with <code>POST /api/sources/:id/poll</code>.
            </p>
          </EmptyState>
        </Card>
      ) : null}
      <Headlines now={totals} before={trend.previous.totals} change={trend.change} />
      <Card
        title="Sentiment over time"
        id="trend"
        wide
        note={`Mentions per day by label (stacked) and net sentiment (line, right axis), in ${state.timeZone}.`}
      >
        <div
          class="chart"
          id="chart-trend"
          data-testid="chart-trend"
          data-chart="trend"
          data-src={trendSrc}
          data-tz={state.timeZone}
          role="img"
          aria-label="Daily mentions by sentiment label, with the net sentiment line"
        />
        <p class="chart-readout" id="chart-trend-readout" aria-live="polite" />
        <ul class="legend" id="legend-trend" data-testid="legend-trend">
          {TREND_SERIES.map((s) => (
            <li data-series={s.key} data-value={totals[s.key]}>
              <span class={`swatch fill-${s.key}`} aria-hidden="true" />
              <span class="legend-name">{s.name}</span>{' '}
              <span class="legend-value" data-field="value">
                {formatCount(totals[s.key])}
              </span>
            </li>
          ))}
          <li data-series="netSentiment" data-value={totals.netSentiment ?? ''}>
            <span class="swatch line-net" aria-hidden="true" />
            <span class="legend-name">Net sentiment</span>{' '}
            <span class="legend-value" data-field="value">
              {formatScore(totals.netSentiment)}
            </span>
          </li>
          <li data-series="volume" data-value={totals.volume}>
            <span class="legend-name">Total</span>{' '}
            <span class="legend-value" data-field="value">
              {formatCount(totals.volume)}
            </span>
          </li>
        </ul>
        <details class="data-table">
          <summary>The numbers, day by day</summary>
          <div class="table-wrap">
            <table class="data" id="trend-table">
              <TableHead
                columns={['Day', ...TREND_SERIES.map((s) => [s.name, 'num'] as const), ['Net', 'num']]}
              />
              <tbody>
                {trend.buckets.map((b) => (
                  <tr data-start={b.start}>
                    <th scope="row">{formatDay(b.start, state.timeZone)}</th>
                    {TREND_SERIES.map((s) => (
                      <td class="num">{formatCount(b[s.key])}</td>
                    ))}
                    <td class="num">{formatScore(b.netSentiment)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      </Card>
      <div class="grid-2">
        <Card
          title="By source"
          id="by-source"
          note={`Volume change ${formatChange(trend.change.volume, 'relative')} overall.`}
        >
          <BreakdownTable
            id="breakdown-source"
            keyName="source"
            rows={bySource.rows}
            link={(key) => mentionsLink({ sourceKind: key })}
          />
        </Card>
        <Card title="By touchpoint" id="by-touchpoint" note="Where in the customer journey people speak.">
          <BreakdownTable
            id="breakdown-touchpoint"
            keyName="touchpoint"
            rows={byTouchpoint.rows}
            link={(key) => mentionsLink({ touchpoint: key })}
          />
        </Card>
      </div>
    </>
  );
  return { title: 'Overview', body, charts: true };
}
