/**
 * The job history: what the recorder keeps (runs that did something, failures with a short message,
 * skipped ticks, one idle run a minute), pruning, the listing verbs and the /api/jobs routes (mounted
 * on their own app here, with the error handling of src/app.ts), and the scheduler writing it.
 */
import { hostname } from 'node:os';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { insertJobRun, type NewJobRun } from '../../db/queries/job-runs.ts';
import { JOBS } from '../../jobs/index.ts';
import type { App } from '../../src/app.ts';
import type { Deps } from '../../src/deps.ts';
import { AppError, errorBody } from '../../src/errors.ts';
import {
  createRunRecorder,
  describeError,
  listJobs,
  listRuns,
  pruneRuns,
  type RunRecorder,
} from '../../src/jobs/history.ts';
import { jobRoutes } from '../../src/routes/jobs.ts';
import { createOpenApiApp } from '../../src/routes/openapi.ts';
import { startScheduler } from '../../src/scheduler.ts';
import { call, expectError, expectStatus } from '../helpers/app.ts';
import { createTestDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';

const T0 = Date.parse('2026-11-23T10:00:00Z');
const SECOND = 1000;
const DAY = 86_400_000;

describe('job history', () => {
  let handle: DbHandle;
  let deps: Deps;
  let clock: number;
  let recorder: RunRecorder;

  const runs = () =>
    handle.db.selectFrom('job_runs').selectAll().orderBy('started_at').orderBy('id').execute();
  const at = (ms: number) => new Date(ms);
  /** A run as the scheduler reports it: started at `start`, finished at `end` (the clock). */
  const finish = async (
    job: string,
    start: number,
    end: number,
    result: Parameters<RunRecorder['finished']>[2],
  ) => {
    clock = end;
    await recorder.finished(job, at(start), result);
  };
  const seedRun = (run: Partial<NewJobRun> & { job: string; startedAt: Date }) =>
    insertJobRun(handle.db, {
      finishedAt: new Date(run.startedAt.getTime() + 50),
      outcome: 'ok',
      error: null,
      counts: {},
      worker: 'host:1',
      ...run,
    });

  beforeAll(async () => {
    handle = await createTestDb();
    deps = createTestDeps(handle.db, { now: () => new Date(clock) });
  });
  afterAll(() => handle.close());
  beforeEach(async () => {
    await sql`truncate job_runs restart identity`.execute(handle.db);
    clock = T0;
    recorder = createRunRecorder(deps, { worker: 'test-host:42' });
  });

  describe('recording', () => {
    it('records a run with its counts, times and process', async () => {
      await finish('poll-sources', T0, T0 + 1500, {
        counts: { polled: 3, failed: 1, fetched: 40, inserted: 12 },
      });
      const [run, ...rest] = await runs();
      expect(rest).toEqual([]);
      expect(run).toMatchObject({
        job: 'poll-sources',
        started_at: at(T0),
        finished_at: at(T0 + 1500),
        outcome: 'ok',
        error: null,
        counts: { polled: 3, failed: 1, fetched: 40, inserted: 12 },
        worker: 'test-host:42',
      });
    });

    it('records a failure with a short message: one line, no stack, no credential', async () => {
      const error = new Error(
        `connect to postgres://earshot:hunter2@db.internal:5432/earshot?sslkey=abc failed: ${'x'.repeat(500)}`,
      );
      await finish('deliver-alerts', T0, T0 + 20, { error });
      await finish('send-digests', T0, T0 + 30, { error: new TypeError('bad\n    at stack (file.ts:1:1)') });
      const [first, second] = await runs();
      expect(first?.outcome).toBe('failed');
      expect(first?.counts).toEqual({});
      expect(first?.error?.length).toBeLessThanOrEqual(200);
      expect(first?.error).toMatch(/^connect to postgres:\/\/\*\*\*@db\.internal:5432\/earshot\?\*\*\*/);
      expect(first?.error).not.toContain('hunter2');
      expect(first?.error).not.toContain('sslkey');
      expect(second?.error).toBe('TypeError: bad');
    });

    it('masks tokens and passwords in messages', () => {
      expect(describeError(new Error('401 for Bearer es_abcdefghijklmnop'))).toBe('401 for Bearer ***');
      expect(describeError(new Error('token es_abcdefghijkl revoked'))).toBe('token es_*** revoked');
      expect(describeError(new Error('login with password=s3cret refused'))).toBe(
        'login with password=*** refused',
      );
      expect(describeError('a string')).toBe('a string');
      expect(describeError(new Error(''))).toBe('failed');
    });

    it('keeps one idle run a minute per job; runs that did something or failed are all kept', async () => {
      const idle = { counts: { claimed: 0, delivered: 0 } };
      await finish('deliver-alerts', T0, T0 + 10, idle); // the first: kept
      for (let s = 1; s < 60; s++)
        await finish('deliver-alerts', T0 + s * SECOND, T0 + s * SECOND + 10, idle);
      await finish('deliver-alerts', T0 + 30 * SECOND, T0 + 30 * SECOND + 10, {
        counts: { claimed: 2, delivered: 2 },
      });
      await finish('deliver-alerts', T0 + 31 * SECOND, T0 + 31 * SECOND + 10, { error: new Error('boom') });
      await finish('deliver-alerts', T0 + 60 * SECOND, T0 + 60 * SECOND + 10, idle); // 29 s after the failure: dropped
      await finish('deliver-alerts', T0 + 92 * SECOND, T0 + 92 * SECOND + 10, idle); // a minute after it: kept
      await finish('poll-sources', T0 + 5 * SECOND, T0 + 5 * SECOND + 10, { counts: { polled: 0 } }); // another job
      const kept = (await runs()).map((r) => [r.job, r.outcome, (r.started_at.getTime() - T0) / SECOND]);
      expect(kept).toEqual([
        ['deliver-alerts', 'ok', 0],
        ['poll-sources', 'ok', 5],
        ['deliver-alerts', 'ok', 30],
        ['deliver-alerts', 'failed', 31],
        ['deliver-alerts', 'ok', 92],
      ]);
    });

    it('records skipped ticks at most once a minute, counting them, and the rest when the run ends', async () => {
      for (let s = 1; s <= 90; s++) {
        clock = T0 + s * SECOND;
        await recorder.skipped('deliver-alerts', at(clock));
      }
      await finish('deliver-alerts', T0, T0 + 90.5 * SECOND, { counts: { claimed: 5, delivered: 5 } });
      const kept = (await runs()).map((r) => [r.outcome, (r.started_at.getTime() - T0) / SECOND, r.counts]);
      expect(kept).toEqual([
        ['ok', 0, { claimed: 5, delivered: 5 }],
        ['skipped', 1, { ticks: 1 }],
        ['skipped', 2, { ticks: 60 }], // ticks 2..61, recorded at 61
        ['skipped', 62, { ticks: 29 }], // 62..90, recorded when the run ended
      ]);
    });

    it('never throws when the history cannot be written', async () => {
      const warnings: unknown[] = [];
      const broken = createRunRecorder(
        {
          ...deps,
          db: deps.db.withSchema('no_such_schema'),
          logger: { ...deps.logger, warn: (...args: unknown[]) => warnings.push(args) } as Deps['logger'],
        },
        { worker: 'w:1' },
      );
      await expect(
        broken.finished('poll-sources', at(T0), { counts: { polled: 1 } }),
      ).resolves.toBeUndefined();
      await expect(broken.skipped('poll-sources', at(T0))).resolves.toBeUndefined();
      expect(warnings.length).toBeGreaterThan(0);
    });
  });

  describe('pruning', () => {
    it('deletes runs older than the kept days, in batches, and keeps the others', async () => {
      await handle.db
        .insertInto('job_runs')
        .columns(['job', 'started_at', 'finished_at', 'outcome', 'counts', 'worker'])
        .expression(
          sql`select 'poll-sources', ${at(T0 - 20 * DAY)}::timestamptz + g * interval '1 second',
            ${at(T0 - 20 * DAY)}::timestamptz + g * interval '1 second', 'ok', '{}'::jsonb, 'host:1'
            from generate_series(1, 2500) g`,
        )
        .execute();
      await seedRun({ job: 'poll-sources', startedAt: at(T0 - 13 * DAY) });
      await seedRun({ job: 'poll-sources', startedAt: at(T0 - DAY) });
      expect(await pruneRuns({ deps, input: { batchSize: 1000, maxBatches: 2 } })).toBe(2000);
      expect(await pruneRuns({ deps, input: { batchSize: 1000 } })).toBe(500);
      expect((await runs()).map((r) => (T0 - r.started_at.getTime()) / DAY)).toEqual([13, 1]);
    });

    it('prunes when recording, at most once an hour', async () => {
      await seedRun({ job: 'send-digests', startedAt: at(T0 - 15 * DAY) });
      await finish('send-digests', T0, T0 + 10, { counts: { rules: 1, events: 2, queued: 1 } });
      expect((await runs()).map((r) => r.started_at)).toEqual([at(T0)]);
      await seedRun({ job: 'send-digests', startedAt: at(T0 - 15 * DAY) });
      await finish('send-digests', T0 + 60 * SECOND, T0 + 61 * SECOND, {
        counts: { rules: 1, events: 1, queued: 1 },
      });
      expect(await runs()).toHaveLength(3); // within the hour: not pruned again
      await finish('send-digests', T0 + 3600 * SECOND, T0 + 3601 * SECOND, {
        counts: { rules: 1, events: 1, queued: 1 },
      });
      expect(await runs()).toHaveLength(3); // the old one went, this one came
    });
  });

  describe('listing', () => {
    it('lists every job of the registry with its last run, success and failure', async () => {
      await seedRun({ job: 'poll-sources', startedAt: at(T0), counts: { polled: 2 } });
      await seedRun({
        job: 'poll-sources',
        startedAt: at(T0 + 10 * SECOND),
        outcome: 'failed',
        error: 'boom',
      });
      await seedRun({
        job: 'poll-sources',
        startedAt: at(T0 + 20 * SECOND),
        outcome: 'skipped',
        counts: { ticks: 1 },
      });
      await seedRun({ job: 'retention', startedAt: at(T0), counts: { deleted: 5, batches: 1 } });
      const jobs = await listJobs({ deps });
      expect(jobs.map((j) => j.name)).toEqual(JOBS.map((j) => j.name));
      const poll = jobs.find((j) => j.name === 'poll-sources');
      expect(poll).toMatchObject({
        schedule: '*/10 * * * * *',
        lastRun: { outcome: 'skipped', startedAt: at(T0 + 20 * SECOND), counts: { ticks: 1 } },
        lastSuccess: { outcome: 'ok', startedAt: at(T0), counts: { polled: 2 }, durationMs: 50 },
        lastFailure: { outcome: 'failed', error: 'boom', worker: 'host:1' },
      });
      expect(jobs.find((j) => j.name === 'retention')).toMatchObject({
        schedule: '0 17 3 * * *',
        lastRun: { counts: { deleted: 5, batches: 1 } },
        lastFailure: null,
      });
      expect(jobs.find((j) => j.name === 'send-digests')).toMatchObject({
        lastRun: null,
        lastSuccess: null,
        lastFailure: null,
      });
    });

    it('lists runs newest first, filtered, by pages', async () => {
      for (let i = 0; i < 5; i++) {
        await seedRun({ job: 'poll-sources', startedAt: at(T0 + i * SECOND) });
        await seedRun({
          job: 'deliver-alerts',
          startedAt: at(T0 + i * SECOND),
          outcome: i % 2 ? 'failed' : 'ok',
        });
      }
      const page1 = await listRuns({ deps, input: { job: 'deliver-alerts', limit: 2 } });
      expect(page1.items.map((r) => [r.job, (r.startedAt.getTime() - T0) / SECOND])).toEqual([
        ['deliver-alerts', 4],
        ['deliver-alerts', 3],
      ]);
      const page2 = await listRuns({
        deps,
        input: { job: 'deliver-alerts', limit: 2, cursor: page1.nextCursor },
      });
      const page3 = await listRuns({
        deps,
        input: { job: 'deliver-alerts', limit: 2, cursor: page2.nextCursor },
      });
      expect([...page2.items, ...page3.items].map((r) => (r.startedAt.getTime() - T0) / SECOND)).toEqual([
        2, 1, 0,
      ]);
      expect(page3.nextCursor).toBeNull();
      const failed = await listRuns({ deps, input: { outcome: 'failed' } });
      expect(failed.items.map((r) => (r.startedAt.getTime() - T0) / SECOND)).toEqual([3, 1]);
      expect((await listRuns({ deps, input: {} })).items).toHaveLength(10);
    });
  });

  describe('routes', () => {
    let app: App;

    beforeAll(() => {
      // The routes on their own, with the error handling of src/app.ts (they are mounted there too).
      const jobs = createOpenApiApp();
      jobs.route('/api/jobs', jobRoutes(deps));
      jobs.onError((error, c) =>
        error instanceof AppError
          ? c.json(errorBody(error, 'test'), error.status)
          : c.json(errorBody(new AppError('internal', 'internal error'), 'test'), 500),
      );
      app = jobs as unknown as App;
    });

    it('GET /api/jobs answers every job with its last runs', async () => {
      await seedRun({
        job: 'evaluate-alerts',
        startedAt: at(T0),
        counts: { rules: 2, recorded: 0, queued: 0 },
      });
      const res = await call(app, 'GET', '/api/jobs');
      expectStatus(res, 200);
      expect(res.body.items.map((j: { name: string }) => j.name)).toEqual(JOBS.map((j) => j.name));
      expect(res.body.items.find((j: { name: string }) => j.name === 'evaluate-alerts')).toMatchObject({
        schedule: '0 * * * * *',
        lastRun: {
          job: 'evaluate-alerts',
          outcome: 'ok',
          startedAt: '2026-11-23T10:00:00.000Z',
          counts: { rules: 2, recorded: 0, queued: 0 },
          worker: 'host:1',
        },
        lastFailure: null,
      });
    });

    it('GET /api/jobs/runs filters and pages', async () => {
      for (let i = 0; i < 4; i++) {
        await seedRun({
          job: 'poll-sources',
          startedAt: at(T0 + i * SECOND),
          outcome: i === 2 ? 'failed' : 'ok',
        });
        await seedRun({ job: 'retention', startedAt: at(T0 + i * SECOND) });
      }
      const first = await call(app, 'GET', '/api/jobs/runs?job=poll-sources&limit=3');
      expectStatus(first, 200);
      expect(first.body.items.map((r: { startedAt: string }) => r.startedAt)).toEqual([
        '2026-11-23T10:00:03.000Z',
        '2026-11-23T10:00:02.000Z',
        '2026-11-23T10:00:01.000Z',
      ]);
      expect(first.body.items[1]).toMatchObject({ job: 'poll-sources', outcome: 'failed', durationMs: 50 });
      const next = await call(
        app,
        'GET',
        `/api/jobs/runs?job=poll-sources&limit=3&cursor=${first.body.nextCursor}`,
      );
      expectStatus(next, 200);
      expect(next.body.items.map((r: { startedAt: string }) => r.startedAt)).toEqual([
        '2026-11-23T10:00:00.000Z',
      ]);
      expect(next.body.nextCursor).toBeNull();
      const failed = await call(app, 'GET', '/api/jobs/runs?outcome=failed');
      expect(failed.body.items.map((r: { job: string }) => r.job)).toEqual(['poll-sources']);
      const all = await call(app, 'GET', '/api/jobs/runs');
      expect(all.body.items).toHaveLength(8);
    });

    it('refuses a bad query with a 400 naming the field', async () => {
      for (const [query, field] of [
        ['limit=0', 'limit'],
        ['limit=201', 'limit'],
        ['limit=ten', 'limit'],
        ['outcome=crashed', 'outcome'],
        ['job=Poll%20Sources', 'job'],
        ['since=2026-01-01', '(root)'],
      ] as const) {
        const res = await call(app, 'GET', `/api/jobs/runs?${query}`);
        expectError(res, 400, 'validation_failed');
        expect(
          res.body.error.details?.map((d: { path: string }) => d.path),
          `${query}: ${res.text}`,
        ).toContain(field);
      }
      expectError(await call(app, 'GET', '/api/jobs/runs?cursor=nonsense'), 400, 'invalid_cursor');
    });
  });

  describe('the scheduler', () => {
    it('records what its jobs did, their failures, and the ticks skipped while a run was going', async () => {
      const real = createTestDeps(handle.db);
      let slowRuns = 0;
      const scheduler = startScheduler(
        real,
        [
          {
            name: 'slow',
            schedule: '* * * * * *',
            description: 'takes 2.5 seconds',
            run: async () => {
              slowRuns++;
              await new Promise((resolve) => setTimeout(resolve, 2500));
              return { done: 1 };
            },
          },
          {
            name: 'broken',
            schedule: '* * * * * *',
            description: 'fails',
            run: async () => {
              throw new Error('upstream said no\n    at somewhere (x.ts:1:1)');
            },
          },
        ],
        { pollConcurrency: 1, retentionDays: 0 },
      );
      await new Promise((resolve) => setTimeout(resolve, 3300));
      await scheduler.stop();
      const rows = await runs();
      const slow = rows.filter((r) => r.job === 'slow');
      expect(slow.filter((r) => r.outcome === 'ok')).toHaveLength(slowRuns);
      expect(slow.find((r) => r.outcome === 'ok')?.counts).toEqual({ done: 1 });
      const skipped = slow.filter((r) => r.outcome === 'skipped');
      expect(skipped.length, JSON.stringify(rows)).toBeGreaterThan(0);
      expect(skipped.every((r) => r.counts.ticks !== undefined && r.counts.ticks >= 1)).toBe(true);
      const broken = rows.filter((r) => r.job === 'broken');
      expect(broken.length).toBeGreaterThanOrEqual(2); // failures are never thinned
      for (const r of broken)
        expect(r).toMatchObject({ outcome: 'failed', error: 'upstream said no', counts: {} });
      expect(new Set(rows.map((r) => r.worker))).toEqual(new Set([`${hostname()}:${process.pid}`]));
    });
  });
});
