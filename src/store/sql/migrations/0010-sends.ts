import type { Kysely } from 'kysely';

// Files sent from one vault user to another (docs/send.md): one row per sent file, owned by the file row of the
// same id (removing the file removes the send) and by both users (deleting either removes it).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('sends')
    .addColumn('file_id', 'varchar(36)', (c) => c.primaryKey().references('files.id').onDelete('cascade'))
    .addColumn('sender_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('recipient_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    // send-key-v1 in standard base64 (docs/formats/send-key-v1.md): 172 characters.
    .addColumn('boxed_key', 'varchar(200)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sends_recipient_idx').on('sends').columns(['recipient_id', 'created_at']).execute();
  await db.schema.createIndex('sends_sender_idx').on('sends').columns(['sender_id', 'created_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('sends').execute();
}
