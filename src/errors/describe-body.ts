/** Longest first line of a body quoted in a message. */
const LINE_LIMIT = 120;
/** How far into an HTML page its `<title>` is looked for. */
const TITLE_SCAN = 16 * 1024;

/**
 * A short description of a body that is not the JSON an OpenEnv server sends, for error
 * messages: media type, first non-blank line (capped), and for an HTML page its title and a hint.
 * Never the whole page (proxies and login walls answer with kilobytes of HTML).
 *
 * @example
 * describeBody('text/html; charset=utf-8', '<!DOCTYPE html>\n<html><title>Sign in</title>...');
 * // 'text/html: <!DOCTYPE html> (an HTML page titled "Sign in": is this the URL of an OpenEnv server?)'
 */
export function describeBody(contentType: string | undefined, text: string): string {
  const media = contentType?.split(';')[0]?.trim().toLowerCase() || 'no content type';
  const line = text.split(/\r?\n/, 50).map((s) => s.trim()).find((s) => s !== '') ?? '(empty body)';
  const shown = line.length > LINE_LIMIT ? `${line.slice(0, LINE_LIMIT)}...` : line;
  if (media !== 'text/html' && !/^<!doctype html|^<html/i.test(line)) return `${media}: ${shown}`;
  const title = /<title[^>]*>([^<]{1,200})<\/title>/i.exec(text.slice(0, TITLE_SCAN))?.[1]?.trim();
  return `${media}: ${shown} (an HTML page${title ? ` titled "${title}"` : ''}: is this the URL of an OpenEnv server?)`;
}
