import { Router, type Request } from 'express';
import { badRequest, handle, normalizePhone, parseBody, type IdempotencyStore } from './http';
import type { RecurringState } from './state';
import {
  AgreementStatus,
  ChargeStatus,
  CreateChargeRequestSchema,
  DraftAgreementRequestSchema,
  ForceAcceptRequestSchema,
  ModifyChargeRequestSchema,
  StopAgreementRequestSchema,
  UpdateAgreementRequestSchema,
} from '../../src/providers/vipps/wire';

/**
 * Merchant-facing Recurring v3 routes (base /recurring/v3), mounted behind merchant auth. Mutations go
 * through the idempotency store; `settle` lets the response wait for the first webhook attempts.
 * Charges are processed by the sandbox clock (see sandbox.ts), never by a read.
 */
export function recurringRoutes(state: RecurringState, idem: IdempotencyStore, settle: () => Promise<void>): Router {
  const r = Router();
  const key = (req: Request) => req.get('idempotency-key') ?? '';
  const param = (req: Request, name: string) => String(req.params[name]);

  r.post(
    '/agreements',
    idem.wrap((req) => {
      const agreement = state.draft(parseBody(DraftAgreementRequestSchema, req.body));
      return {
        status: 201,
        body: {
          agreementId: agreement.id,
          uuid: agreement.uuid,
          vippsConfirmationUrl: state.toAgreementResponse(agreement).vippsConfirmationUrl,
          chargeId: null,
        },
      };
    }, settle),
  );

  r.get(
    '/agreements',
    handle((req) => {
      const status = AgreementStatus.safeParse(req.query.status ?? 'ACTIVE');
      if (!status.success) throw badRequest('unknown agreement status', [{ field: 'status', text: 'unknown' }]);
      return { status: 200, body: state.listAgreements(status.data).map((a) => state.toAgreementResponse(a)) };
    }),
  );

  r.get(
    '/agreements/:agreementId',
    handle((req) => ({ status: 200, body: state.toAgreementResponse(state.getAgreement(param(req, 'agreementId'))) })),
  );

  r.patch(
    '/agreements/:agreementId',
    idem.wrap((req) => {
      const id = param(req, 'agreementId');
      const body: unknown = req.body ?? {};
      if (typeof body === 'object' && body !== null && 'status' in body) {
        // A stop must be the only field in the PATCH (Vipps answers 400 otherwise).
        if (!StopAgreementRequestSchema.safeParse(body).success) {
          throw badRequest('status: STOPPED must be sent alone', [{ field: 'status', text: 'send status alone' }]);
        }
        state.stop(id, 'MERCHANT');
        return { status: 204 };
      }
      const patch = parseBody(UpdateAgreementRequestSchema, body);
      state.update(id, { ...patch, suggestedMaxAmount: patch.pricing?.suggestedMaxAmount });
      return { status: 204 };
    }, settle),
  );

  // Test-environment endpoint of the real API: accept as if the user did it in the app.
  r.patch(
    '/agreements/:agreementId/accept',
    idem.wrap((req) => {
      const phone = normalizePhone(parseBody(ForceAcceptRequestSchema, req.body).phoneNumber);
      if (!phone) throw badRequest('invalid phoneNumber', [{ field: 'phoneNumber', text: 'not an MSISDN' }]);
      state.accept(param(req, 'agreementId'), phone);
      return { status: 204 };
    }, settle),
  );

  r.post(
    '/agreements/:agreementId/charges',
    idem.wrap((req) => {
      const charge = state.createCharge(param(req, 'agreementId'), parseBody(CreateChargeRequestSchema, req.body), key(req));
      return { status: 201, body: { chargeId: charge.id } };
    }, settle),
  );

  r.get(
    '/agreements/:agreementId/charges',
    handle((req) => {
      const agreementId = param(req, 'agreementId');
      state.getAgreement(agreementId);
      const status = req.query.status === undefined ? undefined : ChargeStatus.safeParse(req.query.status);
      if (status && !status.success) throw badRequest('unknown charge status', [{ field: 'status', text: 'unknown' }]);
      const charges = state.chargesOf(agreementId).filter((c) => !status || c.status === status.data);
      return { status: 200, body: charges.map((c) => state.toChargeResponse(c)) };
    }),
  );

  r.get(
    '/agreements/:agreementId/charges/:chargeId',
    handle((req) => ({
      status: 200,
      body: state.toChargeResponse(state.getCharge(param(req, 'agreementId'), param(req, 'chargeId'))),
    })),
  );

  r.delete(
    '/agreements/:agreementId/charges/:chargeId',
    idem.wrap((req) => {
      state.cancelCharge(param(req, 'agreementId'), param(req, 'chargeId'), key(req));
      return { status: 204 };
    }, settle),
  );

  r.post(
    '/agreements/:agreementId/charges/:chargeId/refund',
    idem.wrap((req) => {
      const body = parseBody(ModifyChargeRequestSchema, req.body);
      state.refundCharge(param(req, 'agreementId'), param(req, 'chargeId'), body.amount, key(req));
      return { status: 204 };
    }, settle),
  );

  return r;
}
