import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { repoPath } from '../fixtures/test-image.js';

/**
 * The layers under src/ import each other downward only: no folder cycle (a newcomer can read
 * the tree bottom-up), and the shared helpers in `internal/` import nothing above `errors/` and
 * `protocol/`. Top-level files (the package entries) may import anything.
 */
const srcRoot = repoPath('src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Top-level folder of a file under src/, or undefined for a top-level file. */
const layerOf = (file: string): string | undefined => {
  const parts = relative(srcRoot, file).split(sep);
  return parts.length > 1 ? parts[0] : undefined;
};

function folderGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  const specifier = /(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;
  for (const file of sourceFiles(srcRoot)) {
    const from = layerOf(file);
    if (!from) continue;
    for (const match of readFileSync(file, 'utf8').matchAll(specifier)) {
      const to = layerOf(resolve(dirname(file), match[1]!));
      if (!to || to === from) continue;
      const edges = graph.get(from) ?? new Map<string, string>();
      edges.set(to, relative(srcRoot, file));
      graph.set(from, edges);
    }
  }
  return graph;
}

function findCycle(graph: Map<string, Map<string, string>>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'visiting') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'visiting');
    path.push(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('src/ folder layers', () => {
  const graph = folderGraph();

  it('has no folder cycle', () => {
    const cycle = findCycle(graph);
    const where = cycle?.slice(1).map((to, i) => `${cycle[i]} -> ${to} (${graph.get(cycle[i]!)?.get(to)})`);
    expect(where).toBeUndefined();
  });

  it('keeps internal/ at the bottom: it imports only errors/ and protocol/', () => {
    expect([...(graph.get('internal')?.keys() ?? [])].filter((to) => to !== 'errors' && to !== 'protocol')).toEqual([]);
  });

  it('finds the imports it checks (the parser is not blind)', () => {
    expect(graph.get('session')?.has('transport')).toBe(true);
    expect(graph.get('envs')?.has('environment')).toBe(true);
  });
});
