// `npm run keys`: prints what a vault client is configured with (the seed's server_url,
// server_public_key and server_signature; the web client's SERVER_PUBLIC_KEY and SERVER_SIGNATURE).
// Public values only; makes the keys on first use, exactly as the server would.
import { toHex } from '../crypto/encoding.js';
import { readKeyFile } from '../store/key-file.js';
import { openSqlDatabase, sqlStores } from '../store/open-stores.js';
import { ConfigError, loadConfig } from './config.js';
import { loadServerKeys } from './vault/server-keys.js';

async function main(): Promise<void> {
  const config = loadConfig(process.env, process.argv.slice(2));
  const database = await openSqlDatabase({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  try {
    const keyFile = config.vault.keyFile === undefined ? undefined : await readKeyFile(config.vault.keyFile);
    const keys = await loadServerKeys(sqlStores(database).vault, keyFile ? { ...config.vault, ...keyFile } : config.vault);
    const base = config.publicUrl ?? `http://${config.host}:${config.port}`;
    process.stdout.write(
      `server_url         ${base}/server\n` +
        `server_public_key  ${toHex(keys.boxPublicKey)}\n` +
        `server_signature   ${toHex(keys.verifyKey)}\n` +
        `# keys from: ${keys.source}; server_signature is the verify_key of GET /server/info/\n`,
    );
  } finally {
    await database.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`blindvault keys: ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
