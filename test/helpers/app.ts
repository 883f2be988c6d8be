import { expect } from 'vitest';
import type { App } from '../../src/app.ts';

export type JsonResponse = { status: number; body: any; text: string; headers: Headers };

/** Calls the app in-process and parses the JSON answer. */
export async function call(
  app: App,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  const init: RequestInit = { method, headers: { ...headers } };
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
