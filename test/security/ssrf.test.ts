/**
 * SSRF: feeds and webhook targets are user-supplied URLs. By default no connection reaches a
 * loopback, private, link-local, unique-local, multicast or other special-purpose address; the check
 * is on the address connected to (DNS answers and redirects included); an allow-list lets on-premise
 * targets through.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DbHandle } from '../../db/create-db.ts';
import { createHttpClient } from '../../sources/http.ts';
import { createChannel } from '../../src/alerts/channels-catalog.ts';
import { sendTestAlert } from '../../src/alerts/deliver.ts';
import { createSource } from '../../src/catalog/sources.ts';
import type { Deps } from '../../src/deps.ts';
import { pollSource } from '../../src/ingest/poll-source.ts';
import { createOutboundFetch, forbiddenKind, outboundPolicy } from '../../src/net/outbound.ts';
import { createTestDb, resetDb } from '../helpers/db.ts';
import { createTestDeps } from '../helpers/deps.ts';

const CLASSES: Array<[address: string, kind: string | undefined]> = [
  ['127.0.0.1', 'loopback'],
  ['127.9.9.9', 'loopback'],
  ['::1', 'loopback'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['10.1.2.3', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['::ffff:192.168.1.1', 'private'],
  ['169.254.169.254', 'link-local (cloud metadata)'],
  ['fe80::1', 'link-local'],
  ['fd00:ec2::254', 'unique-local'],
  ['fc00::1', 'unique-local'],
  ['224.0.0.1', 'multicast'],
  ['ff02::1', 'multicast'],
  ['0.0.0.0', 'unspecified'],
  ['::', 'unspecified'],
  ['100.64.0.1', 'shared (carrier-grade NAT)'],
  ['255.255.255.255', 'reserved'],
  ['64:ff9b::a00:1', 'private'],
  // Public addresses pass.
  ['93.184.215.14', undefined],
  ['172.32.0.1', undefined],
  ['2606:4700::6810:84e5', undefined],
  ['::ffff:8.8.8.8', undefined],
];

function listen(host: string, handler: Parameters<typeof createServer>[1]): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}
const portOf = (server: Server) => (server.address() as AddressInfo).port;

describe('outbound requests (SSRF)', () => {
  let target: Server;
  let other: Server;
  let hits: string[];

  beforeAll(async () => {
    hits = [];
    target = await listen('127.0.0.1', (req, res) => {
      hits.push(`127.0.0.1${req.url}`);
      if (req.url === '/redirect') {
        res.writeHead(302, { location: `http://127.0.0.2:${portOf(other)}/inside` }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
    other = await listen('127.0.0.2', (req, res) => {
      hits.push(`127.0.0.2${req.url}`);
      res.writeHead(200).end('secret');
    });
  });
  afterAll(async () => {
    await new Promise((r) => target.close(r));
    await new Promise((r) => other.close(r));
  });
  beforeEach(() => {
    hits = [];
  });

  it.each(CLASSES)('%s is %s', (address, kind) => {
    expect(forbiddenKind(address)).toBe(kind);
    expect(outboundPolicy().allows(address)).toBe(kind === undefined);
  });

  it('the allow-list lets named addresses and ranges through, and nothing else', () => {
    const policy = outboundPolicy(['127.0.0.1', '10.1.0.0/16']);
    expect(policy.allows('127.0.0.1')).toBe(true);
    expect(policy.allows('127.0.0.2')).toBe(false);
    expect(policy.allows('10.1.200.3')).toBe(true);
    expect(policy.allows('10.2.0.1')).toBe(false);
    expect(policy.allows('169.254.169.254')).toBe(false);
    expect(() => outboundPolicy(['localhost'])).toThrow(/not an IP address/);
  });

  it('refuses a loopback target before connecting; allowed, it connects', async () => {
    const url = `http://127.0.0.1:${portOf(target)}/feed`;
    const refused = await createOutboundFetch()(url).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(Error);
    expect(String((refused as Error & { cause?: Error }).cause?.message)).toMatch(
      /refused to connect to 127\.0\.0\.1: a loopback address/,
    );
    expect(hits).toEqual([]);
    const allowed = await createOutboundFetch({ allow: ['127.0.0.1'] })(url);
    expect(await allowed.text()).toBe('ok');
    expect(hits).toEqual(['127.0.0.1/feed']);
  });

  it('checks the address a name resolves to (a public-looking name that answers 127.0.0.1)', async () => {
    const lookup = async () => [{ address: '127.0.0.1' }];
    const guarded = createOutboundFetch({ lookup });
    const refused = await guarded(`http://rebind.example.com:${portOf(target)}/x`).catch((e: Error) => e);
    expect(String((refused as Error & { cause?: Error }).cause?.message)).toMatch(
      /rebind\.example\.com \(127\.0\.0\.1\): a loopback address/,
    );
    // A name with any forbidden address is refused, even next to a public one.
    const mixed = createOutboundFetch({
      lookup: async () => [{ address: '93.184.215.14' }, { address: '10.0.0.5' }],
    });
    const both = await mixed('http://mixed.example.com/').catch((e: Error) => e);
    expect(String((both as Error & { cause?: Error }).cause?.message)).toMatch(/private address/);
    expect(hits).toEqual([]);
  });

  it('checks every redirect hop', async () => {
    const guarded = createOutboundFetch({ allow: ['127.0.0.1'] });
    const refused = await guarded(`http://127.0.0.1:${portOf(target)}/redirect`).catch((e: Error) => e);
    expect(String((refused as Error & { cause?: Error }).cause?.message)).toMatch(
      /127\.0\.0\.2: a loopback address/,
    );
    expect(hits).toEqual(['127.0.0.1/redirect']);
  });

  describe('through a source poll and a webhook channel', () => {
    let handle: DbHandle;
    let deps: Deps;
    beforeAll(async () => {
      handle = await createTestDb();
      const outbound = createOutboundFetch();
      deps = createTestDeps(handle.db, {
        http: createHttpClient({ fetch: outbound, retries: 0, timeoutMs: 2_000, perHostIntervalMs: 0 }),
        fetch: outbound,
      });
    });
    afterAll(() => handle.close());
    beforeEach(() => resetDb(handle.db));

    it('a feed at the cloud metadata address ends in a recorded source error, at once', async () => {
      const source = await createSource({
        deps,
        input: {
          name: 'metadata',
          kind: 'rss',
          options: { url: 'http://169.254.169.254/latest/meta-data/' },
        },
      });
      const started = Date.now();
      const result = await pollSource({ deps, input: { sourceId: source.id } });
      expect(result.status).toBe('failed');
      expect(result.error).toMatch(/link-local \(cloud metadata\) address/);
      // Refused before any connection: no 2-second timeout waited out.
      expect(Date.now() - started).toBeLessThan(1_900);
      const row = await handle.db
        .selectFrom('sources')
        .selectAll()
        .where('id', '=', source.id)
        .executeTakeFirstOrThrow();
      expect(row.last_error).toMatch(/link-local/);
    });

    it('a webhook to a private address is refused and says why', async () => {
      const channel = await createChannel({
        deps,
        input: {
          name: 'intranet',
          kind: 'webhook',
          url: 'http://10.0.0.7/hooks/earshot',
          secret: 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=',
        },
      });
      const result = await sendTestAlert({
        deps,
        input: { channelId: channel.id },
        options: { timeoutMs: 2_000 },
      });
      expect(result.ok).toBe(false);
      expect(result.status).toBeNull();
      expect(result.error).toMatch(/private address/);
    });
  });
});
