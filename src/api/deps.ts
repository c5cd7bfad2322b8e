import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { CardProvider, CardProviderName } from '../providers/card-provider';
import type { VippsClient } from '../providers/vipps/client';

/** What the HTTP layer is given: configuration, the Temporal client, and providers for verification reads. */
export interface ApiDeps {
  config: Config;
  temporal: Client;
  cardProviders: Record<CardProviderName, CardProvider>;
  /** Netopia's public key for IPN JWTs (resolved at start-up). */
  netopiaPublicKeyPem: () => Promise<string>;
  vipps: VippsClient;
  /** Readiness probes. */
  ready: () => Promise<{ temporal: boolean; database: boolean }>;
}
