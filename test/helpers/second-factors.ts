// Test-side second factors (docs/vault-protocol.md §3.15), written apart from the server: base32 decoding of a TOTP
// secret, and a software WebAuthn security key (ECDSA P-256, attestation 'none', assertions signed by hand).
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();

/** RFC 4648 base32 decoding, written apart from the server's encoder. */
export function fromBase32(text: string): Uint8Array {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of text) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const out: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
  return Uint8Array.from(out);
}

/** Just enough CBOR (RFC 8949) for an attestation object and a COSE key. */
function cbor(value: unknown): Buffer {
  const head = (major: number, n: number) => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 256) return Buffer.from([(major << 5) | 24, n]);
    return Buffer.from([(major << 5) | 25, n >> 8, n & 255]);
  };
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), Buffer.from(value)]);
  if (value instanceof Map) return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])]);
  throw new Error('cbor: unsupported');
}

/** A software security key: one P-256 credential with a signature counter. */
export function softwareAuthenticator(ORIGIN: string, RP_ID: string) {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const credentialId = randomBytes(32);
  const coseKey = cbor(new Map<number, unknown>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x as string, 'base64url')], [-3, Buffer.from(jwk.y as string, 'base64url')]]));
  const clientData = (type: string, challenge: string, origin = ORIGIN) =>
    // The web client hands the challenge string to the browser character by character: the UTF-8 of it is signed.
    Buffer.from(JSON.stringify({ type, challenge: b64url(Buffer.from(challenge, 'utf8')), origin, crossOrigin: false }));
  return {
    credentialId,
    /** The web client's JSON of navigator.credentials.create(): response fields in standard base64. */
    register(challenge: string, rpId = RP_ID, origin = ORIGIN): string {
      const len = Buffer.from([credentialId.length >> 8, credentialId.length & 255]);
      const authData = Buffer.concat([sha256(Buffer.from(rpId)), Buffer.from([0x41]), Buffer.alloc(4), Buffer.alloc(16), len, credentialId, coseKey]);
      const attestationObject = cbor(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
      return JSON.stringify({
        id: b64url(credentialId), rawId: b64url(credentialId), type: 'public-key', authenticatorAttachment: 'cross-platform',
        response: { attestationObject: b64(attestationObject), clientDataJSON: b64(clientData('webauthn.create', challenge, origin)) },
      });
    },
    /** The web client's JSON of navigator.credentials.get(), signed with the given counter. */
    assert(challenge: string, counter: number): string {
      const count = Buffer.alloc(4);
      count.writeUInt32BE(counter);
      const authData = Buffer.concat([sha256(Buffer.from(RP_ID)), Buffer.from([0x01]), count]);
      const clientDataJSON = clientData('webauthn.get', challenge);
      const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), privateKey);
      return JSON.stringify({
        id: b64url(credentialId), rawId: b64url(credentialId), type: 'public-key', authenticatorAttachment: 'cross-platform',
        response: { authenticatorData: b64(authData), clientDataJSON: b64(clientDataJSON), signature: b64(signature), userHandle: '' },
      });
    },
  };
}
