import { assertSandbox, type Config } from '../config';
import { hashPassword } from '../security/password';
import { createGate, createOpsUser, issueDriverToken } from './credentials';
import { DEMO_OPS_USER, DEMO_PARKINGS, demoGateKey, type Direction } from './demo-data';
import { DriverModel, FleetModel, OperatorModel, ParkingModel } from './models';

/** Demo reference data and credentials, sandbox only; idempotent: upserts by natural key. */
export async function seedDemoData(config: Config): Promise<void> {
  assertSandbox(config, 'seeding demo data');
  for (const p of DEMO_PARKINGS) {
    await ParkingModel.updateOne({ id: p.id }, { $set: p }, { upsert: true });
    for (const ap of p.accessPoints) {
      const direction = ap.direction as Direction;
      await createGate({ id: `demo-${p.id}-${direction}`, parkingId: p.id, direction, macAddress: ap.macAddress }, demoGateKey(config, p.id, direction));
    }
  }
  await createOpsUser(DEMO_OPS_USER, config.OPS_API_TOKEN);

  await DriverModel.updateOne(
    { id: 'demo-driver' },
    { $set: { name: 'Demo Driver', phoneNumber: '4791234567', vehicles: [{ plate: '123ABC', plateIssuer: 'NOR' }] } },
    { upsert: true },
  );
  // Each seed (start) renews the demo token's expiry; a revocation by ops stays.
  await issueDriverToken('demo-driver', 'demo', config.DRIVER_TOKEN_TTL_DAYS, config.DEMO_DRIVER_TOKEN);
  await OperatorModel.updateOne(
    { id: 'demo-operator' },
    { $set: { name: 'Demo operator', callbackAuth: { method: config.DEMO_AUTOPAY_CALLBACK_AUTH, secretHash: await hashPassword(config.DEMO_AUTOPAY_CALLBACK_SECRET) } } },
    { upsert: true },
  );
  await FleetModel.updateOne(
    { id: 'demo-fleet' },
    {
      $set: {
        name: 'Demo fleet',
        username: config.DEMO_EASYPARK_USERNAME,
        passwordHash: await hashPassword(config.DEMO_EASYPARK_PASSWORD),
        currency: 'SEK',
        rebillDrivers: true,
      },
    },
    { upsert: true },
  );
}
