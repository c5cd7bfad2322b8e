import { z } from 'zod';
import { AccessAttemptBody, FinalizeBody, StartAnprSession, StartBarrierSession } from './routes/car-driver.schemas';
import { GateEventBody } from './routes/gates';

/**
 * The API description served at /openapi.json. Request bodies come from the same zod schemas the routes
 * validate with, so the document cannot drift from what the API accepts.
 */
const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema: z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) } } });
const errors = { '400': { description: 'invalid input' }, '401': { description: 'bad credentials' }, '404': { description: 'not found' }, '422': { description: 'refused in the current state' } };
const linkErrors = {
  '401': { description: 'no signature (a, exp, sig) and no Bearer token' },
  '403': { description: 'invalid_signature or link_expired' },
  '404': { description: "another driver's session (Bearer)" },
  '429': { description: 'rate_limited (Retry-After)' },
};
const linkParams = ['a', 'exp', 'sig'].map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } }));
const driver = [{ driverBearer: [] }];
const ops = [{ opsBearer: [] }];

export function openApiDocument(publicBaseUrl: string) {
  const StartBody = z.object({ parking_session: z.union([StartBarrierSession, StartAnprSession]) });
  return {
    openapi: '3.1.0',
    info: { title: 'Parking payment engine', version: '0.1.0' },
    servers: [{ url: publicBaseUrl }],
    components: {
      securitySchemes: {
        driverBearer: { type: 'http', scheme: 'bearer' },
        opsBearer: { type: 'http', scheme: 'bearer' },
        gateKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
    },
    paths: {
      '/api/car_driver/parking_sessions': {
        post: { summary: 'Start a session (barrier or ANPR)', security: driver, requestBody: json(StartBody), responses: { '201': { description: 'session and entrance smart key' }, ...errors } },
        get: { summary: "The driver's sessions, newest first", security: driver, responses: { '200': { description: 'sessions' } } },
      },
      '/api/car_driver/parking_sessions/{id}': { get: { summary: 'One session', security: driver, responses: { '200': { description: 'session' }, ...errors } } },
      '/api/car_driver/parking_sessions/{id}/access_attempts': {
        post: { summary: 'Use the smart key', security: driver, requestBody: json(AccessAttemptBody), responses: { '201': { description: 'remaining tries and access command' }, ...errors } },
      },
      '/api/car_driver/parking_sessions/{id}/finalize': {
        put: { summary: 'Finalize: price, pay_url, exit key', security: driver, requestBody: json(FinalizeBody), responses: { '201': { description: 'pay_url, amount, currency, parking_session, smart_key' }, ...errors } },
        patch: { summary: 'Same as PUT', security: driver, requestBody: json(FinalizeBody), responses: { '201': { description: 'as PUT' }, ...errors } },
      },
      '/api/car_driver/parking_sessions/{id}/cancel': { post: { summary: 'Cancel before entry', security: driver, responses: { '200': { description: 'cancelled' }, ...errors } } },
      '/api/car_driver/smart_keys': { get: { summary: 'Active smart keys', security: driver, responses: { '200': { description: 'keys' } } } },
      '/api/gates/events': {
        post: {
          summary: "Gate confirms entry / exit (one key per gate; the event's MAC, direction and parking must be the gate's)",
          security: [{ gateKey: [] }],
          requestBody: json(GateEventBody),
          responses: { '202': { description: 'accepted' }, ...errors, '403': { description: 'gate_mismatch' } },
        },
      },
      '/api/payment/pay/{id}': {
        get: { summary: 'Pay page (WebView): signed link from finalize, or the owner\'s Bearer token; redirects to the provider', security: [{}, ...driver], parameters: linkParams, responses: { '303': { description: 'to the card page' }, ...linkErrors } },
      },
      '/api/payment/return/{id}': { get: { summary: 'Payment result page (signed result link)', parameters: linkParams, responses: { '200': { description: 'HTML' }, ...linkErrors } } },
      '/api/providers/netopia/ipn': { post: { summary: 'Netopia IPN (Verification-token JWT)', responses: { '200': { description: 'errorType 0' }, '401': { description: 'not verified' } } } },
      '/api/providers/epx/response': { get: { summary: 'EPX browser-post return (confirmed server to server)', responses: { '303': { description: 'to the result page' } } } },
      '/api/providers/autopay/parking-ended': { post: { summary: 'Autopay success callback', responses: { '200': { description: 'handled' }, '404': { description: 'unknown reference' } } } },
      '/api/providers/autopay/parking-cancelled': { post: { summary: 'Autopay cancel callback', responses: { '200': { description: 'handled' }, '404': { description: 'unknown reference' } } } },
      '/api/providers/vipps/webhooks': { post: { summary: 'Vipps webhooks (HMAC-SHA256)', responses: { '200': { description: 'handled' }, '401': { description: 'bad signature' } } } },
      '/api/providers/easypark/parking-transactions': { post: { summary: 'EasyPark Fleet transaction', responses: { '202': { description: 'booked' }, '409': { description: 'duplicate' } } } },
      '/api/ops/sessions': { get: { summary: 'Find sessions', security: ops, responses: { '200': { description: 'sessions' } } } },
      '/api/ops/sessions/{id}/refunds': { post: { summary: 'Refund a card payment', security: ops, responses: { '201': { description: 'refunded' }, ...errors } } },
      '/api/ops/sessions/{id}/manual-stop': { post: { summary: 'Autopay manual stop', security: ops, responses: { '202': { description: 'requested' }, ...errors } } },
      '/api/ops/drivers/{driverId}/tokens': { get: { summary: "A driver's access tokens (no secrets)", security: ops, responses: { '200': { description: 'tokens' } } } },
      '/api/ops/drivers/{driverId}/tokens/revoke': { post: { summary: 'Revoke one token (token_id) or all of a driver\'s', security: ops, responses: { '200': { description: 'revoked count' }, ...errors } } },
      '/api/ops/audit': { get: { summary: 'Who did what through the ops API', security: ops, responses: { '200': { description: 'entries' } } } },
      '/api/ops/reports/daily': { get: { summary: 'Daily totals and reconciliation (JSON or CSV)', security: ops, responses: { '200': { description: 'report' } } } },
      '/healthz': { get: { summary: 'Liveness', responses: { '200': { description: 'alive' } } } },
      '/readyz': { get: { summary: 'Readiness', responses: { '200': { description: 'ready' }, '503': { description: 'a dependency is down' } } } },
    },
  };
}
