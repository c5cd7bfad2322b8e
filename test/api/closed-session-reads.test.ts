/**
 * Who answers a driver's read of a session: the workflow while it runs (a query, answered from completed workflow
 * tasks only, so what the app acts on is durable), the read model once it has completed (the server refuses the
 * query instead of having a worker replay the whole history, and the workflow does not complete before its last
 * view has landed in the read model). Told apart by a mark put on the row only.
 */
import { randomUUID } from 'node:crypto';
import { InterceptingCall } from '@grpc/grpc-js';
import { Client, Connection } from '@temporalio/client';
import { loadSession } from '../../src/api/sessions';
import { issueDriverToken } from '../../src/db/credentials';
import { SessionModel, sessionRowId } from '../../src/db/models';
import { sessionWorkflowId } from '../../src/temporal/ids';
import { DRIVER_TOKEN, sessionOf } from '../helpers/card-flow';
import { testDataConverter } from '../helpers/data-converter';
import { eventually, http, startStack, type Stack } from '../helpers/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack('closed_session_reads');
}, 120_000);
afterAll(() => s?.stop());

const start = async () =>
  (await http('POST', `${s.api}/api/car_driver/parking_sessions`, { token: DRIVER_TOKEN, headers: { 'idempotency-key': randomUUID() }, body: { parking_session: { secured_parking_id: 189 } } })).body
    .parking_session.id as number;
const markRow = (id: number) => SessionModel.updateOne({ _id: sessionRowId(id) }, { $set: { 'view.plate': 'ROW-ONLY' } });

test('a running session is answered by its workflow, not by the row', async () => {
  const id = await start();
  await eventually(() => SessionModel.findById(sessionRowId(id)).lean(), (row) => row?.view != null);
  await markRow(id);
  const res = await sessionOf(s, id);
  expect(res.status).toBe(200);
  expect(res.body.parking_session.state).toBe('entering');
  expect(res.body.parking_session.vehicle_reg).not.toBe('ROW-ONLY');
});

test('a completed session is answered by the row its workflow left, with no query', async () => {
  const id = await start();
  const cancelled = await http('POST', `${s.api}/api/car_driver/parking_sessions/${id}/cancel`, { token: DRIVER_TOKEN });
  expect(cancelled.status).toBe(200);
  await eventually(async () => (await s.temporal.workflow.getHandle(sessionWorkflowId(id)).describe()).status.name, (status) => status === 'COMPLETED');
  // The workflow's last view is in the row before it completes.
  const row = await SessionModel.findById(sessionRowId(id)).lean();
  expect(row?.state).toBe('cancelled');
  await markRow(id);
  const res = await sessionOf(s, id);
  expect(res.status).toBe(200);
  expect(res.body.parking_session).toMatchObject({ id, state: 'cancelled', vehicle_reg: 'ROW-ONLY' });
  // One query, refused by the server, and no asking again: a closed workflow will not answer later.
  const queries: string[] = [];
  const connection = await Connection.connect({
    address: s.config.TEMPORAL_ADDRESS,
    interceptors: [
      (options, next) => {
        if (options.method_definition.path.endsWith('/QueryWorkflow')) queries.push(options.method_definition.path);
        return new InterceptingCall(next(options));
      },
    ],
  });
  try {
    const counted = new Client({ connection, namespace: s.config.TEMPORAL_NAMESPACE, dataConverter: testDataConverter });
    expect(await loadSession(counted, id)).toMatchObject({ sessionId: id, state: 'cancelled', plate: 'ROW-ONLY' });
  } finally {
    await connection.close();
  }
  expect(queries).toHaveLength(1);
  // Another driver still learns nothing about it.
  const stranger = (await issueDriverToken('stranger', 'test', 1)).token;
  const other = await http('GET', `${s.api}/api/car_driver/parking_sessions/${id}`, { token: stranger });
  expect(other.status).toBe(404);
});
