import { createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { parseKeyRing } from './codec/key-ring';
import { OBSERVABILITY_ENV } from './observability/config';

/**
 * Every environment variable the product reads, in one schema, and an explicit mode:
 * - APP_MODE=sandbox (the default, `npm start` and the tests): the offline provider sandboxes and the demo
 *   credentials below fill whatever is not set.
 * - APP_MODE=production: nothing secret has a default. Start-up is refused, naming every bad variable, when a
 *   credential is missing or is one of the published sandbox values, when a demo-only variable is set, when a
 *   provider URL is missing or points at the sandbox, or when the Netopia public key is missing.
 */
const url = z.url();
const port = z.coerce.number().int().min(0).max(65535);
const secret = z.string().min(8);

/** The published demo values: fine for the sandbox, refused in production wherever they appear. */
export const SANDBOX_DEFAULTS = {
  OPS_API_TOKEN: 'demo-ops-token-change-me',
  DEMO_DRIVER_TOKEN: 'demo-driver-token-0001',
  DEMO_GATE_API_KEY: 'demo-gate-key-0001',
  PAY_LINK_SECRET: 'demo-pay-link-secret-change-me',
  NETOPIA_API_KEY: 'sandbox-netopia-api-key',
  NETOPIA_POS_SIGNATURE: 'SANDBOX-POS-SIGNATURE',
  EPX_CUST_NBR: '9001',
  EPX_MERCH_NBR: '900300',
  EPX_DBA_NBR: '2',
  EPX_TERMINAL_NBR: '21',
  EPX_EPI_KEY: 'sandbox-epx-epi-key',
  AUTOPAY_OPERATORS: '{"demo-operator":{"clientId":"demo-operator-client","clientSecret":"demo-operator-secret"}}',
  DEMO_AUTOPAY_CALLBACK_AUTH: 'basic',
  DEMO_AUTOPAY_CALLBACK_SECRET: 'autopay:demo-autopay-callback-secret',
  VIPPS_CLIENT_ID: 'sandbox-vipps-client',
  VIPPS_CLIENT_SECRET: 'sandbox-vipps-secret',
  VIPPS_SUBSCRIPTION_KEY: 'sandbox-vipps-subscription',
  VIPPS_MSN: '123456',
  VIPPS_WEBHOOK_SECRET: 'sandbox-vipps-webhook-secret',
  DEMO_EASYPARK_USERNAME: 'demo-fleet',
  DEMO_EASYPARK_PASSWORD: 'demo-easypark-password',
  /** Payload encryption keys for Temporal (src/codec/key-ring.ts): `id:base64(32 bytes)`, first one encrypts. */
  PAYLOAD_ENCRYPTION_KEYS: 'demo-2026:vNhrPBinQj+O1hVb8pSBJSj6W7IAefcJIwhMKSPlqwc=',
  /** Key of the plate hash in Temporal's search attributes (src/security/plate-hash.ts). Changing it orphans old hashes. */
  PLATE_HASH_KEY: 'demo-plate-hash-key-change-me',
  /** Key the smart keys' access commands are derived with (src/security/access-command.ts). Changing it voids live keys. */
  ACCESS_COMMAND_KEY: 'demo-access-command-key-change-me',
} as const;

/** Only the sandbox seeds demo data; in production these must not be set (ops users and gate keys are per person / per gate). */
const SANDBOX_ONLY = [
  'OPS_API_TOKEN',
  'DEMO_DRIVER_TOKEN',
  'DEMO_GATE_API_KEY',
  'DEMO_AUTOPAY_CALLBACK_AUTH',
  'DEMO_AUTOPAY_CALLBACK_SECRET',
  'DEMO_EASYPARK_USERNAME',
  'DEMO_EASYPARK_PASSWORD',
] as const;
/** Production credentials: required, and never a published sandbox value. */
const PRODUCTION_CREDENTIALS = (Object.keys(SANDBOX_DEFAULTS) as Array<keyof typeof SANDBOX_DEFAULTS>).filter(
  (k) => !(SANDBOX_ONLY as readonly string[]).includes(k),
);
const PROVIDER_URLS = ['NETOPIA_BASE_URL', 'EPX_BASE_URL', 'AUTOPAY_API_BASE_URL', 'AUTOPAY_AUTH_URL', 'VIPPS_BASE_URL'] as const;

const EnvSchema = z.object({
  APP_MODE: z.enum(['sandbox', 'production']).default('sandbox'),
  NODE_ENV: z.string().default('development'),
  PORT: port.default(3000),
  SANDBOX_PORT: port.default(4010),
  /** Interface the API and the sandbox listen on: loopback unless asked (0.0.0.0 for a phone on the network, containers). */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Prefix of the "back to the app" link on the result page and in receipts; the session id is appended. */
  APP_DEEP_LINK_BASE: z
    .string()
    .regex(/^[a-z][a-z0-9+.-]*:\S*$/i, 'a URL prefix with a scheme, e.g. parkingapp://sessions/')
    .default('parkingapp://sessions/'),
  PUBLIC_BASE_URL: url.optional(),
  SANDBOX_BASE_URL: url.optional(),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('parking'),
  /** Deadline of ordinary Temporal calls from the API (start, signal, query): a dead server answers 503 after this. */
  TEMPORAL_RPC_TIMEOUT_MS: z.coerce.number().int().min(100).default(3000),
  /** Deadline of API calls that wait for a workflow or an update to finish. */
  TEMPORAL_WAIT_TIMEOUT_MS: z.coerce.number().int().min(100).default(15000),
  /** How long a database operation waits for a reachable server before it fails (503 in the API). */
  DB_TIMEOUT_MS: z.coerce.number().int().min(100).default(3000),
  MONGODB_URI: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URI').default('mongodb://127.0.0.1:27017/parking'),

  /**
   * Worker sizing (per worker process; run N workers for more). The workflow cache holds open sessions' state in
   * memory (about 200-300 KiB each); the rest are evicted and replayed from their history when their next event
   * comes. Concurrent workflow tasks must not exceed it. Measured (bench:load, the worker started with the
   * settings of workers/process-options.ts and a prebuilt bundle): about 210 MiB idle, 270-280 MiB with 1,000
   * and with 10,000 sessions open at 100; 250 cached took it past 300 MB. Far more needs a larger heap ceiling there.
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(100),
  /**
   * A workflow bundle built ahead (`npm run build:workflows`, the Docker image does it): the worker loads it instead
   * of running webpack at start-up, which took about 130 MiB of the worker's memory and seconds of its start.
   */
  WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).default(40),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().positive().default(100),
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: z.coerce.number().int().positive().default(100),

  OPS_API_TOKEN: secret.optional(),
  DEMO_DRIVER_TOKEN: secret.optional(),
  DEMO_GATE_API_KEY: secret.optional(),
  PAY_LINK_SECRET: secret.optional(),
  /** How long a pay link from finalize (or a session read) stays valid; every finalize issues a fresh one. */
  PAY_LINK_TTL_MINUTES: z.coerce.number().int().positive().max(24 * 60).default(30),
  /** Driver access tokens issued from now on expire after this many days. */
  DRIVER_TOKEN_TTL_DAYS: z.coerce.number().int().positive().max(3650).default(90),
  /**
   * How long the API keeps a parking, a gate key or a driver token it has read (src/db/read-through-cache.ts).
   * A change made through this API process is seen at once; one made by another replica or the admin CLI (a
   * revoked token, a retired gate) within this many milliseconds. 0: read the database on every request.
   */
  REFERENCE_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
  /** Requests per IP and minute on the pay page, the result page and the EPX browser return. */
  RATE_LIMIT_PAY_PER_MINUTE: z.coerce.number().int().positive().default(30),
  RATE_LIMIT_RESULT_PER_MINUTE: z.coerce.number().int().positive().default(120),
  /** Failed authentications (401) per IP in 15 minutes before further requests are refused with 429. */
  RATE_LIMIT_AUTH_FAILURES: z.coerce.number().int().positive().default(50),

  ENTRY_TIMEOUT_MINUTES: z.coerce.number().int().positive().default(120),
  PAYMENT_ATTEMPT_TTL_MINUTES: z.coerce.number().int().positive().default(15),
  SMART_KEY_TRIES: z.coerce.number().int().positive().default(3),
  /** Stays longer than this, or prices above MAX_CHARGE_AMOUNT (parking currency), go to ops instead of a charge. */
  MAX_STAY_HOURS: z.coerce.number().int().positive().default(720),
  MAX_CHARGE_AMOUNT: z.string().regex(/^\d{1,9}(\.\d{1,2})?$/, 'a decimal amount like 5000.00').default('5000.00'),
  /** A gate's occurred_at is clamped to [created − skew, now]; later or earlier times are not believed. */
  GATE_CLOCK_SKEW_MINUTES: z.coerce.number().int().min(0).max(1440).default(5),
  /** An ANPR session keeps asking Autopay to connect this long while the camera has not seen the car. */
  ANPR_CONNECT_WINDOW_MINUTES: z.coerce.number().int().positive().default(15),
  /**
   * A session active (entered, not finalized) or exiting (priced, not paid, or paid with no exit) longer than this
   * goes to ops (Attention stale_session); nothing is charged or cancelled by it. Active defaults a day above
   * MAX_STAY_HOURS, so a stay too long to charge is seen at finalize first.
   */
  SESSION_MAX_ACTIVE_HOURS: z.coerce.number().int().positive().default(744),
  SESSION_MAX_EXITING_HOURS: z.coerce.number().int().positive().default(24),

  NETOPIA_BASE_URL: url.optional(),
  NETOPIA_API_KEY: z.string().min(1).optional(),
  NETOPIA_POS_SIGNATURE: z.string().min(1).optional(),
  /** Netopia's public key for IPN JWTs. Required in production; the sandbox publishes its own at `${NETOPIA_BASE_URL}/public-key.pem`. */
  NETOPIA_PUBLIC_KEY_PEM: z.string().optional(),

  EPX_BASE_URL: url.optional(),
  EPX_CUST_NBR: z.string().min(1).optional(),
  EPX_MERCH_NBR: z.string().min(1).optional(),
  EPX_DBA_NBR: z.string().min(1).optional(),
  EPX_TERMINAL_NBR: z.string().min(1).optional(),
  EPX_EPI_KEY: z.string().min(1).optional(),

  AUTOPAY_API_BASE_URL: url.optional(),
  AUTOPAY_AUTH_URL: url.optional(),
  /** JSON: {"<operatorId>": {"clientId": "...", "clientSecret": "..."}}. */
  AUTOPAY_OPERATORS: z.string().optional(),
  DEMO_AUTOPAY_CALLBACK_AUTH: z.enum(['basic', 'token', 'api_key']).optional(),
  DEMO_AUTOPAY_CALLBACK_SECRET: z.string().min(1).optional(),

  PAYLOAD_ENCRYPTION_KEYS: z.string().max(4000).optional(),
  PLATE_HASH_KEY: z.string().min(16).optional(),
  ACCESS_COMMAND_KEY: z.string().min(16).optional(),
  /** Browser origins allowed to call the codec server: the Temporal UI's (the dev server's UI by default). */
  CODEC_CORS_ORIGINS: z.string().default('http://127.0.0.1:8233,http://localhost:8233'),

  VIPPS_BASE_URL: url.optional(),
  VIPPS_CLIENT_ID: z.string().min(1).optional(),
  VIPPS_CLIENT_SECRET: z.string().min(1).optional(),
  VIPPS_SUBSCRIPTION_KEY: z.string().min(1).optional(),
  VIPPS_MSN: z.string().min(1).optional(),
  VIPPS_WEBHOOK_SECRET: z.string().min(8).optional(),
  VIPPS_CHARGE_RETRY_DAYS: z.coerce.number().int().min(0).max(14).default(2),
  VIPPS_MAX_FAILED_CHARGE_DAYS: z.coerce.number().int().min(1).default(3),
  VIPPS_BILLING_TIME_ZONE: z.string().default('Europe/Oslo'),

  DEMO_EASYPARK_USERNAME: z.string().min(1).optional(),
  DEMO_EASYPARK_PASSWORD: secret.optional(),

  ...OBSERVABILITY_ENV,
});
/** Every variable name the product reads (tests check deployment files against it). */
export const ENV_NAMES: ReadonlySet<string> = new Set(Object.keys(EnvSchema.shape));


