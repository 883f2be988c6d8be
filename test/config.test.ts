import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.ts';

describe('config', () => {
  it('has working defaults', () => {
    const { readSecret, ...config } = parseConfig({});
    expect(typeof readSecret).toBe('function');
    expect(config).toEqual({
      port: 3000,
      host: '127.0.0.1',
      databaseUrl: undefined,
      dataDir: './data',
      configPath: undefined,
      modelPath: './data/sentiment-model.json',
      vocabularyPath: undefined,
      logLevel: 'info',
      role: 'both',
      scheduler: true,
      pollConcurrency: 4,
      pollLeaseSeconds: 600,
      shutdownSeconds: 25,
      retentionDays: 400,
      outboundAllow: [],
      corsOrigins: [],
      rateLimit: 600,
      tokenRateLimit: 600,
      trustProxy: false,
    });
  });

  it('reads every setting', () => {
    const config = parseConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgres://u:p@db:5432/earshot',
      EARSHOT_DATA_DIR: '/var/lib/earshot',
      EARSHOT_CONFIG: 'my.json',
      LOG_LEVEL: 'debug',
      EARSHOT_SCHEDULER: 'off',
      EARSHOT_POLL_CONCURRENCY: '8',
      EARSHOT_RATE_LIMIT: '120',
      EARSHOT_TOKEN_RATE_LIMIT: '60',
      EARSHOT_TRUST_PROXY: 'true',
    });
    expect(config).toMatchObject({
      port: 8080,
      databaseUrl: 'postgres://u:p@db:5432/earshot',
      scheduler: false,
      rateLimit: 120,
      tokenRateLimit: 60,
      trustProxy: true,
    });
  });

  it('reads credentials by name, treating empty as unset', () => {
    const config = parseConfig({ REDDIT_SECRET: 's3cret', EMPTY: '' });
    expect(config.readSecret('REDDIT_SECRET')).toBe('s3cret');
    expect(config.readSecret('EMPTY')).toBeUndefined();
    expect(config.readSecret('MISSING')).toBeUndefined();
  });

  it('reads the outbound allow-list and names a bad entry', () => {
    expect(parseConfig({}).outboundAllow).toEqual([]);
    expect(parseConfig({ EARSHOT_OUTBOUND_ALLOW: ' 10.1.0.0/16, 127.0.0.1 ,::1' }).outboundAllow).toEqual([
      '10.1.0.0/16',
      '127.0.0.1',
      '::1',
    ]);
    expect(() => parseConfig({ EARSHOT_OUTBOUND_ALLOW: 'localhost' })).toThrow(/EARSHOT_OUTBOUND_ALLOW/);
  });

  it('reads the retention in days: 0 keeps mentions forever, less than 30 is refused', () => {
    expect(parseConfig({ EARSHOT_RETENTION_DAYS: '0' }).retentionDays).toBe(0);
    expect(parseConfig({ EARSHOT_RETENTION_DAYS: '30' }).retentionDays).toBe(30);
    expect(parseConfig({ EARSHOT_RETENTION_DAYS: ' 730 ' }).retentionDays).toBe(730);
    for (const bad of ['7', '29', '-1', '1.5', 'forever', '36501']) {
      expect(() => parseConfig({ EARSHOT_RETENTION_DAYS: bad }), bad).toThrow(/EARSHOT_RETENTION_DAYS/);
    }
  });

  it('reads the process role: api runs no jobs, worker needs PostgreSQL and its jobs', () => {
    const postgres = { DATABASE_URL: 'postgres://db/earshot' };
    expect(parseConfig(postgres)).toMatchObject({ role: 'both', scheduler: true });
    expect(parseConfig({ ...postgres, EARSHOT_ROLE: 'api' })).toMatchObject({
      role: 'api',
      scheduler: false,
    });
    expect(parseConfig({ ...postgres, EARSHOT_ROLE: 'worker' })).toMatchObject({
      role: 'worker',
      scheduler: true,
    });
    expect(parseConfig({ EARSHOT_ROLE: 'both', EARSHOT_SCHEDULER: 'off' }).scheduler).toBe(false);
    expect(() => parseConfig({ ...postgres, EARSHOT_ROLE: 'scheduler' })).toThrow(/EARSHOT_ROLE/);
    // PGlite is one process: a role split there is refused, saying why and what to do.
    for (const role of ['api', 'worker']) {
      expect(() => parseConfig({ EARSHOT_ROLE: role }), role).toThrow(ConfigError);
      expect(() => parseConfig({ EARSHOT_ROLE: role, DATABASE_URL: '' }), role).toThrow(
        /EARSHOT_ROLE: "(api|worker)" needs DATABASE_URL: the embedded database \(PGlite\) belongs to one process/,
      );
    }
    expect(() => parseConfig({ ...postgres, EARSHOT_ROLE: 'worker', EARSHOT_SCHEDULER: 'off' })).toThrow(
      /EARSHOT_SCHEDULER: a worker .* would do nothing/,
    );
  });

  it('reads the poll lease and the shutdown deadline in seconds, within bounds', () => {
    const config = parseConfig({ EARSHOT_POLL_LEASE_SECONDS: '30', EARSHOT_SHUTDOWN_SECONDS: '5' });
    expect(config).toMatchObject({ pollLeaseSeconds: 30, shutdownSeconds: 5 });
    expect(parseConfig({ EARSHOT_POLL_LEASE_SECONDS: '10' }).pollLeaseSeconds).toBe(10);
    for (const bad of ['9', '0', '-5', '1.5', 'long', '86401']) {
      expect(() => parseConfig({ EARSHOT_POLL_LEASE_SECONDS: bad }), bad).toThrow(
        /EARSHOT_POLL_LEASE_SECONDS/,
      );
    }
    for (const bad of ['0', '3601', 'soon']) {
      expect(() => parseConfig({ EARSHOT_SHUTDOWN_SECONDS: bad }), bad).toThrow(/EARSHOT_SHUTDOWN_SECONDS/);
    }
  });

  it('treats an empty DATABASE_URL as unset', () => {
    expect(parseConfig({ DATABASE_URL: '' }).databaseUrl).toBeUndefined();
  });

  it('fails loudly, naming the bad setting', () => {
    expect(() => parseConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => parseConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => parseConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => parseConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(() => parseConfig({ EARSHOT_TOKEN_RATE_LIMIT: 'lots' })).toThrow(/EARSHOT_TOKEN_RATE_LIMIT/);
    expect(() => parseConfig({ EARSHOT_TOKEN_RATE_LIMIT: '-1' })).toThrow(/EARSHOT_TOKEN_RATE_LIMIT/);
    expect(() => parseConfig({ EARSHOT_TOKEN_RATE_LIMIT: '1.5' })).toThrow(/EARSHOT_TOKEN_RATE_LIMIT/);
  });
});
