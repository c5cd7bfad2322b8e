import type { Request } from 'express';
import { OpsAuditModel } from '../db/models';

/**
 * Runs one ops action and records who did it, on what, and how it ended (also when it failed), so every
 * cancel, manual stop, refund, bill-now and token revocation is traceable to a person.
 */
export async function audited<T>(req: Request, action: string, target: string, details: Record<string, unknown>, act: () => Promise<T>): Promise<T> {
  const actor = req.opsUser;
  if (!actor) throw new Error(`ops action ${action} without an authenticated ops user`);
  let outcome = 'ok';
  try {
    return await act();
  } catch (err) {
    outcome = `failed: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300);
    throw err;
  } finally {
    await OpsAuditModel.create({ actor, action, target, details: { ...details, outcome }, at: new Date() });
  }
}
