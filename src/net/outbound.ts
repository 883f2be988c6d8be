/**
 * Outbound requests to user-supplied URLs (source feeds, webhook targets) must not reach the
 * machine's own network: loopback, private, link-local (cloud metadata at 169.254.169.254),
 * unique-local, multicast and other special-purpose addresses are refused unless an allow-list
 * (EARSHOT_OUTBOUND_ALLOW) permits them.
 *
 * The check is made on the address actually connected to, at connect time, for every connection
 * (redirects included): the connector resolves the host itself, refuses if any of its addresses is
 * forbidden, and connects to the address it checked — so a DNS answer that changes between a check
 * and the connection (rebinding) cannot slip through.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';

/** Special-purpose ranges refused by default, with the name the error gives them. */
const FORBIDDEN: ReadonlyArray<readonly [cidr: string, kind: string]> = [
  ['0.0.0.0/8', 'unspecified'],
  ['127.0.0.0/8', 'loopback'],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  ['100.64.0.0/10', 'shared (carrier-grade NAT)'],
  ['169.254.0.0/16', 'link-local (cloud metadata)'],
  ['192.0.0.0/24', 'IETF protocol assignment'],
  ['192.0.2.0/24', 'documentation'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fc00::/7', 'unique-local'],
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
  ['2001:db8::/32', 'documentation'],
];

const familyOf = (address: string) => (isIP(address) === 6 ? 'ipv6' : 'ipv4');

function addRange(list: BlockList, range: string): void {
  const [network, bits] = range.split('/');
  if (!network || isIP(network) === 0) throw new Error(`not an IP address or CIDR range: ${range}`);
  const family = familyOf(network);
  if (bits === undefined) list.addAddress(network, family);
  else {
    const prefix = Number(bits);
    const max = family === 'ipv6' ? 128 : 32;
    if (!/^\d+$/.test(bits) || prefix > max) throw new Error(`not a CIDR range: ${range}`);
    list.addSubnet(network, prefix, family);
  }
}

const FORBIDDEN_LISTS = FORBIDDEN.map(([cidr, kind]) => {
  const list = new BlockList();
  addRange(list, cidr);
  return { kind, list };
});

/** IPv4 addresses inside IPv6 forms (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96) are judged as IPv4. */
function embeddedIpv4(address: string): string | undefined {
  const mapped = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return undefined;
  const high = Number.parseInt(hex[1] as string, 16);
  const low = Number.parseInt(hex[2] as string, 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** Why an address may not be connected to by default (its range), or undefined when it may. */
/** A URL's host without the brackets of an IPv6 literal. */
const unbracketed = (host: string) => host.replace(/^\[|\]$/g, '');

/** An address as judged: brackets and an IPv6 zone dropped, embedded IPv4 taken out. */
function judged(address: string): string {
  const bare = unbracketed(address).replace(/%.*$/, '');
  return embeddedIpv4(bare) ?? bare;
}

export function forbiddenKind(address: string): string | undefined {
  const ip = judged(address);
  if (isIP(ip) === 0) return 'not an IP address';
  const family = familyOf(ip);
  return FORBIDDEN_LISTS.find(({ list }) => list.check(ip, family))?.kind;
}

/** The allow-list: IP addresses and CIDR ranges (EARSHOT_OUTBOUND_ALLOW, comma-separated). */
export type OutboundPolicy = { allows: (address: string) => boolean; describe: string };

export function outboundPolicy(allow: readonly string[] = []): OutboundPolicy {
  const list = new BlockList();
  for (const range of allow) addRange(list, range.trim());
  return {
    allows: (address) => {
      const ip = judged(address);
      if (isIP(ip) !== 0 && list.check(ip, familyOf(ip))) return true;
      return forbiddenKind(ip) === undefined;
    },
    describe: allow.length === 0 ? 'none' : allow.join(', '),
  };
}

export class OutboundRefused extends Error {
  override name = 'OutboundRefused';
}

type Lookup = (hostname: string) => Promise<Array<{ address: string }>>;
const systemLookup: Lookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** Resolves a host and returns the address to connect to, or throws OutboundRefused. */
export async function checkedAddress(
  host: string,
  policy: OutboundPolicy,
  lookup = systemLookup,
): Promise<string> {
  const bare = unbracketed(host);
  const addresses = isIP(bare) !== 0 ? [bare] : (await lookup(bare)).map((a) => a.address);
  if (addresses.length === 0) throw new OutboundRefused(`${host} has no address`);
  for (const address of addresses) {
    if (!policy.allows(address)) {
      throw new OutboundRefused(
        `refused to connect to ${host}${address === bare ? '' : ` (${address})`}: a ${forbiddenKind(address)} address` +
          ' (EARSHOT_OUTBOUND_ALLOW permits it)',
      );
    }
  }
  return addresses[0] as string;
}

/**
 * A fetch whose every connection passes the policy. `lookup` is injectable so tests can play a DNS
 * server that answers with a private address.
 */
export function createOutboundFetch(
  options: { allow?: readonly string[]; lookup?: Lookup } = {},
): typeof fetch {
  const policy = outboundPolicy(options.allow);
  const connect = buildConnector({});
  const agent = new Agent({
    connect: (connectOptions, callback) => {
      const host = connectOptions.hostname;
      checkedAddress(host, policy, options.lookup).then(
        (address) => {
          const bare = unbracketed(host);
          // TLS still verifies the certificate for the name asked for, not the address.
          const servername = isIP(bare) !== 0 ? undefined : (connectOptions.servername ?? bare);
          connect({ ...connectOptions, hostname: address, ...(servername ? { servername } : {}) }, callback);
        },
        (error: Error) => callback(error, null),
      );
    },
  });
  return ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(
      input as never,
      { ...(init as object), dispatcher: agent } as never,
    )) as unknown as typeof fetch;
}
