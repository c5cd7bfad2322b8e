/**
 * Product code (src/, activities/, workflows/, workers/) never imports the provider simulators in sandbox/: the
 * production build and image leave sandbox/ out. The ESLint rule that guards it (eslint.config.mjs, run by
 * `npm run lint` in CI) is driven here through ESLint's own Node API with the project's config
 * (test/helpers/lint-text.mjs), and the real tree is checked independently of ESLint, with every import form
 * (static, dynamic, require) resolved to a file.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');
const SANDBOX_DIR = path.join(ROOT, 'sandbox');
const PRODUCT_DIRS = ['src', 'activities', 'workflows', 'workers'] as const;

interface LintMessage {
  ruleId: string | null;
  severity: number;
  message: string;
}

/** The messages ESLint reports for each snippet as if it were the file at its path (the files need not exist). */
function lint(snippets: Array<{ code: string; relPath: string }>): LintMessage[][] {
  const input = JSON.stringify(snippets.map(({ code, relPath }) => ({ code, filePath: path.join(ROOT, relPath) })));
  const out = execFileSync(process.execPath, [path.join(ROOT, 'test', 'helpers', 'lint-text.mjs')], { cwd: ROOT, input, encoding: 'utf8' });
  return JSON.parse(out) as LintMessage[][];
}

/** An import of sandbox/app written from `relPath`, as a developer would write it. */
function sandboxImport(relPath: string, form: 'value' | 'type' = 'value'): string {
  const spec = path.posix.relative(path.posix.dirname(relPath), 'sandbox/app');
  return form === 'type'
    ? `import type { createSandboxApp } from '${spec}';\nexport type X = typeof createSandboxApp;\n`
    : `import { createSandboxApp } from '${spec}';\nexport const x = createSandboxApp;\n`;
}

function tsFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

const PRODUCT_FILES = ['src/probe.ts', 'src/providers/vipps/probe.ts', 'activities/probe.ts', 'workflows/probe.ts', 'workers/probe.ts'];
const NOT_PRODUCT = ['test/helpers/probe.ts', 'tools/probe.ts', 'bench/probe.ts'];

describe('product code never imports sandbox/', () => {
  // One ESLint process for every snippet: loading the config is the slow part.
  const refused = PRODUCT_FILES.flatMap((relPath) => (['value', 'type'] as const).map((form) => ({ relPath, form, code: sandboxImport(relPath, form) })));
  const allowed = [
    ...NOT_PRODUCT.map((relPath) => ({ relPath, code: sandboxImport(relPath) })),
    // The sandboxes import each other and src/ freely.
    { relPath: 'sandbox/vipps/probe.ts', code: "import { createSandboxApp } from '../app';\nimport { loadConfig } from '../../src/config';\nexport const x = [createSandboxApp, loadConfig];\n" },
    // Product code importing product code stays clean: the rule is about sandbox/, not about imports.
    { relPath: 'src/api/probe.ts', code: "import { loadConfig } from '../config';\nexport const x = loadConfig;\n" },
  ];
  let results: LintMessage[][] = [];
  beforeAll(() => {
    results = lint([...refused, ...allowed]);
  });

  it.each(refused.map((c, i) => [`${c.form} import in ${c.relPath}`, i] as const))('ESLint refuses a sandbox %s', (_name, i) => {
    expect(results[i]).toEqual([
      expect.objectContaining({ ruleId: 'no-restricted-imports', severity: 2, message: expect.stringContaining('provider sandboxes (sandbox/)') }),
    ]);
  });

  it.each(allowed.map((c, i) => [c.relPath, refused.length + i] as const))('ESLint lets %s import what it does', (_name, i) => {
    expect(results[i]).toEqual([]);
  });

  it('no product file imports a file under sandbox/ (any import form)', () => {
    const offenders: string[] = [];
    let checked = 0;
    for (const dir of PRODUCT_DIRS) {
      for (const file of tsFilesUnder(path.join(ROOT, dir))) {
        const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
        for (const { fileName } of importedFiles) {
          if (!fileName.startsWith('.')) continue;
          checked += 1;
          const target = path.resolve(path.dirname(file), fileName);
          if (target === SANDBOX_DIR || target.startsWith(SANDBOX_DIR + path.sep)) offenders.push(`${path.relative(ROOT, file)} → ${fileName}`);
        }
      }
    }
    // The scan saw the product's relative imports (hundreds), so an empty offender list means something.
    expect(checked).toBeGreaterThan(200);
    expect(offenders).toEqual([]);
  });

  it('the production build (npm run build, tsconfig.build.json) compiles the product folders only', () => {
    const scripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.build).toBe('tsc -p tsconfig.build.json');
    const parsed = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'tsconfig.build.json'), {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    });
    const tops = new Set(parsed!.fileNames.map((f) => path.relative(ROOT, f).split(path.sep)[0]));
    expect([...tops].sort()).toEqual([...PRODUCT_DIRS].sort());
  });
});
