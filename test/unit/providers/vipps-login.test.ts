import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { buildAuthorizeUrl, exchangeCode, userinfo, VippsLoginError } from '../../../src/providers/vipps/login';
import { createVippsSandbox, type VippsSandbox } from '../../../sandbox/vipps/sandbox';

/** Login flow against the sandbox over loopback HTTP, driving the authorize page like a browser would. */

const CLIENT = { clientId: 'login-client', clientSecret: 'login+secret/==' };
const REDIRECT_URI = 'https://parking.example/auth/vipps/callback';

let server: Server;
let sandbox: VippsSandbox;

beforeAll(async () => {
  const app = express();
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sandbox = createVippsSandbox(
    { sandboxBaseUrl: base, apiBaseUrl: 'http://127.0.0.1:9', log: () => undefined },
    {
      ...CLIENT,
      subscriptionKey: 'sub',
      merchantSerialNumber: '123456',
      webhookSecret: 'whsec',
      webhookUrl: 'http://127.0.0.1:9/api/providers/vipps/webhooks',
      userActionRequiredPhone: '4790000001',
      loginUsers: [{ phoneNumber: '91234567', name: 'Kari Nordmann' }],
    },
  );
  app.use('/vipps', sandbox.router);
});

afterAll(async () => {
  sandbox.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** GET the authorize page, then submit its form with a phone number; returns the callback URL. */
async function logInAs(phone: string, state: string, action = 'login'): Promise<URL> {
  const authorizeUrl = buildAuthorizeUrl({
    baseUrl: sandbox.baseUrl,
    clientId: CLIENT.clientId,
    redirectUri: REDIRECT_URI,
    state,
    scope: 'openid phoneNumber name',
    nonce: 'n-1',
  });
  const page = await fetch(authorizeUrl);
  expect(page.status).toBe(200);
  const html = await page.text();
  const action_ = /<form method="post" action="([^"]+)"/.exec(html)?.[1] ?? '';
  const hidden = Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]));
  expect(hidden).toMatchObject({ client_id: CLIENT.clientId, redirect_uri: REDIRECT_URI, state });
  const res = await fetch(action_.replace(/&amp;/g, '&'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...hidden, phone_number: phone, action }).toString(),
    redirect: 'manual',
  });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location') ?? '');
}

describe('Vipps Login (OIDC code flow) against the sandbox', () => {
  it('code → token → userinfo gives the verified phone number', async () => {
    const callback = await logInAs('912 34 567', 'state-abc');
    expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
    expect(callback.searchParams.get('state')).toBe('state-abc');
    const code = callback.searchParams.get('code') ?? '';

    const tokens = await exchangeCode({ baseUrl: sandbox.baseUrl, ...CLIENT, code, redirectUri: REDIRECT_URI });
    expect(tokens.access_token).toEqual(expect.any(String));
    const [, payload] = tokens.id_token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(claims).toMatchObject({ aud: CLIENT.clientId, nonce: 'n-1', iss: `${sandbox.baseUrl}/access-management-1.0/access/` });

    const info = await userinfo({ baseUrl: sandbox.baseUrl, accessToken: tokens.access_token });
    expect(info).toMatchObject({ phone_number: '4791234567', name: 'Kari Nordmann', sub: claims.sub });

    // A code is single-use.
    await expect(exchangeCode({ baseUrl: sandbox.baseUrl, ...CLIENT, code, redirectUri: REDIRECT_URI })).rejects.toMatchObject({
      name: 'VippsLoginError',
      error: 'invalid_grant',
    });
    expect(sandbox.records().logins.at(-1)).toMatchObject({ phoneNumber: '4791234567', exchanged: true, userinfoCalls: 1 });
  });

  it('the same phone gets the same sub as its agreement would', async () => {
    const a = await logInAs('4799999999', 's1');
    const b = await logInAs('99999999', 's2');
    const sub = async (u: URL) =>
      (
        await userinfo({
          baseUrl: sandbox.baseUrl,
          accessToken: (await exchangeCode({ baseUrl: sandbox.baseUrl, ...CLIENT, code: u.searchParams.get('code') ?? '', redirectUri: REDIRECT_URI }))
            .access_token,
        })
      ).sub;
    expect(await sub(a)).toBe(await sub(b));
  });

  it('rejects a wrong client secret, a wrong redirect_uri and a bad access token', async () => {
    const code = (await logInAs('91234567', 's')).searchParams.get('code') ?? '';
    await expect(
      exchangeCode({ baseUrl: sandbox.baseUrl, clientId: CLIENT.clientId, clientSecret: 'wrong', code, redirectUri: REDIRECT_URI }),
    ).rejects.toMatchObject({ status: 401, error: 'invalid_client' });
    await expect(
      exchangeCode({ baseUrl: sandbox.baseUrl, ...CLIENT, code, redirectUri: 'https://evil.example/cb' }),
    ).rejects.toBeInstanceOf(VippsLoginError);
    await expect(userinfo({ baseUrl: sandbox.baseUrl, accessToken: 'nope' })).rejects.toMatchObject({ status: 401 });
  });

  it('cancel returns access_denied with the state', async () => {
    const callback = await logInAs('91234567', 'st', 'cancel');
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe('st');
    expect(callback.searchParams.get('code')).toBeNull();
  });
});
