import { money, round2, type MoneyInput } from './money';

export interface VatSplit {
  gross: string;
  net: string;
  vat: string;
  vatPercent: string;
}

/**
 * Splits a gross (VAT-inclusive) amount so that net + vat = gross exactly:
 * VAT is rounded once (half-up), net is the remainder.
 */
export function splitGross(grossInput: MoneyInput, vatPercentInput: MoneyInput): VatSplit {
  const gross = round2(grossInput);
  const vatPercent = money(vatPercentInput);
  if (vatPercent.isNegative()) throw new RangeError('VAT percent must not be negative');
  const vat = round2(gross.times(vatPercent).dividedBy(vatPercent.plus(100)));
  const net = gross.minus(vat);
  return { gross: gross.toFixed(2), net: net.toFixed(2), vat: vat.toFixed(2), vatPercent: vatPercent.toString() };
}

/** Whether a provider's net + vat adds up to its gross to the cent (Autopay, EasyPark send all three). */
export function addsUp(net: MoneyInput, vat: MoneyInput, gross: MoneyInput): boolean {
  return money(net).plus(vat).equals(money(gross));
}
