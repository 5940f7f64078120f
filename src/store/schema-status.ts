/** Whether the database's schema is the one this code expects (for readiness checks). */
export interface SchemaStatus {
  /** Names of the migrations not applied yet; empty when the schema is current. */
  pendingMigrations(): Promise<string[]>;
}
