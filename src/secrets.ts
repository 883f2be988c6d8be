/**
 * Secrets: upstream credentials and webhook signing secrets and URLs, as sources and alert channels
 * store them. A reference is the value itself (sealed before it is stored), `{"env": NAME}` read
 * from the environment when it is used (nothing stored), or `{"enc": "v1.…"}`: the value encrypted
 * at rest with AES-256-GCM under EARSHOT_SECRET_KEY. The API never shows a stored value.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Deps } from './deps.ts';
import { AppError } from './errors.ts';

/** The environment variable holding the at-rest key: 32 random bytes, base64 or hex. */
export const SECRET_KEY_VARIABLE = 'EARSHOT_SECRET_KEY';
const KEY_HINT = `${SECRET_KEY_VARIABLE} (32 random bytes in base64, e.g. \`openssl rand -base64 32\`)`;

/** Option fields that hold credentials: sealed when stored, masked when shown. */
export const SECRET_FIELD = /(password|secret|token)$/i;

/** What the API shows instead of a stored credential; sent back unchanged, it keeps the stored one. */
export const MASKED = '********';

/** Whether a JSON value sets a credential field anywhere (a value other than the mask). */
export function setsCredentials(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(setsCredentials);
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([key, field]) =>
    SECRET_FIELD.test(key) ? field !== MASKED && field !== undefined : setsCredentials(field),
  );
}

/** A sealed secret as stored; `origin` keeps a sealed URL's origin showable. */
export type Sealed = { enc: string; origin?: string };

export const isSealed = (ref: unknown): ref is Sealed =>
  !!ref && typeof ref === 'object' && !Array.isArray(ref) && typeof (ref as Sealed).enc === 'string';

/** Reads the key; undefined when unset, an error naming the variable when malformed. */
export function secretKey(readSecret: Deps['readSecret']): Buffer | undefined {
  const raw = readSecret(SECRET_KEY_VARIABLE)?.trim();
  if (!raw) return undefined;
  const key = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new Error(`${SECRET_KEY_VARIABLE} must be 32 bytes: ${KEY_HINT}`);
  return key;
}

export function seal(key: Buffer, plain: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return ['v1', iv, body, cipher.getAuthTag()]
    .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
    .join('.');
}

export function unseal(key: Buffer, sealed: string): string {
  const [version, iv, body, tag] = sealed.split('.');
  if (version !== 'v1' || !iv || body === undefined || !tag) throw new Error('not a sealed secret');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    throw new Error(
      `a stored secret cannot be decrypted: ${SECRET_KEY_VARIABLE} is not the key it was sealed with`,
    );
  }
}

/**
 * Seals a literal before it is stored; references pass unchanged. Without a key, a literal is a
 * validation error that says how to proceed (set the key, or give the secret as {"env": NAME}).
 */
export function sealRef(
  readSecret: Deps['readSecret'],
  ref: unknown,
  what: string,
  keepOrigin = false,
): unknown {
  if (typeof ref !== 'string') return ref;
  const key = secretKey(readSecret);
  if (!key) {
    throw new AppError(
      'validation_failed',
      `${what} would be stored, and stored secrets are encrypted: set ${KEY_HINT}, or give it as {"env": "NAME"}`,
    );
  }
  const sealed: Sealed = { enc: seal(key, ref) };
  if (keepOrigin) {
    try {
      sealed.origin = new URL(ref).origin;
    } catch {
      // Not a URL: nothing to show.
    }
  }
  return sealed;
}

/** Variables a `{"env": NAME}` reference may not name: the at-rest key and the database's address. */
const OWN_SECRETS = new Set([SECRET_KEY_VARIABLE, 'DATABASE_URL', 'TEST_DATABASE_URL']);

