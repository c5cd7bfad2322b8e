import mongoose from 'mongoose';
import { connectDb } from '../../src/db/connection';

/** A fresh database per test file on the FerretDB started by the global setup. */
export async function connectTestDb(name: string): Promise<string> {
  const base = process.env.TEST_MONGODB_BASE;
  if (!base) throw new Error('TEST_MONGODB_BASE is not set: the jest global setup did not start FerretDB');
  const uri = `${base}/${name.replace(/[^a-zA-Z0-9_]/g, '_')}_${process.pid}_${Date.now()}`;
  await connectDb(uri);
  return uri;
}

export async function dropTestDb(): Promise<void> {
  await mongoose.connection.db?.dropDatabase().catch(() => undefined);
  await mongoose.disconnect();
}
