// The house, drawn as data (docs/style.md "The house, drawn"): every import between the TypeScript files of
// controller/, type-only imports included (a type import is a dependency of the design even if erased at
// run time), and every import between its folders (controller/<folder>). Prints each circle and exits 1
// when there is one; `test/unit/import-cycles.test.ts` runs the same check in the suite.
//
//   node scripts/import-cycles.ts [ROOT]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const IMPORT_RE = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** File → the files of the same tree it imports (relative specifiers only; packages are not rooms). */
export function importGraph(controllerDir: string): Map<string, Set<string>> {
  const files = tsFiles(controllerDir);
  const known = new Set(files);
  const graph = new Map<string, Set<string>>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    const deps = new Set<string>();
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2];
      if (!spec || !spec.startsWith('.')) continue;
      const target = resolve(dirname(file), spec);
      if (known.has(target) && target !== file) deps.add(target);
    }
    graph.set(file, deps);
  }
  return graph;
}

/** Strongly connected components with more than one member (Tarjan): each is a circle. */
export function circles<T>(graph: ReadonlyMap<T, ReadonlySet<T>>): T[][] {
  let index = 0;
  const idx = new Map<T, number>();
  const low = new Map<T, number>();
  const onStack = new Set<T>();
  const stack: T[] = [];
  const out: T[][] = [];
  const visit = (v: T): void => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: T[] = [];
      let w: T;
      do { w = stack.pop()!; onStack.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/** `controller/<folder>` of a file (files directly in controller/ are their own folder). */
function folderOf(controllerDir: string, file: string): string {
  const rel = relative(controllerDir, file).split(sep);
  return rel.length > 1 ? rel[0]! : rel.join('/');
}

export interface ImportCircles {
  /** Each circle of files, paths relative to the root. */
  files: string[][];
  /** Each circle of folders under controller/. */
  folders: string[][];
}

export function importCircles(root: string): ImportCircles {
  const controllerDir = join(root, 'controller');
  const graph = importGraph(controllerDir);
  const folderGraph = new Map<string, Set<string>>();
  for (const [file, deps] of graph) {
    const from = folderOf(controllerDir, file);
    if (!folderGraph.has(from)) folderGraph.set(from, new Set());
    for (const d of deps) {
      const to = folderOf(controllerDir, d);
      if (to !== from) folderGraph.get(from)!.add(to);
    }
  }
  return {
    files: circles(graph).map((c) => c.map((f) => relative(root, f))),
    folders: circles(folderGraph).map((c) => c.map((f) => `controller/${f}`)),
  };
}

if (import.meta.main) {
  const root = resolve(process.argv[2] ?? join(import.meta.dirname, '..'));
  const found = importCircles(root);
  for (const c of found.folders) process.stdout.write(`folder circle: ${c.join(' <-> ')}\n`);
  for (const c of found.files) process.stdout.write(`file circle: ${c.join(' <-> ')}\n`);
  if (found.folders.length + found.files.length === 0) process.stdout.write('no import circle between the files or the folders of controller/\n');
  process.exitCode = found.folders.length + found.files.length ? 1 : 0;
}
