import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Builds the check for `Authorization: Bearer <token>`. Without a token every request passes.
 * Both sides are hashed first so the comparison is constant-time whatever the lengths.
 *
 * @example
 * const allowed = bearerCheck('s3cret');
 * allowed('Bearer s3cret'); // true
 * allowed(undefined);       // false
 */
export function bearerCheck(token: string | undefined): (authorization: string | undefined) => boolean {
  if (token === undefined) return () => true;
  const expected = digest(token);
  return (authorization) => {
    const match = /^Bearer +(.+)$/i.exec(authorization ?? '');
    // Compare even on a malformed header so timing does not tell the two cases apart.
    const given = digest(match ? match[1]!.trim() : '');
    return timingSafeEqual(given, expected) && match !== null;
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
