/**
 * Themes: what people talk about most, with the sentiment of the sentences each theme is in, and the
 * themes that are new or rising fast (negative ones first). Each theme leads to its mentions.
 */
import { getEmergingThemes, getTopThemes } from '../../analytics/themes.ts';
import { AspectBar, Card, Change, EmptyState, TableHead } from '../components.tsx';
import { formatChange, formatCount, formatScore, formatShare } from '../format.ts';
import { NoBrands, type PageContext, type PageResult, PeriodNote } from '../page.tsx';
import { pageUrl } from '../state.ts';
import { UserText } from '../text.tsx';

export async function renderThemes(ctx: PageContext): Promise<PageResult> {
  const { deps, brand, state, range } = ctx;
  if (!brand) return { title: 'Themes', body: <NoBrands origin={ctx.origin} /> };
  const common = { brandId: brand.id, from: range.from, to: range.to, timeZone: state.timeZone };
  const [top, emerging] = await Promise.all([
    getTopThemes({ deps, input: { ...common, limit: 30 } }),
    getEmergingThemes({ deps, input: { ...common, limit: 15 } }),
  ]);
  const link = (theme: string) => pageUrl('/mentions', state, { theme });

  const body = (
    <>
      <PeriodNote ctx={ctx} />
      <div class="grid-2 themes-grid">
        <Card
          title="Top themes"
          id="top"
          note="Aspect sentiment: the sentences each theme appears in, positive against negative."
        >
          {top.themes.length === 0 ? (
            <EmptyState title="No themes in this period.">
              <p>
                Themes are the noun phrases people use about <UserText text={brand.name} /> ("battery life",
                "delivery"); they appear as mentions come in.
              </p>
            </EmptyState>
          ) : (
            <div class="table-wrap">
              <table class="data" id="top-themes" data-testid="top-themes">
                <TableHead
                  columns={[
                    'Theme',
                    ['Mentions', 'num'],
                    ['Aspect', 'bar-col'],
                    ['Score', 'num'],
                    ['Change', 'num'],
                  ]}
                />
                <tbody>
                  {top.themes.map((t) => (
                    <tr
                      data-theme={t.theme}
                      data-count={t.count}
                      data-aspect-sentiment={t.aspectSentiment ?? ''}
                    >
                      <th scope="row">
                        <a href={link(t.theme)} data-testid="theme-link" data-theme={t.theme}>
                          <UserText text={t.theme} max={60} />
                        </a>
                      </th>
                      <td class="num">
                        {formatCount(t.count)}
                        <span class="muted small"> {formatShare(t.share)}</span>
                      </td>
                      <td class="bar-col">
                        <AspectBar positive={t.aspectPositive} negative={t.aspectNegative} />
                      </td>
                      <td class="num">{formatScore(t.aspectSentiment)}</td>
                      <td class="num">
                        {t.previousCount === 0 ? (
                          <span class="badge new">new</span>
                        ) : (
                          <Change value={t.change} kind="relative" direction="neutral" compact />
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>
        <Card
          title="Emerging themes"
          id="emerging"
          note="New, or at least twice as frequent as in the previous period; negative ones rank higher."
        >
          {emerging.themes.length === 0 ? (
            <EmptyState title="Nothing is rising sharply: no theme has at least 3 mentions and twice its previous count." />
          ) : (
            <ol class="emerging" id="emerging-themes" data-testid="emerging-themes">
              {emerging.themes.map((t) => (
                <li data-theme={t.theme} data-count={t.count} data-score={t.score}>
                  <div class="emerging-head">
                    <a href={link(t.theme)} data-testid="theme-link" data-theme={t.theme}>
                      <UserText text={t.theme} max={60} />
                    </a>
                    {t.isNew ? <span class="badge new">new</span> : null}
                  </div>
                  <p class="emerging-figures">
                    {formatCount(t.count)} mentions (
                    {t.isNew
                      ? 'none before'
                      : `${formatCount(t.previousCount)} before, ${formatChange(t.growth, 'relative')}`}
                    ) · negative sentences {formatShare(t.negativeShare)} · aspect{' '}
                    {formatScore(t.aspectSentiment)}
                  </p>
                </li>
              ))}
            </ol>
          )}
        </Card>
      </div>
    </>
  );
  return { title: 'Themes', body };
}
