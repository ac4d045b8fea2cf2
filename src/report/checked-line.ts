import type { z } from 'zod';
import { ReportInputError } from '../errors/report-errors.js';

/** `value` parsed by `schema`, or a `ReportInputError` naming the file, the line and the first issue. */
export function checked<T>(schema: z.ZodType<T>, value: unknown, path: string, line: number | undefined, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  throw new ReportInputError(`${path}${line !== undefined ? `:${line}` : ''} is not ${what}${where}: ${issue?.message ?? 'invalid'}`, {
    path,
    ...(line !== undefined && { line }),
  });
}
