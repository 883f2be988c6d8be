import { createHttpClient, type HttpClient, UpstreamError } from '../../sources/http.ts';
import type { FetchContext, SecretRef } from '../../sources/types.ts';
import type { Json } from '../../src/types.ts';

/** A fast client for connector tests: no retries unless asked, short timeouts, no host pacing. */
export function testHttpClient(overrides: Parameters<typeof createHttpClient>[0] = {}): HttpClient {
  return createHttpClient({ retries: 0, timeoutMs: 2_000, perHostIntervalMs: 0, ...overrides });
}

import { resolveSecretRef } from '../../src/secrets.ts';

/** The context a connector's fetchNew gets, with secrets read from the given map. */
export function fetchContext<Options>(
  options: Options,
  overrides: { cursor?: Json | null; http?: HttpClient; now?: Date; secrets?: Record<string, string> } = {},
): FetchContext<Options> {
  const secrets = overrides.secrets ?? {};
  return {
    options,
    cursor: overrides.cursor ?? null,
    http: overrides.http ?? testHttpClient(),
    now: overrides.now ?? new Date(),
    secret: (ref: SecretRef) => resolveSecretRef((name) => secrets[name], ref),
  };
}

/** The UpstreamError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function failure(promise: Promise<unknown>): Promise<UpstreamError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UpstreamError) return error;
    throw new Error(`expected an UpstreamError, got ${String(error)}`);
  }
  throw new Error('expected the fetch to fail, it succeeded');
}
