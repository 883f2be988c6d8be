/**
 * Competitors, for marketers: share of voice over time, the panel's sentiment side by side, head to
 * head comparisons, and the themes where competitors are weak and the brand strong, and the reverse.
 */
import { compareThemes, type PanelTheme } from '../../analytics/themes.ts';
import { compareBrands } from '../../analytics/trends.ts';
import { Card, Change, EmptyState, negativeShare, SentimentBar, TableHead } from '../components.tsx';
import { formatCount, formatRating, formatScore, formatShare } from '../format.ts';
import { curlJson, NoBrands, type PageContext, type PageResult, PeriodNote, TokenNote } from '../page.tsx';
import { apiUrl, pageUrl } from '../state.ts';
import { UserText } from '../text.tsx';

/** A theme counts as a strength or weakness when the aspect sentiments differ by more than this. */
export const MIN_THEME_GAP = 0.1;
/** Distinct brand colours (classes c0…c7 in the stylesheet, the same order in charts.js). */
const PALETTE_SIZE = 8;

export type ThemeGap = {
  theme: string;
  ours: number;
  theirs: number;
  gap: number;
  count: number;
  theirCount: number;
};

/**
 * Each theme both sides talk about, with the brand's aspect sentiment against its competitors'
 * (weighted by their mentions of it): positive gaps are strengths, negative ones weaknesses.
 */
export function themeGaps(themes: PanelTheme[], brandId: number): ThemeGap[] {
  const gaps: ThemeGap[] = [];
  for (const t of themes) {
    const ours = t.brands.find((b) => b.brandId === brandId);
    const others = t.brands.filter((b) => b.brandId !== brandId && b.count > 0 && b.aspectSentiment !== null);
    if (!ours || ours.count === 0 || ours.aspectSentiment === null || others.length === 0) continue;
    const theirCount = others.reduce((s, b) => s + b.count, 0);
    const theirs = others.reduce((s, b) => s + (b.aspectSentiment ?? 0) * b.count, 0) / theirCount;
    const gap = Math.round((ours.aspectSentiment - theirs) * 1000) / 1000;
    gaps.push({ theme: t.theme, ours: ours.aspectSentiment, theirs, gap, count: ours.count, theirCount });
  }
  return gaps;
}

function GapList({
  id,
  gaps,
  link,
  empty,
}: {
  id: string;
  gaps: ThemeGap[];
  link: (theme: string) => string;
  empty: string;
}) {
  if (gaps.length === 0) return <EmptyState title={empty} />;
  return (
    <ul class="gap-list" id={id} data-testid={id}>
      {gaps.map((g) => (
        <li data-theme={g.theme} data-gap={g.gap}>
          <a href={link(g.theme)} data-testid="theme-link" data-theme={g.theme}>
            <UserText text={g.theme} max={80} />
          </a>
          <span class="gap-figures">
            us {formatScore(g.ours)} ({formatCount(g.count)}) · them {formatScore(g.theirs)} (
            {formatCount(g.theirCount)})
          </span>
        </li>
      ))}
    </ul>
  );
}

