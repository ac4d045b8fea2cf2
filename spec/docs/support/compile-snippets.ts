import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { AUTO_IMPORT_MODULES, CONTEXT, CONTEXT_IMPORTS, PRELUDE_FILE, snippetKind, type SnippetKind } from './snippet-context.js';
import type { Snippet } from './snippet.js';

/** A snippet after compilation: its program, or why it has none. */
export interface CompiledSnippet {
  readonly snippet: Snippet;
  readonly kind: SnippetKind;
  /** The emitted JavaScript file (ESM), placeholders still in it. */
  readonly file: string;
  /** Compiler errors (line numbers are the snippet's own) and harness refusals; empty when it compiled. */
  readonly errors: readonly string[];
  /** Context names it was given. */
  readonly context: readonly string[];
  /**
   * It needs the Docker engine (uses `image` or starts containers), a swarm manager, a Kubernetes
   * cluster (starts or reaps pods), or the pinned OpenEnv release's venv (runs `uvicorn`, talks to
   * OpenEnv's task API).
   */
  readonly needs?: 'docker' | 'swarm' | 'k8s' | 'openenv';
}

// "Cannot find name 'x'" and its variants (did you mean, a test runner's globals, a shorthand property).
const MISSING_NAME_CODES = new Set([2304, 2552, 2580, 2581, 2582, 2591, 2593, 18004]);

const OPTIONS: ts.CompilerOptions = {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts'],
  types: ['node'],
  strict: true,
  skipLibCheck: true,
  allowJs: true,
  checkJs: true,
  esModuleInterop: true,
};

/**
 * Compiles every TypeScript/JavaScript snippet in ONE program (twice: a first pass finds the names
 * each snippet uses without defining, the second type-checks it with those names given) and emits
 * each as an ES module under `dir/out`. `dir` must be inside this package (so that `openenv-rx`
 * resolves to it by self-reference: the built dist/, as a consumer gets it).
 */
