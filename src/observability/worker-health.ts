/**
 * The worker's GET /healthz (and its business metrics at GET /metrics) on WORKER_HEALTH_PORT: healthy while the
 * worker is RUNNING with both pollers polling and the Temporal frontend answers. Anything else is 503, so an
 * orchestrator restarts a worker whose pollers died or that lost its server.
 */
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { pingTemporal } from '../temporal/connection';
import { startOpsServer, type HealthReport, type OpsServer } from './ops-server';

export async function workerHealth(worker: Pick<Worker, 'getStatus'>, temporal: Client): Promise<HealthReport> {
  const status = worker.getStatus();
  const connected = await pingTemporal(temporal);
  const polling = status.workflowPollerState === 'POLLING' && status.activityPollerState === 'POLLING';
  return {
    ok: status.runState === 'RUNNING' && polling && connected,
    worker: status.runState,
    pollers: { workflow: status.workflowPollerState, activity: status.activityPollerState },
    temporal: connected ? 'connected' : 'unreachable',
    inFlight: { activities: status.numInFlightActivities, workflowActivations: status.numInFlightWorkflowActivations },
  };
}

export function startWorkerHealthServer(opts: { port: number; worker: Pick<Worker, 'getStatus'>; temporal: Client }): Promise<OpsServer> {
  return startOpsServer({ port: opts.port, health: () => workerHealth(opts.worker, opts.temporal) });
}
