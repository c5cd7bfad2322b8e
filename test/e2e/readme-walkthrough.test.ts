/**
 * The README's curl walk-through, executed as written: the bash blocks of "Drive a whole parking session with curl",
 * "Camera parking (Autopay ANPR)" and "EasyPark Fleet and the daily report" are taken from README.md by heading and
 * run with bash against a fresh stack. Only what must differ in a test is substituted: the `API=... SBX=...` line
 * (free ports), the values the README tells the reader to copy from earlier output (`ID=1`, `PAY_URL='...'`, the
 * ANPR session id) and the demo secrets should the stack's config ever differ from the README's. The test waits
 * between blocks where workflows react asynchronously, as a reader would between commands.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { eventually, http, startStack, type Stack } from '../helpers/stack';

const run = promisify(execFile);
const README = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
const MARK = '<<<readme-walkthrough: end of command>>>';

let s: Stack;
const session = (id: number) => http('GET', `${s.api}/api/car_driver/parking_sessions/${id}`, { token: s.config.DEMO_DRIVER_TOKEN });

beforeAll(async () => {
  s = await startStack('readme');
});
afterAll(() => s?.stop());

/** The ```bash blocks of the section under a heading (up to the next heading of any level), as lists of lines. */
function bashBlocks(heading: string): string[][] {
  const lines = README.split('\n');
  const start = lines.findIndex((l) => /^#{1,6} /.test(l) && l.replace(/^#+ /, '').trim() === heading);
  if (start < 0) throw new Error(`README.md has no heading "${heading}"`);
  const blocks: string[][] = [];
  let current: string[] | null = null;
  let inFence = false;
  for (const line of lines.slice(start + 1)) {
    if (!inFence && /^#{1,6} /.test(line)) break;
    if (/^```/.test(line)) {
      if (inFence) {
        if (current) blocks.push(current);
        current = null;
      } else if (/^```bash\s*$/.test(line)) current = [];
      inFence = !inFence;
      continue;
    }
    if (current) current.push(line);
  }
  if (blocks.length === 0) throw new Error(`README.md section "${heading}" has no bash block`);
  return blocks;
}

/** Index of the one line matching a marker; a README edit that removes or duplicates it fails loudly. */
function lineIndex(lines: string[], marker: RegExp): number {
  const hits = lines.flatMap((l, i) => (marker.test(l) ? [i] : []));
  if (hits.length !== 1) throw new Error(`expected one README line matching ${marker}, found ${hits.length}:\n${lines.join('\n')}`);
  return hits[0];
}

/** The demo secrets the README spells out, mapped to the stack's values (identical with the default config). */
function secrets(text: string): string {
  const pairs: [string, string][] = [
    ['demo-driver-token-0001', s.config.DEMO_DRIVER_TOKEN],
    ['demo-gate-key-0001', s.config.DEMO_GATE_API_KEY],
    ['demo-ops-token-change-me', s.config.OPS_API_TOKEN],
  ];
  return pairs.reduce((t, [from, to]) => t.split(from).join(to), text);
}

/**
 * Runs README lines with bash (-euo pipefail) after the shell state a reader has at that point; returns the output of
 * each logical command (continuation lines joined; comment-only and blank lines skipped).
 */
async function sh(state: string[], lines: string[]): Promise<{ command: string; out: string }[]> {
  const commands: string[] = [];
  let pending = '';
  for (const line of lines) {
    if (!pending && (/^\s*#/.test(line) || !line.trim())) continue;
    pending += (pending ? '\n' : '') + line;
    if (!/\\$/.test(line)) {
      commands.push(pending);
      pending = '';
    }
  }
  if (pending) commands.push(pending);
  const script = [...state, ...commands.flatMap((c) => [c, `printf '\\n%s\\n' '${MARK}'`])].map(secrets).join('\n');
  const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], { timeout: 60_000, maxBuffer: 10 * 1024 * 1024 });
  const outs = stdout.split(`\n${MARK}\n`);
  expect(outs).toHaveLength(commands.length + 1);
  return commands.map((command, i) => ({ command, out: outs[i].trim() }));
}

const curlOutputs = (results: { command: string; out: string }[]) => results.filter((r) => /^curl /.test(r.command)).map((r) => r.out);
const json = (out: string): any => {
  try {
    return JSON.parse(out);
  } catch {
    throw new Error(`not JSON: ${out.slice(0, 500)}`);
  }
};

test('the README curl walk-through works as written', async () => {
  const [drive, payBlock, exitBlock] = bashBlocks('Drive a whole parking session with curl');
  const [camera] = bashBlocks('Camera parking (Autopay ANPR)');
  const [easypark] = bashBlocks('EasyPark Fleet and the daily report');

  // The reader's shell: the variable lines at the top of the first block, with this stack's URLs.
  const firstComment = drive.findIndex((l) => /^\s*#/.test(l));
  const setup = drive.slice(0, firstComment).filter((l) => l.trim());
  const urls = lineIndex(setup, /^API=\S+ SBX=\S+\s*$/);
  setup[urls] = `API=${s.api} SBX=${s.sandboxUrl}`;
  expect(setup.join('\n')).toMatch(/^DRIVER=/m);
  expect(setup.join('\n')).toMatch(/(^|; )JSON=/m);
  const rest = drive.slice(firstComment);

  // 1. start; the README then asks for the printed id.
  const idLine = lineIndex(rest, /^ID=\d+\b/);
  const [started] = curlOutputs(await sh(setup, rest.slice(0, idLine)));
  const startBody = json(started);
  const id: number = startBody.parking_session.id;
  expect(startBody.parking_session).toMatchObject({ secured_parking_id: 189 });
  const state = [...setup, `ID=${id}`];

  // 2. the entrance key and the gate's "entered".
  const finalizeAt = lineIndex(rest, /^# 3\. finalize/);
  const [access, gate] = curlOutputs(await sh(state, rest.slice(idLine + 1, finalizeAt)));
  expect(json(access)).toMatchObject({ direction: 'entrance', access_command: expect.stringMatching(/^[0-9a-f]{32}$/) });
  expect(json(gate)).toEqual({ status: 'accepted', parking_session_id: id, event: 'entered' });
  await eventually(() => session(id), (r) => r.body.parking_session.state === 'active');

  // 3. finalize: price, pay_url, exit key.
  const [finalized] = curlOutputs(await sh(state, rest.slice(finalizeAt)));
  const fin = json(finalized);
  expect(fin).toMatchObject({ amount: '0.10', currency: 'RON' });
  expect(fin.pay_url).toMatch(/^http/);

  // 4. pay without a browser, with the pay_url from finalize.
  const payUrlLine = lineIndex(payBlock, /^PAY_URL='\.\.\.'/);
  const pay = [...payBlock];
  pay[payUrlLine] = `PAY_URL='${fin.pay_url}'`;
  const [, , submitted] = await sh(state, pay);
  expect(submitted.out).toMatch(/^http/); // the sandbox sends the browser back to the result page
  await eventually(() => session(id), (r) => r.body.parking_session.payment_status === 'paid');

  // 5. exit key, the gate's "exited", and the session.
  const [exitAttempt, exitGate] = curlOutputs(await sh(state, exitBlock));
  expect(json(exitAttempt)).toMatchObject({ direction: 'exit', access_command: expect.stringMatching(/^[0-9a-f]{32}$/) });
  expect(json(exitGate)).toEqual({ status: 'accepted', parking_session_id: id, event: 'exited' });
  const closed = await eventually(() => session(id), (r) => r.body.parking_session.state === 'closed');
  expect(closed.body.parking_session).toMatchObject({ state: 'closed', payment_status: 'paid' });
  const getLine = lineIndex(exitBlock, /^curl -s \$API\/api\/car_driver\/parking_sessions\/\$ID -H/);
  const [viewed] = curlOutputs(await sh(state, exitBlock.slice(getLine)));
  expect(json(viewed).parking_session).toMatchObject({ id, state: 'closed', payment_status: 'paid' });

  // Camera parking: enter 6½ hours ago, start from the app, the camera exit; then the session the README shows.
  const cameraGet = lineIndex(camera, /parking_sessions\/\d+ /);
  const [entered, anprStart, cameraExit] = curlOutputs(await sh(setup, camera.slice(0, cameraGet)));
  expect(json(entered)).toBeTruthy();
  const anpr = json(anprStart).parking_session;
  expect(anpr).toMatchObject({ state: 'active', vehicle_reg: '123ABC' });
  expect(json(cameraExit).parking).toMatchObject({ vehicle_reg: '123ABC', status: 'ended' });
  await eventually(() => session(anpr.id), (r) => r.body.parking_session.state === 'exiting');
  const getAnpr = camera.slice(cameraGet).map((l) => l.replace(/parking_sessions\/\d+ /, `parking_sessions/${anpr.id} `));
  const [anprView] = curlOutputs(await sh(setup, getAnpr));
  // 6½ h: 7 started hours at 30.00 NOK
  expect(json(anprView).parking_session).toMatchObject({ id: anpr.id, state: 'exiting', amount: '210.00', currency: 'NOK' });
  expect(json(anprView).parking_session.pay_url).toMatch(/^http/);

  // EasyPark Fleet: the sample accepted, the same parking again 409, a generated one; then the daily report.
  const reportAt = lineIndex(easypark, /^curl -s "\$API\/api\/ops\/reports\/daily\?date=[^"&]*" /);
  const [first, second, generated] = curlOutputs(await sh(setup, easypark.slice(0, reportAt))).map(json);
  expect(first.outcome).toBe('accepted');
  expect(first.attempts.at(-1).status).toBeGreaterThanOrEqual(200);
  expect(first.attempts.at(-1).status).toBeLessThan(300);
  expect(second.outcome).toBe('duplicate');
  expect(second.attempts.at(-1).status).toBe(409);
  expect(generated.outcome).toBe('accepted');
  const today = new Date().toISOString().slice(0, 10);
  const report = (date: string) => http('GET', `${s.api}/api/ops/reports/daily?date=${date}`, { token: s.config.OPS_API_TOKEN });
  await eventually(() => report(today), (r) => JSON.stringify(r.body?.groups ?? []).includes('easypark'));
  const [reportJson, reportCsv] = curlOutputs(await sh(setup, easypark.slice(reportAt)));
  const daily = json(reportJson);
  expect(daily.date).toBe(today);
  expect(daily.groups).toEqual(expect.arrayContaining([expect.objectContaining({ source: 'easypark', provider: 'easypark', currency: 'SEK' })]));
  expect(reportCsv.split(/\r?\n/)[0]).toMatch(/^date,source,provider,currency,/);
  expect(reportCsv).toMatch(new RegExp(`^${today},easypark,easypark,SEK,`, 'm'));
});
