import { randomBytes, randomInt } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { money, type MoneyInput } from '../../src/domain/money';
import { splitGross } from '../../src/domain/vat';
import { safeEqual } from '../../src/security/constant-time';
import type { SandboxContext } from '../context';
import type { SandboxPersistence } from '../persistence';
import { SandboxFaults } from '../faults';
import { deliverWithRetries } from '../delivery';
import { AUTOPAY_ERROR_STATUS, autopayErrorBody, errorIdForStatus, isAutopayErrorId, type AutopayErrorId } from '../../src/providers/autopay/errors';
import { callbackAuthHeaders, type CallbackAuth } from '../../src/providers/autopay/inbound';
import {
  AUTOPAY_DEFAULT_AUDIENCE,
  autopayTokenRequestSchema,
  connectParkingRequestSchema,
  formatAutopayDateTime,
  manualStopRequestSchema,
  parseAutopayDateTime,
  type AutopayCancelCallback,
  type AutopaySuccessCallbackWire,
} from '../../src/providers/autopay/wire';

/**
 * Offline Autopay: the OAuth token endpoint, the Payment API (connect_parking, manual_stop) with the real
 * API's validation and error bodies, a simulated ANPR camera, and callback delivery with Autopay's retry rule
 * (non-2xx retried with exponential backoff; 2xx or 404 stops). Mount the router at /autopay, before any
 * global body parser: the Payment API must see the raw body to answer non-JSON with message_not_readable.
 */

export interface AutopaySandboxOperator {
  clientId: string;
  clientSecret: string;
  /** Autopay zones whose provider code this operator's credentials may connect. */
  areaCodes: string[];
  callback: { successUrl: string; cancelUrl: string; auth: CallbackAuth };
  currency: string;
  vatPercent: MoneyInput;
  /** Gross (VAT-inclusive) price per started hour. */
  pricePerHour: MoneyInput;
}

export interface AutopaySandboxOptions {
  operators: Record<string, AutopaySandboxOperator>;
  /** Callback delivery: `attempts` in total, waiting baseMs, 2·baseMs, … (capped at maxDelayMs) between them. */
  retry?: { attempts: number; baseMs: number; maxDelayMs?: number };
  /** Audience the token endpoint requires (Autopay's API). */
  audience?: string;
  tokenTtlSeconds?: number;
  /** Keeps parkings, deliveries and issued tokens across restarts (sandbox/persistence.ts). */
  persistence?: SandboxPersistence;
}

/** What the Autopay sandbox saves: written by this file only, read back with a shape check. */
const AutopaySaved = z.object({
  tokens: z.array(z.tuple([z.string(), z.object({ operatorId: z.string(), expiresAt: z.number() })])),
  parkings: z.array(z.looseObject({ parking_id: z.string(), status: z.string() })),
  deliveries: z.array(z.looseObject({ id: z.string(), outcome: z.string() })),
  tokenRequests: z.object({ total: z.number(), issued: z.number(), by_operator: z.record(z.string(), z.number()) }),
});

export type SandboxParkingStatus = 'ongoing' | 'ended' | 'cancelled';

export interface SandboxCost {
  currency: string;
  vat_percent: string;
  net_amount: string;
  vat_amount: string;
  gross_amount: string;
  started_hours: number;
}

export interface SandboxParking {
  parking_id: string;
  operator_id: string;
  area_code: string;
  vehicle_reg: string;
  /** null while only the camera has seen the car and it could not read the issuer. */
  plate_issuer: string | null;
  plate_subdivision: string | null;
  status: SandboxParkingStatus;
  /** `follow_up`: opened by manual_stop; if never connected, its exit is charged by Autopay itself. */
  kind: 'regular' | 'follow_up';
  start_time: string;
  /** When the camera saw the car enter; absent if connect_parking came first. */
  entered_at?: string;
  end_time?: string;
  /** Payment provider's reference once connect_parking claimed the parking. */
  reference?: string;
  connected_at?: string;
  ended_by?: 'camera' | 'manual_stop';
  /** Who charges the driver: us (callback sent) or Autopay's own means (no callback). */
  charged_by?: 'payment_provider' | 'autopay';
  cost?: SandboxCost;
  follow_up_of?: string;
  follow_up_id?: string;
  cancelled_at?: string;
}

