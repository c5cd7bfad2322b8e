import { assertSandbox, type Config } from '../config';
import { putFleet, putGate, putOperator, putParking } from '../reference-data/service';
import { ParkingBody } from '../reference-data/schemas';
import { createOpsUser, issueDriverToken } from './credentials';
import { DEMO_OPS_USER, DEMO_PARKINGS, demoGateKey, type Direction } from './demo-data';
import { DriverModel } from './models';

type DemoParking = (typeof DEMO_PARKINGS)[number];

/** A demo parking in the ops API's shape: the seed makes parkings and gates the way ops do. */
function demoParkingBody(p: DemoParking): ParkingBody {
  const tariff = p.tariff as { graceMinutes: number; intervalMinutes: number; pricePerInterval: string; dailyCap: string | null };
  const anpr = p.anpr as { areaCode: string; operatorId: string } | undefined;
  return ParkingBody.parse({
    name: p.name,
    description: p.description,
    currency: p.currency,
    time_zone: p.timeZone,
    vat_percent: p.vatPercent,
    card_provider: p.cardProvider,
    tariff: { grace_minutes: tariff.graceMinutes, interval_minutes: tariff.intervalMinutes, price_per_interval: tariff.pricePerInterval, daily_cap: tariff.dailyCap },
    anpr: anpr ? { area_code: anpr.areaCode, operator_id: anpr.operatorId } : null,
  });
}

/** Demo reference data and credentials, sandbox only; idempotent: upserts by natural key. */
export async function seedDemoData(config: Config): Promise<void> {
  assertSandbox(config, 'seeding demo data');
  // Camera parkings name their Autopay operator, so it exists first.
  await putOperator('demo-operator', { name: 'Demo operator', callback_auth: { method: config.DEMO_AUTOPAY_CALLBACK_AUTH, secret: config.DEMO_AUTOPAY_CALLBACK_SECRET } });
  for (const p of DEMO_PARKINGS) {
    await putParking(p.id, demoParkingBody(p));
    for (const ap of p.accessPoints) {
      const direction = ap.direction as Direction;
      await putGate(p.id, `demo-${p.id}-${direction}`, { direction, mac_address: ap.macAddress, name: ap.name }, demoGateKey(config, p.id, direction));
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
  await putFleet('demo-fleet', {
    name: 'Demo fleet',
    username: config.DEMO_EASYPARK_USERNAME,
    password: config.DEMO_EASYPARK_PASSWORD,
    currency: 'SEK',
    rebill_drivers: true,
  });
}
