import { z } from 'zod';
import { AccessAttemptBody, FinalizeBody, StartAnprSession, StartBarrierSession } from './routes/car-driver.schemas';
import { GateEventBody } from './routes/gates';
import { OrderIdParam, RefundDecisionBody } from './routes/ops-order-refunds';
import { PositiveAmountString } from './schemas/amount';

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
  '422': error('refused in the current state'),
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
const ParkingSession: Schema = { type: 'object', required: ['id'], properties: { id: { type: 'integer' } } };
const NetopiaReply: Schema = { type: 'object', required: ['errorType', 'errorMessage'], properties: { errorType: { type: 'integer', enum: [0, 1, 2] }, errorCode: {}, errorMessage: { type: 'string' } } };
const AutopayError: Schema = { type: 'object', required: ['error_id', 'message'], properties: { error_id: { type: 'string' }, message: { type: 'string' }, description: { type: 'string' } } };
/** GET /api/car_driver/parking_sessions/:id/receipt (src/api/receipt.ts): amounts are decimal strings. */
const money = { type: 'string', pattern: '^-?\\d+(\\.\\d+)?$' };
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
    vat_percent: money,
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

export function openApiDocument(publicBaseUrl: string) {
  const StartBody = z.object({ parking_session: z.union([StartBarrierSession, StartAnprSession]) });
  const autopayCallback = (summary: string) => ({
    post: {
      summary,
      description: 'Authenticated with the operator\'s configured callback credentials (Basic, Bearer or X-API-Key).',
      requestBody: { content: { 'application/json': { schema: { type: 'object' } } } },
      responses: {
        '200': json('handled (also a duplicate)', { type: 'object', required: ['status'], properties: { status: { type: 'string' } } }),
        '400': json('invalid body', AutopayError),
        '401': json('bad credentials', AutopayError),
        '404': json('unknown reference: Autopay stops retrying', AutopayError),
        '503': json('our side is down: Autopay retries', AutopayError),
        default: json('other errors', AutopayError),
      },
    },
  });
  return {
    openapi: '3.1.0',
    info: { title: 'Parking payment engine', version: '0.2.0' },
    servers: [{ url: publicBaseUrl }],
    components: {
      securitySchemes: {
        driverBearer: { type: 'http', scheme: 'bearer' },
        opsBearer: { type: 'http', scheme: 'bearer' },
        gateKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        easyParkBasic: { type: 'http', scheme: 'basic' },
      },
      schemas: { Error: ErrorSchema, ParkingSession, NetopiaReply, AutopayError },
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
      '/api/ops/sessions': {
        get: {
          summary: 'Find sessions',
          security: ops,
          parameters: [
            { name: 'state', in: 'query', required: false, schema: { type: 'string', maxLength: 40 } },
            { name: 'parking_id', in: 'query', required: false, schema: { type: 'integer', minimum: 1 } },
            { name: 'plate', in: 'query', required: false, schema: { type: 'string', maxLength: 20 } },
            { name: 'attention', in: 'query', required: false, schema: { type: 'string', pattern: '^[a-z_]{1,60}$' }, description: 'any, or one reason (amount_mismatch, refund_refused, ...)' },
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500 } },
          ],
          responses: { '200': json('sessions', { type: 'object', required: ['sessions'], properties: { sessions: { type: 'array', items: { type: 'object' } } } }), ...common },
        },
      },
      '/api/ops/sessions/{id}': { get: { summary: 'One session as the workflow sees it', security: ops, parameters: idParam, responses: { '200': json('session'), ...common } } },
      '/api/ops/sessions/{id}/cancel': { post: { summary: 'Cancel a session', security: ops, parameters: idParam, responses: { '200': json('cancelled'), ...common } } },
      '/api/ops/sessions/{id}/refunds': {
        post: {
          summary: 'Refund a card payment (idempotent per request_id, Stripe-style)',
          security: ops,
          parameters: idParam,
          requestBody: jsonBody(fromZod(RefundBody)),
          responses: {
            '201': json('refunded (also when replayed: Idempotent-Replayed: true)', { type: 'object', required: ['refund'], properties: { refund: { type: 'object', required: ['refundRef', 'amount', 'currency'] } } }),
            '409': error('idempotency_conflict: the request_id was used for another amount'),
            ...common,
          },
        },
      },
      '/api/ops/sessions/{id}/manual-stop': { post: { summary: 'Autopay manual stop', security: ops, parameters: idParam, responses: { '202': json('requested'), ...common } } },
      '/api/ops/reports/daily': {
        get: {
          summary: 'Daily totals and reconciliation (JSON or CSV)',
          security: ops,
          parameters: [
            { name: 'date', in: 'query', required: true, schema: { type: 'string', format: 'date' } },
            { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['json', 'csv'] } },
          ],
          responses: { '200': { description: 'report', content: { 'application/json': { schema: { type: 'object' } }, 'text/csv': { schema: { type: 'string' } } } }, ...common },
        },
      },
      '/api/ops/drivers/{driverId}/tokens': {
        get: { summary: "A driver's access tokens (no secrets)", security: ops, parameters: [driverIdParam], responses: { '200': json('tokens'), ...common } },
      },
      '/api/ops/drivers/{driverId}/tokens/revoke': {
        post: { summary: "Revoke one token (token_id) or all of a driver's", security: ops, parameters: [driverIdParam], responses: { '200': json('revoked count'), ...common } },
      },
      '/api/ops/audit': { get: { summary: 'Who did what through the ops API', security: ops, responses: { '200': json('entries'), ...common } } },
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
            '202': json('decision sent to the workflow', { type: 'object', required: ['order_id', 'decision'] }),
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
      '/healthz': { get: { summary: 'Liveness', responses: { '200': json('alive') } } },
      '/readyz': { get: { summary: 'Readiness', responses: { '200': json('ready'), '503': json('a dependency is down') } } },
    },
  };
}
