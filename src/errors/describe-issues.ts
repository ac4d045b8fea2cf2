import type { z } from 'zod';

/** Names the fields of zod issues: `action`, `pos.x`, `(root)`. */
export function issuePaths(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => (i.path.length ? i.path.map(String).join('.') : '(root)'));
}

/** One line for error messages: `path: message; path: message`. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}: ${i.message}`).join('; ');
}
