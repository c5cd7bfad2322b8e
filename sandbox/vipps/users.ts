import { createHash } from 'node:crypto';

/**
 * The sandbox's pretend Vipps users, shared by Login and Recurring so that the `sub` a driver gets
 * when logging in is the same `sub` their agreement carries: that is how the engine links the two.
 */
export interface SandboxUser {
  /** MSISDN, e.g. "4791234567". */
  phoneNumber: string;
  name: string;
  sub: string;
}

export interface SandboxUserSeed {
  phoneNumber: string;
  name: string;
  sub?: string;
}

/** Deterministic UUID-shaped sub per phone, so restarts and reruns give the same identities. */
export function subForPhone(phoneNumber: string): string {
  const h = createHash('sha256').update(`vipps-sandbox-sub:${phoneNumber}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class SandboxUsers {
  private readonly byPhone = new Map<string, SandboxUser>();

  constructor(seeds: SandboxUserSeed[] = [], private readonly normalize: (raw: string) => string | undefined) {
    for (const seed of seeds) {
      const phone = normalize(seed.phoneNumber);
      if (!phone) throw new RangeError(`invalid sandbox login user phone ${seed.phoneNumber}`);
      this.byPhone.set(phone, { phoneNumber: phone, name: seed.name, sub: seed.sub ?? subForPhone(phone) });
    }
  }

  /** Any well-formed number is a user; unknown ones get a generated demo name. */
  lookup(phoneNumber: string): SandboxUser {
    const known = this.byPhone.get(phoneNumber);
    if (known) return known;
    const user = { phoneNumber, name: `Demo User ${phoneNumber.slice(-4)}`, sub: subForPhone(phoneNumber) };
    this.byPhone.set(phoneNumber, user);
    return user;
  }
}
