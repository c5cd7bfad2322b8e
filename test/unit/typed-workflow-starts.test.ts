/**
 * Workflows are started by their function, never by a type name in a string: `client.workflow.start(parkingSession,
 * ...)` type-checks the arguments and the result, and renaming the function shows every caller. The type name
 * Temporal records is the function's name, so the workflow functions keep the names open executions and the
 * committed replay histories carry (parkingSession, vippsBilling, fleetSession, ...).
 *
 * A unit test rather than a lint rule: it reads the TypeScript syntax tree, so it tells `client.workflow.start('x')`
 * from the e2e helpers' `stack.start('api')`, and it covers tests, tools and bench as well.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import * as workflows from '../../workflows';

const ROOT = path.join(__dirname, '..', '..');
const DIRS = ['src', 'activities', 'workflows', 'workers', 'bench', 'tools', 'test', 'sandbox'];

/** client.workflow.<name>(type, ...) */
const CLIENT_STARTS = new Set(['start', 'execute', 'signalWithStart', 'startUpdateWithStart', 'executeUpdateWithStart']);
/** Inside workflows: startChild(type, ...), executeChild(type, ...) */
const CHILD_STARTS = new Set(['startChild', 'executeChild']);

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : tsFiles(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

const isString = (n: ts.Node | undefined) => n !== undefined && (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n) || ts.isTemplateExpression(n));

/** `file:line: text` of every workflow start (or schedule action) that names its workflow type with a string. */
function stringTypedStarts(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const report = (node: ts.Node) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    found.push(`${fileName}:${line + 1}: ${node.getText(source).split('\n')[0]}`);
  };
  const visit = (node: ts.Node) => {
    if (ts.isCallExpression(node) && isString(node.arguments[0])) {
      const callee = node.expression;
      const clientStart =
        ts.isPropertyAccessExpression(callee) &&
        CLIENT_STARTS.has(callee.name.text) &&
        ts.isPropertyAccessExpression(callee.expression) &&
        callee.expression.name.text === 'workflow';
      const calleeName = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
      if (clientStart || CHILD_STARTS.has(calleeName)) report(node);
    }
    // Schedules: { type: 'startWorkflow', workflowType: dailyReconciliation }
    if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && node.name.text === 'workflowType' && isString(node.initializer)) report(node);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('workflows are started by their function', () => {
  it('flags a type name in a string as the first argument, and nothing else', () => {
    const flagged = stringTypedStarts(
      'sample.ts',
      [
        "await client.workflow.start('parkingSession', { workflowId, taskQueue });",
        "await deps.temporal.workflow.signalWithStart(`vippsBilling`, { workflowId, taskQueue, signal, signalArgs });",
        "await startChild('lateCapture', { workflowId });",
        "await wf.executeChild('orderRefund', { args });",
        "const action = { type: 'startWorkflow', workflowType: 'dailyReconciliation' };",
        // Not workflow starts, or typed ones:
        "await client.workflow.start(parkingSession, { workflowId, taskQueue });",
        "await stack.start('api');",
        "await handle.signal(gateEventSignal, 'x');",
        "const action2 = { type: 'startWorkflow', workflowType: dailyReconciliation };",
      ].join('\n'),
    );
    expect(flagged.map((f) => f.split(':')[1])).toEqual(['1', '2', '3', '4', '5']);
  });

  it('finds none in the code, tests, tools and bench', () => {
    const files = DIRS.map((d) => path.join(ROOT, d)).filter(existsSync).flatMap(tsFiles);
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((f) => stringTypedStarts(path.relative(ROOT, f), readFileSync(f, 'utf8')));
    expect(found).toEqual([]);
  });

  it('keeps the workflow type names that open executions and the recorded histories use', () => {
    // A function's name is its workflow type: a rename would orphan every running workflow of that type.
    for (const [exported, fn] of Object.entries(workflows)) expect(fn.name).toBe(exported);
    const dir = path.join(ROOT, 'test', 'replay', 'histories');
    const recorded = new Set(
      readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => {
          const { events } = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { events: Array<{ workflowExecutionStartedEventAttributes?: { workflowType: { name: string } } }> };
          return events[0].workflowExecutionStartedEventAttributes!.workflowType.name;
        }),
    );
    expect(recorded.size).toBeGreaterThan(0);
    for (const type of recorded) expect(Object.keys(workflows)).toContain(type);
  });
});