export interface DeliveryAttempt {
  at: string;
  /** HTTP status, or 0 when the request failed without an answer. */
  status: number;
  error?: string;
}

export interface CallbackDelivery {
  id: string;
  kind: 'success' | 'cancel';
  parking_id: string;
  url: string;
  body: AutopaySuccessCallbackWire | AutopayCancelCallback;
  attempts: DeliveryAttempt[];
  /** dropped: by the dropCallbacks test control, never sent and never retried. */
  outcome: 'pending' | 'delivered' | 'not_found' | 'gave_up' | 'dropped';
}

export interface AutopaySandboxRecords {
  parkings: SandboxParking[];
  deliveries: CallbackDelivery[];
  token_requests: { total: number; issued: number; by_operator: Record<string, number> };
}

export interface AutopaySandbox {
  router: Router;
  parkings(): SandboxParking[];
  records(): AutopaySandboxRecords;
  /** Resolves when no callback delivery is in progress. */
  idle(): Promise<void>;
  faults: SandboxFaults;
  /** Stops pending retries (test teardown). */
  close(): void;
}

type FaultEndpoint = 'token' | 'connect_parking' | 'manual_stop';

interface Fault {
  endpoint: FaultEndpoint;
  status?: number;
  errorId?: AutopayErrorId;
  message?: string;
  delayMs?: number;
  remaining: number;
}

const HOUR_MS = 3_600_000;

