import { ScheduleAlreadyRunning, type Client } from '@temporalio/client';
import { dailyReconciliation } from '../../workflows/daily-reconciliation';

export const DAILY_RECONCILIATION_SCHEDULE_ID = 'daily-provider-reconciliation';

/**
 * Every night at 02:15 UTC the day before is reconciled with the providers. Created once; a second worker (or a
 * restart) finds it there. Ops see and trigger it in the Temporal UI under Schedules.
 */
export async function ensureDailyReconciliationSchedule(temporal: Client, taskQueue: string): Promise<void> {
  try {
    await temporal.schedule.create({
      scheduleId: DAILY_RECONCILIATION_SCHEDULE_ID,
      spec: { cronExpressions: ['15 2 * * *'] },
      action: { type: 'startWorkflow', workflowType: dailyReconciliation, taskQueue, args: [{}] },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}
