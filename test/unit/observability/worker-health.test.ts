/** The worker's /healthz over real HTTP on loopback: 200 only while RUNNING, both pollers polling and Temporal answering. */
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { startWorkerHealthServer } from '../../../src/observability/worker-health';

type Status = ReturnType<Worker['getStatus']>;
const running: Status = {
  runState: 'RUNNING',
  workflowPollerState: 'POLLING',
  activityPollerState: 'POLLING',
  hasOutstandingWorkflowPoll: true,
  hasOutstandingActivityPoll: true,
  numInFlightWorkflowActivations: 0,
  numInFlightActivities: 2,
  numInFlightNonLocalActivities: 2,
  numInFlightLocalActivities: 0,
  numCachedWorkflows: 0,
  numHeartbeatingActivities: 0,
};
/** A client whose frontend answers (or not): the health check only calls getSystemInfo. */
const temporal = (answers: boolean) =>
  ({ connection: { workflowService: { getSystemInfo: () => (answers ? Promise.resolve({}) : Promise.reject(new Error('UNAVAILABLE'))) } } }) as unknown as Client;

test.each([
  ['running and connected', running, true, 200, { status: 'ok', worker: 'RUNNING', temporal: 'connected', inFlight: { activities: 2, workflowActivations: 0 } }],
  ['Temporal unreachable', running, false, 503, { status: 'unhealthy', temporal: 'unreachable' }],
  ['draining on SIGTERM', { ...running, runState: 'DRAINING' }, true, 503, { status: 'unhealthy', worker: 'DRAINING' }],
  ['activity poller failed', { ...running, activityPollerState: 'FAILED' }, true, 503, { status: 'unhealthy', pollers: { workflow: 'POLLING', activity: 'FAILED' } }],
] as const)('/healthz when %s', async (_name, status, answers, code, body) => {
  const server = await startWorkerHealthServer({ port: 0, worker: { getStatus: () => status as Status }, temporal: temporal(answers) });
  try {
    const res = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    expect(res.status).toBe(code);
    expect(await res.json()).toMatchObject(body);
    const metrics = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('# TYPE parking_payments_total counter');
  } finally {
    await server.close();
  }
});
