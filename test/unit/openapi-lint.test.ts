/**
 * The served OpenAPI document passes Redocly CLI's lint (recommended rules, redocly.yaml) with no error and no
 * warning, and documents every route the API serves.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openApiDocument } from '../../src/api/openapi';
import { ROOT } from '../../src/platform/local-servers';

const REDOCLY = path.join(ROOT, 'node_modules', '.bin', 'redocly');
let dir = '';
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'openapi-lint-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lint(file: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      REDOCLY,
      ['lint', file, '--config', path.join(ROOT, 'redocly.yaml'), '--format', 'stylish'],
      { cwd: ROOT, env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: `${stdout}\n${stderr}` }),
    );
  });
}

test('redocly lint: valid OpenAPI 3.1, no errors, no warnings', async () => {
  const file = path.join(dir, 'openapi.json');
  writeFileSync(file, JSON.stringify(openApiDocument('http://127.0.0.1:3000')));
  const { code, output } = await lint(file);
  if (code !== 0 || /warning/i.test(output.replace(/Deprecation warning[^\n]*/g, ''))) throw new Error(`redocly lint found problems:\n${output}`);
  expect(output).toMatch(/valid/i);
}, 150_000);

test('a broken document fails the same lint (the check can fail)', async () => {
  const file = path.join(dir, 'broken.json');
  const doc = openApiDocument('http://127.0.0.1:3000') as { paths: Record<string, Record<string, { parameters?: unknown }>> };
  // The {id} path parameter is no longer declared.
  delete doc.paths['/api/ops/sessions/{id}']!.get!.parameters;
  writeFileSync(file, JSON.stringify(doc));
  expect((await lint(file)).code).not.toBe(0);
}, 150_000);

test('every operation has an operationId (unique), a summary and responses; the ops, Vipps and pages routes are in', () => {
  const doc = openApiDocument('http://127.0.0.1:3000') as { openapi: string; paths: Record<string, Record<string, { operationId?: string; summary?: string; responses?: object }>> };
  expect(doc.openapi).toBe('3.1.0');
  const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
  expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
  expect(new Set(ids).size).toBe(ids.length);
  for (const route of ['/api/ops/sessions', '/api/ops/vipps/agreements', '/api/ops/reports/daily', '/vipps/landing', '/api/payment/pay/{id}', '/docs']) expect(doc.paths).toHaveProperty([route]);
});
