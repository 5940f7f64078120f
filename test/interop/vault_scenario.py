#!/usr/bin/python3
"""
End-to-end password-login scenario against a running Blindvault server, per spec/vault-protocol.md (in the shared folder beside the repository).

    /usr/bin/python3 test/interop/vault_scenario.py http://127.0.0.1:PORT/server

One line per step; exits 1 at the first failing step (naming it), 2 on bad usage.
Every account it makes has a random name, so it can run against a shared server (mind the login
throttle of §4: this scenario makes 9 login and 9 prelogin calls from one IP).
"""

import json
import os
import sys
import traceback
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import nacl.utils  # noqa: E402

from vault_client import (  # noqa: E402
    DEFAULT_HASHING_PARAMETERS, ProtocolError, VaultClient, VaultError, compact_json, hexlify, unhex,
)

HEX = set('0123456789abcdef')
TOKEN_INVALID = 'Invalid token or not yet activated.'
WRONG = {'non_field_errors': ['USERNAME_OR_PASSWORD_WRONG']}


class StepFailed(Exception):
    pass


def check(cond, message, *args):
    if not cond:
        raise StepFailed(message % args if args else message)


def is_hex(s, length=None):
    return isinstance(s, str) and set(s) <= HEX and (length is None or len(s) == length)


def show(reply):
    return '%s %s%s' % (reply.status, json.dumps(reply.body), ' (encrypted)' if reply.encrypted else ' (plain)')


def expect(reply, status, body=None, encrypted=None, what=''):
    prefix = (what + ': ') if what else ''
    check(reply.status == status, '%sexpected HTTP %s, got %s', prefix, status, show(reply))
    if body is not None:
        check(reply.body == body, '%sexpected body %s, got %s', prefix, json.dumps(body), show(reply))
    if encrypted is not None:
        check(reply.encrypted == encrypted, '%sexpected an %s body, got %s', prefix,
              'encrypted' if encrypted else 'unencrypted', show(reply))


def expect_401(client, method='GET', path='/user/status/', detail=TOKEN_INVALID, what='', **kw):
    reply = client.request_reply(method, path, **kw)
    expect(reply, 401, what=what)
    check(not reply.encrypted, '%s: a 401 must be plain (§0.3), got %s', what, show(reply))
    check(isinstance(reply.body, dict) and isinstance(reply.body.get('detail'), str),
          '%s: 401 body must be {"detail": ...}, got %s', what, show(reply))
    if detail is not None:
        check(reply.body == {'detail': detail}, '%s: expected 401 %s, got %s', what,
              json.dumps({'detail': detail}), show(reply))
    check(reply.headers.get('WWW-Authenticate', '').lower() == 'token',
          '%s: 401 must carry WWW-Authenticate: Token (§0.3), got %r', what, reply.headers.get('WWW-Authenticate'))
    return reply


def expect_login_wrong(base, username, password, what):
    c = VaultClient(base)
    c.info()
    reply, _, _, _ = c.login_raw(username, password)
    expect(reply, 400, WRONG, what=what)


