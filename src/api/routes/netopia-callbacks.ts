import { Router } from 'express';
import { IpnVerificationError, netopiaIpnReply, verifyNetopiaIpn } from '../../providers/netopia/inbound';
import { netopiaOutcome } from '../../providers/netopia/wire';
import { parseOrderId } from '../../temporal/ids';
import type { ApiDeps } from '../deps';
import { recordInbound } from '../inbox';
import { deliverProviderResult, isFinalOutcome } from '../../temporal/provider-results';
import { componentLogger } from '../../observability/logger';

const log = componentLogger('netopia');

/**
 * Netopia IPN: the Verification-token JWT (RS512, iss, aud = our POS signature, sub = SHA-512 of the raw
 * body) is checked before anything else. The order id `<sessionId>-<attempt>` names the workflow.
 */
export function netopiaCallbackRoutes(deps: ApiDeps): Router {
  const r = Router();
  r.post('/api/providers/netopia/ipn', async (req, res) => {
    let ipn;
    let publicKeyPem: string;
    try {
      publicKeyPem = await deps.netopiaPublicKeyPem();
    } catch (err) {
      // Without the key nothing can be verified, and nothing may be lost: ask NETOPIA to send it again.
      log.error({ err }, 'IPN key unavailable');
      return res.status(503).set('Retry-After', '30').json(netopiaIpnReply({ kind: 'temporary', message: 'temporarily unavailable' }));
    }
    try {
      ipn = verifyNetopiaIpn({
        rawBody: req.rawBody ?? Buffer.alloc(0),
        verificationToken: req.get('verification-token'),
        publicKeyPem,
        posSignature: deps.config.NETOPIA_POS_SIGNATURE,
      });
    } catch (err) {
      if (!(err instanceof IpnVerificationError)) throw err;
      log.warn({ err }, 'IPN rejected');
      return res.status(401).json(netopiaIpnReply(err));
    }
    const order = parseOrderId(ipn.orderId);
    if (!order) return res.status(404).json(netopiaIpnReply({ kind: 'permanent', message: `unknown order ${ipn.orderId}` }));
    const outcome = netopiaOutcome(ipn.status, ipn.errorCode, ipn.errorMessage);
    try {
      await recordInbound('netopia', `status-${ipn.status}`, `netopia:${ipn.orderId}:${ipn.status}`, { ...ipn });
      if (!isFinalOutcome(outcome.outcome)) return res.json(netopiaIpnReply());
      await deliverProviderResult(deps.temporal, deps.config.TEMPORAL_TASK_QUEUE, order.sessionId, 'netopia', {
        orderId: ipn.orderId,
        outcome: outcome.outcome,
        reason: outcome.reason,
        reasonCode: outcome.reasonCode,
        providerRef: ipn.ntpId,
        amount: ipn.amount,
        currency: ipn.currency,
        cardLast4: ipn.cardMasked?.slice(-4),
      });
    } catch (err) {
      // Our side (Temporal or the database) is down: errorType 1 asks NETOPIA to send the IPN again later.
      log.error({ err }, 'could not deliver IPN');
      return res.status(503).set('Retry-After', '30').json(netopiaIpnReply({ kind: 'temporary', message: 'temporarily unavailable' }));
    }
    return res.json(netopiaIpnReply());
  });
  return r;
}
