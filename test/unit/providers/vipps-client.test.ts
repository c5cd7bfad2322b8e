import { assertIdempotencyKey, derivedIdempotencyKey, InvalidIdempotencyKeyError } from '../../../src/providers/vipps/client';
import { buildAuthorizeUrl } from '../../../src/providers/vipps/login';
import { fromOre, percentToTaxRate, toOre } from '../../../src/providers/vipps/wire';

describe('Vipps client edge rules', () => {
  it('accepts keys of 1–40 characters without # ? / \\', () => {
    expect(() => assertIdempotencyKey('a')).not.toThrow();
    expect(() => assertIdempotencyKey('x'.repeat(40))).not.toThrow();
    expect(() => assertIdempotencyKey('session-123_charge.1')).not.toThrow();
  });

  it.each(['', 'x'.repeat(41), 'a#b', 'a?b', 'a/b', 'a\\b'])('rejects %j', (key) => {
    expect(() => assertIdempotencyKey(key)).toThrow(InvalidIdempotencyKeyError);
  });

  it('derives stable, valid keys', () => {
    const k = derivedIdempotencyKey('rcpt', 'RECURRING', 'a-very-long-order-id-that-is-fifty-characters-long!');
    expect(k).toBe(derivedIdempotencyKey('rcpt', 'RECURRING', 'a-very-long-order-id-that-is-fifty-characters-long!'));
    expect(k).not.toBe(derivedIdempotencyKey('rcpt', 'ECOM', 'a-very-long-order-id-that-is-fifty-characters-long!'));
    expect(() => assertIdempotencyKey(k)).not.toThrow();
  });

  it('converts decimal strings to øre and back without floats', () => {
    expect(toOre('326.00')).toBe(32600);
    expect(toOre('0.1')).toBe(10);
    expect(toOre('19.99')).toBe(1999);
    expect(() => toOre('1.005')).toThrow(RangeError);
    expect(fromOre(32600)).toBe('326.00');
    expect(fromOre(5)).toBe('0.05');
    expect(percentToTaxRate('25')).toBe(2500);
  });

  it('builds the Login authorize URL', () => {
    const url = new URL(
      buildAuthorizeUrl({ baseUrl: 'https://apitest.vipps.no/', clientId: 'cid', redirectUri: 'https://p.example/cb', state: 's 1', scope: 'openid phoneNumber name' }),
    );
    expect(url.origin + url.pathname).toBe('https://apitest.vipps.no/access-management-1.0/access/oauth2/auth');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'cid',
      response_type: 'code',
      scope: 'openid phoneNumber name',
      state: 's 1',
      redirect_uri: 'https://p.example/cb',
    });
  });
});
