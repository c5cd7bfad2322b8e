/** Bodies of the NETOPIA sandbox's order test controls (README "Sandbox test controls"). */
import { z } from 'zod';
import { hasAtMost2Decimals, money, type Money } from '../../src/domain/money';
import { NETOPIA_STATUS } from '../../src/providers/netopia/wire';

/** "10.00" or 10: positive, at most 2 decimals; read with decimal.js, never as a float sum. */
const ControlAmount = z
  .union([z.string(), z.number()])
  .transform((v, c): Money => {
    try {
      const d = money(String(v));
      if (d.gt(0) && hasAtMost2Decimals(d)) return d;
    } catch {
      // reported below
    }
    c.addIssue({ code: 'custom', message: 'amount must be positive with at most 2 decimals' });
    return z.NEVER;
  });

export const NetopiaPayOrderSchema = z.strictObject({
  amount: ControlAmount.optional(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'currency must be 3 capital letters').optional(),
});

export const NETOPIA_ORDER_EVENTS = ['credit', 'reversal', 'chargeback'] as const;
export type NetopiaOrderEvent = (typeof NETOPIA_ORDER_EVENTS)[number];

export const NetopiaOrderEventSchema = z.strictObject({
  event: z.enum(NETOPIA_ORDER_EVENTS),
  amount: ControlAmount.optional(),
});

/** credit → 8, reversal → 17, chargeback → 9 (chargeback initiated). */
export const NETOPIA_EVENT_STATUS: Record<NetopiaOrderEvent, number> = {
  credit: NETOPIA_STATUS.CREDIT,
  reversal: NETOPIA_STATUS.REVERSED,
  chargeback: NETOPIA_STATUS.CHARGEBACK_INIT,
};