export type Env = z.infer<typeof EnvSchema>;
type Defaulted = keyof typeof SANDBOX_DEFAULTS;

export interface Config extends Omit<Env, Defaulted> {
  PUBLIC_BASE_URL: string;
  SANDBOX_BASE_URL: string;
  NETOPIA_BASE_URL: string;
  EPX_BASE_URL: string;
  AUTOPAY_API_BASE_URL: string;
  AUTOPAY_AUTH_URL: string;
  VIPPS_BASE_URL: string;
  /** Sandbox-only demo credentials are '' in production (nothing seeds or prints them there). */
  OPS_API_TOKEN: string;
  DEMO_DRIVER_TOKEN: string;
  DEMO_GATE_API_KEY: string;
  PAY_LINK_SECRET: string;
  NETOPIA_API_KEY: string;
  NETOPIA_POS_SIGNATURE: string;
  EPX_CUST_NBR: string;
  EPX_MERCH_NBR: string;
  EPX_DBA_NBR: string;
  EPX_TERMINAL_NBR: string;
  EPX_EPI_KEY: string;
  AUTOPAY_OPERATORS: string;
  DEMO_AUTOPAY_CALLBACK_AUTH: 'basic' | 'token' | 'api_key';
  DEMO_AUTOPAY_CALLBACK_SECRET: string;
  VIPPS_CLIENT_ID: string;
  VIPPS_CLIENT_SECRET: string;
  VIPPS_SUBSCRIPTION_KEY: string;
  VIPPS_MSN: string;
  VIPPS_WEBHOOK_SECRET: string;
  DEMO_EASYPARK_USERNAME: string;
  DEMO_EASYPARK_PASSWORD: string;
  PAYLOAD_ENCRYPTION_KEYS: string;
  PLATE_HASH_KEY: string;
  ACCESS_COMMAND_KEY: string;
  autopayOperators: Record<string, { clientId: string; clientSecret: string }>;
}

