/**
 * Issues production credentials (any mode): prints the new secret once; only its hash is stored.
 *   npx tsx src/admin.ts ops-user <name>
 *   npx tsx src/admin.ts gate <gate id> <parking id> <entrance|exit> <MAC address>
 */
import { z } from 'zod';
import { loadConfig } from './config';
import { connectDb, disconnectDb } from './db/connection';
import { createGate, createOpsUser } from './db/credentials';

const Gate = z.tuple([
  z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'gate id: 1-64 letters, digits, . _ or -'),
  z.coerce.number().int().positive(),
  z.enum(['entrance', 'exit']),
  z.string().regex(/^([0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}$/, 'a MAC address like 76:86:BB:DE:63:AD'),
]);

async function main(args: string[]): Promise<void> {
  const [command, ...rest] = args;
  const config = loadConfig();
  await connectDb(config.MONGODB_URI);
  try {
    if (command === 'ops-user' && rest.length === 1) {
      const { name, token } = await createOpsUser(rest[0]);
      console.log(`ops user ${name}: token (shown once) ${token}`);
    } else if (command === 'gate' && rest.length === 4) {
      const [id, parkingId, direction, macAddress] = Gate.parse(rest);
      const { key } = await createGate({ id, parkingId, direction, macAddress });
      console.log(`gate ${id} (parking ${parkingId}, ${direction}, ${macAddress.toUpperCase()}): X-API-Key (shown once) ${key}`);
    } else {
      throw new Error('usage: admin.ts ops-user <name> | gate <gate id> <parking id> <entrance|exit> <MAC>');
    }
  } finally {
    await disconnectDb();
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(`[admin] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
