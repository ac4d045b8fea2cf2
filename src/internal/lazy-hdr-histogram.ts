import type { build } from 'hdr-histogram-js';

/** hdr-histogram-js's `build`. */
export type HistogramBuilder = typeof build;

// About 50 ms of a fresh import (it carries a WebAssembly build): loaded when a collection
// starts, not with the main entry.
let loading: Promise<HistogramBuilder> | undefined;

/**
 * hdr-histogram-js's `build`, imported on the first call (a failed import is tried again on the next call).
 *
 * @example
 * const build = await loadHistogramBuilder();
 * const histogram = build({ numberOfSignificantValueDigits: 3 });
 */
export function loadHistogramBuilder(): Promise<HistogramBuilder> {
  loading ??= import('hdr-histogram-js').then(
    (module) => module.build,
    (error: unknown) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}