/** Resolves a stored reference; a missing variable or key, or a malformed reference, names `what`. */
export function resolveSecretRef(readSecret: Deps['readSecret'], ref: unknown, what?: string): string {
  const about = what ? ` (${what})` : '';
  if (typeof ref === 'string' && ref !== '') return ref;
  if (isSealed(ref)) {
    const key = secretKey(readSecret);
    if (!key) throw new Error(`credential encrypted at rest${about}, but ${SECRET_KEY_VARIABLE} is not set`);
    return unseal(key, ref.enc);
  }
  if (ref && typeof ref === 'object' && 'env' in ref && typeof ref.env === 'string') {
    // earshot's own secrets are never sent anywhere, whoever configured the reference.
    if (OWN_SECRETS.has(ref.env))
      throw new Error(`credential refused: ${ref.env}${about} is earshot's own secret`);
    const value = readSecret(ref.env);
    if (!value) throw new Error(`credential missing: environment variable ${ref.env}${about} is not set`);
    return value;
  }
  throw new Error(`invalid secret reference${what ? ` for ${what}` : ''}`);
}

/**
 * Seals the credential fields (SECRET_FIELD) written inline anywhere in a JSON value, as they are
 * about to be stored; `onSeal` counts them. `path` names the field in an error (no key set).
 */
export function sealSecretFields<T>(
  readSecret: Deps['readSecret'],
  value: T,
  path: string,
  onSeal: () => void = () => {},
): T {
  const walk = (v: unknown, at: string): unknown => {
    if (Array.isArray(v)) return v.map((item, i) => walk(item, `${at}.${i}`));
    if (v === null || typeof v !== 'object' || isSealed(v)) return v;
    return Object.fromEntries(
      Object.entries(v).map(([key, field]) => {
        if (!SECRET_FIELD.test(key) || typeof field !== 'string') return [key, walk(field, `${at}.${key}`)];
        onSeal();
        return [key, sealRef(readSecret, field, `${at}.${key}`)];
      }),
    );
  };
  return walk(value, path) as T;
}

/**
 * At start: stored secrets need the key (a clear error when it is missing or wrong), and literals
 * stored before encryption existed (or while they were allowed in) are sealed now.
 */
export async function checkStoredSecrets(deps: Pick<Deps, 'db' | 'readSecret'>): Promise<{ sealed: number }> {
  const key = secretKey(deps.readSecret);
  const sources = await deps.db.selectFrom('sources').select(['id', 'options']).execute();
  const channels = await deps.db.selectFrom('alert_channels').select(['id', 'url', 'secret']).execute();
  const stored: Sealed[] = [];
  const collect = (value: unknown): void => {
    if (isSealed(value)) stored.push(value);
    else if (value && typeof value === 'object') for (const v of Object.values(value)) collect(v);
  };
  for (const s of sources) collect(s.options);
  for (const c of channels) collect([c.url, c.secret]);
  if (!key) {
    if (stored.length > 0) {
      throw new Error(
        `${stored.length} stored secret(s) are encrypted at rest and ${SECRET_KEY_VARIABLE} is not set: set it to the key they were sealed with`,
      );
    }
    return { sealed: 0 };
  }
  const first = stored[0];
  if (first) unseal(key, first.enc); // A wrong key fails here, at start, not at the first poll.
  let sealedNow = 0;
  const count = () => {
    sealedNow++;
  };
  for (const s of sources) {
    const before = sealedNow;
    const options = sealSecretFields(deps.readSecret, s.options, 'a stored secret', count);
    if (sealedNow > before) {
      await deps.db
        .updateTable('sources')
        .set({ options: JSON.stringify(options) })
        .where('id', '=', s.id)
        .execute();
    }
  }
  for (const c of channels) {
    if (typeof c.url !== 'string' && typeof c.secret !== 'string') continue;
    const url = sealRef(deps.readSecret, c.url, 'a stored secret', true);
    const secret = sealRef(deps.readSecret, c.secret, 'a stored secret');
    sealedNow += Number(typeof c.url === 'string') + Number(typeof c.secret === 'string');
    await deps.db
      .updateTable('alert_channels')
      .set({ url: JSON.stringify(url), secret: secret === null ? null : JSON.stringify(secret) })
      .where('id', '=', c.id)
      .execute();
  }
  return { sealed: sealedNow };
}
