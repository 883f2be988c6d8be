import { expect } from 'vitest';
import type { App } from '../../src/app.ts';
import { BEARER } from './auth.ts';

export type JsonResponse = { status: number; body: any; text: string; headers: Headers };

/**
 * Calls the app in-process and parses the JSON answer; as the test admin token unless the headers
 * say otherwise (`authorization: null` sends none).
 */
export async function call(
  app: App,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string | null> = {},
): Promise<JsonResponse> {
  const all: Record<string, string | null> = { ...BEARER, ...headers };
  const sent = Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== null));
  const init: RequestInit = { method, headers: sent };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await app.request(path, init);
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

/** Asserts the status, showing the body when it differs. */
export function expectStatus(res: JsonResponse, status: number): void {
  expect(res.status, `expected ${status}, got ${res.status}: ${res.text}`).toBe(status);
}

/** Asserts the one error envelope. */
export function expectError(res: JsonResponse, status: number, code: string): void {
  expectStatus(res, status);
  expect(res.body?.error?.code, res.text).toBe(code);
  expect(typeof res.body.error.message, res.text).toBe('string');
  expect(typeof res.body.error.requestId, res.text).toBe('string');
  expect(res.text).not.toMatch(/\n\s+at /); // never a stack trace
}

export type Route = { method: string; path: string };

/** Every route the app registers (method and pattern), once each: what access and fuzz tests cover. */
export function routesOf(app: App): Route[] {
  const seen = new Set<string>();
  return app.routes
    .filter((r) => r.method !== 'ALL' && !r.path.includes('*'))
    .map((r) => ({ method: r.method, path: r.path }))
    .filter((r) => {
      const key = `${r.method} ${r.path}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}
