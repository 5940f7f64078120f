import { Migrator, type Kysely, type KyselyConfig } from 'kysely';
import { migrationProvider } from './migrations/index.js';
import type { Database } from './schema.js';

/** One connection (SQLite file or PostgreSQL pool) shared by every SQL store of a process. */
export interface SqlDatabase {
  readonly backend: 'sqlite' | 'postgres';
  readonly db: Kysely<Database>;
  close(): Promise<void>;
}

export interface SqlDatabaseOptions {
  /** Sees the text of every statement run (never its parameters): the benches count statements with it. */
  onQuery?: (sqlText: string) => void;
  /** false: open without applying pending migrations (the admin command's --check). Default true. */
  migrate?: boolean;
}

/** Kysely's log hook for `onQuery`, when one is given. */
export function queryLog(options: SqlDatabaseOptions): Pick<KyselyConfig, 'log'> {
  const { onQuery } = options;
  if (!onQuery) return {};
  return { log: (event) => { if (event.level === 'query') onQuery(event.query.sql); } };
}

/** Applies pending migrations. Safe when several instances start at once (Kysely takes a lock). */
export async function migrate(db: Kysely<Database>): Promise<void> {
  // Unordered: a migration number reserved for a branch (0012) may land after a later one (0013) was applied.
  const migrator = new Migrator({ db, provider: migrationProvider, allowUnorderedMigrations: true });
  const { error } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
}

/** Migrations this code knows that the database has not applied (empty once `migrate` has run). */
export async function pendingMigrations(db: Kysely<Database>): Promise<string[]> {
  // Unordered: a migration number reserved for a branch (0012) may land after a later one (0013) was applied.
  const migrator = new Migrator({ db, provider: migrationProvider, allowUnorderedMigrations: true });
  return (await migrator.getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/** True when an error from either driver is a unique-constraint violation. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** True when an error from either driver is a foreign-key violation (a parent deleted meanwhile). */
export function isForeignKeyViolation(error: unknown): boolean {
  const e = error as { code?: unknown } | undefined;
  return e?.code === '23503' || e?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

/** What of a driver error may be logged: never its detail, which quotes the values of the row. */
export function describeDatabaseError(error: unknown): Record<string, unknown> {
  const e = error as { name?: unknown; code?: unknown; constraint?: unknown; message?: unknown } | undefined;
  return { name: e?.name, code: e?.code, constraint: e?.constraint, message: typeof e?.message === 'string' ? e.message.slice(0, 200) : undefined };
}
