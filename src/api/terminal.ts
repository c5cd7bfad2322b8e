import { isTerminal } from '../domain/session';
import type { SessionView } from '../../workflows/messages';
import { ApiError } from './errors';

/**
 * A closed, cancelled or expired session still exists: a change to it is refused with its state (422
 * `session_closed`, `session_cancelled`, `session_expired`), never answered as if it were unknown (404).
 */
export function refuseIfTerminal(view: SessionView, action: string): void {
  if (!isTerminal(view.state)) return;
  throw new ApiError(422, `session_${view.state}`, `cannot ${action}: parking session ${view.sessionId} is ${view.state}`, { state: view.state });
}