export function createAutopaySandbox(ctx: SandboxContext, opts: AutopaySandboxOptions): AutopaySandbox {
  const retry = { attempts: opts.retry?.attempts ?? 8, baseMs: opts.retry?.baseMs ?? 1000, maxDelayMs: opts.retry?.maxDelayMs ?? HOUR_MS };
  const audience = opts.audience ?? AUTOPAY_DEFAULT_AUDIENCE;
  const tokenTtlSeconds = opts.tokenTtlSeconds ?? 86_400;

  const tokens = new Map<string, { operatorId: string; expiresAt: number }>();
  const parkings = new Map<string, SandboxParking>();
  const deliveries: CallbackDelivery[] = [];
  const tokenRequests = { total: 0, issued: 0, by_operator: {} as Record<string, number> };
  const saved = opts.persistence?.restore('autopay', AutopaySaved);
  if (saved) {
    for (const [token, entry] of saved.tokens) tokens.set(token, entry);
    for (const p of saved.parkings as unknown as SandboxParking[]) parkings.set(p.parking_id, p);
    // A delivery cut off by the restart is not resumed: it shows as given up.
    deliveries.push(...(saved.deliveries as unknown as CallbackDelivery[]).map((d) => (d.outcome === 'pending' ? { ...d, outcome: 'gave_up' as const } : d)));
    Object.assign(tokenRequests, saved.tokenRequests);
  }
  opts.persistence?.track('autopay', () => ({ tokens: [...tokens.entries()], parkings: [...parkings.values()], deliveries, tokenRequests }));
  const faults: Fault[] = [];
  const inFlight = new Set<Promise<void>>();
  const timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  let closed = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const entry = { timer: setTimeout(() => (timers.delete(entry), resolve()), ms), resolve };
      timers.add(entry);
    });

  // ------------------------------------------------------------ helpers

  const normalisePlate = (raw: string) => raw.toUpperCase().replace(/[\s\-.]/g, '');
  const operatorForArea = (area: string) => Object.keys(opts.operators).find((id) => opts.operators[id].areaCodes.includes(area));
  const ongoingFor = (plate: string, area?: string) =>
    [...parkings.values()].filter((p) => p.status === 'ongoing' && p.vehicle_reg === plate && (area === undefined || p.area_code === area));
  const newParkingId = () => {
    let id: string;
    do id = String(randomInt(1_000_000_000, 9_999_999_999));
    while (parkings.has(id));
    return id;
  };

  /** Autopay's price: every started hour at the operator's gross hourly price, VAT split so net + vat = gross. */
  function costOf(p: SandboxParking, endMs: number): SandboxCost {
    const op = opts.operators[p.operator_id];
    const startedHours = Math.max(1, Math.ceil((endMs - Date.parse(p.start_time)) / HOUR_MS));
    const split = splitGross(money(op.pricePerHour).times(startedHours), op.vatPercent);
    return {
      currency: op.currency,
      vat_percent: split.vatPercent,
      net_amount: split.net,
      vat_amount: split.vat,
      gross_amount: split.gross,
      started_hours: startedHours,
    };
  }

  /** An instant from an ops body: an explicit ISO time, else now shifted by offset_minutes (simulated stays). */
  function instantFrom(body: Record<string, unknown>, explicitKey: string): number | string {
    const explicit = body[explicitKey];
    if (explicit !== undefined) {
      const d = typeof explicit === 'string' ? parseAutopayDateTime(explicit) : undefined;
      return d ? d.getTime() : `${explicitKey} must be an ISO 8601 date-time`;
    }
    const offset = body.offset_minutes;
    if (offset === undefined) return Date.now();
    if (typeof offset !== 'number' || !Number.isFinite(offset)) return 'offset_minutes must be a number';
    return Date.now() + offset * 60_000;
  }

  // ------------------------------------------------------------ callbacks

  const controls = new SandboxFaults('autopay', { log: ctx.log });

  function startDelivery(kind: CallbackDelivery['kind'], p: SandboxParking, body: CallbackDelivery['body']): Promise<void> {
    const op = opts.operators[p.operator_id];
    const delivery: CallbackDelivery = {
      id: `${kind}-${p.parking_id}-${deliveries.length + 1}`,
      kind,
      parking_id: p.parking_id,
      url: kind === 'success' ? op.callback.successUrl : op.callback.cancelUrl,
      body,
      attempts: [],
      outcome: 'pending',
    };
    deliveries.push(delivery);
    if (controls.takeDropCallback()) {
      delivery.outcome = 'dropped';
      ctx.log(`autopay sandbox: ${kind} callback for ${p.parking_id} dropped (test control)`);
      return Promise.resolve();
    }
    const run = deliver(delivery, op.callback.auth).finally(() => inFlight.delete(run));
    inFlight.add(run);
    return run;
  }

  async function deliver(d: CallbackDelivery, auth: CallbackAuth): Promise<void> {
    // One attempt per call: the shared loop owns Autopay's retry rule (httpRequest would not retry 4xx).
    const { outcome } = await deliverWithRetries({
      url: d.url,
      body: d.body,
      headers: callbackAuthHeaders(auth),
      attempts: retry.attempts,
      delayMs: (attempt) => Math.min(retry.baseMs * 2 ** (attempt - 1), retry.maxDelayMs),
      sleep,
      isClosed: () => closed,
      terminal: { 404: 'not_found' },
      record: d.attempts,
      onAttemptFailed: (attempt) => ctx.log(`autopay sandbox: ${d.kind} callback for ${d.parking_id} attempt ${attempt + 1} failed`),
    });
    d.outcome = outcome;
  }

  function successBody(p: SandboxParking): AutopaySuccessCallbackWire {
    const cost = p.cost!;
    // Autopay sends JSON numbers (20.0); Number() of a 2-decimal string prints back exactly.
    return {
      parking_id: p.parking_id,
      reference: p.reference!,
      end_time: formatAutopayDateTime(new Date(p.end_time!)),
      cost: {
        currency: cost.currency,
        vat_percent: Number(cost.vat_percent),
        net_amount: Number(cost.net_amount),
        vat_amount: Number(cost.vat_amount),
        gross_amount: Number(cost.gross_amount),
      },
    };
  }

  /** Ends a parking at endMs; returns the success delivery when a payment provider is responsible. */
  function endParking(p: SandboxParking, endMs: number, by: 'camera' | 'manual_stop'): Promise<void> | undefined {
    p.status = 'ended';
    p.end_time = new Date(endMs).toISOString();
    p.ended_by = by;
    p.cost = costOf(p, endMs);
    if (p.reference === undefined) {
      p.charged_by = 'autopay';
      return undefined;
    }
    p.charged_by = 'payment_provider';
    return startDelivery('success', p, successBody(p));
  }

  // ------------------------------------------------------------ HTTP plumbing

  const router = express.Router();
  // Test controls first, before the text parser and the API's auth; API calls are the token and Payment API routes.
  router.use(controls.routes());
  router.use(controls.apiCalls((req) => req.path === '/oauth/token' || req.path.startsWith('/payment/v1/')));
  // Raw text for every route: the Payment API must tell "not JSON" (message_not_readable) from "wrong JSON".
  router.use(express.text({ type: () => true, limit: '100kb' }));

  type Body = { ok: true; value: unknown } | { ok: false; reason: string };
  function readBody(req: Request): Body {
    const raw: unknown = req.body;
    if (raw !== undefined && typeof raw !== 'string') return { ok: true, value: raw }; // parsed by a parent app
    if (raw === undefined || raw.trim() === '') return { ok: false, reason: 'Required request body is missing' };
    try {
      return { ok: true, value: JSON.parse(raw) as unknown };
    } catch (err) {
      return { ok: false, reason: `JSON parse error: ${(err as Error).message}` };
    }
  }
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

  function apiError(res: Response, errorId: AutopayErrorId, message: string, description?: string, status?: number) {
    res.status(status ?? AUTOPAY_ERROR_STATUS[errorId]).json(autopayErrorBody(errorId, message, description));
  }

  /** Applies a queued fault; returns true when it answered the request itself. */
  async function applyFault(endpoint: FaultEndpoint, res: Response): Promise<boolean> {
    const i = faults.findIndex((f) => f.endpoint === endpoint);
    if (i < 0) return false;
    const f = faults[i];
    if (--f.remaining <= 0) faults.splice(i, 1);
    if (f.delayMs) await sleep(f.delayMs);
    if (f.status === undefined) return false;
    if (endpoint === 'token') res.status(f.status).json({ error: 'server_error', error_description: f.message ?? 'Injected fault' });
    else {
      const errorId = f.errorId ?? errorIdForStatus(f.status);
      apiError(res, errorId, f.message ?? 'Injected fault', undefined, f.status);
    }
    return true;
  }

  /** Bearer token → operator, answering 401 the way Autopay does when it cannot. */
  function authenticate(req: Request, res: Response): string | undefined {
    const header = req.get('authorization');
    if (!header) {
      apiError(res, 'authentication_error', 'No access token present in header!');
      return undefined;
    }
    const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
    const entry = m ? tokens.get(m[1]) : undefined;
    if (!entry) {
      apiError(res, 'authentication_error', 'Invalid access token');
      return undefined;
    }
    if (Date.now() >= entry.expiresAt) {
      apiError(res, 'authentication_error', 'Access token expired');
      return undefined;
    }
    if (!opts.operators[entry.operatorId]) {
      apiError(res, 'missing_operator_token_error', 'Missing operator in access token');
      return undefined;
    }
    return entry.operatorId;
  }

  /**
   * Autopay-style request validation: not JSON → message_not_readable, absent/null required field →
   * missing_property, present with the wrong type or form → argument_type_mismatch.
   */
  function validate<S extends z.ZodType>(req: Request, res: Response, schema: S, required: string[]): z.output<S> | undefined {
    if (!(req.get('content-type') ?? '').toLowerCase().includes('application/json')) {
      apiError(res, 'message_not_readable', 'Content-Type must be application/json');
      return undefined;
    }
    const body = readBody(req);
    if (!body.ok || !isObject(body.value)) {
      apiError(res, 'message_not_readable', 'Request body is not readable', body.ok ? 'Expected a JSON object' : body.reason);
      return undefined;
    }
    const value = body.value;
    const missing = required.find((k) => value[k] === undefined || value[k] === null);
    if (missing) {
      apiError(res, 'missing_property', `Required property '${missing}' is missing`);
      return undefined;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      apiError(res, 'argument_type_mismatch', `Property '${issue.path.map(String).join('.')}' has an invalid value`, issue.message);
      return undefined;
    }
    return parsed.data;
  }

  const methodNotSupported = (req: Request, res: Response) =>
    apiError(res, 'method_not_supported', `Request method '${req.method}' not supported`);

  // ------------------------------------------------------------ OAuth2 token endpoint

  router.post('/oauth/token', async (req, res) => {
    tokenRequests.total++;
    if (await applyFault('token', res)) return;
    const body = readBody(req);
    const parsed = autopayTokenRequestSchema.safeParse(body.ok ? body.value : undefined);
    if (!parsed.success) {
      const grant = body.ok && isObject(body.value) ? body.value.grant_type : undefined;
      if (grant !== undefined && grant !== 'client_credentials') {
        res.status(400).json({ error: 'unsupported_grant_type', error_description: 'Unsupported grant type' });
      } else {
        res.status(400).json({ error: 'invalid_request', error_description: 'client_id, client_secret and grant_type are required' });
      }
      return;
    }
    const { client_id, client_secret } = parsed.data;
    const operatorId = Object.keys(opts.operators).find((id) => opts.operators[id].clientId === client_id);
    if (!operatorId || !safeEqual(client_secret, opts.operators[operatorId].clientSecret)) {
      res.status(401).json({ error: 'access_denied', error_description: 'Unauthorized' });
      return;
    }
    if (parsed.data.audience !== undefined && parsed.data.audience !== audience) {
      res.status(403).json({ error: 'access_denied', error_description: `Service not enabled within domain: ${parsed.data.audience}` });
      return;
    }
    const token = randomBytes(32).toString('base64url');
    tokens.set(token, { operatorId, expiresAt: Date.now() + tokenTtlSeconds * 1000 });
    tokenRequests.issued++;
    tokenRequests.by_operator[operatorId] = (tokenRequests.by_operator[operatorId] ?? 0) + 1;
    res.json({ access_token: token, scope: 'payment', expires_in: tokenTtlSeconds, token_type: 'Bearer' });
  });

  // ------------------------------------------------------------ Payment API

  router.post('/payment/v1/connect_parking', async (req, res) => {
    if (await applyFault('connect_parking', res)) return;
    const operatorId = authenticate(req, res);
    if (!operatorId) return;
    const input = validate(req, res, connectParkingRequestSchema, ['parking_area_code', 'reference', 'vehicle_reg', 'plate_issuer']);
    if (!input) return;
    if (!opts.operators[operatorId].areaCodes.includes(input.parking_area_code)) {
      apiError(res, 'operator_not_found_error', 'Operator not found', `No operator for parking area code '${input.parking_area_code}'`);
      return;
    }
    const plate = normalisePlate(input.vehicle_reg);
    const answer = (p: SandboxParking) =>
      res.json({ parking_id: p.parking_id, reference: p.reference, start_time: formatAutopayDateTime(new Date(p.start_time)) });

    // Same reference again (a retried request) → the same parking.
    const previous = [...parkings.values()].find((p) => p.operator_id === operatorId && p.reference === input.reference);
    if (previous) {
      if (previous.vehicle_reg === plate && previous.area_code === input.parking_area_code) return answer(previous);
      apiError(res, 'server_communication_error', 'Reference already used', `Reference '${input.reference}' belongs to another parking`);
      return;
    }
    const ongoing = ongoingFor(plate, input.parking_area_code).find(
      (p) => p.plate_issuer === null || p.plate_issuer === input.plate_issuer,
    );
    if (ongoing?.reference !== undefined) {
      apiError(res, 'server_communication_error', 'Payment provider already registered');
      return;
    }
    const now = new Date().toISOString();
    const p: SandboxParking = ongoing ?? {
      parking_id: newParkingId(),
      operator_id: operatorId,
      area_code: input.parking_area_code,
      vehicle_reg: plate,
      plate_issuer: input.plate_issuer,
      plate_subdivision: input.plate_subdivision ?? null,
      status: 'ongoing',
      kind: 'regular',
      start_time: now,
    };
    p.plate_issuer = input.plate_issuer;
    p.plate_subdivision = input.plate_subdivision ?? p.plate_subdivision;
    p.reference = input.reference;
    p.connected_at = now;
    parkings.set(p.parking_id, p);
    answer(p);
  });

  router.post('/payment/v1/manual_stop', async (req, res) => {
    if (await applyFault('manual_stop', res)) return;
    const operatorId = authenticate(req, res);
    if (!operatorId) return;
    const input = validate(req, res, manualStopRequestSchema, ['parking_id', 'reference', 'end_time']);
    if (!input) return;
    const p = parkings.get(input.parking_id);
    if (!p) return apiError(res, 'server_communication_error', 'Parking not found', `No parking '${input.parking_id}'`);
    if (p.operator_id !== operatorId) return apiError(res, 'forbidden', 'Unauthorized', 'Parking belongs to another operator');
    if (p.reference !== input.reference) return apiError(res, 'server_communication_error', 'Reference does not match parking');
    const endMs = parseAutopayDateTime(input.end_time)!.getTime();
    // The same stop again (a retried request) succeeds without a second callback.
    if (p.ended_by === 'manual_stop' && Date.parse(p.end_time!) === endMs) return void res.status(200).end();
    if (p.status !== 'ongoing') return apiError(res, 'server_communication_error', `Parking already ${p.status}`);
    if (endMs < Date.parse(p.start_time)) {
      return apiError(res, 'argument_type_mismatch', "Property 'end_time' has an invalid value", 'end_time is before start_time');
    }
    void endParking(p, endMs, 'manual_stop');
    // The car may still be inside: Autopay keeps watching it in a follow-up session it charges itself.
    const followUp: SandboxParking = {
      parking_id: newParkingId(),
      operator_id: p.operator_id,
      area_code: p.area_code,
      vehicle_reg: p.vehicle_reg,
      plate_issuer: p.plate_issuer,
      plate_subdivision: p.plate_subdivision,
      status: 'ongoing',
      kind: 'follow_up',
      start_time: new Date(endMs).toISOString(),
      follow_up_of: p.parking_id,
    };
    p.follow_up_id = followUp.parking_id;
    parkings.set(followUp.parking_id, followUp);
    res.status(200).end();
  });

  for (const path of ['/payment/v1/connect_parking', '/payment/v1/manual_stop']) router.all(path, methodNotSupported);

  // ------------------------------------------------------------ simulator controls (tests, dev)

  function opsBody(req: Request, res: Response): Record<string, unknown> | undefined {
    const body = readBody(req);
    if (!body.ok && body.reason === 'Required request body is missing') return {};
    if (!body.ok || !isObject(body.value)) {
      res.status(400).json({ error: 'body must be a JSON object' });
      return undefined;
    }
    return body.value;
  }
  const wantsWait = (req: Request, body: Record<string, unknown>) => body.wait === true || req.query.wait === 'true' || req.query.wait === '1';

  /** Camera sees a car enter: {area_code, vehicle_reg, plate_issuer?, entry_time? | offset_minutes?}. */
  router.post('/_camera/enter', (req, res) => {
    const body = opsBody(req, res);
    if (!body) return;
    const { area_code, vehicle_reg, plate_issuer } = body;
    if (typeof area_code !== 'string' || typeof vehicle_reg !== 'string') {
      return void res.status(400).json({ error: 'area_code and vehicle_reg are required strings' });
    }
    const operatorId = operatorForArea(area_code);
    if (!operatorId) return void res.status(400).json({ error: `unknown area_code ${area_code}` });
    const at = instantFrom(body, 'entry_time');
    if (typeof at === 'string') return void res.status(400).json({ error: at });
    const plate = normalisePlate(vehicle_reg);
    const issuer = typeof plate_issuer === 'string' ? plate_issuer : null;
    const entered = new Date(at).toISOString();
    const existing = ongoingFor(plate, area_code).find((p) => issuer === null || p.plate_issuer === null || p.plate_issuer === issuer);
    if (existing?.entered_at !== undefined) return void res.status(409).json({ error: 'vehicle already inside', parking: existing });
    if (existing) {
      // connect_parking came first: the parking starts when the car actually arrives.
      existing.entered_at = entered;
      existing.start_time = entered;
      existing.plate_issuer ??= issuer;
      return void res.json({ parking: existing });
    }
    const p: SandboxParking = {
      parking_id: newParkingId(),
      operator_id: operatorId,
      area_code,
      vehicle_reg: plate,
      plate_issuer: issuer,
      plate_subdivision: null,
      status: 'ongoing',
      kind: 'regular',
      start_time: entered,
      entered_at: entered,
    };
    parkings.set(p.parking_id, p);
    res.status(201).json({ parking: p });
  });

  /** Camera sees a car leave: {vehicle_reg (+ area_code?) | parking_id, end_time? | offset_minutes?, wait?}. */
  router.post('/_camera/exit', async (req, res) => {
    const body = opsBody(req, res);
    if (!body) return;
    const area = typeof body.area_code === 'string' ? body.area_code : undefined;
    const p =
      typeof body.parking_id === 'string'
        ? parkings.get(body.parking_id)
        : typeof body.vehicle_reg === 'string'
          ? ongoingFor(normalisePlate(body.vehicle_reg), area).at(-1)
          : undefined;
    if (!p || p.status !== 'ongoing') return void res.status(404).json({ error: 'no ongoing parking for that vehicle' });
    const at = instantFrom(body, 'end_time');
    if (typeof at === 'string') return void res.status(400).json({ error: at });
    if (at < Date.parse(p.start_time)) return void res.status(400).json({ error: 'end_time is before start_time' });
    const delivery = endParking(p, at, 'camera');
    if (delivery && wantsWait(req, body)) await delivery;
    res.json({ parking: p, deliveries: deliveries.filter((d) => d.parking_id === p.parking_id) });
  });

  /** Autopay puts a parking into an error state: {parking_id, wait?} → cancel callback. */
  router.post('/_cancel', async (req, res) => {
    const body = opsBody(req, res);
    if (!body) return;
    const p = typeof body.parking_id === 'string' ? parkings.get(body.parking_id) : undefined;
    if (!p) return void res.status(404).json({ error: 'unknown parking_id' });
    if (p.reference === undefined) return void res.status(400).json({ error: 'parking has no payment provider to notify' });
    if (p.status === 'cancelled') return void res.status(409).json({ error: 'parking already cancelled' });
    p.status = 'cancelled';
    p.cancelled_at = new Date().toISOString();
    const delivery = startDelivery('cancel', p, { parking_id: p.parking_id, reference: p.reference });
    if (wantsWait(req, body)) await delivery;
    res.json({ parking: p, deliveries: deliveries.filter((d) => d.parking_id === p.parking_id) });
  });

  /** Queue a fault: {endpoint, status?, error_id?, message?, delay_ms?, times?}. */
  router.post('/_faults', (req, res) => {
    const body = opsBody(req, res);
    if (!body) return;
    const { endpoint, status, error_id, message, delay_ms, times } = body;
    if (endpoint !== 'token' && endpoint !== 'connect_parking' && endpoint !== 'manual_stop') {
      return void res.status(400).json({ error: 'endpoint must be token, connect_parking or manual_stop' });
    }
    if (status !== undefined && (typeof status !== 'number' || status < 400 || status > 599)) {
      return void res.status(400).json({ error: 'status must be an HTTP error status' });
    }
    if (error_id !== undefined && !isAutopayErrorId(error_id)) return void res.status(400).json({ error: 'unknown error_id' });
    faults.push({
      endpoint,
      status: status ?? (error_id !== undefined ? AUTOPAY_ERROR_STATUS[error_id] : delay_ms === undefined ? 500 : undefined),
      errorId: error_id,
      message: typeof message === 'string' ? message : undefined,
      delayMs: typeof delay_ms === 'number' ? delay_ms : undefined,
      remaining: typeof times === 'number' && times > 0 ? times : 1,
    });
    res.status(201).json({ queued: faults.length });
  });

  /** Invalidate issued tokens (all, or {operator_id}'s) so the next API call gets a 401. */
  router.post('/_revoke_tokens', (req, res) => {
    const body = opsBody(req, res);
    if (!body) return;
    let revoked = 0;
    for (const [token, entry] of tokens) {
      if (body.operator_id === undefined || entry.operatorId === body.operator_id) {
        tokens.delete(token);
        revoked++;
      }
    }
    res.json({ revoked });
  });

  const records = (): AutopaySandboxRecords => structuredClone({ parkings: [...parkings.values()], deliveries, token_requests: tokenRequests });
  router.get('/_records', (_req, res) => void res.json(records()));

  return {
    router,
    parkings: () => records().parkings,
    records,
    idle: async () => {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    faults: controls,
    close: () => {
      closed = true;
      controls.close();
      for (const t of timers) {
        clearTimeout(t.timer);
        t.resolve();
      }
      timers.clear();
    },
  };
}
