import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { VaultClient } from '../../src/client/vault-session.js';
import { openTestApp, type TestApp } from '../helpers/app.js';
import { injectTransport } from '../helpers/inject-transport.js';
import { BACKENDS } from '../helpers/stores.js';
import { bodyOf, registerPerson, type VaultPerson } from '../helpers/vault-people.js';

// Import, export, the Security Report and the offline cache of the official web client, replayed from
// the request sequences it was seen to send against this server in Chromium (docs/vault-protocol.md §6),
// on both backends. Every format (Psono JSON plain and encrypted, KeePassXC CSV, Bitwarden JSON; export
// to JSON, encrypted JSON, CSV, KDBX) is made and read in the browser: the server sees the same
// requests for each, with ciphertext only.
const ct = (bytes = 80) => randomBytes(bytes).toString('hex');
const nonce = () => randomBytes(24).toString('hex');
const PASSWORD = 'import export passphrase';
const REFUSED = { non_field_errors: ['NO_PERMISSION_OR_NOT_EXIST'] };
type Person = VaultPerson;

for (const backend of BACKENDS) {
  describe(`vault import, export, security report, offline (${backend})`, () => {
    let t: TestApp;
    let client: VaultClient;
    let alice: Person;
    let bob: Person;

    const body = bodyOf;
    const person = (who: string): Promise<Person> => registerPerson(client, who, PASSWORD);
    const entries = (n: number) => Array.from({ length: n }, () => ({ data: ct(60), data_nonce: nonce(), link_id: randomUUID() }));
    /** Import steps 1–3 of §6 into a datastore: the vault read, the one bulk create, the vault saved with the new folder. */
    const importInto = async (who: Person, n: number) => {
      body(await who.request('GET', `/datastore/${who.datastoreId}/`), 200);
      body(await who.request('GET', '/share/right/'), 200);
      const secrets = entries(n);
      const created = body<{ secrets: Array<{ link_id: string; secret_id: string }> }>(await who.request('PUT', '/bulk-secret/', { secrets, parent_datastore_id: who.datastoreId }), 201).secrets;
      assert.deepEqual(created.map((c) => c.link_id), secrets.map((s) => s.link_id));
      body(await who.request('GET', `/datastore/${who.datastoreId}/`), 200);
      body(await who.request('GET', '/share/right/'), 200);
      body(await who.request('POST', '/datastore/', { datastore_id: who.datastoreId, data: ct(400), data_nonce: nonce() }), 200);
      return { secrets, ids: created.map((c) => c.secret_id) };
    };

    before(async () => {
      t = await openTestApp(backend, { VAULT_THROTTLE_LOGIN: '1000/minute', VAULT_THROTTLE_PRELOGIN: '1000/minute' });
      client = new VaultClient(injectTransport(t.app));
      alice = await person('alice');
      bob = await person('bob');
    });
    after(async () => t.close());

    test('import (recorded: KeePassXC CSV, Bitwarden JSON, Psono JSON plain and encrypted), then export (JSON, encrypted JSON, CSV, KDBX) reads every entry back at once', async () => {
      // Two imports as the client made them, one after the other, each in one PUT /bulk-secret/.
      const csv = await importInto(alice, 2);
      const bitwarden = await importInto(alice, 2);
      const psono = await importInto(alice, 4);
      const all = [...csv.ids, ...bitwarden.ids, ...psono.ids];
      // Export, every format alike: the vault read, then one POST /bulk-secret-read/ of every entry.
      for (const _format of ['json', 'json encrypted', 'csv', 'kdbx']) {
        body(await alice.request('GET', `/datastore/${alice.datastoreId}/`), 200);
        body(await alice.request('GET', '/share/right/'), 200);
        const read = body<{ secrets: Array<{ id: string; data: string; data_nonce: string }> }>(await alice.request('POST', '/bulk-secret-read/', { secret_ids: all }), 200).secrets;
        assert.deepEqual(read.map((s) => s.id).sort(), [...all].sort());
        const byId = new Map(read.map((s) => [s.id, s]));
        for (const [i, id] of psono.ids.entries()) assert.equal(byId.get(id)?.data, psono.secrets[i]?.data, 'the ciphertext the import sent');
      }
      // Refusal with its control: Bob's export of Alice's ids gets none of them, nothing tells him they exist.
      assert.deepEqual(body(await bob.request('POST', '/bulk-secret-read/', { secret_ids: all }), 200), { secrets: [] });
      assert.equal(body<{ secrets: unknown[] }>(await alice.request('POST', '/bulk-secret-read/', { secret_ids: all }), 200).secrets.length, all.length);
    });

    test('import into a shared folder needs write on it: the read-only member is refused and nothing is made; the owner imports', async () => {
      const shareId = body<{ share_id: string }>(
        await alice.request('POST', '/share/', { data: ct(40), data_nonce: nonce(), key: ct(), key_nonce: nonce(), key_type: 'symmetric', link_id: randomUUID(), parent_datastore_id: alice.datastoreId }),
        201,
      ).share_id;
      const rightId = body<{ share_right_id: string }>(
        await alice.request('PUT', '/share/right/', { share_id: shareId, user_id: bob.userId, key: ct(), key_nonce: nonce(), title: ct(40), title_nonce: nonce(), type: ct(40), type_nonce: nonce(), read: true, write: false, grant: false }),
        201,
      ).share_right_id;
      body(await bob.request('POST', '/share/right/accept/', { share_right_id: rightId, key: ct(), key_nonce: nonce() }), 200);
      const refused = entries(2);
      assert.deepEqual(body(await bob.request('PUT', '/bulk-secret/', { secrets: refused, parent_share_id: shareId }), 400), REFUSED);
      for (const e of refused) assert.equal(await t.stores.objects.getSecretLink(e.link_id), undefined, 'nothing of the refused import');
      // Control: the owner's import into the same folder, then the folder saved as the client does it.
      const created = body<{ secrets: Array<{ secret_id: string }> }>(await alice.request('PUT', '/bulk-secret/', { secrets: entries(2), parent_share_id: shareId }), 201).secrets;
      body(await alice.request('GET', `/share/${shareId}/`), 200);
      body(await alice.request('PUT', '/share/', { share_id: shareId, data: ct(200), data_nonce: nonce() }), 200);
      const read = body<{ secrets: unknown[] }>(await bob.request('POST', '/bulk-secret-read/', { secret_ids: created.map((c) => c.secret_id) }), 200).secrets;
      assert.equal(read.length, 2, 'the read-only member exports what he may read');
    });

    test('offline mode is offered, and "Go Offline" is served by the ordinary reads (recorded)', async () => {
      const info = JSON.parse(body<{ info: string }>(await client.call('GET', '/info/'), 200).info) as Record<string, unknown>;
      assert.equal(info.compliance_disable_offline_mode, false);
      const { ids } = await importInto(alice, 3);
      // Go Offline: the info, the datastore list, every datastore, the rights, every entry one by one.
      const overview = body<{ datastores: Array<{ id: string }> }>(await alice.request('GET', '/datastore/'), 200).datastores;
      for (const d of overview) body(await alice.request('GET', `/datastore/${d.id}/`), 200);
      body(await alice.request('GET', '/share/right/'), 200);
      for (const id of ids) body(await alice.request('GET', `/secret/${id}/`), 200);
      // Refusal with its control: the cache of another account cannot be filled with Alice's entries.
      for (const id of ids) assert.deepEqual(body(await bob.request('GET', `/secret/${id}/`), 400), REFUSED);
    });

    test('the Security Report is made in the browser; POST /user/security-report/ is not served and keeps nothing (BV)', async () => {
      const info = JSON.parse(body<{ info: string }>(await client.call('GET', '/info/'), 200).info) as Record<string, unknown>;
      assert.equal(info.disable_central_security_reports, true, 'the client neither offers nor sends a report');
      const { ids } = await importInto(alice, 2);
      // Recorded: the vault read, every entry at once, the caller's own user entry.
      body(await alice.request('GET', `/datastore/${alice.datastoreId}/`), 200);
      body(await alice.request('GET', '/share/right/'), 200);
      assert.equal(body<{ secrets: unknown[] }>(await alice.request('POST', '/bulk-secret-read/', { secret_ids: ids }), 200).secrets.length, 2);
      assert.equal(body<{ id: string }>(await alice.request('POST', '/user/search/', { user_id: alice.userId, user_username: alice.username }), 200).id, alice.userId);

      // What Psono's client would send if the flag were off: entry names in clear. Encrypted as the client
      // does it, and plain: both 404 like an unknown path, and the name lands nowhere.
      const marker = `bank-of-${randomBytes(8).toString('hex')}.example`;
      const report = { entries: [{ name: marker, master_password: false, rating: 40, password_length: 9, variation_count: 2, breached: 0, type: 'website_password', input_type: 'password', duplicate: false, create_age: 1, write_age: 1 }], check_haveibeenpwned: false, authkey: ct(64) };
      // (The SDK refuses a plain answer to a session; the web client reads a 404 before decrypting, §0.1.)
      await assert.rejects(alice.request('POST', '/user/security-report/', report), /not encrypted: 404 \{"detail":"Not found\."\}/);
      const plain = await t.app.inject({ method: 'POST', url: '/server/user/security-report/', headers: { 'content-type': 'application/json', authorization: `Token ${alice.token.reveal()}` }, payload: JSON.stringify(report) });
      assert.equal(plain.statusCode, 404);
      assert.deepEqual(plain.json(), { detail: 'Not found.' });
      assert.ok(!t.logs.join('\n').includes(marker), 'not in the logs');
      if (backend === 'sqlite') {
        for (const file of await readdir(t.stores.dataDir, { recursive: true })) {
          const full = path.join(t.stores.dataDir, String(file));
          const bytes = await readFile(full).catch(() => undefined);
          assert.ok(!bytes?.includes(marker), `not in ${String(file)}`);
        }
      }
      const status = body<{ last_security_report_created: string }>(await alice.request('GET', '/user/status/'), 200);
      assert.ok(!Number.isNaN(Date.parse(status.last_security_report_created)), 'status still answers a date (the registration)');
      // Control: the same session's ordinary requests go on.
      body(await alice.request('GET', '/datastore/'), 200);
    });
  });
}
