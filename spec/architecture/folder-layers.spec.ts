import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { repoPath } from '../fixtures/test-image.js';

/**
 * The layers under src/ import each other downward only, at every depth: inside any folder, its
 * sub-folders and loose files form a graph with no cycle (a newcomer can read each folder
 * bottom-up), and the shared helpers in `internal/` import nothing above `errors/` and
 * `protocol/`. A loose file is a node of its folder's graph too, so `src/index.ts` may import
 * every layer as long as no layer imports it back; imports between two loose files are not
 * folder edges (sibling modules may share types both ways).
 */
const srcRoot = repoPath('src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

function folders(dir: string): string[] {
  return [dir, ...readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? folders(path) : [];
  })];
}

/** Every relative import of every file under src/: [importing file, imported file]. */
function importEdges(): [string, string][] {
  const specifier = /(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;
  return sourceFiles(srcRoot).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(specifier)].map((match): [string, string] => [file, resolve(dirname(file), match[1]!)]),
  );
}

/** The child of `dir` (a sub-folder or a loose file) that `path` is in, or undefined outside `dir`. */
const childOf = (dir: string, path: string): string | undefined => {
  const rel = relative(dir, path);
  return rel.startsWith('..') || rel === '' ? undefined : rel.split(sep)[0];
};

const isFile = (child: string): boolean => child.endsWith('.ts');

/** The graph of `dir`'s children: child -> imported sibling -> one file (relative to src/) that imports it. */
function graphOf(dir: string, edges: [string, string][]): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const [file, target] of edges) {
    const from = childOf(dir, file);
    const to = childOf(dir, target.replace(/\.js$/, '.ts'));
    if (!from || !to || to === from || (isFile(from) && isFile(to))) continue;
    const next = graph.get(from) ?? new Map<string, string>();
    next.set(to, relative(srcRoot, file));
    graph.set(from, next);
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
  const edges = importEdges();
  const graphs = new Map(folders(srcRoot).map((dir) => [relative(srcRoot, dir) || '.', graphOf(dir, edges)]));
  const top = graphs.get('.')!;

  it('has no import cycle among the sub-folders and files of any folder, at every depth', () => {
    const cycles = [...graphs].flatMap(([dir, graph]) => {
      const cycle = findCycle(graph);
      return cycle ? [`in ${dir}/: ${cycle.slice(1).map((to, i) => `${cycle[i]} -> ${to} (${graph.get(cycle[i]!)?.get(to)})`).join(', ')}`] : [];
    });
    expect(cycles).toEqual([]);
  });

  it('keeps internal/ at the bottom: it imports only errors/ and protocol/', () => {
    expect([...(top.get('internal')?.keys() ?? [])].filter((to) => to !== 'errors' && to !== 'protocol')).toEqual([]);
  });

  it("matches the README's Development layer list: every folder named once, bottom-up (none imports a later one)", () => {
    const section = readFileSync(repoPath('README.md'), 'utf8').split('\n## Development')[1]?.split('Tests:')[0] ?? '';
    const listed = [...section.matchAll(/`([a-z-]+)\/`/g)].map((m) => m[1]!).filter((name) => name !== 'src');
    const layers = readdirSync(srcRoot).filter((name) => statSync(join(srcRoot, name)).isDirectory());
    expect([...listed].sort()).toEqual([...layers].sort());
    const upward = listed.flatMap((from, i) =>
      [...(top.get(from)?.keys() ?? [])].filter((to) => listed.indexOf(to) > i).map((to) => `${from}/ imports ${to}/ (${top.get(from)?.get(to)})`),
    );
    expect(upward).toEqual([]);
  });

  it('finds the imports it checks (the parser is not blind), at the top and inside a folder', () => {
    expect(top.get('session')?.has('transport')).toBe(true);
    expect(top.get('envs')?.has('environment')).toBe(true);
    expect(graphs.get('runtime')?.get('swarm')?.has('docker')).toBe(true);
    expect(graphs.get('runtime')?.get('lazy-runtimes.ts')?.has('docker')).toBe(true);
  });
});
