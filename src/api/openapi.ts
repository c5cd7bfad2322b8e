import { z } from 'zod';
import { AccessAttemptBody, FinalizeBody, StartAnprSession, StartBarrierSession } from './routes/car-driver.schemas';
import { GateEventBody } from './routes/gates';
import { OrderIdParam, RefundDecisionBody } from './routes/ops-order-refunds';
import { PositiveAmountString } from './schemas/amount';
import { OpsAgreementQuery, OpsSessionQuery } from './routes/ops.schemas';
import { PAYMENT_STATUSES, SESSION_STATES } from '../domain/session';
import { FleetBody, GateBody, OperatorBody, ParkingBody } from '../reference-data/schemas';
import { ActionBody, QueueQuery, RetryBody } from './routes/ops-attention';
import { PlateHashQuery } from './routes/ops.schemas';

/**
 * The API description served at /openapi.json: every route, provider callbacks and pages included, with its
 * answers. Request bodies come from the same zod schemas the routes validate with, so the document cannot drift
 * from what the API accepts; test/e2e/fuzz.test.ts holds the API to the answers documented here.
 */
type Schema = Record<string, unknown>;
const fromZod = (schema: z.ZodType): Schema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Schema;
  return rest;
};
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonBody = (schema: Schema) => ({ required: true, content: { 'application/json': { schema } } });
const json = (description: string, schema: Schema = { type: 'object' }) => ({ description, content: { 'application/json': { schema } } });
const html = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });
const redirect = (description: string) => ({ description, headers: { Location: { schema: { type: 'string' } } } });
const error = (description: string) => json(description, ref('Error'));
const unavailable = { ...error('a dependency (workflow engine, database, provider) is down; retry after Retry-After seconds'), headers: { 'Retry-After': { schema: { type: 'string' } } } };

