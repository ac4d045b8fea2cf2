import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** uPlot's browser build and stylesheet, as text to inline into a page. */
export interface ChartLibrary {
  script: string;
  css: string;
  version: string;
}

let loaded: ChartLibrary | undefined;

/**
 * Reads uPlot (MIT, ~50 KB minified) from the installed `uplot` package: the page carries it
 * inline, so it opens offline and needs no CDN.
 */
export function chartLibrary(): ChartLibrary {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const script = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  const { version } = JSON.parse(readFileSync(require.resolve('uplot/package.json'), 'utf8')) as { version: string };
  loaded = { script, css, version };
  return loaded;
}
