/** Bodies of the EPX sandbox's order test controls (README "Sandbox test controls"). */
import { z } from 'zod';
import { money } from '../../src/domain/money';
import { EPX_AMOUNT } from '../../src/providers/epx/wire';

export const EpxPayOrderSchema = z.strictObject({
  /** Dollars.cents, e.g. "9.99": captured instead of the sale's AMOUNT (to test mismatches). */
  amount: z
    .string()
    .regex(EPX_AMOUNT, 'amount must be dollars.cents, e.g. 10.00')
    .refine((a) => money(a).gt(0), 'amount must be positive')
    .optional(),
});

export const EpxOrderEventSchema = z.strictObject({ event: z.enum(['reversal', 'chargeback']) });
