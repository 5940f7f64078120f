"""
Independent Python client for the Blindvault vault protocol (Psono-compatible), password login.

Written from spec/vault-protocol.md (in the shared folder beside the repository) (§0, §1, §2, §3.1-3.9, §6) only.
Runs with Debian's /usr/bin/python3 + python3-nacl + python3-requests; scrypt comes from hashlib.

Layers:
  raw(method, path, ...)          -> Reply (status, body, encrypted, headers); no crypto, no checks
  request(method, path, body)     -> (status, decoded_body) for an authenticated session: envelope
                                     in both directions, Authorization-Validator when required.
                                     Raises ProtocolError when a response that must be encrypted is not.
  info/register/prelogin/login/sessions/logout/change_password/search/status/delete_account
                                  -> high level; raise VaultError(status, body) on unexpected status.
  create_datastore/update_datastore/create_item/create_share/share_folder/create_api_key/...
                                  -> build a vault the way the web client does (§2.4-2.8, §3.5-3.9, §6);
                                     api_key_login -> an API-key session (§3.9.3) with this client.
"""

import binascii
import datetime
import hashlib
import json
import os
import socket
import uuid

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

    # ------------------------------------------------------------------ vault building (§2.4-2.8, §3.5-3.9, §6)
    # Everything below builds a vault the way the official web client does. Object keys are random 32 bytes and
    # travel as 64-hex strings (§0.2): every *_key argument / return value here is such a hex string.

    def _usk(self):
        if not self.user_secret_key:
            raise ProtocolError('no user secret key: log in with a password first')
        return unhex(self.user_secret_key)

    def enc_usk(self, plaintext):
        """enc_USK(x) = secretbox(USK, utf8(x)) -> (text, nonce) (§2.4)."""
        return secretbox_encrypt(self._usk(), plaintext)

    def dec_usk(self, text_hex, nonce_hex):
        return secretbox_decrypt(self._usk(), text_hex, nonce_hex).decode('utf-8')

    # --- datastores (§3.5)

    def list_datastores(self):
        resp = self.call('GET', '/datastore/', what='list datastores')
        if not isinstance(resp, dict) or not isinstance(resp.get('datastores'), list):
            raise ProtocolError('GET /datastore/: expected {"datastores": [...]}, got %r' % (resp,))
        return resp['datastores']

    def create_datastore(self, type='password', description='Default', is_default=True, content=None):
        """PUT /datastore/ as the web client: fresh DK, secret_key = enc_USK(hex DK), data "" (§3.5).
        If content is given it is written at once with POST /datastore/ (datastore_id filled in when it is a dict).
        Returns {"datastore_id", "secret_key" (DK hex), "content"}."""
        dk = new_key_hex()
        sk, sk_nonce = self.enc_usk(dk)
        resp = self.call('PUT', '/datastore/', {
            'type': type, 'description': description, 'data': '', 'data_nonce': '',
            'is_default': is_default, 'secret_key': sk, 'secret_key_nonce': sk_nonce,
        }, expect=201, what='create datastore')
        ds_id = resp.get('datastore_id') if isinstance(resp, dict) else None
        if not isinstance(ds_id, str):
            raise ProtocolError('PUT /datastore/: expected {"datastore_id": ...}, got %r' % (resp,))
        if content is not None:
            if isinstance(content, dict):
                content['datastore_id'] = ds_id
            self.update_datastore(ds_id, dk, content)
        return {'datastore_id': ds_id, 'secret_key': dk, 'content': content}

    def read_datastore(self, datastore_id, datastore_key=None):
        """GET /datastore/{id}/; decrypts secret_key with USK (checked against datastore_key if given) and data.
        Returns (record, DK hex, content or None when data is "")."""
        rec = self.call('GET', '/datastore/%s/' % datastore_id, what='read datastore')
        dk = self.dec_usk(rec['secret_key'], rec['secret_key_nonce'])
        if datastore_key is not None and dk != datastore_key:
            raise ProtocolError('datastore %s: secret_key decrypts to another key' % datastore_id)
        content = decrypt_json(dk, rec['data'], rec['data_nonce']) if rec.get('data') else None
        return rec, dk, content

    def update_datastore(self, datastore_id, datastore_key, content, **extra):
        """POST /datastore/ {datastore_id, data, data_nonce} (the whole tree re-encrypted with the same DK)."""
        data, data_nonce = encrypt_json(datastore_key, clean_content(content))
        body = {'datastore_id': datastore_id, 'data': data, 'data_nonce': data_nonce}
        body.update(extra)
        return self.call('POST', '/datastore/', body, what='update datastore')

    # --- secrets (§3.6)

    def create_secret(self, secret_content, parent_datastore_id=None, parent_share_id=None, link_id=None):
        """PUT /secret/ with a fresh SK. Returns {"secret_id", "secret_key" (SK hex), "link_id"}."""
        sk = new_key_hex()
        link_id = link_id or str(uuid.uuid4())
        data, data_nonce = encrypt_json(sk, secret_content)
        body = {'data': data, 'data_nonce': data_nonce, 'link_id': link_id}
        if parent_datastore_id:
            body['parent_datastore_id'] = parent_datastore_id
        if parent_share_id:
            body['parent_share_id'] = parent_share_id
        resp = self.call('PUT', '/secret/', body, expect=201, what='create secret')
        secret_id = resp.get('secret_id') if isinstance(resp, dict) else None
        if not isinstance(secret_id, str):
            raise ProtocolError('PUT /secret/: expected {"secret_id": ...}, got %r' % (resp,))
        return {'secret_id': secret_id, 'secret_key': sk, 'link_id': link_id}

    def create_item(self, item_type, title, fields=None, parent_datastore_id=None, parent_share_id=None):
        """Creates a secret of `item_type` (§2.8) and returns its datastore/share item node (§2.6):
        {"id" = link id, "type", "name", "secret_id", "secret_key", ...}. The caller puts it into the content."""
        secret_content = secret_json(item_type, title, fields)
        s = self.create_secret(secret_content, parent_datastore_id, parent_share_id)
        return item_node(item_type, title, s['secret_id'], s['secret_key'], s['link_id'], secret_content)

    def read_secret(self, secret_id, secret_key):
        """GET /secret/{id}/ -> (record, decrypted secret JSON)."""
        rec = self.call('GET', '/secret/%s/' % secret_id, what='read secret')
        return rec, decrypt_json(secret_key, rec['data'], rec['data_nonce'])

    def update_secret(self, secret_id, secret_key, secret_content):
        data, data_nonce = encrypt_json(secret_key, secret_content)
        return self.call('POST', '/secret/', {'secret_id': secret_id, 'data': data, 'data_nonce': data_nonce},
                         what='update secret')

    def move_secret_link(self, link_id, new_parent_share_id=None, new_parent_datastore_id=None):
        """POST /secret/link/ {link_id, new_parent_share_id | new_parent_datastore_id} -> 200 {}."""
        body = {'link_id': link_id}
        if new_parent_share_id:
            body['new_parent_share_id'] = new_parent_share_id
        if new_parent_datastore_id:
            body['new_parent_datastore_id'] = new_parent_datastore_id
        return self.call('POST', '/secret/link/', body, what='move secret link')

    # --- shares (§3.7)

    def create_share(self, share_content, link_id, parent_datastore_id=None, parent_share_id=None,
                     key_type='symmetric'):
        """POST /share/ (POST creates shares) with a fresh ShK; key = enc_USK(hex ShK).
        Returns {"share_id", "secret_key" (ShK hex), "link_id"}."""
        shk = new_key_hex()
        data, data_nonce = encrypt_json(shk, clean_content(share_content))
        key, key_nonce = self.enc_usk(shk)
        body = {'data': data, 'data_nonce': data_nonce, 'key': key, 'key_nonce': key_nonce,
                'key_type': key_type, 'link_id': link_id}
        if parent_datastore_id:
            body['parent_datastore_id'] = parent_datastore_id
        if parent_share_id:
            body['parent_share_id'] = parent_share_id
        resp = self.call('POST', '/share/', body, expect=201, what='create share')
        share_id = resp.get('share_id') if isinstance(resp, dict) else None
        if not isinstance(share_id, str):
            raise ProtocolError('POST /share/: expected {"share_id": ...}, got %r' % (resp,))
        return {'share_id': share_id, 'secret_key': shk, 'link_id': link_id}

    def read_share(self, share_id, share_key):
        """GET /share/{id}/ -> (record, decrypted content)."""
        rec = self.call('GET', '/share/%s/' % share_id, what='read share')
        return rec, decrypt_json(share_key, rec['data'], rec['data_nonce'])

    def update_share(self, share_id, share_key, content, **extra):
        """PUT /share/ {share_id, data, data_nonce} (PUT updates shares)."""
        data, data_nonce = encrypt_json(share_key, clean_content(content))
        body = {'share_id': share_id, 'data': data, 'data_nonce': data_nonce}
        body.update(extra)
        return self.call('PUT', '/share/', body, what='update share')

    def share_rights_overview(self):
        return self.call('GET', '/share/right/', what='list own share rights')

    def share_folder(self, container, folder_path, parent_datastore_id=None, parent_share_id=None,
                     container_key=None, save=True):
        """Turns the folder at `folder_path` (list of node ids from the container root down to the folder) of
        `container` (a datastore's or a share's decrypted content) into a share, as the web client does (§6):
          1. POST /share/ {data = the folder without its id, key = enc_USK(ShK), key_type "symmetric",
             parent_datastore_id | parent_share_id = the container, link_id = the folder id}
          2. POST /secret/link/ {link_id, new_parent_share_id} for every item inside the folder
          3. the folder node becomes {id, name, share_id, share_secret_key}; container.share_index gets
             {share_id: {paths: [folder_path], secret_key: ShK}}
          4. (save) POST /datastore/ or PUT /share/ of the container with container_key.
        Returns {"share_id", "secret_key", "link_id", "content"}."""
        if bool(parent_datastore_id) == bool(parent_share_id):
            raise ValueError('give exactly one of parent_datastore_id / parent_share_id')
        parent_list, index = find_node(container, folder_path, 'folders')
        folder = parent_list[index]
        share_content = {k: v for k, v in folder.items() if k != 'id'}
        share = self.create_share(share_content, folder['id'], parent_datastore_id=parent_datastore_id,
                                  parent_share_id=parent_share_id)
        for item in iter_items(share_content):
            self.move_secret_link(item['id'], new_parent_share_id=share['share_id'])
        node = {'id': folder['id'], 'name': folder.get('name', ''), 'share_id': share['share_id'],
                'share_secret_key': share['secret_key']}
        parent_list[index] = node
        container.setdefault('share_index', {})[share['share_id']] = {
            'paths': [list(folder_path)], 'secret_key': share['secret_key']}
        if save:
            if container_key is None:
                raise ValueError('save needs container_key')
            if parent_datastore_id:
                self.update_datastore(parent_datastore_id, container_key, container)
            else:
                self.update_share(parent_share_id, container_key, container)
        share['content'] = share_content
        return share

    # --- API keys (§2.5, §3.9)

    def create_api_key(self, title, read=True, write=False, restrict_to_secrets=False, allow_insecure_access=False):
        """PUT /api-key/ with the keys of §2.5. Returns what the web client shows the user:
        {"api_key_id", "api_key_private_key" (ask hex), "api_key_secret_key" (AKS hex), "public_key", "verify_key"}."""
        ask = nacl.utils.random(32)
        ask_hex = hexlify(ask)
        aks_hex = new_key_hex()
        public_key = hexlify(bytes(PrivateKey(ask).public_key))
        verify_key = hexlify(bytes(nacl.signing.SigningKey(ask).verify_key))
        private_key, private_key_nonce = self.enc_usk(ask_hex)
        secret_key, secret_key_nonce = self.enc_usk(aks_hex)
        if not self.user_private_key:
            raise ProtocolError('no user private key: log in with a password first')
        user_private_key, user_private_key_nonce = secretbox_encrypt(unhex(aks_hex), self.user_private_key)
        user_secret_key, user_secret_key_nonce = secretbox_encrypt(unhex(aks_hex), self.user_secret_key)
        body = {
            'title': title,
            'public_key': public_key,
            'private_key': private_key, 'private_key_nonce': private_key_nonce,
            'secret_key': secret_key, 'secret_key_nonce': secret_key_nonce,
            'user_private_key': user_private_key, 'user_private_key_nonce': user_private_key_nonce,
            'user_secret_key': user_secret_key, 'user_secret_key_nonce': user_secret_key_nonce,
            'verify_key': verify_key,
            'read': read, 'write': write,
            'restrict_to_secrets': restrict_to_secrets, 'allow_insecure_access': allow_insecure_access,
        }
        resp = self.call('PUT', '/api-key/', body, expect=201, what='create api key')
        api_key_id = resp.get('api_key_id') if isinstance(resp, dict) else None
        if not isinstance(api_key_id, str):
            raise ProtocolError('PUT /api-key/: expected {"api_key_id": ...}, got %r' % (resp,))
        return {'api_key_id': api_key_id, 'api_key_private_key': ask_hex, 'api_key_secret_key': aks_hex,
                'public_key': public_key, 'verify_key': verify_key}

    def add_api_key_secret(self, api_key_id, api_key_secret_key, secret_id, secret_key, title):
        """PUT /api-key/secret/: secret_key = secretbox(AKS, hex SK), title = enc_USK(name). -> api_key_secret_id."""
        sk, sk_nonce = secretbox_encrypt(unhex(api_key_secret_key), secret_key)
        t, t_nonce = self.enc_usk(title)
        resp = self.call('PUT', '/api-key/secret/', {
            'api_key_id': api_key_id, 'secret_id': secret_id, 'secret_key': sk, 'secret_key_nonce': sk_nonce,
            'title': t, 'title_nonce': t_nonce,
        }, expect=201, what='attach secret to api key')
        grant_id = resp.get('api_key_secret_id') if isinstance(resp, dict) else None
        if not isinstance(grant_id, str):
            raise ProtocolError('PUT /api-key/secret/: expected {"api_key_secret_id": ...}, got %r' % (resp,))
        return grant_id

    def list_api_keys(self):
        return self.call('GET', '/api-key/', what='list api keys')

    def read_api_key(self, api_key_id):
        return self.call('GET', '/api-key/%s/' % api_key_id, what='read api key')

    def list_api_key_secrets(self, api_key_id):
        return self.call('GET', '/api-key/secret/%s/' % api_key_id, what='list api key secrets')

    def api_key_login(self, api_key_id, api_key_private_key, api_key_secret_key=None, device_description=None,
                      verify_key=None, extra_info=None):
        """§3.9.3 API-key login with this client (alternative to the seed). Sets token / session key; when the
        key is unrestricted and api_key_secret_key is given, also user_private_key / user_secret_key.
        Returns the decrypted login info L."""
        self._reset_session()
        csk = PrivateKey.generate()
        info = {'api_key_id': api_key_id, 'session_public_key': hexlify(bytes(csk.public_key)),
                'device_description': device_description or ('Python interop client ' + socket.gethostname())}
        info.update(extra_info or {})
        info_text = json.dumps(info)
        signature = nacl.signing.SigningKey(unhex(api_key_private_key)).sign(info_text.encode('utf-8')).signature
        reply = self.raw('POST', '/api-key/login/', body={'info': info_text, 'signature': hexlify(signature)})
        if reply.status != 200:
            raise VaultError(reply.status, reply.body, 'api key login')
        body = reply.body
        vk = verify_key or self.pinned_verify_key
        if vk is None:
            vk = self.info()['verify_key']
        try:
            nacl.signing.VerifyKey(unhex(vk)).verify(body['login_info'].encode('utf-8'),
                                                     unhex(body['login_info_signature']))
        except (nacl.exceptions.BadSignatureError, KeyError, ValueError, TypeError) as e:
            raise ProtocolError('api key login: login_info_signature does not verify: %s' % e)
        L = json.loads(box_decrypt(csk, public_key_from_hex(body['server_session_public_key']),
                                   body['login_info'], body['login_info_nonce']).decode('utf-8'))
        self.token = L['token']
        self.session_secret_key = unhex(L['session_secret_key'])
        self.requires_validator = 'device_fingerprint' in info or 'device_time' in info
        self.device_fingerprint = info.get('device_fingerprint')
        self.login_response = L
        self.session_valid_till = L.get('session_valid_till')
        self.user = dict(L.get('user') or {})
        self.username = self.user.get('username')
        self.user_public_key = self.user.get('public_key')
        if api_key_secret_key and self.user.get('private_key'):
            aks = unhex(api_key_secret_key)
            self.user_private_key = secretbox_decrypt(aks, self.user['private_key'],
                                                      self.user['private_key_nonce']).decode()
            self.user_secret_key = secretbox_decrypt(aks, self.user['secret_key'],
                                                     self.user['secret_key_nonce']).decode()
        return L