const OperatorsSchema = z.record(z.string(), z.object({ clientId: z.string().min(1), clientSecret: z.string().min(1) }));

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const PUBLISHED = new Set<string>(Object.values(SANDBOX_DEFAULTS));
const DEMO_OPERATOR = JSON.parse(SANDBOX_DEFAULTS.AUTOPAY_OPERATORS) as Record<string, { clientId: string; clientSecret: string }>;
const PUBLISHED_OPERATOR_VALUES = new Set(Object.values(DEMO_OPERATOR).flatMap((o) => [o.clientId, o.clientSecret]));

/** Every reason the environment is not fit for production, one line per variable. */
function productionProblems(e: Env, operators: Config['autopayOperators'] | null): string[] {
  const problems: string[] = [];
  for (const name of SANDBOX_ONLY) {
    if (e[name] !== undefined) problems.push(`${name}: is a sandbox-only demo credential and must not be set in production`);
  }
  for (const name of PRODUCTION_CREDENTIALS) {
    const value = e[name];
    if (value === undefined || value === '') problems.push(`${name}: is required in production`);
    else if (PUBLISHED.has(value)) problems.push(`${name}: is a published sandbox/demo value; set the real secret`);
  }
  if (e.PAY_LINK_SECRET && e.PAY_LINK_SECRET.length < 32) problems.push('PAY_LINK_SECRET: must be at least 32 characters in production');
  if (operators) {
    for (const [id, op] of Object.entries(operators)) {
      if (id in DEMO_OPERATOR || PUBLISHED_OPERATOR_VALUES.has(op.clientId) || PUBLISHED_OPERATOR_VALUES.has(op.clientSecret)) {
        problems.push(`AUTOPAY_OPERATORS: operator "${id}" uses the published demo operator or its credentials`);
      }
    }
  }
  if (!e.NETOPIA_PUBLIC_KEY_PEM) problems.push("NETOPIA_PUBLIC_KEY_PEM: is required in production (IPNs are verified with it; it is never fetched at run time)");
  else {
    try {
      createPublicKey(e.NETOPIA_PUBLIC_KEY_PEM.replace(/\\n/g, '\n'));
    } catch (err) {
      problems.push(`NETOPIA_PUBLIC_KEY_PEM: is not a PEM public key (${(err as Error).message})`);
    }
  }
  if (!e.PUBLIC_BASE_URL) problems.push('PUBLIC_BASE_URL: is required in production (pay links and provider return URLs are built from it)');
  if (e.SANDBOX_BASE_URL) problems.push('SANDBOX_BASE_URL: the provider sandbox must not be enabled in production');
  const sandboxBase = `http://127.0.0.1:${e.SANDBOX_PORT}`;
  for (const name of PROVIDER_URLS) {
    const value = e[name];
    if (!value) problems.push(`${name}: is required in production (it would default to the offline sandbox)`);
    else if (value.startsWith(sandboxBase) || (e.SANDBOX_BASE_URL && value.startsWith(e.SANDBOX_BASE_URL))) problems.push(`${name}: points at the provider sandbox`);
  }
  return problems;
}

