/** The logger's redaction and context, on a captured destination: what a log line may and may not contain. */
import { Writable } from 'node:stream';
import { createLogger, withLogContext, bindLogContext } from '../../../src/observability/logger';
import { requestIdFrom } from '../../../src/observability/http-context';
import { maskPlate, scrubText } from '../../../src/observability/redact';

function captured() {
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw.push(chunk.toString('utf8'));
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger({ level: 'debug', pretty: false, destination }), lines, raw };
}

test('secret fields are replaced and plates masked, at the top level and nested', () => {
  const { log, lines, raw } = captured();
  log.info(
    {
      authorization: 'Bearer demo-driver-token-0001',
      plate: 'B123XYZ',
      body: { card_number: '9900004810225098', cvv: '111', parking_session: { plate: 'OBS7731', token: 'abc-secret-token' } },
      headers: { 'x-api-key': 'demo-gate-key-0001-189-entrance' },
      sessionId: 42,
    },
    'start',
  );
  const text = raw.join('');
  for (const secret of ['demo-driver-token-0001', 'B123XYZ', '9900004810225098', '"111"', 'OBS7731', 'abc-secret-token', 'demo-gate-key-0001']) expect(text).not.toContain(secret);
  expect(lines[0]).toMatchObject({ level: 'info', msg: 'start', sessionId: 42, authorization: '[redacted]', plate: 'B1*****' });
  expect((lines[0].body as { parking_session: { plate: string } }).parking_session.plate).toBe('OB*****');
});

test('free text loses card numbers, bearer tokens, signatures and JWT-like tokens; errors too', () => {
  const { log, raw } = captured();
  log.warn('charge of 9900 0048 1022 5098 refused for Bearer abc.def-123 on /pay/1?sig=0123456789abcdef&exp=1');
  log.error({ err: new Error('upstream said token=s3cr3t-value for eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl') }, 'failed');
  const text = raw.join('');
  for (const secret of ['9900 0048 1022 5098', 'abc.def-123', '0123456789abcdef', 's3cr3t-value', 'eyJhbGciOi.eyJzdWIiOiIx']) expect(text).not.toContain(secret);
  expect(scrubText('order 189-1 of session 1234567 for 12.50 RON')).toBe('order 189-1 of session 1234567 for 12.50 RON');
});

test('every line inside a context carries its ids, async continuations included', async () => {
  const { log, lines } = captured();
  await withLogContext({ requestId: 'req-12345678' }, async () => {
    bindLogContext({ sessionId: 7 });
    await new Promise((r) => setTimeout(r, 1));
    await withLogContext({ workflowId: 'parking-session-7', runId: 'run-1' }, async () => log.info('inner'));
    log.info('outer');
  });
  log.info('outside');
  expect(lines.map((l) => [l.msg, l.requestId, l.sessionId, l.workflowId])).toEqual([
    ['inner', 'req-12345678', 7, 'parking-session-7'],
    ['outer', 'req-12345678', 7, undefined],
    ['outside', undefined, undefined, undefined],
  ]);
});

test.each([
  ['abcd-1234-efgh', true],
  ['0f8fe0c2-3b5e-4a3c-9b5d-1c2d3e4f5a6b', true],
  ['short', false],
  ['has space in it', false],
  ['<script>alert(1)</script>', false],
  ['x'.repeat(129), false],
])('X-Request-Id %s is kept: %s', (given, kept) => {
  const id = requestIdFrom(given);
  expect(id === given).toBe(kept);
  expect(id).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
});

test('a plate keeps two characters', () => {
  expect(maskPlate('AB12345')).toBe('AB*****');
  expect(maskPlate('A')).toBe('A*');
  expect(maskPlate(null)).toBe('[redacted]');
});

test('an `error` field given as text stays one string, scrubbed; an Error still becomes type, message and stack', () => {
  const { log, lines } = captured();
  log.warn({ error: 'Error: no answer within 5000 ms for card 9900004810225098' }, 'projection failed');
  expect(lines[0].error).toBe('Error: no answer within 5000 ms for card [card]');
  log.warn({ error: new Error('boom') }, 'failed');
  expect(lines[1].error).toMatchObject({ type: 'Error', message: 'boom', stack: expect.stringContaining('boom') });
});
