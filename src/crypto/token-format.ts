// What a bearer token looks like, without the code that makes or hashes one (token.ts, over libsodium): schemas and
// the SDK check the shape without loading libsodium's WASM.

/** Bearer tokens are 32 bytes from the CSPRNG, base64url without padding (43 characters). */
export const TOKEN_BYTES = 32;
export const TOKEN_PATTERN = '^[A-Za-z0-9_-]{43}$';
