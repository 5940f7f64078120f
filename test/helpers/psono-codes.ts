// The client's side of Psono's recovery and emergency codes (docs/vault-protocol.md §3.13–3.14), as the official web
// client does it (password-recovery-code.js, emmergency-code.js, user.js), over src/crypto only: tests act as that
// client. test/vectors/generate_recovery_code_vectors.py checks the same steps with PyNaCl and hashlib.
import { fromHex, toHex } from '../../src/crypto/encoding.js';
import { boxOpen, boxSeal, randomBytes, secretboxOpen, secretboxSeal } from '../../src/crypto/nacl.js';
import { DEFAULT_HASHING_PARAMETERS, deriveAuthkey, deriveKek, sha512Hex, type HashingParameters } from '../../src/crypto/psono-kdf.js';

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const hex = (value: string) => fromHex(value.toLowerCase()) as Uint8Array;

/** base-x's base58 (Bitcoin alphabet), as the web client's converter writes it. */
export function toBase58(bytes: Uint8Array): string {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  let out = '';
  while (n > 0n) {
    out = BASE58[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = `1${out}`;
  }
  return out;
}

/** The code as the user writes it down: chunks of 11 base58 characters, each with two checksum characters. */
export function withChecksums(code: string): string {
  const chunks = code.match(/.{1,11}/g) ?? [];
  return chunks.map((chunk) => chunk + toBase58(hex(sha512Hex(chunk))).slice(0, 2)).join('');
}

/** The user's keys as a code encrypts them: hex strings. */
export interface UserKeysHex {
  userPrivateKey: string;
  userSecretKey: string;
}

export interface ClientCode {
  /** rc: the base58 code without checksums, the secret every derivation uses. */
  code: string;
  authkey: string;
  sauce: string;
  data: string;
  dataNonce: string;
}

/** authkey(username, code) of §2.2 with the default parameters, as the web client fixes them. */
export function codeAuthkey(username: string, code: string): Promise<string> {
  return deriveAuthkey(username, code, DEFAULT_HASHING_PARAMETERS);
}

/** A fresh code and its ciphertext of the user's keys (recoveryGenerateInformation / createEmergencyCode). */
export async function makeCode(username: string, keys: UserKeysHex, code = toBase58(randomBytes(16))): Promise<ClientCode> {
  const sauce = toHex(randomBytes(32));
  const kek = await deriveKek(code, sauce, DEFAULT_HASHING_PARAMETERS);
  const sealed = secretboxSeal(kek, utf8(JSON.stringify({ user_private_key: keys.userPrivateKey, user_secret_key: keys.userSecretKey })));
  return { code, authkey: await codeAuthkey(username, code), sauce, data: toHex(sealed.ciphertext), dataNonce: toHex(sealed.nonce) };
}

/** Opens a code's data with the code (recoveryEnable / armEmergencyCode); undefined when it does not open. */
export async function openCodeData(code: string, sauce: string, data: string, nonce: string): Promise<UserKeysHex | undefined> {
  const kek = await deriveKek(code, sauce, DEFAULT_HASHING_PARAMETERS);
  const opened = secretboxOpen(kek, hex(data), hex(nonce));
  if (!opened) return undefined;
  const parsed = JSON.parse(text(opened)) as { user_private_key: string; user_secret_key: string };
  return { userPrivateKey: parsed.user_private_key, userSecretKey: parsed.user_secret_key };
}

/** box(user private key → verifier public key, JSON): the `update_data` of both second steps. */
export function boxToVerifier(payload: unknown, verifierPublicKey: string, userPrivateKeyHex: string): { update_data: string; update_data_nonce: string } {
  const sealed = boxSeal(hex(userPrivateKeyHex), hex(verifierPublicKey), utf8(JSON.stringify(payload)));
  return { update_data: toHex(sealed.ciphertext), update_data_nonce: toHex(sealed.nonce) };
}

/** The new credentials of a reset (user.js setPassword): the same keys under the new password's KEK. */
export async function resetPayload(
  username: string,
  newPassword: string,
  userSauce: string,
  keys: UserKeysHex,
  params: HashingParameters = DEFAULT_HASHING_PARAMETERS,
): Promise<Record<string, string>> {
  const kek = await deriveKek(newPassword, userSauce, params);
  const privateKey = secretboxSeal(kek, utf8(keys.userPrivateKey));
  const secretKey = secretboxSeal(kek, utf8(keys.userSecretKey));
  return {
    authkey: await deriveAuthkey(username, newPassword, params),
    private_key: toHex(privateKey.ciphertext),
    private_key_nonce: toHex(privateKey.nonce),
    secret_key: toHex(secretKey.ciphertext),
    secret_key_nonce: toHex(secretKey.nonce),
  };
}

/** Opens the emergency login's answer with the server's public key and the caller's session secret key. */
export function openLoginInfo(answer: { login_info: string; login_info_nonce: string }, serverPublicKey: Uint8Array, sessionSecretKey: Uint8Array): Record<string, string> | undefined {
  const opened = boxOpen(serverPublicKey, sessionSecretKey, hex(answer.login_info), hex(answer.login_info_nonce));
  return opened ? (JSON.parse(text(opened)) as Record<string, string>) : undefined;
}
