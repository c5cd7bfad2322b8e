/**
 * The money invariant fault tests check after every crash: each charge a provider approved is booked exactly once,
 * and a driver is never charged twice for one session unless the extra charge was given back.
 *
 * The providers' side comes from the sandboxes' own records (GET <sandbox>/netopia/_records and /epx/_records),
 * our side from the payments ledger (LedgerModel, through this process's mongoose connection).
 */
import { z } from 'zod';
import { LedgerModel } from '../../src/db/models';
import { parseOrderId } from '../../src/temporal/ids';

const NetopiaRecords = z.array(
  z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('charge'), orderId: z.string(), amount: z.string(), currency: z.string(), approved: z.boolean() }),
    z.object({ kind: z.literal('refund'), orderId: z.string() }),
    z.object({ kind: z.literal('ipn'), orderId: z.string() }),
    // Voids and provider-side events (credit, reversal, chargeback) charge nothing.
    z.object({ kind: z.enum(['void', 'event']), orderId: z.string() }),
  ]),
);
const EpxRecords = z.array(
  z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('charge'), tranNbr: z.string(), amount: z.string(), authResp: z.string() }),
    z.object({ kind: z.literal('refund'), tranNbr: z.string() }),
    z.object({ kind: z.enum(['void', 'event']), tranNbr: z.string() }),
  ]),
);

export interface ApprovedCharge {
  provider: 'netopia' | 'epx';
  orderId: string;
  sessionId: number;
  amount: string;
}

export interface ExactlyOnceReport {
  /** Approved provider charges (of the session when one was given). */
  charges: ApprovedCharge[];
  /** Capture ledger rows, by order id. */
  captures: Map<string, number>;
  /** Order ids with a refund ledger row. */
  refunded: Set<string>;
}

async function records<T>(url: string, schema: z.ZodType<T>): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return schema.parse(await res.json());
}

/** Every approved charge the Netopia and EPX sandboxes made, with the session its order id belongs to. */
export async function approvedCharges(sandboxUrl: string): Promise<ApprovedCharge[]> {
  const [netopia, epx] = await Promise.all([records(`${sandboxUrl}/netopia/_records`, NetopiaRecords), records(`${sandboxUrl}/epx/_records`, EpxRecords)]);
  const out: ApprovedCharge[] = [];
  const add = (provider: ApprovedCharge['provider'], orderId: string, amount: string) => {
    const parsed = parseOrderId(orderId);
    if (!parsed) throw new Error(`${provider} charged an order id that is not <session>-<attempt>: ${orderId}`);
    out.push({ provider, orderId, sessionId: parsed.sessionId, amount });
  };
  for (const r of netopia) if (r.kind === 'charge' && r.approved) add('netopia', r.orderId, r.amount);
  for (const r of epx) if (r.kind === 'charge' && r.authResp === '00') add('epx', r.tranNbr, r.amount);
  return out;
}

/**
 * Asserts, for every approved charge (only the session's when sessionId is given): exactly one capture ledger row
 * for its order id; and per session, at most one charge kept (the others each have a refund ledger row).
 * Throws an Error naming every violation; returns what it saw for further assertions.
 */
export async function assertExactlyOnce(opts: { sandboxUrl: string; sessionId?: number }): Promise<ExactlyOnceReport> {
  const all = await approvedCharges(opts.sandboxUrl);
  const charges = opts.sessionId === undefined ? all : all.filter((c) => c.sessionId === opts.sessionId);
  const sessionIds = opts.sessionId === undefined ? [...new Set(charges.map((c) => String(c.sessionId)))] : [String(opts.sessionId)];
  // Card rows only: Vipps and EasyPark book other kinds, never against a Netopia or EPX order.
  const scope = opts.sessionId === undefined ? { provider: { $in: ['netopia', 'epx'] } } : { sessionId: String(opts.sessionId) };
  const rows = await LedgerModel.find({ ...scope, kind: { $in: ['capture', 'refund'] } }).lean();

  const captures = new Map<string, number>();
  const refunded = new Set<string>();
  for (const row of rows) {
    const orderId = z.object({ orderId: z.string() }).safeParse(row.providerRefs).data?.orderId;
    if (!orderId) continue;
    if (row.kind === 'capture') captures.set(orderId, (captures.get(orderId) ?? 0) + 1);
    else refunded.add(orderId);
  }

  const problems: string[] = [];
  for (const c of charges) {
    const n = captures.get(c.orderId) ?? 0;
    if (n !== 1) problems.push(`${c.provider} approved ${c.orderId} (${c.amount}) but the ledger has ${n} capture rows for it`);
  }
  const chargedOrders = new Set(charges.map((c) => c.orderId));
  for (const [orderId, n] of captures) {
    if (!chargedOrders.has(orderId)) problems.push(`the ledger has ${n} capture row(s) for ${orderId}, which no provider approved`);
  }
  for (const sessionId of sessionIds) {
    const kept = charges.filter((c) => String(c.sessionId) === sessionId && !refunded.has(c.orderId));
    if (kept.length > 1) problems.push(`session ${sessionId} keeps ${kept.length} charges: ${kept.map((c) => c.orderId).join(', ')}`);
  }
  if (problems.length > 0) throw new Error(`exactly-once violated:\n  ${problems.join('\n  ')}`);
  return { charges, captures, refunded };
}
