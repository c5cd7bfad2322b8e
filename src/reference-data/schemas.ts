/**
 * The ops API's reference-data bodies: parkings (tariff, VAT, currency, time zone, card provider, Autopay area),
 * gates, Autopay operators and EasyPark fleets. Strict: an unknown field is a typo, not something to ignore.
 */
import { z } from 'zod';
import { assertTimeZone } from '../domain/calendar';
import { AmountString } from '../api/schemas/amount';

const TimeZone = z.string().max(64).refine((tz) => {
  try {
    assertTimeZone(tz);
    return true;
  } catch {
    return false;
  }
}, 'time_zone: an IANA time zone like Europe/Bucharest');

const Currency = z.string().regex(/^[A-Z]{3}$/, 'currency: an ISO 4217 code like RON');
const Percent = z.string().regex(/^(100|[0-9]{1,2})(\.[0-9]{1,2})?$/, 'vat_percent: a decimal string from 0 to 100, like "21" or "12.5"');
export const SlugId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'id: 1-64 letters, digits, . _ or -');
export const MacAddress = z.string().regex(/^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$/, 'mac_address: like 76:86:BB:DE:63:AD');

export const TariffBody = z
  .object({
    grace_minutes: z.number().int().min(0).max(24 * 60),
    interval_minutes: z.number().int().min(1).max(24 * 60),
    price_per_interval: AmountString,
    daily_cap: AmountString.nullable().default(null),
  })
  .strict();

export const ParkingBody = z
  .object({
    name: z.string().trim().min(1).max(120),
    description: z.string().max(500).default(''),
    currency: Currency,
    time_zone: TimeZone,
    vat_percent: Percent,
    card_provider: z.enum(['netopia', 'epx']),
    active: z.boolean().default(true),
    exclusively_online: z.boolean().default(false),
    tariff: TariffBody,
    /** When the tariff (if it changed) takes effect; now by default, never in the past. */
    tariff_effective_from: z.iso.datetime({ offset: true }).optional(),
    /** Camera (ANPR) parkings run by Autopay: the Autopay area and the operator whose callbacks we accept. */
    anpr: z.object({ area_code: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'area_code: 1-64 letters, digits, . _ or -'), operator_id: SlugId }).strict().nullable().default(null),
  })
  .strict();
export type ParkingBody = z.infer<typeof ParkingBody>;

export const GateBody = z
  .object({
    direction: z.enum(['entrance', 'exit']),
    mac_address: MacAddress,
    name: z.string().trim().min(1).max(60).optional(),
  })
  .strict();
export type GateBody = z.infer<typeof GateBody>;

export const OperatorBody = z
  .object({
    name: z.string().max(120).default(''),
    // How Autopay authenticates to our callbacks for this operator; basic: "user:password".
    callback_auth: z.object({ method: z.enum(['basic', 'token', 'api_key']), secret: z.string().min(16, 'secret: at least 16 characters').max(256) }).strict(),
  })
  .strict();
export type OperatorBody = z.infer<typeof OperatorBody>;

export const FleetBody = z
  .object({
    name: z.string().max(120).default(''),
    username: z.string().regex(/^[A-Za-z0-9._@-]{3,64}$/, 'username: 3-64 letters, digits, . _ @ or -'),
    password: z.string().min(12, 'password: at least 12 characters').max(256),
    currency: Currency,
    rebill_drivers: z.boolean().default(false),
  })
  .strict();
export type FleetBody = z.infer<typeof FleetBody>;
