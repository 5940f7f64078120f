// Wire of the second factors: TOTP (Google Authenticator) and WebAuthn (docs/vault-protocol.md §3.15). Shapes and
// bounds only; the codes and credentials are checked by the server's second-factor service.
import { Type } from 'typebox';
import { BlindvaultError } from '../errors.js';
import { FieldReader } from './fields.js';

const MAX_TITLE = 256;
const MAX_ORIGIN = 512;
/** BV: a WebAuthn credential in the web client's JSON is a few KiB at most (attestation 'none' far less). */
export const MAX_CREDENTIAL_JSON = 16_384;

function readCode(f: FieldReader, name: string): string | undefined {
  const code = f.string(name, { required: true, minLength: 6, maxLength: 6 });
  return code;
}

/** PUT /user/ga/ */
export function parseTotpCreateRequest(body: unknown): { title: string } {
  const f = new FieldReader(body);
  const title = f.string('title', { required: true, maxLength: MAX_TITLE });
  f.done();
  return { title: title as string };
}

/** A code of six digits, or GA_TOKENS_ONLY_CONTAIN_DIGITS (after the field checks, as Psono's serializer). */
function digits(code: string): string {
  if (!/^[0-9]{6}$/.test(code)) throw new BlindvaultError('GA_TOKENS_ONLY_CONTAIN_DIGITS');
  return code;
}

/** POST /user/ga/ */
export function parseTotpActivateRequest(body: unknown): { factorId: string; code: string } {
  const f = new FieldReader(body);
  const factorId = f.uuid('google_authenticator_id', true);
  const code = readCode(f, 'google_authenticator_token');
  f.done();
  return { factorId: factorId as string, code: digits(code as string) };
}

/** DELETE /user/ga/ */
export function parseTotpDeleteRequest(body: unknown): { factorId: string } {
  const f = new FieldReader(body);
  const factorId = f.uuid('google_authenticator_id', true);
  f.done();
  return { factorId: factorId as string };
}

/** POST /authentication/ga-verify/ */
export function parseGaVerifyRequest(body: unknown): { code: string } {
  const f = new FieldReader(body);
  const code = readCode(f, 'ga_token');
  f.done();
  return { code: digits(code as string) };
}

/** PUT /user/webauthn/ */
export function parseWebauthnCreateRequest(body: unknown): { title: string; origin: string } {
  const f = new FieldReader(body);
  const title = f.string('title', { required: true, maxLength: MAX_TITLE });
  const origin = f.string('origin', { required: true, maxLength: MAX_ORIGIN });
  f.done();
  return { title: title as string, origin: origin as string };
}

/** PUT /authentication/webauthn-verify/ */
export function parseWebauthnChallengeRequest(body: unknown): { origin: string } {
  const f = new FieldReader(body);
  const origin = f.string('origin', { required: true, maxLength: MAX_ORIGIN });
  f.done();
  return { origin: origin as string };
}

/** POST /user/webauthn/ */
export function parseWebauthnActivateRequest(body: unknown): { factorId: string; credential: string } {
  const f = new FieldReader(body);
  const factorId = f.uuid('webauthn_id', true);
  const credential = f.string('credential', { required: true, maxLength: MAX_CREDENTIAL_JSON });
  f.done();
  return { factorId: factorId as string, credential: credential as string };
}

/** POST /authentication/webauthn-verify/ */
export function parseWebauthnVerifyRequest(body: unknown): { credential: string } {
  const f = new FieldReader(body);
  const credential = f.string('credential', { required: true, maxLength: MAX_CREDENTIAL_JSON });
  f.done();
  return { credential: credential as string };
}

/** POST/DELETE /user/webauthn/ id */
export function parseWebauthnDeleteRequest(body: unknown): { factorId: string } {
  const f = new FieldReader(body);
  const factorId = f.uuid('webauthn_id', true);
  f.done();
  return { factorId: factorId as string };
}

// Answers (allow-lists).
const str = () => Type.String();
const Factor = Type.Object({ id: str(), title: str(), active: Type.Boolean() });
export const TotpListResponse = Type.Object({ google_authenticators: Type.Array(Factor) });
export const TotpCreateResponse = Type.Object({ id: str(), secret: str() });
export const WebauthnListResponse = Type.Object({ webauthns: Type.Array(Factor) });
const Descriptor = Type.Object({ id: str(), type: str(), transports: Type.Optional(Type.Array(str())) });
export const WebauthnCreateResponse = Type.Object({
  id: str(),
  options: Type.Object({
    rp: Type.Object({ name: str(), id: Type.Optional(str()) }),
    user: Type.Object({ id: str(), name: str(), displayName: str() }),
    challenge: str(),
    pubKeyCredParams: Type.Array(Type.Object({ alg: Type.Integer(), type: str() })),
    timeout: Type.Optional(Type.Integer()),
    excludeCredentials: Type.Optional(Type.Array(Descriptor)),
    authenticatorSelection: Type.Optional(
      Type.Object({
        authenticatorAttachment: Type.Optional(str()),
        requireResidentKey: Type.Optional(Type.Boolean()),
        residentKey: Type.Optional(str()),
        userVerification: Type.Optional(str()),
      }),
    ),
    attestation: Type.Optional(str()),
    extensions: Type.Optional(Type.Object({ credProps: Type.Optional(Type.Boolean()) })),
    hints: Type.Optional(Type.Array(str())),
  }),
});
export const WebauthnChallengeResponse = Type.Object({
  options: Type.Object({
    challenge: str(),
    timeout: Type.Optional(Type.Integer()),
    rpId: Type.Optional(str()),
    allowCredentials: Type.Array(Descriptor),
    userVerification: Type.Optional(str()),
    extensions: Type.Optional(Type.Object({})),
    hints: Type.Optional(Type.Array(str())),
  }),
});
