import type { Config } from '../config';
import { AutopayClient } from './autopay/client';
import type { CardProvider, CardProviderName } from './card-provider';
import { EpxClient } from './epx/client';
import { NetopiaClient } from './netopia/client';
import { VippsClient } from './vipps/client';

export interface ProviderClients {
  cardProviders: Record<CardProviderName, CardProvider>;
  autopay: AutopayClient;
  vipps: VippsClient;
}

/** Real HTTP clients for every provider; the base URLs decide whether they talk to the sandboxes or the real thing. */
export function createProviderClients(config: Config): ProviderClients {
  return {
    cardProviders: {
      netopia: new NetopiaClient({ baseUrl: config.NETOPIA_BASE_URL, apiKey: config.NETOPIA_API_KEY, posSignature: config.NETOPIA_POS_SIGNATURE }),
      epx: new EpxClient({
        baseUrl: config.EPX_BASE_URL,
        custNbr: config.EPX_CUST_NBR,
        merchNbr: config.EPX_MERCH_NBR,
        dbaNbr: config.EPX_DBA_NBR,
        terminalNbr: config.EPX_TERMINAL_NBR,
        epiKey: config.EPX_EPI_KEY,
      }),
    },
    autopay: new AutopayClient({ apiBaseUrl: config.AUTOPAY_API_BASE_URL, authUrl: config.AUTOPAY_AUTH_URL, operators: config.autopayOperators }),
    vipps: new VippsClient({
      baseUrl: config.VIPPS_BASE_URL,
      clientId: config.VIPPS_CLIENT_ID,
      clientSecret: config.VIPPS_CLIENT_SECRET,
      subscriptionKey: config.VIPPS_SUBSCRIPTION_KEY,
      merchantSerialNumber: config.VIPPS_MSN,
      systemName: 'parking-payment-engine',
    }),
  };
}

/**
 * Netopia's IPN public key: NETOPIA_PUBLIC_KEY_PEM in production; otherwise read once from the provider base
 * URL (the sandbox publishes its key there).
 */
export function netopiaPublicKeyResolver(config: Config): () => Promise<string> {
  let cached: Promise<string> | null = config.NETOPIA_PUBLIC_KEY_PEM ? Promise.resolve(config.NETOPIA_PUBLIC_KEY_PEM.replace(/\\n/g, '\n')) : null;
  return () => {
    // Production always has the configured key (src/config.ts refuses to start without it): never fetch it there.
    if (!cached && config.APP_MODE === 'production') return Promise.reject(new Error('NETOPIA_PUBLIC_KEY_PEM is not configured'));
    cached ??= fetch(`${config.NETOPIA_BASE_URL}/public-key.pem`, { signal: AbortSignal.timeout(5000) }).then(async (res) => {
      if (!res.ok) throw new Error(`could not read Netopia's public key: HTTP ${res.status}`);
      return res.text();
    });
    return cached.catch((err) => {
      cached = null;
      throw err;
    });
  };
}
