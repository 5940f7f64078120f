#!/usr/bin/python3
"""
Builds a small vault on a running Blindvault server the way the official web client does
(spec/vault-protocol.md §2.4-2.8, §3.5-3.9, §6) and prints what an API-key client test needs.

    /usr/bin/python3 test/interop/vault_fixture.py http://127.0.0.1:PORT/server

The vault of a fresh random user:

    password datastore "Default"
    ├── folder "Work"
    │   └── shared folder "Team"            (share A, path [Work, Team])
    │       ├── item "Build server"         (application_password)
    │       └── shared folder "Inner"       (share B, nested: indexed in A's content)
    │           └── item "Deploy key"       (note)
    ├── item "example.com"                  (website_password)
    └── item "Door code"                    (note)

plus an unrestricted read-only API key and a restricted one (restrict_to_secrets) attached to "Deploy key".

Prints ONE line of JSON on stdout:
  {"server_url", "server_public_key", "server_signature",
   "unrestricted": {"api_key_id", "api_key_private_key", "api_key_secret_key"},
   "restricted": {"api_key_id", "api_key_private_key", "api_key_secret_key", "secrets": [{"secret_id", "secret_key"}]},
   "expected": {"datastores": [ids], "shares": [ids], "secrets": {secret_id: title}}}
Progress goes to stderr. Exit 1 (naming the step) when the server answers anything unexpected, 2 on bad usage.
"""

import json
import os
import sys
import traceback
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import nacl.utils  # noqa: E402

from vault_client import (  # noqa: E402
    ProtocolError, VaultClient, VaultError, find_node, hexlify, new_container, new_folder,
)


class FixtureFailed(Exception):
    pass


def log(msg):
    sys.stderr.write(msg + '\n')
    sys.stderr.flush()


def check(cond, message, *args):
    if not cond:
        raise FixtureFailed(message % args if args else message)


