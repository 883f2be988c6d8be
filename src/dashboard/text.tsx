/**
 * User text on the page. Mention text, authors, titles, URLs, theme and source names are hostile
 * input: hono/jsx escapes them, this module keeps them from reordering or hiding parts of the page.
 * Bidi controls are shown as a visible marker, invisible characters removed, every piece of user
 * text is isolated (`<bdi>`, `dir="auto"`), and only http(s) URLs become links.
 */
import type { Child } from 'hono/jsx';

/** Bidi embeddings, overrides and isolates, and the direction marks: shown, never obeyed. */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** Zero-width and other invisible characters, and C0/C1 controls other than tab and newline. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
const INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u180e\u200b\u2060-\u2064\ufeff]/g;
/** Joiners are kept where scripts and emoji need them (between letters, marks or pictographs). */
const STRAY_JOINER =
  /(?<![\p{L}\p{M}\p{Extended_Pictographic}])[\u200c\u200d]|[\u200c\u200d](?![\p{L}\p{M}\p{Extended_Pictographic}])/gu;

const codePoint = (ch: string) => `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/** The text as it should be shown: hidden characters removed, direction controls made visible. */
export function visibleText(text: string): string {
  return text
    .replace(INVISIBLE, '')
    .replace(STRAY_JOINER, '')
    .replace(BIDI_CONTROLS, (ch) => `[${codePoint(ch)}]`);
}

/** At most `max` characters (by code point), with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** Inline user text, isolated from the text around it. */
export function UserText({ text, max, class: className }: { text: string; max?: number; class?: string }) {
  const shown = visibleText(max === undefined ? text : truncate(text, max));
  return (
    <bdi dir="auto" class={className}>
      {shown}
    </bdi>
  );
}

/** The URL when it is an http(s) URL (normalised: punycode host, escaped quotes), otherwise null. */
export function httpUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/**
 * A link to somewhere outside earshot, only for http(s): anything else (`javascript:`, `data:`) is
 * shown as text. No referrer, no opener.
 */
export function ExternalLink({
  url,
  children,
  testId,
}: {
  url: string | null | undefined;
  children?: Child;
  testId?: string;
}) {
  if (!url) return null;
  const href = httpUrl(url);
  if (href === null) {
    return (
      <span class="unsafe-url" title="not a web link: shown as text" data-testid={testId}>
        <UserText text={url} max={200} />
      </span>
    );
  }
  return (
    <a
      href={href}
      rel="noopener noreferrer nofollow ugc"
      target="_blank"
      class="external"
      data-testid={testId}
    >
      {children ?? <UserText text={new URL(href).host} />}
    </a>
  );
}
