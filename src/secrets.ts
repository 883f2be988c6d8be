/**
 * Secret references, as sources and alert channels store them: the value itself, or `{"env": NAME}`
 * read from the environment when it is used (so a config file can name a secret without holding it).
 */
import type { Deps } from './deps.ts';

/** Resolves a stored reference; a missing variable or a malformed reference is an error naming `what`. */
export function resolveSecretRef(readSecret: Deps['readSecret'], ref: unknown, what?: string): string {
  const about = what ? ` (${what})` : '';
  if (typeof ref === 'string' && ref !== '') return ref;
  if (ref && typeof ref === 'object' && 'env' in ref && typeof ref.env === 'string') {
    const value = readSecret(ref.env);
    if (!value) throw new Error(`credential missing: environment variable ${ref.env}${about} is not set`);
    return value;
  }
  throw new Error(`invalid secret reference${what ? ` for ${what}` : ''}`);
}
