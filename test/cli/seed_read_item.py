#!/usr/bin/python3
"""
Reads one item by name with the seed's API-key client (test/interop/seed/api_key_sessions.py, configured for a
server and imported as a module): the seed's own steps 1-7, then step 8 for the item whose name is argv[2].
Prints one JSON line {"item": <datastore item node>, "secret": <decrypted secret JSON>}.

    seed_read_item.py CONFIGURED_SEED_DIR ITEM_NAME
"""
import json
import sys

sys.path.insert(0, sys.argv[1])
import seed_configured as seed  # noqa: E402


def main():
    session_private_key, client_login_info = seed.generate_client_login_info()
    answer = seed.api_login(client_login_info)
    seed.verify_signature(answer['login_info'], answer['login_info_signature'])
    login = seed.decrypt_server_login_info(answer['login_info'], answer['login_info_nonce'],
                                           answer['server_session_public_key'], session_private_key)
    token, session_secret_key = login['token'], login['session_secret_key']
    user_secret_key = seed.decrypt_with_api_secret_key(login['user']['secret_key'], login['user']['secret_key_nonce'])
    containers = []
    for datastore in seed.api_read_datastores(token, session_secret_key)['datastores']:
        if datastore['type'] != 'password':
            continue
        record = seed.api_read_datastore(token, session_secret_key, datastore['id'])
        key = seed.decrypt_symmetric(record['secret_key'], record['secret_key_nonce'], user_secret_key)
        containers.append(json.loads(seed.decrypt_symmetric(record['data'], record['data_nonce'], key)))
    shares = {}
    for content in list(containers):
        seed.read_shares_recursive(token, session_secret_key, seed.get_share_index(content), shares)
    for content in containers + list(shares.values()):
        for item in seed.get_secret_items(content):
            if item.get('name') == sys.argv[2]:
                secret = seed.read_secret(token, session_secret_key, item['secret_id'], item['secret_key'], item['type'])
                sys.stdout.write(json.dumps({'item': item, 'secret': secret}) + '\n')
                return 0
    sys.stderr.write('no item named %s\n' % sys.argv[2])
    return 1


if __name__ == '__main__':
    sys.exit(main())
