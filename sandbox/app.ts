import express, { type Express } from 'express';
import { z } from 'zod';
import type { Config } from '../src/config';
import { createAutopaySandbox } from './autopay/sandbox';
import type { CallbackAuth } from '../src/providers/autopay/inbound';
import { createEasyParkSandbox } from './easypark/sandbox';
import { createEpxSandbox } from './epx/sandbox';
import { demoGateKeyForMac } from '../src/db/demo-data';
import { createGateSandbox } from './gate/sandbox';
import type { NetopiaKeyPair } from '../src/providers/netopia/keys';
import { createNetopiaSandbox } from './netopia/sandbox';
import type { SandboxContext } from './context';
import { fileSandboxPersistence } from './persistence';
import type { SandboxClockMode } from './vipps/clock';
import { createVippsSandbox } from './vipps/sandbox';

export function demoAutopayCallbackAuth(config: Config): CallbackAuth {
  const secret = config.DEMO_AUTOPAY_CALLBACK_SECRET;
  if (config.DEMO_AUTOPAY_CALLBACK_AUTH === 'token') return { method: 'token', token: secret };
  if (config.DEMO_AUTOPAY_CALLBACK_AUTH === 'api_key') return { method: 'api_key', key: secret };
  const i = secret.indexOf(':');
  return { method: 'basic', username: secret.slice(0, i), password: secret.slice(i + 1) };
}

/** NETOPIA_SANDBOX_IPN_TIME_SCALE, e.g. 0.001: compresses the sandbox's IPN retry schedule (minutes → ms). */
export function netopiaIpnTimeScale(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.NETOPIA_SANDBOX_IPN_TIME_SCALE;
  if (raw === undefined || raw.trim() === '') return undefined;
  const parsed = z.coerce.number().positive().max(1000).safeParse(raw);
  if (!parsed.success) throw new RangeError(`NETOPIA_SANDBOX_IPN_TIME_SCALE must be a positive number, not ${JSON.stringify(raw)}`);
  return parsed.data;
}

/**
 * All provider sandboxes on one server, each under its provider's path and configured with the same
 * credentials our clients use, so the product cannot tell them from the real providers.
 */
export function createSandboxApp(
  config: Config,
  log: (m: string) => void = () => undefined,
  opts: {
    netopiaKeyPair?: NetopiaKeyPair;
    netopiaIpnScheduleMs?: number[];
    netopiaIpnTimeScale?: number;
    /** Where the sandboxes keep their state across restarts (e.g. .data/sandbox); in memory only when absent. */
    stateDir?: string;
    /** The Vipps sandbox's clock: 'running' for demos (the default), 'frozen' for tests that drive time themselves. */
    vippsClock?: SandboxClockMode;
  } = {},
) {
  const ctx: SandboxContext = { sandboxBaseUrl: config.SANDBOX_BASE_URL, apiBaseUrl: config.PUBLIC_BASE_URL, log };
  const persistence = opts.stateDir ? fileSandboxPersistence(opts.stateDir, log) : undefined;
  const api = config.PUBLIC_BASE_URL;
  // Mounted before any body parser: the sandboxes verify signatures over the raw bytes.
  const netopia = createNetopiaSandbox(ctx, {
    apiKey: config.NETOPIA_API_KEY,
    posSignature: config.NETOPIA_POS_SIGNATURE,
    ...(opts.netopiaKeyPair ? { keyPair: opts.netopiaKeyPair } : {}),
    ...(opts.netopiaIpnScheduleMs ? { ipnScheduleMs: opts.netopiaIpnScheduleMs } : {}),
    ipnTimeScale: opts.netopiaIpnTimeScale ?? netopiaIpnTimeScale(),
    persistence,
  });
  const epx = createEpxSandbox(ctx, {
    custNbr: config.EPX_CUST_NBR,
    merchNbr: config.EPX_MERCH_NBR,
    dbaNbr: config.EPX_DBA_NBR,
    terminalNbr: config.EPX_TERMINAL_NBR,
    epiKey: config.EPX_EPI_KEY,
    persistence,
  });
  const autopay = createAutopaySandbox(ctx, {
    operators: Object.fromEntries(
      Object.entries(config.autopayOperators).map(([id, creds]) => [
        id,
        {
          ...creds,
          areaCodes: ['area1'],
          callback: {
            successUrl: `${api}/api/providers/autopay/parking-ended`,
            cancelUrl: `${api}/api/providers/autopay/parking-cancelled`,
            auth: demoAutopayCallbackAuth(config),
          },
          currency: 'NOK',
          vatPercent: '25',
          pricePerHour: '30.00',
        },
      ]),
    ),
    persistence,
  });
  const vipps = createVippsSandbox(ctx, {
    clientId: config.VIPPS_CLIENT_ID,
    clientSecret: config.VIPPS_CLIENT_SECRET,
    subscriptionKey: config.VIPPS_SUBSCRIPTION_KEY,
    merchantSerialNumber: config.VIPPS_MSN,
    webhookSecret: config.VIPPS_WEBHOOK_SECRET,
    webhookUrl: `${api}/api/providers/vipps/webhooks`,
    userActionRequiredPhone: '4790000001',
    persistence,
    clock: opts.vippsClock,
  });
  const easypark = createEasyParkSandbox(ctx, { username: config.DEMO_EASYPARK_USERNAME, password: config.DEMO_EASYPARK_PASSWORD, persistence });

  const gate = createGateSandbox(ctx, { gateKeyFor: (mac) => demoGateKeyForMac(config, mac) });

  const app: Express = express();
  app.disable('x-powered-by');
  // What a request changed is on disk before the next one: a restart (or a crash) loses nothing answered.
  // Saved before the answer leaves, like a provider that acknowledges only what it stored: a sandbox killed right
  // after answering still has the change on restart (the timer saves what changes between requests).
  if (persistence) {
    app.use((_req, res, next) => {
      const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
      res.end = ((...args: unknown[]) => {
        try {
          persistence.flush();
        } catch (err) {
          log(`sandbox state not saved: ${(err as Error).message}`);
        }
        return end(...args);
      }) as typeof res.end;
      next();
    });
  }
  app.use('/netopia', netopia.router);
  app.use('/epx', epx.router);
  app.use('/autopay', autopay.router);
  app.use('/vipps', vipps.router);
  app.use('/easypark', easypark.router);
  app.use('/gate', gate.router);
  app.get('/', (_req, res) => {
    res.json({ sandboxes: ['/netopia', '/epx', '/autopay', '/vipps', '/easypark', '/gate'], note: 'offline simulators of the payment providers' });
  });
  const close = () => {
    netopia.close();
    epx.close();
    autopay.close();
    vipps.close();
    easypark.close();
    persistence?.close();
  };
  return { app, netopia, epx, autopay, vipps, easypark, gate, close };
}