/** The answers every JSON route may give besides its successes. */
const common = {
  '400': error('invalid input'),
  '401': error('missing or invalid credentials'),
  '404': error('not found'),
  '415': error('unsupported_media_type: a body that is not application/json'),
  '422': error('refused in the current state (terminal sessions: session_closed, session_cancelled, session_expired, with details.state)'),
  '503': unavailable,
  default: error('any other error, in the same shape'),
};
const orderIdParam = [{ name: 'orderId', in: 'path', required: true, schema: fromZod(OrderIdParam) }];
const OrderRefundView: Schema = {
  type: 'object',
  required: ['order_id', 'workflow_id', 'status', 'attention', 'waiting_for_decision'],
  properties: {
    order_id: { type: 'string' },
    workflow_id: { type: 'string' },
    status: { type: 'string' },
    attention: { type: ['string', 'null'] },
    waiting_for_decision: { type: 'boolean' },
    phase: { type: ['string', 'null'], enum: ['refunding', 'waiting_for_decision', 'done', null] },
    refusal: { type: ['object', 'null'] },
    decisions: { type: 'array' },
  },
};
const idParam = [{ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }];
/** Signed pay/result links: attempt, expiry and HMAC (src/api/pay-link.ts); or the owner's Bearer token instead. */
const driverIdParam = { name: 'driverId', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,100}$' } };
const linkParams = ['a', 'exp', 'sig'].map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } }));
const linkErrors = {
  '401': error('no signature (a, exp, sig) and no Bearer token'),
  '403': error('invalid_signature or link_expired'),
  '429': error('rate_limited (Retry-After)'),
};
const gateIdParam = { name: 'gateId', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' } };
const slugParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' } };
const CodecPayloads: Schema = {
  type: 'object',
  required: ['payloads'],
  properties: { payloads: { type: 'array', items: { type: 'object', properties: { metadata: { type: 'object', additionalProperties: { type: 'string' } }, data: { type: 'string' } } } } },
};
const driver = [{ driverBearer: [] }];
const ops = [{ opsBearer: [] }];
const gate = [{ gateKey: [] }];

const ErrorSchema: Schema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} } },
    errors: { type: 'array', items: { type: 'string' } },
  },
};
const nullable = (type: string) => ({ type: [type, 'null'] });
const ParkingSession: Schema = {
  type: 'object',
  required: ['id', 'type', 'state', 'start_time', 'end_time'],
  properties: {
    id: { type: 'integer' },
    type: { type: 'string', enum: ['pay_per_use'] },
    state: { type: 'string', enum: [...SESSION_STATES] },
    start_time: nullable('string'),
    end_time: nullable('string'),
    entrance_remaining_tries: { type: 'integer' },
    exit_remaining_tries: { type: 'integer' },
    secured_parking_id: { type: 'integer' },
    kind: { type: 'string', enum: ['barrier', 'anpr'] },
    payment_status: { type: 'string', enum: [...PAYMENT_STATUSES], description: 'The same word as the ops API and the PaymentStatus search attribute' },
    paid_via: { type: ['string', 'null'], enum: ['card', 'vipps', 'free', null] },
    amount: nullable('string'),
    currency: nullable('string'),
    pay_url: nullable('string'),
    last_payment_error: nullable('string'),
    vehicle_reg: nullable('string'),
    notice: nullable('string'),
    created_at: nullable('string'),
  },
};
/** The workflow's SessionView as ops see it, plus the Vipps agreement that bills the session. */
const OpsSession: Schema = {
  type: 'object',
  required: ['sessionId', 'state', 'paymentStatus'],
  properties: {
    sessionId: { type: 'integer' },
    driverId: { type: 'string' },
    parkingId: { type: 'integer' },
    kind: { type: 'string' },
    state: { type: 'string', enum: [...SESSION_STATES] },
    paymentStatus: { type: 'string', enum: [...PAYMENT_STATUSES] },
    attention: nullable('string'),
    attentionCode: nullable('string'),
    closedReason: nullable('string'),
    vippsAgreementId: nullable('string'),
  },
};
const money = { type: 'string', pattern: '^-?\\d+\\.\\d{2}$' };
const ReportAmounts = {
  parkings: { type: 'integer', description: 'distinct parkings paid or billed: kept card captures, EasyPark transactions, Vipps usages' },
  transactions: { type: 'integer', description: 'money movements: captures, refunds, reversals, chargebacks, Vipps charges, EasyPark transactions' },
  gross: money,
  net: money,
  vat: money,
  fees: money,
  refunds: { type: 'integer' },
  refunded: money,
};
const DailyReport: Schema = {
  type: 'object',
  required: ['date', 'groups', 'totalsByCurrency', 'unknownKinds', 'reconciliation'],
  description: 'Every column is documented in docs/REPORT.md',
  properties: {
    date: { type: 'string', format: 'date' },
    groups: {
      type: 'array',
      items: {
        type: 'object',
        required: ['source', 'provider', 'currency', ...Object.keys(ReportAmounts), 'attempts', 'declines', 'usages'],
        properties: { source: { type: 'string' }, provider: { type: 'string' }, currency: { type: 'string' }, ...ReportAmounts, attempts: { type: 'integer' }, declines: { type: 'integer' }, usages: { type: 'integer' } },
      },
    },
    totalsByCurrency: { type: 'array', items: { type: 'object', required: ['currency', ...Object.keys(ReportAmounts)], properties: { currency: { type: 'string' }, ...ReportAmounts } } },
    unknownKinds: { type: 'array', items: { type: 'object', required: ['kind', 'count'], properties: { kind: { type: 'string' }, count: { type: 'integer' } } } },
    reconciliation: { type: 'object', required: ['sessionsChecked', 'issues', 'provider'], properties: { sessionsChecked: { type: 'integer' }, issues: { type: 'array' }, provider: { type: 'object' } } },
  },
};
/** A zod query schema as OpenAPI query parameters, one per property. */
function queryParams(schema: z.ZodType): Array<Record<string, unknown>> {
  const props = (fromZod(schema).properties ?? {}) as Record<string, Schema>;
  return Object.entries(props).map(([name, p]) => ({ name, in: 'query', required: false, schema: p }));
}
const NetopiaReply: Schema = { type: 'object', required: ['errorType', 'errorMessage'], properties: { errorType: { type: 'integer', enum: [0, 1, 2] }, errorCode: {}, errorMessage: { type: 'string' } } };
const AutopayError: Schema = { type: 'object', required: ['error_id', 'message'], properties: { error_id: { type: 'string' }, message: { type: 'string' }, description: { type: 'string' } } };
/** GET /api/car_driver/parking_sessions/:id/receipt (src/api/receipt.ts): amounts are decimal strings. */
const ReceiptSchema: Schema = {
  type: 'object',
  required: ['parking_session_id', 'state', 'payment_status', 'parking', 'entry_time', 'exit_time', 'net', 'vat_percent', 'vat', 'gross', 'currency', 'provider_reference', 'app_url'],
  properties: {
    parking_session_id: { type: 'integer' },
    state: { type: 'string' },
    payment_status: { type: 'string' },
    paid_via: { type: ['string', 'null'], enum: ['card', 'vipps', 'free', null] },
    parking: { type: 'object', required: ['id', 'name', 'time_zone'], properties: { id: { type: 'integer' }, name: { type: 'string' }, time_zone: { type: 'string' } } },
    vehicle_reg: { type: ['string', 'null'] },
    entry_time: { type: ['string', 'null'], format: 'date-time' },
    exit_time: { type: ['string', 'null'], format: 'date-time' },
    duration_minutes: { type: ['integer', 'null'] },
    net: money,
    vat_percent: { type: 'string', pattern: '^\\d+(\\.\\d+)?$' },
    vat: money,
    gross: money,
    currency: { type: 'string' },
    provider: { type: ['string', 'null'] },
    provider_reference: { type: ['string', 'null'] },
    order_id: { type: ['string', 'null'] },
    app_url: { type: 'string', description: 'APP_DEEP_LINK_BASE + session id' },
  },
};
const RefundBody = z.object({ amount: PositiveAmountString.optional(), request_id: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/), reason: z.string().max(200).optional() });

