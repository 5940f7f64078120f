import type { Migration, MigrationProvider } from 'kysely';
import * as files from './0001-files.js';
import * as vault from './0002-vault.js';
import * as vaultObjects from './0003-vault-objects.js';
import * as sessionLifetime from './0004-session-lifetime.js';
import * as oneDefaultDatastore from './0005-one-default-datastore.js';
import * as separateLinkKinds from './0006-separate-link-kinds.js';
import * as storageBounds from './0007-storage-bounds.js';
import * as uploads from './0008-uploads.js';
import * as sweepLeases from './0009-sweep-leases.js';
import * as sends from './0010-sends.js';
import * as groups from './0011-groups.js';
import * as secondFactors from './0012-second-factors.js';
import * as accountRecovery from './0013-account-recovery.js';
import * as linkShares from './0014-link-shares.js';

// Listed here rather than read from the folder, so the compiled server and the tests run the same set.
const MIGRATIONS: Record<string, Migration> = {
  '0001-files': files,
  '0002-vault': vault,
  '0003-vault-objects': vaultObjects,
  '0004-session-lifetime': sessionLifetime,
  '0005-one-default-datastore': oneDefaultDatastore,
  '0006-separate-link-kinds': separateLinkKinds,
  '0007-storage-bounds': storageBounds,
  '0008-uploads': uploads,
  '0009-sweep-leases': sweepLeases,
  '0010-sends': sends,
  '0011-groups': groups,
  '0012-second-factors': secondFactors,
  '0013-account-recovery': accountRecovery,
  '0014-link-shares': linkShares,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};