export function compileSnippets(snippets: readonly Snippet[], dir: string): CompiledSnippet[] {
  const srcDir = join(dir, 'src');
  const outDir = join(dir, 'out');
  mkdirSync(srcDir, { recursive: true });
  const files = snippets.map((snippet, i) => join(srcDir, `snippet-${i}.${snippet.javascript ? 'js' : 'ts'}`));
  const preludeFile = join(srcDir, PRELUDE_FILE);
  copyFileSync(join(dirname(fileURLToPath(import.meta.url)), PRELUDE_FILE), preludeFile);
  const exportsFile = join(srcDir, 'library-exports.ts');
  writeFileSync(exportsFile, AUTO_IMPORT_MODULES.map((m, i) => `import * as m${i} from '${m}';\nexport { m${i} };`).join('\n'));
  snippets.forEach((snippet, i) => writeFileSync(files[i]!, `${snippet.code}\nexport {};\n`));

  const first = ts.createProgram([...files, exportsFile, preludeFile], { ...OPTIONS, noEmit: true });
  const exported = libraryExports(first, exportsFile);
  const results: Array<Omit<CompiledSnippet, 'errors'> & { errors: string[]; prefixLines: number }> = snippets.map((snippet, i) => {
    const source = first.getSourceFile(files[i]!)!;
    const missing = new Set<string>();
    for (const d of first.getSemanticDiagnostics(source)) {
      if (MISSING_NAME_CODES.has(d.code) && d.start !== undefined) missing.add(source.text.slice(d.start, d.start + d.length!));
    }
    const kind = snippetKind(snippet.code);
    const errors: string[] = [];
    const imports = new Map<string, string[]>();
    const context: string[] = [];
    const addContext = (name: string) => {
      if (context.includes(name)) return;
      for (const used of CONTEXT[name]!.uses?.(kind) ?? []) addContext(used);
      context.push(name);
    };
    for (const name of missing) {
      if (CONTEXT[name]) addContext(name);
      else {
        const module = AUTO_IMPORT_MODULES.find((m) => exported.get(m)!.has(name));
        if (module) imports.set(module, [...(imports.get(module) ?? []), name]);
        else errors.push(`uses ${name}, which it neither defines nor imports, and which is not a context name (spec/docs/support/snippet-context.ts)`);
      }
    }
    const holding = context.filter((name) => CONTEXT[name]!.holds || (CONTEXT[name]!.opens && !snippet.with?.includes(name)));
    if (holding.length > 0 && snippet.mode === 'run') {
      errors.push(
        `uses ${holding.join(', ')}, which a program would have to hold open or invent: make it a whole program, or mark it ` +
          '`doctest: with NAME (what it is)` when NAME is a session, pool or vector env the harness can open, else compile-only with the reason',
      );
    }
    for (const name of snippet.with ?? []) {
      if (!CONTEXT[name]?.opens) errors.push(`its marker names ${name}, which is not a session, pool or vector env the harness opens (spec/docs/support/snippet-context.ts)`);
      else if (!context.includes(name)) errors.push(`its marker names ${name}, which it does not use`);
    }
    // A `with` fragment's last expression is the work the held things serve: the program waits for it, then closes them.
    let code = snippet.code;
    const opens = context.some((name) => CONTEXT[name]!.opens);
    if (opens) {
      const last = source.statements.at(-2); // the last is the `export {}` appended
      if (last && ts.isExpressionStatement(last)) code = `${code.slice(0, last.getStart(source))}const __doctestResult = ${code.slice(last.getStart(source))}`;
      code = `${code}\nawait __settle(${last && ts.isExpressionStatement(last) ? '__doctestResult' : 'undefined'});\n`;
    }
    const definitions = context.map((name) => CONTEXT[name]!.code(kind));
    const aliases = Object.entries(CONTEXT_IMPORTS).filter(([alias]) => definitions.some((d) => d.includes(`${alias}.`) || d.includes(`${alias}(`)));
    const prefix = [
      ...aliases.map(([, line]) => line),
      ...[...imports].map(([module, names]) => `import { ${names.join(', ')} } from '${module}';`),
      ...definitions,
    ];
    writeFileSync(files[i]!, `${prefix.join('\n')}\n${code}\nexport {};\n`);
    // A pod's snippet uses `image` too: the cluster's nodes have it, the Docker engine is not what it needs.
    const needs = /\b(fromKubernetesPod|reapKubernetesPods)\b/.test(snippet.code)
      ? 'k8s'
      : /\b(fromSwarmService|perSwarmService|swarmEndpoint)\b/.test(snippet.code)
        ? 'swarm'
        : context.some((name) => CONTEXT[name]!.needs === 'docker') || /\b(fromDockerImage|dockerEndpoint|reapOrphans)\b/.test(snippet.code)
          ? 'docker'
          : /'uvicorn'/.test(snippet.code) || kind === 'corridor'
            ? 'openenv'
            : undefined;
    return { snippet, kind, file: join(outDir, `snippet-${i}.js`), errors, context, prefixLines: prefix.length, ...(needs ? { needs } : {}) };
  });

  const second = ts.createProgram([...files, preludeFile], { ...OPTIONS, outDir, rootDir: srcDir }, undefined, first);
  files.forEach((file, i) => {
    const source = second.getSourceFile(file)!;
    // A JavaScript block has no annotations to give: its implicit anys (TS7xxx) are not errors.
    const javascript = snippets[i]!.javascript === true;
    for (const d of [...second.getSyntacticDiagnostics(source), ...second.getSemanticDiagnostics(source)]) {
      if (javascript && d.code >= 7000 && d.code < 8000) continue;
      const line = d.start === undefined ? 0 : source.getLineAndCharacterOfPosition(d.start).line + 1 - results[i]!.prefixLines;
      results[i]!.errors.push(`line ${line}: TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    }
  });
  second.emit();
  return results.map(({ prefixLines: _, ...result }) => result);
}

/** Value and type names each auto-import module exports. */
function libraryExports(program: ts.Program, file: string): Map<string, Set<string>> {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file)!;
  const byModule = new Map<string, Set<string>>();
  source.statements.filter(ts.isImportDeclaration).forEach((statement) => {
    const module = (statement.moduleSpecifier as ts.StringLiteral).text;
    const symbol = checker.getSymbolAtLocation(statement.moduleSpecifier);
    byModule.set(module, new Set(symbol ? checker.getExportsOfModule(symbol).map((s) => s.name) : []));
  });
  return byModule;
}
