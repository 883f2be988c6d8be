/**
 * src/worker.ts's handlers called directly (in Node, no workerd): what they answer before the app
 * can, when the worker is misconfigured. workerd.test.ts runs them for real.
 */
import type { ExecutionContext } from 'hono';
import { afterEach, describe, expect, it, vi } from 'vitest';
import worker from '../../src/worker.ts';

function context(): ExecutionContext & { pending: Promise<unknown>[] } {
  const pending: Promise<unknown>[] = [];
  return {
    pending,
    waitUntil: (promise) => pending.push(promise),
    passThroughOnException: () => {},
    props: {},
  };
}

/** The log lines the worker wrote (JSON through console.log), while `run` runs. */
async function logged<T>(run: () => Promise<T>): Promise<{ result: T; lines: Record<string, unknown>[] }> {
  const lines: Record<string, unknown>[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
    lines.push(JSON.parse(String(line)));
  });
  try {
    return { result: await run(), lines };
  } finally {
    spy.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('the Workers entry, misconfigured', () => {
  it('answers 500 in the error envelope for an invalid setting, and logs which one', async () => {
    const { result: response, lines } = await logged(() =>
      worker.fetch(
        new Request('http://earshot.test/health'),
        { EARSHOT_RETENTION_DAYS: '5', EARSHOT_SECRET_KEY: 'not-for-the-log' },
        context(),
      ),
    );
    const body = await response.json();
    expect(response.status, JSON.stringify(body)).toBe(500);
    expect(body.error).toMatchObject({
      code: 'internal',
      message: 'earshot could not start: see the worker log',
    });
    expect(body.error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 50,
      requestId: body.error.requestId,
      msg: 'earshot could not start',
    });
    expect(JSON.stringify(lines[0])).toContain('EARSHOT_RETENTION_DAYS');
    expect(JSON.stringify(lines[0])).not.toContain('not-for-the-log');
  });

  it('answers 500 without a Hyperdrive binding, and says so in the log', async () => {
    const { result: response, lines } = await logged(() =>
      worker.fetch(new Request('http://earshot.test/health'), { LOG_LEVEL: 'warn' }, context()),
    );
    expect(response.status).toBe(500);
    expect((await response.json()).error.code).toBe('internal');
    expect(JSON.stringify(lines)).toContain('no HYPERDRIVE binding');
  }, 60_000);

  it('refuses a cron trigger that no job runs on, before opening the database', async () => {
    await expect(
      worker.scheduled({ cron: '0 0 1 1 *', scheduledTime: Date.now() }, { LOG_LEVEL: 'warn' }, context()),
    ).rejects.toThrow('no job runs on the cron trigger "0 0 1 1 *"');
  }, 60_000);
});
