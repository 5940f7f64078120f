// The one interface behind which the symmetric primitives of crypto/ run: WebCrypto (+ libsodium's WASM build for
// Argon2id) in browsers and Node, or node:crypto (+ sodium-native) in Node only, where it is 5–8× faster for
// AES-GCM (docs/formats/file-v2.md). Both give the same bytes: test/conformance/crypto-backend.ts proves it.
//
// This is crypto/'s internal layer: it takes nonces and IVs as arguments. Code outside crypto/ never calls it
// with a nonce; the format modules (stream/, v1.ts, fernet.ts) draw or derive every nonce themselves.

/** Argon2id cost (RFC 9106): passes `t` and memory in KiB; parallelism is 1 (libsodium's crypto_pwhash). */
export interface Argon2idParams {
  opsLimit: number;
  memLimitKiB: number;
}

/**
 * AES-256-GCM under one imported key, with a 12-byte nonce and a 16-byte tag appended to the ciphertext. The inputs
 * are read before the promise settles and never kept: a caller may reuse their buffers once it has (stream/ does).
 */
export interface Aes256GcmKey {
  seal(nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  /** undefined when the tag does not verify (wrong key, nonce, AAD, or altered bytes). */
  open(nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Promise<Uint8Array | undefined>;
}

export interface CryptoBackend {
  readonly name: string;
  /**
   * Whether two byte strings are equal, in time that depends on their length only (MACs, tags). Different lengths
   * answer false at once: lengths are public.
   */
  constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean;
  /** Bytes from the platform CSPRNG. */
  randomBytes(length: number): Uint8Array;
  sha256(data: Uint8Array): Promise<Uint8Array>;
  hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  /** HKDF-SHA-256 (RFC 5869), extract and expand. */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array>;
  pbkdf2Sha256(password: Uint8Array, salt: Uint8Array, iterations: number, length: number): Promise<Uint8Array>;
  /** Argon2id v1.3 with a 16-byte salt. Callers check the parameters' floors and ceilings first. */
  argon2id(password: Uint8Array, salt: Uint8Array, params: Argon2idParams, length: number): Promise<Uint8Array>;
  importAes256Gcm(key: Uint8Array): Promise<Aes256GcmKey>;
  /** AES-CBC with PKCS#7 padding; the key length (16 or 32 bytes) picks AES-128 or AES-256. */
  aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
  /** undefined when the padding is invalid. Only ever called on a ciphertext whose MAC has been verified. */
  aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array | undefined>;
}

export const AES_GCM_NONCE_BYTES = 12;
export const AES_GCM_TAG_BYTES = 16;
export const ARGON2ID_SALT_BYTES = 16;
