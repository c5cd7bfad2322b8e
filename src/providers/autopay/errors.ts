/**
 * Autopay's error envelope `{error_id, message, description?}` as one typed error, so activities can decide
 * between "retry later" and "stop and tell ops" without string matching on messages.
 */

export const AUTOPAY_ERROR_IDS = [
  'forbidden',
  'internal_server_error',
  'missing_property',
  'message_not_readable',
  'method_not_supported',
  'argument_type_mismatch',
  'server_communication_error',
  'operator_not_found_error',
  'missing_operator_token_error',
  'authentication_error',
] as const;

export type AutopayErrorId = (typeof AUTOPAY_ERROR_IDS)[number];

export function isAutopayErrorId(value: unknown): value is AutopayErrorId {
  return typeof value === 'string' && (AUTOPAY_ERROR_IDS as readonly string[]).includes(value);
}

/** The body Autopay answers errors with; also what our own callback endpoints answer Autopay with. */
export interface AutopayErrorBody {
  error_id: AutopayErrorId;
  message: string;
  description?: string;
}

export function autopayErrorBody(errorId: AutopayErrorId, message: string, description?: string): AutopayErrorBody {
  return description === undefined ? { error_id: errorId, message } : { error_id: errorId, message, description };
}

/** The HTTP status Autopay pairs with each error id (PROVIDERS.md 5.2); used by the sandbox and our callbacks. */
export const AUTOPAY_ERROR_STATUS: Record<AutopayErrorId, number> = {
  forbidden: 403,
  internal_server_error: 500,
  missing_property: 400,
  message_not_readable: 400,
  method_not_supported: 405,
  argument_type_mismatch: 400,
  server_communication_error: 400,
  operator_not_found_error: 400,
  missing_operator_token_error: 400,
  authentication_error: 401,
};

export interface AutopayErrorInit {
  errorId: AutopayErrorId;
  message: string;
  description?: string;
  /** HTTP status of Autopay's answer; 0 when no answer was received (network, timeout, local config). */
  status: number;
  /** The error_id exactly as Autopay sent it, when it was not one we know (kept for diagnosis). */
  rawErrorId?: string;
  /** Overrides the status-based default, e.g. false for a local configuration error. */
  retryable?: boolean;
  cause?: unknown;
}

export class AutopayError extends Error {
  override readonly name = 'AutopayError';
  readonly errorId: AutopayErrorId;
  readonly description?: string;
  readonly status: number;
  readonly rawErrorId?: string;
  /**
   * Whether the same call may succeed later: server faults and no answer at all. A 400 such as
   * "Payment provider already registered" (server_communication_error) will not change by retrying.
   */
  readonly retryable: boolean;

  constructor(init: AutopayErrorInit) {
    super(init.description ? `${init.errorId}: ${init.message} (${init.description})` : `${init.errorId}: ${init.message}`, {
      cause: init.cause,
    });
    this.errorId = init.errorId;
    this.description = init.description;
    this.status = init.status;
    this.rawErrorId = init.rawErrorId;
    this.retryable = init.retryable ?? (init.status === 0 || init.status === 429 || init.status >= 500);
  }
}

/** A status-only fallback for answers whose body is not Autopay's envelope (proxies, gateways). */
export function errorIdForStatus(status: number): AutopayErrorId {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'forbidden';
  if (status === 405) return 'method_not_supported';
  if (status >= 500 || status === 429) return 'internal_server_error';
  return 'server_communication_error';
}
