/** What the operator's admin command reads and changes; ids and names only, never keys or hashes. */
export interface AdminUser {
  id: string;
  username: string;
  isActive: boolean;
  registrationDate: Date;
  lastLogin: Date | null;
  sessions: number;
}

export interface AdminSession {
  id: string;
  username: string;
  createdAt: Date;
  validTill: Date;
  active: boolean;
  /** A session opened with an API key (not a password login). */
  apiKey: boolean;
  deviceDescription: string | null;
}

export interface FileStats {
  /** Rows by state: pending (an upload under way or abandoned), ready, deleted (awaiting the sweeper). */
  byState: Record<string, number>;
  /** Ciphertext bytes of ready files. */
  readyBytes: number;
  /** Ready files that have expired or been used up, awaiting the sweeper. */
  awaitingSweep: number;
}

export interface AdminStore {
  listUsers(): Promise<AdminUser[]>;
  /** Disabling ends the user's sessions in the same transaction. False when there is no such user. */
  setUserActive(username: string, active: boolean): Promise<boolean>;
  listSessions(username?: string): Promise<AdminSession[]>;
  endSession(id: string): Promise<boolean>;
  fileStats(now: Date): Promise<FileStats>;
  /** Bytes the metadata database takes (PostgreSQL's database size; SQLite's pages). */
  databaseBytes(): Promise<number>;
}
