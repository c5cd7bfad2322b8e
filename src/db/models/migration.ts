import { Schema, model } from 'mongoose';

/** Migrations that have completed on this database (`_id` = the migration's name); see src/db/migrate.ts. */
const migrationSchema = new Schema({ _id: { type: String, required: true }, doneAt: { type: Date, required: true } });
export const MigrationModel = model('Migration', migrationSchema);

/**
 * A row being re-keyed, saved before its old copy is deleted: `_id` = `<target collection>:<new _id>`. A process that dies
 * between the delete and the insert leaves this copy, and the next run (in any process) puts the row back.
 */
const migrationBackupSchema = new Schema(
  { _id: { type: String, required: true }, target: { type: String, required: true }, newId: { type: Schema.Types.Mixed, required: true }, doc: { type: Schema.Types.Mixed, required: true } },
);
export const MigrationBackupModel = model('MigrationBackup', migrationBackupSchema);
