/**
 * The providers' published sandbox cards (seed and README), as a driver types them on the sandbox card pages.
 * They live with the tests only: product code never holds a card number.
 */
export const NETOPIA_ACCEPTED = { card_number: '9900004810225098', exp_month: '12', exp_year: '2030', cvv: '111', name: 'Demo' };
export const NETOPIA_EXPIRED = { ...NETOPIA_ACCEPTED, card_number: '9900541631437790' };
export const EPX_APPROVED = { card_number: '4000000000000002', exp_month: '12', exp_year: '2025', cvv: '', name: 'Demo' };
/** Full card numbers that must never end up in a history, a log or the database. */
export const TEST_PANS = [NETOPIA_ACCEPTED.card_number, NETOPIA_EXPIRED.card_number, EPX_APPROVED.card_number];