/** Every operation gets an operationId (method + path, e.g. getApiOpsSessionsById) and explicit security. */
function finish<T extends { paths: Record<string, Record<string, Record<string, unknown>>> }>(doc: T): T {
  for (const [route, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const words = route.split(/[/_.-]+/).filter(Boolean).map((w) => (w.startsWith('{') ? `By${w.slice(1, -1)}` : w));
      op.operationId ??= method + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
      // Pages, health and provider callbacks (verified by their signatures, see each description) take no credentials.
      op.security ??= [];
    }
  }
  return doc;
}

export function openApiDocument(publicBaseUrl: string) {
  return finish(buildDocument(publicBaseUrl));
}

function buildDocument(publicBaseUrl: string) {
  const StartBody = z.object({ parking_session: z.union([StartBarrierSession, StartAnprSession]) });
  const autopayCallback = (summary: string) => ({
    post: {
      summary,
      description: 'Authenticated with the operator\'s configured callback credentials (Basic, Bearer or X-API-Key).',
      requestBody: { content: { 'application/json': { schema: { type: 'object' } } } },
      responses: {
        '200': json('handled (also a duplicate)', { type: 'object', required: ['status'], properties: { status: { type: 'string' } } }),
        '400': json('invalid body', ref('AutopayError')),
        '401': json('bad credentials', ref('AutopayError')),
        '404': json('unknown reference: Autopay stops retrying', ref('AutopayError')),
        '503': json('our side is down: Autopay retries', ref('AutopayError')),
        default: json('other errors', ref('AutopayError')),
      },
    },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Parking payment engine',
      version: '0.2.0',
      description: 'Driver app API, gates, payment pages, provider callbacks, Vipps pages and the ops API. Rendered at /docs.',
      license: { name: 'Proprietary (UNLICENSED)' },
    },
    servers: [{ url: publicBaseUrl }],
    components: {
      securitySchemes: {
        driverBearer: { type: 'http', scheme: 'bearer' },
        opsBearer: { type: 'http', scheme: 'bearer' },
        gateKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        easyParkBasic: { type: 'http', scheme: 'basic' },
      },
      schemas: { Error: ErrorSchema, ParkingSession, OpsSession, DailyReport, NetopiaReply, AutopayError },
    },
    paths: {
      '/api/car_driver/parking_sessions': {
        post: {
          summary: 'Start a session (barrier or ANPR)',
          security: driver,
          requestBody: jsonBody(fromZod(StartBody)),
          responses: { '201': json('session and entrance smart key', { type: 'object', required: ['parking_session'], properties: { parking_session: ref('ParkingSession') } }), ...common },
        },
        get: { summary: "The driver's sessions, newest first", security: driver, responses: { '200': json('sessions', { type: 'object', required: ['parking_sessions'], properties: { parking_sessions: { type: 'array', items: ref('ParkingSession') } } }), ...common } },
      },
      '/api/car_driver/parking_sessions/{id}': {
        get: { summary: 'One session', security: driver, parameters: idParam, responses: { '200': json('session', { type: 'object', required: ['parking_session'], properties: { parking_session: ref('ParkingSession') } }), ...common } },
      },
      '/api/car_driver/parking_sessions/{id}/access_attempts': {
        post: { summary: 'Use the smart key', security: driver, parameters: idParam, requestBody: jsonBody(fromZod(AccessAttemptBody)), responses: { '201': json('remaining tries and access command'), ...common } },
      },
      '/api/car_driver/parking_sessions/{id}/finalize': {
        put: { summary: 'Finalize: price, pay_url, exit key', security: driver, parameters: idParam, requestBody: jsonBody(fromZod(FinalizeBody)), responses: { '201': json('pay_url, amount, currency, parking_session, smart_key'), ...common } },
        patch: { summary: 'Same as PUT', security: driver, parameters: idParam, requestBody: jsonBody(fromZod(FinalizeBody)), responses: { '201': json('as PUT'), ...common } },
      },
      '/api/car_driver/parking_sessions/{id}/receipt': {
        get: {
          summary: 'Receipt of a paid (or Vipps-billed) session: the result page\'s receipt as JSON',
          security: driver,
          parameters: idParam,
          responses: { '200': json('the receipt', { type: 'object', required: ['receipt'], properties: { receipt: ReceiptSchema } }), ...common, '422': error('receipt_not_available: not paid yet; details {state, payment_status}') },
        },
      },
      '/api/car_driver/parking_sessions/{id}/cancel': { post: { summary: 'Cancel before entry', security: driver, parameters: idParam, responses: { '200': json('cancelled'), ...common } } },
      '/api/car_driver/smart_keys': { get: { summary: 'Active smart keys', security: driver, responses: { '200': json('keys', { type: 'object', required: ['smart_keys'], properties: { smart_keys: { type: 'array' } } }), ...common } } },
      '/api/gates/events': {
        post: {
          summary: "Gate confirms entry / exit (one key per gate; the event's MAC, direction and parking must be the gate's)",
          security: gate,
          requestBody: jsonBody(fromZod(GateEventBody)),
          responses: { '202': json('accepted'), ...common, '403': error('gate_mismatch') },
        },
      },
      '/api/payment/pay/{id}': {
        get: {
          summary: 'Pay page (WebView): starts or resumes the card payment and redirects to the provider',
          security: [{}, ...driver],
          parameters: [...idParam, ...linkParams],
          responses: { ...common, ...linkErrors, '200': html('already paid (with the receipt) or nothing to pay: the session is settled or ended'), '303': redirect('to the card page, or to the result page when nothing is left to pay'), '422': html('nothing to pay'), '503': html('the card provider is unavailable: try again') },
        },
      },
      '/api/payment/return/{id}': {
        get: { summary: 'Payment result page (signed result link)', security: [{}, ...driver], parameters: [...idParam, ...linkParams], responses: { '200': html('result page'), ...common, ...linkErrors } },
      },
      '/api/providers/netopia/ipn': {
        post: {
          summary: 'Netopia IPN (Verification-token JWT over the raw body)',
          parameters: [{ name: 'Verification-token', in: 'header', required: false, schema: { type: 'string' } }],
          requestBody: { content: { 'application/json': { schema: { type: 'object' } } } },
          responses: {
            '200': json('errorType 0: accepted', ref('NetopiaReply')),
            '401': json('not verified (errorType 2)', ref('NetopiaReply')),
            '404': json('unknown order (errorType 2)', ref('NetopiaReply')),
            '503': json('temporary (errorType 1): Netopia sends it again', ref('NetopiaReply')),
            default: { description: 'other errors', content: { 'application/json': { schema: { anyOf: [ref('NetopiaReply'), ref('Error')] } } } },
          },
        },
      },
      '/api/providers/epx/response': {
        get: { summary: 'EPX browser-post return (the result is confirmed server to server)', responses: { '303': redirect('to the result page'), ...common } },
        post: { summary: 'EPX browser-post return as a form post', requestBody: { content: { 'application/x-www-form-urlencoded': { schema: { type: 'object' } } } }, responses: { '303': redirect('to the result page'), ...common } },
      },
      '/api/providers/autopay/parking-ended': autopayCallback('Autopay success callback'),
      '/api/providers/autopay/parking-cancelled': autopayCallback('Autopay cancel callback'),
      '/api/providers/vipps/webhooks': {
        post: {
          summary: 'Vipps webhooks (HMAC-SHA256 over our URL and the raw body)',
          requestBody: { content: { 'application/json': { schema: { type: 'object' } } } },
          responses: { '200': json('accepted, duplicate or ignored', { type: 'object', required: ['status'], properties: { status: { type: 'string' } } }), ...common },
        },
      },
      '/api/providers/easypark/parking-transactions': {
        post: {
          summary: 'EasyPark Fleet parkingTransaction',
          security: [{ easyParkBasic: [] }],
          requestBody: { content: { 'application/json': { schema: { type: 'object' } } } },
          responses: { '202': json('booked'), '409': error('duplicate: already received'), ...common },
        },
      },
      '/vipps/qr': {
        get: {
          summary: 'The parking sign\'s QR code: PNG (SVG with format=svg); with Accept: application/json the Vipps merchant-redirect QR and the image links',
          parameters: [{ name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['png', 'svg'] } }],
          responses: {
            '200': {
              description: 'a QR code of PUBLIC_BASE_URL/vipps/landing, or (Accept: application/json) {id, url, redirectUrl, landingUrl, png, svg}',
              content: { 'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } }, 'image/svg+xml': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'object' } } },
            },
            ...common,
          },
        },
      },
      '/vipps/qr.png': { get: { summary: 'The parking sign\'s QR code as PNG', responses: { '200': { description: 'a QR code of PUBLIC_BASE_URL/vipps/landing', content: { 'image/png': { schema: { type: 'string', contentMediaType: 'image/png' } } } } } } },
      '/vipps/qr.svg': { get: { summary: 'The parking sign\'s QR code as SVG', responses: { '200': { description: 'a QR code of PUBLIC_BASE_URL/vipps/landing', content: { 'image/svg+xml': { schema: { type: 'string' } } } } } } },
      '/vipps/landing': { get: { summary: 'Landing page of the QR code', responses: { '200': html('page') } } },
      '/vipps/login': { get: { summary: 'Starts Vipps Login', responses: { '302': redirect('to Vipps Login') } } },
      '/vipps/login/callback': {
        get: {
          summary: 'Vipps Login return: drafts the pay-as-you-go agreement',
          parameters: ['state', 'code', 'error'].map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } })),
          responses: { ...common, '302': redirect('to the Vipps agreement confirmation'), '400': html('login expired, cancelled, or no phone number') },
        },
      },
      '/vipps/agreement-return': {
        get: {
          summary: 'Agreement confirmation return page',
          parameters: [{ name: 'ref', in: 'query', required: false, schema: { type: 'string' } }],
          responses: { '200': html('agreement status'), '400': html('unknown agreement'), '404': html('unknown agreement'), '503': unavailable, default: error('other errors') },
        },
      },
      '/vipps/agreements': { get: { summary: 'Agreement page linked from the Vipps app', responses: { '200': html('page') } } },
      '/api/ops/attention': {
        get: {
          summary: 'The ops queue: sessions that need a person, newest first, each with its actions',
          security: ops,
          parameters: queryParams(QueueQuery),
          responses: { '200': json('one page; next_before_id is null on the last page', { type: 'object', required: ['items', 'next_before_id'], properties: { items: { type: 'array' }, next_before_id: nullable('integer') } }), ...common },
        },
      },
      '/api/ops/sessions/{id}/attention/resolve': {
        post: { summary: 'Resolve the attention with a note (history, ledger, audit)', security: ops, parameters: idParam, requestBody: jsonBody(fromZod(ActionBody)), responses: { '200': json('resolved'), '409': error('no_attention'), ...common } },
      },
      '/api/ops/sessions/{id}/attention/retry': {
        post: { summary: 'Ask the provider about unsettled attempts now', security: ops, parameters: idParam, requestBody: { required: false, content: { 'application/json': { schema: fromZod(RetryBody) } } }, responses: { '202': json('retry requested'), '409': error('no_attention'), ...common } },
      },
      '/api/ops/plate-hash': {
        get: { summary: "A plate's keyed hash and the Temporal UI filter that finds its sessions", security: ops, parameters: queryParams(PlateHashQuery), responses: { '200': json('plate_hash and temporal_ui_query'), ...common } },
      },
      '/api/ops/parkings': {
        get: { summary: 'Parkings in id order (cursor: after_id)', security: ops, parameters: [{ name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500 } }, { name: 'after_id', in: 'query', required: false, schema: { type: 'string', pattern: '^[1-9][0-9]{0,14}$' } }], responses: { '200': json('parkings and next_after_id'), ...common } },
      },
      '/api/ops/parkings/{id}': {
        get: { summary: 'One parking with its tariff versions and access points', security: ops, parameters: idParam, responses: { '200': json('parking'), ...common } },
        put: { summary: 'Create or update a parking; a tariff change is a new version', security: ops, parameters: idParam, requestBody: jsonBody(fromZod(ParkingBody)), responses: { '200': json('updated'), '201': json('created'), '409': error('area_taken'), ...common } },
      },
      '/api/ops/parkings/{id}/gates/{gateId}': {
        put: { summary: "Install or re-key a gate; its X-API-Key is shown once", security: ops, parameters: [...idParam, gateIdParam], requestBody: jsonBody(fromZod(GateBody)), responses: { '201': json('gate with api_key'), '409': error('mac_taken or gate_elsewhere'), ...common } },
        delete: { summary: 'Retire a gate: its key stops working', security: ops, parameters: [...idParam, gateIdParam], responses: { '204': { description: 'retired' }, ...common } },
      },
      '/api/ops/operators': {
        get: { summary: 'Autopay operators with their areas (secrets are write-only)', security: ops, responses: { '200': json('operators'), ...common } },
      },
      '/api/ops/operators/{id}': {
        put: { summary: "Create or update an Autopay operator's callback credentials", security: ops, parameters: [slugParam], requestBody: jsonBody(fromZod(OperatorBody)), responses: { '200': json('updated'), '201': json('created'), ...common } },
      },
      '/api/ops/fleets': {
        get: { summary: 'EasyPark fleets (passwords are write-only)', security: ops, responses: { '200': json('fleets'), ...common } },
      },
      '/api/ops/fleets/{id}': {
        put: { summary: "Create or update an EasyPark fleet's credentials", security: ops, parameters: [slugParam], requestBody: jsonBody(fromZod(FleetBody)), responses: { '200': json('updated'), '201': json('created'), '409': error('username_taken'), ...common } },
      },
      '/codec/decode': {
        post: { summary: 'Codec server (Temporal UI protocol): decrypt payloads for ops', security: ops, requestBody: jsonBody(CodecPayloads), responses: { '200': json('payloads', CodecPayloads), ...common } },
      },
      '/codec/encode': {
        post: { summary: 'Codec server (Temporal UI protocol): encrypt payloads', security: ops, requestBody: jsonBody(CodecPayloads), responses: { '200': json('payloads', CodecPayloads), ...common } },
      },
      '/api/ops/sessions': {
        get: {
          summary: 'Find sessions: every filter validated (400 invalid_query on an unknown value or parameter), cursor pagination',
          security: ops,
          parameters: [
            ...queryParams(OpsSessionQuery),
          ],
          responses: {
            '200': json('one page of sessions, newest first; next_cursor is null on the last page', {
              type: 'object',
              required: ['sessions', 'next_cursor'],
              properties: { sessions: { type: 'array', items: ref('OpsSession') }, next_cursor: nullable('string') },
            }),
            ...common,
          },
        },
      },
      '/api/ops/sessions/{id}': {
        get: { summary: 'One session as the workflow sees it (a Vipps-billed one with its charge outcome)', security: ops, parameters: idParam, responses: { '200': json('session', { type: 'object', required: ['session'], properties: { session: ref('OpsSession') } }), ...common } },
      },
      '/api/ops/sessions/{id}/cancel': {
        post: {
          summary: 'Cancel a session',
          security: ops,
          parameters: idParam,
          requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { reason: { type: 'string', maxLength: 200 } } } } } },
          responses: { '200': json('cancelled', { type: 'object', required: ['session'], properties: { session: ref('OpsSession') } }), ...common },
        },
      },
      '/api/ops/vipps/agreements': {
        get: {
          summary: 'Vipps agreements, newest id first, with cursor pagination',
          security: ops,
          parameters: queryParams(OpsAgreementQuery),
          responses: {
            '200': json('one page of agreements', {
              type: 'object',
              required: ['agreements', 'next_cursor'],
              properties: {
                agreements: {
                  type: 'array',
                  items: {
                    type: 'object',
                    required: ['agreement_id', 'driver_id', 'status', 'currency'],
                    properties: {
                      agreement_id: { type: 'string' },
                      driver_id: { type: 'string' },
                      status: { type: 'string', enum: ['PENDING', 'ACTIVE', 'STOPPED', 'EXPIRED'] },
                      currency: { type: 'string' },
                      suggested_max_amount_minor: { type: 'integer' },
                      max_amount_minor: nullable('integer'),
                      created_at: nullable('string'),
                      updated_at: nullable('string'),
                    },
                  },
                },
                next_cursor: nullable('string'),
              },
            }),
            ...common,
          },
        },
      },
      '/api/ops/sessions/{id}/refunds': {
        post: {
          summary: 'Refund a card payment (idempotent per request_id, Stripe-style)',
          security: ops,
          parameters: idParam,
          requestBody: jsonBody(fromZod(RefundBody)),
          responses: {
            '201': json('refunded (also when replayed: Idempotent-Replayed: true)', {
              type: 'object',
              required: ['refund'],
              properties: { refund: { type: 'object', required: ['refundRef', 'amount', 'currency'], properties: { refundRef: { type: 'string' }, amount: { type: 'string' }, currency: { type: 'string' } } } },
            }),
            '409': error('idempotency_conflict: the request_id was used for another amount'),
            ...common,
          },
        },
      },
      '/api/ops/sessions/{id}/manual-stop': {
        post: {
          summary: 'Autopay manual stop',
          security: ops,
          parameters: idParam,
          requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { end_time: { type: 'string', format: 'date-time' } } } } } },
          responses: { '202': json('requested', { type: 'object', required: ['status', 'session'], properties: { status: { type: 'string' }, session: ref('OpsSession') } }), ...common },
        },
      },
      '/api/ops/reports/daily': {
        get: {
          summary: 'Daily totals and reconciliation (JSON or CSV)',
          security: ops,
          parameters: [
            { name: 'date', in: 'query', required: false, schema: { type: 'string', format: 'date' }, description: "default: today in the time zone of parking_id (or of the first parking)" },
            { name: 'parking_id', in: 'query', required: false, schema: { type: 'string', pattern: '^[1-9][0-9]{0,14}$' }, description: 'whose time zone decides the default date' },
            { name: 'time_zone', in: 'query', required: false, schema: { type: 'string', maxLength: 64 }, description: "IANA zone the date is read in; without it each row counts on its parking's local day" },
            { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['json', 'csv'] } },
          ],
          responses: { '200': { description: 'report', content: { 'application/json': { schema: ref('DailyReport') }, 'text/csv': { schema: { type: 'string' } } } }, ...common },
        },
      },
      '/ops/report': {
        get: {
          summary: 'The daily report as an HTML page with a small chart per source and provider',
          security: ops,
          parameters: [
            { name: 'date', in: 'query', required: false, schema: { type: 'string', format: 'date' } },
            { name: 'parking_id', in: 'query', required: false, schema: { type: 'string', pattern: '^[1-9][0-9]{0,14}$' } },
            { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['json', 'csv'] }, description: 'ignored here' },
          ],
          responses: { '200': html('report page'), ...common },
        },
      },
      '/api/ops/drivers/{driverId}/tokens': {
        get: { summary: "A driver's access tokens (no secrets)", security: ops, parameters: [driverIdParam], responses: { '200': json('tokens'), ...common } },
      },
      '/api/ops/drivers/{driverId}/tokens/revoke': {
        post: {
          summary: "Revoke one token (token_id) or all of a driver's",
          security: ops,
          parameters: [driverIdParam],
          requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', properties: { token_id: { type: 'string', pattern: '^[0-9a-f]{24}$' }, reason: { type: 'string', maxLength: 200 } } } } } },
          responses: { '200': json('revoked count', { type: 'object', required: ['driver_id', 'revoked'], properties: { driver_id: { type: 'string' }, revoked: { type: 'integer' } } }), ...common },
        },
      },
      '/api/ops/audit': {
        get: {
          summary: 'Who did what through the ops API',
          security: ops,
          parameters: [
            { name: 'target', in: 'query', required: false, schema: { type: 'string', maxLength: 120 } },
            { name: 'actor', in: 'query', required: false, schema: { type: 'string', maxLength: 64 } },
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500 } },
          ],
          responses: { '200': json('entries', { type: 'object', required: ['entries'], properties: { entries: { type: 'array', items: { type: 'object' } } } }), ...common },
        },
      },
      '/api/ops/reconciliation/runs': {
        post: {
          summary: 'Reconcile one day with the card providers now; findings become late captures or Attention',
          security: ops,
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { type: 'object', required: ['date'], properties: { date: { type: 'string', format: 'date' } } } } },
          },
          responses: { '201': json('reconciliation run'), ...common },
        },
      },
      '/api/ops/order-refunds/{orderId}': {
        get: {
          summary: "An automatic refund's workflow (order-refund-<orderId>): status, Attention, whether it waits for a decision",
          security: ops,
          parameters: orderIdParam,
          responses: { '200': json('the refund', { type: 'object', required: ['order_refund'], properties: { order_refund: OrderRefundView } }), ...common },
        },
      },
      '/api/ops/order-refunds/{orderId}/decision': {
        post: {
          summary: 'Decide a refused automatic refund: retry it at the provider, or resolve it by hand (note required)',
          security: ops,
          parameters: orderIdParam,
          requestBody: jsonBody(fromZod(RefundDecisionBody)),
          responses: {
            '202': json('decision sent to the workflow', { type: 'object', required: ['order_id', 'decision'], properties: { order_id: { type: 'string' }, decision: {} } }),
            '409': error('not_waiting_for_decision: the refund is running, done, or was never refused'),
            ...common,
          },
        },
      },
      '/api/ops/vipps/agreements/{agreementId}': {
        get: { summary: "A Vipps agreement's billing state", security: ops, parameters: [{ name: 'agreementId', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } }], responses: { '200': json('billing state'), ...common } },
      },
      '/api/ops/vipps/agreements/{agreementId}/bill-now': {
        post: { summary: 'Bill a Vipps agreement now', security: ops, parameters: [{ name: 'agreementId', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } }], responses: { '202': json('accepted'), ...common } },
      },
      '/openapi.json': { get: { summary: 'This document', responses: { '200': json('OpenAPI 3.1') } } },
      '/docs': { get: { summary: 'This document, rendered (Swagger UI)', responses: { '200': html('API docs'), '301': redirect('to /docs/') } } },
      '/healthz': { get: { summary: 'Liveness', responses: { '200': json('alive') } } },
      '/readyz': { get: { summary: 'Readiness', responses: { '200': json('ready'), '503': json('a dependency is down') } } },
    },
  };
}
