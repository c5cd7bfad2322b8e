/**
 * `npm run reset`: a fresh demo. Deletes .data/ (FerretDB's data, Temporal's database, the provider sandboxes'
 * saved state). Refuses while the demo is running: a server would keep its files open and write them back.
 */
import { existsSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ROOT } from '../src/platform/local-servers';
import { wipeSandboxState } from '../sandbox/persistence';

const DATA = path.join(ROOT, '.data');
const port = (name: string, fallback: number) => {
  const n = Number(process.env[name]);
  return Number.isInteger(n) && n > 0 ? n : fallback;
};
const SERVERS: Array<[string, number]> = [
  ['the API', port('PORT', 3000)],
  ['the provider sandbox', port('SANDBOX_PORT', 4010)],
  ['FerretDB', 27017],
  ['Temporal', 7233],
];

function listening(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: p });
    socket.setTimeout(500);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}

async function main(): Promise<void> {
  const running = [];
  for (const [name, p] of SERVERS) if (await listening(p)) running.push(`${name} (127.0.0.1:${p})`);
  if (running.length > 0) {
    console.error(`[reset] not reset: ${running.join(', ')} ${running.length === 1 ? 'is' : 'are'} still running. Stop \`npm start\` (Ctrl-C) first, then run \`npm run reset\` again.`);
    process.exit(1);
  }
  if (!existsSync(DATA)) {
    console.log('[reset] nothing to reset: there is no .data/ directory. The next `npm start` begins with fresh demo data.');
    return;
  }
  const entries = readdirSync(DATA);
  wipeSandboxState(DATA);
  console.log(`[reset] deleted .data/ (${entries.join(', ') || 'empty'}): sessions, payments, Temporal histories and the sandboxes' orders, agreements and parkings are gone. The next \`npm start\` seeds fresh demo data.`);
}

void main();
