import { createHmac } from 'node:crypto';
import { accessCommandOf, deriveAccessCommand } from '../../src/security/access-command';
import { GateEventBody } from '../../src/api/routes/gates';

const KEY = 'unit-test-access-command-key-0123';
const KEY_ID = '3b241101-e2bb-4255-8caf-4136c566a962';

describe('access commands derived from key ids', () => {
  it('are the keyed hash of session, direction and key id: stable, and in the 32-hex shape gates accept', () => {
    const command = deriveAccessCommand(KEY, 42, 'entrance', KEY_ID);
    expect(command).toBe(createHmac('sha256', KEY).update(`42:entrance:${KEY_ID}`).digest('hex').slice(0, 32));
    expect(deriveAccessCommand(KEY, 42, 'entrance', KEY_ID)).toBe(command);
    expect(GateEventBody.safeParse({ event: 'entered', mac_address: '76:86:BB:DE:63:AD', access_command: command }).success).toBe(true);
  });

  it('differ per session, direction, key id and key', () => {
    const commands = [
      deriveAccessCommand(KEY, 42, 'entrance', KEY_ID),
      deriveAccessCommand(KEY, 43, 'entrance', KEY_ID),
      deriveAccessCommand(KEY, 42, 'exit', KEY_ID),
      deriveAccessCommand(KEY, 42, 'entrance', '3b241101-e2bb-4255-8caf-4136c566a963'),
      deriveAccessCommand(`${KEY}x`, 42, 'entrance', KEY_ID),
    ];
    expect(new Set(commands).size).toBe(commands.length);
  });

  it('a key made before key ids keeps its stored command; a key with an id has it derived', () => {
    expect(accessCommandOf(KEY, 42, { direction: 'exit', accessCommand: 'a'.repeat(32) })).toBe('a'.repeat(32));
    expect(accessCommandOf(KEY, 42, { direction: 'exit', keyId: KEY_ID })).toBe(deriveAccessCommand(KEY, 42, 'exit', KEY_ID));
    expect(accessCommandOf(KEY, 42, { direction: 'exit' })).toBeNull();
  });
});
