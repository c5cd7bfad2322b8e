import { z } from 'zod';
import { isAmountString, money } from '../../domain/money';

const MESSAGE = 'must be a decimal string of ASCII digits with at most 2 decimals and no spaces, e.g. "2.50"';

/** Every amount the API accepts, in one spelling (src/domain/money.ts isAmountString). */
export const AmountString = z.string().max(15).refine(isAmountString, MESSAGE);

/** An amount above zero; the refinement runs only on a valid spelling, so it never throws. */
export const PositiveAmountString = z
  .string()
  .max(15)
  .refine(isAmountString, MESSAGE)
  .refine((s) => !isAmountString(s) || money(s).gt(0), 'must be greater than 0');
