/**
 * Shared by the dashboard tests: fetching a page as HTML (as the test admin token unless told
 * otherwise), and the checks every page must pass (status, security headers, no inline script or
 * style, no event-handler attributes).
 */
import { expect } from 'vitest';
import type { App } from '../../src/app.ts';
import { CONTENT_SECURITY_POLICY } from '../../src/dashboard/page.tsx';
import { BEARER } from '../helpers/auth.ts';

export const PAGE_PATHS = ['/', '/competitors', '/themes', '/mentions', '/alerts'] as const;

export type HtmlResponse = { status: number; html: string; headers: Headers };

/**
 * A page as a browser asks for it (`accept: text/html`), as the admin bearer by default; `headers`
 * add to that or replace it (`authorization: null` sends none, e.g. to come with a cookie only).
 */
export async function getPage(
  app: App,
  path: string,
  headers: Record<string, string | null> = {},
): Promise<HtmlResponse> {
  const all: Record<string, string | null> = { accept: 'text/html', ...BEARER, ...headers };
  const sent = Object.fromEntries(Object.entries(all).filter((e): e is [string, string] => e[1] !== null));
  const res = await app.request(path, { headers: sent });
  return { status: res.status, html: await res.text(), headers: res.headers };
}

/** Every `<script …>` opening tag and what follows it up to `</script>`. */
function scripts(html: string): Array<{ tag: string; body: string }> {
  return [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)].map((m) => ({
    tag: m[1] ?? '',
    body: m[2] ?? '',
  }));
}

/**
 * Every tag with its attribute values blanked: hono/jsx double-quotes every value and escapes the
 * quotes inside, so what is left are the names, which is where a handler would be.
 */
function tags(html: string): string[] {
  return [...html.matchAll(/<[a-z][^>]*>/gi)].map((m) => m[0].replace(/="[^"]*"/g, '=""'));
}

/** A dashboard page: 200 (unless told), HTML, the CSP and the other headers, nothing inline. */
export function expectSafePage(res: HtmlResponse, path: string, status = 200): void {
  const where = `${path}: ${res.html.slice(0, 2000)}`;
  expect(res.status, where).toBe(status);
  expect(res.headers.get('content-type'), path).toMatch(/^text\/html/);
  expect(res.headers.get('content-security-policy'), path).toBe(CONTENT_SECURITY_POLICY);
  expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
  expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
  expect(res.html.startsWith('<!doctype html>'), path).toBe(true);
  for (const script of scripts(res.html)) {
    expect(script.tag, `${path}: inline script`).toMatch(/\ssrc="\/dashboard\/assets\/[\w.]+"/);
    expect(script.body.trim(), `${path}: script with a body`).toBe('');
  }
  expect(res.html, `${path}: <style> element`).not.toMatch(/<style\b/i);
  for (const tag of tags(res.html)) {
    expect(tag, `${path}: style attribute`).not.toMatch(/\sstyle=/i);
    expect(tag, `${path}: event handler attribute`).not.toMatch(/\son[a-z]+=/i);
  }
  expect(res.html, `${path}: javascript: link`).not.toMatch(/href="\s*javascript:/i);
}

/** The value of an attribute on the first element carrying `marker` (an id or data attribute). */
export function attribute(html: string, marker: string, name: string): string | undefined {
  const tag = html.match(new RegExp(`<[^>]*${marker}[^>]*>`))?.[0];
  return tag?.match(new RegExp(`\\s${name}="([^"]*)"`))?.[1];
}

/** HTML attribute text back to its value. */
export function unescapeHtml(text: string): string {
  return text
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}