/** Parses the environment; throws one ConfigError naming every bad variable and what is wrong with it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty value (`NAME=` in an env file) means "not set", so production names it as missing.
  const parsed = EnvSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const sandbox = e.APP_MODE === 'sandbox';
  let operators: Config['autopayOperators'] | null = null;
  const operatorsJson = e.AUTOPAY_OPERATORS ?? (sandbox ? SANDBOX_DEFAULTS.AUTOPAY_OPERATORS : undefined);
  const problems: string[] = [];
  if (operatorsJson !== undefined) {
    try {
      operators = OperatorsSchema.parse(JSON.parse(operatorsJson));
    } catch (err) {
      problems.push(`AUTOPAY_OPERATORS: ${(err as Error).message}`);
    }
  }
  if (e.WORKER_MAX_CACHED_WORKFLOWS > 0 && e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS > e.WORKER_MAX_CACHED_WORKFLOWS) {
    problems.push('WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: must not exceed WORKER_MAX_CACHED_WORKFLOWS (a running workflow task holds its workflow in the cache)');
  }
  if (e.PAYLOAD_ENCRYPTION_KEYS !== undefined) {
    try {
      parseKeyRing(e.PAYLOAD_ENCRYPTION_KEYS);
    } catch (err) {
      problems.push(`PAYLOAD_ENCRYPTION_KEYS: ${(err as Error).message}`);
    }
  }
  if (!sandbox) problems.push(...productionProblems(e, operators));
  if (problems.length > 0) throw new ConfigError(`invalid environment (APP_MODE=${e.APP_MODE}):\n${problems.map((p) => `  ${p}`).join('\n')}`);

  // Production has passed the checks above, so every credential is set; only the demo-only ones stay ''.
  const filled = Object.fromEntries(
    (Object.keys(SANDBOX_DEFAULTS) as Defaulted[]).map((k) => [k, e[k] ?? (sandbox ? SANDBOX_DEFAULTS[k] : '')]),
  ) as Pick<Config, Defaulted>;
  const publicBase = (e.PUBLIC_BASE_URL ?? `http://127.0.0.1:${e.PORT}`).replace(/\/$/, '');
  const sandboxBase = (e.SANDBOX_BASE_URL ?? `http://127.0.0.1:${e.SANDBOX_PORT}`).replace(/\/$/, '');
  return {
    ...e,
    ...filled,
    DEMO_AUTOPAY_CALLBACK_AUTH: e.DEMO_AUTOPAY_CALLBACK_AUTH ?? 'basic',
    PUBLIC_BASE_URL: publicBase,
    SANDBOX_BASE_URL: sandboxBase,
    NETOPIA_BASE_URL: e.NETOPIA_BASE_URL ?? `${sandboxBase}/netopia`,
    EPX_BASE_URL: e.EPX_BASE_URL ?? `${sandboxBase}/epx`,
    AUTOPAY_API_BASE_URL: e.AUTOPAY_API_BASE_URL ?? `${sandboxBase}/autopay`,
    AUTOPAY_AUTH_URL: e.AUTOPAY_AUTH_URL ?? `${sandboxBase}/autopay/oauth/token`,
    VIPPS_BASE_URL: e.VIPPS_BASE_URL ?? `${sandboxBase}/vipps`,
    autopayOperators: operators ?? {},
  };
}

/** Refuses to go on outside the sandbox: demo seeding, the provider sandboxes and `npm start` are sandbox-only. */
export function assertSandbox(config: Pick<Config, 'APP_MODE'>, what: string): void {
  if (config.APP_MODE !== 'sandbox') throw new ConfigError(`${what} runs only with APP_MODE=sandbox (APP_MODE=${config.APP_MODE})`);
}
