"""
Independent Python client for the Blindvault vault protocol (Psono-compatible), password login.

Written from spec/vault-protocol.md (in the shared folder beside the repository) (§0, §1, §2.1-2.3, §2.9, §3.1-3.4) only.
Runs with Debian's /usr/bin/python3 + python3-nacl + python3-requests; scrypt comes from hashlib.

Layers:
  raw(method, path, ...)          -> Reply (status, body, encrypted, headers); no crypto, no checks
  request(method, path, body)     -> (status, decoded_body) for an authenticated session: envelope
                                     in both directions, Authorization-Validator when required.
                                     Raises ProtocolError when a response that must be encrypted is not.
  info/register/prelogin/login/sessions/logout/change_password/search/status/delete_account
                                  -> high level; raise VaultError(status, body) on unexpected status.
"""

import binascii
import datetime
import hashlib
import json
import os
import socket

import nacl.encoding
import nacl.exceptions
import nacl.secret
import nacl.signing
import nacl.utils
from nacl.public import Box, PrivateKey, PublicKey
import requests

DEFAULT_HASHING_PARAMETERS = {'u': 14, 'r': 8, 'p': 1, 'l': 64}

# Responses that may legitimately be plain on an authenticated request (§0.1 unknown path, §0.3/§1.4 401).
PLAIN_STATUSES_ALLOWED = (401, 404)


class VaultError(Exception):
    """A high-level call got a status it did not expect."""

    def __init__(self, status, body, what=''):
        self.status = status
        self.body = body
        super().__init__('%s: HTTP %s %s' % (what or 'vault request failed', status, json.dumps(body)))


class ProtocolError(Exception):
    """The server broke the wire contract (e.g. unencrypted response on a session, bad signature)."""


class Reply(object):
    def __init__(self, status, body, encrypted, headers, raw_text):
        self.status = status
        self.body = body
        self.encrypted = encrypted
        self.headers = headers
        self.raw_text = raw_text

    def __iter__(self):  # allows `status, body = reply`
        return iter((self.status, self.body))

    def __repr__(self):
        return 'Reply(%s, %s%s)' % (self.status, json.dumps(self.body), ', encrypted' if self.encrypted else '')


# ----------------------------------------------------------------------------------------------------------------
# Crypto primitives (§2.1-2.3)
# ----------------------------------------------------------------------------------------------------------------

def hexlify(b):
    return binascii.hexlify(b).decode()


def unhex(s):
    return binascii.unhexlify(s)


def sha512hex(text):
    return hashlib.sha512(text.encode('utf-8')).hexdigest()


def sha256hex(text):
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def effective_parameters(server_params):
    """The web client uses max(default, server value) per parameter (§2.1)."""
    params = dict(DEFAULT_HASHING_PARAMETERS)
    for k, v in (server_params or {}).items():
        if k in params:
            params[k] = max(params[k], int(v))
    return params


def scrypt_hex(password, salt_text, params):
    n = 2 ** int(params['u'])
    r = int(params['r'])
    p = int(params['p'])
    dklen = int(params['l'])
    maxmem = 128 * r * (n + p + 2) + 64 * 1024 * 1024
    return hexlify(hashlib.scrypt(password.encode('utf-8'), salt=salt_text.encode('utf-8'),
                                  n=n, r=r, p=p, dklen=dklen, maxmem=maxmem))


def derive_authkey(username, password, params=None):
    """§2.2: hex(scrypt(pw, sha512hex(lower(username))))."""
    return scrypt_hex(password, sha512hex(username.lower()), params or DEFAULT_HASHING_PARAMETERS)


def derive_kek(password, user_sauce, params=None):
    """§2.3: bytes.fromhex(sha256hex(hex(scrypt(pw, sha512hex(user_sauce)))))."""
    return unhex(sha256hex(scrypt_hex(password, sha512hex(user_sauce), params or DEFAULT_HASHING_PARAMETERS)))


def secretbox_encrypt(key, plaintext):
    if isinstance(plaintext, str):
        plaintext = plaintext.encode('utf-8')
    nonce = nacl.utils.random(nacl.secret.SecretBox.NONCE_SIZE)
    ct = nacl.secret.SecretBox(key).encrypt(plaintext, nonce).ciphertext
    return hexlify(ct), hexlify(nonce)


def secretbox_decrypt(key, text_hex, nonce_hex):
    return nacl.secret.SecretBox(key).decrypt(unhex(text_hex), unhex(nonce_hex))


