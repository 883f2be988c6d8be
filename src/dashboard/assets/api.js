/**
 * What the dashboard's client modules share: calls to the JSON API (as the page's session), a status
 * message, and user text made safe to show (the same rules as the server's text.tsx). User text is only ever set with
 * textContent.
 */

/** The session's CSRF token (the page carries it when it was opened with a session), or null. */
function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? null;
}

/** To the sign-in form, coming back here afterwards. */
export function signIn() {
  const here = `${window.location.pathname}${window.location.search}`;
  window.location.assign(`/signin?next=${encodeURIComponent(here)}`);
}

/**
 * Calls the JSON API; resolves with the answer's body, or throws with the API's error message. A
 * change (not a GET) carries the session's CSRF token; an answer of 401 (the session ended: signed
 * out elsewhere, expired, its token revoked) goes to the sign-in form.
 */
export async function api(method, url, body) {
  const init = { method, headers: { accept: 'application/json' }, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const csrf = csrfToken();
  if (csrf && !['GET', 'HEAD'].includes(method.toUpperCase())) init.headers['x-csrf-token'] = csrf;
  const response = await fetch(url, init);
  if (response.status === 401) {
    signIn();
    throw new Error('the session has ended: sign in again');
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    throw new Error(data?.error?.message ?? `${response.status} ${response.statusText}`);
  }
  return data;
}

let toastTimer;

/** Shows a short message (announced to screen readers: the element is role=status). */
export function toast(message, isError = false) {
  const element = document.getElementById('toast');
  if (!element) return;
  element.textContent = message;
  element.classList.toggle('error', isError);
  element.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => element.classList.remove('show'), isError ? 8000 : 4000);
}

const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u180e\u200b\u2060-\u2064\ufeff]/g;
const STRAY_JOINER =
  /(?<![\p{L}\p{M}\p{Extended_Pictographic}])[\u200c\u200d]|[\u200c\u200d](?![\p{L}\p{M}\p{Extended_Pictographic}])/gu;

/** Hidden characters removed, direction controls shown as [U+202E]. */
export function visibleText(text) {
  return String(text ?? '')
    .replace(INVISIBLE, '')
    .replace(STRAY_JOINER, '')
    .replace(BIDI_CONTROLS, (ch) => `[U+${ch.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}]`);
}

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const percent = new Intl.NumberFormat('en', { style: 'percent', maximumFractionDigits: 1 });
const signed = new Intl.NumberFormat('en', {
  signDisplay: 'exceptZero',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});

/** The formats of the server's format.ts. */
export const format = {
  count: (n) => (n === null || n === undefined ? '—' : integer.format(n)),
  share: (x) => (x === null || x === undefined ? '—' : percent.format(x)),
  score: (x) => (x === null || x === undefined ? '—' : signed.format(x).replace('-', '−')),
};
