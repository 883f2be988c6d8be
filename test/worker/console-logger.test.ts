import { describe, expect, it } from 'vitest';
import { censorForLog, createConsoleLogger } from '../../src/console-logger.ts';

const AT = new Date('2026-11-23T10:00:00.000Z');

function capture(level: Parameters<typeof createConsoleLogger>[0]['level']) {
  const lines: Record<string, unknown>[] = [];
  const logger = createConsoleLogger({ level, now: () => AT, write: (line) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe('the console logger (Workers)', () => {
  it("writes one JSON object a call, in pino's shape, from its level up", () => {
    const { logger, lines } = capture('info');
    logger.debug({ sourceId: 1 }, 'not written');
    logger.info({ sourceId: 1, fetched: 2 }, 'source polled');
    logger.warn('a message alone');
    logger.error({ job: 'poll-sources' });
    expect(lines).toEqual([
      { level: 30, time: AT.toISOString(), sourceId: 1, fetched: 2, msg: 'source polled' },
      { level: 40, time: AT.toISOString(), msg: 'a message alone' },
      { level: 50, time: AT.toISOString(), job: 'poll-sources' },
    ]);
  });

  it('writes nothing when silent, and children carry their bindings', () => {
    const silent = capture('silent');
    silent.logger.error({ job: 'x' }, 'never');
    expect(silent.lines).toEqual([]);

    const { logger, lines } = capture('debug');
    logger.child({ requestId: 'r1' }).child({ job: 'retention' }).debug({ deleted: 0 }, 'done');
    expect(lines).toEqual([
      { level: 20, time: AT.toISOString(), requestId: 'r1', job: 'retention', deleted: 0, msg: 'done' },
    ]);
  });

  it('logs errors with their type, message, stack and cause', () => {
    const { logger, lines } = capture('info');
    const error = new TypeError('bad feed', { cause: new Error('socket closed') });
    logger.error({ err: error }, 'job failed');
    const err = lines[0]?.err as Record<string, unknown>;
    expect(err.type).toBe('TypeError');
    expect(err.message).toBe('bad feed');
    expect(String(err.stack)).toContain('bad feed');
    expect((err.cause as Record<string, unknown>).message).toBe('socket closed');
  });

  it('censors credentials at any depth and everything under options', () => {
    const logged = censorForLog({
      source: { id: 3, options: { url: 'https://example.com/feed', token: 'abc' } },
      request: { headers: { authorization: 'Bearer es_secret', cookie: 'earshot_session=x', accept: '*/*' } },
      channel: { secret: 's', signingSecret: 's', nested: [{ password: 'p', name: 'kept' }] },
      at: AT,
      count: 10n,
    });
    expect(logged).toEqual({
      source: { id: 3, options: { url: '[redacted]', token: '[redacted]' } },
      request: { headers: { authorization: '[redacted]', cookie: '[redacted]', accept: '*/*' } },
      channel: {
        secret: '[redacted]',
        signingSecret: '[redacted]',
        nested: [{ password: '[redacted]', name: 'kept' }],
      },
      at: AT.toISOString(),
      count: '10',
    });
    expect(JSON.stringify(logged)).not.toMatch(/es_secret|abc|earshot_session/);
  });

  it('survives cycles and very deep objects', () => {
    const cyclic: Record<string, unknown> = { name: 'a' };
    cyclic.self = cyclic;
    expect(censorForLog(cyclic)).toEqual({ name: 'a', self: '[circular]' });
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 10; i++) deep = { next: deep };
    expect(JSON.stringify(censorForLog(deep))).toContain('[…]');
  });
});
