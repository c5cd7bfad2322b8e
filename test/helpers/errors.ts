/** The message a workflow update validator or handler rejected with (the client wraps it in a cause). */
export function rejectionMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  const parts: string[] = [];
  while (e) {
    if (e.message) parts.push(e.message);
    e = e.cause as typeof e;
  }
  return parts.join(' <- ');
}

export async function rejectionOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return rejectionMessage(err);
  }
  throw new Error('expected a rejection');
}
