import type { Kysely } from 'kysely';

// Second factors of vault users (docs/vault-protocol.md §3.15): TOTP secrets sealed with a server key
// (docs/formats/totp-secret-v1.md) and WebAuthn credentials (public keys only). A password login of a user with an
// active factor makes a session whose factor is pending; it cannot be activated until the factor is solved.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('second_factors')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('user_id', 'varchar(36)', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('title', 'varchar(256)', (c) => c.notNull())
    .addColumn('active', 'boolean', (c) => c.notNull())
    .addColumn('totp_secret', 'varchar(160)')
    // WebAuthn: the credential id (base64url), its COSE public key (hex), the authenticator's signature counter.
    .addColumn('credential_id', 'varchar(2048)', (c) => c.unique())
    .addColumn('public_key', 'text')
    .addColumn('sign_count', 'bigint')
    .addColumn('origin', 'varchar(512)')
    .addColumn('rp_id', 'varchar(255)')
    // The enrolment's challenge, used once.
    .addColumn('challenge', 'varchar(128)')
    .addColumn('challenge_issued_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('second_factors_user_idx').on('second_factors').columns(['user_id', 'created_at']).execute();

  await db.schema.alterTable('sessions').addColumn('second_factor_pending', 'boolean', (c) => c.notNull().defaultTo(false)).execute();
  // The login's WebAuthn challenge, per session (Psono keeps one per credential, so two logins race).
  await db.schema.alterTable('sessions').addColumn('webauthn_challenge', 'varchar(128)').execute();
  await db.schema.alterTable('sessions').addColumn('webauthn_challenge_issued_at', 'bigint').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').dropColumn('webauthn_challenge_issued_at').execute();
  await db.schema.alterTable('sessions').dropColumn('webauthn_challenge').execute();
  await db.schema.alterTable('sessions').dropColumn('second_factor_pending').execute();
  await db.schema.dropTable('second_factors').execute();
}
