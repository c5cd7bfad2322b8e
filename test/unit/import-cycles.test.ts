/**
 * No import cycles among the product's modules. A cycle makes load order decide what a module sees (an import
 * that is still `undefined` while its cycle loads) and ties modules that should stand alone: a workflow and the
 * activity that starts it, a connection and its migrations.
 *
 * Type-only imports count too, on purpose: they are erased at run time, but a type cycle still means neither
 * module owns the shape both use. The fleet cycle this test was written for was type-only both ways; shared
 * shapes belong in workflows/messages.ts (workflow inputs, messages) or activities/contracts.ts (activity
 * signatures). `import()` and `require()` count as well (ts.preProcessFile reports all of them).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');
/** sandbox/ is the provider sandboxes' top-level home once they move there; checked when present. */
const DIRS = ['src', 'activities', 'workflows', 'workers', 'sandbox'];

type Graph = Map<string, string[]>;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** The file a relative specifier names, as Node's resolution finds it for TypeScript sources. */
function resolveRelative(from: string, specifier: string): string | null {
  const base = path.resolve(path.dirname(from), specifier);
  return [base, `${base}.ts`, path.join(base, 'index.ts')].find((c) => c.endsWith('.ts') && existsSync(c)) ?? null;
}

function importGraph(files: string[]): Graph {
  const graph: Graph = new Map();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .map((i) => i.fileName)
      .filter((s) => s.startsWith('.'))
      .map((s) => resolveRelative(file, s))
      .filter((t): t is string => t !== null);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** One path per cycle found by a depth-first walk (each back edge closes one), first node repeated at the end. */
function findCycles(graph: Graph): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const visit = (node: string) => {
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (onStack.has(next)) cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!done.has(next) && graph.has(next)) visit(next);
    }
    stack.pop();
    onStack.delete(node);
    done.add(node);
  };
  for (const node of [...graph.keys()].sort()) if (!done.has(node)) visit(node);
  return cycles;
}

describe('import cycles', () => {
  it('finds a cycle in a graph that has one, and none in one that has none', () => {
    const cyclic: Graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
    ]);
    expect(findCycles(cyclic)).toEqual([['a', 'b', 'c', 'a']]);
    expect(findCycles(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]]))).toEqual([]);
    expect(findCycles(new Map([['a', ['a']]]))).toEqual([['a', 'a']]);
  });

  it('reads type-only imports and re-exports as edges', () => {
    const graph = importGraph([path.join(ROOT, 'workflows', 'fleet-session.ts'), path.join(ROOT, 'workflows', 'index.ts')]);
    // `import type { FleetActivities, ... } from '../activities/contracts'`
    expect(graph.get(path.join(ROOT, 'workflows', 'fleet-session.ts'))).toContain(path.join(ROOT, 'activities', 'contracts.ts'));
    // `export { fleetSession } from './fleet-session'`
    expect(graph.get(path.join(ROOT, 'workflows', 'index.ts'))).toContain(path.join(ROOT, 'workflows', 'fleet-session.ts'));
  });

  it(`has none among ${DIRS.join('/, ')}/`, () => {
    const files = DIRS.map((d) => path.join(ROOT, d)).filter(existsSync).flatMap(tsFiles);
    const graph = importGraph(files);
    expect(graph.size).toBeGreaterThan(100);
    const rel = (cycle: string[]) => cycle.map((f) => path.relative(ROOT, f)).join(' -> ');
    expect(findCycles(graph).map(rel)).toEqual([]);
  });
});
