/**
 * Schemathesis against /openapi.json with real credentials: no answer may be a 5xx, and every answer must match
 * the schema documented for its status. Bounded in examples per operation and in time per group; the seed is
 * fixed so a failure reproduces. The fuzzer lives in a git-ignored venv made by tools/install-schemathesis.sh.
 */
import { execFileSync, spawn } from 'node:child_process';
import { demoGateKey } from '../../src/db/demo-data';
import path from 'node:path';
import { ROOT } from '../../src/platform/local-servers';
import { startStack, type Stack } from '../helpers/stack';

const ST = path.join(ROOT, '.tools', 'venv-schemathesis', 'bin', 'st');
let s: Stack;

beforeAll(async () => {
  execFileSync('bash', [path.join(ROOT, 'tools', 'install-schemathesis.sh')], { stdio: 'inherit' });
  s = await startStack('fuzz');
}, 300_000);
afterAll(() => s?.stop());

/** One `st run`; resolves with its exit code and output (the findings and how to reproduce them). */
function schemathesis(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(ST, args, { env: { ...process.env, NO_COLOR: '1', PYTHONUNBUFFERED: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

const groups = () => [
  { name: 'driver', select: ['--include-path-regex', '^/api/car_driver/'], header: `Authorization: Bearer ${s.config.DEMO_DRIVER_TOKEN}` },
  { name: 'ops', select: ['--include-path-regex', '^/api/ops/'], header: `Authorization: Bearer ${s.config.OPS_API_TOKEN}` },
  { name: 'gates, payment pages, provider callbacks, Vipps pages', select: ['--exclude-path-regex', '^/api/(car_driver|ops)/'], header: `X-API-Key: ${demoGateKey(s.config, 189, 'entrance')}` },
];

test('no 5xx and no undocumented answer shape on any route', async () => {
  for (const group of groups()) {
    const { code, output } = await schemathesis([
      'run',
      `${s.api}/openapi.json`,
      ...group.select,
      '--header',
      group.header,
      '--checks',
      'not_a_server_error,response_schema_conformance',
      '--phases',
      'examples,coverage,fuzzing',
      '--max-examples',
      '15',
      '--max-time',
      '60',
      // One worker: Python 3.11's ast.parse is not thread-safe, and hypothesis calls it while generating.
      '--workers',
      '1',
      '--seed',
      '20240601',
      '--request-timeout',
      '20',
      '--suppress-health-check',
      'all',
      '--warnings',
      'off',
    ]);
    if (code !== 0) throw new Error(`schemathesis found problems in the ${group.name} routes (exit ${code}):\n${output.slice(-12_000)}`);
    expect(output).toMatch(/passed|No issues found/i);
  }
}, 600_000);
