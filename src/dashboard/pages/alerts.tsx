/**
 * Alerts, for support: the inbox of open incidents with their latest events, worked from here
 * (acknowledge, resolve, assign: the client calls the alerts API; a read-only token is not offered
 * them); the brand's rules with when they last fired and whether channels heard; and the health of
 * every source.
 */
import type { SourceErrorClass } from '../../../sources/http.ts';
import { listChannels } from '../../alerts/channels-catalog.ts';
import { getAlert, type IncidentDetail, listAlerts } from '../../alerts/incidents.ts';
import { listRules } from '../../alerts/rules.ts';
import { listSources, type Source } from '../../catalog/sources.ts';
import { Card, DateTime, EmptyState, TableHead } from '../components.tsx';
import { formatCount } from '../format.ts';
import type { PageContext, PageResult } from '../page.tsx';
import { curlJson, NoBrands, TokenNote } from '../page.tsx';
import { pageUrl } from '../state.ts';
import { UserText, visibleText } from '../text.tsx';

/** A source's last failure class (source health), in words. */
const ERROR_KIND_LABELS: Record<SourceErrorClass, string> = {
  timeout: 'timed out',
  http_4xx: 'refused (4xx)',
  http_5xx: 'server error (5xx)',
  rate_limited: 'rate limited',
  parse: 'unreadable answer',
  network: 'connection failed',
  other: 'failed',
};

export const INBOX_SIZE = 25;
/** Events shown per incident (the API has the latest 100). */
const EVENTS_SHOWN = 5;

/** Source statuses that need someone's attention, shown as such. */
const UNHEALTHY = new Set(['degraded', 'failing']);

function Incident({ incident: i, ctx }: { incident: IncidentDetail; ctx: PageContext }) {
  const tz = ctx.state.timeZone;
  const resolved = i.status === 'resolved';
  const delivered = i.deliveries.filter((d) => d.status === 'delivered').length;
  const failed = i.deliveries.filter((d) => d.status === 'failed').length;
  const waiting = i.deliveries.length - delivered - failed;
  return (
    <article
      class={`incident severity-${i.severity}`}
      id={`incident-${i.id}`}
      data-incident-id={i.id}
      data-status={i.status}
      data-testid="incident"
    >
      <header class="incident-head">
        <span class={`badge severity severity-${i.severity}`}>{i.severity}</span>
        <h3 class="incident-title" dir="auto">
          <UserText text={i.title} max={200} />
        </h3>
        <span class={`badge status status-${i.status}`} data-field="status" data-testid="incident-status">
          {i.status}
        </span>
      </header>
      <dl class="incident-meta">
        <div>
          <dt>Opened</dt>
          <dd>
            <DateTime at={i.openedAt} timeZone={tz} />
          </dd>
        </div>
        <div>
          <dt>Last event</dt>
          <dd>
            <DateTime at={i.lastEventAt} timeZone={tz} />
          </dd>
        </div>
        <div>
          <dt>Events · mentions</dt>
          <dd>
            {formatCount(i.eventCount)} · {formatCount(i.mentionCount)}
          </dd>
        </div>
        <div>
          <dt>Assignee</dt>
          <dd data-field="assignee" data-testid="incident-assignee-value">
            {i.assignee ? <UserText text={i.assignee} max={80} /> : <span class="muted">nobody</span>}
          </dd>
        </div>
        <div>
          <dt>Deliveries</dt>
          <dd data-delivered={delivered} data-failed={failed}>
            {i.deliveries.length === 0
              ? 'none'
              : `${delivered} delivered${failed ? `, ${failed} failed` : ''}${waiting ? `, ${waiting} waiting` : ''}`}
          </dd>
        </div>
      </dl>
      {ctx.canWrite ? (
        <fieldset class="incident-actions">
          <legend class="sr-only">Work incident {i.id}</legend>
          <button
            type="button"
            class="button"
            data-action="ack"
            data-testid="incident-ack"
            disabled={resolved || i.status === 'acknowledged'}
          >
            Acknowledge
          </button>
          <button
            type="button"
            class="button"
            data-action="resolve"
            data-testid="incident-resolve"
            disabled={resolved}
          >
            Resolve
          </button>
          <span class="assign">
            <label class="sr-only" for={`assignee-${i.id}`}>
              Assignee for incident {i.id}
            </label>
            <input
              id={`assignee-${i.id}`}
              name="assignee"
              placeholder="assignee"
              maxlength={200}
              value={visibleText(i.assignee ?? '')}
              data-testid="incident-assignee"
            />
            <button type="button" class="button" data-action="assign" data-testid="incident-assign">
              Assign
            </button>
          </span>
        </fieldset>
      ) : (
        <p class="incident-actions read-only small muted" data-testid="read-only">
          Read-only token: acknowledging, resolving and assigning need a token with the write scope.
        </p>
      )}
      <details class="incident-events">
        <summary>
          Latest events <span class="muted">({formatCount(Math.min(i.events.length, EVENTS_SHOWN))})</span>
        </summary>
        <ol class="events">
          {i.events.slice(0, EVENTS_SHOWN).map((e) => (
            <li data-event-id={e.id}>
              <DateTime at={e.at} timeZone={tz} /> <UserText text={e.summary} max={400} />
              {e.mentionId !== null ? (
                <>
                  {' '}
                  <a href={pageUrl('/mentions', ctx.state, { id: e.mentionId })} data-testid="event-mention">
                    mention #{e.mentionId}
                  </a>
                </>
              ) : null}
            </li>
          ))}
        </ol>
      </details>
    </article>
  );
}

