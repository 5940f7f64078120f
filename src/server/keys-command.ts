// `npm run keys`: prints what a vault client is configured with (the seed's server_url,
// server_public_key and server_signature; the web client's SERVER_PUBLIC_KEY and SERVER_SIGNATURE).
// Public values only; makes the keys on first use, exactly as the server would.
import { loadDotEnv } from '../store/dot-env.js';
import { openSqlDatabase, sqlStores } from '../store/open-stores.js';
import { ConfigError, loadConfig } from './config.js';
import { clientConfiguration } from './vault/client-configuration.js';

async function main(): Promise<void> {
  // The server's settings, .env included: without it the keys of another database would be shown (or made).
  loadDotEnv(process.env);
  const config = loadConfig(process.env, process.argv.slice(2));
  const database = await openSqlDatabase({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  try {
    const keys = await clientConfiguration(config, sqlStores(database).vault);
    process.stdout.write(
      `server_url         ${keys.serverUrl}\n` +
        `server_public_key  ${keys.serverPublicKey}\n` +
        `server_signature   ${keys.serverSignature}\n` +
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
