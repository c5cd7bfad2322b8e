/**
 * The README's curl walk-through, executed as written, twice against the same data (a reader who comes back the
 * next day: ids and outcomes must not depend on a fresh database). The bash blocks of "Drive a whole parking session
 * with curl", "Card payments through EPX", "Camera parking (Autopay ANPR)" and "EasyPark Fleet and the daily report"
 * are taken from README.md by heading and run with bash against one stack. Only the `API=... SBX=...` line (free
 * ports) and the demo secrets (should the stack's config differ) are substituted; every id, pay link and card page
 * comes from the README's own commands. The shell variables a block sets are carried to the next block, as in the
 * reader's terminal. The test waits between blocks where workflows react asynchronously, as a reader would.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { eventually, http, startStack, type Stack } from '../helpers/stack';

const run = promisify(execFile);
const README = readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
const MARK = '<<<readme-walkthrough: end of command>>>';
const VARS = '<<<readme-walkthrough: shell variables>>>';

let s: Stack;
const session = (id: number | string) => http('GET', `${s.api}/api/car_driver/parking_sessions/${id}`, { token: s.config.DEMO_DRIVER_TOKEN });

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

/** The reader's terminal: setup lines plus the variables earlier commands set (as `declare -p` printed them). */
interface Shell {
  setup: string[];
  vars: Map<string, string>;
}

interface Ran {
  outs: { command: string; out: string }[];
  /** Output of the commands that start with `curl` or `echo` (what the reader sees), in order. */
  shown: string[];
}

/**
 * Runs README lines with bash (-euo pipefail) in the reader's shell; returns the output of each logical command
 * (continuation lines joined; comment-only and blank lines skipped) and keeps the variables they assigned.
 */
async function sh(shell: Shell, lines: string[]): Promise<Ran> {
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
  const assigned = [...new Set(commands.flatMap((c) => [...c.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1])))];
  const state = [...shell.setup, ...shell.vars.values()];
  const dump = assigned.length ? [`printf '%s\\n' '${VARS}'`, `declare -p ${assigned.join(' ')}`] : [];
  const script = [...state, ...commands.flatMap((c) => [c, `printf '\\n%s\\n' '${MARK}'`]), ...dump].map(secrets).join('\n');
  const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], { timeout: 60_000, maxBuffer: 10 * 1024 * 1024 });
  const [body, declared = ''] = stdout.split(`${VARS}\n`);
  for (const line of declared.split('\n').filter((l) => l.startsWith('declare '))) {
    const name = /^declare -\S* ([A-Z][A-Z0-9_]*)=/.exec(line)?.[1];
    if (name) shell.vars.set(name, line);
  }
  const outs = body.split(`\n${MARK}\n`);
  expect(outs).toHaveLength(commands.length + 1);
  const results = commands.map((command, i) => ({ command, out: outs[i].trim() }));
  return { outs: results, shown: results.filter((r) => /^(curl|echo) /.test(r.command)).map((r) => r.out) };
}

