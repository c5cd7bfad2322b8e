/**
 * The driver's receipt for a settled parking session: one shape for the JSON endpoint
 * (GET /api/car_driver/parking_sessions/:id/receipt) and the result page's table, so they never disagree.
 * Amounts are the workflow's decimal strings, untouched; times are ISO 8601 as the rest of the driver API writes them.
 */
import type { SessionView } from '../../workflows/messages';
import { findParking } from '../db/parking-snapshot';
import { escapeHtml, formatMoney } from './pages-layout';
import { publicPaymentStatus, seedTime } from './presenters';

export interface ReceiptParking {
  id: number;
  name: string;
  timeZone: string;
}

export interface Receipt {
  parking_session_id: number;
  state: SessionView['state'];
  payment_status: ReturnType<typeof publicPaymentStatus>;
  paid_via: SessionView['paidVia'];
  parking: { id: number; name: string; time_zone: string };
  vehicle_reg: string | null;
  entry_time: string | null;
  exit_time: string | null;
  duration_minutes: number | null;
  net: string;
  vat_percent: string;
  vat: string;
  gross: string;
  currency: string;
  /** The card provider that captured the payment, its own reference and our order id; null when not paid by card. */
  provider: string | null;
  provider_reference: string | null;
  order_id: string | null;
  /** Opens the session in the driver's app (APP_DEEP_LINK_BASE + id). */
  app_url: string;
}

/** Why there is no receipt (yet), or null when the session's money is settled. */
export function receiptRefusal(view: SessionView): string | null {
  if (!view.amount) return `parking session ${view.sessionId} has no price yet (state: ${view.state})`;
  if (view.paymentStatus === 'paid' || view.paymentStatus === 'billed') return null;
  return `parking session ${view.sessionId} is not paid (state: ${view.state}, payment_status: ${publicPaymentStatus(view)})`;
}

export const appUrl = (deepLinkBase: string, sessionId: number): string => `${deepLinkBase}${sessionId}`;

/** Whole minutes between entry and exit (the stay that was priced). */
function durationMinutes(from: string | null, to: string | null): number | null {
  if (!from || !to) return null;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? Math.floor(ms / 60_000) : null;
}

/** The receipt of a settled session; call receiptRefusal first. */
export function buildReceipt(view: SessionView, parking: ReceiptParking, deepLinkBase: string): Receipt {
  const amount = view.amount;
  if (!amount) throw new Error(`parking session ${view.sessionId} has no amount`);
  const captured = [...view.attempts].reverse().find((a) => a.status === 'captured' || a.status === 'paid');
  const entry = view.startTime ?? view.createdAt;
  return {
    parking_session_id: view.sessionId,
    state: view.state,
    payment_status: publicPaymentStatus(view),
    paid_via: view.paidVia,
    parking: { id: parking.id, name: parking.name, time_zone: parking.timeZone },
    vehicle_reg: view.plate,
    entry_time: seedTime(entry),
    exit_time: seedTime(view.endTime),
    duration_minutes: durationMinutes(entry, view.endTime),
    net: amount.net,
    vat_percent: amount.vatPercent,
    vat: amount.vat,
    gross: amount.gross,
    currency: amount.currency,
    provider: captured?.provider ?? (view.paidVia === 'vipps' ? 'vipps' : null),
    provider_reference: captured?.providerRef ?? null,
    order_id: captured?.orderId ?? null,
    app_url: appUrl(deepLinkBase, view.sessionId),
  };
}

/** "2 h 05 min", "45 min", "under 1 min" (a stay priced by the started minute can be seconds long). */
export function formatDuration(minutes: number): string {
  if (minutes < 1) return 'under 1 min';
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min`;
}

/** "4 Dec 2025, 14:05" in the parking's time zone (what the driver saw on the parking's clock). */
function localTime(iso: string | null, timeZone: string): string {
  if (!iso) return '–';
  const options: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short', timeZone };
  try {
    return new Intl.DateTimeFormat('en-GB', options).format(new Date(iso));
  } catch {
    return new Intl.DateTimeFormat('en-GB', { ...options, timeZone: 'UTC' }).format(new Date(iso)) + ' UTC';
  }
}

const PAID_VIA: Record<string, string> = { card: 'Card', vipps: 'Vipps MobilePay (daily charge)', free: 'Free (grace period)' };

/** The receipt as a table for the result page. Every value is escaped here. */
export function receiptTableHtml(r: Receipt): string {
  // data-field names the JSON field a row shows, for tests and for anyone scraping the page.
  const row = (field: string, label: string, value: string, cls = '') =>
    `<tr${cls ? ` class="${cls}"` : ''}><th scope="row">${escapeHtml(label)}</th><td data-field="${field}">${escapeHtml(value)}</td></tr>`;
  const rows = [
    row('parking', 'Parking', r.parking.name),
    ...(r.vehicle_reg ? [row('vehicle_reg', 'Vehicle', r.vehicle_reg)] : []),
    row('entry_time', 'Entry', localTime(r.entry_time, r.parking.time_zone)),
    row('exit_time', 'Exit', localTime(r.exit_time, r.parking.time_zone)),
    row('duration', 'Duration', r.duration_minutes === null ? '–' : formatDuration(r.duration_minutes)),
    row('net', 'Net', formatMoney(r.net, r.currency)),
    row('vat', `VAT ${r.vat_percent} %`, formatMoney(r.vat, r.currency)),
    row('gross', 'Total', formatMoney(r.gross, r.currency), 'total'),
    row('paid_via', 'Paid with', r.paid_via ? (PAID_VIA[r.paid_via] ?? r.paid_via) : '–'),
    ...(r.provider_reference ? [row('provider_reference', 'Reference', `${r.provider ? `${r.provider.toUpperCase()} ` : ''}${r.provider_reference}`)] : []),
    row('parking_session_id', 'Session', `#${r.parking_session_id}`),
  ];
  return `<table class="receipt" aria-label="Receipt">${rows.join('')}</table>`;
}

/** The parking as a receipt names it; a parking removed from reference data still gets a readable receipt. */
export async function receiptParking(parkingId: number): Promise<ReceiptParking> {
  const parking = await findParking(parkingId);
  return parking ? { id: parking.id, name: parking.name, timeZone: parking.timeZone } : { id: parkingId, name: `Parking ${parkingId}`, timeZone: 'UTC' };
}