export async function renderCompetitors(ctx: PageContext): Promise<PageResult> {
  const { deps, brand, state, range, brands } = ctx;
  if (!brand) return { title: 'Competitors', body: <NoBrands origin={ctx.origin} /> };
  if (brand.competitors.length === 0) {
    const others = brands.filter((b) => b.id !== brand.id).map((b) => b.name);
    const example = JSON.stringify({ competitors: others.length > 0 ? others.slice(0, 3) : ['Globex'] });
    return {
      title: 'Competitors',
      body: (
        <Card title="No competitor panel" id="no-competitors" wide>
          <EmptyState
            title={
              <>
                <UserText text={brand.name} /> has no competitors to compare with yet.
              </>
            }
          >
            <p>
              Add competitor brands (kind <code>competitor</code>) and name them in this brand's{' '}
              <code>competitors</code>, in <code>earshot.config.json</code> or through the API:
            </p>
            <pre>
              <code>{curlJson(ctx.origin, `/api/brands/${brand.id}`, example, 'PATCH')}</code>
            </pre>
            <TokenNote />
          </EmptyState>
        </Card>
      ),
    };
  }

  const common = { brandId: brand.id, from: range.from, to: range.to, timeZone: state.timeZone };
  const [comparison, panelThemes] = await Promise.all([
    compareBrands({ deps, input: { ...common, interval: 'day' } }),
    compareThemes({ deps, input: { ...common, limit: 60 } }),
  ]);
  const sovSrc = apiUrl(`/api/brands/${brand.id}/compare`, {
    from: range.from,
    to: range.to,
    tz: state.timeZone,
    interval: 'day',
  });
  const names = new Map(comparison.panel.map((b) => [b.id, b.name]));
  const colour = new Map(comparison.panel.map((b, i) => [b.id, `c${i % PALETTE_SIZE}`]));
  const themeLink = (theme: string) => pageUrl('/mentions', state, { theme });
  const gaps = themeGaps(panelThemes.themes, brand.id);
  const strengths = gaps.filter((g) => g.gap > MIN_THEME_GAP).sort((a, b) => b.gap - a.gap);
  const weaknesses = gaps.filter((g) => g.gap < -MIN_THEME_GAP).sort((a, b) => a.gap - b.gap);

  const body = (
    <>
      <PeriodNote ctx={ctx} />
      <Card
        title="Share of voice"
        id="share-of-voice"
        wide
        note="Each brand's share of the panel's mentions per day."
      >
        <div
          class="chart"
          id="chart-sov"
          data-testid="chart-sov"
          data-chart="sov"
          data-src={sovSrc}
          data-tz={state.timeZone}
          data-brands={comparison.panel.map((b) => b.id).join(',')}
          role="img"
          aria-label="Share of voice per day for each brand of the panel"
        />
        <p class="chart-readout" id="chart-sov-readout" aria-live="polite" />
        <ul class="legend" id="legend-sov" data-testid="legend-sov">
          {comparison.totals.map((t) => (
            <li data-series={String(t.brandId)} data-value={t.shareOfVoice ?? ''}>
              <span class={`swatch ${colour.get(t.brandId)}`} aria-hidden="true" />
              <span class="legend-name">
                <UserText text={names.get(t.brandId) ?? `brand ${t.brandId}`} max={60} />
              </span>{' '}
              <span class="legend-value" data-field="value">
                {formatShare(t.shareOfVoice)}
              </span>
            </li>
          ))}
        </ul>
      </Card>
      <Card title="Side by side" id="panel" wide>
        <div class="table-wrap">
          <table class="data" id="panel-table" data-testid="panel-table">
            <TableHead
              columns={[
                'Brand',
                ['Mentions', 'num'],
                ['Share of voice', 'num'],
                ['Sentiment', 'bar-col'],
                ['Net', 'num'],
                ['Negative', 'num'],
                ['Rating', 'num'],
              ]}
            />
            <tbody>
              {comparison.totals.map((t) => (
                <tr
                  data-brand-id={t.brandId}
                  data-share-of-voice={t.shareOfVoice ?? ''}
                  data-net-sentiment={t.netSentiment ?? ''}
                  class={t.brandId === brand.id ? 'own-row' : undefined}
                >
                  <th scope="row">
                    <span class={`swatch ${colour.get(t.brandId)}`} aria-hidden="true" />{' '}
                    <UserText text={names.get(t.brandId) ?? `brand ${t.brandId}`} max={60} />
                  </th>
                  <td class="num">
                    {formatCount(t.volume)}
                    <br />
                    <Change value={t.change.volume} kind="relative" direction="neutral" compact />
                  </td>
                  <td class="num">
                    {formatShare(t.shareOfVoice)}
                    <br />
                    <Change value={t.change.shareOfVoice} kind="points" direction="up-good" compact />
                  </td>
                  <td class="bar-col">
                    <SentimentBar figures={t} />
                  </td>
                  <td class="num">
                    {formatScore(t.netSentiment)}
                    <br />
                    <Change value={t.change.netSentiment} kind="score" direction="up-good" compact />
                  </td>
                  <td class="num">{formatShare(negativeShare(t))}</td>
                  <td class="num">{t.rated > 0 ? formatRating(t.meanRating) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {comparison.headToHead.length > 0 ? (
          <>
            <h3>Head to head</h3>
            <ul class="head-to-head" id="head-to-head">
              {comparison.headToHead.map((h) => {
                const [a, b] = h.brands;
                return (
                  <li data-brands={`${a},${b}`} data-mentions={h.mentions}>
                    <UserText text={names.get(a) ?? String(a)} /> vs{' '}
                    <UserText text={names.get(b) ?? String(b)} />: {formatCount(h.mentions)} mentions name
                    both; <UserText text={names.get(a) ?? String(a)} /> came out better in{' '}
                    {formatCount(h.wins[a] ?? 0)}, <UserText text={names.get(b) ?? String(b)} /> in{' '}
                    {formatCount(h.wins[b] ?? 0)}, {formatCount(h.ties)} even.
                  </li>
                );
              })}
            </ul>
          </>
        ) : null}
      </Card>
      <div class="grid-2">
        <Card
          title="Where we are strong, they are weak"
          id="strengths"
          note="Themes whose sentences about us are kinder than about the competitors."
        >
          <GapList
            id="themes-strengths"
            gaps={strengths.slice(0, 10)}
            link={themeLink}
            empty="No theme where we clearly do better yet."
          />
        </Card>
        <Card
          title="Where they are strong, we are weak"
          id="weaknesses"
          note="Themes whose sentences about the competitors are kinder than about us."
        >
          <GapList
            id="themes-weaknesses"
            gaps={weaknesses.slice(0, 10)}
            link={themeLink}
            empty="No theme where competitors clearly do better."
          />
        </Card>
      </div>
      <Card
        title="Themes across the panel"
        id="panel-themes"
        wide
        note="Mentions and aspect sentiment per brand."
      >
        {panelThemes.themes.length === 0 ? (
          <EmptyState title="No themes in this period." />
        ) : (
          <div class="table-wrap">
            <table class="data" id="panel-themes-table" data-testid="panel-themes-table">
              <TableHead
                columns={[
                  'Theme',
                  ...comparison.panel.map((b) => [<UserText text={b.name} max={30} />, 'num'] as const),
                ]}
              />
              <tbody>
                {panelThemes.themes.slice(0, 20).map((t) => (
                  <tr data-theme={t.theme}>
                    <th scope="row">
                      <a href={themeLink(t.theme)} data-testid="theme-link" data-theme={t.theme}>
                        <UserText text={t.theme} max={60} />
                      </a>
                    </th>
                    {comparison.panel.map((p) => {
                      const cell = t.brands.find((b) => b.brandId === p.id);
                      return (
                        <td class="num" data-brand-id={p.id}>
                          {cell && cell.count > 0 ? (
                            <>
                              {formatCount(cell.count)}
                              <br />
                              <span class="muted">{formatScore(cell.aspectSentiment)}</span>
                            </>
                          ) : (
                            '—'
                          )}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
    </>
  );
  return { title: 'Competitors', body, charts: true };
}
