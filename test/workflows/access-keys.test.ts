/**
 * Smart keys hold ids, not access commands: the command a gate accepts is derived outside the workflow
 * (src/security/access-command.ts), and the projection writes it only as the gate's lookup row. Sessions started
 * before key ids (an input with the entrance command itself) keep their stored commands: their drivers hold them.
 */
import { sessionByAccessCommand } from '../../src/api/routes/gates';
import { SANDBOX_DEFAULTS } from '../../src/config';
import { SessionModel, sessionRowId } from '../../src/db/models';
import { deriveAccessCommand } from '../../src/security/access-command';
import { sessionWorkflowId } from '../../src/temporal/ids';
import { accessAttemptUpdate, finalizeUpdate, gateEventSignal, sessionViewQuery, type ParkingSessionInput } from '../../workflows/messages';
import { parkingSession } from '../../workflows/parking-session';
import { barrierInput } from '../helpers/session-input';
import { startWorkflowWorld, type WorkflowWorld } from '../helpers/workflow-world';

let w: WorkflowWorld;
beforeAll(async () => {
  w = await startWorkflowWorld('wf_access_keys');
});
afterAll(() => w?.stop());

const KEY = SANDBOX_DEFAULTS.ACCESS_COMMAND_KEY;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function enterAndFinalize(input: ParkingSessionInput) {
  const handle = await w.env.client.workflow.start(parkingSession, { workflowId: sessionWorkflowId(input.sessionId), taskQueue: w.taskQueue, args: [input] });
  const tried = await handle.executeUpdate(accessAttemptUpdate, { args: [{ direction: 'entrance', macAddress: '76:86:BB:DE:63:AD' }] });
  await handle.signal(gateEventSignal, { direction: 'entrance' });
  await w.env.sleep('1 hour');
  const view = await handle.executeUpdate(finalizeUpdate, { args: [{ securedParkingId: 187 }] });
  return { handle, tried, view };
}

test('a session started with an entrance key id holds ids only; the projection writes the derived commands for the gates', async () => {
  const input = barrierInput(9601);
  const { handle, tried, view } = await enterAndFinalize(input);
  expect(tried.key).toMatchObject({ direction: 'entrance', keyId: input.entranceKeyId });
  expect(view.exitKey).toMatchObject({ direction: 'exit', keyId: expect.stringMatching(UUID) });
  const queried = await handle.query(sessionViewQuery);
  expect(JSON.stringify([tried, view, queried])).not.toContain('accessCommand');

  const entrance = deriveAccessCommand(KEY, 9601, 'entrance', input.entranceKeyId!);
  const exit = deriveAccessCommand(KEY, 9601, 'exit', view.exitKey!.keyId!);
  // The read model catches up with the local activity of the finalize.
  for (let i = 0; i < 100 && (await sessionByAccessCommand(exit)) === null; i++) await new Promise((r) => setTimeout(r, 100));
  expect([await sessionByAccessCommand(entrance), await sessionByAccessCommand(exit)]).toEqual([9601, 9601]);
  const row = await SessionModel.findById(sessionRowId(9601)).lean();
  expect(JSON.stringify(row)).not.toMatch(new RegExp(`${entrance}|${exit}`));
  // The same key id under another key is another command: without ACCESS_COMMAND_KEY the id opens nothing.
  expect(await sessionByAccessCommand(deriveAccessCommand(`${KEY}-other`, 9601, 'exit', view.exitKey!.keyId!))).toBeNull();
});

test('a session started with the entrance command itself (before key ids) keeps stored commands, exit key included', async () => {
  const { entranceKeyId: _ignored, revision: _before, ...older } = barrierInput(9602);
  const entrance = 'c0ffee'.padEnd(32, '0');
  const { tried, view } = await enterAndFinalize({ ...older, entranceAccessCommand: entrance });
  expect(tried.key.accessCommand).toBe(entrance);
  expect(tried.key.keyId).toBeUndefined();
  expect(view.exitKey?.accessCommand).toMatch(/^[0-9a-f]{32}$/);
  expect(view.exitKey?.keyId).toBeUndefined();
  for (let i = 0; i < 100 && (await sessionByAccessCommand(view.exitKey!.accessCommand!)) === null; i++) await new Promise((r) => setTimeout(r, 100));
  expect([await sessionByAccessCommand(entrance), await sessionByAccessCommand(view.exitKey!.accessCommand!)]).toEqual([9602, 9602]);
});
