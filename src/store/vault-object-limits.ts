// Bounds on what the vault's objects may take: checked by the store inside the writes they guard.

export interface VaultObjectLimits {
  /** Bytes of `data` over the datastores, secrets and shares one user owns, together. */
  maxStorageBytesPerUser: number;
  /** History entries kept per secret: an update prunes the oldest beyond this many. */
  maxHistoryPerSecret: number;
}

export const DEFAULT_VAULT_OBJECT_LIMITS: VaultObjectLimits = {
  maxStorageBytesPerUser: 256 * 1024 * 1024,
  maxHistoryPerSecret: 100,
};

/** Thrown by a write that would take its owner past `maxStorageBytesPerUser`; nothing was written. */
export class VaultStorageQuotaExceeded extends Error {
  constructor() {
    super('the owner of this vault object has no storage left');
    this.name = 'VaultStorageQuotaExceeded';
  }
}
