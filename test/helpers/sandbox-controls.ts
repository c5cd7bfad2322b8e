/**
 * Typed access to the sandboxes' test controls (README "Sandbox test controls") for api/e2e/unit tests.
 * `sandboxUrl` is the sandbox server's base URL (e.g. http://127.0.0.1:4010), without the provider path.
 */
import type { FaultCounters } from '../../sandbox/faults';

export type SandboxProvider = 'netopia' | 'epx' | 'autopay' | 'vipps' | 'easypark';

/** The counters as the sandboxes report them (sandbox/faults.ts). */
export type SandboxFaultCounters = FaultCounters;

async function call<T>(method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} → HTTP ${res.status}: ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

const base = (sandboxUrl: string, provider: SandboxProvider) => `${sandboxUrl.replace(/\/+$/, '')}/${provider}`;

/** Sets the given counters (the others keep their values); answers all counters. */
export function setControls(sandboxUrl: string, provider: SandboxProvider, counters: Partial<SandboxFaultCounters>): Promise<SandboxFaultCounters> {
  return call('POST', `${base(sandboxUrl, provider)}/_controls`, counters);
}

export function getControls(sandboxUrl: string, provider: SandboxProvider): Promise<SandboxFaultCounters> {
  return call('GET', `${base(sandboxUrl, provider)}/_controls`);
}

export function resetControls(sandboxUrl: string, provider: SandboxProvider): Promise<SandboxFaultCounters> {
  return call('DELETE', `${base(sandboxUrl, provider)}/_controls`);
}

/** NETOPIA's status answer for the order after the control ({order, payment, error?}). */
export interface NetopiaControlAnswer {
  order: { orderID: string; ntpID: string; amount: number; currency: string };
  payment: { ntpID: string; status: number; amount: number; currency: string };
  error?: { code: string; message: string };
}

/** Approves the order as the accepted test card would (charge record, IPN per the schedule); amount/currency override what is captured. */
export function netopiaPayOrder(sandboxUrl: string, orderId: string, opts: { amount?: string; currency?: string } = {}): Promise<NetopiaControlAnswer> {
  return call('POST', `${base(sandboxUrl, 'netopia')}/_orders/${encodeURIComponent(orderId)}/pay`, opts);
}

/** credit → status 8, reversal → 17, chargeback → 9; recorded, and the IPN is sent. */
export function netopiaOrderEvent(
  sandboxUrl: string,
  orderId: string,
  event: 'credit' | 'reversal' | 'chargeback',
  opts: { amount?: string } = {},
): Promise<NetopiaControlAnswer> {
  return call('POST', `${base(sandboxUrl, 'netopia')}/_orders/${encodeURIComponent(orderId)}/events`, { event, ...opts });
}

/** EPX's transaction lookup answer after the control ({data: {TRAN_NBR, AUTH_RESP, AUTH_GUID, TRAN_STATE, ...}}). */
export interface EpxControlAnswer {
  data: { TRAN_NBR: string; AMOUNT: string; AUTH_AMOUNT?: string; AUTH_RESP?: string; AUTH_GUID?: string; TRAN_STATE?: string };
}

/** Approves the sale (TRAN_NBR = our order id) as the accepted card would, with no browser return. */
export function epxPayOrder(sandboxUrl: string, tranNbr: string, opts: { amount?: string } = {}): Promise<EpxControlAnswer> {
  return call('POST', `${base(sandboxUrl, 'epx')}/_orders/${encodeURIComponent(tranNbr)}/pay`, opts);
}

/** Marks an approved sale reversed or charged back in the transaction lookup. */
export function epxOrderEvent(sandboxUrl: string, tranNbr: string, event: 'reversal' | 'chargeback'): Promise<EpxControlAnswer> {
  return call('POST', `${base(sandboxUrl, 'epx')}/_orders/${encodeURIComponent(tranNbr)}/events`, { event });
}

/** GET /<provider>/_records: each sandbox's own record shape (see its *SandboxRecord types). */
export function records<T = unknown>(sandboxUrl: string, provider: SandboxProvider): Promise<T> {
  return call('GET', `${base(sandboxUrl, provider)}/_records`);
}
