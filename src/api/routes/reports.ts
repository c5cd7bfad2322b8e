import { Router } from 'express';
import { z } from 'zod';
import { reconcileProviderDay } from '../../reconciliation/provider-orders';
import { dailyReconciliation } from '../../../workflows/daily-reconciliation';
import { LedgerModel, ParkingModel, SessionModel, parkingRowId } from '../../db/models';
import { addDays, assertTimeZone, localDay, startOfLocalDay } from '../../domain/calendar';
import { renderReportCsv } from '../../domain/report-csv';
import { buildDailyReport, isCalendarDay, type DailyReport, type ReportLedgerRow, type ReportSessionRow } from '../../domain/report';
import { renderReportHtml } from '../../domain/report-html';
import { requireOps } from '../auth';
import type { ApiDeps } from '../deps';
import { notFound } from '../errors';
import { IdText } from '../schemas/ids';

/** Ops reports: reads of the ledger and session read models only; the arithmetic is src/domain/report.ts. */

const dailyQuery = z.strictObject({
  // Without a date: today, in the time zone of `parking_id` (or of the first parking).
  date: z.string().refine(isCalendarDay, { error: 'must be a calendar day written yyyy-mm-dd' }).optional(),
  parking_id: IdText.optional(),
  /**
   * The zone the date is read in. Without it each ledger row counts on its own parking's local day (the ledger's
   * `day`); with it, the rows whose instant falls in that zone's day.
   */
  time_zone: z
    .string()
    .max(64)
    .refine((tz) => {
      try {
        assertTimeZone(tz);
        return true;
      } catch {
        return false;
      }
    }, 'time_zone: an IANA time zone like Europe/Oslo')
    .optional(),
  format: z.enum(['json', 'csv']).default('json'),
});

/** Today where the parking is: a report asked for in the evening in Bucharest is about Bucharest's day. */
async function defaultDay(parkingId: number | undefined): Promise<string> {
  const parking = parkingId
    ? await ParkingModel.findById(parkingRowId(parkingId), { timeZone: 1 }).lean()
    : await ParkingModel.findOne({}, { timeZone: 1 }).sort({ id: 1 }).lean();
  if (parkingId && !parking) throw notFound(`parking ${parkingId} not found`);
  return localDay(Date.now(), parking?.timeZone ?? 'UTC');
}

const reconciliationRun = z.object({
  date: z.string({ error: 'is required (yyyy-mm-dd)' }).refine(isCalendarDay, { error: 'must be a calendar day written yyyy-mm-dd' }),
});

const LEDGER_FIELDS = { kind: 1, source: 1, provider: 1, sessionId: 1, gross: 1, net: 1, vat: 1, fee: 1, currency: 1, note: 1 } as const;

type LeanLedger = { kind: string; source: string; provider: string; sessionId?: string | null; gross: string; net: string; vat: string; fee?: string | null; currency: string; note?: string | null };
const toLedgerRow = (r: LeanLedger): ReportLedgerRow => ({
  kind: r.kind,
  source: r.source,
  provider: r.provider,
  sessionId: r.sessionId ?? null,
  gross: r.gross,
  net: r.net,
  vat: r.vat,
  fee: r.fee ?? '0.00',
  currency: r.currency,
  note: r.note ?? null,
});

function paidVia(view: unknown): ReportSessionRow['paidVia'] {
  const v = (view as { paidVia?: unknown } | null)?.paidVia;
  return v === 'card' || v === 'vipps' || v === 'free' ? v : null;
}

/** One day's report: reads of the ledger and session read models, the provider's records, then pure arithmetic. */
async function dailyReport(deps: ApiDeps, date: string, timeZone?: string): Promise<DailyReport> {
  const start = new Date(timeZone ? startOfLocalDay(date, timeZone) : Date.parse(`${date}T00:00:00Z`));
  const end = new Date(timeZone ? startOfLocalDay(addDays(date, 1), timeZone) : start.getTime() + 86_400_000);
  const dayFilter = timeZone ? { occurredAt: { $gte: start, $lt: end } } : { day: date };
  const dayLedger = (await LedgerModel.find(dayFilter, LEDGER_FIELDS).lean<LeanLedger[]>()).map(toLedgerRow);
  // Sessions touched today: their read model changed today, or today's ledger mentions them.
  const ledgerSessionIds = [...new Set(dayLedger.map((r) => r.sessionId).filter((id): id is string => id !== null && /^\d+$/.test(id)).map(Number))];
  const sessionDocs = await SessionModel.find(
    { $or: [{ updatedAt: { $gte: start, $lt: end } }, { sessionId: { $in: ledgerSessionIds } }] },
    { sessionId: 1, state: 1, paymentStatus: 1, amountGross: 1, currency: 1, view: 1 },
  ).lean();
  const sessions: ReportSessionRow[] = sessionDocs.map((s) => ({
    sessionId: s.sessionId,
    state: s.state,
    paymentStatus: s.paymentStatus ?? 'none',
    amountGross: s.amountGross ?? null,
    currency: s.currency ?? null,
    paidVia: paidVia(s.view),
  }));
  // Every ledger row of those sessions, whatever its day: a capture just before midnight still counts.
  const sessionLedger = sessions.length
    ? (await LedgerModel.find({ sessionId: { $in: sessions.map((s) => String(s.sessionId)) } }, LEDGER_FIELDS).lean<LeanLedger[]>()).map(toLedgerRow)
    : [];

  const provider = await reconcileProviderDay(date, deps.cardProviders);
  return buildDailyReport(date, dayLedger, sessions, sessionLedger, { ordersChecked: provider.ordersChecked, issues: provider.issues });
}

export function reportRoutes(deps: ApiDeps): Router {
  const router = Router();

  router.get('/api/ops/reports/daily', requireOps, async (req, res) => {
    const q = dailyQuery.parse(req.query); // ZodError → 400 with the field
    const { format } = q;
    const date = q.date ?? (q.time_zone ? localDay(Date.now(), q.time_zone) : await defaultDay(q.parking_id));
    const report = await dailyReport(deps, date, q.time_zone);
    if (format === 'csv') {
      res.type('text/csv; charset=utf-8').set('Content-Disposition', `attachment; filename="report-${date}.csv"`).send(renderReportCsv(report));
      return;
    }
    res.json(report);
  });

  // The same day for a person: a table and a small chart per source and provider (src/domain/report-html.ts).
  router.get('/ops/report', requireOps, async (req, res) => {
    const q = dailyQuery.parse(req.query);
    const date = q.date ?? (q.time_zone ? localDay(Date.now(), q.time_zone) : await defaultDay(q.parking_id));
    res.type('html').send(renderReportHtml(await dailyReport(deps, date, q.time_zone)));
  });

  // On demand: the nightly reconciliation for one day, now, with its escalations (late captures, Attention).
  router.post('/api/ops/reconciliation/runs', requireOps, async (req, res) => {
    const { date } = reconciliationRun.parse(req.body ?? {});
    const result = await deps.temporal.workflow.execute(dailyReconciliation, {
      workflowId: `reconciliation-${date}-${Date.now()}`,
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      args: [{ date }],
    });
    res.status(201).json({ reconciliation: result });
  });

  return router;
}
