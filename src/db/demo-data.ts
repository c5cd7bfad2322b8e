/** The sandbox's demo reference data and demo credentials' shapes; pure data (the sandbox process imports it). */
import type { Config } from '../config';

/** Demo parkings (DESIGN.md "Demo data"). */
export const DEMO_PARKINGS: Array<Record<string, unknown> & { id: number; accessPoints: Array<{ macAddress: string; direction: string; name: string }> }> = [
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
  {
    // EPX's twin of 189: no grace period and its own gate MACs, so the EPX card page shows at once in a demo.
    id: 191,
    name: 'Fast EPX demo parking',
    description: 'No grace period, 0.25 USD per started minute, paid by card through EPX',
    currency: 'USD',
    accessPoints: [
      { macAddress: '76:86:BB:DE:66:01', direction: 'entrance', name: 'Entrance' },
      { macAddress: '76:86:BB:DE:66:02', direction: 'exit', name: 'Exit' },
    ],
    tariff: { graceMinutes: 0, intervalMinutes: 1, pricePerInterval: '0.25', dailyCap: null },
    timeZone: 'America/New_York',
    vatPercent: '0',
    cardProvider: 'epx',
  },
];

export type Direction = 'entrance' | 'exit';

/** The sandbox's key for the demo gate of one access point: `<DEMO_GATE_API_KEY>-<parking>-<direction>`. */
export const demoGateKey = (config: Pick<Config, 'DEMO_GATE_API_KEY'>, parkingId: number, direction: Direction): string =>
  `${config.DEMO_GATE_API_KEY}-${parkingId}-${direction}`;

/** The demo gate key for a MAC address (the sandbox's simulated gate knows only its MAC), or null. */
export function demoGateKeyForMac(config: Pick<Config, 'DEMO_GATE_API_KEY'>, macAddress: string): string | null {
  for (const p of DEMO_PARKINGS) {
    const ap = p.accessPoints.find((a) => a.macAddress.toUpperCase() === macAddress.toUpperCase());
    if (ap) return demoGateKey(config, p.id, ap.direction as Direction);
  }
  return null;
}

/** The ops user the sandbox's OPS_API_TOKEN belongs to. */
export const DEMO_OPS_USER = 'demo-ops';
