import { Client, QueryNotRegisteredError, QueryRejectedError, WorkflowNotFoundError } from '@temporalio/client';
import { SessionModel, sessionRowId } from '../db/models';
import { ReadThroughCache } from '../db/read-through-cache';
import { sessionWorkflowId } from '../temporal/ids';
import { sessionViewQuery, type SessionView } from '../../workflows/messages';
import { badRequest, notFound } from './errors';
import { isIdText } from './schemas/ids';
import { isTemporalUnavailable } from '../temporal/unavailable';

/** State of an allocated session row whose workflow never started: never listed, never answered. */
export const ABANDONED = 'abandoned';

export function parseSessionId(raw: string): number {
  if (!isIdText(raw)) throw badRequest(`parking session id must be a positive integer, got "${raw}"`);
  return Number(raw);
}

export const sessionHandle = (temporal: Client, sessionId: number) => temporal.workflow.getHandle(sessionWorkflowId(sessionId));

/**
 * The session as the workflow sees it while it runs. Once it has completed, the read model answers: the workflow
 * does not complete before its last view has landed there, and a query on a closed workflow would have a worker
 * replay the whole history to answer it (the app's last poll, every later look at a finished session). The read
 * model also answers once the history is gone (retention). Another driver's session is reported as not found,
 * never as forbidden.
 */
export async function loadSession(temporal: Client, sessionId: number, driverId?: string, justStarted = false): Promise<SessionView> {
  let view: SessionView | null = null;
  try {
    view = await queryWithRetry(openWorkflowsOnly(temporal), sessionId, justStarted);
  } catch (err) {
    if (err instanceof QueryRejectedError) {
      // Closed. A row written before rows held views has none: only then is the history replayed.
      view = (await storedView(sessionId)) ?? (await sessionHandle(temporal, sessionId).query(sessionViewQuery));
    } else if (err instanceof WorkflowNotFoundError) {
      view = await storedView(sessionId);
    } else {
      throw err;
    }
  }
  if (!view || (driverId !== undefined && view.driverId !== driverId)) throw notFound(`parking session ${sessionId} not found`);
  return view;
}

/**
 * The driver's own session, or 404, from the row written when its id was allocated (by `_id`, no query): a request
 * that goes on to an update (the first gate try right after the start answer) does not first wait, in a query, for
 * the workflow's first task. A session without a row (allocated elsewhere) is checked through its workflow.
 */
export async function assertDriverSession(temporal: Client, sessionId: number, driverId: string): Promise<void> {
  const owner = await sessionOwners.get(sessionRowId(sessionId), async () => {
    const row = await SessionModel.findById(sessionRowId(sessionId), { driverId: 1 }).lean<{ driverId?: string }>();
    return row ? (row.driverId ?? '') : null;
  });
  if (owner === null) return void (await loadSession(temporal, sessionId, driverId));
  if (owner !== driverId) throw notFound(`parking session ${sessionId} not found`);
}

/** Whose a session is never changes once its row is written, so it is kept for as long as there is room. */
const sessionOwners = new ReadThroughCache<string>({ ttlMs: () => Number.MAX_SAFE_INTEGER, maxEntries: 50_000 });

/**
 * A session for a check that an update or signal follows (pay page, finalize's terminal check, a gate's parking):
 * the read model by `_id` (constant time, no work for the worker), else the workflow. The row may lag the workflow,
 * or briefly lead it after a worker died mid-task, so it never decides: the workflow judges what follows. What a
 * driver acts on is read with loadSession (docs/ARCHITECTURE.md).
 */
export async function readSession(temporal: Client, sessionId: number, driverId?: string): Promise<SessionView> {
  const view = await storedView(sessionId);
  if (!view) return loadSession(temporal, sessionId, driverId);
  if (driverId !== undefined && view.driverId !== driverId) throw notFound(`parking session ${sessionId} not found`);
  return view;
}

/** The view the read model holds, by `_id` (constant time), or null. */
export async function storedView(sessionId: number): Promise<SessionView | null> {
  const row = await SessionModel.findById(sessionRowId(sessionId), { view: 1 }).lean();
  return (row?.view as SessionView | undefined) ?? null;
}

const openOnlyClients = new WeakMap<Client, Client>();

/** The same client, except that the server refuses (QueryRejectedError) a query on a workflow that is not running. */
function openWorkflowsOnly(temporal: Client): Client {
  let client = openOnlyClients.get(temporal);
  if (!client) {
    const { connection, namespace, dataConverter, interceptors } = temporal.options;
    client = new Client({ connection, namespace, dataConverter, interceptors, workflow: { queryRejectCondition: 'NOT_OPEN' } });
    openOnlyClients.set(temporal, client);
  }
  return client;
}

/**
 * A just-started workflow answers queries only after its first task: retry briefly. `justStarted`: the server
 * has just accepted the start, so a query that timed out waited for a busy worker (a burst of starts), not for
 * an outage: ask again a few times.
 */
async function queryWithRetry(temporal: Client, sessionId: number, justStarted: boolean): Promise<SessionView> {
  const handle = sessionHandle(temporal, sessionId);
  for (let attempt = 0; ; attempt++) {
    try {
      return await handle.query(sessionViewQuery);
    } catch (err) {
      // Only a workflow that has not run its first task yet is worth asking again; an outage is answered at once.
      const busyWorker = justStarted && attempt < 5 && isTemporalUnavailable(err) && /query/i.test((err as Error).message);
      // A query the worker failed (its workflow task fails) is not worth 2 s of asking: the API answers 503.
      const failing = err instanceof QueryNotRegisteredError && attempt >= 2;
      // Refused because the workflow is closed: final, the caller reads the row.
      const final = err instanceof WorkflowNotFoundError || err instanceof QueryRejectedError;
      if (!busyWorker && (final || isTemporalUnavailable(err) || failing || attempt >= 20)) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
