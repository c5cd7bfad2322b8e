/** The only form in which a card number may appear in logs, records or pages: last 4 digits. */
export function maskPan(pan: string): string {
  const digits = pan.replace(/\D/g, '');
  return digits.length >= 4 ? `****${digits.slice(-4)}` : '****';
}
