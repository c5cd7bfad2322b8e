/**
 * Every activity runs inside a log context with its workflow id, run id, activity type and (when it has one) the
 * session id, so any log line it writes, through our logger or the SDK's, says which session it belongs to. It
 * also feeds the business metrics that depend on an activity's input or result.
 */
import type { Context } from '@temporalio/activity';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, ActivityInterceptors, Next } from '@temporalio/worker';
import { beforeProjection, countReconciliation } from './business-events';
import { withLogContext } from './logger';

const SESSION_WORKFLOW = /^(?:parking-session|refund)-(\d{1,15})(?:-|$)/;

function sessionIdOf(workflowId: string | undefined, args: unknown[]): number | undefined {
  const fromArgs = (args[0] as { sessionId?: unknown } | undefined)?.sessionId;
  if (typeof fromArgs === 'number') return fromArgs;
  const m = workflowId ? SESSION_WORKFLOW.exec(workflowId) : null;
  return m ? Number(m[1]) : undefined;
}

/** The session view an activity writes to the read model: the old projection activity, or lean-v3's step (local). */
function projectedView(activityType: string, args: unknown[]): unknown {
  if (activityType === 'projectSession') return args[0];
  if (activityType === 'recordSessionStep') return (args[0] as { view?: unknown } | undefined)?.view ?? null;
  return null;
}

export class ObservabilityActivityInbound implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: Context) {}

  execute(input: ActivityExecuteInput, next: Next<ActivityInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    const info = this.ctx.info;
    const workflowId = info.workflowExecution?.workflowId;
    const sessionId = sessionIdOf(workflowId, input.args);
    const context = {
      workflowId,
      runId: info.workflowExecution?.runId,
      activityType: info.activityType,
      ...(sessionId !== undefined ? { sessionId } : {}),
    };
    return withLogContext(context, async () => {
      const projected = projectedView(info.activityType, input.args);
      const onSuccess = projected ? await beforeProjection(projected).catch(() => null) : null;
      const result = await next(input);
      onSuccess?.();
      if (info.activityType === 'reconcileProvidersAndEscalate') countReconciliation(result);
      return result;
    });
  }
}

export const observabilityActivityInterceptor = (ctx: Context): ActivityInterceptors => ({ inbound: new ObservabilityActivityInbound(ctx) });
