import { generateKeyPairSync } from 'node:crypto';
import { ConfigError, loadConfig, SANDBOX_DEFAULTS } from '../../src/config';

const publicKeyPem = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }).publicKey;

/** A complete production environment: real-looking credentials and provider URLs (made up here). */
const production = (): Record<string, string> => ({
  APP_MODE: 'production',
  PUBLIC_BASE_URL: 'https://parking.example.com',
  PAY_LINK_SECRET: 'p'.repeat(40),
  PLATE_HASH_KEY: 'h'.repeat(32),
  ACCESS_COMMAND_KEY: 'a'.repeat(32),
  PAYLOAD_ENCRYPTION_KEYS: `prod-1:${Buffer.alloc(32, 7).toString('base64')}`,
  NETOPIA_BASE_URL: 'https://secure.netopia.example',
  NETOPIA_API_KEY: 'live-netopia-key',
  NETOPIA_POS_SIGNATURE: 'LIVE-POS-SIG',
  NETOPIA_PUBLIC_KEY_PEM: publicKeyPem,
  EPX_BASE_URL: 'https://epx.example',
  EPX_CUST_NBR: '7001',
  EPX_MERCH_NBR: '700300',
  EPX_DBA_NBR: '7',
  EPX_TERMINAL_NBR: '71',
  EPX_EPI_KEY: 'live-epx-epi-key',
  AUTOPAY_API_BASE_URL: 'https://autopay.example/api',
  AUTOPAY_AUTH_URL: 'https://autopay.example/oauth/token',
  AUTOPAY_OPERATORS: '{"op-1":{"clientId":"live-client","clientSecret":"live-secret-123"}}',
  VIPPS_BASE_URL: 'https://api.vipps.example',
  VIPPS_CLIENT_ID: 'live-vipps-client',
  VIPPS_CLIENT_SECRET: 'live-vipps-secret',
  VIPPS_SUBSCRIPTION_KEY: 'live-vipps-sub',
  VIPPS_MSN: '987654',
  VIPPS_WEBHOOK_SECRET: 'live-vipps-webhook-secret',
});

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('APP_MODE', () => {
  it('defaults to sandbox, with the demo credentials and the sandbox provider URLs', () => {
    const c = loadConfig({});
    expect(c.APP_MODE).toBe('sandbox');
    expect(c.OPS_API_TOKEN).toBe(SANDBOX_DEFAULTS.OPS_API_TOKEN);
    expect(c.PAY_LINK_SECRET).toBe(SANDBOX_DEFAULTS.PAY_LINK_SECRET);
    expect(c.NETOPIA_BASE_URL).toBe('http://127.0.0.1:4010/netopia');
    expect(c.autopayOperators).toHaveProperty('demo-operator');
  });

  it('production starts with a complete, non-demo environment', () => {
    const c = loadConfig(production());
    expect(c.APP_MODE).toBe('production');
    expect(c.PAY_LINK_SECRET).toBe('p'.repeat(40));
    expect(c.NETOPIA_BASE_URL).toBe('https://secure.netopia.example');
    // the demo-only credentials are empty: nothing can seed or accept them
    expect([c.OPS_API_TOKEN, c.DEMO_DRIVER_TOKEN, c.DEMO_GATE_API_KEY, c.DEMO_EASYPARK_PASSWORD]).toEqual(['', '', '', '']);
  });

  it('production refuses a demo secret and names it', () => {
    const msg = refusal({ ...production(), PAY_LINK_SECRET: SANDBOX_DEFAULTS.PAY_LINK_SECRET });
    expect(msg).toMatch(/^\s+PAY_LINK_SECRET: is a published sandbox\/demo value/m);
    expect(msg).not.toMatch(/VIPPS_WEBHOOK_SECRET/);
  });

  it('production requires its own key for access commands: the demo one would let anyone derive barrier commands', () => {
    expect(refusal({ ...production(), ACCESS_COMMAND_KEY: '' })).toMatch(/^\s+ACCESS_COMMAND_KEY: is required in production/m);
    expect(refusal({ ...production(), ACCESS_COMMAND_KEY: SANDBOX_DEFAULTS.ACCESS_COMMAND_KEY })).toMatch(/^\s+ACCESS_COMMAND_KEY: is a published sandbox\/demo value/m);
  });

  it('production refuses a demo value reused in another variable', () => {
    expect(refusal({ ...production(), VIPPS_WEBHOOK_SECRET: SANDBOX_DEFAULTS.OPS_API_TOKEN })).toMatch(/VIPPS_WEBHOOK_SECRET: is a published/);
  });

  it('production with nothing set names every missing variable', () => {
    const msg = refusal({ APP_MODE: 'production' });
    for (const name of [
      'PAY_LINK_SECRET',
      'ACCESS_COMMAND_KEY',
      'VIPPS_WEBHOOK_SECRET',
      'NETOPIA_API_KEY',
      'NETOPIA_POS_SIGNATURE',
      'NETOPIA_PUBLIC_KEY_PEM',
      'EPX_EPI_KEY',
      'EPX_CUST_NBR',
      'AUTOPAY_OPERATORS',
      'VIPPS_CLIENT_SECRET',
      'VIPPS_MSN',
      'PUBLIC_BASE_URL',
      'NETOPIA_BASE_URL',
      'EPX_BASE_URL',
      'AUTOPAY_API_BASE_URL',
      'AUTOPAY_AUTH_URL',
      'VIPPS_BASE_URL',
    ]) {
      expect(msg).toMatch(new RegExp(`^\\s+${name}: `, 'm'));
    }
  });

  it.each(['OPS_API_TOKEN', 'DEMO_GATE_API_KEY', 'DEMO_DRIVER_TOKEN', 'DEMO_EASYPARK_PASSWORD'])('production refuses the sandbox-only %s', (name) => {
    expect(refusal({ ...production(), [name]: 'x'.repeat(40) })).toMatch(new RegExp(`${name}: is a sandbox-only demo credential`));
  });

  it('production requires a parseable Netopia public key', () => {
    expect(refusal({ ...production(), NETOPIA_PUBLIC_KEY_PEM: '' })).toMatch(/NETOPIA_PUBLIC_KEY_PEM: is required/);
    expect(refusal({ ...production(), NETOPIA_PUBLIC_KEY_PEM: 'not a key' })).toMatch(/NETOPIA_PUBLIC_KEY_PEM: is not a PEM public key/);
  });

  it('production refuses the sandbox: enabled, or a provider URL pointing at it', () => {
    expect(refusal({ ...production(), SANDBOX_BASE_URL: 'http://127.0.0.1:4010' })).toMatch(/SANDBOX_BASE_URL: the provider sandbox must not be enabled/);
    expect(refusal({ ...production(), EPX_BASE_URL: 'http://127.0.0.1:4010/epx' })).toMatch(/EPX_BASE_URL: points at the provider sandbox/);
  });

  it('production refuses the demo Autopay operator', () => {
    expect(refusal({ ...production(), AUTOPAY_OPERATORS: SANDBOX_DEFAULTS.AUTOPAY_OPERATORS })).toMatch(/AUTOPAY_OPERATORS: .*demo/);
  });

  it('an unknown mode is refused by name', () => {
    expect(refusal({ APP_MODE: 'prod' })).toMatch(/APP_MODE/);
  });
});
