/**
 * JSON APIs through the shared client: an HTML error page, a truncated body or any other non-JSON
 * answer becomes an `invalid` UpstreamError naming what came back, never a crash.
 */
import { decodeBody, type HttpClient, type HttpRequest, UpstreamError } from './http.ts';

export type JsonResponse<T = unknown> = { data: T; headers: Headers; status: number; notModified: boolean };

export async function fetchJson<T = unknown>(
  http: HttpClient,
  request: HttpRequest,
): Promise<JsonResponse<T>> {
  const response = await http.get({
    ...request,
    headers: { accept: 'application/json', ...request.headers },
  });
  if (response.notModified) {
    return { data: undefined as T, headers: response.headers, status: 304, notModified: true };
  }
  const text = decodeBody(response.body, response.headers.get('content-type'));
  try {
    return {
      data: JSON.parse(text) as T,
      headers: response.headers,
      status: response.status,
      notModified: false,
    };
  } catch {
    const preview = text.replace(/\s+/g, ' ').trim().slice(0, 80);
    throw new UpstreamError(
      'invalid',
      `${request.url}: expected JSON, got ${preview ? `"${preview}…"` : 'an empty body'}`,
    );
  }
}

/** Joins a configurable base URL and a path, keeping the base's own path ("https://h/prefix" + "/api"). */
export function joinUrl(
  base: string,
  path: string,
  query?: Record<string, string | number | undefined>,
): string {
  const url = new URL(`${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  return url.toString();
}
