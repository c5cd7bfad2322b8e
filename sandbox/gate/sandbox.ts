import express, { Router } from 'express';
import { z } from 'zod';
import { httpRequest } from '../../src/providers/http';
import type { SandboxContext } from '../context';

const PassBody = z.object({
  mac_address: z.string(),
  access_command: z.string(),
  event: z.enum(['entered', 'exited']).default('entered'),
});

/**
 * A simulated barrier: `POST /gate/_pass` is a car passing a gate with its smart key's access command; the gate
 * controller then reports it to our API with its own X-API-Key (one per gate), as a real one would. Lets a session run without hardware.
 */
export function createGateSandbox(ctx: SandboxContext, opts: { gateKeyFor: (macAddress: string) => string | null }) {
  const router = Router();
  router.use(express.json());
  const passes: Array<{ at: string; mac_address: string; event: string; status: number }> = [];
  router.post('/_pass', async (req, res) => {
    const parsed = PassBody.safeParse(req.body);
    if (!parsed.success) return res.status(400).json({ error: 'mac_address and access_command are required' });
    const key = opts.gateKeyFor(parsed.data.mac_address);
    if (!key) return res.status(404).json({ error: `no demo gate has MAC address ${parsed.data.mac_address}` });
    const reply = await httpRequest({
      method: 'POST',
      url: `${ctx.apiBaseUrl}/api/gates/events`,
      headers: { 'x-api-key': key },
      body: { ...parsed.data, occurred_at: new Date().toISOString() },
      retries: 2,
    });
    passes.push({ at: new Date().toISOString(), mac_address: parsed.data.mac_address, event: parsed.data.event, status: reply.status });
    ctx.log(`gate ${parsed.data.mac_address}: ${parsed.data.event} → API ${reply.status}`);
    return res.status(reply.status < 300 ? 200 : 502).json({ api_status: reply.status, api_response: reply.json ?? reply.text });
  });
  router.get('/_records', (_req, res) => {
    res.json({ passes });
  });
  return { router, passes: () => [...passes] };
}