# ----------------------------------------------------------------------------------------------------------------
# Vault content helpers (§2.4, §2.6-2.8)
# ----------------------------------------------------------------------------------------------------------------

# Client-only node properties the web client strips before encrypting (§2.6).
CLIENT_ONLY_PROPERTIES = ('path', 'share_rights', 'parent_share_id', 'parent_datastore_id', 'expanded',
                          'is_folder', 'hidden', 'filter', 'expanded_temporary')


def new_key_hex():
    """A fresh random 32-byte object key as 64 lower-case hex (§0.2, §2.4)."""
    return hexlify(nacl.utils.random(32))


def encrypt_json(key_hex, obj):
    """secretbox(key, utf8(JSON)) -> (text, nonce)."""
    return secretbox_encrypt(unhex(key_hex), compact_json(obj))


def decrypt_json(key_hex, text_hex, nonce_hex):
    return json.loads(secretbox_decrypt(unhex(key_hex), text_hex, nonce_hex).decode('utf-8'))


def clean_content(obj):
    """Deep copy without client-only properties."""
    if isinstance(obj, dict):
        return {k: clean_content(v) for k, v in obj.items() if k not in CLIENT_ONLY_PROPERTIES}
    if isinstance(obj, list):
        return [clean_content(v) for v in obj]
    return obj


