import { recordLedgerEntry } from '../../activities/ledger';
import type { SessionView } from '../../workflows/messages';

/**
 * A zero-amount `ops_action` ledger row: who acted on a session, when and why, beside the money rows it may cause.
 * The daily report skips these rows (src/domain/report.ts); the ops audit trail and the session's history hold the
 * same fact, so the ledger alone still tells a session's whole story.
 */
export async function recordOpsAction(view: SessionView, action: { name: string; by: string; at: Date; note: string }): Promise<void> {
  await recordLedgerEntry({
    idempotencyKey: `ops-${action.name}-${view.sessionId}-${action.at.getTime()}`,
    kind: 'ops_action',
    source: view.kind === 'anpr' ? 'autopay' : 'barrier',
    provider: 'none',
    sessionId: String(view.sessionId),
    gross: '0.00',
    net: '0.00',
    vat: '0.00',
    currency: view.amount?.currency ?? 'XXX',
    occurredAt: action.at.toISOString(),
    note: `${action.name} by ${action.by}${view.attentionCode ? ` (${view.attentionCode})` : ''}: ${action.note}`,
  });
}
