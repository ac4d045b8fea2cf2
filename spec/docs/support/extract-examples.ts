import { relative } from 'node:path';
import ts from 'typescript';
import { parseMarker, type Snippet } from './snippet.js';

/**
 * The `@example`s of the public API: the entry points' own comments, the JSDoc of everything they
 * export, and of the members of exported classes and interfaces. An example's `<caption>` (TypeDoc shows
 * it as the example's title) may carry the marker: `<caption>doctest: compile-only (reason)</caption>`, `<caption>doctest: with env (an open session)</caption>`.
 */
export function extractExamples(root: string, entryPoints: readonly string[]): Snippet[] {
  const program = ts.createProgram(entryPoints, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const seen = new Set<string>();
  const snippets: Snippet[] = [];
  const visit = (node: ts.Node, name: string) => {
    for (const tag of ts.getJSDocTags(node)) {
      if (tag.tagName.text !== 'example') continue;
      const source = node.getSourceFile();
      const line = source.getLineAndCharacterOfPosition(tag.pos).line + 1;
      const where = `${relative(root, source.fileName)}:${line}`;
      if (seen.has(where)) continue;
      seen.add(where);
      let code = ts.getTextOfJSDocComment(tag.comment) ?? '';
      const caption = /^\s*<caption>(.*?)<\/caption>\s*\n/.exec(code);
      const marker = caption ? parseMarker(caption[1]!) : undefined;
      if (caption) code = code.slice(caption[0].length);
      snippets.push({ id: `${where} ${name}`, lang: 'ts', code: `${code}\n`, mode: marker?.mode ?? 'run', ...(marker?.reason !== undefined && { reason: marker.reason }), ...(marker?.with && { with: marker.with }) });
    }
  };
  for (const entry of entryPoints) {
    const file = program.getSourceFile(entry)!;
    // The entry point's own comment (TypeDoc's module page) is the JSDoc of its first statement.
    if (file.statements[0]) visit(file.statements[0], '(module)');
    const module = checker.getSymbolAtLocation(file);
    for (const exported of module ? checker.getExportsOfModule(module) : []) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      for (const declaration of symbol.declarations ?? []) {
        visit(ts.isVariableDeclaration(declaration) ? declaration.parent.parent : declaration, exported.name);
        if (ts.isClassDeclaration(declaration) || ts.isInterfaceDeclaration(declaration)) {
          for (const member of declaration.members) visit(member, `${exported.name}.${member.name?.getText() ?? ''}`);
        }
      }
    }
  }
  return snippets;
}
