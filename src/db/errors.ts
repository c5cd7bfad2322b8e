/** How a mongo error is classified: pure functions of the error, no connection needed. */

/** E11000: the unique index said no. Used for idempotent inserts and id allocation. */
export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: number }).code === 11000;
}

const UNREACHABLE = new Set([
  'MongooseServerSelectionError',
  'MongoServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
  'MongoPoolClearedError',
]);

/** The database could not be reached (as opposed to refusing a query): callers answer 503 and retry later. */
export function isDbUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { name, message } = err as { name?: unknown; message?: unknown };
  if (typeof name === 'string' && UNREACHABLE.has(name)) return true;
  // Mongoose buffers commands while disconnected and gives up with a plain MongooseError.
  return name === 'MongooseError' && typeof message === 'string' && /buffering timed out|client must be connected/i.test(message);
}