def build(base):
    tag = hexlify(nacl.utils.random(4))
    username = 'fixture-%s@example.com' % tag
    password = 'fixture password %s' % tag
    st = {}

    def step(name, fn):
        try:
            result = fn()
        except (VaultError, ProtocolError, FixtureFailed, KeyError, ValueError, TypeError) as e:
            log('FAIL %s: %s' % (name, e))
            log(traceback.format_exc())
            raise SystemExit(1)
        log('ok   %s%s' % (name, (': ' + result) if isinstance(result, str) else ''))
        return result

    c = VaultClient(base)

    def info():
        st['info'] = c.info()
        return 'verify_key %s' % st['info']['verify_key']
    step('GET /info/', info)

    step('register ' + username, lambda: c.register(username, username, password) and None)
    # like the web client: fingerprint + device_time, so every request carries Authorization-Validator
    step('login (web-client style, with validator)',
         lambda: c.login(username, password, device_fingerprint=str(uuid.uuid4()), device_time=True) and None)

    # --- password datastore (§6 "Opening the vault")
    def datastore():
        existing = c.list_datastores()
        check(existing == [], 'a new user has datastores: %r', existing)
        ds = c.create_datastore('password', 'Default', True)
        st['ds'] = ds['datastore_id']
        st['dk'] = ds['secret_key']
        rec, dk, content = c.read_datastore(st['ds'], st['dk'])
        check(rec.get('data') == '' and content is None, 'a new datastore must have data "": %r', rec)
        st['content'] = new_container(st['ds'])
        c.update_datastore(st['ds'], st['dk'], st['content'])
        return st['ds']
    step('PUT /datastore/ (password, Default) + first POST /datastore/', datastore)

    titles = {}

    def add_item(container, item_type, title, fields, **parent):
        item = c.create_item(item_type, title, fields, **parent)
        container.setdefault('items', []).append(item)
        titles[item['secret_id']] = title
        return item

    def root():
        work = new_folder('Work')
        st['content']['folders'].append(work)
        st['work'] = work['id']
        c.update_datastore(st['ds'], st['dk'], st['content'])
        i1 = add_item(st['content'], 'website_password', 'example.com',
                      {'url': 'https://example.com/login', 'username': 'alice', 'password': 'hunter2 %s' % tag,
                       'notes': 'root item 1'}, parent_datastore_id=st['ds'])
        c.update_datastore(st['ds'], st['dk'], st['content'])
        i2 = add_item(st['content'], 'note', 'Door code', {'notes': '4711'}, parent_datastore_id=st['ds'])
        c.update_datastore(st['ds'], st['dk'], st['content'])
        st['root_items'] = [i1, i2]
        return 'folder %s, secrets %s %s' % (work['id'], i1['secret_id'], i2['secret_id'])
    step('folder "Work" and two items at the root (PUT /secret/, POST /datastore/)', root)

    def team():
        team = new_folder('Team')
        work_list, wi = find_node(st['content'], [st['work']])
        work_list[wi]['folders'].append(team)
        st['team'] = team['id']
        a1 = add_item(team, 'application_password', 'Build server',
                      {'username': 'ci', 'password': 'build %s' % tag}, parent_datastore_id=st['ds'])
        c.update_datastore(st['ds'], st['dk'], st['content'])
        st['a1'] = a1
        return 'folder %s, secret %s' % (team['id'], a1['secret_id'])
    step('folder "Work/Team" with one item', team)

    def share_a():
        share = c.share_folder(st['content'], [st['work'], st['team']], parent_datastore_id=st['ds'],
                               container_key=st['dk'])
        st['A'] = share['share_id']
        st['A_key'] = share['secret_key']
        st['A_content'] = share['content']
        return 'share A %s' % st['A']
    step('share "Team" (POST /share/, POST /secret/link/, POST /datastore/)', share_a)

    def inner():
        # §6: inside a shared folder the client re-reads the share, then PUT /share/
        rec, content = c.read_share(st['A'], st['A_key'])
        check(content == st['A_content'], 'share A content differs from what was written: %r', content)
        inner = new_folder('Inner')
        content.setdefault('folders', []).append(inner)
        st['inner'] = inner['id']
        c.update_share(st['A'], st['A_key'], content)
        rec, content = c.read_share(st['A'], st['A_key'])
        inner_list, ii = find_node(content, [st['inner']])
        b1 = add_item(inner_list[ii], 'note', 'Deploy key', {'notes': 'deploy %s' % tag}, parent_share_id=st['A'])
        c.update_share(st['A'], st['A_key'], content)
        st['A_content'] = content
        st['b1'] = b1
        return 'folder %s, secret %s' % (inner['id'], b1['secret_id'])
    step('folder "Inner" with one item inside share A (PUT /secret/ parent_share_id, PUT /share/)', inner)

    def share_b():
        rec, content = c.read_share(st['A'], st['A_key'])
        share = c.share_folder(content, [st['inner']], parent_share_id=st['A'], container_key=st['A_key'])
        st['B'] = share['share_id']
        st['B_key'] = share['secret_key']
        st['A_content'] = content
        return 'share B %s' % st['B']
    step('share "Inner" inside share A (nested: POST /share/ parent_share_id, PUT /share/ of A)', share_b)

    # --- read everything back as the owner
    def verify():
        rec, dk, content = c.read_datastore(st['ds'], st['dk'])
        check(content == st['content'], 'datastore content differs from what was written:\n%r\n%r',
              content, st['content'])
        check(set(content['share_index']) == {st['A']}, 'datastore share_index: %r', content['share_index'])
        rec_a, ca = c.read_share(st['A'], st['A_key'])
        check(ca == st['A_content'], 'share A content differs: %r', ca)
        check(rec_a.get('rights') == {'read': True, 'write': True, 'grant': True}, 'share A rights: %r',
              rec_a.get('rights'))
        check(set(ca.get('share_index', {})) == {st['B']}, 'share A share_index: %r', ca.get('share_index'))
        rec_b, cb = c.read_share(st['B'], st['B_key'])
        check([i['secret_id'] for i in cb['items']] == [st['b1']['secret_id']], 'share B items: %r', cb)
        for item in st['root_items'] + [st['a1'], st['b1']]:
            srec, secret = c.read_secret(item['secret_id'], item['secret_key'])
            check(secret.get(item['type'] + '_title') == item['name'], 'secret %s: %r', item['secret_id'], secret)
        rights = c.share_rights_overview()
        got = {r['share_id'] for r in rights.get('share_rights', [])}
        check(got == {st['A'], st['B']}, 'GET /share/right/: %r', rights)
        return 'datastore, shares A and B, 4 secrets read back'
    step('read back (GET /datastore/{id}/, /share/{id}/, /secret/{id}/, /share/right/)', verify)

    # --- API keys (§6 "Creating an API key")
    def api_keys():
        c.list_api_keys()
        st['unrestricted'] = c.create_api_key('fixture unrestricted', read=True, write=False,
                                              restrict_to_secrets=False)
        st['restricted'] = c.create_api_key('fixture restricted', read=True, write=False, restrict_to_secrets=True)
        c.add_api_key_secret(st['restricted']['api_key_id'], st['restricted']['api_key_secret_key'],
                             st['b1']['secret_id'], st['b1']['secret_key'], st['b1']['name'])
        keys = c.list_api_keys().get('api_keys', [])
        check({k['id'] for k in keys} == {st['unrestricted']['api_key_id'], st['restricted']['api_key_id']},
              'GET /api-key/: %r', keys)
        grants = c.list_api_key_secrets(st['restricted']['api_key_id'])
        check(isinstance(grants, list) and [g.get('secret_id') for g in grants] == [st['b1']['secret_id']],
              'GET /api-key/secret/{id}/: %r', grants)
        check(c.dec_usk(grants[0]['title'], grants[0]['title_nonce']) == st['b1']['name'], 'grant title')
        return 'unrestricted %s, restricted %s' % (st['unrestricted']['api_key_id'], st['restricted']['api_key_id'])
    step('API keys (PUT /api-key/ x2, PUT /api-key/secret/)', api_keys)

    def creds(k):
        return {'api_key_id': k['api_key_id'], 'api_key_private_key': k['api_key_private_key'],
                'api_key_secret_key': k['api_key_secret_key']}

    restricted = creds(st['restricted'])
    restricted['secrets'] = [{'secret_id': st['b1']['secret_id'], 'secret_key': st['b1']['secret_key']}]
    return {
        'server_url': base,
        'server_public_key': st['info']['public_key'],
        'server_signature': st['info']['verify_key'],
        'username': username,
        'unrestricted': creds(st['unrestricted']),
        'restricted': restricted,
        'expected': {
            'datastores': [st['ds']],
            'shares': [st['A'], st['B']],
            'secrets': titles,
        },
    }


def main():
    if len(sys.argv) != 2 or not sys.argv[1].rstrip('/').endswith('/server'):
        sys.stderr.write('usage: vault_fixture.py http://127.0.0.1:PORT/server\n')
        return 2
    out = build(sys.argv[1].rstrip('/'))
    sys.stdout.write(json.dumps(out) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
