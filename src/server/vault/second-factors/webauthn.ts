import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { fromHex, toBase64Url, toHex, utf8Bytes } from '../../../crypto/encoding.js';
import { BlindvaultError } from '../../../protocol/errors.js';
import type { SecondFactorStore } from '../../../store/second-factor-store.js';
import type { UserRecord } from '../../../store/vault-store.js';

// A challenge serves once and for this long (BV; Psono keeps it until the next one).
const CHALLENGE_MS = 5 * 60_000;
const TIMEOUT_MS = 90_000;
const RP_NAME = 'Blindvault';

const refused = () => new BlindvaultError('NO_PERMISSION_OR_NOT_EXIST');
const invalid = () => new BlindvaultError('WEBAUTHN_CREDENTIAL_INVALID');

/**
 * The web client turns `options.challenge` into bytes character by character (not by base64url decoding), so what
 * the authenticator signs, and clientDataJSON carries base64url-encoded, is the UTF-8 of the challenge string.
 */
const signedChallenge = (challenge: string) => toBase64Url(utf8Bytes(challenge));

/** The web client sends response fields in standard base64 (its arrayBufferToBase64); the library reads base64url. */
const base64url = (value: unknown): string => {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) throw invalid();
  return value.replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
};

function parseCredential(text: string, fields: readonly string[]): { id: string; type: 'public-key'; response: Record<string, string> } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid();
  const { id, rawId, type, response } = value as Record<string, unknown>;
  if (type !== 'public-key' || typeof response !== 'object' || response === null) throw invalid();
  const credentialId = base64url(rawId ?? id);
  if (credentialId.length === 0 || credentialId.length > 1400) throw invalid();
  const fieldsOut: Record<string, string> = {};
  for (const name of fields) {
    const field = (response as Record<string, unknown>)[name];
    // userHandle is optional: the web client sends "" for a missing one.
    if (name === 'userHandle' && (field === undefined || field === null || field === '')) continue;
    fieldsOut[name] = base64url(field);
  }
  return { id: credentialId, type: 'public-key', response: fieldsOut };
}

/** WebAuthn ceremonies over @simplewebauthn/server, with the origins this server accepts (BV, §3.15). */
export function createWebauthnCeremonies({ secondFactors, webauthnOrigins, clock }: { secondFactors: SecondFactorStore; webauthnOrigins: readonly string[]; clock: () => Date }) {
  /** The origin as one of ours, with its rp id (the host name), or PROTOCOL_NOT_SUPPORTED. */
  function ourOrigin(text: string): { origin: string; rpId: string } {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new BlindvaultError('PROTOCOL_NOT_SUPPORTED');
    }
    const secure = url.protocol === 'https:' || (url.protocol === 'http:' && url.hostname === 'localhost');
    if (!secure || !webauthnOrigins.includes(url.origin)) throw new BlindvaultError('PROTOCOL_NOT_SUPPORTED');
    return { origin: url.origin, rpId: url.hostname };
  }

  return {
    async registrationOptions(user: UserRecord, originText: string) {
      const { origin, rpId } = ourOrigin(originText);
      const existing = (await secondFactors.list(user.id, 'webauthn')).filter((f) => f.credentialId !== null);
      const options = await generateRegistrationOptions({
        rpName: RP_NAME,
        rpID: rpId,
        userName: user.username,
        userID: new Uint8Array(utf8Bytes(user.id)),
        timeout: TIMEOUT_MS,
        attestationType: 'none',
        excludeCredentials: existing.map((f) => ({ id: f.credentialId as string })),
        // As Psono: no PIN asked of a security key.
        authenticatorSelection: { userVerification: 'discouraged', residentKey: 'discouraged' },
      });
      return { options, challenge: options.challenge, rpId, origin };
    },

    async verifyRegistration(userId: string, factorId: string, credentialText: string) {
      const factor = await secondFactors.find(userId, factorId, 'webauthn');
      if (!factor || factor.active || factor.origin === null || factor.rpId === null) throw refused();
      const credential = parseCredential(credentialText, ['attestationObject', 'clientDataJSON']);
      const challenge = await secondFactors.takeEnrolmentChallenge(userId, factorId, new Date(clock().getTime() - CHALLENGE_MS));
      if (!challenge) throw refused();
      const response = { id: credential.id, rawId: credential.id, type: 'public-key', clientExtensionResults: {}, response: credential.response } as unknown as RegistrationResponseJSON;
      let verified;
      try {
        verified = await verifyRegistrationResponse({
          response,
          expectedChallenge: signedChallenge(challenge),
          expectedOrigin: factor.origin,
          expectedRPID: factor.rpId,
          requireUserVerification: false,
        });
      } catch {
        throw refused();
      }
      if (!verified.verified) throw refused();
      const { credential: made } = verified.registrationInfo;
      return { credentialId: made.id, publicKey: toHex(made.publicKey), signCount: made.counter };
    },

    async authenticationOptions(userId: string, sessionId: string, originText: string) {
      const { origin, rpId } = ourOrigin(originText);
      const credentials = (await secondFactors.list(userId, 'webauthn')).filter((f) => f.active && f.origin === origin && f.credentialId !== null);
      if (credentials.length === 0) throw refused();
      const options = await generateAuthenticationOptions({
        rpID: rpId,
        timeout: TIMEOUT_MS,
        allowCredentials: credentials.map((f) => ({ id: f.credentialId as string })),
        userVerification: 'discouraged',
      });
      if (!(await secondFactors.setSessionChallenge(sessionId, options.challenge, clock()))) throw new BlindvaultError('TOKEN_INCORRECT');
      return { options: { ...options, allowCredentials: options.allowCredentials ?? [] } };
    },

    async verifyAuthentication(userId: string, sessionId: string, credentialText: string): Promise<void> {
      const credential = parseCredential(credentialText, ['authenticatorData', 'clientDataJSON', 'signature', 'userHandle']);
      const factor = await secondFactors.findCredential(userId, credential.id);
      const challenge = await secondFactors.takeSessionChallenge(sessionId, new Date(clock().getTime() - CHALLENGE_MS));
      if (!factor || !challenge || factor.origin === null || factor.rpId === null || factor.publicKey === null) throw refused();
      const response = { id: credential.id, rawId: credential.id, type: 'public-key', clientExtensionResults: {}, response: credential.response } as unknown as AuthenticationResponseJSON;
      const counter = factor.signCount ?? 0;
      let verified;
      try {
        verified = await verifyAuthenticationResponse({
          response,
          expectedChallenge: signedChallenge(challenge),
          expectedOrigin: factor.origin,
          expectedRPID: factor.rpId,
          credential: { id: credential.id, publicKey: fromHex(factor.publicKey) as Uint8Array<ArrayBuffer>, counter },
          requireUserVerification: false,
        });
      } catch {
        // Includes a counter that did not grow (a cloned authenticator): the library refuses it.
        throw refused();
      }
      if (!verified.verified) throw refused();
      const next = verified.authenticationInfo.newCounter;
      if (next !== counter && !(await secondFactors.advanceSignCount(factor.id, counter, next))) throw refused();
    },
  };
}