def main():
    if len(sys.argv) != 2:
        sys.stderr.write('usage: vault_scenario.py http://127.0.0.1:PORT/server\n')
        return 2
    base = sys.argv[1].rstrip('/')
    tag = hexlify(nacl.utils.random(4))
    alice_name = 'alice-%s@example.com' % tag
    bob_name = 'bob-%s@example.com' % tag
    pw_old = 'correct horse %s' % tag
    pw_new = 'battery staple %s' % tag
    bob_pw = 'bob password %s' % tag
    fingerprint = str(uuid.uuid4())

    st = {}  # state shared between steps
    steps = []

    def step(name):
        def deco(fn):
            steps.append((name, fn))
            return fn
        return deco

    @step('GET /info/: signature verifies over the info text')
    def _():
        c = VaultClient(base)
        got = c.info()
        info = got['info']
        check(is_hex(got['verify_key'], 64), 'verify_key is not 64 lower-case hex: %r', got['verify_key'])
        check(is_hex(got['signature'], 128), 'signature is not 128 lower-case hex: %r', got['signature'])
        check(is_hex(info.get('public_key'), 64), 'info.public_key is not 64 lower-case hex')
        check(info.get('api') == 1 and info.get('type') == 'CE', 'info api/type: %r %r', info.get('api'), info.get('type'))
        check(info.get('authentication_methods') == ['AUTHKEY'], 'authentication_methods: %r',
              info.get('authentication_methods'))
        # the same server again, now with the key pinned
        VaultClient(base, verify_key=got['verify_key']).info()
        st['verify_key'] = got['verify_key']
        return 'verify_key %s..., version %r' % (got['verify_key'][:12], info.get('version'))

    @step('register alice')
    def _():
        c = VaultClient(base, verify_key=st['verify_key'])
        r = c.register(alice_name, alice_name, pw_old)
        check(r['response'] == {'success': 'REGISTRATION_SUCCESSFUL'}, 'register body: %r', r['response'])
        st['alice_keys'] = r['keys']
        return alice_name

    @step('register bob')
    def _():
        c = VaultClient(base, verify_key=st['verify_key'])
        r = c.register(bob_name, bob_name, bob_pw)
        check(r['response'] == {'success': 'REGISTRATION_SUCCESSFUL'}, 'register body: %r', r['response'])
        st['bob_keys'] = r['keys']
        return bob_name

    @step('prelogin returns scrypt parameters (alice and an unknown user)')
    def _():
        c = VaultClient(base)
        p = c.prelogin(alice_name)
        check(p == {'hashing_algorithm': 'scrypt', 'hashing_parameters': DEFAULT_HASHING_PARAMETERS},
              'prelogin %s (registered with the defaults): %r', alice_name, p)
        q = c.prelogin('nobody-%s@example.com' % tag)
        hp = q.get('hashing_parameters') or {}
        check(q.get('hashing_algorithm') == 'scrypt' and set(hp) == set(DEFAULT_HASHING_PARAMETERS)
              and all(isinstance(hp[k], int) and hp[k] >= v for k, v in DEFAULT_HASHING_PARAMETERS.items()),
              'prelogin of an unknown user must give server defaults: %r', q)
        return json.dumps(p['hashing_parameters'])

    @step('login alice, session A (device_fingerprint + device_time)')
    def _():
        a = VaultClient(base, verify_key=st['verify_key'])
        au = a.login(alice_name, pw_old, device_fingerprint=fingerprint, device_time=True)
        r = a.login_response
        check(is_hex(a.token, 128), 'token is not 128 hex: %r', a.token)
        check(r.get('required_multifactors') == [], 'required_multifactors: %r', r.get('required_multifactors'))
        check(a.user.get('username') == alice_name, 'login user.username: %r', a.user.get('username'))
        check(a.user_private_key == st['alice_keys']['private_key'], 'private key after login differs from registration')
        check(a.user_secret_key == st['alice_keys']['secret_key'], 'secret key after login differs from registration')
        check(a.user.get('user_sauce') == st['alice_keys']['user_sauce'], 'user_sauce differs')
        check(au.get('email') == alice_name and is_hex(au.get('id', '').replace('-', ''), 32),
              'activate-token user: %r', au)
        check(a.last.encrypted, 'activate-token response was not encrypted')
        st['A'] = a
        st['alice_id'] = au['id']
        return 'user id %s' % au['id']

    @step('session A: Authorization-Validator is required and accepted')
    def _():
        a = st['A']
        expect_401(a, validator=False, detail='Invalid token header. Incorrect format in token header.',
                   what='no validator header')
        reply = a.request_reply('GET', '/user/status/')
        expect(reply, 200, encrypted=True, what='with validator')
        return 'missing header -> 401, fresh header -> 200'

    @step('login alice, session B (no fingerprint, no device_time)')
    def _():
        b = VaultClient(base, verify_key=st['verify_key'])
        b.login(alice_name, pw_old, device_fingerprint=None, device_time=False)
        check(b.user_secret_key == st['alice_keys']['secret_key'], 'secret key differs')
        reply = b.request_reply('GET', '/user/status/', validator=False)
        expect(reply, 200, encrypted=True, what='session B without validator header')
        st['B'] = b
        return 'no validator header needed'

    @step('GET /authentication/sessions/ lists both with current_session right')
    def _():
        la = st['A'].sessions()
        lb = st['B'].sessions()
        for name, lst in (('A', la), ('B', lb)):
            check(len(lst) == 2, 'session %s sees %d sessions: %r', name, len(lst), lst)
            for s in lst:
                check(set(s) >= {'id', 'create_date', 'device_description', 'current_session'},
                      'session entry fields: %r', s)
            check(sum(1 for s in lst if s['current_session'] is True) == 1,
                  'session %s: exactly one current_session=true expected: %r', name, lst)
        a_id = [s['id'] for s in la if s['current_session']][0]
        b_id = [s['id'] for s in lb if s['current_session']][0]
        check(a_id != b_id, 'both sessions claim the same id as current: %s', a_id)
        check({s['id'] for s in la} == {s['id'] for s in lb} == {a_id, b_id}, 'listings differ: %r / %r', la, lb)
        st['A_id'], st['B_id'] = a_id, b_id
        return 'A=%s B=%s' % (a_id, b_id)

    @step('logout session B from A with session_id; B then gets 401')
    def _():
        a, b = st['A'], st['B']
        reply = a.request_reply('POST', '/authentication/logout/', {'session_id': st['B_id']})
        expect(reply, 200, {'success': 'Successfully logged out.'}, encrypted=True, what='logout session_id')
        expect_401(b, what='session B after logout')
        ids = [s['id'] for s in a.sessions()]
        check(ids == [st['A_id']], 'sessions after logout: %r', ids)
        return 'B token -> 401'

    @step('POST /user/search/ finds bob')
    def _():
        res = st['A'].search(bob_name)
        check(isinstance(res, dict), 'one match must be an object, got %r', res)
        check(res.get('username') == bob_name, 'username: %r', res)
        check(res.get('public_key') == st['bob_keys']['public_key'], 'public_key %r != registered %r',
              res.get('public_key'), st['bob_keys']['public_key'])
        check(is_hex(str(res.get('id', '')).replace('-', ''), 32), 'id: %r', res.get('id'))
        check('avatar_id' in res and res['avatar_id'] is None, 'avatar_id: %r', res)
        st['bob_id'] = res['id']
        return 'bob id %s' % res['id']

    @step('GET /user/status/')
    def _():
        res = st['A'].status()
        for k in ('unaccepted_shares_count', 'unaccepted_groups_count', 'unaccepted_forced_groups_count'):
            check(isinstance(res.get(k), int) and not isinstance(res.get(k), bool), '%s: %r', k, res)
        check(res['unaccepted_shares_count'] == 0 and res['unaccepted_forced_groups_count'] == 0, 'counts: %r', res)
        check(isinstance(res.get('last_security_report_created'), str), 'last_security_report_created: %r', res)
        return json.dumps(res)

    @step('wrong password login -> 400 USERNAME_OR_PASSWORD_WRONG')
    def _():
        expect_login_wrong(base, alice_name, 'not the password', 'wrong password')

    @step('unknown user login -> the same 400')
    def _():
        expect_login_wrong(base, 'nobody-%s@example.com' % tag, pw_old, 'unknown user')

    @step('tampered envelope -> 400 {"detail":"Invalid request"}, encrypted')
    def _():
        a = st['A']
        env = a.envelope({'user_username': bob_name})
        ct = bytearray(unhex(env['text']))
        ct[-1] ^= 0x01
        env['text'] = hexlify(bytes(ct))
        reply = a.request_reply('POST', '/user/search/', raw_body=compact_json(env))
        expect(reply, 400, {'detail': 'Invalid request'}, encrypted=True, what='tampered envelope')
        return show(reply)

    @step('login alice, session C (to be revoked by the password change)')
    def _():
        c = VaultClient(base, verify_key=st['verify_key'])
        c.login(alice_name, pw_old, device_fingerprint=None, device_time=False)
        expect(c.request_reply('GET', '/user/status/'), 200, encrypted=True, what='session C')
        st['C'] = c

    @step('change password from session A (PUT /user/update/)')
    def _():
        a = st['A']
        res = a.change_password(pw_old, pw_new)
        check(res == {'success': 'User updated.'}, 'update body: %r', res)
        return json.dumps(res)

    @step('old password no longer logs in')
    def _():
        expect_login_wrong(base, alice_name, pw_old, 'old password')

    @step('new password logs in (session D); secret and private keys unchanged')
    def _():
        d = VaultClient(base, verify_key=st['verify_key'])
        d.login(alice_name, pw_new, device_fingerprint=fingerprint, device_time=True)
        check(d.user_secret_key == st['alice_keys']['secret_key'], 'secret key after password change differs')
        check(d.user_private_key == st['alice_keys']['private_key'], 'private key after password change differs')
        st['D'] = d

    @step('session C (made before the change) is now 401; caller A still works')
    def _():
        expect_401(st['C'], what='session C after password change')
        expect(st['A'].request_reply('GET', '/user/status/'), 200, encrypted=True, what='session A')

    @step('logout session D; its token then gets 401')
    def _():
        d = st['D']
        res = d.logout()
        check(res == {'success': 'Successfully logged out.'}, 'logout body: %r', res)
        expect_401(d, what='session D after logout')

    @step('delete account (DELETE /user/delete/ with the authkey)')
    def _():
        a = st['A']
        res = a.delete_account(pw_new)
        check(res == {}, 'delete body: %r', res)
        expect_401(a, detail=None, what='session A after account deletion')

    @step('login after deletion -> 400 USERNAME_OR_PASSWORD_WRONG')
    def _():
        expect_login_wrong(base, alice_name, pw_new, 'deleted account')

    for i, (name, fn) in enumerate(steps, 1):
        try:
            note = fn()
        except (StepFailed, VaultError, ProtocolError) as e:
            print('[%2d] FAIL %s: %s' % (i, name, e), flush=True)
            return 1
        except Exception as e:  # noqa: BLE001 - report any crash as the failing step
            print('[%2d] FAIL %s: %s: %s' % (i, name, type(e).__name__, e), flush=True)
            traceback.print_exc()
            return 1
        print('[%2d] ok   %s%s' % (i, name, (' - ' + note) if note else ''), flush=True)
    print('vault scenario: %d steps passed' % len(steps))
    return 0


if __name__ == '__main__':
    sys.exit(main())
