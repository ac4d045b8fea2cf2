import { chartLibrary } from './chart-library.js';
import { REPORT_PAGE_SCRIPT } from './report-page-script.js';
import type { RunSummary } from './run-summary.js';

/** Options of `renderReportHtml`. */
export interface RenderReportOptions {
  title?: string;
  /** Printed in the page's header; default now. */
  generatedAt?: Date;
}

const PAGE_CSS = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1200px; padding: 0 16px; color: #222; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 32px; border-bottom: 1px solid #ddd; }
.help, .note, header p { color: #555; margin: 4px 0; }
table { border-collapse: collapse; margin: 12px 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; } th { background: #f4f4f4; }
td:first-child, th:first-child, #failure-list td { text-align: left; }
.chart { width: 100%; margin: 8px 0; } .scroll { max-height: 320px; overflow: auto; }
`;

/**
 * One self-contained HTML page for `runs`: uPlot (script and stylesheet), the data and the page's
 * script are all inline, so the file opens offline, from disk or as a CI artifact. The data is
 * embedded as JSON (with `<` escaped: no text from a run can close the script element) and drawn
 * by the page with `textContent` only.
 *
 * @example
 * writeFileSync('report.html', renderReportHtml([await readRun('runs/a'), await readRun('runs/b')]));
 */
export function renderReportHtml(runs: readonly RunSummary[], options: RenderReportOptions = {}): string {
  const library = chartLibrary();
  const title = options.title ?? `openenv-rx report: ${runs.map((r) => r.label).join(', ')}`;
  const generatedAt = (options.generatedAt ?? new Date()).toISOString();
  const data = scriptSafeJson({ title, generatedAt, uplot: library.version, runs });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${library.css}${PAGE_CSS}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1><p>Generated ${generatedAt} by openenv-rx report; charts by uPlot ${escapeHtml(library.version)} (inlined: this page needs no network).</p></header>
<main id="report"></main>
<script type="application/json" id="report-data">${data}</script>
<script>${library.script}</script>
<script>${REPORT_PAGE_SCRIPT}</script>
</body>
</html>
`;
}

/** JSON that cannot end a `<script>` element nor open a comment in it: every `<` escaped. */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
