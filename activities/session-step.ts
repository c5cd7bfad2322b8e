import { log } from '@temporalio/activity';
import { recordLedgerEntry } from './ledger';
import { createProjectionActivities } from './projection';
import type { SessionActivities } from './contracts';

/** A read-model write that has not answered by then is reported as not done; the workflow tries again later. */
const PROJECTION_BOUND_MS = 5_000;

/**
 * The writes of one handled session message in one local activity. Money first and for sure (a failed ledger
 * write throws, so the step is retried; unique keys make the re-run book nothing twice), then the read model,
 * which is eventually consistent: its failure is an answer, never a failed step that would hold the session.
 */
export function createSessionStepActivities(accessCommandKey: string): Pick<SessionActivities, 'recordSessionStep'> {
  const { projectSession } = createProjectionActivities(accessCommandKey);
  return {
    async recordSessionStep({ ledger, view }) {
      for (const entry of ledger) await recordLedgerEntry(entry);
      if (!view) return { projected: true };
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          projectSession(view),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${PROJECTION_BOUND_MS} ms`)), PROJECTION_BOUND_MS);
          }),
        ]);
        return { projected: true };
      } catch (err) {
        log.warn('session projection failed; the workflow writes it again later', { sessionId: view.sessionId, version: view.version, error: String(err) });
        return { projected: false };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
