import { z } from 'zod';
import { hasAtMost2Decimals, money, parseProviderAmount, type MoneyInput } from '../../domain/money';
import { addsUp } from '../../domain/vat';

/**
 * EasyPark Fleet's `parkingTransaction` webhook body (seed easypark-fleet-webhook), field for field.
 * Parsing yields amounts as exact 2-decimal strings ("22.45"), so no float ever holds the money.
 */

/** The seed's sample payload: the sandbox's default and the tests' baseline. */
export const EASYPARK_SAMPLE_TRANSACTION = {
  parkingId: 2791368361,
  parkingUserId: 8993734,
  licenseNumber: 'ABC123',
  startDate: '2025-12-04T12:02:37Z',
  endDate: '2025-12-04T13:12:00Z',
  parkingAreaId: 291048,
  parkingAreaName: 'Nyköpings lasarett, besökande',
  parkingOperatorId: 403,
  parkingOperatorName: 'EuroPark Svenska AB',
  price: 22.45,
  priceVatAmount: 4.49,
  priceExclusiveVatAmount: 17.96,
  transactionFeeExclusiveVatAmount: 3.96,
  transactionFeeVatAmount: 0.99,
  transactionFee: 4.95,
  currency: 'SEK',
} as const;

// ---------------------------------------------------------------- field schemas

/** Messages are predicates ("is required"); parseParkingTransaction prefixes the field name. */
const required = (expected: string) => (iss: { input?: unknown }) => (iss.input === undefined ? 'is required' : `must be ${expected}`);

/** int64 on the wire; JSON numbers beyond 2^53 would already have lost digits, so those are refused too. */
const int64 = z
  .number({ error: required('an integer') })
  .int({
    // zod's int() also refuses integers beyond 2^53 - 1.
    error: (iss) => (Number.isInteger(iss.input) ? 'is beyond the exactly representable integer range' : 'must be an integer'),
  })
  .positive({ error: 'must be positive' });

/** yyyy-MM-dd'T'HH:mm:ssX: whole seconds, and an offset that is Z, ±HH, ±HHmm or ±HH:mm. */
export const EASYPARK_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}(:?\d{2})?)$/;