/** A variable the README's commands set, as the reader's shell holds it. */
function shellVar(shell: Shell, name: string): string {
  const line = shell.vars.get(name);
  if (!line) throw new Error(`the README did not set $${name}`);
  const value = /^declare -\S* [A-Z0-9_]+="(.*)"$/s.exec(line)?.[1];
  if (value === undefined) throw new Error(`unexpected declare line: ${line}`);
  return value.replace(/\\(["\\$`])/g, '$1');
}

const json = (out: string): any => {
  try {
    return JSON.parse(out);
  } catch {
    throw new Error(`not JSON: ${out.slice(0, 500)}`);
  }
};

/** One reader's pass through the README; `pass` 2 runs against the data the first pass left. */
async function walk(pass: 1 | 2) {
  const [drive, payBlock, exitBlock] = bashBlocks('Drive a whole parking session with curl');
  const [epx] = bashBlocks('Card payments through EPX');
  const [camera] = bashBlocks('Camera parking (Autopay ANPR)');
  const [easypark] = bashBlocks('EasyPark Fleet and the daily report');

  // The reader's shell: the lines at the top of the first block (URLs, headers, the JSON field helper).
  const firstComment = drive.findIndex((l) => /^\s*#/.test(l));
  const setup = drive.slice(0, firstComment).filter((l) => l.trim());
  setup[lineIndex(setup, /^API=\S+ SBX=\S+\s*$/)] = `API=${s.api} SBX=${s.sandboxUrl}`;
  expect(setup.join('\n')).toMatch(/^DRIVER=/m);
  expect(setup.join('\n')).toMatch(/(^|; )JSON=/m);
  expect(setup.join('\n')).toMatch(/^field\(\) \{/m);
  const shell: Shell = { setup, vars: new Map() };
  const rest = drive.slice(firstComment);

  // 1. start: the README reads the id from the answer.
  const enterAt = lineIndex(rest, /^# 2\. /);
  const [started] = (await sh(shell, rest.slice(0, enterAt))).shown;
  const startBody = json(started);
  expect(startBody.parking_session).toMatchObject({ secured_parking_id: 189, state: 'entering' });
  const id = Number(shellVar(shell, 'ID'));
  expect(id).toBe(startBody.parking_session.id);

  // 2. the entrance key and the gate's "entered".
  const finalizeAt = lineIndex(rest, /^# 3\. finalize/);
  const [access, gate] = (await sh(shell, rest.slice(enterAt, finalizeAt))).shown;
  expect(json(access)).toMatchObject({ direction: 'entrance', access_command: expect.stringMatching(/^[0-9a-f]{32}$/) });
  expect(json(gate)).toEqual({ status: 'accepted', parking_session_id: id, event: 'entered' });
  await eventually(() => session(id), (r) => r.body.parking_session.state === 'active');

  // 3. finalize: price, pay_url, exit key; the README keeps the pay link in $PAY_URL.
  const [finalized] = (await sh(shell, rest.slice(finalizeAt))).shown;
  const fin = json(finalized);
  expect(fin).toMatchObject({ amount: '0.10', currency: 'RON', parking_session: { id } });
  expect(shellVar(shell, 'PAY_URL')).toBe(fin.pay_url);
  expect(fin.pay_url).toMatch(new RegExp(`^${s.api}/api/payment/pay/${id}\\?`));

  // 4. pay without a browser: the card page from the pay link, the accepted card, back to our result page.
  const paid = await sh(shell, payBlock);
  expect(shellVar(shell, 'CARD_PAGE').startsWith(`${s.sandboxUrl}/netopia/`)).toBe(true);
  expect(paid.outs.at(-1)?.out).toMatch(new RegExp(`^${s.api}/api/payment/return/${id}\\?`));
  await eventually(() => session(id), (r) => r.body.parking_session.payment_status === 'paid');

  // 5. exit key, the gate's "exited", then the session and its receipt.
  const getAt = lineIndex(exitBlock, /^curl -s \$API\/api\/car_driver\/parking_sessions\/\$ID -H/);
  const [exitAttempt, exitGate] = (await sh(shell, exitBlock.slice(0, getAt))).shown;
  expect(json(exitAttempt)).toMatchObject({ direction: 'exit', access_command: expect.stringMatching(/^[0-9a-f]{32}$/) });
  expect(json(exitGate)).toEqual({ status: 'accepted', parking_session_id: id, event: 'exited' });
  await eventually(() => session(id), (r) => r.body.parking_session.state === 'closed');
  const [viewed, receipt] = (await sh(shell, exitBlock.slice(getAt))).shown;
  expect(json(viewed).parking_session).toMatchObject({ id, state: 'closed', payment_status: 'paid' });
  expect(json(receipt).receipt).toMatchObject({
    parking_session_id: id,
    parking: { id: 189 },
    gross: '0.10',
    currency: 'RON',
    vat_percent: '21',
    provider: 'netopia',
    provider_reference: expect.any(String),
    app_url: `${s.config.APP_DEEP_LINK_BASE}${id}`,
  });

  // EPX: parking 191, its own gates, the approved card through the card page's form.
  const epxFinalizeAt = lineIndex(epx, /^# finalize/);
  const epxShell: Shell = { setup, vars: new Map() };
  const [epxAccess, epxGate] = (await sh(epxShell, epx.slice(0, epxFinalizeAt))).shown;
  const epxId = Number(shellVar(epxShell, 'ID'));
  expect(epxId).toBeGreaterThan(id);
  expect(json(epxAccess)).toMatchObject({ direction: 'entrance', parking_session: { id: epxId } });
  expect(json(epxGate)).toEqual({ status: 'accepted', parking_session_id: epxId, event: 'entered' });
  await eventually(() => session(epxId), (r) => r.body.parking_session.state === 'active');
  const epxRan = await sh(epxShell, epx.slice(epxFinalizeAt));
  expect(json(epxRan.shown[0])).toMatchObject({ amount: '0.25', currency: 'USD' });
  expect(shellVar(epxShell, 'CARD_PAGE').startsWith(`${s.sandboxUrl}/epx/`)).toBe(true);
  const landed = epxRan.outs.find((o) => /--data-urlencode "TAC=/.test(o.command))?.out;
  expect(landed).toMatch(new RegExp(`^${s.api}/api/payment/return/${epxId}\\?`));
  const epxPaid = await eventually(() => session(epxId), (r) => r.body.parking_session.payment_status === 'paid');
  expect(epxPaid.body.parking_session).toMatchObject({ amount: '0.25', currency: 'USD', paid_via: 'card' });

  // Camera parking: enter 6½ hours ago, start from the app (the README keeps its id), the camera exit.
  const camShell: Shell = { setup, vars: new Map() };
  const leaveAt = lineIndex(camera, /^# the car leaves/);
  const [entered, anprStart] = (await sh(camShell, camera.slice(0, leaveAt))).shown;
  expect(json(entered)).toBeTruthy();
  const anpr = json(anprStart).parking_session;
  expect(anpr).toMatchObject({ state: 'active', vehicle_reg: '123ABC' });
  expect(Number(shellVar(camShell, 'ANPR_ID'))).toBe(anpr.id);
  const cameraGet = lineIndex(camera, /^curl -s \$API\/api\/car_driver\/parking_sessions\/\$ANPR_ID /);
  const [cameraExit] = (await sh(camShell, camera.slice(leaveAt, cameraGet))).shown;
  expect(json(cameraExit).parking).toMatchObject({ vehicle_reg: '123ABC', status: 'ended' });
  await eventually(() => session(anpr.id), (r) => r.body.parking_session.state === 'exiting');
  const [anprView] = (await sh(camShell, camera.slice(cameraGet))).shown;
  // 6½ h: 7 started hours at 30.00 NOK
  expect(json(anprView).parking_session).toMatchObject({ id: anpr.id, state: 'exiting', amount: '210.00', currency: 'NOK' });
  expect(json(anprView).parking_session.pay_url).toMatch(/^http/);

  // EasyPark Fleet: the sample (accepted once, a duplicate on every later pass), a generated one; the reports.
  const reportAt = lineIndex(easypark, /^curl -s "\$API\/api\/ops\/reports\/daily\?date=2025-12-04" /);
  const [first, second, generated] = (await sh(shell, easypark.slice(0, reportAt))).shown.map(json);
  expect(first.outcome).toBe(pass === 1 ? 'accepted' : 'duplicate');
  expect(first.attempts.at(-1).status).toBe(pass === 1 ? 202 : 409);
  expect(second.outcome).toBe('duplicate');
  expect(second.attempts.at(-1).status).toBe(409);
  expect(generated.outcome).toBe('accepted');
  const today = new Date().toISOString().slice(0, 10);
  const report = (date: string) => http('GET', `${s.api}/api/ops/reports/daily?date=${date}`, { token: s.config.OPS_API_TOKEN });
  await eventually(() => report(today), (r) => JSON.stringify(r.body?.groups ?? []).includes('easypark'));
  const [sampleDay, reportJson, reportCsv] = (await sh(shell, easypark.slice(reportAt))).shown;
  expect(json(sampleDay).date).toBe('2025-12-04');
  expect(json(sampleDay).groups).toEqual(expect.arrayContaining([expect.objectContaining({ source: 'easypark', currency: 'SEK' })]));
  const daily = json(reportJson);
  expect(daily.date).toBe(today);
  expect(daily.groups).toEqual(expect.arrayContaining([expect.objectContaining({ source: 'easypark', provider: 'easypark', currency: 'SEK' })]));
  expect(reportCsv.split(/\r?\n/)[0]).toMatch(/^date,source,provider,currency,/);
  expect(reportCsv).toMatch(new RegExp(`^${today},easypark,easypark,SEK,`, 'm'));
}

test('the README curl walk-through works as written, and again on the same data', async () => {
  await walk(1);
  await walk(2);
});
