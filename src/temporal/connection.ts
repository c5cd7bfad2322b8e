import { Client, Connection } from '@temporalio/client';

export async function connectTemporal(address: string, namespace: string): Promise<Client> {
  const connection = await Connection.connect({ address, connectTimeout: '10s' });
  return new Client({ connection, namespace });
}

/** Readiness: the frontend answers a cheap call. */
export async function pingTemporal(client: Client): Promise<boolean> {
  try {
    await client.connection.workflowService.getSystemInfo({}, );
    return true;
  } catch {
    return false;
  }
}