/** The instant of an EasyPark timestamp, or undefined when it is malformed or not a real date. */
export function parseEasyParkDate(value: string): Date | undefined {
  if (!EASYPARK_DATE_TIME.test(value)) return undefined;
  const offset = value.slice(19);
  const tz = offset === 'Z' ? 'Z' : `${offset.slice(0, 3)}:${offset.slice(3).replace(':', '') || '00'}`;
  const date = new Date(`${value.slice(0, 19)}${tz}`);
  if (Number.isNaN(date.getTime())) return undefined;
  // Date rolls "02-30" over into March; a real calendar day survives the round trip.
  const day = new Date(`${value.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== value.slice(0, 10)) return undefined;
  return date;
}

const dateTime = z
  .string({ error: required('a string') })
  .refine((v) => parseEasyParkDate(v) !== undefined, { error: "must be a date-time like 2025-12-04T12:02:37Z (yyyy-MM-dd'T'HH:mm:ssX)" });

const text = z.string({ error: required('a string') });

/** Decimal major units as a JSON number, ≥ 0, at most 2 decimals; read exactly (22.45 stays 22.45). */
const amount = z
  .number({ error: required('a number') })
  .nonnegative({ error: 'must not be negative' })
  .refine((n) => hasAtMost2Decimals(parseProviderAmount(n)), { error: 'must have at most 2 decimals' })
  .transform((n) => parseProviderAmount(n).toFixed(2));

// ---------------------------------------------------------------- amounts add up

export interface FieldError {
  field: string;
  message: string;
}

export interface TransactionAmounts {
  price: MoneyInput;
  priceVatAmount: MoneyInput;
  priceExclusiveVatAmount: MoneyInput;
  transactionFee: MoneyInput;
  transactionFeeVatAmount: MoneyInput;
  transactionFeeExclusiveVatAmount: MoneyInput;
}

/**
 * Exclusive + VAT must equal the total, exactly, for the price and for the transaction fee: we book all three
 * in the ledger and re-bill the total, so a mismatch would make the books disagree with what was charged.
 */
export function checkTransactionAmounts(tx: TransactionAmounts): FieldError[] {
  const errors: FieldError[] = [];
  const check = (total: keyof TransactionAmounts, exclusive: keyof TransactionAmounts, vat: keyof TransactionAmounts) => {
    if (addsUp(tx[exclusive], tx[vat], tx[total])) return;
    const sum = money(tx[exclusive]).plus(tx[vat]);
    errors.push({
      field: total,
      message: `${total} ${money(tx[total]).toFixed(2)} must equal ${exclusive} ${money(tx[exclusive]).toFixed(2)} + ${vat} ${money(tx[vat]).toFixed(2)} = ${sum.toFixed(2)}`,
    });
  };
  check('price', 'priceExclusiveVatAmount', 'priceVatAmount');
  check('transactionFee', 'transactionFeeExclusiveVatAmount', 'transactionFeeVatAmount');
  return errors;
}

// ---------------------------------------------------------------- the payload

/** Field shapes only; cross-field rules (amounts add up, end not before start) are in parkingTransactionSchema. */
export const parkingTransactionFieldsSchema = z.object({
  parkingId: int64,
  parkingUserId: int64,
  licenseNumber: text.min(1, { error: 'must not be empty' }),
  startDate: dateTime,
  endDate: dateTime,
  parkingAreaId: int64,
  parkingAreaName: text,
  parkingOperatorId: int64,
  parkingOperatorName: text,
  price: amount,
  priceVatAmount: amount,
  priceExclusiveVatAmount: amount,
  transactionFeeExclusiveVatAmount: amount,
  transactionFeeVatAmount: amount,
  transactionFee: amount,
  currency: z.string({ error: required('a string') }).regex(/^[A-Z]{3}$/, { error: 'must be an ISO 4217 code of 3 upper-case letters' }),
});

export const parkingTransactionSchema = parkingTransactionFieldsSchema.superRefine((tx, ctx) => {
  // zod may run this even when a field already failed; then the cross-field rules have nothing sound to compare.
  if (ctx.issues.length > 0) return;
  for (const e of checkTransactionAmounts(tx)) ctx.addIssue({ code: 'custom', path: [e.field], message: e.message });
  const start = parseEasyParkDate(tx.startDate);
  const end = parseEasyParkDate(tx.endDate);
  if (start && end && end.getTime() < start.getTime()) {
    ctx.addIssue({ code: 'custom', path: ['endDate'], message: 'must not be before startDate' });
  }
});

/** What EasyPark sends (amounts as JSON numbers). */
export type ParkingTransactionWire = z.input<typeof parkingTransactionSchema>;
/** What we keep: amounts as exact "0.00" strings. */
export type ParkingTransaction = z.output<typeof parkingTransactionSchema>;

export type ParkingTransactionParse = { ok: true; value: ParkingTransaction } | { ok: false; errors: FieldError[] };

/** Validates a webhook body; every problem is reported with the field it concerns. */
export function parseParkingTransaction(body: unknown): ParkingTransactionParse {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, errors: [{ field: '(body)', message: 'body must be a JSON object' }] };
  }
  // Field shapes first: the cross-field rules only make sense on well-formed fields.
  const fields = parkingTransactionFieldsSchema.safeParse(body);
  const parsed = fields.success ? parkingTransactionSchema.safeParse(body) : fields;
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((issue) => {
      const field = issue.path.map(String).join('.') || '(body)';
      // Cross-field messages already name their fields; field messages are predicates.
      const message = issue.code === 'custom' && issue.message.startsWith(field) ? issue.message : `${field} ${issue.message}`;
      return { field, message };
    }),
  };
}
