/**
 * The dashboard in-process: every page on an empty database and a seeded one answers 200 with the
 * Content-Security-Policy and nothing inline; what the pages embed for the client (chart data URLs,
 * legend values) agrees with the JSON API; filters, pages and the alert inbox show what they should.
 * Hostile user text is test/dashboard/hostile.test.ts.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { type App, createApp } from '../../src/app.ts';
import { createSource } from '../../src/catalog/sources.ts';
import type { Deps } from '../../src/deps.ts';
import { call, expectStatus } from '../helpers/app.ts';
import { createTestDb, resetDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';
import { type SeedMention, seedMentions } from '../helpers/mentions.ts';
import { attribute, expectSafePage, getPage, PAGE_PATHS, unescapeHtml } from './helpers.ts';

const T0 = new Date('2026-11-20T12:00:00Z');
const hoursAgo = (n: number) => new Date(T0.getTime() - n * 3_600_000).toISOString();

describe('dashboard pages', () => {
  let handle: DbHandle;
  let deps: Deps;
  let app: App;
  let clock: Date;

  beforeAll(async () => {
    handle = await createTestDb();
    deps = createTestDeps(handle.db, { now: () => clock });
    app = createApp(deps);
  });
  afterAll(() => handle.close());
  beforeEach(async () => {
    await resetDb(handle.db);
    clock = T0;
  });

  /** Acme against Globex, an RSS and an App Store source, a week of labelled mentions. */
  async function seed() {
    const globex = (await call(app, 'POST', '/api/brands', { name: 'Globex', kind: 'competitor' })).body.id;
    const created = await call(app, 'POST', '/api/brands', { name: 'Acme', competitors: ['Globex'] });
    expectStatus(created, 201);
    const acme = created.body.id as number;
    const rss = (
      await createSource({
        deps,
        input: { name: 'news', kind: 'rss', options: { url: 'https://example.com/f' } },
      })
    ).id;
    const appstore = (
      await createSource({
        deps,
        input: { name: 'reviews', kind: 'appstore', options: { appId: '123', country: 'us' } },
      })
    ).id;
    const rows: SeedMention[] = [];
    for (let i = 0; i < 30; i++) {
      const label = (['positive', 'negative', 'neutral', 'positive', 'mixed'] as const)[i % 5]!;
      const score = { positive: 0.7, negative: -0.7, neutral: 0, mixed: 0.1 }[label];
      rows.push({
        at: hoursAgo(2 + i * 5),
        label,
        score,
        brands: i % 3 === 0 ? [acme, globex] : [acme],
        sourceId: i % 2 === 0 ? rss : appstore,
        rating: i % 2 === 0 ? null : (i % 5) + 1,
        themes: i % 2 === 0 ? ['delivery'] : ['battery life'],
        touchpoints: i % 2 === 0 ? ['delivery'] : ['product'],
        text: `Acme mention number ${i}`,
      });
    }
    // Globex's delivery complaints: a theme where Acme is stronger.
    for (let i = 0; i < 3; i++) {
      rows.push({
        at: hoursAgo(3 + i),
        label: 'negative',
        score: -0.9,
        brands: [globex],
        sourceId: rss,
        themes: ['delivery'],
        text: `Globex lost it ${i}`,
      });
    }
    // Before the 30-day period: the previous period's figures.
    rows.push({
      at: hoursAgo(24 * 40),
      label: 'negative',
      score: -0.5,
      brands: [acme],
      sourceId: rss,
    });
    await seedMentions(handle.db, rows);
    return { acme, globex, rss, appstore };
  }

  it('every page answers 200 with the CSP on an empty database, saying how to add a brand', async () => {
    for (const path of PAGE_PATHS) {
      const res = await getPage(app, path);
      expectSafePage(res, path);
      expect(res.html, path).toContain('id="no-brands"');
      expect(res.html, path).toContain('/api/brands');
      expect(res.html, path).toContain('npm run demo');
    }
    // Source health needs no brand.
    expect((await getPage(app, '/alerts')).html).toContain('No sources yet');
  });

  it('every page answers 200 with the CSP on a seeded database, whatever the period and zone', async () => {
    const { acme, globex } = await seed();
    const variants = ['', '?days=7', '?days=90&tz=Europe/Paris', `?brand=${globex}`, '?tz=Asia/Kolkata'];
    for (const path of PAGE_PATHS) {
      for (const query of variants) {
        const res = await getPage(app, `${path}${query}`);
        expectSafePage(res, `${path}${query}`);
        expect(res.html).not.toContain('id="no-brands"');
      }
    }
    // Bad values fall back to the defaults rather than failing.
    const odd = await getPage(app, '/?brand=abc&days=13&tz=Mars/Olympus');
    expectSafePage(odd, 'odd query');
    expect(odd.html).toContain(`value="${acme}" selected=""`);
    expect(odd.html).toContain('value="UTC" selected=""');
    // Navigation keeps the state.
    const paris = await getPage(app, `/themes?brand=${acme}&days=7&tz=Europe/Paris`);
    expect(paris.html).toContain(`href="/mentions?brand=${acme}&amp;days=7&amp;tz=Europe%2FParis"`);
    expect(paris.html).toMatch(/aria-current="page"[^>]*>Themes|id="nav-themes"[^>]*aria-current="page"/);
  });

  it('overview: headline figures, a chart whose data URL and legend agree with the API, breakdowns', async () => {
    const { acme } = await seed();
    const res = await getPage(app, '/');
    expectSafePage(res, '/');
    const src = unescapeHtml(attribute(res.html, 'id="chart-trend"', 'data-src') ?? '');
    expect(src).toBe(`/api/brands/${acme}/trends?from=2026-10-22&to=2026-11-21&tz=UTC&interval=day`);
    const api = await call(app, 'GET', src);
    expectStatus(api, 200);
    expect(api.body.buckets).toHaveLength(30);
    for (const series of ['positive', 'neutral', 'negative', 'mixed', 'netSentiment', 'volume']) {
      const value = attribute(res.html, `data-series="${series}"`, 'data-value');
      expect(value, series).toBe(String(api.body.totals[series]));
    }
    expect(attribute(res.html, 'data-testid="figure-volume"', 'data-value')).toBe(
      String(api.body.totals.volume),
    );
    expect(attribute(res.html, 'data-testid="figure-net-sentiment"', 'data-value')).toBe(
      String(api.body.totals.netSentiment),
    );
    expect(res.html).toContain('data-testid="figure-mean-rating"');
    expect(res.html).toContain('data-testid="figure-csat"');
    // By source and touchpoint, each row linking to its mentions.
    expect(res.html).toMatch(/id="breakdown-source"/);
    expect(res.html).toMatch(/<tr data-key="appstore"/);
    expect(res.html).toMatch(/<tr data-key="delivery"/);
    expect(res.html).toContain(`href="/mentions?brand=${acme}&amp;touchpoint=delivery"`);
    // The chart needs uPlot; it is served by the app.
    expect(res.html).toContain('src="/dashboard/assets/uPlot.iife.min.js"');
  });

  it('overview: a time zone moves the period to local days', async () => {
    const { acme } = await seed();
    const res = await getPage(app, '/?days=7&tz=Pacific/Auckland');
    const src = unescapeHtml(attribute(res.html, 'id="chart-trend"', 'data-src') ?? '');
    // 12:00 UTC on the 20th is the 21st in Auckland: the period ends with that day.
    expect(src).toBe(
      `/api/brands/${acme}/trends?from=2026-11-15&to=2026-11-22&tz=Pacific%2FAuckland&interval=day`,
    );
    expectStatus(await call(app, 'GET', src), 200);
  });

  it('competitors: share of voice legend from the API, strengths and weaknesses, an empty panel explained', async () => {
    const { acme, globex } = await seed();
    const res = await getPage(app, '/competitors');
    expectSafePage(res, '/competitors');
    const src = unescapeHtml(attribute(res.html, 'id="chart-sov"', 'data-src') ?? '');
    const api = await call(app, 'GET', src);
    expectStatus(api, 200);
    for (const t of api.body.totals) {
      expect(attribute(res.html, `data-series="${t.brandId}"`, 'data-value')).toBe(String(t.shareOfVoice));
    }
    expect(res.html).toContain(`data-brand-id="${globex}"`);
    expect(res.html).toMatch(/id="themes-strengths"[^>]*>\s*<li data-theme="delivery"/);
    expect(res.html).toContain('No theme where competitors clearly do better');
    const lonely = await getPage(app, `/competitors?brand=${globex}`);
    expectSafePage(lonely, 'no panel');
    expect(lonely.html).toContain('id="no-competitors"');
    expect(lonely.html).toContain(`/api/brands/${globex}`);
    expect(acme).toBeGreaterThan(0);
  });

  it('themes: top and emerging themes, each a link to its mentions', async () => {
    const { acme } = await seed();
    const res = await getPage(app, '/themes');
    expectSafePage(res, '/themes');
    expect(res.html).toContain('id="top-themes"');
    expect(res.html).toContain(`href="/mentions?brand=${acme}&amp;theme=battery+life"`);
    expect(res.html).toMatch(/data-testid="theme-link" data-theme="delivery"/);
    const theme = await getPage(app, `/mentions?brand=${acme}&theme=battery+life`);
    expectSafePage(theme, 'theme mentions');
    const ids = [...theme.html.matchAll(/data-mention-id="(\d+)" data-label/g)];
    expect(ids.length).toBeGreaterThan(0);
    const all = await call(app, 'GET', `/api/mentions?brand=${acme}&theme=battery+life&from=2026-10-22`);
    expect(ids.length).toBe(all.body.items.length);
  });

  it('mentions: filters, cursor pages, explanations and the label control', async () => {
    const { acme, rss } = await seed();
    const first = await getPage(app, '/mentions');
    expectSafePage(first, '/mentions');
    const rows = [...first.html.matchAll(/<article[^>]*data-mention-id="(\d+)"/g)];
    expect(rows).toHaveLength(25);
    const next = unescapeHtml(attribute(first.html, 'data-testid="next-page"', 'href') ?? '');
    expect(next).toMatch(/^\/mentions\?brand=\d+&cursor=/);
    const second = await getPage(app, next);
    expectSafePage(second, next);
    expect([...second.html.matchAll(/<article[^>]*data-mention-id=/g)]).toHaveLength(5);
    expect(second.html).toContain('data-testid="first-page"');

    const negative = await getPage(app, `/mentions?brand=${acme}&label=negative&source=${rss}`);
    const labels = [...negative.html.matchAll(/<article[^>]*data-label="(\w+)"/g)].map((m) => m[1]);
    expect(labels.length).toBeGreaterThan(0);
    expect(new Set(labels)).toEqual(new Set(['negative']));
    expect(negative.html).toMatch(/<option value="negative" selected="">/);

    expect(first.html).toContain('data-testid="label-select"');
    expect(first.html).toContain('data-testid="label-save"');
    expect(first.html).toContain('data-testid="mention-explanation"');

    // A corrected label shows as such.
    const id = Number(rows[0]?.[1]);
    expectStatus(await call(app, 'PATCH', `/api/mentions/${id}`, { label: 'neutral' }), 200);
    const one = await getPage(app, `/mentions?id=${id}`);
    expectSafePage(one, 'one mention');
    expect(one.html).toMatch(new RegExp(`data-mention-id="${id}" data-label="neutral"`));
    expect(one.html).toContain('(corrected)');

    const none = await getPage(app, '/mentions?q=nothing+like+this');
    expectSafePage(none, 'no match');
    expect(none.html).toContain('No mention matches these filters');
    // A cursor the API did not give is a page that says so, not a JSON error.
    const bad = await getPage(app, '/mentions?cursor=garbage');
    expectSafePage(bad, 'bad cursor', 400);
    expect(bad.html).toContain('id="page-error"');
  });

  it('alerts: the inbox with its actions, rules with last fired, degraded sources marked', async () => {
    await call(app, 'POST', '/api/brands', { name: 'Acme' });
    expectStatus(
      await call(app, 'POST', '/api/sources', { name: 'helpdesk', kind: 'push', options: {} }),
      201,
    );
    const hook = await call(app, 'POST', '/api/channels', {
      name: 'hook',
      kind: 'webhook',
      url: 'https://hooks.example.com/x',
    });
    expectStatus(hook, 201);
    const rule = await call(app, 'POST', '/api/alert-rules', {
      name: 'complaints',
      brand: 'Acme',
      kind: 'negative_mention',
      channels: ['hook'],
    });
    expectStatus(rule, 201);
    const quiet = await call(app, 'POST', '/api/alert-rules', {
      name: 'spikes',
      brand: 'Acme',
      kind: 'volume_spike',
    });
    expectStatus(quiet, 201);
    clock = new Date(T0.getTime() + 5 * 60_000);
    const pushed = await call(app, 'POST', '/api/ingest', {
      source: 'helpdesk',
      items: [
        {
          externalId: 'c1',
          text: 'Acme lost my parcel, support never answered and I want a refund. Terrible.',
          publishedAt: new Date(T0.getTime() + 4 * 60_000).toISOString(),
        },
      ],
    });
    expectStatus(pushed, 200);
    const failing = await createSource({
      deps,
      input: { name: 'flaky feed', kind: 'rss', options: { url: 'https://example.com/feed' } },
    });
    await sql`update sources set consecutive_failures = 1, last_error = 'HTTP 503 from upstream', last_error_status = 503, last_error_kind = 'http_5xx' where id = ${failing.id}`.execute(
      handle.db,
    );

    const res = await getPage(app, '/alerts');
    expectSafePage(res, '/alerts');
    const incident = res.html.match(/<article[^>]*data-incident-id="(\d+)"[^>]*data-status="open"/);
    expect(incident, res.html).not.toBeNull();
    expect(res.html).toContain('data-testid="incident-ack"');
    expect(res.html).toContain('data-testid="incident-resolve"');
    expect(res.html).toContain('data-testid="incident-assign"');
    expect(res.html).toMatch(/data-testid="event-mention"/);
    const fired = attribute(res.html, `data-rule-id="${rule.body.id}"`, 'data-last-fired');
    expect(fired).toBe(clock.toISOString());
    expect(attribute(res.html, `data-rule-id="${rule.body.id}"`, 'data-delivery-status')).toBe('pending');
    expect(attribute(res.html, `data-rule-id="${quiet.body.id}"`, 'data-last-fired')).toBe('');
    expect(res.html).toMatch(new RegExp(`data-source-id="${failing.id}" data-status="degraded"`));
    expect(res.html).toContain('HTTP 503 from upstream');
    expect(res.html, 'the failure class in words').toMatch(
      /data-testid="source-error-kind">server error \(5xx\)</,
    );

    // Worked through the API, the page follows.
    const id = incident?.[1];
    expectStatus(await call(app, 'POST', `/api/alerts/${id}/ack`, {}), 200);
    expectStatus(await call(app, 'PATCH', `/api/alerts/${id}`, { assignee: 'sam' }), 200);
    const after = await getPage(app, '/alerts');
    expect(after.html).toMatch(new RegExp(`data-incident-id="${id}"[^>]*data-status="acknowledged"`));
    expect(after.html).toMatch(
      /data-testid="incident-ack"[^>]*disabled=""|disabled=""[^>]*data-testid="incident-ack"/,
    );
    expectStatus(await call(app, 'POST', `/api/alerts/${id}/resolve`, {}), 200);
    const inbox = await getPage(app, '/alerts');
    expect(inbox.html).toContain('Inbox zero');
    const resolved = await getPage(app, '/alerts?status=resolved');
    expectSafePage(resolved, 'resolved');
    expect(resolved.html).toMatch(new RegExp(`data-incident-id="${id}"[^>]*data-status="resolved"`));
  });
});
