import { z } from 'zod';

/**
 * Every environment variable the product reads, in one schema. Defaults are the offline sandboxes and
 * demo credentials; production changes base URLs and credentials only.
 */
const url = z.url();
const port = z.coerce.number().int().min(0).max(65535);
const secret = z.string().min(8);

const EnvSchema = z.object({
  NODE_ENV: z.string().default('development'),
  PORT: port.default(3000),
  SANDBOX_PORT: port.default(4010),
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

  OPS_API_TOKEN: secret.default('demo-ops-token-change-me'),
  DEMO_DRIVER_TOKEN: secret.default('demo-driver-token-0001'),
  DEMO_GATE_API_KEY: secret.default('demo-gate-key-0001'),
  PAY_LINK_SECRET: secret.default('demo-pay-link-secret-change-me'),

  ENTRY_TIMEOUT_MINUTES: z.coerce.number().int().positive().default(120),
  PAYMENT_ATTEMPT_TTL_MINUTES: z.coerce.number().int().positive().default(15),
  SMART_KEY_TRIES: z.coerce.number().int().positive().default(3),

  NETOPIA_BASE_URL: url.optional(),
  NETOPIA_API_KEY: z.string().min(1).default('sandbox-netopia-api-key'),
  NETOPIA_POS_SIGNATURE: z.string().min(1).default('SANDBOX-POS-SIGNATURE'),
  /** Netopia's public key for IPN JWTs; when unset it is read from `${NETOPIA_BASE_URL}/public-key.pem` (sandbox). */
  NETOPIA_PUBLIC_KEY_PEM: z.string().optional(),

  EPX_BASE_URL: url.optional(),
  EPX_CUST_NBR: z.string().default('9001'),
  EPX_MERCH_NBR: z.string().default('900300'),
  EPX_DBA_NBR: z.string().default('2'),
  EPX_TERMINAL_NBR: z.string().default('21'),
  EPX_EPI_KEY: z.string().min(1).default('sandbox-epx-epi-key'),

  AUTOPAY_API_BASE_URL: url.optional(),
  AUTOPAY_AUTH_URL: url.optional(),
  /** JSON: {"<operatorId>": {"clientId": "...", "clientSecret": "..."}}. */
  AUTOPAY_OPERATORS: z.string().default('{"demo-operator":{"clientId":"demo-operator-client","clientSecret":"demo-operator-secret"}}'),
  DEMO_AUTOPAY_CALLBACK_AUTH: z.enum(['basic', 'token', 'api_key']).default('basic'),
  DEMO_AUTOPAY_CALLBACK_SECRET: z.string().min(1).default('autopay:demo-autopay-callback-secret'),

  VIPPS_BASE_URL: url.optional(),
  VIPPS_CLIENT_ID: z.string().default('sandbox-vipps-client'),
  VIPPS_CLIENT_SECRET: z.string().default('sandbox-vipps-secret'),
  VIPPS_SUBSCRIPTION_KEY: z.string().default('sandbox-vipps-subscription'),
  VIPPS_MSN: z.string().default('123456'),
  VIPPS_WEBHOOK_SECRET: z.string().min(8).default('sandbox-vipps-webhook-secret'),
  VIPPS_CHARGE_RETRY_DAYS: z.coerce.number().int().min(0).max(14).default(2),
  VIPPS_MAX_FAILED_CHARGE_DAYS: z.coerce.number().int().min(1).default(3),
  VIPPS_BILLING_TIME_ZONE: z.string().default('Europe/Oslo'),

  DEMO_EASYPARK_USERNAME: z.string().min(1).default('demo-fleet'),
  DEMO_EASYPARK_PASSWORD: secret.default('demo-easypark-password'),
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config extends Env {
  PUBLIC_BASE_URL: string;
  SANDBOX_BASE_URL: string;
  NETOPIA_BASE_URL: string;
  EPX_BASE_URL: string;
  AUTOPAY_API_BASE_URL: string;
  AUTOPAY_AUTH_URL: string;
  VIPPS_BASE_URL: string;
  autopayOperators: Record<string, { clientId: string; clientSecret: string }>;
}

const OperatorsSchema = z.record(z.string(), z.object({ clientId: z.string().min(1), clientSecret: z.string().min(1) }));

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; throws one ConfigError naming every bad variable and what is wrong with it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  let operators: Config['autopayOperators'];
  try {
    operators = OperatorsSchema.parse(JSON.parse(e.AUTOPAY_OPERATORS));
  } catch (err) {
    throw new ConfigError(`invalid environment:\n  AUTOPAY_OPERATORS: ${(err as Error).message}`);
  }
  const publicBase = (e.PUBLIC_BASE_URL ?? `http://127.0.0.1:${e.PORT}`).replace(/\/$/, '');
  const sandboxBase = (e.SANDBOX_BASE_URL ?? `http://127.0.0.1:${e.SANDBOX_PORT}`).replace(/\/$/, '');
  return {
    ...e,
    PUBLIC_BASE_URL: publicBase,
    SANDBOX_BASE_URL: sandboxBase,
    NETOPIA_BASE_URL: e.NETOPIA_BASE_URL ?? `${sandboxBase}/netopia`,
    EPX_BASE_URL: e.EPX_BASE_URL ?? `${sandboxBase}/epx`,
    AUTOPAY_API_BASE_URL: e.AUTOPAY_API_BASE_URL ?? `${sandboxBase}/autopay`,
    AUTOPAY_AUTH_URL: e.AUTOPAY_AUTH_URL ?? `${sandboxBase}/autopay/oauth/token`,
    VIPPS_BASE_URL: e.VIPPS_BASE_URL ?? `${sandboxBase}/vipps`,
    autopayOperators: operators,
  };
}