def box_encrypt(sk, pk, plaintext):
    if isinstance(plaintext, str):
        plaintext = plaintext.encode('utf-8')
    nonce = nacl.utils.random(Box.NONCE_SIZE)
    ct = Box(sk, pk).encrypt(plaintext, nonce).ciphertext
    return hexlify(ct), hexlify(nonce)


def box_decrypt(sk, pk, text_hex, nonce_hex):
    return Box(sk, pk).decrypt(unhex(text_hex), unhex(nonce_hex))


def private_key_from_hex(h):
    return PrivateKey(h, encoder=nacl.encoding.HexEncoder)


def public_key_from_hex(h):
    return PublicKey(h, encoder=nacl.encoding.HexEncoder)


def now_iso():
    # Same shape as JS new Date().toISOString(): 2026-11-22T10:15:30.123Z
    t = datetime.datetime.now(datetime.timezone.utc)
    return t.strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (t.microsecond // 1000)


def compact_json(obj):
    return json.dumps(obj, separators=(',', ':'), ensure_ascii=False)


def is_envelope(obj):
    return isinstance(obj, dict) and isinstance(obj.get('text'), str) and isinstance(obj.get('nonce'), str)


# ----------------------------------------------------------------------------------------------------------------
# Client
# ----------------------------------------------------------------------------------------------------------------

class VaultClient(object):
    """One client = at most one session. Make several instances for several sessions of a user."""

    def __init__(self, server_url, verify_key=None, timeout=60):
        if not server_url.rstrip('/').endswith('/server'):
            raise ValueError('server_url must end in /server: %r' % server_url)
        self.server_url = server_url.rstrip('/')
        self.pinned_verify_key = verify_key.lower() if verify_key else None
        self.timeout = timeout
        self.http = requests.Session()
        self.http.trust_env = False  # never route 127.0.0.1 through a proxy
        self.server_public_key = None  # hex, from the verified /info/ text
        self.server_info = None
        self.last = None  # last Reply
        self._reset_session()

    def _reset_session(self):
        self.token = None
        self.session_secret_key = None  # bytes S
        self.device_fingerprint = None
        self.requires_validator = False
        self.user = None  # login R.user + activate-token user merged
        self.user_id = None
        self.username = None
        self.password = None
        self.hashing_parameters = None
        self.user_private_key = None  # hex of X25519 secret
        self.user_public_key = None
        self.user_secret_key = None  # hex USK
        self.login_response = None  # decrypted R
        self.session_valid_till = None

    # ------------------------------------------------------------------ plumbing

    def url(self, path):
        if not path.startswith('/'):
            path = '/' + path
        return self.server_url + path

    def raw(self, method, path, body=None, data=None, headers=None, token=None, decrypt_key=None):
        """Low-level HTTP. `body` is JSON-serialised as is; `data` is sent verbatim. Never raises on status.
        If decrypt_key is given and the response is an envelope, it is decrypted (reply.encrypted = True)."""
        h = {'Accept': 'application/json'}
        if token:
            h['Authorization'] = 'Token ' + token
        if body is not None:
            data = compact_json(body).encode('utf-8')
        if data is not None:
            h['Content-Type'] = 'application/json'
        if headers:
            h.update(headers)
        r = self.http.request(method, self.url(path), data=data, headers=h, timeout=self.timeout)
        text = r.text
        parsed = None
        encrypted = False
        if text.strip():
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = text
            if decrypt_key is not None and is_envelope(parsed):
                try:
                    parsed = json.loads(secretbox_decrypt(decrypt_key, parsed['text'], parsed['nonce']).decode('utf-8'))
                except (nacl.exceptions.CryptoError, ValueError, TypeError) as e:
                    raise ProtocolError('%s %s -> %s: envelope does not decrypt with the session key (%s): %s'
                                        % (method, path, r.status_code, e, text[:300]))
                encrypted = True
        self.last = Reply(r.status_code, parsed, encrypted, r.headers, text)
        return self.last

    def validator_header(self, request_time=None, fingerprint=None, key=None, nonce=None):
        """§1.3 header value: secretbox(S, {"request_time", "request_device_fingerprint"}) as JSON text."""
        payload = {
            'request_time': request_time or now_iso(),
            'request_device_fingerprint': (self.device_fingerprint or '') if fingerprint is None else fingerprint,
        }
        key = key or self.session_secret_key
        plaintext = compact_json(payload).encode('utf-8')
        nonce = nonce or nacl.utils.random(nacl.secret.SecretBox.NONCE_SIZE)
        ct = nacl.secret.SecretBox(key).encrypt(plaintext, nonce).ciphertext
        return compact_json({'text': hexlify(ct), 'nonce': hexlify(nonce)})

    def envelope(self, obj, key=None):
        text, nonce = secretbox_encrypt(key or self.session_secret_key, compact_json(obj))
        return {'text': text, 'nonce': nonce}

    def request_reply(self, method, path, body=None, token=None, key=None, headers=None, validator=None,
                      raw_body=None, allow_plain=False):
        """Authenticated request; returns the Reply. Body encrypted as an envelope (non-GET without body: `{}`).
        validator: None = automatic (sent iff the login sent fingerprint/device_time), False = never,
        a string = that exact header value."""
        token = token or self.token
        key = key or self.session_secret_key
        if token is None or key is None:
            raise ProtocolError('not logged in')
        h = dict(headers or {})
        if validator is None:
            if self.requires_validator:
                h['Authorization-Validator'] = self.validator_header(key=key)
        elif validator is not False:
            h['Authorization-Validator'] = validator
        data = None
        if raw_body is not None:
            data = raw_body if isinstance(raw_body, (bytes, str)) else compact_json(raw_body)
        elif method.upper() != 'GET':
            data = compact_json(self.envelope(body if body is not None else {}, key=key))
        reply = self.raw(method, path, data=data, headers=h, token=token, decrypt_key=key)
        if reply.raw_text.strip() and not reply.encrypted and not allow_plain:
            if reply.status not in PLAIN_STATUSES_ALLOWED:
                raise ProtocolError('%s %s -> %s: response must be an encrypted envelope (§1.4) but is plain: %s'
                                    % (method, path, reply.status, reply.raw_text[:300]))
        return reply

    def request(self, method, path, body=None, **kw):
        """-> (status, decoded body). 401/404 bodies are returned plain; any other plain body raises ProtocolError."""
        reply = self.request_reply(method, path, body, **kw)
        return reply.status, reply.body

    def call(self, method, path, body=None, expect=200, what=None):
        status, resp = self.request(method, path, body)
        if status != expect:
            raise VaultError(status, resp, what or '%s %s' % (method, path))
        return resp

    # ------------------------------------------------------------------ §3.1

    def info(self, verify_key=None):
        """GET /info/; verifies `signature` over the exact `info` text with `verify_key` (and the pin, if any)."""
        reply = self.raw('GET', '/info/')
        if reply.status != 200:
            raise VaultError(reply.status, reply.body, 'GET /info/')
        body = reply.body
        if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ('info', 'signature', 'verify_key')):
            raise ProtocolError('GET /info/: expected {info, signature, verify_key} strings, got %r' % (body,))
        vk_hex = body['verify_key']
        pin = (verify_key or self.pinned_verify_key)
        if pin and vk_hex.lower() != pin.lower():
            raise ProtocolError('GET /info/: verify_key %s differs from pinned %s' % (vk_hex, pin))
        try:
            nacl.signing.VerifyKey(vk_hex, encoder=nacl.encoding.HexEncoder).verify(
                body['info'].encode('utf-8'), unhex(body['signature']))
        except (nacl.exceptions.BadSignatureError, ValueError, TypeError) as e:
            raise ProtocolError('GET /info/: signature does not verify over the info text: %s' % e)
        info = json.loads(body['info'])
        pk = info.get('public_key')
        if not isinstance(pk, str) or len(pk) != 64:
            raise ProtocolError('GET /info/: info.public_key is not 64 hex: %r' % (pk,))
        public_key_from_hex(pk)
        self.server_public_key = pk.lower()
        self.server_info = info
        if not self.pinned_verify_key:
            self.pinned_verify_key = vk_hex.lower()  # trust on first use
        return {'info': info, 'verify_key': vk_hex, 'public_key': pk, 'signature': body['signature'],
                'info_text': body['info']}

    def _server_pk(self):
        if self.server_public_key is None:
            self.info()
        return public_key_from_hex(self.server_public_key)

    # ------------------------------------------------------------------ §3.2

    def register_request(self, username, email, password, hashing_parameters=None):
        """Builds the POST /authentication/register/ body (§2.2/§2.3). Returns (body, keys)."""
        params = dict(hashing_parameters or DEFAULT_HASHING_PARAMETERS)
        user_sauce = hexlify(nacl.utils.random(32))
        box_sk = PrivateKey.generate()
        sk_hex = hexlify(bytes(box_sk))
        pk_hex = hexlify(bytes(box_sk.public_key))
        usk_hex = hexlify(nacl.utils.random(32))
        kek = derive_kek(password, user_sauce, params)
        private_key, private_key_nonce = secretbox_encrypt(kek, sk_hex)
        secret_key, secret_key_nonce = secretbox_encrypt(kek, usk_hex)
        body = {
            'email': email,
            'username': username,
            'authkey': derive_authkey(username, password, params),
            'public_key': pk_hex,
            'private_key': private_key,
            'private_key_nonce': private_key_nonce,
            'secret_key': secret_key,
            'secret_key_nonce': secret_key_nonce,
            'user_sauce': user_sauce,
            'hashing_algorithm': 'scrypt',
            'hashing_parameters': params,
        }
        keys = {'private_key': sk_hex, 'public_key': pk_hex, 'secret_key': usk_hex, 'user_sauce': user_sauce}
        return body, keys

    def register(self, username, email, password, hashing_parameters=None):
        body, keys = self.register_request(username, email, password, hashing_parameters)
        reply = self.raw('POST', '/authentication/register/', body=body)
        if reply.status != 201:
            raise VaultError(reply.status, reply.body, 'register')
        return {'response': reply.body, 'keys': keys}

    # ------------------------------------------------------------------ §3.3

    def prelogin(self, username):
        reply = self.raw('POST', '/authentication/prelogin/', body={'username': username})
        if reply.status != 200:
            raise VaultError(reply.status, reply.body, 'prelogin')
        body = reply.body
        if not isinstance(body, dict) or body.get('hashing_algorithm') != 'scrypt' \
                or not isinstance(body.get('hashing_parameters'), dict):
            raise ProtocolError('prelogin: expected scrypt + hashing_parameters, got %r' % (body,))
        return body

    def login_raw(self, username, password, device_fingerprint=None, device_time=True, session_duration=None,
                  device_description=None, authkey=None, params=None, client_public_key=None, client_sk=None):
        """Step 1 of §3.3 only: POST /authentication/login/. Returns (Reply, client secret key, login_info dict)."""
        if params is None:
            params = effective_parameters(self.prelogin(username)['hashing_parameters'])
        csk = client_sk or PrivateKey.generate()
        info = {'username': username, 'authkey': authkey or derive_authkey(username, password, params)}
        if device_time is True:
            info['device_time'] = now_iso()
        elif device_time:
            info['device_time'] = device_time
        if device_fingerprint:
            info['device_fingerprint'] = device_fingerprint
        info['device_description'] = device_description or ('Python interop client ' + socket.gethostname())
        ct, nonce = box_encrypt(csk, self._server_pk(), compact_json(info))
        body = {'public_key': client_public_key or hexlify(bytes(csk.public_key)),
                'login_info': ct, 'login_info_nonce': nonce}
        if session_duration is not None:
            body['session_duration'] = session_duration
        reply = self.raw('POST', '/authentication/login/', body=body)
        return reply, csk, info, params

    def login(self, username, password, device_fingerprint=None, device_time=True, session_duration=None,
              device_description=None):
        """Full §3.3 flow: prelogin, login, §2.9 unwrap, activate-token. Returns the activate-token `user`."""
        self._reset_session()
        reply, csk, info, params = self.login_raw(username, password, device_fingerprint, device_time,
                                                  session_duration, device_description)
        if reply.status != 200:
            raise VaultError(reply.status, reply.body, 'login')
        body = reply.body
        if not is_envelope({'text': body.get('login_info'), 'nonce': body.get('login_info_nonce')}):
            raise ProtocolError('login: expected {login_info, login_info_nonce}, got %r' % (body,))
        try:
            r = json.loads(box_decrypt(csk, self._server_pk(), body['login_info'], body['login_info_nonce']))
        except nacl.exceptions.CryptoError as e:
            raise ProtocolError('login: response does not open with box(server public_key -> client key): %s' % e)
        for k in ('token', 'session_public_key', 'session_secret_key', 'session_secret_key_nonce',
                  'user_validator', 'user_validator_nonce', 'user'):
            if k not in r:
                raise ProtocolError('login: decrypted response lacks %r: keys %s' % (k, sorted(r)))
        if r.get('required_multifactors'):
            raise ProtocolError('login: server asks for multifactors %r (out of scope)' % r['required_multifactors'])
        spk = public_key_from_hex(r['session_public_key'])
        try:
            s_hex = box_decrypt(csk, spk, r['session_secret_key'], r['session_secret_key_nonce']).decode()
        except nacl.exceptions.CryptoError as e:
            raise ProtocolError('login: session_secret_key does not open with box(session_public_key -> cpk): %s' % e)
        session_key = unhex(s_hex)
        if len(session_key) != 32:
            raise ProtocolError('login: session secret key is not 32 bytes of hex: %r' % s_hex)
        user = r['user']
        kek = derive_kek(password, user['user_sauce'], effective_parameters(user.get('hashing_parameters')))
        try:
            user_sk_hex = secretbox_decrypt(kek, user['private_key'], user['private_key_nonce']).decode()
        except nacl.exceptions.CryptoError as e:
            raise ProtocolError('login: user private_key does not decrypt with the KEK: %s' % e)
        user_sk = private_key_from_hex(user_sk_hex)
        if hexlify(bytes(user_sk.public_key)) != user['public_key'].lower():
            raise ProtocolError('login: decrypted private key does not match user.public_key')
        try:
            validator = box_decrypt(user_sk, spk, r['user_validator'], r['user_validator_nonce'])
        except nacl.exceptions.CryptoError as e:
            raise ProtocolError('login: user_validator does not open with box(session_public_key -> user key): %s' % e)

        self.token = r['token']
        self.session_secret_key = session_key
        self.device_fingerprint = device_fingerprint or None
        self.requires_validator = bool(device_fingerprint) or bool(device_time)
        self.login_response = r
        self.session_valid_till = r.get('session_valid_till')
        self.username = username
        self.password = password
        self.hashing_parameters = effective_parameters(user.get('hashing_parameters'))
        self.user_private_key = user_sk_hex
        self.user_public_key = user['public_key'].lower()
        self.user = dict(user)

        verification, verification_nonce = secretbox_encrypt(session_key, validator)
        status, act = self.request('POST', '/authentication/activate-token/',
                                   {'verification': verification, 'verification_nonce': verification_nonce})
        if status != 200:
            token = self.token
            self._reset_session()
            raise VaultError(status, act, 'activate-token (token %s...)' % token[:8])
        au = act.get('user') if isinstance(act, dict) else None
        if not isinstance(au, dict):
            raise ProtocolError('activate-token: expected {"user": {...}}, got %r' % (act,))
        try:
            self.user_secret_key = secretbox_decrypt(kek, au['secret_key'], au['secret_key_nonce']).decode()
        except (nacl.exceptions.CryptoError, KeyError) as e:
            raise ProtocolError('activate-token: user secret_key does not decrypt with the KEK: %s' % e)
        self.user_id = au.get('id')
        self.user.update(au)
        return au

    def sessions(self):
        resp = self.call('GET', '/authentication/sessions/', what='sessions')
        if not isinstance(resp, dict) or not isinstance(resp.get('sessions'), list):
            raise ProtocolError('sessions: expected {"sessions": [...]}, got %r' % (resp,))
        return resp['sessions']

    def logout(self, session_id=None):
        body = {'session_id': session_id} if session_id else {}
        return self.call('POST', '/authentication/logout/', body, what='logout')

    # ------------------------------------------------------------------ §3.4

    def change_password_body(self, old_password, new_password):
        params = self.hashing_parameters or DEFAULT_HASHING_PARAMETERS
        sauce = self.user['user_sauce']
        new_kek = derive_kek(new_password, sauce, params)
        private_key, private_key_nonce = secretbox_encrypt(new_kek, self.user_private_key)
        secret_key, secret_key_nonce = secretbox_encrypt(new_kek, self.user_secret_key)
        # exactly what the web client sends (§3.4)
        return {
            'email': None,
            'authkey': derive_authkey(self.username, new_password, params),
            'authkey_old': derive_authkey(self.username, old_password, params),
            'private_key': private_key,
            'private_key_nonce': private_key_nonce,
            'secret_key': secret_key,
            'secret_key_nonce': secret_key_nonce,
            'hashing_algorithm': 'scrypt',
            'hashing_parameters': params,
        }

    def change_password(self, old_password, new_password):
        resp = self.call('PUT', '/user/update/', self.change_password_body(old_password, new_password),
                         what='change password')
        self.password = new_password
        return resp

    def search(self, username):
        return self.call('POST', '/user/search/', {'user_username': username}, what='user search')

    def status(self):
        return self.call('GET', '/user/status/', what='user status')

    def delete_account(self, password):
        authkey = derive_authkey(self.username, password, self.hashing_parameters or DEFAULT_HASHING_PARAMETERS)
        return self.call('DELETE', '/user/delete/', {'authkey': authkey}, what='delete account')
