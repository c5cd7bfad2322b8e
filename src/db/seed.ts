import { sha256Hex } from '../security/constant-time';
import type { Config } from '../config';
import { AccessTokenModel, DriverModel, FleetModel, OperatorModel, ParkingModel } from './models';

/** Demo reference data (DESIGN.md "Demo data"); idempotent: upserts by natural key. */
export async function seedDemoData(config: Config): Promise<void> {
  const parkings = [
    {
      id: 187,
      name: 'Secured P 1',
      description: 'Barrier parking in the city centre',
      currency: 'RON',
      accessPoints: [
        { macAddress: '76:86:BB:DE:63:AD', direction: 'entrance', name: 'Entrance' },
        { macAddress: '76:86:BB:DE:63:AE', direction: 'exit', name: 'Exit' },
      ],
      tariff: { graceMinutes: 15, intervalMinutes: 60, pricePerInterval: '5.00', dailyCap: '40.00' },
      timeZone: 'Europe/Bucharest',
      vatPercent: '21',
      cardProvider: 'netopia',
    },
    {
      id: 188,
      name: 'EPX Garage',
      description: 'Garage paid by card through EPX',
      currency: 'USD',
      accessPoints: [
        { macAddress: '76:86:BB:DE:64:01', direction: 'entrance', name: 'Entrance' },
        { macAddress: '76:86:BB:DE:64:02', direction: 'exit', name: 'Exit' },
      ],
      tariff: { graceMinutes: 10, intervalMinutes: 30, pricePerInterval: '2.50', dailyCap: '25.00' },
      timeZone: 'America/New_York',
      vatPercent: '0',
      cardProvider: 'epx',
    },
    {
      id: 189,
      name: 'Fast demo parking',
      description: 'No grace period, 0.10 per started minute: prices show up within a minute',
      currency: 'RON',
      accessPoints: [
        { macAddress: '76:86:BB:DE:65:01', direction: 'entrance', name: 'Entrance' },
        { macAddress: '76:86:BB:DE:65:02', direction: 'exit', name: 'Exit' },
      ],
      tariff: { graceMinutes: 0, intervalMinutes: 1, pricePerInterval: '0.10', dailyCap: null },
      timeZone: 'Europe/Bucharest',
      vatPercent: '21',
      cardProvider: 'netopia',
    },
    {
      id: 190,
      name: 'Autopay area1',
      description: 'Camera (ANPR) parking operated through Autopay',
      currency: 'NOK',
      accessPoints: [],
      tariff: { graceMinutes: 0, intervalMinutes: 60, pricePerInterval: '30.00', dailyCap: null },
      timeZone: 'Europe/Oslo',
      vatPercent: '25',
      cardProvider: 'netopia',
      anpr: { areaCode: 'area1', operatorId: 'demo-operator' },
    },
  ];
  for (const p of parkings) await ParkingModel.updateOne({ id: p.id }, { $set: p }, { upsert: true });

  await DriverModel.updateOne(
    { id: 'demo-driver' },
    { $set: { name: 'Demo Driver', phoneNumber: '4791234567', vehicles: [{ plate: '123ABC', plateIssuer: 'NOR' }] } },
    { upsert: true },
  );
  await AccessTokenModel.updateOne(
    { tokenHash: sha256Hex(config.DEMO_DRIVER_TOKEN) },
    { $set: { driverId: 'demo-driver', label: 'demo' } },
    { upsert: true },
  );
  await OperatorModel.updateOne(
    { id: 'demo-operator' },
    { $set: { name: 'Demo operator', callbackAuth: { method: config.DEMO_AUTOPAY_CALLBACK_AUTH, secretHash: sha256Hex(config.DEMO_AUTOPAY_CALLBACK_SECRET) } } },
    { upsert: true },
  );
  await FleetModel.updateOne(
    { id: 'demo-fleet' },
    {
      $set: {
        name: 'Demo fleet',
        username: config.DEMO_EASYPARK_USERNAME,
        passwordHash: sha256Hex(config.DEMO_EASYPARK_PASSWORD),
        currency: 'SEK',
        rebillDrivers: true,
      },
    },
    { upsert: true },
  );
}
