import { eventDedupKey, parseVippsWebhookEvent, safeParseVippsWebhookEvent } from '../../../src/providers/vipps/inbound';

describe('Vipps inbound webhook events', () => {
  it('parses an agreement event', () => {
    const event = parseVippsWebhookEvent({
      agreementId: 'agr_5kSeqz',
      agreementUUID: 'a1b2',
      agreementExternalId: null,
      eventType: 'recurring.agreement-activated.v1',
      occurred: '2025-08-06T10:00:00Z',
      actor: 'USER',
      msn: '123456',
    });
    expect(event.kind).toBe('agreement');
    if (event.kind !== 'agreement') throw new Error('unreachable');
    expect(event.agreementId).toBe('agr_5kSeqz');
    expect(eventDedupKey(event)).toBe('vipps:recurring.agreement-activated.v1:agr_5kSeqz');
  });

  it('parses a failed charge and keeps unknown fields and reasons', () => {
    const event = parseVippsWebhookEvent({
      agreementId: 'agr_1',
      chargeId: 'chr-1',
      amount: 32600,
      currency: 'NOK',
      eventType: 'recurring.charge-failed.v1',
      occurred: '2025-08-08T07:00:00Z',
      failureReason: 'some_future_reason',
      somethingNew: 1,
    });
    expect(event).toMatchObject({ kind: 'charge', chargeId: 'chr-1', failureReason: 'some_future_reason', somethingNew: 1 });
    expect(eventDedupKey(event)).toBe('vipps:recurring.charge-failed.v1:agr_1:chr-1');
  });

  it('gives partial refunds distinct keys', () => {
    const refund = (amountRefunded: number, occurred: string) =>
      parseVippsWebhookEvent({ agreementId: 'a', chargeId: 'c', eventType: 'recurring.charge-refunded.v1', occurred, amountRefunded });
    const a = eventDedupKey(refund(1000, '2025-08-09T10:00:00Z'));
    expect(a).toBe(eventDedupKey(refund(1000, '2025-08-09T10:00:00Z')));
    expect(a).not.toBe(eventDedupKey(refund(2000, '2025-08-09T11:00:00Z')));
  });

  it('parses the ePayment payload from the seed document', () => {
    const event = parseVippsWebhookEvent({
      msn: '123456',
      reference: '24ab7cd6ef658155992',
      pspReference: '1234567891',
      name: 'AUTHORIZED',
      amount: { currency: 'NOK', value: 35000 },
      timestamp: '2023-08-14T12:48:46.260Z',
      idempotencyKey: '49ca711a9487112e1def',
      success: true,
    });
    expect(event).toMatchObject({ kind: 'epayment', name: 'AUTHORIZED', amount: { value: 35000 } });
    expect(eventDedupKey(event)).toBe('vipps:epayment:123456:24ab7cd6ef658155992:AUTHORIZED:1234567891');
  });

  it('rejects unknown or malformed events', () => {
    expect(safeParseVippsWebhookEvent({ eventType: 'recurring.charge-charged.v1', agreementId: 'a' }).ok).toBe(false);
    expect(safeParseVippsWebhookEvent({ eventType: 'recurring.charge-captured.v1', agreementId: 'a', occurred: 'x' }).ok).toBe(false);
    expect(safeParseVippsWebhookEvent([]).ok).toBe(false);
    expect(() => parseVippsWebhookEvent({ msn: '1', name: 'AUTHORIZED' })).toThrow(/not a known Vipps webhook event/);
  });
});
