import { fromHex, toHex } from '../../crypto/encoding.js';
import { boxPublicKey, randomBytes, signDetached, signKeyPairFromSeed } from '../../crypto/nacl.js';
import { Secret } from '../../crypto/secret.js';
import type { VaultStore } from '../../store/vault-store.js';
import type { VaultConfig } from '../config.js';

/** The server's vault key material (spec §1.1), the same in every instance. */
export interface ServerKeys {
  boxSecretKey: Secret<Uint8Array>;
  boxPublicKey: Uint8Array;
  /** libsodium's 64-byte Ed25519 secret key. */
  signSecretKey: Secret<Uint8Array>;
  verifyKey: Uint8Array;
  /** Server-side keys for the e-mail addresses: an HMAC key for lookups, a secretbox key for the copy. */
  emailHmacKey: Secret<Uint8Array>;
  emailBoxKey: Secret<Uint8Array>;
  /** Seals the TOTP secrets at rest (docs/formats/totp-secret-v1.md). */
  secondFactorKey: Secret<Uint8Array>;
  /** Where the login keys came from, for the operator (never the keys themselves). */
  source: 'configuration' | 'psono-migration' | 'database';
}

const newKeyHex = () => toHex(randomBytes(32));

async function stored(vault: VaultStore, name: string): Promise<Uint8Array> {
  const hex = await vault.getOrCreateServerSecret(name, newKeyHex);
  const bytes = fromHex(hex);
  if (bytes?.length !== 32) throw new Error(`server secret ${name} is damaged in the database`);
  return bytes;
}

/**
 * Keys from the configuration when given; else made on first start and kept in the metadata store,
 * so every instance behind a load balancer uses the same ones. Two independent keys (box and
 * signing), unless a Psono PRIVATE_KEY is imported, which Psono uses for both (vector V10).
 */
export async function loadServerKeys(vault: VaultStore, config: VaultConfig): Promise<ServerKeys> {
  let boxSecret: Uint8Array;
  let signingSeed: Uint8Array;
  let source: ServerKeys['source'];
  if (config.psonoPrivateKeyHex) {
    boxSecret = fromHex(config.psonoPrivateKeyHex) as Uint8Array;
    signingSeed = boxSecret;
    source = 'psono-migration';
  } else if (config.boxPrivateKeyHex && config.signingSeedHex) {
    boxSecret = fromHex(config.boxPrivateKeyHex) as Uint8Array;
    signingSeed = fromHex(config.signingSeedHex) as Uint8Array;
    source = 'configuration';
  } else {
    boxSecret = await stored(vault, 'vault_box_private_key');
    signingSeed = await stored(vault, 'vault_signing_seed');
    source = 'database';
  }
  const signing = signKeyPairFromSeed(signingSeed);
  return {
    boxSecretKey: new Secret(boxSecret),
    boxPublicKey: boxPublicKey(boxSecret),
    signSecretKey: new Secret(signing.secretKey),
    verifyKey: signing.publicKey,
    emailHmacKey: new Secret(await stored(vault, 'vault_email_hmac_key')),
    emailBoxKey: new Secret(await stored(vault, 'vault_email_box_key')),
    secondFactorKey: new Secret(await stored(vault, 'vault_second_factor_key')),
    source,
  };
}

/** The signed server description of GET /server/info/ (spec §3.1), built once. */
export interface SignedInfo {
  info: string;
  signature: string;
  verify_key: string;
}

export function buildSignedInfo(keys: ServerKeys, options: { webClientUrl: string; allowUserSearchByEmail: boolean }): SignedInfo {
  const info = JSON.stringify({
    // The web client needs three space-separated words, the third ending in ")", and refuses CE
    // below 4.0.14; 5.4.0 and later would show file attachments, which Blindvault's vault has not.
    version: '5.3.0 (Build b1d7a001)',
    api: 1,
    type: 'CE',
    log_audit: false,
    public_key: toHex(keys.boxPublicKey),
    authentication_methods: ['AUTHKEY'],
    web_client: options.webClientUrl,
    management: false,
    files: false,
    allowed_file_repository_types: [],
    // TOTP and WebAuthn only (§3.15): YubiKey OTP, Duo and iVALT need outside services, so the client hides them.
    allowed_second_factors: ['google_authenticator', 'webauthn'],
    multifactor_enabled: false,
    system_wide_duo_exists: false,
    domain_synonyms: [],
    excluded_domains: [],
    favicon_service_url: '',
    auto_prolongation_token_time_valid: 0,
    disable_central_security_reports: true,
    disable_callbacks: true,
    allow_user_search_by_email: options.allowUserSearchByEmail,
    allow_user_search_by_username_partial: false,
    credit_buy_address: 'https://example.com',
    credit_costs_upload: '0',
    credit_costs_download: '0',
    credit_costs_storage: '0',
    avatar_dimension_x: 256,
    avatar_dimension_y: 256,
    avatar_max_size_kb: 100,
    compliance_disable_emergency_codes: false,
    compliance_disable_recovery_codes: false,
    compliance_disable_link_shares: false,
    compliance_disable_file_repositories: true,
    compliance_disable_offline_mode: false,
    compliance_disable_export: false,
    compliance_disable_unmanaged_groups: false,
  });
  const signature = signDetached(keys.signSecretKey.reveal(), new TextEncoder().encode(info));
  return { info, signature: toHex(signature), verify_key: toHex(keys.verifyKey) };
}
