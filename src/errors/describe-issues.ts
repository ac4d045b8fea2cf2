import type { z } from 'zod';

/** Names the fields of zod issues: `action`, `pos.x`, `(root)`. */
export function issuePaths(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => (i.path.length ? i.path.map(String).join('.') : '(root)'));
}

/**
 * One line for zod issues, as this library's error messages show them: `path: message`, joined by `; `.
 *
 * @example
 * const parsed = z.object({ action: z.enum(['UP', 'DOWN']), pos: z.object({ x: z.number() }) }).safeParse({ action: 'JUMP', pos: { x: 'a' } });
 * if (!parsed.success) console.log(describeIssues(parsed.error.issues));
 * // action: Invalid option: expected one of "UP"|"DOWN"; pos.x: Invalid input: expected number, received string
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`).join('; ');
}