function SourceHealth({ sources, ctx }: { sources: Source[]; ctx: PageContext }) {
  if (sources.length === 0) {
    return (
      <EmptyState title="No sources yet: earshot has nowhere to listen.">
        <pre>
          <code>
            {curlJson(
              ctx.origin,
              '/api/sources',
              '{"name": "Brand news", "kind": "rss", "options": {"url": "https://example.com/feed.xml"}}',
            )}
          </code>
        </pre>
        <TokenNote />
      </EmptyState>
    );
  }
  const tz = ctx.state.timeZone;
  return (
    <div class="table-wrap">
      <table class="data" id="source-health" data-testid="source-health">
        <TableHead
          columns={['Source', 'Status', ['Failures', 'num'], 'Last success', 'Last error', 'Next poll']}
        />
        <tbody>
          {sources.map((s) => {
            const h = s.health;
            const unhealthy = UNHEALTHY.has(h.status);
            return (
              <tr
                data-source-id={s.id}
                data-status={h.status}
                data-consecutive-failures={h.consecutiveFailures}
                class={unhealthy ? 'unhealthy' : undefined}
              >
                <th scope="row">
                  <UserText text={s.name} max={60} /> <span class="muted">({s.kind})</span>
                </th>
                <td>
                  <span class={`badge health health-${h.status}`} data-testid="source-status">
                    {unhealthy ? <span aria-hidden="true">⚠ </span> : null}
                    {h.status}
                  </span>
                </td>
                <td class="num">{formatCount(h.consecutiveFailures)}</td>
                <td>
                  <DateTime at={h.lastSuccessAt} timeZone={tz} />
                </td>
                <td class="error-cell">
                  {h.lastError ? (
                    <>
                      {h.lastErrorKind && h.lastErrorKind !== 'other' ? (
                        <span class="badge" data-testid="source-error-kind">
                          {ERROR_KIND_LABELS[h.lastErrorKind]}
                        </span>
                      ) : null}{' '}
                      {h.lastErrorStatus ? <span class="badge">HTTP {h.lastErrorStatus}</span> : null}{' '}
                      <UserText text={h.lastError} max={300} />
                      <br />
                      <span class="muted small">
                        <DateTime at={h.lastErrorAt} timeZone={tz} />
                      </span>
                    </>
                  ) : (
                    <span class="muted">none</span>
                  )}
                  {h.warnings.length > 0 ? (
                    <ul class="warnings">
                      {h.warnings.map((w) => (
                        <li>
                          <UserText text={w} max={200} />
                        </li>
                      ))}
                    </ul>
                  ) : null}
                </td>
                <td>
                  <DateTime at={h.nextPollAt} timeZone={tz} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export async function renderAlerts(ctx: PageContext): Promise<PageResult> {
  const { deps, brand, state, query } = ctx;
  const sources = await listSources({ deps });
  const health = (
    <Card
      title="Source health"
      id="sources"
      wide
      note="A source is degraded after a failed poll and failing after three in a row."
    >
      <SourceHealth sources={sources} ctx={ctx} />
    </Card>
  );
  if (!brand) {
    return {
      title: 'Alerts',
      body: (
        <>
          <NoBrands origin={ctx.origin} />
          {health}
        </>
      ),
    };
  }

  const showResolved = query.status === 'resolved';
  const [inbox, rules, channels] = await Promise.all([
    listAlerts({
      deps,
      input: {
        status: showResolved ? 'resolved' : 'open,acknowledged',
        brand: String(brand.id),
        limit: String(INBOX_SIZE),
        ...(query.cursor ? { cursor: query.cursor } : {}),
      },
    }),
    listRules({ deps, input: { brandId: brand.id } }),
    listChannels({ deps }),
  ]);
  // One at a time: the embedded database has one connection, and an inbox page is short.
  const incidents: IncidentDetail[] = [];
  for (const item of inbox.items) incidents.push(await getAlert({ deps, input: { id: item.id } }));
  const channelsById = new Map(channels.map((ch) => [ch.id, ch]));
  const statusLink = (status: string | undefined) => pageUrl('/alerts', state, { status });

  const body = (
    <>
      <Card title={showResolved ? 'Resolved incidents' : 'Inbox'} id="inbox" wide>
        <nav class="tabs" aria-label="Incidents">
          <a href={statusLink(undefined)} aria-current={showResolved ? undefined : 'page'}>
            Open
          </a>
          <a href={statusLink('resolved')} aria-current={showResolved ? 'page' : undefined}>
            Resolved
          </a>
        </nav>
        {incidents.length === 0 ? (
          <EmptyState title={showResolved ? 'No resolved incidents.' : 'Inbox zero: no open incidents.'}>
            {rules.length === 0 ? (
              <>
                <p>
                  No alert rule watches <UserText text={brand.name} /> yet. Add one (a negative mention alerts
                  within a second):
                </p>
                <pre>
                  <code>
                    {curlJson(
                      ctx.origin,
                      '/api/alert-rules',
                      `{"name": "Complaints", "brand": ${brand.id}, "kind": "negative_mention", "channels": []}`,
                    )}
                  </code>
                </pre>
                <TokenNote />
              </>
            ) : null}
          </EmptyState>
        ) : (
          <div class="incidents" id="incidents" data-testid="incidents">
            {incidents.map((i) => (
              <Incident incident={i} ctx={ctx} />
            ))}
          </div>
        )}
        {inbox.nextCursor ? (
          <nav class="pager" aria-label="Pages">
            <a
              class="button"
              href={pageUrl('/alerts', state, { status: query.status, cursor: inbox.nextCursor })}
              data-testid="next-page"
            >
              Older →
            </a>
          </nav>
        ) : null}
      </Card>
      <Card
        title="Rules"
        id="rules"
        wide
        note="What fires, when it last did, and whether its channels heard."
      >
        {rules.length === 0 ? (
          <EmptyState
            title={
              <>
                No alert rules for <UserText text={brand.name} />.
              </>
            }
          >
            <p>
              Add them in <code>earshot.config.json</code> (<code>alertRules</code>) or with{' '}
              <code>POST /api/alert-rules</code>; see the README's Alerts section.
            </p>
          </EmptyState>
        ) : (
          <div class="table-wrap">
            <table class="data" id="alert-rules" data-testid="alert-rules">
              <TableHead columns={['Rule', 'Kind', 'State', 'Channels', 'Last fired', 'Last delivery']} />
              <tbody>
                {rules.map((r) => {
                  const muted = r.mutedUntil !== null && r.mutedUntil > deps.now();
                  const d = r.lastDelivery;
                  return (
                    <tr
                      data-rule-id={r.id}
                      data-last-fired={r.lastFiredAt ? r.lastFiredAt.toISOString() : ''}
                      data-delivery-status={d?.status ?? ''}
                    >
                      <th scope="row">
                        <UserText text={r.name} max={80} />
                      </th>
                      <td>
                        {r.kind.replaceAll('_', ' ')}
                        <br />
                        <span class={`badge severity severity-${r.severity}`}>{r.severity}</span>
                      </td>
                      <td>
                        {!r.enabled ? (
                          <span class="badge">disabled</span>
                        ) : muted ? (
                          <span class="badge">
                            muted until <DateTime at={r.mutedUntil} timeZone={state.timeZone} />
                          </span>
                        ) : (
                          <span class="badge ok">on</span>
                        )}
                        {r.digest ? <span class="muted small"> {r.digest} digest</span> : null}
                      </td>
                      <td>
                        {r.channels.length === 0 ? (
                          <span class="muted">none</span>
                        ) : (
                          <ul class="plain">
                            {r.channels.map((id) => {
                              const ch = channelsById.get(id);
                              return (
                                <li>
                                  <UserText text={ch?.name ?? `channel ${id}`} max={40} />
                                  {ch && !ch.enabled ? (
                                    <span
                                      class="badge health-failing"
                                      title={ch.disabledReason ? visibleText(ch.disabledReason) : undefined}
                                    >
                                      disabled
                                    </span>
                                  ) : null}
                                </li>
                              );
                            })}
                          </ul>
                        )}
                      </td>
                      <td>
                        {r.lastFiredAt ? (
                          <DateTime at={r.lastFiredAt} timeZone={state.timeZone} />
                        ) : (
                          <span class="muted">never</span>
                        )}
                      </td>
                      <td>
                        {d ? (
                          <>
                            <span class={`badge delivery delivery-${d.status}`}>{d.status}</span>
                            {d.lastStatusCode ? (
                              <span class="muted small"> HTTP {d.lastStatusCode}</span>
                            ) : null}
                            <br />
                            <span class="muted small">
                              <DateTime at={d.deliveredAt ?? d.createdAt} timeZone={state.timeZone} />
                            </span>
                            {d.lastError && d.status !== 'delivered' ? (
                              <span class="small error-text">
                                {' '}
                                <UserText text={d.lastError} max={200} />
                              </span>
                            ) : null}
                          </>
                        ) : (
                          <span class="muted">none</span>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      {health}
    </>
  );
  return { title: 'Alerts', body };
}
