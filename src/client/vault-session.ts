// The vault SDK: registration, password login with forward-secret session keys, and requests whose
// bodies and answers are encrypted with the session secret (spec §2, §3.3, §1.3, §1.4).
import { fromHex, toHex } from '../crypto/encoding.js';
import {
  boxKeyPair,
  boxOpen,
  boxPublicKey,
  boxSeal,
  randomBytes,
  secretboxOpen,
  secretboxSeal,
  signDetached,
  signKeyPairFromSeed,
  verifyDetached,
} from '../crypto/nacl.js';
import { DEFAULT_HASHING_PARAMETERS, deriveAuthkey, deriveKek, type HashingParameters } from '../crypto/psono-kdf.js';
import { Secret } from '../crypto/secret.js';
import { openJson, sealJson } from '../protocol/vault/envelope.js';
import type { Transport } from './transport.js';

export class VaultClientError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`vault answered ${status}: ${JSON.stringify(body)}`);
    this.name = 'VaultClientError';
  }
}

export interface ServerInfo {
  info: Record<string, unknown>;
  publicKey: Uint8Array;
  verifyKey: string;
}

export interface LoginOptions {
  username: string;
  password: string;
  deviceFingerprint?: string;
  /** Send device_time (and so the Authorization-Validator on every request). Default true. */
  sendDeviceTime?: boolean;
  sessionDurationSeconds?: number;
  deviceDescription?: string;
  /**
   * Solves the login's second factors (spec §3.15) with the session before it is activated, when the server names
   * any in `required_multifactors`; without it such a login fails at activation.
   */
  secondFactor?: (pending: VaultSession, requiredMultifactors: string[]) => Promise<void>;
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const hex = (value: unknown) => fromHex(String(value).toLowerCase()) ?? new Uint8Array();

function parse(body: string): unknown {
  if (body === '') return undefined;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

export class VaultClient {
  constructor(
    private readonly transport: Transport,
    private readonly options: { pinnedVerifyKey?: string } = {},
  ) {}

  /** The transport, for sessions this client opens. */
  transportForSessions(): Transport {
    return this.transport;
  }

  /** Plain JSON call of an unauthenticated endpoint; answers status and body. */
  async call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const response = await this.transport({
      method,
      path: `/server${path}`,
      headers: { 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, body: parse(response.body) };
  }

  /** GET /info/ with its signature checked (and the verify key pinned, when configured). */
  async info(): Promise<ServerInfo> {
    const { status, body } = await this.call('GET', '/info/');
    const answer = body as { info?: string; signature?: string; verify_key?: string };
    if (status !== 200 || typeof answer.info !== 'string' || !answer.signature || !answer.verify_key) throw new VaultClientError(status, body);
    if (!verifyDetached(hex(answer.verify_key), utf8(answer.info), hex(answer.signature))) throw new Error('the server info signature does not verify');
    if (this.options.pinnedVerifyKey && this.options.pinnedVerifyKey !== answer.verify_key) throw new Error('the server verify key changed');
    const info = JSON.parse(answer.info) as Record<string, unknown>;
    return { info, publicKey: hex(info.public_key), verifyKey: answer.verify_key };
  }

  /** Makes the user's keys on this machine and registers them, encrypted, with the authkey. */
  async register(username: string, email: string, password: string, params: HashingParameters = { ...DEFAULT_HASHING_PARAMETERS }) {
    const userSauce = toHex(randomBytes(32));
    const keyPair = boxKeyPair();
    const userSecretKey = randomBytes(32);
    const kek = await deriveKek(password, userSauce, params);
    const privateKey = secretboxSeal(kek, utf8(toHex(keyPair.secretKey)));
    const secretKey = secretboxSeal(kek, utf8(toHex(userSecretKey)));
    return this.call('POST', '/authentication/register/', {
      username,
      email,
      authkey: await deriveAuthkey(username, password, params),
      public_key: toHex(keyPair.publicKey),
      private_key: toHex(privateKey.ciphertext),
      private_key_nonce: toHex(privateKey.nonce),
      secret_key: toHex(secretKey.ciphertext),
      secret_key_nonce: toHex(secretKey.nonce),
      user_sauce: userSauce,
      hashing_algorithm: 'scrypt',
      hashing_parameters: params,
    });
  }

  /** The full password login of spec §3.3: prelogin, login, activate-token. */
  async login(options: LoginOptions): Promise<VaultSession> {
    const server = await this.info();
    const pre = await this.call('POST', '/authentication/prelogin/', { username: options.username });
    if (pre.status !== 200) throw new VaultClientError(pre.status, pre.body);
    const params = (pre.body as { hashing_parameters: HashingParameters }).hashing_parameters;
    const authkey = await deriveAuthkey(options.username, options.password, params);
    const session = boxKeyPair();
    const loginInfo = boxSeal(
      session.secretKey,
      server.publicKey,
      utf8(
        JSON.stringify({
          username: options.username,
          authkey,
          ...(options.sendDeviceTime === false ? {} : { device_time: new Date().toISOString() }),
          ...(options.deviceFingerprint ? { device_fingerprint: options.deviceFingerprint } : {}),
          device_description: options.deviceDescription ?? 'Blindvault SDK',
        }),
      ),
    );
    const login = await this.call('POST', '/authentication/login/', {
      public_key: toHex(session.publicKey),
      login_info: toHex(loginInfo.ciphertext),
      login_info_nonce: toHex(loginInfo.nonce),
      ...(options.sessionDurationSeconds !== undefined ? { session_duration: options.sessionDurationSeconds } : {}),
    });
    if (login.status !== 200) throw new VaultClientError(login.status, login.body);
    const sealed = login.body as { login_info: string; login_info_nonce: string };
    const opened = boxOpen(server.publicKey, session.secretKey, hex(sealed.login_info), hex(sealed.login_info_nonce));
    if (!opened) throw new Error('the login answer does not open with the server key');
    const answer = JSON.parse(text(opened)) as Record<string, unknown> & { user: Record<string, unknown> };
    const serverSessionKey = hex(answer.session_public_key);
    const sessionSecretHex = boxOpen(serverSessionKey, session.secretKey, hex(answer.session_secret_key), hex(answer.session_secret_key_nonce));
    if (!sessionSecretHex) throw new Error('the session secret does not open');
    const kek = await deriveKek(options.password, String(answer.user.user_sauce), answer.user.hashing_parameters as HashingParameters);
    const userPrivateHex = secretboxOpen(kek, hex(answer.user.private_key), hex(answer.user.private_key_nonce));
    if (!userPrivateHex) throw new Error('the private key does not open with this password');
    const userPrivateKey = hex(text(userPrivateHex));
    const validator = boxOpen(serverSessionKey, userPrivateKey, hex(answer.user_validator), hex(answer.user_validator_nonce));
    if (!validator) throw new Error('the user validator does not open');
    const vaultSession = new VaultSession(this.transport, {
      token: new Secret(String(answer.token)),
      sessionSecret: new Secret(hex(text(sessionSecretHex))),
      deviceFingerprint: options.deviceFingerprint,
      validatorRequired: options.deviceFingerprint !== undefined || options.sendDeviceTime !== false,
      userPrivateKey: new Secret(userPrivateKey),
      username: options.username,
      userPublicKey: String(answer.user.public_key),
      userSauce: String(answer.user.user_sauce),
      hashingParameters: answer.user.hashing_parameters as HashingParameters,
    });
    const required = Array.isArray(answer.required_multifactors) ? answer.required_multifactors.map(String) : [];
    if (required.length > 0 && options.secondFactor) await options.secondFactor(vaultSession, required);
    const verification = secretboxSeal(vaultSession.sessionSecret.reveal(), validator);
    const activated = await vaultSession.request('POST', '/authentication/activate-token/', {
      verification: toHex(verification.ciphertext),
      verification_nonce: toHex(verification.nonce),
    });
    if (activated.status !== 200) throw new VaultClientError(activated.status, activated.body);
    const user = (activated.body as { user: { id: string; secret_key: string; secret_key_nonce: string; email: string } }).user;
    const usk = secretboxOpen(kek, hex(user.secret_key), hex(user.secret_key_nonce));
    if (!usk) throw new Error('the secret key does not open');
    vaultSession.userId = user.id;
    vaultSession.email = user.email;
    vaultSession.userSecretKey = new Secret(hex(text(usk)));
    return vaultSession;
  }
}

export interface ApiKeyCredentials {
  apiKeyId: string;
  /** `ask`: the key's Ed25519 seed (the seed client's api_key_private_key), 64 hex. */
  privateKeyHex: string;
  /** `AKS`: opens the copies of the user's keys (the seed client's api_key_secret_key), 64 hex. */
  secretKeyHex: string;
  deviceDescription?: string;
}

export interface ApiKeySessionInfo {
  restrictToSecrets: boolean;
  read: boolean;
  write: boolean;
}

/** Logs in with an API key as the seed client does (spec §3.9.3) and checks the server's signature. */
export async function loginWithApiKey(
  client: VaultClient,
  credentials: ApiKeyCredentials,
  /** The pinned server verify key (64 hex): the answer is checked against it, without asking /info/ first. */
  pinnedVerifyKey?: string,
): Promise<{ session: VaultSession; key: ApiKeySessionInfo }> {
  const server = pinnedVerifyKey !== undefined ? { verifyKey: pinnedVerifyKey } : await client.info();
  const session = boxKeyPair();
  const info = JSON.stringify({
    api_key_id: credentials.apiKeyId,
    session_public_key: toHex(session.publicKey),
    device_description: credentials.deviceDescription ?? 'Blindvault SDK',
  });
  const signing = signKeyPairFromSeed(hex(credentials.privateKeyHex));
  const login = await client.call('POST', '/api-key/login/', { info, signature: toHex(signDetached(signing.secretKey, utf8(info))) });
  if (login.status !== 200) throw new VaultClientError(login.status, login.body);
  const answer = login.body as { login_info: string; login_info_nonce: string; login_info_signature: string; server_session_public_key: string };
  if (!verifyDetached(hex(server.verifyKey), utf8(answer.login_info), hex(answer.login_info_signature))) throw new Error('the login answer is not signed by the server');
  const opened = boxOpen(hex(answer.server_session_public_key), session.secretKey, hex(answer.login_info), hex(answer.login_info_nonce));
  if (!opened) throw new Error('the login answer does not open');
  const l = JSON.parse(text(opened)) as Record<string, unknown> & { user: Record<string, unknown> };
  const aks = hex(credentials.secretKeyHex);
  const privateHex = l.user.private_key ? secretboxOpen(aks, hex(l.user.private_key), hex(l.user.private_key_nonce)) : undefined;
  const secretHex = l.user.secret_key ? secretboxOpen(aks, hex(l.user.secret_key), hex(l.user.secret_key_nonce)) : undefined;
  const vaultSession = new VaultSession(client.transportForSessions(), {
    token: new Secret(String(l.token)),
    sessionSecret: new Secret(hex(l.session_secret_key)),
    deviceFingerprint: undefined,
    validatorRequired: false,
    userPrivateKey: new Secret(privateHex ? hex(text(privateHex)) : new Uint8Array()),
    username: String(l.user.username),
    userPublicKey: String(l.user.public_key),
    userSauce: '',
    hashingParameters: { ...DEFAULT_HASHING_PARAMETERS },
  });
  if (secretHex) vaultSession.userSecretKey = new Secret(hex(text(secretHex)));
  return {
    session: vaultSession,
    key: { restrictToSecrets: l.api_key_restrict_to_secrets === true, read: l.api_key_read === true, write: l.api_key_write === true },
  };
}

export interface SessionKeys {
  token: Secret<string>;
  sessionSecret: Secret<Uint8Array>;
  deviceFingerprint: string | undefined;
  validatorRequired: boolean;
  userPrivateKey: Secret<Uint8Array>;
  username: string;
  userPublicKey: string;
  userSauce: string;
  hashingParameters: HashingParameters;
}

/** A logged-in session: every request and answer is an envelope under the session secret. */
export class VaultSession {
  readonly token: Secret<string>;
  readonly sessionSecret: Secret<Uint8Array>;
  readonly userPrivateKey: Secret<Uint8Array>;
  readonly username: string;
  readonly userPublicKey: string;
  readonly userSauce: string;
  /** The account's current scrypt parameters (those of the login), which the old authkey was made with. */
  hashingParameters: HashingParameters;
  userId = '';
  email = '';
  userSecretKey: Secret<Uint8Array> = new Secret(new Uint8Array());
  readonly #deviceFingerprint: string | undefined;
  readonly #validatorRequired: boolean;

  constructor(
    private readonly transport: Transport,
    keys: SessionKeys,
  ) {
    this.token = keys.token;
    this.sessionSecret = keys.sessionSecret;
    this.userPrivateKey = keys.userPrivateKey;
    this.#deviceFingerprint = keys.deviceFingerprint;
    this.#validatorRequired = keys.validatorRequired;
    this.username = keys.username;
    this.userPublicKey = keys.userPublicKey;
    this.userSauce = keys.userSauce;
    this.hashingParameters = keys.hashingParameters;
  }

  /** What a stored session needs to be restored (docs/formats/cli-session.md). */
  get deviceFingerprint(): string | undefined {
    return this.#deviceFingerprint;
  }

  get validatorRequired(): boolean {
    return this.#validatorRequired;
  }

  /** The Authorization-Validator header: a fresh envelope per request (spec §1.3). */
  validatorHeader(requestTime = new Date()): string {
    return JSON.stringify(
      sealJson(this.sessionSecret.reveal(), {
        request_time: requestTime.toISOString(),
        request_device_fingerprint: this.#deviceFingerprint ?? '',
      }),
    );
  }

  /** Sends an encrypted request; answers the status and the decrypted body (a 401, and an edge throttle's 429, is plain). */
  async request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, extraHeaders: Record<string, string> = {}) {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      authorization: `Token ${this.token.reveal()}`,
      ...(this.#validatorRequired ? { 'authorization-validator': this.validatorHeader() } : {}),
      ...extraHeaders,
    };
    const response = await this.transport({
      method,
      path: `/server${path}`,
      headers,
      ...(body !== undefined && method !== 'GET' ? { body: JSON.stringify(sealJson(this.sessionSecret.reveal(), body)) } : {}),
    });
    if (response.status === 200 && path === '/user/update/' && body !== null && typeof body === 'object' && 'hashing_parameters' in body) {
      this.hashingParameters = (body as { hashing_parameters: HashingParameters }).hashing_parameters;
    }
    const raw = parse(response.body);
    // A 401 comes before the session is opened, so it is plain JSON (as in Psono).
    if (raw === undefined || response.status === 401) return { status: response.status, body: raw, encrypted: false };
    const opened = openJson(this.sessionSecret.reveal(), raw);
    // A vault throttle answers an authenticated caller encrypted; the per-address edge throttle (failed
    // authentications) answers before any session is known, so plain. Either is only a refusal.
    if (!opened && response.status === 429) return { status: response.status, body: raw, encrypted: false };
    if (!opened) throw new Error(`an answer to an authenticated request was not encrypted: ${response.status} ${response.body.slice(0, 200)}`);
    return { status: response.status, body: opened.value, encrypted: true };
  }

  /** Re-encrypts the same private and secret keys under the new password (spec §2.3, §3.4). */
  async changePassword(oldPassword: string, newPassword: string, params: HashingParameters = this.hashingParameters) {
    const newKek = await deriveKek(newPassword, this.userSauce, params);
    const privateKey = secretboxSeal(newKek, utf8(toHex(this.userPrivateKey.reveal())));
    const secretKey = secretboxSeal(newKek, utf8(toHex(this.userSecretKey.reveal())));
    return this.request('PUT', '/user/update/', {
      email: null,
      authkey: await deriveAuthkey(this.username, newPassword, params),
      authkey_old: await deriveAuthkey(this.username, oldPassword, this.hashingParameters),
      private_key: toHex(privateKey.ciphertext),
      private_key_nonce: toHex(privateKey.nonce),
      secret_key: toHex(secretKey.ciphertext),
      secret_key_nonce: toHex(secretKey.nonce),
      hashing_algorithm: 'scrypt',
      hashing_parameters: params,
    });
  }

  /** The public key a share is boxed to (spec §2.4) belongs with this user's own X25519 secret key. */
  ownsPublicKey(): boolean {
    return toHex(boxPublicKey(this.userPrivateKey.reveal())) === this.userPublicKey;
  }

}