def password_hash(password):
    """First 5 hex chars of SHA-1 of the password; "" when none (§2.6)."""
    return hashlib.sha1(password.encode('utf-8')).hexdigest()[:5] if password else ''


def secret_json(item_type, title, fields=None):
    """Secret content (§2.8): {"<type>_title": title, "<type>_<field>": value, ...}; fields use short names
    (e.g. {"username": "alice", "password": "pw"}) or full names."""
    content = {item_type + '_title': title}
    for k, v in (fields or {}).items():
        content[k if k.startswith(item_type + '_') or k in ('tags', 'custom_fields') else item_type + '_' + k] = v
    return content


def item_node(item_type, title, secret_id, secret_key, link_id, secret_content=None):
    """The datastore/share item for a secret (§2.6)."""
    s = secret_content or {}
    node = {'id': link_id, 'type': item_type, 'name': title, 'secret_id': secret_id, 'secret_key': secret_key}
    if item_type == 'website_password':
        node['description'] = s.get('website_password_username', '')
        url = s.get('website_password_url', '')
        node['urlfilter'] = s.get('website_password_url_filter', url.split('//')[-1].split('/')[0] if url else '')
        node['autosubmit'] = bool(s.get('website_password_auto_submit', False))
        node['allow_http'] = bool(s.get('website_password_allow_http', False))
        node['password_hash'] = password_hash(s.get('website_password_password', ''))
    elif item_type == 'application_password':
        node['description'] = s.get('application_password_username', '')
        node['password_hash'] = password_hash(s.get('application_password_password', ''))
    elif item_type == 'bookmark':
        url = s.get('bookmark_url', '')
        node['urlfilter'] = s.get('bookmark_url_filter', url.split('//')[-1].split('/')[0] if url else '')
        node['password_hash'] = ''
    else:
        node['password_hash'] = ''
    return node


def new_folder(name, folders=None, items=None):
    return {'id': str(uuid.uuid4()), 'name': name, 'folders': list(folders or []), 'items': list(items or [])}


def new_container(datastore_id=None):
    """Empty password datastore / share root content."""
    c = {'folders': [], 'items': []}
    if datastore_id:
        c['datastore_id'] = datastore_id
    return c


def find_node(container, path, kind='folders'):
    """Follows `path` (node ids from the root) through folders; returns (list that holds the last node, index).
    The last node is searched in `kind` ("folders" or "items")."""
    current = container
    for node_id in path[:-1]:
        current = next(f for f in current.get('folders') or [] if f.get('id') == node_id)
    lst = current.setdefault(kind, [])
    for i, node in enumerate(lst):
        if node.get('id') == path[-1]:
            return lst, i
    raise KeyError('node %s not found under %r' % (path[-1], path[:-1]))


def iter_items(folder):
    """All items of a folder tree that are secrets (not share nodes), without entering share nodes."""
    for item in folder.get('items') or []:
        if 'secret_id' in item and 'share_id' not in item:
            yield item
    for sub in folder.get('folders') or []:
        if 'share_id' not in sub:
            for item in iter_items(sub):
                yield item
